/*
 * store_reserve.c - the emergency reserve beside the database (store.h).
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>

/* ---- the emergency reserve (store.h) ----------------------------------- */

static char *reserve_path(store_t *s)
{
	size_t n = strlen(s->path) + sizeof("-reserve");
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s-reserve", s->path);
	return p;
}

/* Bytes free on the disk that holds the database, for an unprivileged
 * writer; -1 if unknown. */
static int64_t disk_free(store_t *s)
{
	struct statvfs v;
	if (statvfs(s->path, &v) < 0)
		return -1;
	return (int64_t)v.f_bavail * (int64_t)v.f_frsize;
}

int64_t store_reserve_held(store_t *s)
{
	struct stat st;
	char *p;
	int64_t held = 0;
	if (!s || s->readonly || !(p = reserve_path(s)))
		return 0;
	if (stat(p, &st) == 0)
		held = (int64_t)st.st_size;
	free(p);
	return held;
}

int64_t store_reserve_keep(store_t *s, int64_t bytes, int64_t chunk, int64_t margin)
{
	struct stat st;
	char *p;
	int fd;
	if (!s || bytes < 0 || chunk <= 0 || margin < 0)
		return -EINVAL;
	if (s->readonly)
		return -EROFS;
	if (!(p = reserve_path(s)))
		return -ENOMEM;
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(p);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int64_t held = (int64_t)st.st_size;
	bool grew = false;
	while (held < bytes) {
		int64_t step = bytes - held < chunk ? bytes - held : chunk;
		int64_t avail = disk_free(s);
		if (avail < 0 || avail < step + margin)
			break;
		if (posix_fallocate(fd, (off_t)held, (off_t)step) != 0) {
			/* nothing half-taken: back to the last whole size */
			if (ftruncate(fd, (off_t)held) < 0) {
				/* the size stays as it is; fstat below says what it holds */
			}
			break;
		}
		held += step;
		grew = true;
	}
	if (grew)
		(void)fsync(fd);
	if (fstat(fd, &st) == 0)
		held = (int64_t)st.st_size;
	close(fd);
	return held;
}

int64_t store_reserve_release(store_t *s, int64_t bytes)
{
	struct stat st;
	char *p;
	int fd;
	int64_t freed = 0;
	if (!s || s->readonly || bytes <= 0)
		return 0;
	int64_t avail = disk_free(s);
	if (avail >= 2 * bytes)
		return 0;   /* the disk has room: not what refused the write */
	if (!(p = reserve_path(s)))
		return 0;
	fd = open(p, O_RDWR | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		int64_t keep = (int64_t)st.st_size > bytes ? (int64_t)st.st_size - bytes : 0;
		if (ftruncate(fd, (off_t)keep) == 0) {
			/* the freed blocks are reusable once the file system
			 * committed the truncation (ext4 holds them until then) */
			(void)fsync(fd);
			freed = (int64_t)st.st_size - keep;
		}
	}
	close(fd);
	return freed;
}

