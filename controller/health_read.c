/*
 * health_read.c - see health_read.h.
 */
#include "health_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file's first line, trimmed.  1 read, 0 absent, -1 error (err set). */
static int read_line(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 1;
}

int health_read(const char *throttled_file, const char *temp_file, struct health_reading *r, char *err,
		size_t errlen)
{
	char buf[64], *end;
	int rc = 0, got;

	*r = (struct health_reading){ 0 };
	if (throttled_file && (got = read_line(throttled_file, buf, sizeof(buf), err, errlen)) != 0) {
		/* "0x50005" (vcgencmd) or "50005" (the sysfs file): hexadecimal */
		errno = 0;
		unsigned long v = got > 0 ? strtoul(buf, &end, 16) : 0;
		if (got > 0 && (errno || end == buf || *end || v > 0xffffffffUL)) {
			snprintf(err, errlen, "%s: not throttling flags (hexadecimal): '%.32s'", throttled_file, buf);
			got = -1;
		}
		if (got > 0) {
			r->have_flags = true;
			r->flags = (uint32_t)v;
		} else {
			rc = -1;
		}
	}
	char e2[256] = "";
	if (temp_file && (got = read_line(temp_file, buf, sizeof(buf), e2, sizeof(e2))) != 0) {
		errno = 0;
		long v = got > 0 ? strtol(buf, &end, 10) : 0;
		if (got > 0 && (errno || end == buf || *end || v < -100000 || v > 200000)) {
			snprintf(e2, sizeof(e2), "%s: not a temperature in millidegrees Celsius: '%.32s'", temp_file, buf);
			got = -1;
		}
		if (got > 0) {
			r->have_temp = true;
			r->temp_c = (double)v / 1000.0;
		} else {
			if (!rc)   /* the first problem is the one told */
				snprintf(err, errlen, "%s", e2);
			rc = -1;
		}
	}
	return rc;
}
