/*
 * test_stops.c - stops with GPS noise, distance, door open while moving,
 * the fix ring.
 */
#include <math.h>

#include "test_core_harness.h"

#define LAT0 51.5
#define LON0 (-0.1)
#define M_LAT (1.0 / 111195.0)                      /* degrees per metre north */
#define M_LON (1.0 / (111195.0 * cos(LAT0 * M_PI / 180)))

static unsigned rng = 12345;
static double noise(double amp)   /* -amp..amp, reproducible */
{
	rng = rng * 1103515245u + 12345u;
	return ((double)((rng >> 8) & 0xffff) / 65535.0 * 2 - 1) * amp;
}

/* Drive north at v m/s for secs seconds from *north metres. */
static void drive(struct harness *h, double *north, double v, int secs)
{
	for (int i = 0; i < secs; i++) {
		*north += v;
		h_adv(h, SEC);
		h_fix(h, LAT0 + *north * M_LAT, LON0, v);
	}
}

/* Parked at `north` with position noise of amp metres, speed noise. */
static void park(struct harness *h, double north, double amp, int secs)
{
	for (int i = 0; i < secs; i++) {
		h_adv(h, SEC);
		double spd = i % 17 == 5 ? 1.6 : fabs(noise(0.4));   /* speed noise above 1 m/s too */
		h_fix(h, LAT0 + (north + noise(amp)) * M_LAT, LON0 + noise(amp) * M_LON, spd);
	}
}

static json_t *state_obj(struct harness *h, const char *key, json_t **s)
{
	*s = h_state(h, true);
	return json_object_get(*s, key);
}

static void stop_with_noise(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	double north = 0;
	json_t *s;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	drive(&h, &north, 10, 60);                 /* 600 m */
	h_mark(&h);
	int64_t arrive = h.now.mono_ms + SEC;
	park(&h, north, 5, 59);
	assert_int_equal(h_count(&h, "stop.started"), 0);
	park(&h, north, 5, 2);
	assert_int_equal(h_count(&h, "stop.started"), 1);
	const struct van_event *e = h_last(&h, "stop.started");
	assert_int_equal(jint(e->data, "arrival_utc"), T0_UTC + (arrive - T0_MONO));
	assert_true(fabs(json_real_value(json_object_get(e->data, "lat")) - (LAT0 + north * M_LAT)) < 5 * M_LAT);
	/* service users come and go */
	h_door(&h, true);
	h_cross(&h, true);
	h_cross(&h, true);
	h_cross(&h, false);
	h_door(&h, false);
	park(&h, north, 5, 120);
	/* one multipath jump of 80 m does not end the stop or add distance */
	h_adv(&h, SEC);
	h_fix(&h, LAT0 + (north + 80) * M_LAT, LON0, 0.3);
	park(&h, north, 5, 30);
	assert_int_equal(h_count(&h, "stop.ended"), 0);
	/* no fix for five minutes (a car park) */
	van_fix_lost(h.v, &h.now);
	h_adv(&h, 5 * MIN);
	json_t *stop = state_obj(&h, "stop", &s);
	assert_true(json_is_object(stop));
	assert_true(jint(stop, "duration_s") >= 60 + 120 + 30 + 300);
	json_decref(s);
	park(&h, north, 5, 10);
	assert_int_equal(h_count(&h, "stop.ended"), 0);
	int64_t depart = h.now.mono_ms + SEC * 5;   /* at 10 m/s: 50 m is out of the 30 m radius */
	drive(&h, &north, 10, 20);
	assert_int_equal(h_count(&h, "stop.ended"), 1);
	e = h_last(&h, "stop.ended");
	assert_int_equal(jint(e->data, "entries"), 2);
	assert_int_equal(jint(e->data, "peak_occupancy"), 2);
	assert_int_equal(jint(e->data, "door_openings"), 1);
	assert_true(llabs(jint(e->data, "departure_utc") - (T0_UTC + depart - T0_MONO)) <= 2 * SEC);
	assert_true(labs((long)(jint(e->data, "duration_s") * 1000 - (depart - arrive))) <= 2000);
	stop = state_obj(&h, "stop", &s);
	assert_true(json_is_null(stop));
	json_decref(s);
	van_empty(h.v, VAN_SRC_VANCTL, &h.now, &why);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_int_equal(jint(sum, "stops"), 1);
	/* 600 m + 200 m driven; parking noise and the jump add nothing */
	assert_true(jint(sum, "distance_m") >= 770 && jint(sum, "distance_m") <= 810);
	h_fini(&h);
}

static void stop_confirmed_without_fixes(void **st)
{
	(void)st;
	struct harness h;
	double north = 0;
	h_init(&h, NULL);
	drive(&h, &north, 10, 10);
	park(&h, north, 2, 1);
	van_fix_lost(h.v, &h.now);
	h_mark(&h);
	h_adv(&h, 59 * SEC);
	assert_int_equal(h_count(&h, "stop.started"), 0);
	h_adv(&h, SEC);                            /* timer, not a fix */
	assert_int_equal(h_count(&h, "stop.started"), 1);
	assert_int_equal(h_last(&h, "stop.started")->session_id, 0);
	h_fini(&h);
}

static void slow_traffic_is_not_a_stop(void **st)
{
	(void)st;
	struct harness h;
	double north = 0;
	h_init(&h, NULL);
	drive(&h, &north, 0.8, 120);    /* crawling: slow, but leaves the radius */
	assert_int_equal(h_count(&h, "stop.started"), 0);
	h_fini(&h);
}

static void door_open_while_moving(void **st)
{
	(void)st;
	struct harness h;
	double north = 0;
	h_init(&h, NULL);
	drive(&h, &north, 8, 5);
	h_door(&h, true);
	const struct van_event *e = h_last(&h, "door.open_while_moving");
	assert_non_null(e);
	assert_int_equal(e->prio, EV_URGENT);
	assert_true(json_real_value(json_object_get(e->data, "speed_mps")) > 7.9);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_SHORT);
	drive(&h, &north, 8, 5);
	assert_int_equal(h_count(&h, "door.open_while_moving"), 1);   /* once per episode */
	/* the speed gets stale (no fix): the warning stops by itself */
	h_adv(&h, 6 * SEC);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	h_door(&h, false);
	drive(&h, &north, 8, 2);
	assert_int_equal(h_count(&h, "door.open_while_moving"), 1);
	/* slow: no warning */
	drive(&h, &north, 1.5, 2);
	h_door(&h, true);
	assert_int_equal(h_count(&h, "door.open_while_moving"), 1);
	/* speeding up with the door open: warning */
	drive(&h, &north, 5, 1);
	assert_int_equal(h_count(&h, "door.open_while_moving"), 2);
	h_fini(&h);
}

static void fix_ring_and_state(void **st)
{
	(void)st;
	struct harness h;
	double north = 0;
	json_t *s;
	h_init(&h, NULL);
	json_t *fx = state_obj(&h, "fix", &s);
	assert_true(json_is_null(fx));
	json_decref(s);
	drive(&h, &north, 10, 8);
	struct fix bad = { .mode = FIX_NO_FIX, .has_latlon = false, .speed = NAN };
	van_fix(h.v, &bad, &h.now);                /* unusable: ignored */
	h_adv(&h, 3 * SEC);
	fx = state_obj(&h, "fix", &s);
	assert_int_equal(jint(fx, "age_s"), 3);
	assert_int_equal(jint(fx, "mode"), 3);
	assert_true(fabs(json_real_value(json_object_get(fx, "lat")) - (LAT0 + 80 * M_LAT)) < 1e-9);
	json_decref(s);
	van_panic(h.v, VAN_SRC_VANCTL, false, 0, &h.now, NULL);
	const json_t *ctx = json_object_get(h_last(&h, "emergency.raised")->data, "context");
	const json_t *tr = json_object_get(ctx, "track");
	assert_int_equal(json_array_size(tr), 5);
	assert_true(json_real_value(json_object_get(json_array_get(tr, 0), "lat")) >
		    json_real_value(json_object_get(json_array_get(tr, 4), "lat")));   /* newest first */
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stop_with_noise),
		cmocka_unit_test(stop_confirmed_without_fixes),
		cmocka_unit_test(slow_traffic_is_not_a_stop),
		cmocka_unit_test(door_open_while_moving),
		cmocka_unit_test(fix_ring_and_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
