/*
 * test_store.c - unit tests of controller/store.c on real SQLite files.
 *
 * Each test gets a fresh directory under $TMPDIR (or /tmp), removed after.
 * The disk-full tests fill a 1 MiB tmpfs mounted in a private mount
 * namespace (needs root/CAP_SYS_ADMIN; skipped otherwise) and, always, a
 * database capped with store_set_max_size (PRAGMA max_page_count), which
 * SQLite reports exactly like a full disk.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define T0 1700000000000LL   /* 2023-11-14T22:13:20Z */
#define DAY 86400000LL

struct fx {
	char dir[256];
	char db[300];
};

/* ---- helpers ----------------------------------------------------------- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/store-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/van.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("raw_exec %s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -999;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static store_t *open_rw(const char *path)
{
	store_t *s = NULL;
	char err[512] = "";
	if (!(s = store_open(path, false, err, sizeof(err))))
		fail_msg("store_open(%s): %d %s", path, -errno, err);
	return s;
}

static store_t *open_ro(const char *path)
{
	store_t *s = NULL;
	char err[512] = "";
	if (!(s = store_open(path, true, err, sizeof(err))))
		fail_msg("store_open(%s, ro): %d %s", path, -errno, err);
	return s;
}

static struct route_point point(int64_t i)
{
	struct route_point p = {
		.utc_ms = T0 + i * 1000, .session_id = 7,
		.lat = 52.48 + i * 1e-5, .lon = -1.89 + i * 1e-5,
		.alt = 140 + (double)i, .speed = 5.0, .track = 90.0, .eph = 4.0,
		.mode = 3, .sats = 9, .utc_src = 0,
	};
	return p;
}

static int64_t add_event(store_t *s, int64_t seq, int prio, const char *topic)
{
	char payload[128];
	snprintf(payload, sizeof(payload), "{\"v\":1,\"seq\":%lld}", (long long)seq);
	struct stored_event e = {
		.seq = seq, .utc_ms = T0 + seq * 1000, .type = "test.event", .prio = prio,
		.session_id = 7, .has_pos = true, .lat = 52.5, .lon = -1.9,
		.data_json = "{\"n\":1}",
	};
	return store_add_event(s, &e, topic, topic ? payload : NULL, 1, false, NULL);
}

static int count_point_cb(void *ctx, const struct route_point *p)
{
	(void)p;
	(*(int64_t *)ctx)++;
	return 0;
}

/* via the public reader */
static int64_t count_points(store_t *s)
{
	int64_t n = 0;
	assert_int_equal(store_points_foreach(s, -1, 0, INT64_MAX, count_point_cb, &n), 0);
	return n;
}

static int count_event_cb(void *ctx, int64_t id, const struct stored_event *e, const char *p)
{
	(void)id; (void)e; (void)p;
	(*(int64_t *)ctx)++;
	return 0;
}

static int64_t outbox_count(store_t *s)
{
	int64_t n = -1;
	assert_int_equal(store_outbox_stats(s, &n, NULL), 0);
	return n;
}

/* Peek everything (no in-flight), return count; ids in ids[]. */
static int peek_ids(store_t *s, int64_t *ids, size_t max, const int64_t *infl, size_t ninfl)
{
	struct outbox_msg m[64];
	assert_true(max <= 64);
	int n = store_outbox_peek(s, m, max, infl, ninfl);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		ids[i] = m[i].id;
		store_outbox_msg_free(&m[i]);
	}
	return n;
}

/* ---- open / create ----------------------------------------------------- */

static void test_create_mode_0600(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char side[400];
	mode_t old = umask(0);      /* even a careless umask gets 0600 */
	store_t *s = open_rw(f->db);
	umask(old);
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_string_equal(store_path(s), f->db);
	assert_string_equal(store_errmsg(s), "");
	/* the sidecars inherit the mode and stay after close (persistent WAL) */
	assert_int_equal(store_kv_put(s, "k", "v"), 0);
	store_close(s);
	snprintf(side, sizeof(side), "%s-wal", f->db);
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-shm", f->db);
	assert_int_equal(stat(side, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(raw_int(f->db, "PRAGMA application_id"), STORE_APPLICATION_ID);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db, "PRAGMA auto_vacuum"), 2);     /* incremental */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
				 "name IN ('kv','counters','route_points','events','outbox','sessions','stops')"),
			 7);
	sqlite3 *db;
	sqlite3_stmt *st2;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st2, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st2), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st2, 0), "wal");
	sqlite3_finalize(st2);
	sqlite3_close(db);
}

static void test_existing_world_readable_is_fixed(void **state)
{
	struct fx *f = *state;
	struct stat st;
	store_close(open_rw(f->db));
	assert_int_equal(chmod(f->db, 0644), 0);
	store_close(open_rw(f->db));
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);  /* world bits gone, group kept */
}

static void test_no_parent_dirs(void **state)
{
	struct fx *f = *state;
	char path[400], err[512] = "";
	snprintf(path, sizeof(path), "%s/missing/van.db", f->dir);
	assert_null(store_open(path, false, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, path));
	assert_int_equal(count_dir(f->dir), 0);
}

static void test_readonly_missing_creates_nothing(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	assert_null(store_open(f->db, true, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, f->db));
	assert_non_null(strstr(err, "no such database"));
	assert_int_equal(count_dir(f->dir), 0);
	/* a NULL err buffer is fine */
	assert_null(store_open(f->db, true, NULL, 0));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_dir(f->dir), 0);
}

static void test_foreign_sqlite_file(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	raw_exec(f->db, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT);"
		 "INSERT INTO photos(name) VALUES ('x');");
	assert_null(store_open(f->db, true, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a vanctld database"));
	assert_non_null(strstr(err, f->db));
	/* read-write refuses too, and changes nothing */
	err[0] = '\0';
	assert_null(store_open(f->db, false, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a vanctld database"));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_master"), 1);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 0);
	char wal[400];
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	assert_int_equal(access(wal, F_OK), -1);   /* not switched to WAL */
}

static void test_not_sqlite_file(void **state)
{
	struct fx *f = *state;
	static const char text[] = "[unit]\nid = van1\nthis is a config file, not a database\n"
		"padding padding padding padding padding padding padding padding padding\n";
	char err[512] = "", buf[sizeof(text)];
	FILE *fp = fopen(f->db, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_null(store_open(f->db, true, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a vanctld database"));
	err[0] = '\0';
	assert_null(store_open(f->db, false, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a vanctld database"));
	fp = fopen(f->db, "r");
	assert_int_equal(fread(buf, 1, sizeof(buf), fp), sizeof(text) - 1);
	fclose(fp);
	assert_memory_equal(buf, text, sizeof(text) - 1);  /* untouched */
	assert_int_equal(count_dir(f->dir), 1);
}

static void test_empty_file(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	store_t *s = NULL;
	int fd = open(f->db, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(store_open(f->db, true, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a vanctld database"));
	assert_int_equal(count_dir(f->dir), 1);
	s = open_rw(f->db);     /* read-write initialises it */
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	store_close(open_rw(f->db));
	raw_exec(f->db, "PRAGMA user_version = 99");
	assert_null(store_open(f->db, true, err, sizeof(err)));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(err, "newer"));
	assert_null(store_open(f->db, false, err, sizeof(err)));
	assert_int_equal(errno, EPROTO);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 99);
}

static void test_readonly_reads_while_daemon_writes(void **state)
{
	struct fx *f = *state;
	store_t *w = open_rw(f->db);
	assert_true(add_event(w, store_next_seq(w), 0, "van/t/events") > 0);
	store_t *r = open_ro(f->db);
	assert_int_equal(store_schema_version(r), STORE_SCHEMA_VERSION);
	assert_int_equal(outbox_count(r), 1);
	/* writer goes on while the reader is open */
	assert_true(add_event(w, store_next_seq(w), 0, "van/t/events") > 0);
	assert_int_equal(outbox_count(r), 2);
	/* a read-only handle refuses every change */
	struct route_point p = point(0);
	assert_int_equal(store_add_point(r, &p), -EROFS);
	assert_non_null(strstr(store_errmsg(r), "read-only"));
	assert_int_equal(store_outbox_add(r, STORE_OUTBOX_STATE, 0, "t", "{}", 1, true, 0, T0), -EROFS);
	assert_int_equal(store_kv_put(r, "a", "b"), -EROFS);
	assert_int_equal(store_next_seq(r), -EROFS);
	assert_int_equal(store_outbox_delete(r, 1), -EROFS);
	assert_int_equal(store_flush(r), 0);   /* nothing buffered */
	char *res = NULL;
	assert_int_equal(store_integrity_check(r, &res), 0);
	assert_string_equal(res, "ok");
	free(res);
	store_close(r);
	store_close(w);

	/* daemon stopped: a read-only open creates nothing new */
	int before = count_dir(f->dir);
	r = open_ro(f->db);
	assert_int_equal(outbox_count(r), 2);
	store_close(r);
	assert_int_equal(count_dir(f->dir), before);
}

static void test_readonly_copy_without_wal(void **state)
{
	struct fx *f = *state;
	char db[400], side[420];
	/* a copy of the database alone (say, taken off the SD card), under a
	 * name that needs escaping in a URI */
	snprintf(db, sizeof(db), "%s/van #1?%%.db", f->dir);
	store_t *s = open_rw(db);
	assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	store_close(s);
	snprintf(side, sizeof(side), "%s-wal", db);
	assert_int_equal(unlink(side), 0);
	snprintf(side, sizeof(side), "%s-shm", db);
	assert_int_equal(unlink(side), 0);
	assert_int_equal(count_dir(f->dir), 1);
	s = open_ro(db);
	assert_int_equal(outbox_count(s), 1);
	store_close(s);
	assert_int_equal(count_dir(f->dir), 1);    /* created nothing */
	/* the daemon opens it as usual afterwards */
	s = open_rw(db);
	assert_int_equal(outbox_count(s), 1);
	store_close(s);
}

/* ---- migrations -------------------------------------------------------- */

static void build_v1(const char *path, bool with_rows)
{
	char sql[128], fixture[512];
	const char *src = getenv("VAN_SOURCE_DIR");
	raw_exec(path, "PRAGMA journal_mode=WAL");
	raw_exec(path, store_migration_sql(1));
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=1",
		 STORE_APPLICATION_ID);
	raw_exec(path, sql);
	if (!with_rows)
		return;
	snprintf(fixture, sizeof(fixture), "%s/tests/data/store_v1.sql", src ? src : ".");
	FILE *fp = fopen(fixture, "r");
	if (!fp)
		fail_msg("cannot read %s (set VAN_SOURCE_DIR)", fixture);
	char *text = calloc(1, 1 << 16);
	size_t n = fread(text, 1, (1 << 16) - 1, fp);
	fclose(fp);
	assert_true(n > 0);
	raw_exec(path, text);
	free(text);
}

static int count_session_cb(void *ctx, const struct store_session *ss)
{
	(void)ss;
	(*(int *)ctx)++;
	return 0;
}

static int collect_event_cb(void *ctx, int64_t id, const struct stored_event *e, const char *payload)
{
	(void)id; (void)payload;
	int64_t *seqs = ctx;
	seqs[++seqs[0]] = e->seq;
	assert_false(e->incident);    /* v1 rows get the v2 default */
	assert_null(e->category);
	return 0;
}

static void test_migration_from_v1(void **state)
{
	struct fx *f = *state;
	char err[512] = "", *v = NULL;
	store_t *s = NULL;
	build_v1(f->db, true);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	/* vanctl (read-only) cannot migrate: clear error */
	assert_null(store_open(f->db, true, err, sizeof(err)));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(err, "older"));

	int64_t page = raw_int(f->db, "PRAGMA page_size");
	s = open_rw(f->db);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* an existing database keeps its page size (new ones get small pages) */
	assert_int_equal(raw_int(f->db, "PRAGMA page_size"), page);
	/* data survived */
	assert_int_equal(store_kv_get(s, "core.state", &v), 0);
	assert_string_equal(v, "{\"session\":{\"state\":\"idle\"}}");
	free(v);
	assert_int_equal(count_points(s), 8);
	/* v3: points stored with session 0 are filed under their session by time */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM route_points WHERE session_id = 1"), 5);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM route_points WHERE session_id = 2"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM route_points WHERE session_id = 0 AND "
				 "utc_ms IN (1700050000000, 1690000000000)"), 2);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM route_points WHERE session_id = 0"), 2);
	int nsess = 0;
	assert_int_equal(store_sessions_foreach(s, 0, INT64_MAX, count_session_cb, &nsess), 0);
	assert_int_equal(nsess, 2);
	struct store_session ss;
	char *buf = NULL;
	assert_int_equal(store_session_get(s, 1, &ss, &buf), 0);
	assert_string_equal(ss.plan, "tuesday-north");
	assert_int_equal(ss.crew, 2);
	free(buf);
	int64_t seqs[16] = { 0 };
	struct store_event_filter all = { .session_id = -1, .to_utc_ms = INT64_MAX };
	assert_int_equal(store_events_foreach(s, &all, collect_event_cb, seqs), 0);
	assert_int_equal(seqs[0], 4);
	assert_int_equal(seqs[4], 5);
	assert_int_equal(outbox_count(s), 2);
	store_close(s);
	/* and vanctl can read it now */
	s = open_ro(f->db);
	assert_int_equal(count_points(s), 8);
	store_close(s);
}

static void test_migration_counters_never_go_back(void **state)
{
	struct fx *f = *state;
	build_v1(f->db, true);
	store_t *s = open_rw(f->db);
	/* the v1 counter said 3 but seq 5 is stored: next is 6 */
	assert_int_equal(store_next_seq(s), 6);
	assert_int_equal(store_next_session_id(s), 3);
	struct stored_event inc = { .seq = 7, .utc_ms = T0, .type = "incident.recorded",
				    .incident = true, .category = "abuse",
				    .data_json = "{\"note\":\"verbal abuse from passer-by\"}" };
	assert_true(store_add_event(s, &inc, NULL, NULL, 0, false, NULL) > 0);
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM events WHERE incident AND "
				 "category = 'abuse'"), 1);
}

static void test_migration_failure_rolls_back(void **state)
{
	struct fx *f = *state;
	char err[512] = "";
	build_v1(f->db, false);
	/* a hand-edited v1 database that already has one of v2's columns: the
	 * v2 migration fails half-way and must leave v1 exactly as it was */
	raw_exec(f->db, "ALTER TABLE events ADD COLUMN category TEXT");
	assert_null(store_open(f->db, false, err, sizeof(err)));
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(err, "migrating to schema version 2"));
	assert_non_null(strstr(err, "duplicate column"));
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM pragma_table_info('events') "
				 "WHERE name = 'incident'"), 0);
}

static void test_migration_sql_table(void **state)
{
	(void)state;
	assert_null(store_migration_sql(0));
	assert_non_null(store_migration_sql(1));
	assert_non_null(store_migration_sql(STORE_SCHEMA_VERSION));
	assert_null(store_migration_sql(STORE_SCHEMA_VERSION + 1));
}

/* ---- route points ------------------------------------------------------ */

struct pts { int n; struct route_point first, last; };

static int pts_cb(void *ctx, const struct route_point *p)
{
	struct pts *c = ctx;
	if (c->n++ == 0)
		c->first = *p;
	c->last = *p;
	return 0;
}

static void test_points_batching(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	store_t *r = open_ro(f->db);
	for (int i = 0; i < 100; i++) {
		struct route_point p = point(i);
		if (i == 99) {
			p.alt = NAN;
			p.eph = NAN;
			p.sats = -1;
		}
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_pending_points(s), 100);
	assert_int_equal(count_points(s), 0);   /* nothing before flush */
	assert_int_equal(count_points(r), 0);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_pending_points(s), 0);
	assert_int_equal(count_points(r), 100); /* all after, for other readers too */
	struct pts c = { 0 };
	assert_int_equal(store_points_foreach(r, 7, 0, INT64_MAX, pts_cb, &c), 0);
	assert_int_equal(c.n, 100);
	assert_int_equal(c.first.utc_ms, T0);
	assert_float_equal(c.first.lat, 52.48, 1e-9);
	assert_float_equal(c.first.alt, 140, 1e-9);
	assert_int_equal(c.first.sats, 9);
	assert_int_equal(c.first.mode, 3);
	assert_true(isnan(c.last.alt));
	assert_true(isnan(c.last.eph));
	assert_int_equal(c.last.sats, -1);
	/* a time window, and another session */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_points_foreach(r, -1, T0 + 10000, T0 + 20000, pts_cb, &c), 0);
	assert_int_equal(c.n, 10);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_points_foreach(r, 8, 0, INT64_MAX, pts_cb, &c), 0);
	assert_int_equal(c.n, 0);
	/* flush with nothing buffered is a no-op */
	assert_int_equal(store_flush(s), 0);
	/* invalid positions are refused, not buffered */
	struct route_point bad = point(1);
	bad.lat = NAN;
	assert_int_equal(store_add_point(s, &bad), -EINVAL);
	bad.lat = 91;
	assert_int_equal(store_add_point(s, &bad), -EINVAL);
	assert_int_equal(store_pending_points(s), 0);
	store_close(r);
	store_close(s);
}

static void test_points_close_flushes(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	for (int i = 0; i < 5; i++) {
		struct route_point p = point(i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	store_close(s);
	s = open_ro(f->db);
	assert_int_equal(count_points(s), 5);
	store_close(s);
}

static void test_points_cap_drops_oldest(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	for (int i = 0; i < STORE_POINTS_CAP + 10; i++) {
		struct route_point p = point(i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_pending_points(s), STORE_POINTS_CAP);
	assert_int_equal(store_points_dropped(s), 10);
	assert_int_equal(store_flush(s), 0);
	struct pts c = { 0 };
	assert_int_equal(store_points_foreach(s, -1, 0, INT64_MAX, pts_cb, &c), 0);
	assert_int_equal(c.n, STORE_POINTS_CAP);
	assert_int_equal(c.first.utc_ms, T0 + 10 * 1000);   /* the 10 oldest went */
	assert_int_equal(c.last.utc_ms, T0 + (int64_t)(STORE_POINTS_CAP + 9) * 1000);
	store_close(s);
}

/* ---- events and outbox ------------------------------------------------- */

static void test_event_and_outbox_atomic(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	int64_t seq = store_next_seq(s);
	assert_int_equal(seq, 1);
	int64_t id = add_event(s, seq, 2, "van/t/emergency");
	assert_true(id > 0);
	struct outbox_msg m[4];
	assert_int_equal(store_outbox_peek(s, m, 4, NULL, 0), 1);
	assert_string_equal(m[0].topic, "van/t/emergency");
	assert_string_equal(m[0].payload, "{\"v\":1,\"seq\":1}");
	assert_int_equal(m[0].seq, 1);
	assert_int_equal(m[0].prio, 2);
	assert_int_equal(m[0].kind, STORE_OUTBOX_EVENT);
	assert_int_equal(m[0].qos, 1);
	assert_false(m[0].retain);
	assert_int_equal(m[0].created_utc_ms, T0 + 1000);
	store_outbox_msg_free(&m[0]);
	assert_null(m[0].topic);
	store_outbox_msg_free(NULL);
	/* the same seq again: refused, and no second outbox entry either */
	assert_int_equal(add_event(s, seq, 0, "van/t/events"), -EEXIST);
	assert_non_null(strstr(store_errmsg(s), "already stored"));
	assert_int_equal(outbox_count(s), 1);
	/* bad arguments */
	struct stored_event e = { .seq = 9, .type = "x", .data_json = "[1,2]" };
	assert_int_equal(store_add_event(s, &e, "t", "{}", 1, false, NULL), -EINVAL);
	e.data_json = "{not json";
	assert_int_equal(store_add_event(s, &e, "t", "{}", 1, false, NULL), -EINVAL);
	e.data_json = NULL;
	assert_int_equal(store_add_event(s, &e, "t", NULL, 1, false, NULL), -EINVAL);
	assert_int_equal(store_add_event(s, &e, "t", "{}", 3, false, NULL), -EINVAL);
	e.seq = 0;
	assert_int_equal(store_add_event(s, &e, "t", "{}", 1, false, NULL), -EINVAL);
	e.seq = 9;
	e.has_pos = true;
	e.lat = 200;
	assert_int_equal(store_add_event(s, &e, "t", "{}", 1, false, NULL), -EINVAL);
	/* stored without queueing (MQTT off) */
	e.has_pos = false;
	assert_true(store_add_event(s, &e, NULL, NULL, 0, false, NULL) > 0);
	assert_int_equal(outbox_count(s), 1);
	store_close(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM events"), 2);
}

static void test_outbox_order_emergency_first(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	int64_t id[6];
	id[1] = store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{\"n\":1}", 0, false, 0, T0 + 1);
	id[2] = store_outbox_add(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{\"n\":2}", 1, true, 0, T0 + 2);
	id[3] = add_event(s, store_next_seq(s), 2, "van/t/emergency");   /* emergency */
	id[4] = store_outbox_add(s, STORE_OUTBOX_REPLY, 1, "van/t/reply", "{\"n\":4}", 1, false, 0, T0 + 4);
	id[5] = store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{\"n\":5}", 0, false, 0, T0 + 5);
	for (int i = 1; i <= 5; i++)
		assert_true(id[i] > 0);
	int64_t got[8];
	/* emergency, urgent, then FIFO (outbox ids: the event's entry is
	 * the 3rd row; add_event returned the event's own row id) */
	assert_int_equal(peek_ids(s, got, 8, NULL, 0), 5);
	const int64_t want[] = { 3, 4, 1, 2, 5 };
	for (int i = 0; i < 5; i++)
		assert_int_equal(got[i], want[i]);
	/* a later emergency still jumps ahead of older normal messages */
	int64_t e2 = store_outbox_add(s, STORE_OUTBOX_LOCATION, 2, "van/t/loc", "{}", 1, false, 0, T0 + 6);
	assert_int_equal(peek_ids(s, got, 8, NULL, 0), 6);
	assert_int_equal(got[0], 3);
	assert_int_equal(got[1], e2);
	assert_int_equal(got[2], 4);

	/* excluding in-flight ids */
	int64_t infl[] = { 3, 1 };
	assert_int_equal(peek_ids(s, got, 8, infl, 2), 4);
	assert_int_equal(got[0], e2);
	assert_int_equal(got[1], 4);
	assert_int_equal(got[2], 2);
	assert_int_equal(got[3], 5);
	assert_int_equal(peek_ids(s, got, 2, infl, 2), 2);   /* max respected */
	assert_int_equal(got[1], 4);
	assert_int_equal(peek_ids(s, got, 0, NULL, 0), 0);

	/* stats, delete */
	int64_t count = 0, oldest = 0;
	assert_int_equal(store_outbox_stats(s, &count, &oldest), 0);
	assert_int_equal(count, 6);
	assert_int_equal(oldest, T0 + 1);
	assert_int_equal(store_outbox_delete(s, 1), 0);
	assert_int_equal(store_outbox_delete(s, 1), 0);   /* gone already: fine */
	assert_int_equal(store_outbox_stats(s, &count, &oldest), 0);
	assert_int_equal(count, 5);
	assert_int_equal(oldest, T0 + 2);
	assert_int_equal(store_outbox_stats(s, NULL, NULL), 0);
	/* ids are never reused, even for the newest row */
	assert_int_equal(store_outbox_delete(s, e2), 0);
	int64_t n7 = store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{}", 0, false, 0, T0 + 7);
	assert_true(n7 > e2);
	/* bad arguments */
	assert_int_equal(store_outbox_add(s, 1, 0, "", "{}", 0, false, 0, T0), -EINVAL);
	assert_int_equal(store_outbox_add(s, 1, 0, "t", NULL, 0, false, 0, T0), -EINVAL);
	assert_int_equal(store_outbox_add(s, 1, 0, "t", "{}", 5, false, 0, T0), -EINVAL);
	/* empty outbox stats */
	for (int i = 0; i < 3; i++) {
		int n = peek_ids(s, got, 8, NULL, 0);
		for (int k = 0; k < n; k++)
			assert_int_equal(store_outbox_delete(s, got[k]), 0);
	}
	assert_int_equal(store_outbox_stats(s, &count, &oldest), 0);
	assert_int_equal(count, 0);
	assert_int_equal(oldest, 0);
	store_close(s);
}

static void test_outbox_replace(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	assert_true(store_outbox_replace(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{\"v\":1}", 1, true, 0, T0) > 0);
	assert_true(store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/state", "{}", 0, false, 0, T0) > 0);
	int64_t last = store_outbox_replace(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{\"v\":2}", 1, true, 0, T0 + 1);
	assert_true(last > 0);
	struct outbox_msg m[4];
	int n = store_outbox_peek(s, m, 4, NULL, 0);
	assert_int_equal(n, 2);      /* the other kind on the same topic stays */
	assert_int_equal(m[1].id, last);
	assert_string_equal(m[1].payload, "{\"v\":2}");
	assert_true(m[1].retain);
	for (int i = 0; i < n; i++)
		store_outbox_msg_free(&m[i]);
	store_close(s);
}

static void test_outbox_thin_locations_only(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	/* a minute of 1 Hz locations while the link was down, plus events */
	for (int i = 0; i < 60; i++) {
		char pl[32];
		snprintf(pl, sizeof(pl), "{\"i\":%d}", i);
		assert_true(store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", pl, 0, false, 0,
					     T0 + i * 1000) > 0);
		if (i % 20 == 0)
			assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	}
	/* an emergency-rate location in the same period is thinned apart */
	assert_true(store_outbox_add(s, STORE_OUTBOX_LOCATION, 2, "van/t/loc", "{\"e\":1}", 1, false, 0,
				     T0 + 5500) > 0);
	assert_int_equal(outbox_count(s), 64);
	int removed = store_outbox_thin(s, STORE_OUTBOX_LOCATION, 10000);
	assert_int_equal(removed, 54);   /* 60 -> one per 10 s bucket = 6 */
	assert_int_equal(outbox_count(s), 10);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox WHERE kind = 0"), 3);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox WHERE kind = 1 AND prio = 2"), 1);
	/* the newest in each bucket is kept */
	assert_int_equal(raw_int(f->db, "SELECT min(created_utc_ms) FROM outbox WHERE kind = 1 AND prio = 0"),
			 T0 + 9000);
	assert_int_equal(store_outbox_thin(s, STORE_OUTBOX_LOCATION, 10000), 0);   /* idempotent */
	assert_int_equal(store_outbox_thin(s, STORE_OUTBOX_LOCATION, 0), -EINVAL);
	store_close(s);
}

/* Commits in the current WAL generation: frames whose salts match the
 * header's and that end a transaction (non-zero "database size"). */
static int wal_commits(const char *db)
{
	char path[400];
	unsigned char hdr[32], fh[24];
	int n = 0;
	snprintf(path, sizeof(path), "%s-wal", db);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	if (fread(hdr, 1, sizeof(hdr), fp) == sizeof(hdr)) {
		uint32_t page = (uint32_t)hdr[8] << 24 | hdr[9] << 16 | hdr[10] << 8 | hdr[11];
		while (fread(fh, 1, sizeof(fh), fp) == sizeof(fh) && !memcmp(fh + 8, hdr + 16, 8)) {
			if (fh[4] | fh[5] | fh[6] | fh[7])
				n++;
			if (fseek(fp, (long)page, SEEK_CUR) < 0)
				break;
		}
	}
	fclose(fp);
	return n;
}

/* store_outbox_stats against the table itself */
static void check_stats(store_t *s, const char *db)
{
	int64_t count = -1, oldest = -1;
	assert_int_equal(store_outbox_stats(s, &count, &oldest), 0);
	assert_int_equal(count, raw_int(db, "SELECT count(*) FROM outbox"));
	assert_int_equal(oldest, raw_int(db, "SELECT ifnull(min(created_utc_ms), 0) FROM outbox"));
}

static void test_outbox_delete_many(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	int64_t id[8], got[8];
	for (int i = 0; i < 8; i++) {
		id[i] = store_outbox_add(s, STORE_OUTBOX_EVENT, 0, "van/t/events", "{}", 1, false,
					 i + 1, T0 + i);
		assert_true(id[i] > 0);
	}
	check_stats(s, f->db);
	/* acknowledged: 0, 2, 4, an id never queued, 2 again: one commit */
	int64_t acked[] = { id[0], id[2], id[4], id[7] + 100, id[2] };
	int before = wal_commits(f->db);
	assert_int_equal(store_outbox_delete_many(s, acked, 5), 3);
	assert_int_equal(wal_commits(f->db), before + 1);
	assert_int_equal(peek_ids(s, got, 8, NULL, 0), 5);
	const int64_t want[] = { id[1], id[3], id[5], id[6], id[7] };
	for (int i = 0; i < 5; i++)
		assert_int_equal(got[i], want[i]);
	check_stats(s, f->db);
	/* all gone already: fine, nothing written */
	before = wal_commits(f->db);
	assert_int_equal(store_outbox_delete_many(s, acked, 3), 0);
	assert_int_equal(store_outbox_delete_many(s, NULL, 0), 0);
	assert_int_equal(wal_commits(f->db), before);
	/* one at a time, as store_outbox_delete does */
	assert_int_equal(store_outbox_delete_many(s, &id[1], 1), 1);
	assert_int_equal(store_outbox_delete(s, id[3]), 0);
	assert_int_equal(store_outbox_delete(s, id[3]), 0);
	check_stats(s, f->db);
	/* bad arguments */
	assert_int_equal(store_outbox_delete_many(s, NULL, 2), -EINVAL);
	assert_int_equal(store_outbox_delete_many(NULL, acked, 1), -EINVAL);
	store_close(s);
	/* read-only: refused, nothing removed */
	s = open_ro(f->db);
	int64_t rest[] = { id[5], id[6] };
	assert_int_equal(store_outbox_delete_many(s, rest, 2), -EROFS);
	assert_non_null(strstr(store_errmsg(s), "removing sent messages"));
	assert_int_equal(store_outbox_delete(s, id[5]), -EROFS);
	assert_non_null(strstr(store_errmsg(s), "removing a sent message"));
	assert_int_equal(outbox_count(s), 3);
	store_close(s);
}

/* The queue's figures are kept by the store between calls: they must
 * follow every change, its own and other connections'. */
static void test_outbox_stats_follow_changes(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	int64_t got[64];
	check_stats(s, f->db);
	int64_t a = store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{}", 0, false, 0, T0 + 50);
	check_stats(s, f->db);
	assert_true(store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{}", 0, false, 0, T0 + 20) > 0);
	check_stats(s, f->db);   /* an older time than the first */
	/* a state snapshot superseding one that is not the oldest, then one
	 * that is */
	assert_true(store_outbox_replace(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{}", 1, true, 0, T0 + 60) > 0);
	check_stats(s, f->db);
	assert_true(store_outbox_replace(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{}", 1, true, 0, T0 + 70) > 0);
	check_stats(s, f->db);
	assert_true(store_outbox_replace(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{}", 1, true, 0, T0 + 10) > 0);
	check_stats(s, f->db);
	assert_true(store_outbox_replace(s, STORE_OUTBOX_STATE, 0, "van/t/state", "{}", 1, true, 0, T0 + 80) > 0);
	check_stats(s, f->db);
	/* deleting a newer one, then the oldest */
	assert_int_equal(store_outbox_delete(s, a), 0);
	check_stats(s, f->db);
	int n = peek_ids(s, got, 64, NULL, 0);
	assert_int_equal(store_outbox_delete_many(s, got, 1), 1);
	check_stats(s, f->db);
	/* events (with and without a topic) */
	assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	check_stats(s, f->db);
	assert_true(add_event(s, store_next_seq(s), 0, NULL) > 0);
	check_stats(s, f->db);
	/* a failed add changes nothing */
	assert_int_equal(add_event(s, 1, 0, "van/t/events"), -EEXIST);
	check_stats(s, f->db);
	/* thinning, replay */
	for (int i = 0; i < 30; i++)
		assert_true(store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{}", 0, false, 0,
					     T0 + 1000 * i) > 0);
	check_stats(s, f->db);
	assert_true(store_outbox_thin(s, STORE_OUTBOX_LOCATION, 10000) > 0);
	check_stats(s, f->db);
	n = peek_ids(s, got, 64, NULL, 0);
	assert_int_equal(store_outbox_delete_many(s, got, (size_t)n), n);
	check_stats(s, f->db);
	int64_t requeued = 0;
	assert_int_equal(store_replay_from(s, 1, &requeued), 0);
	assert_int_equal(requeued, 1);
	check_stats(s, f->db);
	/* another connection changes the outbox (e.g. vanctl purge) */
	raw_exec(f->db, "INSERT INTO outbox(kind, topic, payload, created_utc_ms) VALUES (5, 't', '{}', 5)");
	check_stats(s, f->db);
	raw_exec(f->db, "DELETE FROM outbox WHERE created_utc_ms = 5");
	check_stats(s, f->db);
	/* purge */
	struct store_purge_result r;
	assert_int_equal(store_purge(s, 1, T0 + 3 * DAY, &r), 0);
	assert_int_equal(r.outbox, 1);
	check_stats(s, f->db);
	store_close(s);
}

/* Statements kept prepared between calls hold no read lock and no values
 * from the previous call. */
static void test_kept_statements(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	char *v = NULL;
	for (int i = 0; i < 3; i++)
		assert_true(store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{}", 0, false, 0,
					     T0 + i) > 0);
	assert_int_equal(store_kv_put(s, "k", "v"), 0);
	int64_t got[4];
	assert_int_equal(peek_ids(s, got, 1, NULL, 0), 1);   /* stopped after one row */
	assert_int_equal(store_kv_get(s, "k", &v), 0);
	free(v);
	assert_int_equal(store_kv_get(s, "absent", &v), -ENOENT);
	check_stats(s, f->db);
	/* no statement of the store holds a snapshot: the WAL can be reset */
	sqlite3 *db;
	int nlog = -1, nckpt = -1;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM kv", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &nlog, &nckpt),
			 SQLITE_OK);
	assert_int_equal(nlog, 0);
	sqlite3_close(db);
	char wal[400];
	struct stat st;
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* an event with a position, then one without: no position is left over */
	struct stored_event e = { .seq = store_next_seq(s), .utc_ms = T0, .type = "a",
				  .has_pos = true, .lat = 52.5, .lon = -1.9, .category = "c" };
	int64_t oid = -1;
	assert_true(store_add_event(s, &e, "van/t/events", "{}", 1, false, &oid) > 0);
	/* the event's outbox row, as the uplink will see it */
	assert_int_equal(raw_int(f->db, "SELECT max(id) FROM outbox WHERE topic = 'van/t/events'"), oid);
	struct stored_event e2 = { .seq = store_next_seq(s), .utc_ms = T0, .type = "b" };
	assert_true(store_add_event(s, &e2, NULL, NULL, 0, false, &oid) > 0);
	assert_int_equal(oid, 0);   /* not queued: no outbox row */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM events WHERE type = 'b' AND lat IS NULL "
				 "AND lon IS NULL AND category IS NULL AND topic IS NULL"), 1);
	/* route points with and without the optional fields */
	struct route_point p = point(1), q = point(2);
	q.alt = q.speed = q.track = q.eph = NAN;
	q.sats = -1;
	assert_int_equal(store_add_point(s, &p), 0);
	assert_int_equal(store_add_point(s, &q), 0);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_add_point(s, &p), 0);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM route_points WHERE alt IS NULL AND "
				 "sats IS NULL"), 1);
	assert_int_equal(count_points(s), 3);
	/* a new database gets small pages */
	assert_int_equal(raw_int(f->db, "PRAGMA page_size"), 1024);
	store_close(s);
}

static void test_replay(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	for (int i = 1; i <= 5; i++)
		assert_true(add_event(s, store_next_seq(s), i == 4 ? 2 : 0, "van/t/events") > 0);
	/* seq 6: stored without topic (MQTT was off): cannot be replayed */
	assert_true(add_event(s, store_next_seq(s), 0, NULL) > 0);
	/* all sent */
	int64_t got[16];
	int n = peek_ids(s, got, 16, NULL, 0);
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++)
		assert_int_equal(store_outbox_delete(s, got[i]), 0);
	/* something live is queued */
	int64_t live = store_outbox_add(s, STORE_OUTBOX_LOCATION, 0, "van/t/loc", "{}", 0, false, 0, T0);

	int64_t requeued = -1;
	assert_int_equal(store_replay_from(s, 3, &requeued), 0);
	assert_int_equal(requeued, 3);
	struct outbox_msg m[8];
	n = store_outbox_peek(s, m, 8, NULL, 0);
	assert_int_equal(n, 4);
	assert_int_equal(m[0].id, live);       /* live traffic first */
	for (int i = 1; i < 4; i++) {
		char want[64];
		snprintf(want, sizeof(want), "{\"v\":1,\"seq\":%d}", i + 2);
		assert_int_equal(m[i].seq, i + 2);   /* in seq order */
		assert_string_equal(m[i].payload, want);
		assert_string_equal(m[i].topic, "van/t/events");
		assert_int_equal(m[i].prio, STORE_PRIO_REPLAY);
		assert_int_equal(m[i].kind, STORE_OUTBOX_EVENT);
		assert_false(m[i].retain);
		assert_int_equal(m[i].qos, 1);
	}
	for (int i = 0; i < n; i++)
		store_outbox_msg_free(&m[i]);
	/* asking again does not queue them twice */
	assert_int_equal(store_replay_from(s, 1, &requeued), 0);
	assert_int_equal(requeued, 2);
	assert_int_equal(store_replay_from(s, 1, NULL), 0);
	assert_int_equal(outbox_count(s), 6);
	store_close(s);
}

/* ---- counters, kv ------------------------------------------------------ */

static void test_seq_persists(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	/* a number is taken by the event that stores it, not by asking */
	assert_int_equal(store_next_seq(s), 1);
	assert_int_equal(store_next_seq(s), 1);
	assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	assert_int_equal(store_next_seq(s), 2);
	assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	assert_int_equal(store_next_seq(s), 3);
	assert_int_equal(store_next_session_id(s), 1);
	store_close(s);
	/* a crash between asking and storing: the number is not lost */
	s = open_rw(f->db);
	assert_int_equal(store_next_seq(s), 3);
	assert_int_equal(store_next_session_id(s), 2);
	store_close(s);
	s = open_rw(f->db);
	assert_int_equal(store_next_seq(s), 3);
	store_close(s);
}

static void test_kv(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	char *v = (char *)"untouched";
	assert_int_equal(store_kv_get(s, "core.state", &v), -ENOENT);
	assert_string_equal(v, "untouched");
	assert_non_null(strstr(store_errmsg(s), "core.state"));
	assert_int_equal(store_kv_put(s, "core.state", "{\"a\":1}"), 0);
	assert_int_equal(store_kv_put(s, "core.state", "{\"a\":2}"), 0);
	assert_int_equal(store_kv_get(s, "core.state", &v), 0);
	assert_string_equal(v, "{\"a\":2}");
	free(v);
	assert_int_equal(store_kv_put(s, "empty", ""), 0);
	assert_int_equal(store_kv_get(s, "empty", &v), 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(store_kv_delete(s, "core.state"), 0);
	assert_int_equal(store_kv_delete(s, "core.state"), 0);
	assert_int_equal(store_kv_get(s, "core.state", &v), -ENOENT);
	assert_int_equal(store_kv_put(s, "", "x"), -EINVAL);
	assert_int_equal(store_kv_put(s, "k", NULL), -EINVAL);
	store_close(s);
}

/* The emergency reserve: allocated (not sparse), mode 0600, grown a chunk at
 * a time only while the margin stays free, never given back while the disk
 * has room (a write refused by the size cap is not a full disk).  The full
 * disk itself: it_83. */
static void test_emergency_reserve(void **state)
{
	struct fx *f = *state;
	char path[320];
	struct stat st;
	store_t *s = open_rw(f->db);
	store_t *ro;

	snprintf(path, sizeof(path), "%s-reserve", f->db);
	assert_int_equal(store_reserve_held(s), 0);
	/* a margin no disk has: nothing taken, but the (empty) file is there */
	assert_int_equal(store_reserve_keep(s, 64 * 1024, 16 * 1024, INT64_MAX / 4), 0);
	assert_int_equal(store_reserve_keep(s, 64 * 1024, 16 * 1024, 0), 64 * 1024);
	assert_int_equal(store_reserve_held(s), 64 * 1024);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true((int64_t)st.st_blocks * 512 >= 64 * 1024);   /* allocated, not sparse */
	/* kept, not grown past what is asked, never shrunk by keep */
	assert_int_equal(store_reserve_keep(s, 32 * 1024, 16 * 1024, 0), 64 * 1024);
	/* the disk has room: nothing given back */
	assert_int_equal(store_reserve_release(s, 16 * 1024), 0);
	assert_int_equal(store_reserve_held(s), 64 * 1024);
	assert_int_equal(store_reserve_keep(s, -1, 1, 0), -EINVAL);
	assert_int_equal(store_reserve_keep(s, 1, 0, 0), -EINVAL);
	assert_int_equal(store_reserve_release(NULL, 16 * 1024), 0);
	store_close(s);
	/* vanctl (read-only) never makes or touches it */
	assert_non_null(ro = store_open(f->db, true, NULL, 0));
	assert_int_equal(store_reserve_keep(ro, 64 * 1024, 16 * 1024, 0), -EROFS);
	assert_int_equal(store_reserve_held(ro), 0);
	assert_int_equal(store_reserve_release(ro, 16 * 1024), 0);
	store_close(ro);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 64 * 1024);
}

/* ---- sessions, stops --------------------------------------------------- */

static void test_session_upsert(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	int64_t id = store_next_session_id(s);
	struct store_session ss = { .id = id, .started_utc_ms = T0, .planned_end_utc_ms = T0 + 4 * 3600000,
				    .crew = 2, .plan = "tuesday-north" };
	assert_int_equal(store_session_upsert(s, &ss), 0);
	ss.ended_utc_ms = T0 + 3 * 3600000;
	ss.summary_json = "{\"stops\":3,\"entries\":11,\"peak\":4,\"incidents\":0}";
	ss.lone = true;
	ss.crew = 1;
	assert_int_equal(store_session_upsert(s, &ss), 0);
	struct store_session got;
	char *buf = NULL;
	assert_int_equal(store_session_get(s, id, &got, &buf), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(got.started_utc_ms, T0);
	assert_int_equal(got.ended_utc_ms, T0 + 3 * 3600000);
	assert_int_equal(got.planned_end_utc_ms, T0 + 4 * 3600000);
	assert_int_equal(got.crew, 1);
	assert_true(got.lone);
	assert_string_equal(got.plan, "tuesday-north");
	assert_string_equal(got.summary_json, ss.summary_json);
	free(buf);
	assert_int_equal(store_session_get(s, 999, &got, &buf), -ENOENT);
	int n = 0;
	assert_int_equal(store_sessions_foreach(s, 0, INT64_MAX, count_session_cb, &n), 0);
	assert_int_equal(n, 1);
	ss.summary_json = "not json";
	assert_int_equal(store_session_upsert(s, &ss), -EINVAL);
	ss.summary_json = NULL;
	ss.id = 0;
	assert_int_equal(store_session_upsert(s, &ss), -EINVAL);
	store_close(s);
}

struct stops { int n; int64_t id[4]; struct store_stop st[4]; char name[4][32]; };

static int stops_cb(void *ctx, int64_t id, const struct store_stop *st)
{
	struct stops *c = ctx;
	if (c->n < 4) {
		c->id[c->n] = id;
		c->st[c->n] = *st;
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", st->name ? st->name : "(null)");
		c->st[c->n].name = c->name[c->n];
	}
	c->n++;
	return 0;
}

static void test_stop_add_update(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	struct store_stop sp = { .session_id = 1, .arrived_utc_ms = T0, .lat = 52.48, .lon = -1.89,
				 .name = "site-3", .entries = 0, .peak = 0 };
	int64_t id = store_stop_add(s, &sp);
	assert_true(id > 0);
	sp.departed_utc_ms = T0 + 1800000;
	sp.entries = 5;
	sp.peak = 3;
	sp.door_openings = 9;
	/* the departure comes after the session (and its plan) ended: the stop
	 * stays in its session, with its name */
	sp.session_id = 0;
	sp.name = NULL;
	assert_int_equal(store_stop_update(s, id, &sp), 0);
	assert_int_equal(store_stop_update(s, id + 100, &sp), -ENOENT);
	struct store_stop other = { .session_id = 2, .arrived_utc_ms = T0 + 5000, .lat = NAN, .lon = NAN };
	assert_true(store_stop_add(s, &other) > id);
	struct stops c = { 0 };
	assert_int_equal(store_stops_foreach(s, 1, 0, INT64_MAX, stops_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.id[0], id);
	assert_int_equal(c.st[0].departed_utc_ms, T0 + 1800000);
	assert_int_equal(c.st[0].entries, 5);
	assert_int_equal(c.st[0].peak, 3);
	assert_int_equal(c.st[0].door_openings, 9);
	assert_string_equal(c.st[0].name, "site-3");
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_stops_foreach(s, -1, 0, INT64_MAX, stops_cb, &c), 0);
	assert_int_equal(c.n, 2);
	assert_true(isnan(c.st[1].lat));
	assert_string_equal(c.st[1].name, "(null)");
	store_close(s);
}

/* ---- retention --------------------------------------------------------- */

static int payload_cb(void *ctx, int64_t id, const struct stored_event *e, const char *payload)
{
	(void)id;
	int *c = ctx;
	if (e->seq == 1) {     /* old, normal: stripped */
		assert_null(payload);
		assert_false(e->has_pos);
		assert_string_equal(e->data_json, "{}");
		assert_string_equal(e->type, "test.event");
		c[0]++;
	} else if (e->seq == 2) {   /* old incident: note kept, place gone */
		assert_null(payload);
		assert_false(e->has_pos);
		assert_string_equal(e->data_json, "{\"note\":\"van door damaged\"}");
		assert_true(e->incident);
		assert_string_equal(e->category, "vehicle");
		c[1]++;
	} else {                   /* recent: whole */
		assert_non_null(payload);
		assert_true(e->has_pos);
		c[2]++;
	}
	return 0;
}

static void test_purge_by_age(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	int64_t now = T0 + 100 * DAY;
	/* old: 40 days ago; recent: 1 day ago; retention 30 days */
	int64_t old = now - 40 * DAY, recent = now - DAY;
	for (int i = 0; i < 10; i++) {
		struct route_point p = point(i);
		p.utc_ms = (i < 6 ? old : recent) + i;
		p.session_id = i < 3 ? 1 : (i < 6 ? 2 : 3);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_flush(s), 0);
	struct store_stop sp = { .session_id = 1, .arrived_utc_ms = old, .lat = 52.4, .lon = -1.8,
				 .name = "site-1", .entries = 4, .peak = 2 };
	assert_true(store_stop_add(s, &sp) > 0);
	sp.arrived_utc_ms = recent;
	assert_true(store_stop_add(s, &sp) > 0);
	struct stored_event e = { .seq = 1, .utc_ms = old, .type = "test.event", .has_pos = true,
				  .lat = 52.4, .lon = -1.8, .data_json = "{\"lat\":52.4}" };
	assert_true(store_add_event(s, &e, "van/t/events", "{\"seq\":1}", 1, false, NULL) > 0);
	e.seq = 2;
	e.type = "incident.recorded";
	e.incident = true;
	e.category = "vehicle";
	e.data_json = "{\"note\":\"van door damaged\"}";
	assert_true(store_add_event(s, &e, "van/t/events", "{\"seq\":2}", 1, false, NULL) > 0);
	e.seq = 3;
	e.utc_ms = recent;
	assert_true(store_add_event(s, &e, "van/t/events", "{\"seq\":3}", 1, false, NULL) > 0);
	struct store_session ss = { .id = 1, .started_utc_ms = old, .ended_utc_ms = old + 3600000,
				    .crew = 2, .summary_json = "{\"entries\":4}" };
	assert_int_equal(store_session_upsert(s, &ss), 0);

	struct store_purge_result r;
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(store_purge(s, 30, now, &r), 0);
	assert_int_equal(r.points, 6);
	assert_int_equal(r.sessions, 2);    /* sessions 1 and 2 lost route detail */
	assert_int_equal(r.stops, 1);
	assert_int_equal(r.events, 2);
	assert_int_equal(r.outbox, 2);      /* the two old events' messages */
	assert_int_equal(count_points(s), 4);
	assert_int_equal(outbox_count(s), 1);
	int c[3] = { 0 };
	struct store_event_filter all = { .session_id = -1, .to_utc_ms = INT64_MAX };
	assert_int_equal(store_events_foreach(s, &all, payload_cb, c), 0);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 1);
	struct stops st = { 0 };
	assert_int_equal(store_stops_foreach(s, -1, 0, INT64_MAX, stops_cb, &st), 0);
	assert_int_equal(st.n, 2);
	assert_true(isnan(st.st[0].lat));      /* old: place gone, counts kept */
	assert_int_equal(st.st[0].entries, 4);
	assert_false(isnan(st.st[1].lat));
	/* sessions kept whole */
	struct store_session got;
	char *buf = NULL;
	assert_int_equal(store_session_get(s, 1, &got, &buf), 0);
	assert_string_equal(got.summary_json, "{\"entries\":4}");
	free(buf);
	/* the incidents report still finds the old incident */
	int ninc[3] = { 0 };
	struct store_event_filter inc = { .session_id = -1, .to_utc_ms = INT64_MAX,
					  .incidents_only = true, .category = "vehicle" };
	assert_int_equal(store_events_foreach(s, &inc, payload_cb, ninc), 0);
	assert_int_equal(ninc[1] + ninc[2], 2);
	/* replay cannot resend what was purged */
	int64_t rq = -1;
	assert_int_equal(store_replay_from(s, 1, &rq), 0);
	assert_int_equal(rq, 0);      /* seq 3 is still queued */
	/* the purge records how far it reached, for the review's wording */
	char *cut = NULL;
	assert_int_equal(store_kv_get(s, STORE_KV_PURGE_CUTOFF, &cut), 0);
	assert_int_equal(strtoll(cut, NULL, 10), now - 30 * 86400000LL);
	free(cut);
	/* a second purge finds nothing more */
	assert_int_equal(store_purge(s, 30, now, &r), 0);
	assert_int_equal(r.points + r.events + r.stops + r.outbox + r.sessions, 0);
	/* a purge that reaches less far does not move the mark back */
	assert_int_equal(store_purge(s, 60, now, &r), 0);
	assert_int_equal(store_kv_get(s, STORE_KV_PURGE_CUTOFF, &cut), 0);
	assert_int_equal(strtoll(cut, NULL, 10), now - 30 * 86400000LL);
	free(cut);
	assert_int_equal(store_purge(s, 0, now, NULL), -EINVAL);
	char *res = NULL;
	assert_int_equal(store_integrity_check(s, &res), 0);
	assert_string_equal(res, "ok");
	free(res);
	store_close(s);
}

/* ---- integrity --------------------------------------------------------- */

static void test_integrity_check_finds_damage(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	char *res = NULL;
	assert_int_equal(store_integrity_check(s, &res), 0);
	assert_string_equal(res, "ok");
	free(res);
	for (int i = 0; i < 50; i++) {
		struct route_point p = point(i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_flush(s), 0);
	store_close(s);
	/* damage: make an index disagree with its table */
	raw_exec(f->db, "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql = "
		 "'CREATE INDEX route_points_utc ON route_points(lat)' WHERE name = 'route_points_utc';");
	s = open_rw(f->db);
	assert_int_equal(store_integrity_check(s, &res), 0);
	assert_string_not_equal(res, "ok");
	assert_non_null(strstr(res, "route_points_utc"));
	free(res);
	store_close(s);
}

/* ---- disk full --------------------------------------------------------- */

/* The same checks on any full store: nothing half-written, points kept. */
static void full_disk_checks(store_t *s, int npoints, int (*make_room)(void *), void *arg)
{
	int64_t events_before = 0, outbox_before = outbox_count(s);
	struct store_event_filter all = { .session_id = -1, .to_utc_ms = INT64_MAX };
	assert_int_equal(store_events_foreach(s, &all, count_event_cb, &events_before), 0);
	int64_t points_before = count_points(s);

	/* enough points to need new pages */
	for (int i = 0; i < npoints; i++) {
		struct route_point p = point(100000 + i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	int rc = store_flush(s);
	assert_int_equal(rc, -ENOSPC);
	assert_non_null(strstr(store_errmsg(s), "full"));
	assert_non_null(strstr(store_errmsg(s), store_path(s)));
	assert_int_equal(store_pending_points(s), (size_t)npoints);   /* kept for a retry */
	assert_int_equal(count_points(s), points_before);  /* nothing half-written */
	/* an event with a big payload: neither it nor its outbox entry */
	static char big[64 * 1024];
	memset(big, 'x', sizeof(big) - 1);
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	struct stored_event e = { .seq = 1000, .utc_ms = T0, .type = "alarm.raised", .prio = 2 };
	int64_t id = store_add_event(s, &e, "van/t/emergency", big, 1, true, NULL);
	assert_int_equal(id, -ENOSPC);
	int64_t events_now = 0;
	assert_int_equal(store_events_foreach(s, &all, count_event_cb, &events_now), 0);
	assert_int_equal(events_now, events_before);
	assert_int_equal(outbox_count(s), outbox_before);
	/* a second try fails the same way and keeps the buffer */
	assert_int_equal(store_flush(s), -ENOSPC);
	assert_int_equal(store_pending_points(s), (size_t)npoints);

	/* room again: the retry stores everything */
	assert_int_equal(make_room(arg), 0);
	rc = store_flush(s);
	if (rc != 0)
		fail_msg("flush after making room: %d %s", rc, store_errmsg(s));
	assert_int_equal(store_pending_points(s), 0);
	assert_int_equal(count_points(s), points_before + npoints);
	assert_true(store_add_event(s, &e, "van/t/emergency", "{\"v\":1}", 1, true, NULL) > 0);
	assert_int_equal(outbox_count(s), outbox_before + 1);
	char *res = NULL;
	assert_int_equal(store_integrity_check(s, &res), 0);
	assert_string_equal(res, "ok");
	free(res);
}

static int uncap(void *arg)
{
	return store_set_max_size(arg, 0);
}

static void test_full_max_size(void **state)
{
	struct fx *f = *state;
	store_t *s = open_rw(f->db);
	for (int i = 0; i < 10; i++) {
		struct route_point p = point(i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_flush(s), 0);
	assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	/* cap at (about) the current size */
	assert_int_equal(store_set_max_size(s, 4096), 0);
	full_disk_checks(s, 3000, uncap, s);

	/* at the cap, retention still works (deleting needs no new pages),
	 * and the freed pages take new points */
	assert_int_equal(store_set_max_size(s, 4096), 0);
	for (int i = 0; i < 3000; i++) {
		struct route_point p = point(200000 + i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_flush(s), -ENOSPC);
	struct store_purge_result r;
	assert_int_equal(store_purge(s, 1, T0 + 400000 * 1000LL + 2 * DAY, &r), 0);
	assert_int_equal(r.points, 3010);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(count_points(s), 3000);
	store_close(s);
}

struct tmpfs { char filler[400]; };

static int remove_filler(void *arg)
{
	struct tmpfs *t = arg;
	return unlink(t->filler);
}

static void test_full_tmpfs(void **state)
{
	struct fx *f = *state;
	char mnt[300], db[400];
	struct tmpfs t;
	snprintf(mnt, sizeof(mnt), "%s/tmpfs", f->dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	/* a private mount namespace: the mount vanishes with this process */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=1m,mode=0700") < 0) {
		print_message("test_full_tmpfs: cannot mount a tmpfs (%s): skipped; "
			      "test_full_max_size simulates a full disk instead\n", strerror(errno));
		skip();
	}
	snprintf(db, sizeof(db), "%s/van.db", mnt);
	snprintf(t.filler, sizeof(t.filler), "%s/filler", mnt);
	store_t *s = open_rw(db);
	for (int i = 0; i < 10; i++) {
		struct route_point p = point(i);
		assert_int_equal(store_add_point(s, &p), 0);
	}
	assert_int_equal(store_flush(s), 0);
	assert_true(add_event(s, store_next_seq(s), 0, "van/t/events") > 0);
	/* fill the file system */
	int fd = open(t.filler, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	char blk[4096];
	memset(blk, 0xa5, sizeof(blk));
	while (write(fd, blk, sizeof(blk)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
	/* the daemon can still start on a full disk (opening writes nothing) */
	store_close(s);
	s = open_rw(db);
	assert_int_equal(count_points(s), 10);
	/* 1000 points fill some 30 WAL pages: room the full file system
	 * does not have, and that the 1 MiB has once the filler is gone */
	full_disk_checks(s, 1000, remove_filler, &t);
	store_close(s);
	assert_int_equal(umount(mnt), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_world_readable_is_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_parent_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_missing_creates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_sqlite_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_sqlite_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_reads_while_daemon_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_copy_without_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_counters_never_go_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_failure_rolls_back, setup, teardown),
		cmocka_unit_test(test_migration_sql_table),
		cmocka_unit_test_setup_teardown(test_points_batching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_points_close_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_points_cap_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_and_outbox_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_order_emergency_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_thin_locations_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_delete_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_stats_follow_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emergency_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_upsert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_add_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integrity_check_finds_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_max_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_tmpfs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
