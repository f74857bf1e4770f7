/*
 * test_track.c - the route acquisition filter: each rule, with fixes that
 * must be kept and fixes that must not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "core/geo.h"
#include "core/track.h"

static const struct track_params P = {
	.min_period_ms = 5000, .min_distance_m = 10, .min_heading_deg = 15,
	.stationary_speed_mps = 1.0, .stationary_period_ms = 120000,
	.max_eph_m = 50, .max_speed_mps = 70,
};

/* 1 degree of latitude is about 111.2 km: metres north of the start */
#define NORTH(m) (53.8 + (m) / 111195.0)

static struct fix mk(int64_t t_ms, double lat, double lon, double speed, double track)
{
	return (struct fix){ .mono_ms = t_ms, .gps_utc_ms = 1795000000000LL + t_ms, .mode = FIX_3D,
			     .has_latlon = true, .lat = lat, .lon = lon, .alt = NAN, .speed = speed,
			     .track = track, .eph = 5, .epv = NAN, .sats_used = 9 };
}

static struct track_filter tf;

static enum track_verdict judge(struct fix f) { return track_judge(&tf, &f); }

static void test_rejects_invalid(void **st)
{
	(void)st;
	track_init(&tf, &P);
	struct fix f = mk(0, 53.8, -1.5, 10, 0);
	f.mode = FIX_NO_FIX;
	assert_int_equal(judge(f), TRACK_REJECT_NOFIX);
	f = mk(0, 53.8, -1.5, 10, 0);
	f.has_latlon = false;
	assert_int_equal(judge(f), TRACK_REJECT_NOFIX);
	assert_int_equal(judge(mk(100, 95.0, -1.5, 10, 0)), TRACK_REJECT_INVALID);
	assert_int_equal(judge(mk(200, 0.0, 0.0, 10, 0)), TRACK_REJECT_INVALID);
	assert_int_equal(judge(mk(300, NAN, -1.5, 10, 0)), TRACK_REJECT_INVALID);
	f = mk(400, 53.8, -1.5, 10, 0);
	f.eph = 80;
	assert_int_equal(judge(f), TRACK_REJECT_ACCURACY);
	/* the first good one is kept */
	assert_int_equal(judge(mk(500, 53.8, -1.5, 10, 0)), TRACK_KEEP_FIRST);
}

static void test_duplicate_time(void **st)
{
	(void)st;
	track_init(&tf, &P);
	struct fix a = mk(0, 53.8, -1.5, 10, 0), b = a;
	b.mono_ms = 50; /* gpsd's second TPV of the first epoch: same GPS time */
	assert_int_equal(judge(a), TRACK_KEEP_FIRST);
	assert_int_equal(judge(b), TRACK_REJECT_DUPLICATE);
}

static void test_time_backwards(void **st)
{
	(void)st;
	track_init(&tf, &P);
	assert_int_equal(judge(mk(0, NORTH(0), -1.5, 10, 0)), TRACK_KEEP_FIRST);
	assert_int_equal(judge(mk(5000, NORTH(50), -1.5, 10, 0)), TRACK_KEEP_MOVED);
	/* a stale RMC replayed: GPS time (and position) from 4 s ago */
	struct fix old = mk(6000, NORTH(10), -1.5, 10, 0);
	old.gps_utc_ms -= 5000;
	assert_int_equal(judge(old), TRACK_REJECT_STALE);
	assert_int_equal(judge(mk(10000, NORTH(100), -1.5, 10, 0)), TRACK_KEEP_MOVED);
	/* a receiver whose clock really went back an hour: trusted after a run */
	enum track_verdict v = TRACK_REJECT_STALE;
	int n = 0;
	for (; v == TRACK_REJECT_STALE && n < 20; n++) {
		struct fix f = mk(11000 + n * 1000, NORTH(110 + n * 10), -1.5, 10, 0);
		f.gps_utc_ms -= 3600 * 1000;
		v = judge(f);
	}
	assert_int_equal(n, TRACK_TIME_RESET_AFTER);
	assert_true(track_is_keep(v));
}

static void test_moving_period_and_distance(void **st)
{
	(void)st;
	track_init(&tf, &P);
	assert_int_equal(judge(mk(0, NORTH(0), -1.5, 10, 0)), TRACK_KEEP_FIRST);
	/* 10 m/s north, 1 Hz: seconds 1..4 are too soon */
	for (int s = 1; s < 5; s++)
		assert_int_equal(judge(mk(s * 1000, NORTH(10 * s), -1.5, 10, 0)), TRACK_DROP_PERIOD);
	/* at 5 s, 50 m moved: kept */
	assert_int_equal(judge(mk(5000, NORTH(50), -1.5, 10, 0)), TRACK_KEEP_MOVED);
	/* crawling: 5 s later only 6 m on, same heading: not kept */
	assert_int_equal(judge(mk(10000, NORTH(56), -1.5, 1.2, 0)), TRACK_DROP_CLOSE);
}

static void test_turn_kept(void **st)
{
	(void)st;
	track_init(&tf, &P);
	assert_int_equal(judge(mk(0, NORTH(0), -1.5, 1.5, 0)), TRACK_KEEP_FIRST);
	/* 5 s later, 7 m on (below min distance) but heading now 90: a corner */
	assert_int_equal(judge(mk(5000, NORTH(7), -1.5, 1.5, 90)), TRACK_KEEP_TURNED);
	/* 10 degrees more is below min_heading */
	assert_int_equal(judge(mk(10000, NORTH(8), -1.5, 1.5, 100)), TRACK_DROP_CLOSE);
}

static void test_parked_van_writes_little(void **st)
{
	(void)st;
	track_init(&tf, &P);
	int kept = 0;
	assert_int_equal(judge(mk(0, NORTH(0), -1.5, 8, 0)), TRACK_KEEP_FIRST);
	/* arrives: speed drops -> the stop point is kept once */
	assert_int_equal(judge(mk(1000, NORTH(5), -1.5, 0.2, 0)), TRACK_KEEP_STOPPED);
	/* ten minutes parked at 1 Hz with 2 m of GPS noise */
	for (int s = 2; s <= 601; s++) {
		double jitter = ((s * 7919) % 5 - 2) * 1.0;
		enum track_verdict v = judge(mk(s * 1000, NORTH(5 + jitter), -1.5, 0.1, (s * 37) % 360));
		if (track_is_keep(v))
			kept++;
	}
	/* one heartbeat per stationary_period (120 s): 5 in 600 s, not 600 */
	assert_int_equal(kept, 5);
	/* drives off: kept as soon as it has moved min_distance */
	assert_int_equal(judge(mk(602000, NORTH(8), -1.5, 3, 0)), TRACK_DROP_PERIOD);
	assert_int_equal(judge(mk(603000, NORTH(20), -1.5, 6, 0)), TRACK_KEEP_STARTED);
}

static void test_jump_rejected_then_reanchor(void **st)
{
	(void)st;
	track_init(&tf, &P);
	assert_int_equal(judge(mk(0, NORTH(0), -1.5, 10, 0)), TRACK_KEEP_FIRST);
	/* 1 s later 5 km away: 5000 m/s is impossible */
	assert_int_equal(judge(mk(6000, NORTH(5000), -1.5, 10, 0)), TRACK_REJECT_SPEED);
	/* back on the road: kept, no spike */
	assert_int_equal(judge(mk(7000, NORTH(70), -1.5, 10, 0)), TRACK_KEEP_MOVED);
	/* a receiver that really was wrong before: after N consistent rejections, trust it */
	for (int i = 0; i < TRACK_REANCHOR_AFTER - 1; i++)
		assert_int_equal(judge(mk(8000 + i * 1000, NORTH(90000), -1.5, 10, 0)), TRACK_REJECT_SPEED);
	assert_int_equal(judge(mk(8000 + (TRACK_REANCHOR_AFTER - 1) * 1000, NORTH(90000), -1.5, 10, 0)),
			 TRACK_KEEP_REANCHOR);
}

static void test_no_speed_field(void **st)
{
	(void)st;
	track_init(&tf, &P);
	assert_int_equal(judge(mk(0, NORTH(0), -1.5, NAN, NAN)), TRACK_KEEP_FIRST);
	/* derived speed 10 m/s: moving */
	assert_int_equal(judge(mk(5000, NORTH(50), -1.5, NAN, NAN)), TRACK_KEEP_MOVED);
}

static void test_geo(void **st)
{
	(void)st;
	/* Leeds station to York station: about 38.9 km great circle */
	double d = geo_distance_m(53.7954, -1.5480, 53.9580, -1.0930);
	assert_true(d > 34000 && d < 36000);
	assert_true(fabs(geo_distance_m(53.8, -1.5, NORTH(1000), -1.5) - 1000) < 1.0);
	assert_true(fabs(geo_bearing_deg(53.8, -1.5, 54.0, -1.5) - 0) < 0.01);
	assert_true(fabs(geo_bearing_deg(53.8, -1.5, 53.8, -1.4) - 90) < 0.1);
	assert_true(fabs(geo_heading_diff(350, 10) - 20) < 1e-9);
	assert_true(fabs(geo_heading_diff(10, 190) - 180) < 1e-9);
	/* point 100 m east of a north-south segment */
	double off = 100.0 / (111195.0 * cos(53.8 * M_PI / 180));
	double s = geo_distance_to_segment_m(NORTH(500), -1.5 + off, NORTH(0), -1.5, NORTH(1000), -1.5);
	assert_true(fabs(s - 100) < 0.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_invalid),
		cmocka_unit_test(test_duplicate_time),
		cmocka_unit_test(test_time_backwards),
		cmocka_unit_test(test_moving_period_and_distance),
		cmocka_unit_test(test_turn_kept),
		cmocka_unit_test(test_parked_van_writes_little),
		cmocka_unit_test(test_jump_rejected_then_reanchor),
		cmocka_unit_test(test_no_speed_field),
		cmocka_unit_test(test_geo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
