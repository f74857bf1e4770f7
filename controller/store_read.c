/*
 * store_read.c - the reads the review makes: points, sessions, stops, events (store.h).
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

/* ---- reading ----------------------------------------------------------- */

/* Step st to the end, calling row(st) per row; finalizes st. */
static int iterate(store_t *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *), void *arg,
		   const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = row(st, arg);
		if (r != 0) {
			sqlite3_finalize(st);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : st_sqlerr(s, rc, what);
	sqlite3_finalize(st);
	return rc;
}

struct cb_point { store_point_fn fn; void *ctx; };

static int row_point(sqlite3_stmt *st, void *arg)
{
	struct cb_point *c = arg;
	struct route_point p = {
		.session_id = sqlite3_column_int64(st, 0),
		.utc_ms = sqlite3_column_int64(st, 1),
		.utc_src = sqlite3_column_int(st, 2),
		.lat = sqlite3_column_double(st, 3),
		.lon = sqlite3_column_double(st, 4),
		.alt = st_column_real_or_nan(st, 5),
		.speed = st_column_real_or_nan(st, 6),
		.track = st_column_real_or_nan(st, 7),
		.eph = st_column_real_or_nan(st, 8),
		.mode = sqlite3_column_int(st, 9),
		.sats = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10),
	};
	return c->fn(c->ctx, &p);
}

int store_points_foreach(store_t *s, int64_t session_id, int64_t from_utc_ms, int64_t to_utc_ms,
			 store_point_fn fn, void *ctx)
{
	static const char what[] = "reading route points";
	struct cb_point c = { fn, ctx };
	sqlite3_stmt *st;
	if (!s || !fn)
		return -EINVAL;
	int rc = st_prep(s, &st, session_id >= 0
		      ? "SELECT session_id, utc_ms, utc_src, lat, lon, alt, speed, track, eph, mode, "
			"sats FROM route_points WHERE session_id = ?3 AND utc_ms >= ?1 AND "
			"utc_ms < ?2 ORDER BY utc_ms, id"
		      : "SELECT session_id, utc_ms, utc_src, lat, lon, alt, speed, track, eph, mode, "
			"sats FROM route_points WHERE utc_ms >= ?1 AND utc_ms < ?2 "
			"ORDER BY utc_ms, id", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, from_utc_ms);
	sqlite3_bind_int64(st, 2, to_utc_ms);
	if (session_id >= 0)
		sqlite3_bind_int64(st, 3, session_id);
	return iterate(s, st, row_point, &c, what);
}

#define SESSION_COLUMNS "id, started_utc_ms, ended_utc_ms, planned_end_utc_ms, crew, lone, " \
	"plan, summary"

static void session_from_row(sqlite3_stmt *st, struct store_session *ss)
{
	ss->id = sqlite3_column_int64(st, 0);
	ss->started_utc_ms = sqlite3_column_int64(st, 1);
	ss->ended_utc_ms = sqlite3_column_int64(st, 2);
	ss->planned_end_utc_ms = sqlite3_column_int64(st, 3);
	ss->crew = sqlite3_column_int(st, 4);
	ss->lone = sqlite3_column_int(st, 5) != 0;
	ss->plan = (const char *)sqlite3_column_text(st, 6);
	ss->summary_json = (const char *)sqlite3_column_text(st, 7);
}

struct cb_session { store_session_fn fn; void *ctx; };

static int row_session(sqlite3_stmt *st, void *arg)
{
	struct cb_session *c = arg;
	struct store_session ss;
	session_from_row(st, &ss);
	return c->fn(c->ctx, &ss);
}

int store_sessions_foreach(store_t *s, int64_t from_utc_ms, int64_t to_utc_ms,
			   store_session_fn fn, void *ctx)
{
	static const char what[] = "reading sessions";
	struct cb_session c = { fn, ctx };
	sqlite3_stmt *st;
	if (!s || !fn)
		return -EINVAL;
	int rc = st_prep(s, &st, "SELECT " SESSION_COLUMNS " FROM sessions WHERE started_utc_ms >= ?1 "
		      "AND started_utc_ms < ?2 ORDER BY started_utc_ms, id", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, from_utc_ms);
	sqlite3_bind_int64(st, 2, to_utc_ms);
	return iterate(s, st, row_session, &c, what);
}

int store_session_get(store_t *s, int64_t id, struct store_session *out, char **buf)
{
	static const char what[] = "reading a session";
	sqlite3_stmt *st;
	if (!s || !out || !buf)
		return -EINVAL;
	int rc = st_prep(s, &st, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct store_session ss;
		session_from_row(st, &ss);
		size_t lp = ss.plan ? strlen(ss.plan) + 1 : 0;
		size_t ls = ss.summary_json ? strlen(ss.summary_json) + 1 : 0;
		char *b = malloc(lp + ls + 1);
		if (!b) {
			rc = st_seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
		} else {
			if (lp)
				ss.plan = memcpy(b, ss.plan, lp);
			if (ls)
				ss.summary_json = memcpy(b + lp, ss.summary_json, ls);
			*out = ss;
			*buf = b;
			rc = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = st_seterr(s, -ENOENT, "%s: no session %" PRId64, s->path, id);
	} else {
		rc = st_sqlerr(s, rc, what);
	}
	sqlite3_finalize(st);
	return rc;
}

struct cb_stop { store_stop_fn fn; void *ctx; };

static int row_stop(sqlite3_stmt *st, void *arg)
{
	struct cb_stop *c = arg;
	struct store_stop sp = {
		.session_id = sqlite3_column_int64(st, 1),
		.arrived_utc_ms = sqlite3_column_int64(st, 2),
		.departed_utc_ms = sqlite3_column_int64(st, 3),
		.lat = st_column_real_or_nan(st, 4),
		.lon = st_column_real_or_nan(st, 5),
		.name = (const char *)sqlite3_column_text(st, 6),
		.entries = sqlite3_column_int(st, 7),
		.peak = sqlite3_column_int(st, 8),
		.door_openings = sqlite3_column_int(st, 9),
	};
	return c->fn(c->ctx, sqlite3_column_int64(st, 0), &sp);
}

int store_stops_foreach(store_t *s, int64_t session_id, int64_t from_utc_ms, int64_t to_utc_ms,
			store_stop_fn fn, void *ctx)
{
	static const char what[] = "reading stops";
	struct cb_stop c = { fn, ctx };
	sqlite3_stmt *st;
	if (!s || !fn)
		return -EINVAL;
	int rc = st_prep(s, &st, "SELECT id, session_id, arrived_utc_ms, departed_utc_ms, lat, lon, "
		      "name, entries, peak, door_openings FROM stops WHERE (?3 < 0 OR session_id = ?3) "
		      "AND arrived_utc_ms >= ?1 AND arrived_utc_ms < ?2 ORDER BY arrived_utc_ms, id",
		      what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, from_utc_ms);
	sqlite3_bind_int64(st, 2, to_utc_ms);
	sqlite3_bind_int64(st, 3, session_id);
	return iterate(s, st, row_stop, &c, what);
}

struct cb_event { store_event_fn fn; void *ctx; };

static int row_event(sqlite3_stmt *st, void *arg)
{
	struct cb_event *c = arg;
	struct stored_event e = {
		.seq = sqlite3_column_int64(st, 1),
		.utc_ms = sqlite3_column_int64(st, 2),
		.utc_src = sqlite3_column_int(st, 3),
		.type = (const char *)sqlite3_column_text(st, 4),
		.prio = sqlite3_column_int(st, 5),
		.session_id = sqlite3_column_int64(st, 6),
		.has_pos = sqlite3_column_type(st, 7) != SQLITE_NULL &&
			   sqlite3_column_type(st, 8) != SQLITE_NULL,
		.lat = st_column_real_or_nan(st, 7),
		.lon = st_column_real_or_nan(st, 8),
		.data_json = (const char *)sqlite3_column_text(st, 9),
		.incident = sqlite3_column_int(st, 10) != 0,
		.category = (const char *)sqlite3_column_text(st, 11),
	};
	return c->fn(c->ctx, sqlite3_column_int64(st, 0), &e,
		     (const char *)sqlite3_column_text(st, 12));
}

int store_events_foreach(store_t *s, const struct store_event_filter *f, store_event_fn fn,
			 void *ctx)
{
	static const char what[] = "reading events";
	struct cb_event c = { fn, ctx };
	sqlite3_stmt *st;
	if (!s || !f || !fn)
		return -EINVAL;
	int rc = st_prep(s, &st, "SELECT id, seq, utc_ms, utc_src, type, prio, session_id, lat, lon, "
		      "data, incident, category, payload FROM events "
		      "WHERE utc_ms >= ?1 AND utc_ms < ?2 AND (?3 < 0 OR session_id = ?3) "
		      "AND (?4 = 0 OR incident <> 0) AND (?5 IS NULL OR type = ?5) "
		      "AND (?6 IS NULL OR category = ?6) ORDER BY seq", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, f->from_utc_ms);
	sqlite3_bind_int64(st, 2, f->to_utc_ms);
	sqlite3_bind_int64(st, 3, f->session_id);
	sqlite3_bind_int(st, 4, f->incidents_only);
	st_bind_text_or_null(st, 5, f->type);
	st_bind_text_or_null(st, 6, f->category);
	return iterate(s, st, row_event, &c, what);
}

