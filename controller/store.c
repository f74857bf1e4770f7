/*
 * store.c - SQLite storage for vanctld and vanctl.  See store.h for the
 * contract and docs/schema.md for the schema.
 *
 * Every change is one transaction: BEGIN IMMEDIATE ... COMMIT, rolled back
 * on any error, so a full disk or an I/O error leaves the database as it
 * was.  The connection runs with synchronous=NORMAL (WAL: commits are not
 * fsync'ed, the file stays consistent after a power cut but the last
 * commits may be lost); the records that must survive a power cut (events
 * with their outbox message, sequence numbers, sessions, stops, route
 * points) are committed "durably": synchronous=FULL for that commit.
 *
 * The statements of the daemon's hot paths (route points, events, the
 * outbox, kv, transactions) are prepared once per handle, on first use, and
 * kept (enum hot); each use ends with hot_done() (reset, clear bindings), so
 * no statement holds a read transaction or a caller's string between calls.
 * The rest (reports, retention, sessions and stops) are prepared per call.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#define BUSY_TIMEOUT_RW_MS 2000   /* the daemon's loop waits at most this */
#define BUSY_TIMEOUT_RO_MS 5000
#define JOURNAL_SIZE_LIMIT (4 * 1024 * 1024)
#define STORE_PAGE_SIZE 1024      /* of new databases */
#define CACHE_SIZE_RW (-512)      /* the daemon's page cache: 512 KiB */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Statements kept prepared for the life of the handle (see hot()). */
enum hot {
	H_BEGIN,
	H_COMMIT,
	H_POINT_INSERT,
	H_EVENT_INSERT,
	H_SEQ_RAISE,
	H_OUTBOX_INSERT,
	H_OUTBOX_SUPERSEDE,
	H_OUTBOX_PEEK,
	H_OUTBOX_DELETE,
	H_OUTBOX_DELETE_MANY,
	H_OUTBOX_STATS,
	H_KV_PUT,
	H_KV_GET,
	H_DATA_VERSION,
	H_COUNT
};

static const char *const hot_sql[H_COUNT] = {
	[H_BEGIN] = "BEGIN IMMEDIATE",
	[H_COMMIT] = "COMMIT",
	[H_POINT_INSERT] = "INSERT INTO route_points(session_id, utc_ms, utc_src, lat, lon, alt, "
		"speed, track, eph, mode, sats) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[H_EVENT_INSERT] = "INSERT INTO events(seq, utc_ms, utc_src, type, prio, session_id, lat, "
		"lon, data, topic, payload, qos, retain, incident, category) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[H_SEQ_RAISE] = "UPDATE counters SET value = max(value, ?) WHERE name = 'seq'",
	[H_OUTBOX_INSERT] = "INSERT INTO outbox(kind, prio, topic, payload, qos, retain, seq, "
		"created_utc_ms) VALUES (?,?,?,?,?,?,?,?)",
	/* (RETURNING: the store's outbox figures follow what was removed) */
	[H_OUTBOX_SUPERSEDE] = "DELETE FROM outbox WHERE kind = ? AND topic = ? "
		"RETURNING created_utc_ms",
	/* Walks the outbox_order index; in-flight ids are few. */
	[H_OUTBOX_PEEK] = "SELECT id, prio, topic, payload, qos, retain, seq, created_utc_ms, kind "
		"FROM outbox ORDER BY prio DESC, id ASC",
	[H_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ? RETURNING created_utc_ms",
	/* a batch in one statement: RETURNING costs a temporary table per
	 * statement, so one statement per batch, not per row */
	[H_OUTBOX_DELETE_MANY] = "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?)) "
		"RETURNING created_utc_ms",
	[H_OUTBOX_STATS] = "SELECT count(*), ifnull(min(created_utc_ms), 0) FROM outbox",
	[H_KV_PUT] = "INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)",
	[H_KV_GET] = "SELECT value FROM kv WHERE key = ?",
	[H_DATA_VERSION] = "PRAGMA data_version",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *hot[H_COUNT];   /* prepared on first use, finalized at close */
	char *path;
	bool readonly;
	int version;
	/* route points not yet committed: a ring, oldest at head */
	struct route_point *pts;
	size_t pts_head, pts_n, pts_cap;
	uint64_t pts_dropped;
	int64_t next_seq;        /* 0 = not read yet; see store_next_seq() */
	/* store_outbox_stats() without a scan per call: the figures as last
	 * read, kept up to date by this handle's own changes (outbox_added,
	 * outbox_removed); re-read when the oldest may have gone, after
	 * thinning, replays and purges, or when another connection committed
	 * (PRAGMA data_version moved). */
	bool ob_known;
	int64_t ob_count, ob_oldest, ob_data_version;
	char errmsg[768];
	/* The disk refused the last write (full, I/O error): store_fault().
	 * Set by sqlerr, cleared by the next write that succeeds. */
	bool fault;
	bool exclusive;          /* opened without a -shm (see open_rw) */
	char faultmsg[768];
};

/* ---- errors ------------------------------------------------------------ */

static int map_sqlite(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CONSTRAINT:
		return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			? -EEXIST : -EINVAL;
	case SQLITE_NOTADB:
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CANTOPEN: {
		int e = db ? sqlite3_system_errno(db) : 0;
		return e > 0 ? -e : -EACCES;
	}
	case SQLITE_IOERR:   /* e.g. the -shm could not grow on a full disk */
		if (rc == SQLITE_IOERR_NOMEM)
			return -ENOMEM;
		return db && sqlite3_system_errno(db) == ENOSPC ? -ENOSPC : -EIO;
	default:             /* SQLITE_ERROR, SQLITE_CORRUPT, ... */
		return -EIO;
	}
}

__attribute__((format(printf, 3, 4)))
static int seterr(store_t *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return rc;
}

/* Record a SQLite failure (call it before anything else touches the
 * connection, e.g. a rollback) and return it as a negative errno. */
static int sqlerr(store_t *s, int rc, const char *what)
{
	int e = map_sqlite(s->db, rc);
	if (e == 0)
		e = -EIO;
	seterr(s, e, "%s: %s: %s", s->path, what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	if (!s->readonly && (e == -ENOSPC || e == -EIO)) {
		s->fault = true;
		memcpy(s->faultmsg, s->errmsg, sizeof(s->faultmsg));
	}
	return e;
}

/* A write went through: the disk takes it again. */
static void write_ok(store_t *s)
{
	s->fault = false;
}

static int check_rw(store_t *s, const char *what)
{
	if (s->readonly)
		return seterr(s, -EROFS, "%s: %s: store opened read-only", s->path, what);
	return 0;
}

/* ---- small helpers ----------------------------------------------------- */

static int exec(store_t *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sqlerr(s, rc, what);
}

static int prep(store_t *s, sqlite3_stmt **st, const char *sql, const char *what)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return sqlerr(s, rc, what);
	}
	return 0;
}

/* The kept statement id in *st, prepared on first use. */
static int hot(store_t *s, enum hot id, sqlite3_stmt **st, const char *what)
{
	if (!s->hot[id]) {
		int rc = sqlite3_prepare_v3(s->db, hot_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->hot[id], NULL);
		if (rc != SQLITE_OK) {
			s->hot[id] = NULL;
			*st = NULL;
			return sqlerr(s, rc, what);
		}
	}
	*st = s->hot[id];
	return 0;
}

/* After each use of a kept statement (also on errors: record them first). */
static void hot_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Step a kept statement that returns no rows; hot_done()s it. */
static int hot_run(store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sqlerr(s, rc, what);
	else if (!sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(s->db))
		write_ok(s);   /* committed (in a transaction: tx_commit says) */
	hot_done(st);
	return ret;
}

/* Step a statement that returns no rows; finalizes it. */
static int run(store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sqlerr(s, rc, what);
	sqlite3_finalize(st);
	return ret;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static double column_real_or_nan(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static bool valid_latlon(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

/* NULL is fine (means none); otherwise a JSON object. */
static bool valid_json_object(const char *text)
{
	if (!text)
		return true;
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	bool ok = j && json_is_object(j);
	json_decref(j);
	return ok;
}

static char *xstrdup(const char *v)
{
	return v ? strdup(v) : NULL;
}

/* ---- transactions ------------------------------------------------------ */

/* durable: fsync the WAL at this commit (synchronous=FULL), so the change
 * survives a power cut, not only a crash. */
static int tx_begin(store_t *s, bool durable, const char *what)
{
	sqlite3_stmt *st;
	int rc;
	/* (PRAGMA synchronous acts when it is prepared: it cannot be kept) */
	if (durable && (rc = exec(s, "PRAGMA synchronous=FULL", what)) < 0)
		return rc;
	if ((rc = hot(s, H_BEGIN, &st, what)) == 0)
		rc = hot_run(s, st, what);
	if (rc < 0 && durable)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	return rc;
}

static void tx_rollback(store_t *s, bool durable)
{
	/* SQLite may have rolled back already (SQLITE_FULL, I/O errors). */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (durable)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
}

static int tx_commit(store_t *s, bool durable, const char *what)
{
	sqlite3_stmt *st;
	int rc = hot(s, H_COMMIT, &st, what);
	if (rc == 0)
		rc = hot_run(s, st, what);
	if (rc < 0) {
		tx_rollback(s, durable);
		return rc;
	}
	write_ok(s);
	if (durable)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	return 0;
}

/* Read one integer from a one-row query (PRAGMA, count, ...). */
static int query_int64(store_t *s, const char *sql, int64_t *v, const char *what)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, what);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		*v = 0;
		rc = 0;
	} else {
		rc = sqlerr(s, rc, what);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- open / close ------------------------------------------------------ */

/* Is this a vanctld database this build can use?  *fresh: an empty file
 * (read-write opens initialise it). */
static int check_identity(store_t *s, bool *fresh, int *version)
{
	int64_t app = 0, uv = 0, ntables = 0;
	int rc;
	*fresh = false;
	rc = sqlite3_exec(s->db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return seterr(s, -EINVAL, "%s: not a vanctld database (not an SQLite database file)",
			      s->path);
	if (rc != SQLITE_OK)
		return sqlerr(s, rc, "reading the schema");
	if ((rc = query_int64(s, "PRAGMA application_id", &app, "reading the schema")) < 0 ||
	    (rc = query_int64(s, "PRAGMA user_version", &uv, "reading the schema")) < 0 ||
	    (rc = query_int64(s, "SELECT count(*) FROM sqlite_master", &ntables,
			      "reading the schema")) < 0)
		return rc;
	if (app == 0 && uv == 0 && ntables == 0) {
		if (s->readonly)
			return seterr(s, -EINVAL, "%s: not a vanctld database (empty: vanctld has "
				      "not initialised it yet)", s->path);
		*fresh = true;
		*version = 0;
		return 0;
	}
	if (app != STORE_APPLICATION_ID)
		return seterr(s, -EINVAL, "%s: not a vanctld database (an SQLite database of "
			      "another application: application_id 0x%08" PRIx64 ", %" PRId64
			      " schema objects)", s->path, (uint64_t)app & 0xffffffffu, ntables);
	if (uv > STORE_SCHEMA_VERSION)
		return seterr(s, -EPROTO, "%s: database schema version %" PRId64 " is newer than "
			      "this build knows (%d): upgrade vanctld/vanctl", s->path, uv,
			      STORE_SCHEMA_VERSION);
	if (uv < STORE_SCHEMA_VERSION && s->readonly)
		return seterr(s, -EPROTO, "%s: database schema version %" PRId64 " is older than "
			      "this build's (%d): vanctld upgrades it when it next starts", s->path,
			      uv, STORE_SCHEMA_VERSION);
	*version = (int)uv;
	return 0;
}

static int migrate(store_t *s, int from)
{
	char what[64], sql[64];
	int rc;
	for (int v = from + 1; v <= STORE_SCHEMA_VERSION; v++) {
		snprintf(what, sizeof(what), "migrating to schema version %d", v);
		if ((rc = tx_begin(s, true, what)) < 0)
			return rc;
		rc = exec(s, store_migration_sql(v), what);
		if (rc == 0 && v == 1) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", STORE_APPLICATION_ID);
			rc = exec(s, sql, what);
		}
		if (rc == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
			rc = exec(s, sql, what);
		}
		if (rc < 0) {
			tx_rollback(s, true);
			return rc;
		}
		if ((rc = tx_commit(s, true, what)) < 0)
			return rc;
		s->version = v;
	}
	return 0;
}

/* Counters never go back, even if an old backup of the counters table was
 * restored: raise them to what is already stored.  Writes nothing when they
 * are right (so a full disk does not stop an open). */
static int reconcile_counters(store_t *s)
{
	static const char sql[] =
		"UPDATE counters SET value = max(value,"
		"  (SELECT ifnull(max(seq), 0) FROM events), (SELECT ifnull(max(seq), 0) FROM outbox))"
		"  WHERE name = 'seq' AND value < max(value,"
		"  (SELECT ifnull(max(seq), 0) FROM events), (SELECT ifnull(max(seq), 0) FROM outbox));"
		"UPDATE counters SET value = (SELECT ifnull(max(id), 0) FROM sessions)"
		"  WHERE name = 'session' AND value < (SELECT ifnull(max(id), 0) FROM sessions);";
	return exec(s, sql, "checking the counters");
}

static int fix_mode(store_t *s, const char *file, bool must_exist)
{
	struct stat st;
	if (stat(file, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return seterr(s, -errno, "%s: %s", file, strerror(errno));
	}
	if ((st.st_mode & S_IRWXO) && chmod(file, st.st_mode & 07770) < 0)
		return seterr(s, -errno, "%s: cannot take away world access: %s", file,
			      strerror(errno));
	return 0;
}

static int open_rw_mode(store_t *s, bool exclusive)
{
	static const char *const sidecars[] = { "-wal", "-shm", "-journal" };
	struct stat st;
	char side[4096];
	bool fresh;
	int rc, version = 0;

	/* Create it ourselves, so the mode is 0600 whatever the umask;
	 * SQLite gives its -wal and -shm the database file's mode. */
	int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return seterr(s, -errno, "%s: cannot open or create: %s", s->path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return seterr(s, rc, "%s: %s", s->path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return seterr(s, -EINVAL, "%s: not a regular file", s->path);
	}
	close(fd);
	if ((rc = fix_mode(s, s->path, true)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", s->path, sidecars[i]);
		if ((rc = fix_mode(s, side, false)) < 0)
			return rc;
	}

	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		return sqlerr(s, rc, "cannot open");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_RW_MS);
	/* Exclusive locking before the first read: WAL mode then keeps its
	 * index in our memory and needs no -shm file (which a full disk may
	 * not let SQLite create or grow). */
	if (exclusive && (rc = exec(s, "PRAGMA locking_mode=EXCLUSIVE", "opening without a -shm")) < 0)
		return rc;
	s->exclusive = exclusive;

	if ((rc = check_identity(s, &fresh, &version)) < 0)
		return rc;
	/* Page size and auto_vacuum can only be chosen before the first table
	 * exists (and the page size before WAL mode): existing databases keep
	 * theirs.  Small pages because every commit appends each page it
	 * touched to the WAL: a route flush or an outbox row touches the last
	 * leaf of the table and of each index, 3-4 pages.  1 KiB pages write a
	 * third of what 4 KiB pages do for 1 Hz logging (bench/store-wal.sh). */
	if (fresh && (rc = exec(s, "PRAGMA page_size=" STR(STORE_PAGE_SIZE) "; "
				"PRAGMA auto_vacuum=INCREMENTAL", "initialising")) < 0)
		return rc;

	sqlite3_stmt *stj;
	if ((rc = prep(s, &stj, "PRAGMA journal_mode=WAL", "setting WAL mode")) < 0)
		return rc;
	rc = sqlite3_step(stj);
	if (rc != SQLITE_ROW) {
		rc = sqlerr(s, rc, "setting WAL mode");
		sqlite3_finalize(stj);
		return rc;
	}
	const char *mode = (const char *)sqlite3_column_text(stj, 0);
	bool wal = mode && strcmp(mode, "wal") == 0;
	sqlite3_finalize(stj);
	if (!wal)
		return seterr(s, -EIO, "%s: cannot use WAL mode (journal mode stays %s): is it on a "
			      "file system without shared memory?", s->path, mode ? mode : "?");
	/* Keep -wal and -shm after the last close, so that vanctl (read-only,
	 * perhaps in a directory it cannot write) can always open. */
	int persist = 1;
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);

	/* secure_delete: deleted records are overwritten.  It costs nothing
	 * measurable in logging (bench/store-wal.sh: the same bytes with ON,
	 * FAST and OFF): deleted rows sit in pages the commit writes anyway;
	 * only pages freed whole (a purge) are written once more, zeroed.
	 * cache_size: the daemon's working set is the last pages of each table
	 * and index; a smaller cache than SQLite's 2 MB keeps its memory down. */
	char sql[256];
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
		 "PRAGMA secure_delete=ON; PRAGMA journal_size_limit=%d; PRAGMA cache_size=%d",
		 JOURNAL_SIZE_LIMIT, CACHE_SIZE_RW);
	if ((rc = exec(s, sql, "setting pragmas")) < 0)
		return rc;

	s->version = version;
	if ((rc = migrate(s, version)) < 0)
		return rc;
	/* The counters are checked again by store_next_seq() (it also looks at
	 * the events); a disk that cannot take the check must not keep the
	 * daemon, and the panic buttons, from starting: store_fault() says so. */
	if ((rc = reconcile_counters(s)) < 0 && rc != -ENOSPC && rc != -EIO)
		return rc;
	return 0;
}

/* A read-write open.  When SQLite cannot set up its shared-memory index
 * (the -shm file: a full disk), try again with exclusive locking, which
 * needs none: the daemon then runs, and vanctl cannot read the database
 * until it stops (store_exclusive()). */
static int open_rw(store_t *s)
{
	int rc = open_rw_mode(s, false);
	if (rc != -ENOSPC && rc != -EIO)
		return rc;
	char first[sizeof(s->errmsg)];
	memcpy(first, s->errmsg, sizeof(first));
	for (int i = 0; i < H_COUNT; i++) {
		sqlite3_finalize(s->hot[i]);
		s->hot[i] = NULL;
	}
	sqlite3_close_v2(s->db);
	s->db = NULL;
	if (open_rw_mode(s, true) < 0) {
		memcpy(s->errmsg, first, sizeof(first));   /* the first reason is the one */
		return rc;
	}
	s->fault = true;
	snprintf(s->faultmsg, sizeof(s->faultmsg), "%s", first);
	return 0;
}

const char *store_fault(store_t *s)
{
	return s && s->fault ? s->faultmsg : NULL;
}

bool store_exclusive(store_t *s)
{
	return s && s->exclusive;
}



/* "file:PATH?immutable=1", PATH percent-encoded as URIs want it. */
static char *immutable_uri(const char *path)
{
	static const char suffix[] = "?immutable=1";
	size_t n = strlen(path);
	char *uri = malloc(5 + 3 * n + sizeof(suffix));
	char *o = uri;
	if (!uri)
		return NULL;
	o += sprintf(o, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._-~", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	memcpy(o, suffix, sizeof(suffix));
	return uri;
}

static int open_ro(store_t *s)
{
	struct stat st;
	bool fresh;
	int rc, version = 0;

	if (stat(s->path, &st) < 0) {
		if (errno == ENOENT)
			return seterr(s, -ENOENT, "%s: no such database (vanctld creates it when "
				      "it first starts)", s->path);
		return seterr(s, -errno, "%s: %s", s->path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return seterr(s, -EINVAL, "%s: not a regular file", s->path);

	/* A WAL database needs its -wal and -shm; vanctld keeps them (persistent
	 * WAL).  Without a -wal (a copy, or never opened by vanctld) SQLite would
	 * create both, or fail in a directory we cannot write: there is no WAL
	 * content then, so read the file alone ("immutable") and create nothing. */
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	bool no_wal = access(wal, F_OK) < 0 && errno == ENOENT;
	if (no_wal) {
		char *uri = immutable_uri(s->path);
		if (!uri)
			return seterr(s, -ENOMEM, "%s: out of memory", s->path);
		rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		free(uri);
	} else {
		rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY, NULL);
	}
	if (rc != SQLITE_OK)
		return sqlerr(s, rc, "cannot open read-only");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_RO_MS);
	if ((rc = check_identity(s, &fresh, &version)) < 0)
		return rc;
	s->version = version;
	return exec(s, "PRAGMA query_only=ON", "setting pragmas");
}

static void store_free(store_t *s)
{
	if (!s)
		return;
	for (int i = 0; i < H_COUNT; i++)
		sqlite3_finalize(s->hot[i]);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->pts);
	free(s->path);
	free(s);
}

int store_open(const char *path, bool readonly, store_t **out, char *err, size_t errlen)
{
	if (!path || !*path || !out) {
		if (err && errlen)
			snprintf(err, errlen, "store_open: no database path");
		return -EINVAL;
	}
	store_t *s = calloc(1, sizeof(*s));
	if (s)
		s->path = strdup(path);
	if (!s || !s->path) {
		free(s);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	s->readonly = readonly;
	int rc = readonly ? open_ro(s) : open_rw(s);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", s->errmsg);
		store_free(s);
		return rc;
	}
	s->errmsg[0] = '\0';
	*out = s;
	return 0;
}

void store_close(store_t *s)
{
	if (!s)
		return;
	if (!s->readonly && s->pts_n)
		(void)store_flush(s);
	store_free(s);
}

const char *store_errmsg(store_t *s)
{
	return s ? s->errmsg : "no store";
}

int store_schema_version(store_t *s)
{
	return s ? s->version : -EINVAL;
}

const char *store_path(store_t *s)
{
	return s ? s->path : NULL;
}

int store_set_max_size(store_t *s, int64_t bytes)
{
	int64_t page = 0, got = 0;
	char sql[64];
	int rc;
	if (!s || bytes < 0)
		return -EINVAL;
	if ((rc = query_int64(s, "PRAGMA page_size", &page, "setting the size cap")) < 0)
		return rc;
	int64_t pages = bytes ? (bytes + page - 1) / page : INT32_MAX - 1;
	if (pages > INT32_MAX - 1)
		pages = INT32_MAX - 1;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%" PRId64, pages);
	return query_int64(s, sql, &got, "setting the size cap");
}

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

/* ---- route points ------------------------------------------------------ */

static struct route_point *pt_at(store_t *s, size_t i)
{
	return &s->pts[(s->pts_head + i) % s->pts_cap];
}

int store_add_point(store_t *s, const struct route_point *p)
{
	if (!s || !p)
		return -EINVAL;
	int rc = check_rw(s, "adding a route point");
	if (rc < 0)
		return rc;
	if (!valid_latlon(p->lat, p->lon))
		return seterr(s, -EINVAL, "%s: route point with invalid position %g,%g",
			      s->path, p->lat, p->lon);
	if (s->pts_n == s->pts_cap) {
		if (s->pts_cap < STORE_POINTS_CAP) {
			size_t cap = s->pts_cap ? s->pts_cap * 2 : 64;
			if (cap > STORE_POINTS_CAP)
				cap = STORE_POINTS_CAP;
			struct route_point *n = malloc(cap * sizeof(*n));
			if (!n)
				return seterr(s, -ENOMEM, "%s: buffering a route point: out of memory",
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
	if ((rc = check_rw(s, what)) < 0)
		return rc;
	if ((rc = tx_begin(s, true, what)) < 0)
		return rc;
	rc = hot(s, H_POINT_INSERT, &st, what);
	for (size_t i = 0; rc == 0 && i < s->pts_n; i++) {
		const struct route_point *p = pt_at(s, i);
		sqlite3_bind_int64(st, 1, p->session_id);
		sqlite3_bind_int64(st, 2, p->utc_ms);
		sqlite3_bind_int(st, 3, p->utc_src);
		sqlite3_bind_double(st, 4, p->lat);
		sqlite3_bind_double(st, 5, p->lon);
		bind_real_or_null(st, 6, p->alt);
		bind_real_or_null(st, 7, p->speed);
		bind_real_or_null(st, 8, p->track);
		bind_real_or_null(st, 9, p->eph);
		sqlite3_bind_int(st, 10, p->mode);
		if (p->sats >= 0)
			sqlite3_bind_int(st, 11, p->sats);
		else
			sqlite3_bind_null(st, 11);
		int src = sqlite3_step(st);
		if (src != SQLITE_DONE) {
			char w[96];
			snprintf(w, sizeof(w), "storing %zu route points", s->pts_n);
			rc = sqlerr(s, src, w);
		}
		sqlite3_reset(st);
	}
	if (st)
		hot_done(st);
	if (rc < 0) {
		tx_rollback(s, true);
		return rc;
	}
	if ((rc = tx_commit(s, true, what)) < 0)
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

/* ---- the outbox's figures (store_outbox_stats) ------------------------- */

/* After this handle committed a new outbox row. */
static void outbox_added(store_t *s, int64_t created_utc_ms)
{
	if (!s->ob_known)
		return;
	if (s->ob_count++ == 0 || created_utc_ms < s->ob_oldest)
		s->ob_oldest = created_utc_ms;
}

/* Rows a DELETE ... RETURNING created_utc_ms removed. */
struct ob_gone {
	int64_t n, oldest;
};

/* Step a DELETE ... RETURNING created_utc_ms to its end, adding its rows to
 * *g.  Returns 0 or <0 (recorded); the caller hot_done()s st. */
static int outbox_delete_step(store_t *s, sqlite3_stmt *st, struct ob_gone *g, const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(st, 0);
		if (g->n++ == 0 || c < g->oldest)
			g->oldest = c;
	}
	return rc == SQLITE_DONE ? 0 : sqlerr(s, rc, what);
}

/* After this handle committed the removal of rows: the count follows; the
 * oldest time too unless it may have gone (then re-read). */
static void outbox_removed(store_t *s, const struct ob_gone *g)
{
	if (!s->ob_known || g->n == 0)
		return;
	if (g->n > s->ob_count)
		s->ob_known = false;
	else if ((s->ob_count -= g->n) == 0)
		s->ob_oldest = 0;
	else if (g->oldest <= s->ob_oldest)
		s->ob_known = false;
}

/* After other changes (thinning, replays, purges): re-read. */
static void outbox_forget(store_t *s)
{
	s->ob_known = false;
}

/* One outbox row; the caller commits and then calls outbox_added(). */
static int64_t outbox_insert(store_t *s, int kind, int prio, const char *topic,
			     const char *payload, int qos, bool retain, int64_t seq,
			     int64_t created_utc_ms, const char *what)
{
	sqlite3_stmt *st;
	int rc = hot(s, H_OUTBOX_INSERT, &st, what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int(st, 2, prio);
	sqlite3_bind_text(st, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, qos);
	sqlite3_bind_int(st, 6, retain);
	sqlite3_bind_int64(st, 7, seq);
	sqlite3_bind_int64(st, 8, created_utc_ms);
	if ((rc = hot_run(s, st, what)) < 0)
		return rc;
	return sqlite3_last_insert_rowid(s->db);
}

/* ---- events ------------------------------------------------------------ */

int64_t store_add_event(store_t *s, const struct stored_event *e,
			const char *topic, const char *payload, int qos, bool retain)
{
	static const char what[] = "storing an event";
	sqlite3_stmt *st;
	int rc;
	if (!s || !e)
		return -EINVAL;
	if ((rc = check_rw(s, what)) < 0)
		return rc;
	if (e->seq <= 0 || !e->type || !*e->type)
		return seterr(s, -EINVAL, "%s: %s: needs a sequence number > 0 and a type",
			      s->path, what);
	if (!valid_json_object(e->data_json))
		return seterr(s, -EINVAL, "%s: %s %s: data is not a JSON object", s->path, what,
			      e->type);
	if (e->has_pos && !valid_latlon(e->lat, e->lon))
		return seterr(s, -EINVAL, "%s: %s %s: invalid position", s->path, what, e->type);
	if (topic && (!*topic || !payload || qos < 0 || qos > 2))
		return seterr(s, -EINVAL, "%s: %s %s: needs a topic, a payload and qos 0..2",
			      s->path, what, e->type);

	if ((rc = tx_begin(s, true, what)) < 0)
		return rc;
	if ((rc = hot(s, H_EVENT_INSERT, &st, what)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->utc_ms);
	sqlite3_bind_int(st, 3, e->utc_src);
	sqlite3_bind_text(st, 4, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, e->prio);
	sqlite3_bind_int64(st, 6, e->session_id);
	if (e->has_pos) {
		sqlite3_bind_double(st, 7, e->lat);
		sqlite3_bind_double(st, 8, e->lon);
	}
	sqlite3_bind_text(st, 9, e->data_json ? e->data_json : "{}", -1, SQLITE_STATIC);
	bind_text_or_null(st, 10, topic);
	bind_text_or_null(st, 11, payload);
	sqlite3_bind_int(st, 12, topic ? qos : 1);
	sqlite3_bind_int(st, 13, topic && retain);
	sqlite3_bind_int(st, 14, e->incident);
	bind_text_or_null(st, 15, e->category);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE) {
			rc = seterr(s, -EEXIST, "%s: %s %s: sequence number %" PRId64
				    " is already stored", s->path, what, e->type, e->seq);
		} else {
			rc = sqlerr(s, rc, what);
		}
		hot_done(st);
		goto fail;
	}
	hot_done(st);
	int64_t id = sqlite3_last_insert_rowid(s->db);

	/* the counter moves with the event it numbers: gapless across crashes */
	if ((rc = hot(s, H_SEQ_RAISE, &st, what)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, e->seq);
	if ((rc = hot_run(s, st, what)) < 0)
		goto fail;

	if (topic) {
		int64_t oid = outbox_insert(s, STORE_OUTBOX_EVENT, e->prio, topic, payload, qos,
					    retain, e->seq, e->utc_ms, "queueing an event");
		if (oid < 0) {
			rc = (int)oid;
			goto fail;
		}
	}
	if ((rc = tx_commit(s, true, what)) < 0)
		return rc;
	if (topic)
		outbox_added(s, e->utc_ms);
	if (e->seq >= s->next_seq)
		s->next_seq = e->seq + 1;
	return id;
fail:
	tx_rollback(s, true);
	return rc;
}

/* ---- outbox ------------------------------------------------------------ */

static int outbox_check(store_t *s, const char *topic, const char *payload, int qos,
			const char *what)
{
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	if (!topic || !*topic || !payload || qos < 0 || qos > 2)
		return seterr(s, -EINVAL, "%s: %s: needs a topic, a payload and qos 0..2",
			      s->path, what);
	return 0;
}

int64_t store_outbox_add(store_t *s, int kind, int prio, const char *topic, const char *payload,
			 int qos, bool retain, int64_t seq, int64_t created_utc_ms)
{
	static const char what[] = "queueing a message";
	if (!s)
		return -EINVAL;
	int rc = outbox_check(s, topic, payload, qos, what);
	if (rc < 0)
		return rc;
	/* one statement: atomic without an explicit transaction */
	int64_t id = outbox_insert(s, kind, prio, topic, payload, qos, retain, seq, created_utc_ms,
				   what);
	if (id > 0)
		outbox_added(s, created_utc_ms);
	return id;
}

int64_t store_outbox_replace(store_t *s, int kind, int prio, const char *topic,
			     const char *payload, int qos, bool retain, int64_t seq,
			     int64_t created_utc_ms)
{
	static const char what[] = "queueing a message";
	sqlite3_stmt *st;
	struct ob_gone gone = { 0, 0 };
	int64_t id;
	if (!s)
		return -EINVAL;
	int rc = outbox_check(s, topic, payload, qos, what);
	if (rc < 0)
		return rc;
	if ((rc = tx_begin(s, false, what)) < 0)
		return rc;
	if ((rc = hot(s, H_OUTBOX_SUPERSEDE, &st, what)) < 0)
		goto fail;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
	rc = outbox_delete_step(s, st, &gone, what);
	hot_done(st);
	if (rc < 0)
		goto fail;
	id = outbox_insert(s, kind, prio, topic, payload, qos, retain, seq, created_utc_ms, what);
	if (id < 0) {
		rc = (int)id;
		goto fail;
	}
	if ((rc = tx_commit(s, false, what)) < 0)
		return rc;
	outbox_removed(s, &gone);
	outbox_added(s, created_utc_ms);
	return id;
fail:
	tx_rollback(s, false);
	return rc;
}

void store_outbox_msg_free(struct outbox_msg *m)
{
	if (!m)
		return;
	free(m->topic);
	free(m->payload);
	m->topic = NULL;
	m->payload = NULL;
}

static bool id_in(int64_t id, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

int64_t store_outbox_queue(store_t *s, const struct outbox_msg *m, bool supersede)
{
	if (!m)
		return -EINVAL;
	return (supersede ? store_outbox_replace : store_outbox_add)(s, m->kind, m->prio, m->topic, m->payload,
								     m->qos, m->retain, m->seq, m->created_utc_ms);
}

int store_outbox_peek(store_t *s, struct outbox_msg *out, size_t max,
		      const int64_t *inflight_ids, size_t ninflight)
{
	static const char what[] = "reading the outbox";
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;
	if (!s || (max && !out) || (ninflight && !inflight_ids))
		return -EINVAL;
	if (max == 0)
		return 0;
	if (max > INT32_MAX)
		max = INT32_MAX;
	if ((rc = hot(s, H_OUTBOX_PEEK, &st, what)) < 0)
		return rc;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id_in(id, inflight_ids, ninflight))
			continue;
		struct outbox_msg *m = &out[n];
		memset(m, 0, sizeof(*m));
		m->id = id;
		m->prio = sqlite3_column_int(st, 1);
		m->topic = xstrdup((const char *)sqlite3_column_text(st, 2));
		m->payload = xstrdup((const char *)sqlite3_column_text(st, 3));
		m->qos = sqlite3_column_int(st, 4);
		m->retain = sqlite3_column_int(st, 5) != 0;
		m->seq = sqlite3_column_int64(st, 6);
		m->created_utc_ms = sqlite3_column_int64(st, 7);
		m->kind = sqlite3_column_int(st, 8);
		n++;
		if (!m->topic || !m->payload) {
			rc = seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
			goto fail;
		}
	}
	if (n < max && rc != SQLITE_DONE) {
		rc = sqlerr(s, rc, what);
		goto fail;
	}
	hot_done(st);
	return (int)n;
fail:
	hot_done(st);
	for (size_t i = 0; i < n; i++)
		store_outbox_msg_free(&out[i]);
	return rc;
}

/* Delete ids[0..n) (n >= 1) in one statement (the ids as a JSON array for
 * json_each when n > 1).  Returns how many rows went, or <0. */
static int outbox_delete(store_t *s, const int64_t *ids, size_t n, const char *what)
{
	sqlite3_stmt *st;
	struct ob_gone gone = { 0, 0 };
	char *list = NULL;
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	if (n > 1) {
		size_t cap = n * 21 + 3, len = 0;
		if (!(list = malloc(cap)))
			return seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
		list[len++] = '[';
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(list + len, cap - len, "%s%" PRId64, i ? "," : "", ids[i]);
		snprintf(list + len, cap - len, "]");
	}
	if ((rc = hot(s, n > 1 ? H_OUTBOX_DELETE_MANY : H_OUTBOX_DELETE, &st, what)) < 0) {
		free(list);
		return rc;
	}
	if (n > 1)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, ids[0]);
	rc = outbox_delete_step(s, st, &gone, what);
	hot_done(st);
	free(list);
	if (rc < 0)
		return rc;
	write_ok(s);
	outbox_removed(s, &gone);
	return (int)gone.n;
}

int store_outbox_delete(store_t *s, int64_t id)
{
	if (!s)
		return -EINVAL;
	int rc = outbox_delete(s, &id, 1, "removing a sent message");
	return rc < 0 ? rc : 0;
}

int store_outbox_delete_many(store_t *s, const int64_t *ids, size_t n)
{
	static const char what[] = "removing sent messages";
	if (!s)
		return -EINVAL;
	if (n && !ids)
		return seterr(s, -EINVAL, "%s: %s: no ids", s->path, what);
	if (n > INT32_MAX)
		return seterr(s, -EINVAL, "%s: %s: too many at once (%zu)", s->path, what, n);
	if (n == 0)
		return check_rw(s, what);
	return outbox_delete(s, ids, n, what);
}

/* PRAGMA data_version: changes when another connection commits. */
static int data_version(store_t *s, int64_t *v, const char *what)
{
	sqlite3_stmt *st;
	int rc = hot(s, H_DATA_VERSION, &st, what);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = sqlerr(s, rc, what);
	}
	hot_done(st);
	return rc;
}

int store_outbox_stats(store_t *s, int64_t *count, int64_t *oldest_utc_ms)
{
	static const char what[] = "reading the outbox";
	sqlite3_stmt *st;
	int64_t dv = 0;
	if (!s)
		return -EINVAL;
	/* Read data_version first: a commit by another connection after it and
	 * before the count is then seen again at the next call. */
	int rc = data_version(s, &dv, what);
	if (rc < 0)
		return rc;
	if (!s->ob_known || dv != s->ob_data_version) {
		s->ob_known = false;
		if ((rc = hot(s, H_OUTBOX_STATS, &st, what)) < 0)
			return rc;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			s->ob_count = sqlite3_column_int64(st, 0);
			s->ob_oldest = sqlite3_column_int64(st, 1);
			s->ob_data_version = dv;
			s->ob_known = true;
			rc = 0;
		} else {
			rc = sqlerr(s, rc, what);
		}
		hot_done(st);
		if (rc < 0)
			return rc;
	}
	if (count)
		*count = s->ob_count;
	if (oldest_utc_ms)
		*oldest_utc_ms = s->ob_oldest;
	return 0;
}

int store_outbox_thin(store_t *s, int kind, int64_t keep_every_ms)
{
	static const char what[] = "thinning the outbox";
	sqlite3_stmt *st;
	if (!s)
		return -EINVAL;
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	if (keep_every_ms <= 0)
		return seterr(s, -EINVAL, "%s: %s: the period must be > 0", s->path, what);
	rc = prep(s, &st, "DELETE FROM outbox WHERE id IN (SELECT id FROM ("
		  "  SELECT id, row_number() OVER (PARTITION BY prio, created_utc_ms / ?2"
		  "    ORDER BY created_utc_ms DESC, id DESC) AS rn"
		  "  FROM outbox WHERE kind = ?1) WHERE rn > 1)", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, keep_every_ms);
	if ((rc = run(s, st, what)) < 0)
		return rc;
	rc = sqlite3_changes(s->db);
	if (rc)
		outbox_forget(s);
	return rc;
}

int store_replay_from(store_t *s, int64_t seq, int64_t *requeued)
{
	static const char what[] = "re-queueing events for a replay";
	sqlite3_stmt *st;
	if (!s)
		return -EINVAL;
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	rc = prep(s, &st, "INSERT INTO outbox(kind, prio, topic, payload, qos, retain, seq, "
		  "created_utc_ms) SELECT ?2, ?3, e.topic, e.payload, e.qos, 0, e.seq, e.utc_ms "
		  "FROM events e WHERE e.seq >= ?1 AND e.topic IS NOT NULL AND e.payload IS NOT NULL "
		  "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = ?2 AND o.seq = e.seq) "
		  "ORDER BY e.seq", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, STORE_OUTBOX_EVENT);
	sqlite3_bind_int(st, 3, STORE_PRIO_REPLAY);
	if ((rc = run(s, st, what)) < 0)
		return rc;
	int64_t n = sqlite3_changes(s->db);
	if (n)
		outbox_forget(s);
	if (requeued)
		*requeued = n;
	return 0;
}

/* ---- counters ---------------------------------------------------------- */

static int64_t counter_next(store_t *s, const char *name, const char *what)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;
	if (!s)
		return -EINVAL;
	if ((rc = check_rw(s, what)) < 0)
		return rc;
	if ((rc = tx_begin(s, true, what)) < 0)
		return rc;
	if ((rc = prep(s, &st, "UPDATE counters SET value = value + 1 WHERE name = ?", what)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = run(s, st, what)) < 0)
		goto fail;
	if ((rc = prep(s, &st, "SELECT value FROM counters WHERE name = ?", what)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? seterr(s, -EIO, "%s: %s: counter %s missing", s->path,
						what, name) : sqlerr(s, rc, what);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		goto fail;
	if ((rc = tx_commit(s, true, what)) < 0)
		return rc;
	return v;
fail:
	tx_rollback(s, true);
	return rc;
}

/* The number the next event gets.  It is taken only by the event that
 * stores it (store_add_event advances it in the event's own transaction),
 * so a crash or a failed insert between the two leaves no gap. */
int64_t store_next_seq(store_t *s)
{
	static const char what[] = "taking a sequence number";
	int rc;
	if (!s)
		return -EINVAL;
	if ((rc = check_rw(s, what)) < 0)
		return rc;
	if (!s->next_seq) {
		int64_t v = 0;
		rc = query_int64(s, "SELECT max(coalesce((SELECT value FROM counters WHERE name = 'seq'), 0), "
			       "coalesce((SELECT max(seq) FROM events), 0))", &v, what);
		if (rc < 0)
			return rc;
		s->next_seq = v + 1;
	}
	return s->next_seq;
}

int64_t store_next_session_id(store_t *s)
{
	return counter_next(s, "session", "taking a session id");
}

/* ---- key-value --------------------------------------------------------- */

int store_kv_put(store_t *s, const char *key, const char *value)
{
	static const char what[] = "saving state";
	sqlite3_stmt *st;
	if (!s)
		return -EINVAL;
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	if (!key || !*key || !value)
		return seterr(s, -EINVAL, "%s: %s: needs a key and a value", s->path, what);
	if ((rc = hot(s, H_KV_PUT, &st, what)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return hot_run(s, st, what);
}

int store_kv_get(store_t *s, const char *key, char **value)
{
	static const char what[] = "reading state";
	sqlite3_stmt *st;
	if (!s || !key || !value)
		return -EINVAL;
	int rc = hot(s, H_KV_GET, &st, what);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char *v = xstrdup((const char *)sqlite3_column_text(st, 0));
		if (!v) {
			rc = seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
		} else {
			*value = v;
			rc = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = seterr(s, -ENOENT, "%s: no saved value for %s", s->path, key);
	} else {
		rc = sqlerr(s, rc, what);
	}
	hot_done(st);
	return rc;
}

int store_kv_delete(store_t *s, const char *key)
{
	static const char what[] = "removing state";
	sqlite3_stmt *st;
	if (!s || !key)
		return -EINVAL;
	int rc = check_rw(s, what);
	if (rc < 0 || (rc = prep(s, &st, "DELETE FROM kv WHERE key = ?", what)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return run(s, st, what);
}

/* ---- sessions and stops ------------------------------------------------ */

int store_session_upsert(store_t *s, const struct store_session *ss)
{
	static const char what[] = "storing a session";
	sqlite3_stmt *st;
	if (!s || !ss)
		return -EINVAL;
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	if (ss->id <= 0)
		return seterr(s, -EINVAL, "%s: %s: needs an id > 0", s->path, what);
	if (!valid_json_object(ss->summary_json))
		return seterr(s, -EINVAL, "%s: %s %" PRId64 ": summary is not a JSON object",
			      s->path, what, ss->id);
	if ((rc = tx_begin(s, true, what)) < 0)
		return rc;
	rc = prep(s, &st, "INSERT INTO sessions(id, started_utc_ms, ended_utc_ms, "
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
	bind_text_or_null(st, 7, ss->plan);
	bind_text_or_null(st, 8, ss->summary_json);
	if ((rc = run(s, st, what)) < 0)
		goto fail;
	return tx_commit(s, true, what);
fail:
	tx_rollback(s, true);
	return rc;
}

static void bind_stop(sqlite3_stmt *st, const struct store_stop *sp)
{
	sqlite3_bind_int64(st, 1, sp->session_id);
	sqlite3_bind_int64(st, 2, sp->arrived_utc_ms);
	sqlite3_bind_int64(st, 3, sp->departed_utc_ms);
	if (valid_latlon(sp->lat, sp->lon)) {
		sqlite3_bind_double(st, 4, sp->lat);
		sqlite3_bind_double(st, 5, sp->lon);
	} else {
		sqlite3_bind_null(st, 4);
		sqlite3_bind_null(st, 5);
	}
	bind_text_or_null(st, 6, sp->name);
	sqlite3_bind_int(st, 7, sp->entries);
	sqlite3_bind_int(st, 8, sp->peak);
	sqlite3_bind_int(st, 9, sp->door_openings);
}

/* One durable statement in a transaction (so it is fsync'ed). */
static int run_durable(store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = tx_begin(s, true, what);
	if (rc < 0) {
		sqlite3_finalize(st);
		return rc;
	}
	if ((rc = run(s, st, what)) < 0) {
		tx_rollback(s, true);
		return rc;
	}
	return tx_commit(s, true, what);
}

int64_t store_stop_add(store_t *s, const struct store_stop *sp)
{
	static const char what[] = "storing a stop";
	sqlite3_stmt *st;
	if (!s || !sp)
		return -EINVAL;
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	rc = prep(s, &st, "INSERT INTO stops(session_id, arrived_utc_ms, departed_utc_ms, lat, lon, "
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
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	/* a stop belongs to the session it started in, and keeps a name once
	 * known: the crew may end the session (or the plan) before the van
	 * leaves, and the departure must not file the stop under no session */
	rc = prep(s, &st, "UPDATE stops SET session_id = CASE WHEN ?1 <> 0 THEN ?1 ELSE session_id END, "
		  "arrived_utc_ms = ?2, departed_utc_ms = ?3, lat = ?4, lon = ?5, name = COALESCE(?6, name), "
		  "entries = ?7, peak = ?8, door_openings = ?9 WHERE id = ?10", what);
	if (rc < 0)
		return rc;
	bind_stop(st, sp);
	sqlite3_bind_int64(st, 10, id);
	if ((rc = run_durable(s, st, what)) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return seterr(s, -ENOENT, "%s: %s: no stop %" PRId64, s->path, what, id);
	return 0;
}

/* ---- retention --------------------------------------------------------- */

static int purge_step(store_t *s, const char *sql, int64_t cutoff, int64_t *count,
		      bool changes, const char *what)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, sql, what);
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
		rc = sqlerr(s, rc, what);
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
	int rc = check_rw(s, what);
	if (rc < 0)
		return rc;
	if (days < 1)
		return seterr(s, -EINVAL, "%s: %s: retention must be at least 1 day", s->path, what);
	int64_t cutoff = now_utc_ms - (int64_t)days * 86400000;

	if ((rc = tx_begin(s, false, what)) < 0)
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
		tx_rollback(s, false);
		return rc;
	}
	if ((rc = tx_commit(s, false, what)) < 0)
		return rc;
	if (res.outbox)
		outbox_forget(s);
	/* Best effort: give free pages back and push the change out of the
	 * WAL (it holds old page images until a checkpoint rewrites them). */
	sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (r)
		*r = res;
	return 0;
}

int store_newest_trusted_utc(store_t *s, int64_t *utc_ms)
{
	static const char what[] = "reading the last known good time";
	static const char *const sql[] = {
		"SELECT utc_ms FROM events WHERE utc_src IN (0, 1) ORDER BY id DESC LIMIT 1",
		"SELECT utc_ms FROM route_points WHERE utc_src IN (0, 1) ORDER BY id DESC LIMIT 1",
		"SELECT CAST(value AS INTEGER) FROM kv WHERE key = 'clock_lkg_utc_ms'",
	};
	int64_t best = 0;
	if (!s || !utc_ms)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st;
		int rc = prep(s, &st, sql[i], what);
		if (rc < 0)
			return rc;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			int64_t v = sqlite3_column_int64(st, 0);
			if (v > best)
				best = v;
		} else if (rc != SQLITE_DONE) {
			rc = sqlerr(s, rc, what);
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_finalize(st);
	}
	*utc_ms = best;
	return 0;
}

int store_integrity_check(store_t *s, char **result)
{
	static const char what[] = "checking integrity";
	sqlite3_stmt *st;
	char *buf = NULL;
	size_t len = 0;
	if (!s || !result)
		return -EINVAL;
	int rc = prep(s, &st, "PRAGMA integrity_check(100)", what);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		size_t l = line ? strlen(line) : 0;
		char *n = realloc(buf, len + l + 2);
		if (!n) {
			free(buf);
			sqlite3_finalize(st);
			return seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
		}
		buf = n;
		if (len)
			buf[len++] = '\n';
		memcpy(buf + len, line ? line : "", l);
		len += l;
		buf[len] = '\0';
	}
	if (rc != SQLITE_DONE) {
		/* a badly damaged file fails the check itself: report that */
		rc = sqlerr(s, rc, what);
		sqlite3_finalize(st);
		free(buf);
		return rc;
	}
	sqlite3_finalize(st);
	if (!buf && !(buf = strdup("ok")))
		return seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
	*result = buf;
	return 0;
}

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
	rc = rc == SQLITE_DONE ? 0 : sqlerr(s, rc, what);
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
		.alt = column_real_or_nan(st, 5),
		.speed = column_real_or_nan(st, 6),
		.track = column_real_or_nan(st, 7),
		.eph = column_real_or_nan(st, 8),
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
	int rc = prep(s, &st, session_id >= 0
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
	int rc = prep(s, &st, "SELECT " SESSION_COLUMNS " FROM sessions WHERE started_utc_ms >= ?1 "
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
	int rc = prep(s, &st, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?", what);
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
			rc = seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
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
		rc = seterr(s, -ENOENT, "%s: no session %" PRId64, s->path, id);
	} else {
		rc = sqlerr(s, rc, what);
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
		.lat = column_real_or_nan(st, 4),
		.lon = column_real_or_nan(st, 5),
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
	int rc = prep(s, &st, "SELECT id, session_id, arrived_utc_ms, departed_utc_ms, lat, lon, "
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
		.lat = column_real_or_nan(st, 7),
		.lon = column_real_or_nan(st, 8),
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
	int rc = prep(s, &st, "SELECT id, seq, utc_ms, utc_src, type, prio, session_id, lat, lon, "
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
	bind_text_or_null(st, 5, f->type);
	bind_text_or_null(st, 6, f->category);
	return iterate(s, st, row_event, &c, what);
}
