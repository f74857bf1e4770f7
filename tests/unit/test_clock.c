/*
 * test_clock.c - which clock stamps the records (controller/clock.c,
 * docs/time.md): each case of the rule, with scripted readings.  No test
 * here reads the real clock: every instant is relative to the build time
 * or to a last-known-good time the test sets, so it passes on any date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"

#define S 1000LL
#define DAY (86400 * S)
#define WEEKS_1024 (1024 * 7 * DAY)

static struct clock_ref c;
static int64_t mono; /* the scripted CLOCK_MONOTONIC */

static void start(enum clock_force f, int64_t lkg)
{
	mono = 5000 * S;
	clock_init(&c, f, lkg, mono);
}

/* One report a second (mono advances), fix time t. */
static enum clock_gps_verdict report(int64_t t)
{
	mono += S;
	return clock_gps(&c, t, mono);
}

static struct vtime now_at(int64_t wall, bool synced)
{
	struct vtime v;
	clock_now_at(&c, mono, wall, synced, &v);
	return v;
}

/* A new database, a receiver a day after the build: three agreeing reports
 * with distinct fix times make GPS time the reference; the change from the
 * unsynchronised system clock is a step. */
static void test_believed_after_three(void **st)
{
	(void)st;
	int64_t t0 = clock_build_ms() + DAY;
	int64_t wall = 12345 * S; /* a Pi without RTC: 1970 */
	start(CLOCK_AUTO, 0);
	assert_int_equal(c.lkg_src, CLOCK_LKG_BUILD);
	struct vtime v = now_at(wall, false);
	assert_int_equal(v.utc_src, UTC_SRC_SYSTEM_UNSYNCED);
	/* never before the last known good time, even when the wall clock is */
	assert_true(v.utc_ms >= clock_build_ms());
	assert_int_equal(report(t0), CLOCK_GPS_COUNTING);
	assert_int_equal(report(t0 + S), CLOCK_GPS_COUNTING);
	v = now_at(wall, false);
	assert_int_equal(v.utc_src, UTC_SRC_SYSTEM_UNSYNCED);
	assert_int_equal(report(t0 + 2 * S), CLOCK_GPS_BELIEVED);
	v = now_at(wall, false);
	assert_int_equal(v.utc_src, UTC_SRC_GPS);
	assert_int_equal(v.utc_ms, t0 + 2 * S);
	struct clock_step s;
	assert_true(clock_take_step(&c, &s));
	assert_int_equal(s.from, UTC_SRC_SYSTEM_UNSYNCED);
	assert_int_equal(s.to, UTC_SRC_GPS);
	assert_true(s.step_ms > 0);
	assert_false(clock_take_step(&c, &s)); /* taken once */
	assert_int_equal(report(t0 + 3 * S), CLOCK_GPS_AGREES);
}

/* gpsd's several reports of one epoch count once. */
static void test_duplicates_do_not_count(void **st)
{
	(void)st;
	int64_t t0 = clock_build_ms() + DAY;
	start(CLOCK_AUTO, 0);
	assert_int_equal(report(t0), CLOCK_GPS_COUNTING);
	for (int i = 0; i < 10; i++)
		assert_int_equal(clock_gps(&c, t0, mono + 10 * i), CLOCK_GPS_DUPLICATE);
	assert_false(c.have_gps);
	assert_int_equal(report(t0 + S), CLOCK_GPS_COUNTING);
	assert_int_equal(report(t0 + 2 * S), CLOCK_GPS_BELIEVED);
}

/* A receiver that stalls, then delivers the fixes it buffered in one burst
 * (issue 19): their times look 10 s behind the GPS time in use, but they
 * arrive at one instant, so they are old news: no step back. */
static void test_burst_after_stall(void **st)
{
	(void)st;
	int64_t t0 = clock_build_ms() + DAY;
	start(CLOCK_AUTO, 0);
	for (int i = 0; i < 3; i++)
		report(t0 + i * S);
	assert_true(c.have_gps);
	int64_t off = c.gps_offset_ms;
	mono += 11 * S; /* 11 s of silence, then fixes 3..12 at once */
	for (int i = 3; i <= 12; i++)
		assert_int_not_equal(clock_gps(&c, t0 + i * S, mono + (i - 3)), CLOCK_GPS_BELIEVED);
	assert_int_equal(c.gps_offset_ms, off);
	/* live again */
	assert_int_equal(clock_gps(&c, t0 + 14 * S, mono + 0), CLOCK_GPS_AGREES);
	struct clock_step s;
	now_at(0, false);
	clock_take_step(&c, &s);
	mono += S;
	now_at(0, false);
	assert_false(clock_take_step(&c, &s));
}

/* A week-rollover correction 1024 weeks ahead, or years ahead, is never
 * believed without NTP, however often it is repeated. */
static void test_rollover_and_years_ahead(void **st)
{
	(void)st;
	int64_t lkg = clock_build_ms() + 30 * DAY;
	int64_t ahead[] = { lkg + WEEKS_1024, lkg + 3 * 365 * DAY, lkg + 401 * DAY };
	for (size_t k = 0; k < 3; k++) {
		start(CLOCK_AUTO, lkg);
		int64_t m0 = mono;
		assert_int_equal(c.lkg_src, CLOCK_LKG_RECORD);
		now_at(lkg + 10 * S, false);
		for (int i = 0; i < 100; i++)
			assert_int_equal(report(ahead[k] + i * S), CLOCK_GPS_TOO_FAR);
		struct vtime v = now_at(lkg + 10 * S + (mono - m0), false);
		assert_int_equal(v.utc_src, UTC_SRC_SYSTEM_UNSYNCED);
		struct clock_step s;
		assert_false(clock_take_step(&c, &s));
	}
	/* within the horizon (a van parked for months): believed */
	start(CLOCK_AUTO, lkg);
	for (int i = 0; i < 2; i++)
		assert_int_equal(report(lkg + 200 * DAY + i * S), CLOCK_GPS_COUNTING);
	assert_int_equal(report(lkg + 200 * DAY + 2 * S), CLOCK_GPS_BELIEVED);
}

/* A Pi whose build is years old: with nothing recorded, GPS time three
 * years after the build is not believed (it could be a rollover); once the
 * database holds a trusted record (NTP synchronised it once), it is. */
static void test_old_build(void **st)
{
	(void)st;
	int64_t t = clock_build_ms() + 3 * 365 * DAY;
	start(CLOCK_AUTO, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(report(t + i * S), CLOCK_GPS_TOO_FAR);
	start(CLOCK_AUTO, t - 7 * DAY);
	for (int i = 0; i < 2; i++)
		assert_int_equal(report(t + i * S), CLOCK_GPS_COUNTING);
	assert_int_equal(report(t + 2 * S), CLOCK_GPS_BELIEVED);
}

/* An old track (a demo, a replay) is before the last known good time: not
 * believed in the field; VANCTLD_CLOCK=gps makes a replay's times the
 * truth from its first report. */
static void test_old_track(void **st)
{
	(void)st;
	int64_t lkg = clock_build_ms() + 10 * DAY;
	int64_t track = lkg - 8 * DAY;
	start(CLOCK_AUTO, lkg);
	for (int i = 0; i < 20; i++)
		assert_int_equal(report(track + i * S), CLOCK_GPS_BEFORE_LKG);
	assert_false(c.have_gps);
	/* an hour after start, the floor is the LKG plus that hour: a report
	 * ten minutes after the LKG is known to be wrong */
	start(CLOCK_AUTO, lkg);
	mono += 3600 * S;
	for (int i = 0; i < 5; i++)
		assert_int_equal(report(lkg + 600 * S + i * S), CLOCK_GPS_BEFORE_LKG);
	struct vtime u = now_at(0, false);
	assert_int_equal(u.utc_src, UTC_SRC_SYSTEM_UNSYNCED);
	assert_int_equal(u.utc_ms, clock_floor(&c, mono));
	assert_true(u.utc_ms >= lkg + 3600 * S);
	start(CLOCK_FORCE_GPS, lkg);
	assert_int_equal(report(track), CLOCK_GPS_BELIEVED);
	struct vtime v = now_at(lkg, true);
	assert_int_equal(v.utc_src, UTC_SRC_GPS);
	assert_int_equal(v.utc_ms, track);
}

/* One bad forward report is only that: the good ones after it agree, the
 * reference does not move, nothing is recorded as a step. */
static void test_one_bad_forward_report(void **st)
{
	(void)st;
	int64_t t0 = clock_build_ms() + DAY;
	start(CLOCK_AUTO, 0);
	for (int i = 0; i < 3; i++)
		report(t0 + i * S);
	struct vtime v = now_at(0, false);
	struct clock_step s;
	clock_take_step(&c, &s);
	assert_int_equal(report(t0 + 3 * S + DAY), CLOCK_GPS_COUNTING);
	struct vtime w = now_at(0, false);
	assert_int_equal(w.utc_ms - v.utc_ms, mono - v.mono_ms);
	assert_false(clock_take_step(&c, &s));
	for (int i = 4; i < 12; i++)
		assert_int_equal(report(t0 + i * S), CLOCK_GPS_AGREES);
	/* and a stale report going a day back is before the last known good
	 * time, which followed the believed GPS time */
	now_at(0, false);
	assert_int_equal(report(t0 - DAY), CLOCK_GPS_BEFORE_LKG);
	assert_int_equal(report(t0 + 13 * S), CLOCK_GPS_AGREES);
	assert_false(clock_take_step(&c, &s));
}

/* The receiver's time really changed (three reports agree on a new one):
 * the reference follows, and the step is recorded. */
static void test_new_gps_time_is_a_step(void **st)
{
	(void)st;
	int64_t t0 = clock_build_ms() + DAY;
	start(CLOCK_AUTO, 0);
	for (int i = 0; i < 3; i++)
		report(t0 + i * S);
	now_at(0, false);
	struct clock_step s;
	clock_take_step(&c, &s);
	int64_t h = 3600 * S;
	assert_int_equal(report(t0 + 3 * S + h), CLOCK_GPS_COUNTING);
	assert_int_equal(report(t0 + 4 * S + h), CLOCK_GPS_COUNTING);
	assert_int_equal(report(t0 + 5 * S + h), CLOCK_GPS_BELIEVED);
	struct vtime v = now_at(0, false);
	assert_int_equal(v.utc_ms, t0 + 5 * S + h);
	assert_true(clock_take_step(&c, &s));
	assert_int_equal(s.from, UTC_SRC_GPS);
	assert_int_equal(s.to, UTC_SRC_GPS);
	assert_int_equal(s.step_ms, h);
}

/* A synchronised system clock wins; an NTP step is recorded; jitter is not. */
static void test_system_synced(void **st)
{
	(void)st;
	int64_t wall = clock_build_ms() + 5 * DAY;
	start(CLOCK_AUTO, 0);
	struct vtime v = now_at(wall, true);
	assert_int_equal(v.utc_src, UTC_SRC_SYSTEM_SYNCED);
	assert_int_equal(v.utc_ms, wall);
	for (int i = 0; i < 3; i++)
		report(wall - 3 * DAY + i * S); /* GPS disagrees: irrelevant */
	mono += 10 * S;
	v = now_at(wall + 10 * S + 1500, true); /* slewed 1.5 s: not a step */
	assert_int_equal(v.utc_src, UTC_SRC_SYSTEM_SYNCED);
	struct clock_step s;
	assert_false(clock_take_step(&c, &s));
	mono += 10 * S;
	v = now_at(wall + 20 * S + 1500 - 3600 * S, true); /* NTP stepped back an hour */
	assert_true(clock_take_step(&c, &s));
	assert_int_equal(s.step_ms, -3600 * S);
	assert_int_equal(s.from, UTC_SRC_SYSTEM_SYNCED);
	assert_int_equal(s.to, UTC_SRC_SYSTEM_SYNCED);
	/* the last known good time follows the trusted readings, back too:
	 * NTP is the authority */
	assert_int_equal(c.lkg_ms, v.utc_ms);
}

/* VANCTLD_CLOCK=system: the system clock, marked synchronised. */
static void test_force_system(void **st)
{
	(void)st;
	start(CLOCK_FORCE_SYSTEM, 0);
	int64_t t0 = clock_build_ms() + DAY;
	for (int i = 0; i < 5; i++)
		report(t0 + i * S);
	struct vtime v = now_at(42 * S, false);
	assert_int_equal(v.utc_src, UTC_SRC_SYSTEM_SYNCED);
	assert_int_equal(v.utc_ms, 42 * S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_after_stall),
		cmocka_unit_test(test_believed_after_three),
		cmocka_unit_test(test_duplicates_do_not_count),
		cmocka_unit_test(test_rollover_and_years_ahead),
		cmocka_unit_test(test_old_build),
		cmocka_unit_test(test_old_track),
		cmocka_unit_test(test_one_bad_forward_report),
		cmocka_unit_test(test_new_gps_time_is_a_step),
		cmocka_unit_test(test_system_synced),
		cmocka_unit_test(test_force_system),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
