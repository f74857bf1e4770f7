/*
 * test_vbstore.c - vanbase's database (vanbase/vbstore.c) on real SQLite
 * files: created 0600 with its schema, alarms upserted and closed (row and
 * view agree), pending notifications kept until sent, the retention purge
 * removing only closed alarms past the cutoff (with their notifications and
 * audit), a newer schema refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vbstore.h"

static char dir[] = "/tmp/test_vbstore.XXXXXX";
static char path[256];

static int setup(void **st)
{
	(void)st;
	strcpy(dir, "/tmp/test_vbstore.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vb.db", dir);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int64_t count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t n = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void put(vbstore_t *s, const char *id, const char *state, int64_t raised, int64_t closed)
{
	const struct vbstore_alarm a = { .id = id, .unit = "van1", .kind = "emergency", .state = state,
					 .raised_utc_ms = raised, .closed_utc_ms = closed,
					 .detail = "{\"state\":\"resolved\"}" };
	assert_int_equal(vbstore_alarm_put(s, &a), 0);
	const struct vbstore_notification n = { .id = id, .alarm_id = id, .contact = "sam", .channel = "sms",
						 .kind = "raise", .state = "sent", .decided_utc_ms = raised };
	assert_int_equal(vbstore_notification_put(s, &n), 0);
	assert_int_equal(vbstore_audit(s, id, raised, "raised", NULL, NULL), 0);
}

static void test_create_close_purge(void **st)
{
	(void)st;
	char err[256];
	vbstore_t *s = vbstore_open(path, err, sizeof(err));
	assert_non_null(s);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	put(s, "old-closed", "closed", 1000, 2000);
	put(s, "old-open", "notified", 1000, 0);
	put(s, "new-closed", "closed", 9000, 9500);
	put(s, "resolved", "resolved", 1500, 0);
	/* close a resolved one: the row and its view say closed */
	assert_int_equal(vbstore_alarm_close(s, "resolved", 3000, "Pat", "all well"), 0);
	assert_int_equal(count("SELECT count(*) FROM alarm WHERE id = 'resolved' AND state = 'closed' AND "
			       "closed_utc_ms = 3000 AND note = 'all well' AND json_extract(detail, '$.state') = "
			       "'closed' AND json_extract(detail, '$.closed_by') = 'Pat'"), 1);
	/* open ones are listed, closed ones not */
	json_t *open = vbstore_alarms_json(s, true, 100, false);
	assert_non_null(open);
	assert_int_equal(json_array_size(open), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(open, 0), "id")), "old-open");
	json_decref(open);

	/* the purge: closed before 5000 go with their rows; open ones stay however old */
	assert_int_equal(vbstore_purge(s, 5000), 2);
	assert_int_equal(count("SELECT count(*) FROM alarm"), 2);
	assert_int_equal(count("SELECT count(*) FROM alarm WHERE id IN ('old-open', 'new-closed')"), 2);
	assert_int_equal(count("SELECT count(*) FROM notification WHERE alarm_id IN ('old-closed', 'resolved')"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE alarm_id IN ('old-closed', 'resolved')"), 0);
	assert_int_equal(vbstore_purge(s, 5000), 0);
	vbstore_close(s);
}

static void test_pending_and_kv(void **st)
{
	(void)st;
	char err[256];
	vbstore_t *s = vbstore_open(path, err, sizeof(err));
	assert_non_null(s);
	const struct vbstore_notification n = { .id = "a/r0s0/sam/sms", .alarm_id = "a", .contact = "sam",
						 .channel = "sms", .kind = "raise", .state = "pending",
						 .decided_utc_ms = 1, .request = "{\"text\":\"x\"}" };
	assert_int_equal(vbstore_notification_put(s, &n), 0);
	json_t *p = vbstore_pending(s);
	assert_int_equal(json_array_size(p), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(p, 0), "request"), "text")), "x");
	json_decref(p);
	/* sent: no longer pending; the request is kept (COALESCE) */
	struct vbstore_notification done = n;
	done.state = "sent";
	done.request = NULL;
	done.result = "exit 0";
	assert_int_equal(vbstore_notification_put(s, &done), 0);
	p = vbstore_pending(s);
	assert_int_equal(json_array_size(p), 0);
	json_decref(p);
	assert_int_equal(count("SELECT count(*) FROM notification WHERE request IS NOT NULL AND result = 'exit 0'"), 1);
	assert_null(vbstore_kv_get(s, "core"));
	assert_int_equal(vbstore_kv_set(s, "core", "{}"), 0);
	char *v = vbstore_kv_get(s, "core");
	assert_string_equal(v, "{}");
	free(v);
	vbstore_close(s);
	/* a database of a newer vanbase is refused, not changed */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(vbstore_open(path, err, sizeof(err)));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(err, "schema version 99"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_close_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_and_kv, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
