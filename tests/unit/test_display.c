/*
 * test_display.c - the crew display's pure parts: its colours are readable
 * on every kind of terminal it meets (the Linux console's palette above
 * all: the Pi's own screen), and what it says about time and the backlog.
 * What the screen shows as a whole is tested on the real display in tmux
 * (tests/integration/it_21_display.sh, it_22_display_edges.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dfmt.h"
#include "palette.h"

static const char *kind_name[PAL_KINDS] = { "console", "basic", "rich" };

static void test_contrast_function(void **state)
{
	(void)state;
	assert_true(pal_contrast(0x000000, 0xffffff) > 20.9);
	assert_true(pal_contrast(0xffffff, 0x000000) > 20.9);
	assert_true(pal_contrast(0x777777, 0x777777) < 1.01);
	/* the case: black on the console's dark red */
	double k_on_red = pal_contrast(pal_rgb(PAL_CONSOLE, 0, false), pal_rgb(PAL_CONSOLE, 1, false));
	assert_true(k_on_red > 2.6 && k_on_red < 2.8);
	/* bold makes the console's foreground bright, not a background */
	assert_int_equal(pal_rgb(PAL_CONSOLE, 3, false), 0xaa5500);
	assert_int_equal(pal_rgb(PAL_CONSOLE, 3, true), 0xffff55);
	assert_int_equal(pal_rgb(PAL_RICH, 196, false), 0xff0000);
	assert_int_equal(pal_rgb(PAL_RICH, 88, false), 0x870000);
	assert_int_equal(pal_rgb(PAL_RICH, 244, false), 0x808080);
}

static void test_kind(void **state)
{
	(void)state;
	assert_int_equal(pal_kind_for("linux", 8), PAL_CONSOLE);
	assert_int_equal(pal_kind_for("linux-16color", 16), PAL_CONSOLE);
	assert_int_equal(pal_kind_for("xterm", 8), PAL_BASIC);
	assert_int_equal(pal_kind_for("tmux-256color", 256), PAL_RICH);
	assert_int_equal(pal_kind_for(NULL, 8), PAL_BASIC);
}

/* Every bar and block, and red and green text, at WCAG's 4.5 or better on
 * every kind of terminal; the emergency block at 5.5 or better. */
static void test_roles_readable(void **state)
{
	(void)state;
	static const enum pal_role must[] = { P_RED, P_REDBG, P_GREEN, P_AMBERBG, P_EMERG, P_EMACK };
	for (int k = 0; k < PAL_KINDS; k++) {
		for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
			double c = pal_role_contrast((enum pal_kind)k, must[i]);
			if (c < 4.5)
				fail_msg("%s: role %d has contrast %.2f < 4.5", kind_name[k], must[i], c);
		}
		double em = pal_role_contrast((enum pal_kind)k, P_EMERG);
		if (em < 5.5)
			fail_msg("%s: the emergency block has contrast %.2f < 5.5", kind_name[k], em);
		/* the emergency block is bold (bright), base's answer is not: bold
		 * black is grey on the console */
		assert_true(pal_spec((enum pal_kind)k, P_EMERG).bold);
		assert_false(pal_spec((enum pal_kind)k, P_EMACK).bold);
		/* the emergency's background is not the other bars' background
		 * where the palette has one to spare */
		if (k == PAL_RICH)
			assert_int_not_equal(pal_spec(PAL_RICH, P_EMERG).bg, pal_spec(PAL_RICH, P_REDBG).bg);
		/* a warning is told apart from text and labels on every terminal */
		struct pal_spec w = pal_spec((enum pal_kind)k, P_WARN), l = pal_spec((enum pal_kind)k, P_LABEL);
		assert_true(pal_rgb((enum pal_kind)k, w.fg, w.bold) != pal_rgb((enum pal_kind)k, l.fg, l.bold));
	}
}

static void test_backlog(void **state)
{
	(void)state;
	char b[100];
	assert_int_equal(dfmt_backlog(0, 0, true, b, sizeof(b)), DFMT_QUIET);
	assert_string_equal(b, "none - all delivered");
	/* the case: 2-3 in flight on a loopback broker, oldest 0:02 */
	assert_int_equal(dfmt_backlog(3, 2.4, true, b, sizeof(b)), DFMT_QUIET);
	assert_string_equal(b, "up to date");
	assert_int_equal(dfmt_backlog(3, DFMT_BACKLOG_WARN_S - 0.5, true, b, sizeof(b)), DFMT_QUIET);
	assert_int_equal(dfmt_backlog(5, DFMT_BACKLOG_WARN_S, true, b, sizeof(b)), DFMT_WARN);
	assert_string_equal(b, "5 messages, oldest 1:00");
	assert_int_equal(dfmt_backlog(1, 95, true, b, sizeof(b)), DFMT_WARN);
	assert_string_equal(b, "1 message, oldest 1:35");
	/* the link is down: whatever waits is not sent, at once */
	assert_int_equal(dfmt_backlog(2, 3, false, b, sizeof(b)), DFMT_WARN);
	assert_string_equal(b, "2 messages, oldest 0:03");
	assert_int_equal(dfmt_backlog(40, DFMT_BACKLOG_ALARM_S, false, b, sizeof(b)), DFMT_ALARM);
	assert_string_equal(b, "40 messages, oldest 10:00");
}

static void test_ago(void **state)
{
	(void)state;
	char b[40];
	assert_string_equal(dfmt_ago(0, b, sizeof(b)), "just now");
	assert_string_equal(dfmt_ago(59, b, sizeof(b)), "just now");
	assert_string_equal(dfmt_ago(60, b, sizeof(b)), "1 min ago");
	assert_string_equal(dfmt_ago(7 * 60 + 30, b, sizeof(b)), "7 min ago");
	assert_string_equal(dfmt_ago(3599, b, sizeof(b)), "59 min ago");
	assert_string_equal(dfmt_ago(3600 + 5 * 60, b, sizeof(b)), "1h05m ago");
}

/* A length never reads as a time of day ("16:24"). */
static void test_duration(void **state)
{
	(void)state;
	char b[40];
	assert_string_equal(dfmt_duration(-5, b, sizeof(b)), "0s");
	assert_string_equal(dfmt_duration(40, b, sizeof(b)), "40s");
	assert_string_equal(dfmt_duration(16 * 60 + 24, b, sizeof(b)), "16m24s");
	assert_string_equal(dfmt_duration(4 * 3600 + 12 * 60 + 59, b, sizeof(b)), "4h12m");
	assert_string_equal(dfmt_duration(10 * 3600, b, sizeof(b)), "10h00m");
	for (int64_t s = 0; s < 30 * 3600; s += 37) {
		dfmt_duration(s, b, sizeof(b));
		assert_null(strchr(b, ':'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contrast_function), cmocka_unit_test(test_kind),
		cmocka_unit_test(test_roles_readable),    cmocka_unit_test(test_backlog),
		cmocka_unit_test(test_ago),               cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
