/*
 * store.h - SQLite storage shared by the daemon (vanctld) and the CLI (vanctl).
 *
 * One database file holds the route (points), the derived records for the
 * manager's review (sessions, stops), the event log (with the payload that was
 * published for each event, so base can ask for a replay), the outbox of
 * everything meant for base, a per-unit sequence counter and a small
 * key-value table for the daemon's saved state.  The schema, units,
 * retention and the confidentiality rule are in docs/schema.md.
 *
 * No service-user identities anywhere: counts only.
 *
 * Conventions:
 *  - Errors are values: 0 (or a count/id >= 0) on success, a negative errno
 *    on failure (-ENOSPC disk full, -EIO I/O error or corruption, -EBUSY
 *    locked by another process, -EROFS store opened read-only, -EINVAL bad
 *    argument or not a vanctld database, -EPROTO schema version this build
 *    cannot use, -ENOENT missing file or key, -EEXIST duplicate sequence
 *    number, -ENOMEM).  store_errmsg() then says what failed and where
 *    (file path, SQLite's own message).
 *  - A failed call leaves the database as it was: every change is one
 *    transaction, rolled back on error.  Nothing aborts.
 *  - Strings passed in are copied; strings handed out are owned by the
 *    caller (free()) unless said otherwise.
 *  - Times are UTC milliseconds since the epoch (int64); utc_src says which
 *    clock they came from (enum utc_src in core/vtime.h).  The store never
 *    reads a clock.
 *  - One handle is used by one thread.
 */
#ifndef VAN_STORE_H
#define VAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* What this build migrates to.  History in docs/schema.md. */
#define STORE_SCHEMA_VERSION 3
/* PRAGMA application_id of a vanctld database ("VANC"). */
#define STORE_APPLICATION_ID 0x56414E43
/* Route points buffered before the oldest are dropped (flush keeps failing). */
#define STORE_POINTS_CAP 32768
/* Priority of outbox entries re-queued by store_replay_from(): below live
 * traffic (0 normal, 1 urgent, 2 emergency, as enum ev_prio). */
#define STORE_PRIO_REPLAY (-1)

/*
 * Open the database at path.
 *
 * Read-write (the daemon): creates the file with mode 0600 if it is missing
 * (never creates parent directories); takes away world permissions from an
 * existing file (and its -wal/-shm); refuses a file that is not a vanctld
 * database (-EINVAL) or has a newer schema (-EPROTO); sets WAL mode,
 * synchronous=NORMAL, busy_timeout, foreign keys, secure_delete, a
 * persistent WAL (see docs/schema.md, "Concurrency"), a 512 KiB page cache,
 * and runs the migrations up to STORE_SCHEMA_VERSION, each in its own
 * transaction.  A new database gets 1 KiB pages (fewer bytes written per
 * commit); an existing one keeps its page size.
 *
 * Read-only (vanctl's reports): never creates or changes anything.  A
 * missing file is -ENOENT; a file that is not a vanctld database is -EINVAL
 * ("not a vanctld database"); a schema other than STORE_SCHEMA_VERSION is
 * -EPROTO (newer: upgrade vanctl; older: vanctld migrates it when it next
 * starts).
 *
 * Returns the handle (close with store_close), or NULL with errno set to
 * the code above and the reason in err (if not NULL): the project's
 * constructor convention (docs/architecture.md).
 */
store_t *store_open(const char *path, bool readonly, char *err, size_t errlen);
/* Flush buffered points (errors ignored: call store_flush first to see
 * them), close.  Accepts NULL. */
void store_close(store_t *s);
/* The last error on this handle: what, the file, SQLite's message.
 * Never NULL; "" before any error.  Valid until the next call. */
const char *store_errmsg(store_t *s);
/* NULL while the disk takes our writes; else why the last write failed (a
 * full disk, an I/O error), until a write succeeds again.  A read-write
 * open on a disk that cannot take the start-up writes (checking the
 * counters, the -shm index) still succeeds, with this set: the daemon runs
 * on, keeping in memory and sending directly what it cannot store. */
const char *store_fault(store_t *s);
/* Opened with exclusive locking (no -shm could be made): readers (vanctl)
 * cannot open the database until this handle closes. */
bool store_exclusive(store_t *s);
/* Schema version of the open database (== STORE_SCHEMA_VERSION). */
int store_schema_version(store_t *s);
/* The path given to store_open (owned by the store). */
const char *store_path(store_t *s);
/* The SQL that migrates a database from version - 1 to version (version 1:
 * the initial schema), or NULL.  For tests and docs; frozen once released. */
const char *store_migration_sql(int version);
/* Cap the database size (PRAGMA max_page_count, rounded up to whole pages),
 * so a full database does not fill the SD card under the OS; 0 = no cap
 * beyond SQLite's own.  Writes beyond it fail with -ENOSPC like a full disk.
 * Not persistent: set after each open. */
int store_set_max_size(store_t *s, int64_t bytes);

/*
 * The emergency reserve: a file beside the database (PATH-reserve, mode
 * 0600) holding disk space that only an emergency may use, so a full disk
 * cannot keep an emergency from being stored (and so from being known after
 * a restart and sent to base in order).  The daemon only; never vanctl.
 *
 * store_reserve_keep: grow the file towards bytes, one chunk at a time (the
 * space is allocated, not sparse), while the disk keeps at least margin
 * bytes free beside it; never shrinks it.  Returns the bytes the reserve
 * holds now (>= 0), or <0 (-EROFS read-only, -EINVAL).
 *
 * store_reserve_release: when the disk is (nearly) full - less than two
 * chunks free - give back up to bytes of the reserve to the file system
 * (truncate + fsync), so that the caller can retry a write that failed
 * with -ENOSPC.  Returns the bytes freed: 0 when the reserve is empty or
 * the disk is not full (a write refused by the size cap, not the disk).
 *
 * store_reserve_held: the bytes the reserve holds (0 without one).
 */
int64_t store_reserve_keep(store_t *s, int64_t bytes, int64_t chunk, int64_t margin);
int64_t store_reserve_release(store_t *s, int64_t bytes);
int64_t store_reserve_held(store_t *s);

/*
 * Route points: buffered in memory, committed in one (durable) transaction
 * by store_flush().  lat/lon in degrees (WGS84), alt m, speed m/s, track
 * degrees true, eph m (NaN = unknown, stored as NULL); mode 2 = 2D, 3 = 3D;
 * sats < 0 = unknown; utc_src as enum utc_src.  session_id 0 = outside a
 * session.
 */
struct route_point {
	int64_t utc_ms;
	int64_t session_id;
	double lat, lon, alt, speed, track, eph;
	int mode;
	int sats;
	int utc_src;
};
/* Buffer a point.  -EINVAL (not buffered) if lat/lon are not finite or out
 * of range; -EROFS on a read-only store.  Beyond STORE_POINTS_CAP buffered
 * points the oldest is dropped and counted (store_points_dropped). */
int store_add_point(store_t *s, const struct route_point *p);
/* Commit all buffered points in one transaction.  Returns 0 (buffer empty)
 * or <0: then nothing was written and the buffer is kept for a retry. */
int store_flush(store_t *s);
size_t store_pending_points(store_t *s);
/* Points dropped from the buffer since open (the cap was reached). */
uint64_t store_points_dropped(store_t *s);

/*
 * Events: stored at once, together with their outbox message, in ONE durable
 * transaction: an event that is stored is also queued for base.
 * seq > 0 (from store_next_seq), unique.  type non-empty.  data_json: a JSON
 * object with the type-specific fields (NULL = "{}"); keep positions in
 * lat/lon (has_pos), not in data.  incident: the event is in the incident
 * log, under category (may be NULL).  Crew notes are free text: no names.
 * topic NULL = store the event without queueing it (MQTT off); payload is
 * the exact message published, kept for replays (may be NULL with topic NULL).
 * Returns the event's row id (> 0), or <0 (-EEXIST: seq already stored);
 * *outbox_id (if not NULL) is then its outbox row (0 without a topic), so a
 * caller can follow that message to base's confirmation.
 */
struct stored_event {
	int64_t seq;
	int64_t utc_ms;
	int utc_src;
	const char *type;
	int prio;
	int64_t session_id;
	bool has_pos;
	double lat, lon;
	const char *data_json;  /* type-specific fields */
	bool incident;
	const char *category;
};
int64_t store_add_event(store_t *s, const struct stored_event *e,
			const char *topic, const char *payload, int qos, bool retain, int64_t *outbox_id);

/*
 * Outbox: everything meant for base goes here first.  Send order: prio DESC
 * (emergencies jump the queue), then id ASC (FIFO).  Ids are never reused,
 * even after deletes.
 */
enum store_outbox_kind {
	STORE_OUTBOX_EVENT = 0,     /* an event (seq set), added by store_add_event */
	STORE_OUTBOX_LOCATION = 1,  /* location stream: may be thinned */
	STORE_OUTBOX_STATE = 2,     /* state snapshot */
	STORE_OUTBOX_REPLY = 3,     /* reply to a command from base */
	STORE_OUTBOX_DISCOVERY = 4, /* adapter configuration (Home Assistant) */
	STORE_OUTBOX_OTHER = 5,
};
struct outbox_msg {
	int64_t id;
	int prio;
	char *topic;     /* owned: free with store_outbox_msg_free */
	char *payload;   /* owned */
	int qos;
	bool retain;
	int64_t seq;     /* 0 = none */
	int64_t created_utc_ms;
	int kind;        /* enum store_outbox_kind */
};
/* Queue a message.  topic non-empty, payload not NULL, qos 0..2.
 * Returns its id (> 0) or <0. */
int64_t store_outbox_add(store_t *s, int kind, int prio, const char *topic, const char *payload,
			 int qos, bool retain, int64_t seq, int64_t created_utc_ms);
/* Queue a message that supersedes every queued message of the same kind and
 * topic (e.g. retained state snapshots, where only the newest matters), in
 * one transaction.  Returns the new id (> 0) or <0. */
int64_t store_outbox_replace(store_t *s, int kind, int prio, const char *topic, const char *payload,
			     int qos, bool retain, int64_t seq, int64_t created_utc_ms);
/* Queue *m (its id is ignored): store_outbox_replace with supersede, else
 * store_outbox_add.  Returns the new id (> 0) or <0. */
int64_t store_outbox_queue(store_t *s, const struct outbox_msg *m, bool supersede);
/* Fill out[0..] with up to max messages in send order, skipping the ids in
 * inflight_ids[0..ninflight) (may be NULL when ninflight is 0).  Returns the
 * count (0 = nothing to send) or <0 (nothing to free then).  The caller
 * frees each returned message with store_outbox_msg_free. */
int store_outbox_peek(store_t *s, struct outbox_msg *out, size_t max,
		      const int64_t *inflight_ids, size_t ninflight);
/* Free the strings of *m (not m itself) and clear them.  Accepts NULL. */
void store_outbox_msg_free(struct outbox_msg *m);
/* Remove a sent message.  0 also when it is no longer there (thinned or
 * purged meanwhile); <0 on error. */
int store_outbox_delete(store_t *s, int64_t id);
/* Remove n sent messages (ids[0..n), e.g. the acknowledgements of one loop
 * iteration) in ONE transaction, not fsync'ed: a power cut may bring them
 * back, and a message delivered twice is harmless (base drops duplicates by
 * seq).  Ids no longer there are skipped.  Returns how many were removed
 * (0 for n == 0) or <0: then none was. */
int store_outbox_delete_many(store_t *s, const int64_t *ids, size_t n);
/* Queue length and created time of the oldest queued message (0 when
 * empty).  Either pointer may be NULL. */
int store_outbox_stats(store_t *s, int64_t *count, int64_t *oldest_utc_ms);
/* Thin a backlog of one kind (meant for STORE_OUTBOX_LOCATION): per priority,
 * keep at most one message per keep_every_ms period of created time (the
 * newest in each), never touching other kinds.  Returns the number removed
 * or <0.  May remove an in-flight id: deleting it later is harmless. */
int store_outbox_thin(store_t *s, int kind, int64_t keep_every_ms);
/* Replay: re-queue the stored events with seq >= seq, with their stored
 * topic, payload and qos, at STORE_PRIO_REPLAY, not retained (history must
 * not overwrite a retained topic's current value), in seq order; events
 * already queued, stored without topic, or whose payload was purged are
 * skipped.  *requeued (may be NULL) = how many were queued. */
int store_replay_from(store_t *s, int64_t seq, int64_t *requeued);

/* Sequence numbers: one per-unit counter, persisted durably (survives
 * restarts and power cuts, never reused; a crash between taking a number
 * and storing its event leaves a gap).  Returns the next (>= 1) or <0. */
int64_t store_next_seq(store_t *s);  /* the next event's number: taken only when
				       * store_add_event stores an event with it,
				       * so numbers have no gaps, even across a crash */
/* Session ids, the same way (>= 1, never reused), or <0. */
int64_t store_next_session_id(store_t *s);

/* Key-value state (the core's saved state as JSON, last self-test, ...).
 * key non-empty, value not NULL. */
int store_kv_put(store_t *s, const char *key, const char *value);
/* *value = a copy of the value (caller frees); -ENOENT if absent. */
int store_kv_get(store_t *s, const char *key, char **value);
/* Remove a key; 0 also when it was absent. */
int store_kv_delete(store_t *s, const char *key);

/*
 * Sessions and stops: derived records for the manager's review, counts only.
 * Times 0 = not (yet) known: ended 0 = still running, departed 0 = still
 * there.  plan: the plan's name (NULL = none).  summary_json: a JSON object
 * with the debrief figures (NULL = none).
 */
struct store_session {
	int64_t id;
	int64_t started_utc_ms, ended_utc_ms, planned_end_utc_ms;
	int crew;
	bool lone;
	const char *plan;
	const char *summary_json;  /* debrief figures */
};
/* Insert or replace the session with ss->id (> 0).  Durable. */
int store_session_upsert(store_t *s, const struct store_session *ss);
/* lat/lon: the stop's place (NaN = unknown); name: the planned location's
 * label or NULL; entries: service users who came in; peak: highest
 * occupancy; door_openings: count. */
struct store_stop {
	int64_t session_id;
	int64_t arrived_utc_ms, departed_utc_ms;
	double lat, lon;
	const char *name;
	int entries, peak, door_openings;
};
/* Returns the stop's id (> 0) or <0.  Durable. */
int64_t store_stop_add(store_t *s, const struct store_stop *st);
/* Replace the stop with that id (e.g. at departure).  A session_id of 0 or a
 * NULL name keeps the stored one (a stop belongs to the session it started
 * in, even if the session ended before the van left).  -ENOENT if none. */
int store_stop_update(store_t *s, int64_t id, const struct store_stop *st);

/*
 * Retention: everything located or older than days (>= 1) before now_utc_ms:
 *  - route points: deleted                       (points; sessions = how
 *                                                  many sessions lost route)
 *  - stops: position (lat/lon) cleared, times and counts kept      (stops)
 *  - events: position, published payload, and data (except an incident's)
 *    cleared; seq, time, type, prio, session, incident/category kept (events)
 *  - outbox: undelivered messages deleted                          (outbox)
 *  - sessions: kept whole (times, crew, plan name, summary counts).
 * Then free pages are returned to the file system and the WAL is
 * checkpointed (best effort) so deleted detail does not linger in it.
 * Purge only with a trustworthy clock.  r may be NULL.
 */
struct store_purge_result {
	int64_t points, events, sessions, outbox;
	int64_t stops;
};
int store_purge(store_t *s, int days, int64_t now_utc_ms, struct store_purge_result *r);
/* kv key: the newest cutoff a purge has used (UTC ms, as text): records
 * before it may have lost their detail.  The review says "purged" only
 * where this reaches. */
#define STORE_KV_PURGE_CUTOFF "purge_cutoff_utc_ms"
/* The newest UTC this van recorded from a trusted clock (utc_src system
 * synced or GPS): the newest such event and route point, and the time saved
 * under kv "clock_lkg_utc_ms" at the last stop.  *utc_ms = 0 when there is
 * none.  Reads only the newest rows (by id): cheap on a large database. */
int store_newest_trusted_utc(store_t *s, int64_t *utc_ms);
/* Run PRAGMA integrity_check.  Returns 0 with *result = "ok" or the problems
 * found, one per line (caller frees); <0 if the check could not run. */
int store_integrity_check(store_t *s, char **result);

/*
 * Reading, for vanctl's reports and exports.  Each calls fn once per row in
 * time order (events: seq order); the pointers passed to fn are valid only
 * during the call.  fn returns 0 to go on, anything else to stop: that value
 * is returned.  Time ranges are [from_utc_ms, to_utc_ms); pass 0, INT64_MAX
 * for all.
 */
typedef int (*store_point_fn)(void *ctx, const struct route_point *p);
/* session_id < 0: all points. */
int store_points_foreach(store_t *s, int64_t session_id, int64_t from_utc_ms, int64_t to_utc_ms,
			 store_point_fn fn, void *ctx);
typedef int (*store_session_fn)(void *ctx, const struct store_session *ss);
/* Sessions started in the range. */
int store_sessions_foreach(store_t *s, int64_t from_utc_ms, int64_t to_utc_ms,
			   store_session_fn fn, void *ctx);
/* One session; strings in *out point into *buf (caller frees *buf). */
int store_session_get(store_t *s, int64_t id, struct store_session *out, char **buf);
typedef int (*store_stop_fn)(void *ctx, int64_t id, const struct store_stop *st);
/* session_id < 0: all stops; by arrival time. */
int store_stops_foreach(store_t *s, int64_t session_id, int64_t from_utc_ms, int64_t to_utc_ms,
			store_stop_fn fn, void *ctx);
struct store_event_filter {
	int64_t session_id;      /* < 0: any */
	int64_t from_utc_ms, to_utc_ms;
	bool incidents_only;
	const char *type;        /* NULL: any */
	const char *category;    /* NULL: any */
};
/* payload may be NULL (purged, or stored without one).  By seq. */
typedef int (*store_event_fn)(void *ctx, int64_t id, const struct stored_event *e,
			      const char *payload);
int store_events_foreach(store_t *s, const struct store_event_filter *f, store_event_fn fn,
			 void *ctx);

#endif
