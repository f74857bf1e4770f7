/*
 * vbstore.c - vanbase's SQLite database.  See vbstore.h.
 */
#include "vbstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

struct vbstore {
	sqlite3 *db;
	char *path;
	char err[512];
};

static const char *const schema_v1 =
	"CREATE TABLE alarm ("
	" id TEXT PRIMARY KEY, unit TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,"
	" covert INTEGER NOT NULL DEFAULT 0, drill INTEGER NOT NULL DEFAULT 0,"
	" raised_utc_ms INTEGER NOT NULL, acked_utc_ms INTEGER, acked_by TEXT, acked_how TEXT,"
	" resolved_utc_ms INTEGER, resolved_how TEXT, closed_utc_ms INTEGER, note TEXT,"
	" detail TEXT CHECK (detail IS NULL OR json_valid(detail)));"
	"CREATE INDEX alarm_open ON alarm(closed_utc_ms, raised_utc_ms);"
	"CREATE TABLE audit ("
	" n INTEGER PRIMARY KEY, alarm_id TEXT NOT NULL, at_utc_ms INTEGER NOT NULL,"
	" what TEXT NOT NULL, who TEXT, detail TEXT);"
	"CREATE INDEX audit_alarm ON audit(alarm_id, n);"
	"CREATE TABLE notification ("
	" id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL, contact TEXT, channel TEXT, kind TEXT NOT NULL,"
	" state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT,"
	" decided_utc_ms INTEGER NOT NULL, done_utc_ms INTEGER,"
	" request TEXT CHECK (request IS NULL OR json_valid(request)));"
	"CREATE INDEX notification_alarm ON notification(alarm_id, decided_utc_ms);"
	"CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

static int fail(vbstore_t *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(vbstore_t *s, int rc, const char *fmt, ...)
{
	va_list ap;
	char what[256];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(s->err, sizeof(s->err), "%s %s: %s", s->path, what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO;
}

const char *vbstore_errmsg(const vbstore_t *s)
{
	return s ? s->err : "no database";
}

static int exec(vbstore_t *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail(s, rc, "%s", what);
}

static int migrate(vbstore_t *s)
{
	sqlite3_stmt *st;
	int version = 0, rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return fail(s, SQLITE_ERROR, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == VBSTORE_SCHEMA_VERSION)
		return 0;
	if (version > VBSTORE_SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err),
			 "%s has schema version %d; this vanbase knows %d at most (a newer vanbase wrote it)", s->path,
			 version, VBSTORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	if ((rc = exec(s, "BEGIN IMMEDIATE", "starting the schema")) < 0)
		return rc;
	if ((rc = exec(s, schema_v1, "creating the schema")) < 0 ||
	    (rc = exec(s, "PRAGMA user_version = 1", "setting the schema version")) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return exec(s, "COMMIT", "committing the schema");
}

vbstore_t *vbstore_open(const char *path, char *err, size_t errlen)
{
	vbstore_t *s = calloc(1, sizeof(*s));
	int rc;

	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	/* created 0600 before SQLite touches it: alarms name people on call */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open the database %s: %s", path, strerror(e));
		vbstore_close(s);
		errno = e;
		return NULL;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fail(s, rc, "cannot be opened");
		snprintf(err, errlen, "%s", s->err);
		vbstore_close(s);
		errno = EIO;
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 2000);
	if ((rc = exec(s, "PRAGMA journal_mode = WAL", "setting WAL")) < 0 ||
	    (rc = exec(s, "PRAGMA synchronous = FULL", "setting synchronous")) < 0 ||
	    (rc = exec(s, "PRAGMA foreign_keys = ON", "setting foreign keys")) < 0 || (rc = migrate(s)) < 0) {
		snprintf(err, errlen, "%s", s->err);
		vbstore_close(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

void vbstore_close(vbstore_t *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int run(vbstore_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, rc, "%s", what);
	sqlite3_finalize(st);
	return r;
}

static int prep(vbstore_t *s, sqlite3_stmt **st, const char *sql, const char *what)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : fail(s, rc, "%s", what);
}

int vbstore_alarm_put(vbstore_t *s, const struct vbstore_alarm *a)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st,
		      "INSERT INTO alarm (id, unit, kind, state, covert, drill, raised_utc_ms, acked_utc_ms, acked_by,"
		      " acked_how, resolved_utc_ms, resolved_how, closed_utc_ms, note, detail)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		      " ON CONFLICT(id) DO UPDATE SET state = ?4, acked_utc_ms = ?8, acked_by = ?9, acked_how = ?10,"
		      " resolved_utc_ms = ?11, resolved_how = ?12, closed_utc_ms = ?13, note = ?14,"
		      " detail = COALESCE(?15, detail)",
		      "storing an alarm");
	if (rc < 0)
		return rc;
	bind_text(st, 1, a->id);
	bind_text(st, 2, a->unit);
	bind_text(st, 3, a->kind);
	bind_text(st, 4, a->state);
	sqlite3_bind_int(st, 5, a->covert);
	sqlite3_bind_int(st, 6, a->drill);
	sqlite3_bind_int64(st, 7, a->raised_utc_ms);
	bind_time(st, 8, a->acked_utc_ms);
	bind_text(st, 9, a->acked_by);
	bind_text(st, 10, a->acked_how);
	bind_time(st, 11, a->resolved_utc_ms);
	bind_text(st, 12, a->resolved_how);
	bind_time(st, 13, a->closed_utc_ms);
	bind_text(st, 14, a->note);
	bind_text(st, 15, a->detail);
	return run(s, st, "storing an alarm");
}

int vbstore_alarm_close(vbstore_t *s, const char *id, int64_t at_utc_ms, const char *by, const char *note)
{
	sqlite3_stmt *st;
	/* the row and its view (detail) say the same */
	int rc = prep(s, &st,
		      "UPDATE alarm SET state = 'closed', closed_utc_ms = ?2, note = ?3,"
		      " detail = CASE WHEN detail IS NULL THEN NULL ELSE json_set(detail, '$.state', 'closed',"
		      " '$.closed_at', ?2, '$.closed_by', ?4, '$.note', ?3) END WHERE id = ?1",
		      "closing an alarm");
	if (rc < 0)
		return rc;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, at_utc_ms);
	bind_text(st, 3, note && *note ? note : NULL);
	bind_text(st, 4, by);
	return run(s, st, "closing an alarm");
}

int vbstore_audit(vbstore_t *s, const char *alarm_id, int64_t at_utc_ms, const char *what, const char *who,
		  const char *detail)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, "INSERT INTO audit (alarm_id, at_utc_ms, what, who, detail) VALUES (?, ?, ?, ?, ?)",
		      "storing an audit line");
	if (rc < 0)
		return rc;
	bind_text(st, 1, alarm_id);
	sqlite3_bind_int64(st, 2, at_utc_ms);
	bind_text(st, 3, what);
	bind_text(st, 4, who);
	bind_text(st, 5, detail);
	return run(s, st, "storing an audit line");
}

int vbstore_notification_put(vbstore_t *s, const struct vbstore_notification *n)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st,
		      "INSERT INTO notification (id, alarm_id, contact, channel, kind, state, attempts, result,"
		      " decided_utc_ms, done_utc_ms, request) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
		      " ON CONFLICT(id) DO UPDATE SET state = ?6, attempts = ?7, result = ?8, done_utc_ms = ?10,"
		      " request = COALESCE(?11, request)",
		      "storing a notification");
	if (rc < 0)
		return rc;
	bind_text(st, 1, n->id);
	bind_text(st, 2, n->alarm_id);
	bind_text(st, 3, n->contact);
	bind_text(st, 4, n->channel);
	bind_text(st, 5, n->kind);
	bind_text(st, 6, n->state);
	sqlite3_bind_int(st, 7, n->attempts);
	bind_text(st, 8, n->result);
	sqlite3_bind_int64(st, 9, n->decided_utc_ms);
	bind_time(st, 10, n->done_utc_ms);
	bind_text(st, 11, n->request);
	return run(s, st, "storing a notification");
}

int vbstore_kv_set(vbstore_t *s, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc = prep(s, &st, "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", "saving state");
	if (rc < 0)
		return rc;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return run(s, st, "saving state");
}

char *vbstore_kv_get(vbstore_t *s, const char *key)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (prep(s, &st, "SELECT value FROM kv WHERE key = ?", "reading saved state") < 0)
		return NULL;
	bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* One row as a JSON object: columns by name, NULLs left out, JSON text
 * columns (detail) as objects. */
static json_t *row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	for (int i = 0; o && i < sqlite3_column_count(st); i++) {
		const char *name = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			json_object_set_new(o, name, json_integer(sqlite3_column_int64(st, i)));
			break;
		case SQLITE_FLOAT:
			json_object_set_new(o, name, json_real(sqlite3_column_double(st, i)));
			break;
		case SQLITE_TEXT: {
			const char *t = (const char *)sqlite3_column_text(st, i);
			json_t *v = !strcmp(name, "detail") || !strcmp(name, "request") ? json_loads(t, 0, NULL) : NULL;
			json_object_set_new(o, name, v ? v : json_string(t));
			break;
		}
		default:
			break;
		}
	}
	return o;
}

static json_t *rows_json(vbstore_t *s, const char *sql, const char *arg, const char *what)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	int rc;

	if (!a || prep(s, &st, sql, what) < 0) {
		json_decref(a);
		return NULL;
	}
	bind_text(st, 1, arg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, row_json(st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fail(s, rc, "%s", what);
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *vbstore_pending(vbstore_t *s)
{
	return rows_json(s, "SELECT id, request FROM notification WHERE state = 'pending' AND request IS NOT NULL"
			    " ORDER BY decided_utc_ms, id", NULL, "listing pending notifications");
}

json_t *vbstore_alarms_json(vbstore_t *s, bool open_only, int limit, bool detail)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT * FROM alarm %s ORDER BY raised_utc_ms DESC, id LIMIT %d",
		 open_only ? "WHERE closed_utc_ms IS NULL" : "", limit > 0 ? limit : -1);
	json_t *alarms = rows_json(s, sql, NULL, "listing alarms");
	size_t i;
	json_t *a;

	if (!alarms || !detail)
		return alarms;
	json_array_foreach(alarms, i, a) {
		const char *id = json_string_value(json_object_get(a, "id"));
		json_t *n = rows_json(s, "SELECT id, contact, channel, kind, state, attempts, result, decided_utc_ms,"
				      " done_utc_ms FROM notification WHERE alarm_id = ? ORDER BY decided_utc_ms, id", id,
				      "listing notifications");
		json_t *t = rows_json(s, "SELECT at_utc_ms, what, who, detail FROM audit WHERE alarm_id = ? ORDER BY n",
				      id, "listing the audit trail");
		if (!n || !t) {
			json_decref(n);
			json_decref(t);
			json_decref(alarms);
			return NULL;
		}
		json_object_set_new(a, "notifications", n);
		json_object_set_new(a, "audit", t);
	}
	return alarms;
}

int vbstore_purge(vbstore_t *s, int64_t cutoff_utc_ms)
{
	static const char *const sql[] = {
		"DELETE FROM notification WHERE alarm_id IN (SELECT id FROM alarm WHERE closed_utc_ms < ?1)",
		"DELETE FROM audit WHERE alarm_id IN (SELECT id FROM alarm WHERE closed_utc_ms < ?1)",
		"DELETE FROM alarm WHERE closed_utc_ms < ?1",
	};
	int rc, gone = 0;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "starting the purge")) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st;
		if ((rc = prep(s, &st, sql[i], "purging")) < 0)
			break;
		sqlite3_bind_int64(st, 1, cutoff_utc_ms);
		if ((rc = run(s, st, "purging")) < 0)
			break;
		gone = sqlite3_changes(s->db);
	}
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return (rc = exec(s, "COMMIT", "committing the purge")) < 0 ? rc : gone;
}

int vbstore_begin(vbstore_t *s)
{
	return exec(s, "BEGIN IMMEDIATE", "starting a transaction");
}

int vbstore_commit(vbstore_t *s)
{
	return exec(s, "COMMIT", "committing");
}

void vbstore_rollback(vbstore_t *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
