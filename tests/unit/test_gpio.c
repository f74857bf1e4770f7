/*
 * test_gpio.c - unit tests of hw/gpio: config keys and their errors, the
 * cross-checks, the sim backend driving every role, software debounce
 * (chatter gives exactly one transition), hold times, event ordering, the
 * sim script and its errors, outputs, and the gpiod backend's start-up
 * messages that can be checked without a GPIO chip.
 *
 * Time is ours: every call gets an explicit monotonic ms, nothing sleeps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/gpio.h"
#include "hw/gpio_internal.h"

#define T0 1000000   /* gpio_open's now in most tests */

/* ---- helpers ----------------------------------------------------------- */

static void key(struct gpio_conf *gc, const char *sect, const char *k, const char *v)
{
	char err[512];
	int r = gpio_conf_line_key(gc, sect, k, v, 7, err, sizeof(err));

	if (r != 0)
		fail_msg("[line.%s] %s = %s: %s", sect, k, v, err);
}

static void gkey(struct gpio_conf *gc, const char *k, const char *v)
{
	char err[512];

	if (gpio_conf_key(gc, k, v, err, sizeof(err)) != 0)
		fail_msg("[gpio] %s = %s: %s", k, v, err);
}

/* expect gpio_conf_line_key to fail with msg containing want */
static void key_err(const char *k, const char *v, const char *want)
{
	struct gpio_conf gc = { 0 };
	char err[512] = "";

	assert_int_equal(gpio_conf_line_key(&gc, "x", k, v, 3, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("%s = %s: message '%s' lacks '%s'", k, v, err, want);
	assert_null(strstr(err, ":3:"));   /* no FILE:LINE prefix: conf.c adds it */
	gpio_conf_fini(&gc);
}

static void gkey_err(const char *k, const char *v, const char *want)
{
	struct gpio_conf gc = { 0 };
	char err[512] = "";

	assert_int_equal(gpio_conf_key(&gc, k, v, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("[gpio] %s = %s: message '%s' lacks '%s'", k, v, err, want);
	gpio_conf_fini(&gc);
}

struct problems {
	int n;
	int lineno[16];
	char msg[16][512];
};

static void collect(void *ctx, int lineno, const char *msg)
{
	struct problems *p = ctx;

	if (p->n < 16) {
		p->lineno[p->n] = lineno;
		snprintf(p->msg[p->n], sizeof(p->msg[0]), "%s", msg);
	}
	p->n++;
}

/* an input line for the sim with explicit debounce/hold */
static void line(struct gpio_conf *gc, const char *name, const char *role, const char *deb,
		 const char *hold)
{
	key(gc, name, "role", role);
	key(gc, name, "debounce_ms", deb);
	if (hold)
		key(gc, name, "hold_ms", hold);
}

static gpio_t *open_sim(struct gpio_conf *gc, int64_t now)
{
	char err[512] = "";
	gpio_t *g = NULL;
	int r;

	gc->backend = GPIO_BACKEND_SIM;
	g = gpio_open(gc, now, err, sizeof(err));
	r = g ? 0 : -errno;
	if (r != 0)
		fail_msg("gpio_open: %d %s", r, err);
	assert_non_null(g);
	return g;
}

struct got {
	size_t n;
	struct gpio_event ev[256];
	int64_t at[256];   /* when it was delivered */
};

static void take(gpio_t *g, int64_t now, struct got *got)
{
	struct gpio_event buf[16];
	int n;

	do {
		n = gpio_service(g, now, buf, 16);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			assert_true(got->n < 256);
			got->at[got->n] = now;
			got->ev[got->n++] = buf[i];
		}
	} while (n == 16);
}

/* Run the loop as the daemon does, from *now to t: service at each
 * deadline, then at t. */
static void run_to(gpio_t *g, int64_t *now, int64_t t, struct got *got)
{
	for (int guard = 0;; guard++) {
		int64_t d = gpio_deadline(g);

		assert_true(guard < 100000);
		if (d < 0 || d > t)
			break;
		if (d > *now)
			*now = d;
		take(g, *now, got);
		/* a deadline must move once serviced */
		if (gpio_deadline(g) == d && d <= *now)
			fail_msg("deadline %lld did not move", (long long)d);
	}
	*now = t;
	take(g, t, got);
}

static void expect(const struct got *got, size_t i, size_t line_idx, bool active, int64_t ts)
{
	if (i >= got->n)
		fail_msg("event %zu missing (got %zu)", i, got->n);
	if (got->ev[i].line != line_idx || got->ev[i].active != active || got->ev[i].ts_ms != ts)
		fail_msg("event %zu: line %zu active %d ts %lld, want line %zu active %d ts %lld", i,
			 got->ev[i].line, got->ev[i].active, (long long)got->ev[i].ts_ms, line_idx,
			 active, (long long)ts);
}

/* ---- config ------------------------------------------------------------ */

static void test_roles(void **state)
{
	(void)state;
	for (int r = GPIO_ROLE_NONE + 1; r < GPIO_ROLE__COUNT; r++) {
		const char *n = gpio_role_name((enum gpio_role)r);

		assert_int_equal(gpio_role_from_name(n), r);
		assert_true(gpio_role_is_input((enum gpio_role)r) != gpio_role_is_output((enum gpio_role)r));
	}
	assert_string_equal(gpio_role_name(GPIO_ROLE_DOOR), "door");
	assert_string_equal(gpio_role_name(GPIO_ROLE_BTN_CHECKIN), "checkin");
	assert_string_equal(gpio_role_name(GPIO_ROLE_OUT_ALARM_LIGHT), "alarm_light");
	assert_string_equal(gpio_role_name(GPIO_ROLE__COUNT), "?");
	assert_int_equal(gpio_role_from_name("Door"), GPIO_ROLE_NONE);
	assert_int_equal(gpio_role_from_name("none"), GPIO_ROLE_NONE);
	assert_int_equal(gpio_role_from_name(NULL), GPIO_ROLE_NONE);
	assert_true(gpio_role_is_output(GPIO_ROLE_OUT_BUZZER));
	assert_false(gpio_role_is_output(GPIO_ROLE_PANIC));
	assert_false(gpio_role_is_input(GPIO_ROLE_NONE));
	assert_string_equal(gpio_backend_name(GPIO_BACKEND_GPIOD), "gpiod");
	assert_non_null(strstr(gpio_gpiod_api(), "libgpiod"));
}

static void test_conf_mapping(void **state)
{
	struct gpio_conf gc = { 0 };
	char err[256];
	struct problems p = { 0 };

	(void)state;
	gkey(&gc, "backend", "gpiod");
	gkey(&gc, "consumer", "van-3");
	gkey(&gc, "sim_script", "/tmp/s.txt");
	assert_int_equal(gc.backend, GPIO_BACKEND_GPIOD);
	assert_string_equal(gc.consumer, "van-3");
	assert_string_equal(gc.sim_script, "/tmp/s.txt");
	gkey(&gc, "backend", "sim");
	assert_int_equal(gc.backend, GPIO_BACKEND_SIM);
	gkey(&gc, "backend", "none");
	assert_int_equal(gc.backend, GPIO_BACKEND_NONE);

	assert_int_equal(gpio_conf_line_key(&gc, "door_side", "role", "door", 12, err, sizeof(err)), 0);
	key(&gc, "door_side", "chip", "pinctrl-bcm2711");
	key(&gc, "door_side", "offset", "17");
	key(&gc, "door_side", "active_low", "yes");
	key(&gc, "door_side", "bias", "pull-up");
	key(&gc, "door_side", "debounce_ms", "25");
	key(&gc, "panic_hidden", "role", "panic");
	key(&gc, "panic_hidden", "covert", "on");
	key(&gc, "panic_hidden", "hold_ms", "1500");
	key(&gc, "panic_hidden", "active_low", "0");
	key(&gc, "panic_hidden", "bias", "disabled");
	key(&gc, "panic_hidden", "offset", "0");
	key(&gc, "light", "role", "entry_light");
	key(&gc, "light", "offset", "1023");
	key(&gc, "light", "bias", "pull-down");
	key(&gc, "light", "active_low", "TRUE");
	key(&gc, "light", "bias", "as-is");   /* last one wins */

	assert_int_equal(gc.nlines, 3);
	struct gpio_line_conf *d = &gc.lines[0], *pn = &gc.lines[1], *l = &gc.lines[2];
	assert_string_equal(d->name, "door_side");
	assert_int_equal(d->role, GPIO_ROLE_DOOR);
	assert_string_equal(d->chip, "pinctrl-bcm2711");
	assert_int_equal(d->offset, 17);
	assert_true(d->active_low);
	assert_int_equal(d->bias, GPIO_BIAS_PULL_UP);
	assert_int_equal(d->debounce_ms, 25);
	assert_int_equal(d->hold_ms, 0);
	assert_false(d->covert);
	assert_int_equal(d->lineno, 12);
	assert_int_equal(pn->role, GPIO_ROLE_PANIC);
	assert_true(pn->covert);
	assert_int_equal(pn->hold_ms, 1500);
	assert_false(pn->active_low);
	assert_int_equal(pn->bias, GPIO_BIAS_DISABLED);
	assert_int_equal(pn->debounce_ms, GPIO_DEBOUNCE_UNSET);
	assert_null(pn->chip);
	assert_int_equal(l->role, GPIO_ROLE_OUT_ENTRY_LIGHT);
	assert_int_equal(l->offset, 1023);
	assert_true(l->active_low);
	assert_int_equal(l->bias, GPIO_BIAS_AS_IS);

	gc.backend = GPIO_BACKEND_GPIOD;
	assert_int_equal(gpio_conf_check(&gc, collect, &p), 0);
	gpio_conf_fini(&gc);
	assert_null(gc.lines);
	gpio_conf_fini(&gc);        /* twice is fine */
	gpio_conf_fini(NULL);
}

static void test_conf_errors(void **state)
{
	(void)state;
	key_err("role", "dor", "unknown role 'dor'");
	key_err("role", "", "unknown role");
	key_err("role", "none", "unknown role");
	key_err("active_low", "maybe", "active_low must be true or false");
	key_err("active_low", "", "active_low must be");
	key_err("covert", "2", "covert must be true or false");
	key_err("offset", "1024", "offset must be a line number 0..1023");
	key_err("offset", "-1", "offset must be");
	key_err("offset", "17a", "not '17a'");
	key_err("offset", " 17", "offset must be");
	key_err("offset", "99999999999999999999", "offset must be");
	key_err("bias", "up", "bias must be as-is, disabled, pull-up or pull-down");
	key_err("debounce_ms", "1001", "debounce_ms must be 0..1000");
	key_err("debounce_ms", "x", "debounce_ms must be");
	key_err("hold_ms", "10001", "hold_ms must be 0..10000");
	key_err("hold_ms", "-5", "hold_ms must be");
	key_err("chip", "", "chip is empty");
	key_err("colour", "red", "unknown key 'colour' in [line.x]");
	gkey_err("backend", "gpio", "backend must be none, sim or gpiod");
	gkey_err("consumer", "", "consumer must be 1 to 31");
	gkey_err("consumer", "0123456789012345678901234567890123", "consumer must be 1 to 31");
	gkey_err("consumer", "van ctld", "without spaces");
	gkey_err("sim_script", "", "sim_script is empty");
	gkey_err("chip", "gpiochip0", "unknown key 'chip' in [gpio]");

	/* a bad section name is reported once, not for every key */
	struct gpio_conf gc = { 0 };
	char err[256] = "";
	assert_int_equal(gpio_conf_line_key(&gc, "bad name", "role", "door", 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid line name 'bad name'"));
	assert_int_equal(gpio_conf_line_key(&gc, "bad name", "offset", "3", 5, err, sizeof(err)), 0);
	assert_int_equal(gpio_conf_line_key(&gc, "n23456789012345678901234567890123", "role", "door", 6,
					    err, sizeof(err)), -1);
	gpio_conf_fini(&gc);
}

static void test_conf_check(void **state)
{
	struct gpio_conf gc = { 0 };
	struct problems p = { 0 };
	char err[256];

	(void)state;
	gc.backend = GPIO_BACKEND_GPIOD;
	/* 1: fine */
	assert_int_equal(gpio_conf_line_key(&gc, "door1", "role", "door", 10, err, sizeof(err)), 0);
	key(&gc, "door1", "offset", "17");
	/* 2: same line as door1 (default chip is gpiochip0, spelled as a path) */
	assert_int_equal(gpio_conf_line_key(&gc, "door2", "role", "door", 20, err, sizeof(err)), 0);
	key(&gc, "door2", "offset", "17");
	key(&gc, "door2", "chip", "/dev/gpiochip0");
	/* 3: covert on a door */
	assert_int_equal(gpio_conf_line_key(&gc, "door3", "role", "door", 30, err, sizeof(err)), 0);
	key(&gc, "door3", "offset", "5");
	key(&gc, "door3", "covert", "true");
	/* 4: no role */
	assert_int_equal(gpio_conf_line_key(&gc, "what", "offset", "6", 40, err, sizeof(err)), 0);
	/* 5: no offset with gpiod */
	assert_int_equal(gpio_conf_line_key(&gc, "seat", "role", "seat", 50, err, sizeof(err)), 0);
	/* 6: debounce on an output */
	assert_int_equal(gpio_conf_line_key(&gc, "buzz", "role", "buzzer", 60, err, sizeof(err)), 0);
	key(&gc, "buzz", "offset", "7");
	key(&gc, "buzz", "debounce_ms", "10");
	/* 7: hold on an output */
	assert_int_equal(gpio_conf_line_key(&gc, "lamp", "role", "alarm_light", 70, err, sizeof(err)), 0);
	key(&gc, "lamp", "offset", "8");
	key(&gc, "lamp", "hold_ms", "100");
	/* 8: same offset on another chip is fine */
	assert_int_equal(gpio_conf_line_key(&gc, "exp", "role", "checkin", 80, err, sizeof(err)), 0);
	key(&gc, "exp", "offset", "17");
	key(&gc, "exp", "chip", "gpiochip1");

	assert_int_equal(gpio_conf_check(&gc, collect, &p), 6);
	assert_int_equal(p.lineno[0], 20);
	assert_non_null(strstr(p.msg[0], "[line.door2] uses line 17 of gpiochip0, which [line.door1] "
				"(line 10) already uses"));
	assert_int_equal(p.lineno[1], 30);
	assert_non_null(strstr(p.msg[1], "covert applies only to role = panic, not door"));
	assert_int_equal(p.lineno[2], 40);
	assert_non_null(strstr(p.msg[2], "[line.what] has no role"));
	assert_int_equal(p.lineno[3], 50);
	assert_non_null(strstr(p.msg[3], "[line.seat] has no offset"));
	assert_int_equal(p.lineno[4], 60);
	assert_non_null(strstr(p.msg[4], "[line.buzz] is an output (buzzer)"));
	assert_int_equal(p.lineno[5], 70);
	assert_non_null(strstr(p.msg[5], "[line.lamp] is an output (alarm_light)"));

	/* the sim needs no offsets */
	gc.backend = GPIO_BACKEND_SIM;
	p.n = 0;
	assert_int_equal(gpio_conf_check(&gc, collect, &p), 5);
	/* a NULL report only counts */
	assert_int_equal(gpio_conf_check(&gc, NULL, NULL), 5);

	/* gpio_open refuses a config that fails the checks, with the first message */
	assert_null(gpio_open(&gc, T0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "[line.door2] uses line 17"));
	gpio_conf_fini(&gc);
}

static void test_conf_section(void **state)
{
	struct gpio_conf gc = { 0 };
	struct problems p = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(gpio_conf_line_section(&gc, "empty", 3, err, sizeof(err)), 0);
	assert_int_equal(gpio_conf_line_section(&gc, "b", 5, err, sizeof(err)), 0);
	assert_int_equal(gpio_conf_line_key(&gc, "b", "role", "plus", 6, err, sizeof(err)), 0);
	assert_int_equal(gpio_conf_line_section(&gc, "bad/name", 9, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid line name"));
	assert_int_equal(gc.lines[1].lineno, 5);  /* the header's line, not the key's */
	assert_int_equal(gpio_conf_check(&gc, collect, &p), 2);
	assert_int_equal(p.lineno[0], 3);
	assert_non_null(strstr(p.msg[0], "[line.empty] has no role"));
	assert_int_equal(p.lineno[1], 9);
	gpio_conf_fini(&gc);
}

/* ---- backends without hardware ----------------------------------------- */

static void test_backend_none(void **state)
{
	struct gpio_conf gc = { 0 };
	struct gpio_event ev[4];
	char err[256];
	gpio_t *g = NULL;
	bool on = true;
	int fds[4];

	(void)state;
	key(&gc, "door", "role", "door");
	key(&gc, "buzz", "role", "buzzer");
	assert_non_null(g = gpio_open(&gc, T0, err, sizeof(err)));
	assert_int_equal(gpio_fds(g, fds, 4), 0);
	assert_int_equal(gpio_deadline(g), -1);
	assert_int_equal(gpio_service(g, T0 + 5, ev, 4), 0);
	assert_int_equal(gpio_read(g, 3, T0, ev, 4), -EBADF);
	assert_int_equal(gpio_get(g, 0, &on), 0);
	assert_false(on);
	assert_int_equal(gpio_get(g, 2, &on), -EINVAL);
	assert_int_equal(gpio_sim_inject(g, "door", true, T0), -ENOTSUP);
	assert_int_equal(gpio_set(g, GPIO_ROLE_OUT_BUZZER, true), 0);
	assert_int_equal(gpio_get_output(g, GPIO_ROLE_OUT_BUZZER, &on), 0);
	assert_true(on);
	gpio_close(g);
	gpio_close(NULL);
	gpio_conf_fini(&gc);
}

static void test_gpiod_no_chip(void **state)
{
	struct gpio_conf gc = { 0 };
	char err[512] = "";
	gpio_t *g = NULL;
	int r;

	(void)state;
	gc.backend = GPIO_BACKEND_GPIOD;
	key(&gc, "door_side", "role", "door");
	key(&gc, "door_side", "offset", "17");
	key(&gc, "door_side", "chip", "no-such-gpio-chip-label");
	g = gpio_open(&gc, T0, err, sizeof(err));
	r = -errno;
	assert_null(g);
	if (strstr(gpio_gpiod_api(), "none")) {
		assert_int_equal(r, -ENOTSUP);
		assert_non_null(strstr(err, "built without libgpiod"));
	} else {
		assert_int_equal(r, -ENOENT);
		if (!strstr(err, "[line.door_side]: GPIO chip 'no-such-gpio-chip-label' not found") ||
		    !strstr(err, "gpiodetect"))
			fail_msg("message: %s", err);
	}
	gpio_conf_fini(&gc);
}

static void test_gpiod_messages(void **state)
{
	struct gpio_line l = { .name = "door_side", .chip = "gpiochip0", .offset = 17 };
	char err[512];

	(void)state;
	assert_int_equal(gpio__request_error(err, sizeof(err), EBUSY, &l, "gpiochip0", "gpiomon"), -EBUSY);
	assert_non_null(strstr(err, "line 17 on gpiochip0 is held by another program (\"gpiomon\"; "
				"see gpioinfo gpiochip0)"));
	assert_int_equal(gpio__request_error(err, sizeof(err), EBUSY, &l, "gpiochip0", NULL), -EBUSY);
	assert_non_null(strstr(err, "line 17 on gpiochip0 is held by another program (see gpioinfo"));
	assert_int_equal(gpio__chip_error(err, sizeof(err), EACCES, &l, "/dev/gpiochip0"), -EACCES);
	assert_non_null(strstr(err, "permission denied opening /dev/gpiochip0"));
	assert_non_null(strstr(err, "gpio group"));
	assert_int_equal(gpio__request_error(err, sizeof(err), EPERM, &l, "gpiochip0", NULL), -EACCES);
	assert_non_null(strstr(err, "gpio group"));
	assert_int_equal(gpio__offset_error(err, sizeof(err), &l, "gpiochip0", "pinctrl-bcm2711", 8),
			 -EINVAL);
	assert_non_null(strstr(err, "offset 17 is out of range: gpiochip0 [pinctrl-bcm2711] has 8 "
				"lines (0..7)"));
	assert_int_equal(gpio__chip_error(err, sizeof(err), ENOENT, &l, NULL), -ENOENT);
	assert_non_null(strstr(err, "GPIO chip 'gpiochip0' not found"));

	/* kernel stamps: monotonic ones are kept, realtime-like ones replaced */
	assert_int_equal(gpio__kernel_ts_us(5000123456LL, 5001), 5000123);
	assert_int_equal(gpio__kernel_ts_us(1700000000000000000LL, 5001), 5001000);
	assert_int_equal(gpio__kernel_ts_us(0, 500000), 500000000);
}

/* ---- sim: roles, outputs ----------------------------------------------- */

static const char *const inputs[] = { "door", "beam_outer", "beam_inner", "seat", "checkin",
	"plus", "minus", "empty", "session", "reset", "mute", "panic" };
#define NINPUTS (sizeof(inputs) / sizeof(inputs[0]))

static void test_sim_every_role(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0;
	gpio_t *g;

	(void)state;
	for (size_t i = 0; i < NINPUTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "in_%s", inputs[i]);
		line(&gc, name, inputs[i], "0", NULL);
	}
	g = open_sim(&gc, now);
	for (size_t i = 0; i < NINPUTS; i++) {
		bool a = true;

		assert_int_equal(gpio_get(g, i, &a), 0);
		assert_false(a);                       /* sim lines start inactive */
	}
	/* each role by role name, then off by line name */
	for (size_t i = 0; i < NINPUTS; i++) {
		char name[32];
		bool a = false;

		snprintf(name, sizeof(name), "in_%s", inputs[i]);
		now += 100;
		assert_int_equal(gpio_sim_inject(g, inputs[i], true, now), 0);
		run_to(g, &now, now, &got);
		assert_int_equal(got.n, 2 * i + 1);
		expect(&got, 2 * i, i, true, now);
		assert_int_equal(got.ev[2 * i].role, gpio_role_from_name(inputs[i]));
		assert_int_equal(gpio_get(g, i, &a), 0);
		assert_true(a);
		now += 50;
		assert_int_equal(gpio_sim_inject(g, name, false, now), 0);
		run_to(g, &now, now, &got);
		expect(&got, 2 * i + 1, i, false, now);
		assert_int_equal(gpio_get(g, i, &a), 0);
		assert_false(a);
	}
	assert_int_equal(gpio_sim_inject(g, "no_such", true, now), -ENOENT);
	assert_int_equal(gpio_sim_inject(g, "buzzer", true, now), -ENOENT);
	assert_int_equal(gpio_deadline(g), -1);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

static void test_sim_outputs(void **state)
{
	struct gpio_conf gc = { 0 };
	bool on = false;
	gpio_t *g;

	(void)state;
	line(&gc, "door", "door", "0", NULL);
	key(&gc, "light", "role", "entry_light");
	key(&gc, "buzz1", "role", "buzzer");
	key(&gc, "buzz2", "role", "buzzer");
	key(&gc, "alarm", "role", "alarm_light");
	g = open_sim(&gc, T0);
	for (int r = GPIO_ROLE_OUT_ENTRY_LIGHT; r < GPIO_ROLE__COUNT; r++) {
		assert_int_equal(gpio_get_output(g, (enum gpio_role)r, &on), 0);
		assert_false(on);
		assert_int_equal(gpio_set(g, (enum gpio_role)r, true), 0);
		assert_int_equal(gpio_get_output(g, (enum gpio_role)r, &on), 0);
		assert_true(on);
	}
	/* both buzzers driven */
	assert_int_equal(gpio_get(g, 2, &on), 0);
	assert_true(on);
	assert_int_equal(gpio_get(g, 3, &on), 0);
	assert_true(on);
	assert_int_equal(gpio_set(g, GPIO_ROLE_OUT_BUZZER, false), 0);
	assert_int_equal(gpio_get(g, 3, &on), 0);
	assert_false(on);
	assert_int_equal(gpio_get_output(g, GPIO_ROLE_OUT_ENTRY_LIGHT, &on), 0);
	assert_true(on);
	/* the door is untouched; inputs are not outputs */
	assert_int_equal(gpio_get(g, 0, &on), 0);
	assert_false(on);
	assert_int_equal(gpio_set(g, GPIO_ROLE_DOOR, true), -EINVAL);
	assert_int_equal(gpio_get_output(g, GPIO_ROLE_PANIC, &on), -EINVAL);
	assert_int_equal(gpio_deadline(g), -1);
	gpio_close(g);
	gpio_conf_fini(&gc);

	/* an output role nobody wired: set is a no-op, get says so */
	struct gpio_conf gc2 = { 0 };
	line(&gc2, "door", "door", "0", NULL);
	g = open_sim(&gc2, T0);
	assert_int_equal(gpio_set(g, GPIO_ROLE_OUT_BUZZER, true), 0);
	assert_int_equal(gpio_get_output(g, GPIO_ROLE_OUT_BUZZER, &on), -ENOENT);
	gpio_close(g);
	gpio_conf_fini(&gc2);
}

static void test_sim_inject_pulse(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0, p = T0 + 1000;
	gpio_t *g;

	(void)state;
	line(&gc, "panic", "panic", "10", "300");
	line(&gc, "door", "door", "10", NULL);
	g = open_sim(&gc, now);
	take(g, p, &got);
	now = p;
	/* vanctl sim panic pulse 500: on now, off 500 ms later */
	assert_int_equal(gpio_sim_inject(g, "panic", true, p), 0);
	assert_int_equal(gpio_sim_inject(g, "panic", false, p + 500), 0);
	assert_int_equal(gpio_deadline(g), p + 10);
	/* a real change in between keeps its own time */
	run_to(g, &now, p + 100, &got);
	assert_int_equal(gpio_sim_inject(g, "door", true, p + 100), 0);
	run_to(g, &now, p + 299, &got);
	assert_int_equal(got.n, 1);
	expect(&got, 0, 1, true, p + 100);
	run_to(g, &now, p + 300, &got);
	assert_int_equal(got.n, 2);
	expect(&got, 1, 0, true, p);               /* held 300 ms, not earlier */
	assert_int_equal(got.at[1], p + 300);
	run_to(g, &now, p + 509, &got);
	assert_int_equal(got.n, 2);
	run_to(g, &now, p + 2000, &got);
	assert_int_equal(got.n, 3);
	expect(&got, 2, 0, false, p + 500);
	assert_int_equal(got.at[2], p + 510);
	assert_int_equal(gpio_deadline(g), -1);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

/* ---- debounce ---------------------------------------------------------- */

static void trace_count(void *ctx, size_t line_idx, bool active, int64_t ts)
{
	(void)line_idx; (void)active; (void)ts;
	(*(int *)ctx)++;
}

static void test_debounce_chatter(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0;
	int raw = 0;
	bool a;
	gpio_t *g;

	(void)state;
	line(&gc, "door", "door", "20", NULL);
	g = open_sim(&gc, now);
	gpio_set_trace(g, trace_count, &raw);

	/* closing contact bouncing every 1 ms for 50 ms, ending active */
	int64_t start = now + 100;
	for (int k = 0; k <= 50; k++) {
		int64_t t = start + k;

		run_to(g, &now, t, &got);
		assert_int_equal(gpio_sim_inject(g, "door", k % 2 == 0, t), 0);
		assert_int_equal(gpio_deadline(g), t + 20);
	}
	assert_int_equal(raw, 51);
	run_to(g, &now, start + 50 + 19, &got);
	assert_int_equal(got.n, 0);                    /* not yet stable for 20 ms */
	assert_int_equal(gpio_get(g, 0, &a), 0);
	assert_false(a);
	run_to(g, &now, start + 50 + 20, &got);
	assert_int_equal(got.n, 1);                    /* exactly one transition */
	expect(&got, 0, 0, true, start);               /* stamped at the first edge */
	assert_int_equal(got.at[0], start + 70);
	assert_int_equal(gpio_get(g, 0, &a), 0);
	assert_true(a);

	/* opening again, bouncing 30 ms, ending inactive */
	start = now + 500;
	for (int k = 0; k <= 30; k++) {
		run_to(g, &now, start + k, &got);
		assert_int_equal(gpio_sim_inject(g, "door", k % 2 == 1, start + k), 0);
	}
	run_to(g, &now, start + 1000, &got);
	assert_int_equal(got.n, 2);
	expect(&got, 1, 0, false, start);

	/* chatter that ends where it began: nothing */
	start = now + 500;
	for (int k = 0; k < 20; k++) {
		run_to(g, &now, start + k, &got);
		assert_int_equal(gpio_sim_inject(g, "door", k % 2 == 0, start + k), 0);
	}
	run_to(g, &now, start + 1000, &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(gpio_deadline(g), -1);

	/* a glitch shorter than debounce_ms: nothing; exactly debounce_ms: one */
	start = now + 100;
	gpio_sim_inject(g, "door", true, start);
	gpio_sim_inject(g, "door", false, start + 19);
	run_to(g, &now, start + 200, &got);
	assert_int_equal(got.n, 2);
	start = now + 100;
	gpio_sim_inject(g, "door", true, start);
	run_to(g, &now, start + 20, &got);
	gpio_sim_inject(g, "door", false, start + 20);
	run_to(g, &now, start + 200, &got);
	assert_int_equal(got.n, 4);
	expect(&got, 2, 0, true, start);
	expect(&got, 3, 0, false, start + 20);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

static void test_debounce_default(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0;
	gpio_t *g;

	(void)state;
	key(&gc, "btn", "role", "checkin");        /* no debounce_ms: the default */
	g = open_sim(&gc, now);
	gpio_sim_inject(g, "btn", true, now + 1);  /* ahead of us: scheduled */
	assert_int_equal(gpio_deadline(g), now + 1);
	take(g, now + 1, &got);
	assert_int_equal(gpio_deadline(g), now + 1 + GPIO_DEBOUNCE_DEFAULT_MS);
	run_to(g, &now, now + 100, &got);
	assert_int_equal(got.n, 1);
	gpio_close(g);
	gpio_conf_fini(&gc);

	/* debounce_ms = 0: at once */
	struct gpio_conf gc2 = { 0 };
	struct got got2 = { 0 };
	line(&gc2, "btn", "checkin", "0", NULL);
	now = T0;
	g = open_sim(&gc2, now);
	gpio_sim_inject(g, "btn", true, now + 1);
	gpio_sim_inject(g, "btn", false, now + 1);
	run_to(g, &now, now + 1, &got2);
	assert_int_equal(got2.n, 2);
	expect(&got2, 0, 0, true, T0 + 1);
	expect(&got2, 1, 0, false, T0 + 1);
	gpio_close(g);
	gpio_conf_fini(&gc2);
}

/* ---- hold -------------------------------------------------------------- */

static void test_hold(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0, p;
	bool a;
	gpio_t *g;

	(void)state;
	line(&gc, "panic", "panic", "10", "300");
	key(&gc, "panic", "covert", "true");
	line(&gc, "door", "door", "0", NULL);
	g = open_sim(&gc, now);

	/* a 100 ms press: not held long enough, nothing at all */
	p = now + 100;
	gpio_sim_inject(g, "panic", true, p);
	run_to(g, &now, p + 100, &got);
	gpio_sim_inject(g, "panic", false, p + 100);
	run_to(g, &now, p + 1000, &got);
	assert_int_equal(got.n, 0);
	assert_int_equal(gpio_deadline(g), -1);

	/* held 800 ms: active once held 300 ms, stamped at the press */
	p = now + 100;
	gpio_sim_inject(g, "panic", true, p);
	run_to(g, &now, p + 150, &got);
	assert_int_equal(gpio_deadline(g), p + 300);
	assert_int_equal(gpio_get(g, 0, &a), 0);
	assert_false(a);
	/* a door edge during the hold is not held back by it */
	gpio_sim_inject(g, "door", true, p + 200);
	run_to(g, &now, p + 299, &got);
	assert_int_equal(got.n, 1);
	expect(&got, 0, 1, true, p + 200);
	run_to(g, &now, p + 300, &got);
	assert_int_equal(got.n, 2);
	expect(&got, 1, 0, true, p);
	assert_int_equal(got.at[1], p + 300);
	assert_int_equal(got.ev[1].role, GPIO_ROLE_PANIC);
	assert_int_equal(gpio_get(g, 0, &a), 0);
	assert_true(a);
	gpio_sim_inject(g, "panic", false, p + 800);
	run_to(g, &now, p + 2000, &got);
	assert_int_equal(got.n, 3);
	expect(&got, 2, 0, false, p + 800);
	assert_int_equal(got.at[2], p + 810);
	assert_int_equal(gpio_get(g, 0, &a), 0);
	assert_false(a);

	/* bouncing during the hold does not restart it once settled active */
	p = now + 100;
	for (int k = 0; k < 9; k++)
		gpio_sim_inject(g, "panic", k % 2 == 0, p + k);
	run_to(g, &now, p + 299, &got);
	assert_int_equal(got.n, 3);
	run_to(g, &now, p + 300, &got);
	assert_int_equal(got.n, 4);
	expect(&got, 3, 0, true, p);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

static void test_hold_at_open_is_initial(void **state)
{
	struct gpio_conf gc = { 0 };
	gpio_t *g;
	bool a = false;

	(void)state;
	line(&gc, "panic", "panic", "10", "300");
	g = open_sim(&gc, T0);
	/* a backend's initial level is taken as it is (no hold, no event) */
	gpio__init_level(g, 0, true);
	assert_int_equal(gpio_get(g, 0, &a), 0);
	assert_true(a);
	assert_int_equal(gpio_deadline(g), -1);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

/* ---- ordering ---------------------------------------------------------- */

static void test_order_across_lines(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0, s;
	gpio_t *g;

	(void)state;
	line(&gc, "a", "beam_outer", "10", NULL);
	line(&gc, "b", "beam_inner", "10", NULL);
	g = open_sim(&gc, now);
	/* outer beam bounces from s to s+30; inner breaks cleanly at s+5 */
	s = now + 100;
	for (int k = 0; k <= 30; k += 2) {
		run_to(g, &now, s + k, &got);
		gpio_sim_inject(g, "a", true, s + k);
		if (k == 4) {
			run_to(g, &now, s + 5, &got);
			gpio_sim_inject(g, "b", true, s + 5);
		}
		if (k < 30)
			gpio_sim_inject(g, "a", false, s + k + 1);
	}
	/* b settled at s+15 but waits for a's bout, which began before it */
	run_to(g, &now, s + 39, &got);
	assert_int_equal(got.n, 0);
	run_to(g, &now, s + 40, &got);
	assert_int_equal(got.n, 2);
	expect(&got, 0, 0, true, s);
	expect(&got, 1, 1, true, s + 5);
	assert_int_equal(got.at[1], s + 40);

	/* a line chattering for ever holds others back only order_wait_ms
	 * (longest debounce + GPIO_ORDER_SLACK_MS) after they settled */
	s = now + 100;
	gpio_sim_inject(g, "a", false, s);
	gpio_sim_inject(g, "b", false, s + 1);     /* settles at s+11 */
	for (int k = 1; k < 150; k++) {
		run_to(g, &now, s + 2 * k, &got);
		gpio_sim_inject(g, "a", k % 2 == 0, s + 2 * k);
	}
	assert_int_equal(got.n, 3);
	expect(&got, 2, 1, false, s + 1);
	assert_int_equal(got.at[2], s + 11 + 10 + GPIO_ORDER_SLACK_MS);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

static void test_drain_partial(void **state)
{
	struct gpio_conf gc = { 0 };
	struct gpio_event ev[2];
	int64_t now = T0;
	gpio_t *g;

	(void)state;
	line(&gc, "a", "door", "0", NULL);
	line(&gc, "b", "door", "0", NULL);
	line(&gc, "c", "door", "0", NULL);
	g = open_sim(&gc, now);
	gpio_sim_inject(g, "a", true, now + 1);
	gpio_sim_inject(g, "b", true, now + 2);
	gpio_sim_inject(g, "c", true, now + 3);
	now += 3;
	assert_int_equal(gpio_service(g, now, ev, 1), 1);
	assert_int_equal(ev[0].line, 0);
	/* more queued: the deadline says "now" */
	assert_true(gpio_deadline(g) >= 0 && gpio_deadline(g) <= now);
	assert_int_equal(gpio_service(g, now, ev, 2), 2);
	assert_int_equal(ev[0].line, 1);
	assert_int_equal(ev[1].line, 2);
	assert_true(ev[0].ts_ms < ev[1].ts_ms);
	assert_int_equal(gpio_deadline(g), -1);
	/* time given to us going backwards is taken as the time we had */
	gpio_sim_inject(g, "a", false, now - 50);
	assert_int_equal(gpio_service(g, now - 100, ev, 2), 1);
	assert_int_equal(ev[0].ts_ms, now);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

/* The edge's stamp in us reaches the event as it was, through debounce and
 * a hold time; the state machine's ms are those of the stamp. */
static void test_edge_stamp_us(void **state)
{
	struct gpio_conf gc = { 0 };
	struct gpio_event ev[4];
	int64_t now = T0;
	gpio_t *g;

	(void)state;
	line(&gc, "p", "panic", "0", NULL);
	line(&gc, "d", "door", "10", NULL);
	g = open_sim(&gc, now);
	assert_int_equal(gpio_sim_inject_at(g, "p", true, (now + 1) * 1000 + 123), 0);
	assert_int_equal(gpio_sim_inject_at(g, "d", true, (now + 2) * 1000 + 999), 0);
	assert_int_equal(gpio_service(g, now + 1, ev, 4), 1);
	assert_int_equal(ev[0].ts_ms, now + 1);
	assert_int_equal(ev[0].ts_us, (now + 1) * 1000 + 123);
	assert_int_equal(gpio_service(g, now + 11, ev, 4), 0);  /* still settling */
	assert_int_equal(gpio_service(g, now + 12, ev, 4), 1);
	assert_int_equal(ev[0].ts_ms, now + 2);
	assert_int_equal(ev[0].ts_us, (now + 2) * 1000 + 999);
	/* the ms form stamps whole ms */
	assert_int_equal(gpio_sim_inject(g, "p", false, now + 20), 0);
	assert_int_equal(gpio_service(g, now + 20, ev, 4), 1);
	assert_int_equal(ev[0].ts_us, (now + 20) * 1000);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

static void test_queue_full_keeps_panic(void **state)
{
	struct gpio_conf gc = { 0 };
	struct gpio_event ev[64];
	int64_t t = T0;
	bool saw_panic = false;
	size_t total = 0;
	gpio_t *g;
	int n;

	(void)state;
	line(&gc, "door", "door", "0", NULL);
	line(&gc, "panic", "panic", "0", NULL);
	g = open_sim(&gc, t);
	gpio_sim_inject(g, "panic", true, ++t);
	for (int k = 0; k < GPIO_QUEUE_MAX + 100; k++)
		gpio_sim_inject(g, "door", k % 2 == 0, ++t);
	gpio_sim_inject(g, "panic", false, ++t);
	gpio_sim_inject(g, "door", true, ++t);
	while ((n = gpio_service(g, ++t, ev, 64)) > 0) {
		for (int i = 0; i < n; i++)
			if (ev[i].role == GPIO_ROLE_PANIC && ev[i].active)
				saw_panic = true;
		total += (size_t)n;
	}
	assert_true(saw_panic);
	assert_true(gpio_dropped(g) > 0);
	assert_int_equal(total + gpio_dropped(g), GPIO_QUEUE_MAX + 100 + 3);
	gpio_close(g);
	gpio_conf_fini(&gc);
}

/* ---- sim script -------------------------------------------------------- */

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_gpio_script_XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_sim_script(void **state)
{
	struct gpio_conf gc = { 0 };
	struct got got = { 0 };
	int64_t now = T0;
	gpio_t *g;
	char *path = write_tmp(
		"# the van: a service user comes in\n"
		"\n"
		"0.5   door_side on      # slide the door open\n"
		"1.0   beam_outer pulse 200\n"
		"1.1   beam_b on\n"
		"1.3   beam_b off\n"
		"  3   door_side off\n"
		"2.0   panic pulse 100   # too short for hold_ms\n"
		"4     checkin pulse 50\n"
		"4.001 seat on\n");

	(void)state;
	line(&gc, "door_side", "door", "20", NULL);
	line(&gc, "beam_a", "beam_outer", "5", NULL);
	line(&gc, "beam_b", "beam_inner", "5", NULL);
	line(&gc, "panic", "panic", "10", "500");
	line(&gc, "btn", "checkin", "10", NULL);
	line(&gc, "seat1", "seat", "0", NULL);
	gkey(&gc, "sim_script", path);
	g = open_sim(&gc, now);
	assert_int_equal(gpio_deadline(g), T0 + 500);
	run_to(g, &now, T0 + 10000, &got);
	assert_int_equal(got.n, 9);
	expect(&got, 0, 0, true, T0 + 500);
	expect(&got, 1, 1, true, T0 + 1000);
	expect(&got, 2, 2, true, T0 + 1100);
	expect(&got, 3, 1, false, T0 + 1200);
	expect(&got, 4, 2, false, T0 + 1300);
	expect(&got, 5, 0, false, T0 + 3000);
	expect(&got, 6, 4, true, T0 + 4000);
	expect(&got, 7, 5, true, T0 + 4001);   /* waited for checkin's earlier bout */
	expect(&got, 8, 4, false, T0 + 4050);
	assert_int_equal(gpio_deadline(g), -1);
	gpio_close(g);

	/* serviced late (the daemon was busy): the same transitions */
	struct got late = { 0 };
	now = T0;
	g = open_sim(&gc, now);
	take(g, T0 + 10000, &late);
	assert_int_equal(late.n, 9);
	for (size_t i = 0; i < 9; i++) {
		assert_int_equal(late.ev[i].line, got.ev[i].line);
		assert_int_equal(late.ev[i].active, got.ev[i].active);
		assert_int_equal(late.ev[i].ts_ms, got.ev[i].ts_ms);
	}
	gpio_close(g);
	unlink(path);
	free(path);
	gpio_conf_fini(&gc);
}

static void script_err(const char *text, int line_no, const char *want)
{
	struct gpio_conf gc = { 0 };
	char err[512] = "", prefix[128];
	char *path = write_tmp(text);

	line(&gc, "door_side", "door", "20", NULL);
	key(&gc, "buzz", "role", "buzzer");
	gkey(&gc, "sim_script", path);
	gc.backend = GPIO_BACKEND_SIM;
	assert_null(gpio_open(&gc, T0, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line_no);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, want))
		fail_msg("script error '%s': want '%s...%s'", err, prefix, want);
	unlink(path);
	free(path);
	gpio_conf_fini(&gc);
}

static void test_sim_script_errors(void **state)
{
	(void)state;
	script_err("1 door_side on\n2 dor on\n", 2, "no input line or role named 'dor'");
	script_err("# c\n\n1 buzzer on\n", 3, "'buzzer' is an output");
	script_err("1 buzz on\n", 1, "no input line or role named 'buzz'");
	script_err("x door on\n", 1, "bad time 'x'");
	script_err("-1 door on\n", 1, "bad time '-1'");
	script_err("nan door on\n", 1, "bad time 'nan'");
	script_err("1 door open\n", 1, "unknown action 'open'");
	script_err("1 door pulse\n", 1, "pulse needs a length in ms");
	script_err("1 door pulse 0\n", 1, "bad pulse length '0'");
	script_err("1 door pulse 10x\n", 1, "bad pulse length '10x'");
	script_err("1 door on now\n", 1, "unexpected 'now' after on");
	script_err("1 door\n", 1, "expected '<seconds> <line or role> on|off|pulse MS'");
	script_err("1 door on 2 3\n", 1, "expected");

	struct gpio_conf gc = { 0 };
	char err[512];
	line(&gc, "door_side", "door", "20", NULL);
	gkey(&gc, "sim_script", "/nonexistent/script.txt");
	gc.backend = GPIO_BACKEND_SIM;
	assert_null(gpio_open(&gc, T0, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "sim_script /nonexistent/script.txt: No such file"));
	gpio_conf_fini(&gc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_conf_mapping),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_check),
		cmocka_unit_test(test_conf_section),
		cmocka_unit_test(test_backend_none),
		cmocka_unit_test(test_gpiod_no_chip),
		cmocka_unit_test(test_gpiod_messages),
		cmocka_unit_test(test_sim_every_role),
		cmocka_unit_test(test_sim_outputs),
		cmocka_unit_test(test_sim_inject_pulse),
		cmocka_unit_test(test_debounce_chatter),
		cmocka_unit_test(test_debounce_default),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_hold_at_open_is_initial),
		cmocka_unit_test(test_order_across_lines),
		cmocka_unit_test(test_drain_partial),
		cmocka_unit_test(test_edge_stamp_us),
		cmocka_unit_test(test_queue_full_keeps_panic),
		cmocka_unit_test(test_sim_script),
		cmocka_unit_test(test_sim_script_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
