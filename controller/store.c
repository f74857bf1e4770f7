/*
 * store.c - SQLite storage for vanctld and vanctl: errors, helpers,
 * transactions, open and close, counters, kv, integrity (the other concerns
 * are in store_points.c, store_outbox.c, store_sessions.c, store_read.c,
 * store_reserve.c; store_impl.h is what they share).  See store.h for the
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
 * kept (enum hot, store_impl.h); each use ends with st_hot_done() (reset, clear bindings), so
 * no statement holds a read transaction or a caller's string between calls.
 * The rest (reports, retention, sessions and stops) are prepared per call.
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

const char *const st_hot_sql[H_COUNT] = {
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

/* ---- errors ------------------------------------------------------------ */

int st_map_sqlite(sqlite3 *db, int rc)
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
int st_seterr(store_t *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return rc;
}

/* Record a SQLite failure (call it before anything else touches the
 * connection, e.g. a rollback) and return it as a negative errno. */
int st_sqlerr(store_t *s, int rc, const char *what)
{
	int e = st_map_sqlite(s->db, rc);
	if (e == 0)
		e = -EIO;
	st_seterr(s, e, "%s: %s: %s", s->path, what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	if (!s->readonly && (e == -ENOSPC || e == -EIO)) {
		s->fault = true;
		memcpy(s->faultmsg, s->errmsg, sizeof(s->faultmsg));
	}
	return e;
}

/* A write went through: the disk takes it again. */
void st_write_ok(store_t *s)
{
	s->fault = false;
}

int st_check_rw(store_t *s, const char *what)
{
	if (s->readonly)
		return st_seterr(s, -EROFS, "%s: %s: store opened read-only", s->path, what);
	return 0;
}

/* ---- small helpers ----------------------------------------------------- */

int st_exec(store_t *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : st_sqlerr(s, rc, what);
}

int st_prep(store_t *s, sqlite3_stmt **st, const char *sql, const char *what)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return st_sqlerr(s, rc, what);
	}
	return 0;
}

/* The kept statement id in *st, prepared on first use. */
int st_hot(store_t *s, enum hot id, sqlite3_stmt **st, const char *what)
{
	if (!s->hot[id]) {
		int rc = sqlite3_prepare_v3(s->db, st_hot_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->hot[id], NULL);
		if (rc != SQLITE_OK) {
			s->hot[id] = NULL;
			*st = NULL;
			return st_sqlerr(s, rc, what);
		}
	}
	*st = s->hot[id];
	return 0;
}

/* After each use of a kept statement (also on errors: record them first). */
void st_hot_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Step a kept statement that returns no rows; st_hot_done()s it. */
int st_hot_run(store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = st_sqlerr(s, rc, what);
	else if (!sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(s->db))
		st_write_ok(s);   /* committed (in a transaction: tx_commit says) */
	st_hot_done(st);
	return ret;
}

/* Step a statement that returns no rows; finalizes it. */
int st_run(store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = st_sqlerr(s, rc, what);
	sqlite3_finalize(st);
	return ret;
}

void st_bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void st_bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

double st_column_real_or_nan(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

bool st_valid_latlon(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

/* NULL is fine (means none); otherwise a JSON object. */
bool st_valid_json_object(const char *text)
{
	if (!text)
		return true;
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	bool ok = j && json_is_object(j);
	json_decref(j);
	return ok;
}

char *st_xstrdup(const char *v)
{
	return v ? strdup(v) : NULL;
}

/* ---- transactions ------------------------------------------------------ */

/* durable: fsync the WAL at this commit (synchronous=FULL), so the change
 * survives a power cut, not only a crash. */
int st_tx_begin(store_t *s, bool durable, const char *what)
{
	sqlite3_stmt *st;
	int rc;
	/* (PRAGMA synchronous acts when it is prepared: it cannot be kept) */
	if (durable && (rc = st_exec(s, "PRAGMA synchronous=FULL", what)) < 0)
		return rc;
	if ((rc = st_hot(s, H_BEGIN, &st, what)) == 0)
		rc = st_hot_run(s, st, what);
	if (rc < 0 && durable)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	return rc;
}

void st_tx_rollback(store_t *s, bool durable)
{
	/* SQLite may have rolled back already (SQLITE_FULL, I/O errors). */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (durable)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
}

int st_tx_commit(store_t *s, bool durable, const char *what)
{
	sqlite3_stmt *st;
	int rc = st_hot(s, H_COMMIT, &st, what);
	if (rc == 0)
		rc = st_hot_run(s, st, what);
	if (rc < 0) {
		st_tx_rollback(s, durable);
		return rc;
	}
	st_write_ok(s);
	if (durable)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	return 0;
}

/* Read one integer from a one-row query (PRAGMA, count, ...). */
int st_query_int64(store_t *s, const char *sql, int64_t *v, const char *what)
{
	sqlite3_stmt *st;
	int rc = st_prep(s, &st, sql, what);
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
		rc = st_sqlerr(s, rc, what);
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
		return st_seterr(s, -EINVAL, "%s: not a vanctld database (not an SQLite database file)",
			      s->path);
	if (rc != SQLITE_OK)
		return st_sqlerr(s, rc, "reading the schema");
	if ((rc = st_query_int64(s, "PRAGMA application_id", &app, "reading the schema")) < 0 ||
	    (rc = st_query_int64(s, "PRAGMA user_version", &uv, "reading the schema")) < 0 ||
	    (rc = st_query_int64(s, "SELECT count(*) FROM sqlite_master", &ntables,
			      "reading the schema")) < 0)
		return rc;
	if (app == 0 && uv == 0 && ntables == 0) {
		if (s->readonly)
			return st_seterr(s, -EINVAL, "%s: not a vanctld database (empty: vanctld has "
				      "not initialised it yet)", s->path);
		*fresh = true;
		*version = 0;
		return 0;
	}
	if (app != STORE_APPLICATION_ID)
		return st_seterr(s, -EINVAL, "%s: not a vanctld database (an SQLite database of "
			      "another application: application_id 0x%08" PRIx64 ", %" PRId64
			      " schema objects)", s->path, (uint64_t)app & 0xffffffffu, ntables);
	if (uv > STORE_SCHEMA_VERSION)
		return st_seterr(s, -EPROTO, "%s: database schema version %" PRId64 " is newer than "
			      "this build knows (%d): upgrade vanctld/vanctl", s->path, uv,
			      STORE_SCHEMA_VERSION);
	if (uv < STORE_SCHEMA_VERSION && s->readonly)
		return st_seterr(s, -EPROTO, "%s: database schema version %" PRId64 " is older than "
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
		if ((rc = st_tx_begin(s, true, what)) < 0)
			return rc;
		rc = st_exec(s, store_migration_sql(v), what);
		if (rc == 0 && v == 1) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id=%d", STORE_APPLICATION_ID);
			rc = st_exec(s, sql, what);
		}
		if (rc == 0) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
			rc = st_exec(s, sql, what);
		}
		if (rc < 0) {
			st_tx_rollback(s, true);
			return rc;
		}
		if ((rc = st_tx_commit(s, true, what)) < 0)
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
	return st_exec(s, sql, "checking the counters");
}

static int fix_mode(store_t *s, const char *file, bool must_exist)
{
	struct stat st;
	if (stat(file, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return st_seterr(s, -errno, "%s: %s", file, strerror(errno));
	}
	if ((st.st_mode & S_IRWXO) && chmod(file, st.st_mode & 07770) < 0)
		return st_seterr(s, -errno, "%s: cannot take away world access: %s", file,
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
		return st_seterr(s, -errno, "%s: cannot open or create: %s", s->path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return st_seterr(s, rc, "%s: %s", s->path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return st_seterr(s, -EINVAL, "%s: not a regular file", s->path);
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
		return st_sqlerr(s, rc, "cannot open");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_RW_MS);
	/* Exclusive locking before the first read: WAL mode then keeps its
	 * index in our memory and needs no -shm file (which a full disk may
	 * not let SQLite create or grow). */
	if (exclusive && (rc = st_exec(s, "PRAGMA locking_mode=EXCLUSIVE", "opening without a -shm")) < 0)
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
	if (fresh && (rc = st_exec(s, "PRAGMA page_size=" STR(STORE_PAGE_SIZE) "; "
				"PRAGMA auto_vacuum=INCREMENTAL", "initialising")) < 0)
		return rc;

	sqlite3_stmt *stj;
	if ((rc = st_prep(s, &stj, "PRAGMA journal_mode=WAL", "setting WAL mode")) < 0)
		return rc;
	rc = sqlite3_step(stj);
	if (rc != SQLITE_ROW) {
		rc = st_sqlerr(s, rc, "setting WAL mode");
		sqlite3_finalize(stj);
		return rc;
	}
	const char *mode = (const char *)sqlite3_column_text(stj, 0);
	bool wal = mode && strcmp(mode, "wal") == 0;
	sqlite3_finalize(stj);
	if (!wal)
		return st_seterr(s, -EIO, "%s: cannot use WAL mode (journal mode stays %s): is it on a "
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
	if ((rc = st_exec(s, sql, "setting pragmas")) < 0)
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
			return st_seterr(s, -ENOENT, "%s: no such database (vanctld creates it when "
				      "it first starts)", s->path);
		return st_seterr(s, -errno, "%s: %s", s->path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return st_seterr(s, -EINVAL, "%s: not a regular file", s->path);

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
			return st_seterr(s, -ENOMEM, "%s: out of memory", s->path);
		rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		free(uri);
	} else {
		rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY, NULL);
	}
	if (rc != SQLITE_OK)
		return st_sqlerr(s, rc, "cannot open read-only");
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_RO_MS);
	if ((rc = check_identity(s, &fresh, &version)) < 0)
		return rc;
	s->version = version;
	return st_exec(s, "PRAGMA query_only=ON", "setting pragmas");
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

store_t *store_open(const char *path, bool readonly, char *err, size_t errlen)
{
	if (!path || !*path) {
		if (err && errlen)
			snprintf(err, errlen, "store_open: no database path");
		errno = EINVAL;
		return NULL;
	}
	store_t *s = calloc(1, sizeof(*s));
	if (s)
		s->path = strdup(path);
	if (!s || !s->path) {
		free(s);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	s->readonly = readonly;
	int rc = readonly ? open_ro(s) : open_rw(s);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", s->errmsg);
		store_free(s);
		errno = -rc;
		return NULL;
	}
	s->errmsg[0] = '\0';
	return s;
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
	if ((rc = st_query_int64(s, "PRAGMA page_size", &page, "setting the size cap")) < 0)
		return rc;
	int64_t pages = bytes ? (bytes + page - 1) / page : INT32_MAX - 1;
	if (pages > INT32_MAX - 1)
		pages = INT32_MAX - 1;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%" PRId64, pages);
	return st_query_int64(s, sql, &got, "setting the size cap");
}

/* ---- counters ---------------------------------------------------------- */

static int64_t counter_next(store_t *s, const char *name, const char *what)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;
	if (!s)
		return -EINVAL;
	if ((rc = st_check_rw(s, what)) < 0)
		return rc;
	if ((rc = st_tx_begin(s, true, what)) < 0)
		return rc;
	if ((rc = st_prep(s, &st, "UPDATE counters SET value = value + 1 WHERE name = ?", what)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = st_run(s, st, what)) < 0)
		goto fail;
	if ((rc = st_prep(s, &st, "SELECT value FROM counters WHERE name = ?", what)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? st_seterr(s, -EIO, "%s: %s: counter %s missing", s->path,
						what, name) : st_sqlerr(s, rc, what);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		goto fail;
	if ((rc = st_tx_commit(s, true, what)) < 0)
		return rc;
	return v;
fail:
	st_tx_rollback(s, true);
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
	if ((rc = st_check_rw(s, what)) < 0)
		return rc;
	if (!s->next_seq) {
		int64_t v = 0;
		rc = st_query_int64(s, "SELECT max(coalesce((SELECT value FROM counters WHERE name = 'seq'), 0), "
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
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	if (!key || !*key || !value)
		return st_seterr(s, -EINVAL, "%s: %s: needs a key and a value", s->path, what);
	if ((rc = st_hot(s, H_KV_PUT, &st, what)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return st_hot_run(s, st, what);
}

int store_kv_get(store_t *s, const char *key, char **value)
{
	static const char what[] = "reading state";
	sqlite3_stmt *st;
	if (!s || !key || !value)
		return -EINVAL;
	int rc = st_hot(s, H_KV_GET, &st, what);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char *v = st_xstrdup((const char *)sqlite3_column_text(st, 0));
		if (!v) {
			rc = st_seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
		} else {
			*value = v;
			rc = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = st_seterr(s, -ENOENT, "%s: no saved value for %s", s->path, key);
	} else {
		rc = st_sqlerr(s, rc, what);
	}
	st_hot_done(st);
	return rc;
}

int store_kv_delete(store_t *s, const char *key)
{
	static const char what[] = "removing state";
	sqlite3_stmt *st;
	if (!s || !key)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0 || (rc = st_prep(s, &st, "DELETE FROM kv WHERE key = ?", what)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return st_run(s, st, what);
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
		int rc = st_prep(s, &st, sql[i], what);
		if (rc < 0)
			return rc;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			int64_t v = sqlite3_column_int64(st, 0);
			if (v > best)
				best = v;
		} else if (rc != SQLITE_DONE) {
			rc = st_sqlerr(s, rc, what);
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
	int rc = st_prep(s, &st, "PRAGMA integrity_check(100)", what);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		size_t l = line ? strlen(line) : 0;
		char *n = realloc(buf, len + l + 2);
		if (!n) {
			free(buf);
			sqlite3_finalize(st);
			return st_seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
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
		rc = st_sqlerr(s, rc, what);
		sqlite3_finalize(st);
		free(buf);
		return rc;
	}
	sqlite3_finalize(st);
	if (!buf && !(buf = strdup("ok")))
		return st_seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
	*result = buf;
	return 0;
}

