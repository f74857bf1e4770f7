/*
 * store_points.c - route points: buffered, committed by store_flush (store.h).
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

/* ---- route points ------------------------------------------------------ */

static struct route_point *pt_at(store_t *s, size_t i)
{
	return &s->pts[(s->pts_head + i) % s->pts_cap];
}

int store_add_point(store_t *s, const struct route_point *p)
{
	if (!s || !p)
		return -EINVAL;
	int rc = st_check_rw(s, "adding a route point");
	if (rc < 0)
		return rc;
	if (!st_valid_latlon(p->lat, p->lon))
		return st_seterr(s, -EINVAL, "%s: route point with invalid position %g,%g",
			      s->path, p->lat, p->lon);
	if (s->pts_n == s->pts_cap) {
		if (s->pts_cap < STORE_POINTS_CAP) {
			size_t cap = s->pts_cap ? s->pts_cap * 2 : 64;
			if (cap > STORE_POINTS_CAP)
				cap = STORE_POINTS_CAP;
			struct route_point *n = malloc(cap * sizeof(*n));
			if (!n)
				return st_seterr(s, -ENOMEM, "%s: buffering a route point: out of memory",
					      s->path);
			for (size_t i = 0; i < s->pts_n; i++)
				n[i] = *pt_at(s, i);
			free(s->pts);
			s->pts = n;
			s->pts_cap = cap;
			s->pts_head = 0;
		} else {
			s->pts_head = (s->pts_head + 1) % s->pts_cap;   /* drop the oldest */
			s->pts_n--;
			s->pts_dropped++;
		}
	}
	s->pts_n++;
	*pt_at(s, s->pts_n - 1) = *p;
	return 0;
}

int store_flush(store_t *s)
{
	static const char what[] = "storing route points";
	sqlite3_stmt *st = NULL;
	int rc;
	if (!s)
		return -EINVAL;
	if (s->pts_n == 0)
		return 0;
	if ((rc = st_check_rw(s, what)) < 0)
		return rc;
	if ((rc = st_tx_begin(s, true, what)) < 0)
		return rc;
	rc = st_hot(s, H_POINT_INSERT, &st, what);
	for (size_t i = 0; rc == 0 && i < s->pts_n; i++) {
		const struct route_point *p = pt_at(s, i);
		sqlite3_bind_int64(st, 1, p->session_id);
		sqlite3_bind_int64(st, 2, p->utc_ms);
		sqlite3_bind_int(st, 3, p->utc_src);
		sqlite3_bind_double(st, 4, p->lat);
		sqlite3_bind_double(st, 5, p->lon);
		st_bind_real_or_null(st, 6, p->alt);
		st_bind_real_or_null(st, 7, p->speed);
		st_bind_real_or_null(st, 8, p->track);
		st_bind_real_or_null(st, 9, p->eph);
		sqlite3_bind_int(st, 10, p->mode);
		if (p->sats >= 0)
			sqlite3_bind_int(st, 11, p->sats);
		else
			sqlite3_bind_null(st, 11);
		int src = sqlite3_step(st);
		if (src != SQLITE_DONE) {
			char w[96];
			snprintf(w, sizeof(w), "storing %zu route points", s->pts_n);
			rc = st_sqlerr(s, src, w);
		}
		sqlite3_reset(st);
	}
	if (st)
		st_hot_done(st);
	if (rc < 0) {
		st_tx_rollback(s, true);
		return rc;
	}
	if ((rc = st_tx_commit(s, true, what)) < 0)
		return rc;
	s->pts_n = 0;
	s->pts_head = 0;
	return 0;
}

size_t store_pending_points(store_t *s)
{
	return s ? s->pts_n : 0;
}

uint64_t store_points_dropped(store_t *s)
{
	return s ? s->pts_dropped : 0;
}

