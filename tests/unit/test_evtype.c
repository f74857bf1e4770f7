/*
 * test_evtype.c - the core's event types (controller/core/evtype.h): names
 * unique and round-tripping, the emergency group, and every type described
 * in docs/events.md or docs/plans.md (what base's tools rely on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/evtype.h"

static char *slurp(const char *rel)
{
	char path[1024];
	const char *src = getenv("VAN_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

static void test_names(void **st)
{
	(void)st;
	for (int i = 0; i < EV_T__COUNT; i++) {
		const char *n = ev_type_name((enum ev_type)i);
		assert_non_null(strchr(n, '.') ? n : (strcmp(n, "checkin") && strcmp(n, "incident") ? NULL : n));
		assert_int_equal(ev_type_of(n), i);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(n, ev_type_name((enum ev_type)k));
	}
	assert_string_equal(ev_type_name(EV_T__COUNT), "?");
	assert_int_equal(ev_type_of("session.begun"), -1);
	assert_int_equal(ev_type_of(NULL), -1);
	assert_true(ev_type_is_emergency(EV_T_EMERGENCY_RAISED));
	assert_true(ev_type_is_emergency(EV_T_SELFTEST_FAILED));
	assert_false(ev_type_is_emergency(EV_T_SESSION_STARTED));
	assert_false(ev_type_is_emergency(EV_T_CHECKIN));
}

static void test_documented(void **st)
{
	(void)st;
	char *ev = slurp("docs/events.md"), *pl = slurp("docs/plans.md");
	int missing = 0;
	for (int i = 0; i < EV_T__COUNT; i++) {
		char want[80];
		snprintf(want, sizeof(want), "`%s`", ev_type_name((enum ev_type)i));
		if (!strstr(ev, want) && !strstr(pl, want)) {
			fprintf(stderr, "event type %s is in neither docs/events.md nor docs/plans.md\n", want);
			missing++;
		}
	}
	free(ev);
	free(pl);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
