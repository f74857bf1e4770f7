/*
 * test_health_read.c - the computer's health from sysfs-like files: present
 * (both forms of the flags), absent (not an error), and garbage (an error
 * naming the file, the other file still read).
 */
#include "test_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health_read.h"

static char dir[64];

static const char *put(const char *name, const char *text)
{
	static char path[2][128];
	static int k;
	char *p = path[k++ % 2];
	snprintf(p, 128, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void present(void **st)
{
	(void)st;
	struct health_reading r;
	char err[256] = "";
	const char *fl = put("get_throttled", "50005\n"), *tp = put("temp", "61234\n");
	assert_int_equal(health_read(fl, tp, &r, err, sizeof(err)), 0);
	assert_true(r.have_flags && r.have_temp);
	assert_int_equal(r.flags, 0x50005);
	assert_true(r.flags & HEALTH_UNDERVOLT_NOW);
	assert_true(r.temp_c > 61.233 && r.temp_c < 61.235);
	fl = put("get_throttled", "0x0\n");   /* as vcgencmd prints it */
	assert_int_equal(health_read(fl, NULL, &r, err, sizeof(err)), 0);
	assert_true(r.have_flags && !r.have_temp);
	assert_int_equal(r.flags, 0);
}

static void absent(void **st)
{
	(void)st;
	struct health_reading r;
	char err[256] = "";
	char a[160], b[160];
	snprintf(a, sizeof(a), "%s/no/such/get_throttled", dir);
	snprintf(b, sizeof(b), "%s/no_such_temp", dir);
	assert_int_equal(health_read(a, b, &r, err, sizeof(err)), 0);
	assert_false(r.have_flags);
	assert_false(r.have_temp);
	assert_string_equal(err, "");
}

static void garbage(void **st)
{
	(void)st;
	struct health_reading r;
	char err[256] = "";
	const char *fl = put("get_throttled", "throttled=0x5\n"), *tp = put("temp", "45000\n");
	assert_int_equal(health_read(fl, tp, &r, err, sizeof(err)), -1);
	assert_false(r.have_flags);
	assert_true(r.have_temp);   /* the other file is still read */
	assert_non_null(strstr(err, "get_throttled: not throttling flags"));
	tp = put("temp", "hot\n");
	fl = put("get_throttled", "0\n");
	assert_int_equal(health_read(fl, tp, &r, err, sizeof(err)), -1);
	assert_true(r.have_flags);
	assert_non_null(strstr(err, "temp: not a temperature"));
}

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/vanhealth.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(present),
		cmocka_unit_test(absent),
		cmocka_unit_test(garbage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
