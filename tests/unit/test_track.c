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
#include <string.h>

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

/* ---- epochs: reports offered as gpsd sends them (issue 19) ---- */

#define T0 1795000000000LL /* a fixed GPS time: nothing here depends on today */
#define DAY_MS (86400 * 1000LL)

#define MAXV 512
static enum track_verdict vs[MAXV];
static struct fix eps[MAXV];
static int nv;

/* Offer one report; judge the epoch it ends, if any. */
static void offer(struct fix f)
{
	struct fix d;
	if (track_offer(&tf, &f, &d)) {
		assert_true(nv < MAXV);
		eps[nv] = d;
		vs[nv++] = track_judge(&tf, &d);
	}
}

static void flush(void)
{
	struct fix d;
	if (track_flush(&tf, &d)) {
		assert_true(nv < MAXV);
		eps[nv] = d;
		vs[nv++] = track_judge(&tf, &d);
	}
}

/* report of fix time t_s seconds after T0, arriving at mono_ms */
static struct fix rep(int64_t mono_ms, double t_s, double north_m, double speed, double course)
{
	struct fix f = mk(mono_ms, NORTH(north_m), -1.5, speed, course);
	f.gps_utc_ms = T0 + (int64_t)(t_s * 1000);
	return f;
}

static int kept(void)
{
	int k = 0;
	for (int i = 0; i < nv; i++)
		k += track_is_keep(vs[i]);
	return k;
}

/* A receiver that sends GLL first: gpsd's first report of each epoch has
 * no speed or course; the epoch is judged on the report with them. */
static void test_epoch_most_complete_report(void **st)
{
	(void)st;
	static const struct track_params all = { .min_period_ms = 0, .min_distance_m = 0,
		.stationary_speed_mps = 1.0, .stationary_period_ms = 120000, .max_eph_m = 50,
		.max_speed_mps = 70 };
	track_init(&tf, &all);
	nv = 0;
	for (int s = 0; s < 10; s++) {
		struct fix gll = rep(s * 1000, s, s * 3, NAN, NAN);
		gll.mode = FIX_2D;
		offer(gll);                                   /* GLL */
		offer(rep(s * 1000 + 20, s, s * 3, 3.0, 0));  /* RMC: speed, course */
		struct fix gga = rep(s * 1000 + 40, s, s * 3, NAN, NAN);
		offer(gga);                                   /* GGA: 3D but no speed again */
	}
	flush();
	assert_int_equal(nv, 10);                   /* one judgement per fix time */
	assert_int_equal(tf.merged, 20);
	for (int i = 0; i < nv; i++) {
		assert_true(eps[i].speed == 3.0);   /* the complete report, not the first */
		assert_int_equal(eps[i].mono_ms, i * 1000); /* arrival of the epoch's first report */
	}
	/* moving at 3 m/s, never judged stationary */
	for (int i = 1; i < nv; i++)
		assert_int_equal(vs[i], TRACK_KEEP_MOVED);
}

/* gpsd's very first report has no time yet (no date seen): it is the same
 * epoch as the timed report after it, and the first fix is stored once. */
static void test_first_report_without_time(void **st)
{
	(void)st;
	track_init(&tf, &P);
	nv = 0;
	struct fix untimed = rep(0, 0, 0, NAN, NAN);
	untimed.gps_utc_ms = 0;
	untimed.mode = FIX_2D;
	offer(untimed);                 /* GLL: no date yet */
	untimed.mode = FIX_3D;
	untimed.mono_ms = 30;
	offer(untimed);                 /* GGA: no date yet */
	offer(rep(60, 0, 0, 8.0, 0));
	offer(rep(80, 0, 0, 8.0, 0));
	offer(rep(1000, 1, 8, 8.0, 0));
	flush();
	assert_int_equal(nv, 2);
	assert_int_equal(vs[0], TRACK_KEEP_FIRST);
	assert_true(eps[0].speed == 8.0 && eps[0].gps_utc_ms == T0);
	assert_int_equal(kept(), 1);
	assert_int_equal(tf.counts[TRACK_REJECT_DUPLICATE], 0);
}

/* One report dated a day ahead between good ones: rejected alone; the
 * driving section after it is kept, and the clock would not follow it. */
static void test_single_time_ahead(void **st)
{
	(void)st;
	track_init(&tf, &P);
	nv = 0;
	for (int s = 0; s < 5; s++)
		offer(rep(s * 1000, s, s * 10, 10, 0));
	struct fix bad = rep(5000, 5, 50, 10, 0);
	bad.gps_utc_ms += DAY_MS;
	offer(bad);
	bad.mono_ms = 5020;
	offer(bad); /* another report of the bad epoch: one judgement */
	for (int s = 6; s < 40; s++)
		offer(rep(s * 1000, s, s * 10, 10, 0));
	flush();
	assert_int_equal(nv, 40);
	assert_int_equal(vs[5], TRACK_REJECT_AHEAD);
	assert_true(track_time_rejected(vs[5]));
	for (int i = 6; i < nv; i++)
		assert_false(track_time_rejected(vs[i]));
	assert_int_equal(tf.counts[TRACK_REJECT_STALE], 0);
	/* moving 10 m/s, one point per 5 s: 0, 6 s (not the bad 5 s), 11 s... */
	assert_int_equal(kept(), 8);
	assert_int_equal(vs[6], TRACK_KEEP_MOVED); /* the first good one after it */
}

/* A receiver whose clock really went back: trusted after a run of distinct
 * fix times; gpsd's several reports per epoch count once. */
static void test_time_reset_counts_epochs(void **st)
{
	(void)st;
	track_init(&tf, &P);
	nv = 0;
	/* a fast replay: an epoch every 10 ms of arrival */
	for (int s = 0; s < 3; s++)
		offer(rep(s * 10, 3600 + s, s * 10, 10, 0));
	for (int s = 3; s < 30; s++)
		for (int k = 0; k < 3; k++)
			offer(rep(s * 10 + k, s, s * 10, 10, 0));
	flush();
	assert_int_equal(nv, 30);
	/* epochs 3.. are an hour back: stale until the tenth distinct time */
	for (int i = 3; i < 3 + TRACK_TIME_RESET_AFTER - 1; i++)
		assert_int_equal(vs[i], TRACK_REJECT_STALE);
	assert_false(track_time_rejected(vs[3 + TRACK_TIME_RESET_AFTER - 1]));
	assert_int_equal(tf.counts[TRACK_REJECT_STALE], TRACK_TIME_RESET_AFTER - 1);
	/* the van drove on at 10 m/s meanwhile: no jump, though the fixes
	 * arrived far faster than their times say */
	assert_int_equal(tf.counts[TRACK_REJECT_SPEED], 0);
}

/* The same fixes arriving at 1x, at 100x and in one burst after a stall
 * give the same verdicts: elapsed time is the fixes' own. */
static void run_at(int64_t ms_per_s, enum track_verdict *out, int *n)
{
	track_init(&tf, &P);
	nv = 0;
	double north = 0;
	for (int s = 0; s < 300; s++) {
		double v = s < 100 ? 12 : s < 200 ? 0.1 : 9;
		north += v;
		int64_t mono = ms_per_s >= 0 ? s * ms_per_s : 5000; /* <0: all at once */
		offer(rep(mono, s, north, v, 0));
		offer(rep(mono + (ms_per_s > 0 ? ms_per_s / 10 : 0), s, north, v, 0));
	}
	flush();
	memcpy(out, vs, sizeof(vs[0]) * (size_t)nv);
	*n = nv;
}

static void test_fix_time_not_arrival(void **st)
{
	(void)st;
	static enum track_verdict a[MAXV], b[MAXV], c[MAXV];
	int na, nb, nc;
	run_at(1000, a, &na); /* real time */
	run_at(10, b, &nb);   /* a fast replay */
	run_at(-1, c, &nc);   /* a burst after a stall: all at one instant */
	assert_int_equal(na, 300);
	assert_int_equal(na, nb);
	assert_int_equal(na, nc);
	assert_memory_equal(a, b, sizeof(a[0]) * (size_t)na);
	assert_memory_equal(a, c, sizeof(a[0]) * (size_t)na);
	/* and the route has the stop in it */
	int stopped = 0;
	for (int i = 0; i < na; i++)
		stopped += a[i] == TRACK_KEEP_STOPPED;
	assert_int_equal(stopped, 1);
}

/* A 20-minute gap with no fix (a tunnel, a car park), delivered at once by
 * a replay: 12 km in 20 minutes is driving, not a jump. */
static void test_gap_by_fix_time(void **st)
{
	(void)st;
	track_init(&tf, &P);
	nv = 0;
	offer(rep(0, 0, 0, 10, 0));
	offer(rep(100, 1, 10, 10, 0));
	offer(rep(200, 1201, 12000, 10, 0));   /* arrives 100 ms later, 20 min of fix time */
	offer(rep(300, 1202, 12010, 10, 0));
	flush();
	assert_int_equal(vs[2], TRACK_KEEP_MOVED);
	/* and a real jump is still one: 12 km in 1 s */
	offer(rep(400, 1203, 24000, 10, 0));
	offer(rep(500, 1204, 12030, 10, 0));
	flush();
	assert_int_equal(vs[4], TRACK_REJECT_SPEED);
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
		cmocka_unit_test(test_epoch_most_complete_report),
		cmocka_unit_test(test_first_report_without_time),
		cmocka_unit_test(test_single_time_ahead),
		cmocka_unit_test(test_time_reset_counts_epochs),
		cmocka_unit_test(test_fix_time_not_arrival),
		cmocka_unit_test(test_gap_by_fix_time),
		cmocka_unit_test(test_geo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
