/*
 * store_sessions.c - sessions, stops and the retention purge (store.h).
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

/* ---- sessions and stops ------------------------------------------------ */

int store_session_upsert(store_t *s, const struct store_session *ss)
{
	static const char what[] = "storing a session";
	sqlite3_stmt *st;
	if (!s || !ss)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	if (ss->id <= 0)
		return st_seterr(s, -EINVAL, "%s: %s: needs an id > 0", s->path, what);
	if (!st_valid_json_object(ss->summary_json))
		return st_seterr(s, -EINVAL, "%s: %s %" PRId64 ": summary is not a JSON object",
			      s->path, what, ss->id);
	if ((rc = st_tx_begin(s, true, what)) < 0)
		return rc;
	rc = st_prep(s, &st, "INSERT INTO sessions(id, started_utc_ms, ended_utc_ms, "
		  "planned_end_utc_ms, crew, lone, plan, summary) VALUES (?,?,?,?,?,?,?,?) "
		  "ON CONFLICT(id) DO UPDATE SET started_utc_ms = excluded.started_utc_ms, "
		  "ended_utc_ms = excluded.ended_utc_ms, "
		  "planned_end_utc_ms = excluded.planned_end_utc_ms, crew = excluded.crew, "
		  "lone = excluded.lone, plan = excluded.plan, summary = excluded.summary", what);
	if (rc < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, ss->id);
	sqlite3_bind_int64(st, 2, ss->started_utc_ms);
	sqlite3_bind_int64(st, 3, ss->ended_utc_ms);
	sqlite3_bind_int64(st, 4, ss->planned_end_utc_ms);
	sqlite3_bind_int(st, 5, ss->crew);
	sqlite3_bind_int(st, 6, ss->lone);
	st_bind_text_or_null(st, 7, ss->plan);
	st_bind_text_or_null(st, 8, ss->summary_json);
	if ((rc = st_run(s, st, what)) < 0)
		goto fail;
	return st_tx_commit(s, true, what);
fail:
	st_tx_rollback(s, true);
	return rc;
}

static void bind_stop(sqlite3_stmt *st, const struct store_stop *sp)
{
	sqlite3_bind_int64(st, 1, sp->session_id);
	sqlite3_bind_int64(st, 2, sp->arrived_utc_ms);
	sqlite3_bind_int64(st, 3, sp->departed_utc_ms);
	if (st_valid_latlon(sp->lat, sp->lon)) {
		sqlite3_bind_double(st, 4, sp->lat);
		sqlite3_bind_double(st, 5, sp->lon);
	} else {
		sqlite3_bind_null(st, 4);
		sqlite3_bind_null(st, 5);
	}
	st_bind_text_or_null(st, 6, sp->name);
	sqlite3_bind_int(st, 7, sp->entries);
	sqlite3_bind_int(st, 8, sp->peak);
	sqlite3_bind_int(st, 9, sp->door_openings);
}

/* One durable statement in a transaction (so it is fsync'ed). */
static int run_durable(store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = st_tx_begin(s, true, what);
	if (rc < 0) {
		sqlite3_finalize(st);
		return rc;
	}
	if ((rc = st_run(s, st, what)) < 0) {
		st_tx_rollback(s, true);
		return rc;
	}
	return st_tx_commit(s, true, what);
}

int64_t store_stop_add(store_t *s, const struct store_stop *sp)
{
	static const char what[] = "storing a stop";
	sqlite3_stmt *st;
	if (!s || !sp)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	rc = st_prep(s, &st, "INSERT INTO stops(session_id, arrived_utc_ms, departed_utc_ms, lat, lon, "
		  "name, entries, peak, door_openings) VALUES (?,?,?,?,?,?,?,?,?)", what);
	if (rc < 0)
		return rc;
	bind_stop(st, sp);
	if ((rc = run_durable(s, st, what)) < 0)
		return rc;
	return sqlite3_last_insert_rowid(s->db);
}

int store_stop_update(store_t *s, int64_t id, const struct store_stop *sp)
{
	static const char what[] = "updating a stop";
	sqlite3_stmt *st;
	if (!s || !sp)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	/* a stop belongs to the session it started in, and keeps a name once
	 * known: the crew may end the session (or the plan) before the van
	 * leaves, and the departure must not file the stop under no session */
	rc = st_prep(s, &st, "UPDATE stops SET session_id = CASE WHEN ?1 <> 0 THEN ?1 ELSE session_id END, "
		  "arrived_utc_ms = ?2, departed_utc_ms = ?3, lat = ?4, lon = ?5, name = COALESCE(?6, name), "
		  "entries = ?7, peak = ?8, door_openings = ?9 WHERE id = ?10", what);
	if (rc < 0)
		return rc;
	bind_stop(st, sp);
	sqlite3_bind_int64(st, 10, id);
	if ((rc = run_durable(s, st, what)) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return st_seterr(s, -ENOENT, "%s: %s: no stop %" PRId64, s->path, what, id);
	return 0;
}

/* ---- retention --------------------------------------------------------- */

static int purge_step(store_t *s, const char *sql, int64_t cutoff, int64_t *count,
		      bool changes, const char *what)
{
	sqlite3_stmt *st;
	int rc = st_prep(s, &st, sql, what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, cutoff);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && !changes) {
		*count = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		*count = changes ? sqlite3_changes(s->db) : 0;
		rc = 0;
	} else {
		rc = st_sqlerr(s, rc, what);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_purge(store_t *s, int days, int64_t now_utc_ms, struct store_purge_result *r)
{
	static const char what[] = "purging old records";
	struct store_purge_result res = { 0 };
	int64_t res_kv = 0;
	if (!s)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	if (days < 1)
		return st_seterr(s, -EINVAL, "%s: %s: retention must be at least 1 day", s->path, what);
	int64_t cutoff = now_utc_ms - (int64_t)days * 86400000;

	if ((rc = st_tx_begin(s, false, what)) < 0)
		return rc;
	if ((rc = purge_step(s, "SELECT count(DISTINCT session_id) FROM route_points "
			     "WHERE utc_ms < ?1 AND session_id <> 0", cutoff, &res.sessions,
			     false, what)) < 0 ||
	    (rc = purge_step(s, "DELETE FROM route_points WHERE utc_ms < ?1", cutoff,
			     &res.points, true, what)) < 0 ||
	    (rc = purge_step(s, "UPDATE stops SET lat = NULL, lon = NULL WHERE arrived_utc_ms < ?1 "
			     "AND (lat IS NOT NULL OR lon IS NOT NULL)", cutoff, &res.stops,
			     true, what)) < 0 ||
	    (rc = purge_step(s, "UPDATE events SET lat = NULL, lon = NULL, payload = NULL, "
			     "data = CASE WHEN incident <> 0 THEN data ELSE '{}' END "
			     "WHERE utc_ms < ?1 AND (lat IS NOT NULL OR lon IS NOT NULL OR "
			     "payload IS NOT NULL OR (incident = 0 AND data <> '{}'))", cutoff,
			     &res.events, true, what)) < 0 ||
	    (rc = purge_step(s, "DELETE FROM outbox WHERE created_utc_ms < ?1", cutoff,
			     &res.outbox, true, what)) < 0 ||
	    (rc = purge_step(s, "INSERT INTO kv(key, value) VALUES ('" STORE_KV_PURGE_CUTOFF "', "
			     "CAST(?1 AS TEXT)) ON CONFLICT(key) DO UPDATE SET value = "
			     "CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
			     cutoff, &res_kv, true, what)) < 0) {
		st_tx_rollback(s, false);
		return rc;
	}
	if ((rc = st_tx_commit(s, false, what)) < 0)
		return rc;
	if (res.outbox)
		st_outbox_forget(s);
	/* Best effort: give free pages back and push the change out of the
	 * WAL (it holds old page images until a checkpoint rewrites them). */
	sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (r)
		*r = res;
	return 0;
}

