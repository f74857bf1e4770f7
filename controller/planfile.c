/*
 * planfile.c - plan files: read, check, find by name.  See planfile.h.
 */
#include "planfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

void plan_errs_free(struct plan_errs *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	*e = (struct plan_errs){ 0 };
}

__attribute__((format(printf, 2, 3)))
static void add_err(struct plan_errs *e, const char *fmt, ...)
{
	if (!e)
		return;
	if (e->n >= PLANFILE_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 8;
		char **nv = realloc(e->v, nc * sizeof(*nv));
		if (!nv) {
			e->dropped++;
			return;
		}
		e->v = nv;
		e->cap = nc;
	}
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&e->v[e->n], fmt, ap);
	va_end(ap);
	if (r < 0)
		e->dropped++;
	else
		e->n++;
}

struct ctx {
	const char *path;
	struct plan_errs *errs;
};

static void on_err(void *c, const char *key, const char *msg)
{
	struct ctx *x = c;
	if (*key)
		add_err(x->errs, "%s: %s: %s", x->path, key, msg);
	else
		add_err(x->errs, "%s: %s", x->path, msg);
}

/* The plan's name: the file's base name without ".json". */
static void name_of(const char *path, char *buf, size_t n)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t len = strlen(b);
	if (len > 5 && strcmp(b + len - 5, ".json") == 0)
		len -= 5;
	if (len >= n)
		len = n - 1;
	memcpy(buf, b, len);
	buf[len] = '\0';
}

/* The whole file into a new buffer.  0 or -errno (message appended). */
static int slurp(const char *path, char **buf, size_t *len, struct plan_errs *errs)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat sb;
	char *b = NULL;
	int r;
	if (fd < 0) {
		r = -errno;
		add_err(errs, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		add_err(errs, "%s: cannot stat: %s", path, strerror(-r));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		r = -EINVAL;
		add_err(errs, "%s: not a regular file", path);
		goto fail;
	}
	if (sb.st_size > PLANFILE_MAX_BYTES) {
		r = -EFBIG;
		add_err(errs, "%s: too large (%lld bytes; at most %d)", path, (long long)sb.st_size,
			PLANFILE_MAX_BYTES);
		goto fail;
	}
	b = malloc((size_t)sb.st_size + 1);
	if (!b) {
		r = -ENOMEM;
		goto fail;
	}
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t k = read(fd, b + got, (size_t)sb.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			add_err(errs, "%s: cannot read: %s", path, strerror(-r));
			goto fail;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
fail:
	free(b);
	close(fd);
	return r;
}

int planfile_load(const char *path, struct plan_def *out, struct plan_errs *errs)
{
	char name[PLAN_NAME_MAX + 8], *buf = NULL;
	size_t len = 0;
	int r = slurp(path, &buf, &len, errs);
	if (r < 0)
		return r;
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!j) {
		if (je.line > 0)
			add_err(errs, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		else
			add_err(errs, "%s: %s", path, je.text);
		return -EINVAL;
	}
	name_of(path, name, sizeof(name));
	struct plan_def *d = malloc(sizeof(*d));
	if (!d) {
		json_decref(j);
		return -ENOMEM;
	}
	struct ctx c = { path, errs };
	if (!plan_name_valid(name)) {
		add_err(errs, "%s: the file name must be NAME.json, NAME 1-%d of A-Z a-z 0-9 _ - "
			"(the plan's name)", path, PLAN_NAME_MAX - 1);
		/* go on: report the content's problems as well */
		plan_def_from_json(j, "x", d, on_err, &c);
		r = -EINVAL;
	} else {
		r = plan_def_from_json(j, name, d, on_err, &c);
		if (r > 0)
			r = -EINVAL;
	}
	json_decref(j);
	if (r == 0)
		*out = *d;
	free(d);
	return r;
}

int planfile_path(const char *dir, const char *name, char *buf, size_t n)
{
	if (!plan_name_valid(name))
		return -EINVAL;
	int k = snprintf(buf, n, "%s/%s.json", dir && *dir ? dir : ".", name);
	if (k < 0 || (size_t)k >= n)
		return -ENAMETOOLONG;
	return 0;
}

int planfile_load_named(const char *dir, const char *name, struct plan_def *out,
			struct plan_errs *errs)
{
	char path[4096];
	int r = planfile_path(dir, name, path, sizeof(path));
	if (r == -EINVAL) {
		add_err(errs, "plan \"%s\": not a plan name (1-%d of A-Z a-z 0-9 _ -)",
			name ? name : "", PLAN_NAME_MAX - 1);
		return r;
	}
	if (r < 0) {
		add_err(errs, "plan \"%s\": path too long", name);
		return r;
	}
	return planfile_load(path, out, errs);
}

int planfile_utc_offset_s(int64_t utc_ms)
{
	time_t t = (time_t)(utc_ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return 0;
	return (int)tm.tm_gmtoff;
}

#define TZ_BEFORE_S (12 * 3600LL)   /* a plan's start: up to 12 h before the session start */
#define TZ_AFTER_S (36 * 3600LL)    /* ... its end: up to 12 + 24 h after it */

/* The first second in (lo, hi] whose offset is not off (at hi it is not):
 * a binary search by the second, about 18 calls of localtime_r for 48 h. */
static int64_t tz_change_s(int64_t lo, int64_t hi, int off)
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (planfile_utc_offset_s(mid * 1000) == off)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

struct plan_tz planfile_tz(int64_t utc_ms)
{
	int64_t now = utc_ms / 1000;
	int64_t from = now - TZ_BEFORE_S, to = now + TZ_AFTER_S;
	int off_from = planfile_utc_offset_s(from * 1000), off_now = planfile_utc_offset_s(utc_ms);
	int off_to = planfile_utc_offset_s(to * 1000);
	struct plan_tz tz = plan_tz_fixed(off_now);
	/* at most one change is looked for: the latest rules change the clocks
	 * twice a year at most; one in the last 12 h is searched first */
	if (off_from != off_now) {
		tz.off_s = off_from;
		tz.change_utc_ms = tz_change_s(from, now, off_from) * 1000;
		tz.off_after_s = off_now;
	} else if (off_to != off_now) {
		tz.change_utc_ms = tz_change_s(now, to, off_now) * 1000;
		tz.off_after_s = off_to;
	}
	return tz;
}
