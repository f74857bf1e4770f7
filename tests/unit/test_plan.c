/*
 * test_plan.c - the plan tracker (core/plan.h) with a fake clock and
 * scripted positions: arrival and departure with noise at the radius edge,
 * late arrival, skipped location, unplanned stop, corridor exit and return,
 * crew changes, check-in points, midnight, unsynced clock, stop hints,
 * return to base, the snapshot, an empty plan, save/restore mid-plan.
 */
#include "test_plan_harness.h"

/* At base for a few seconds, then the standard plan starts. */
static void begin(struct pt *t, struct plan_def *d)
{
	pt_init(t, T0_UTC);
	pt_start(t, d, 0);
	pt_park(t, 5, 2);
}

/* Distance-from-centre positions at the edge of A (north 1000, r 100). */
static void at_a(struct pt *t, double from_centre)
{
	t->east = 0;
	t->north = 1000 - from_centre;
	pt_step(t, 2);
}

static void arrival_departure_noise(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	begin(&t, &d);
	assert_int_equal(pt_count(&t, "plan.started"), 1);
	pt_until(&t, 7);
	pt_drive(&t, 0, 870, 10);
	pt_mark(&t);
	/* in, out, in, out (within r + margin), in, in, in: one arrival at the
	 * first of the three in a row */
	const double edge[] = { 99, 104, 97, 110, 98, 95, 99 };
	int64_t first_of_three = 0;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		at_a(&t, edge[i]);
		if (i == 4)
			first_of_three = t.now.utc_ms;
		assert_int_equal(pt_count(&t, "plan.arrived"), i == 6 ? 1 : 0);
	}
	const struct van_event *a = pt_ev(&t, "plan.arrived", 0);
	assert_string_equal(pt_str(a, "location"), "A");
	assert_int_equal(pt_int(a, "index"), 1);
	assert_int_equal(pt_int(a, "arrival_utc"), first_of_three);
	assert_string_equal(pt_str(a, "timing"), "early");       /* window 20:10-20:20 */
	assert_true(pt_int(a, "early_s") > 60);
	assert_int_equal(pt_int(a, "late_s"), 0);
	assert_int_equal(pt_int(a, "window_start_utc"), T0_UTC + 10 * MIN);
	assert_int_equal(pt_int(a, "window_end_utc"), T0_UTC + 20 * MIN);
	assert_int_equal(pt_int(a, "dwell_s"), 300);
	assert_false(pt_bool(a, "checkin"));
	assert_int_equal(a->prio, EV_URGENT - 1);
	assert_string_equal(plan_current_location(t.p), "A");

	/* ten minutes of noise between 90 and 118 m (inside r + max(20, 20%) =
	 * 120 m) and a single 200 m jump: no departure */
	for (int i = 0; i < 600; i++)
		at_a(&t, i == 300 ? 200 : 104 + pt_noise(&t, 14));
	assert_int_equal(pt_count(&t, "plan.departed"), 0);
	/* two fixes out, one in: still no departure */
	at_a(&t, 130);
	at_a(&t, 140);
	at_a(&t, 100);
	assert_int_equal(pt_count(&t, "plan.departed"), 0);
	/* leave */
	at_a(&t, 125);
	int64_t left = t.now.utc_ms;
	at_a(&t, 135);
	at_a(&t, 150);
	assert_int_equal(pt_count(&t, "plan.departed"), 1);
	const struct van_event *dp = pt_ev(&t, "plan.departed", 0);
	assert_int_equal(pt_int(dp, "departure_utc"), left);
	assert_int_equal(pt_int(dp, "on_site_s"), (left - first_of_three) / 1000);
	assert_int_equal(pt_int(dp, "dwell_s"), 300);
	assert_int_equal(pt_int(dp, "dwell_diff_s"), (left - first_of_three) / 1000 - 300);
	assert_null(plan_current_location(t.p));
	/* back at A again: visited, no second arrival */
	for (int i = 0; i < 20; i++)
		at_a(&t, 10);
	assert_int_equal(pt_count(&t, "plan.arrived"), 1);
	pt_fini(&t);
}

static void late_arrival(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	begin(&t, &d);
	pt_mark(&t);
	pt_until(&t, 19.99);
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	pt_until(&t, 20);
	assert_int_equal(pt_count(&t, "plan.late"), 1);
	const struct van_event *l = pt_ev(&t, "plan.late", 0);
	assert_int_equal(l->utc_ms, T0_UTC + 20 * MIN);
	assert_int_equal(l->prio, EV_URGENT);
	assert_int_equal(l->session_id, 42);
	assert_string_equal(pt_str(l, "location"), "A");
	assert_int_equal(pt_int(l, "late_s"), 0);
	assert_int_equal(pt_int(l, "window_end_utc"), T0_UTC + 20 * MIN);
	assert_true(fabs(pt_real(l, "lat") - LAT0) < 0.001);        /* with position */
	assert_true(fabs(pt_real(l, "distance_m") - 1000) < 10);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 10, 2);
	assert_int_equal(pt_count(&t, "plan.late"), 1);              /* once */
	const struct van_event *a = pt_ev(&t, "plan.arrived", 0);
	assert_string_equal(pt_str(a, "timing"), "late");
	assert_true(pt_int(a, "late_s") >= 90 && pt_int(a, "late_s") <= 100);
	pt_fini(&t);
}

static void skipped_location(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	d.corridor_m = 5000;
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 300, 2);
	pt_mark(&t);
	pt_drive(&t, 0, 3000, 10);                 /* straight past B (600 m off) to C */
	pt_park(&t, 30, 2);
	char types[512];
	pt_types(&t, types, sizeof(types));
	assert_string_equal(types, "plan.departed:A plan.skipped:B plan.arrived:C");
	const struct van_event *s = pt_ev(&t, "plan.skipped", 0);
	assert_int_equal(s->prio, EV_URGENT);
	assert_string_equal(pt_str(s, "arrived_at"), "C");
	assert_int_equal(pt_int(s, "index"), 2);
	assert_true(json_is_number(json_object_get(s->data, "lat")));
	/* past B's latest: no late for a skipped location */
	pt_until(&t, 45);
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	/* no check-in prompt for B either */
	assert_int_equal(pt_count(&t, "plan.checkin_prompt"), 0);
	/* the crew may explain it afterwards */
	const char *why = NULL;
	assert_int_equal(plan_skip(t.p, "b", "no_service_users", VAN_SRC_VANCTL, &t.e, &why), 0);
	const struct van_event *c = pt_last(&t);
	assert_string_equal(c->type, "plan.changed");
	assert_true(pt_bool(c, "after_alert"));
	assert_string_equal(pt_str(c, "source"), "vanctl");
	/* going back to B later is still an arrival (out of order) */
	pt_mark(&t);
	pt_drive(&t, 600, 2000, 10);
	pt_park(&t, 10, 2);
	const struct van_event *a = pt_ev(&t, "plan.arrived", 0);
	assert_string_equal(pt_str(a, "location"), "B");
	assert_true(pt_bool(a, "was_skipped"));
	assert_false(pt_bool(a, "checkin"));       /* the crew said they skip it: no prompt */
	assert_int_equal(pt_count(&t, "plan.checkin_prompt"), 0);
	pt_fini(&t);
}

static void unplanned_long_stop(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 300, 2);
	pt_mark(&t);
	/* a 9-minute stop on the way: not long enough */
	pt_drive(&t, 300, 1400, 10);
	pt_park(&t, 9 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 0);
	/* an 11-minute stop */
	pt_drive(&t, 450, 1750, 10);
	int64_t since = t.now.utc_ms + SEC;       /* the first slow fix */
	pt_park(&t, 11 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 1);
	const struct van_event *u = pt_ev(&t, "plan.unplanned_stop", 0);
	assert_int_equal(u->prio, EV_URGENT);
	assert_int_equal(pt_int(u, "since_utc"), since);
	assert_int_equal(u->utc_ms, since + 10 * MIN);
	assert_int_equal(pt_int(u, "stopped_s"), 600);
	assert_true(fabs(pt_real(u, "lat") - pt_lat(1750)) < 0.0002);
	assert_string_equal(pt_str(u, "nearest"), "B");
	assert_string_equal(pt_str(u, "detector"), "plan");
	/* a long stop at a planned location is not unplanned */
	pt_drive(&t, 600, 2000, 10);
	pt_park(&t, 30 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 1);
	assert_int_equal(pt_count(&t, "plan.arrived"), 1);
	pt_fini(&t);
}

static void corridor_exit_and_return(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	d.unplanned_stop_min = 120;
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 300, 2);
	pt_drive(&t, 0, 1150, 10);   /* left A, on the corridor A -> B */
	pt_park(&t, 5, 2);
	pt_mark(&t);
	/* hovering around 300 m from the corridor: never 3 fixes beyond it */
	for (int i = 0; i < 600; i++) {
		t.east = (i % 2 ? 345 : 385);     /* ~290 / ~325 m from A-B */
		t.north = 1150;
		pt_step(&t, 3);
	}
	assert_int_equal(pt_count(&t, "plan.off_corridor"), 0);
	/* a 5-minute excursion: too short */
	pt_drive(&t, 900, 1150, 10);
	for (int i = 0; i < 5 * 60; i++) {
		t.east = 900 + (i % 60 < 30 ? i % 30 : 30 - i % 30) * 5;
		pt_step(&t, 5);
	}
	pt_drive(&t, 100, 1300, 10);
	pt_park(&t, 10, 2);
	assert_int_equal(pt_count(&t, "plan.off_corridor"), 0);
	assert_int_equal(pt_count(&t, "plan.back_on_corridor"), 0);
	/* a 12-minute excursion */
	pt_drive(&t, 900, 1300, 10);
	for (int i = 0; i < 12 * 60; i++) {
		t.east = 900 + (i % 60 < 30 ? i % 30 : 30 - i % 30) * 5;
		pt_step(&t, 5);
	}
	assert_int_equal(pt_count(&t, "plan.off_corridor"), 1);
	const struct van_event *o = pt_ev(&t, "plan.off_corridor", 0);
	assert_int_equal(o->prio, EV_URGENT);
	assert_string_equal(pt_str(o, "from"), "A");
	assert_string_equal(pt_str(o, "to"), "B");
	assert_int_equal(pt_int(o, "corridor_m"), 300);
	assert_int_equal(pt_int(o, "off_s"), 600);
	assert_true(pt_real(o, "distance_m") > 300);
	assert_true(json_is_number(json_object_get(o->data, "lat")));
	json_t *s = plan_state_json(t.p, &t.now);
	assert_true(json_is_true(json_object_get(s, "off_corridor")));
	json_decref(s);
	pt_drive(&t, 300, 1500, 10);
	pt_park(&t, 5, 2);
	assert_int_equal(pt_count(&t, "plan.back_on_corridor"), 1);
	const struct van_event *b = pt_ev(&t, "plan.back_on_corridor", 0);
	assert_true(pt_int(b, "off_s") >= 12 * 60);
	assert_true(pt_real(b, "max_distance_m") > pt_real(o, "distance_m") - 1);
	assert_int_equal(pt_count(&t, "plan.off_corridor"), 1);
	pt_fini(&t);
}

static void crew_skip_suppresses(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	const char *why = NULL;
	pt_def(&d);
	d.off_corridor_min = 1;
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 60, 2);
	/* errors */
	assert_int_equal(plan_skip(t.p, "B", "bored", VAN_SRC_BUTTON, &t.e, &why), -EINVAL);
	assert_int_equal(plan_skip(t.p, "A", "police", VAN_SRC_BUTTON, &t.e, &why), -EALREADY);
	assert_int_equal(plan_skip(t.p, "Z", "police", VAN_SRC_BUTTON, &t.e, &why), -ENOENT);
	pt_mark(&t);
	assert_int_equal(plan_skip(t.p, NULL, "police", VAN_SRC_BUTTON, &t.e, &why), 0);
	assert_int_equal(plan_skip(t.p, "B", "police", VAN_SRC_BUTTON, &t.e, &why), -EALREADY);
	assert_int_equal(pt_count_all(&t), 1);
	const struct van_event *c = pt_ev(&t, "plan.changed", 0);
	assert_int_equal(c->prio, EV_URGENT);
	assert_string_equal(pt_str(c, "kind"), "skip");
	assert_string_equal(pt_str(c, "location"), "B");
	assert_string_equal(pt_str(c, "reason"), "police");
	assert_string_equal(pt_str(c, "source"), "button");
	assert_false(pt_bool(c, "after_alert"));
	pt_park(&t, 200, 2);
	pt_drive(&t, 0, 3000, 10);      /* A -> C: the corridor now leads there */
	pt_park(&t, 60, 2);
	pt_until(&t, 45);
	char types[512];
	pt_types(&t, types, sizeof(types));
	assert_string_equal(types, "plan.changed:B plan.departed:A plan.arrived:C");
	pt_fini(&t);
}

static void crew_add_stop_suppresses(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	const char *why = NULL;
	pt_def(&d);
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 60, 2);
	pt_mark(&t);
	assert_int_equal(plan_add_stop(t.p, "nope", VAN_SRC_BUTTON, &t.e, &why), -EINVAL);
	assert_int_equal(plan_add_stop(t.p, "safety", VAN_SRC_BUTTON, &t.e, &why), 0);
	const struct van_event *c = pt_ev(&t, "plan.changed", 0);
	assert_string_equal(pt_str(c, "kind"), "add_stop");
	assert_true(json_is_null(json_object_get(c->data, "location")));
	/* an extra stop 1 km off the route for 20 minutes: no alert */
	pt_drive(&t, -1000, 1000, 10);
	pt_park(&t, 20 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 0);
	assert_int_equal(pt_count(&t, "plan.off_corridor"), 0);
	pt_drive(&t, 0, 1200, 10);
	pt_park(&t, 10, 2);
	/* the explanation is used up: the next one alerts */
	pt_drive(&t, -1000, 1300, 10);
	pt_park(&t, 15 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 1);
	assert_int_equal(pt_count(&t, "plan.off_corridor"), 1);
	/* explaining afterwards is logged (after_alert) and changes nothing */
	assert_int_equal(plan_add_stop(t.p, "other", VAN_SRC_BASE, &t.e, &why), 0);
	const struct van_event *c2 = pt_ev(&t, "plan.changed", 1);
	assert_true(pt_bool(c2, "after_alert"));
	pt_drive(&t, 0, 1300, 10);
	pt_park(&t, 10, 2);
	assert_int_equal(pt_count(&t, "plan.back_on_corridor"), 1);
	pt_fini(&t);
}

static void checkin_point(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 60, 2);
	pt_until(&t, 28);
	pt_drive(&t, 600, 1880, 10);
	pt_mark(&t);
	pt_drive(&t, 600, 2000, 5);
	pt_park(&t, 2, 2);
	assert_int_equal(pt_count(&t, "plan.checkin_prompt"), 1);
	const struct van_event *pr = pt_ev(&t, "plan.checkin_prompt", 0);
	assert_string_equal(pt_str(pr, "location"), "B");
	assert_int_equal(pt_int(pr, "grace_s"), 600);
	assert_int_equal(pt_int(pr, "due_utc"), pr->utc_ms + 10 * MIN);
	json_t *s = plan_state_json(t.p, &t.now);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "checkin_due"),
							      "location")), "B");
	json_decref(s);
	/* no check-in: missed after the grace (incident), then every 15 min */
	int64_t prompted = pr->mono_ms;
	pt_park(&t, 40 * 60, 2);
	assert_int_equal(pt_count(&t, "plan.checkin_missed"), 3);
	const struct van_event *m0 = pt_ev(&t, "plan.checkin_missed", 0);
	const struct van_event *m1 = pt_ev(&t, "plan.checkin_missed", 1);
	assert_int_equal(m0->mono_ms, prompted + 10 * MIN);
	assert_int_equal(m1->mono_ms, prompted + 25 * MIN);
	assert_int_equal(m0->prio, EV_URGENT);
	assert_true(pt_bool(m0, "incident"));
	assert_string_equal(pt_str(m0, "category"), "checkin_missed");
	assert_null(json_object_get(m1->data, "incident"));
	assert_int_equal(pt_int(m1, "repeat"), 1);
	assert_int_equal(pt_int(m1, "late_s"), 15 * 60);
	/* the crew checks in */
	plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e);
	const struct van_event *ck = pt_last(&t);
	assert_string_equal(ck->type, "plan.checkin");
	assert_string_equal(pt_str(ck, "was"), "missed");
	assert_string_equal(pt_str(ck, "source"), "button");
	pt_park(&t, 40 * 60, 2);
	assert_int_equal(pt_count(&t, "plan.checkin_missed"), 3);
	assert_int_equal(plan_next_deadline(t.p), VAN_NEVER);
	pt_fini(&t);

	/* answered in time */
	pt_def(&d);
	begin(&t, &d);
	pt_until(&t, 28);
	pt_drive(&t, 600, 1880, 10);
	pt_mark(&t);
	pt_drive(&t, 600, 2000, 5);
	pt_park(&t, 120, 2);
	plan_checkin_made(t.p, VAN_SRC_VANCTL, &t.e);
	int64_t after = t.now.utc_ms - pt_ev(&t, "plan.checkin_prompt", 0)->utc_ms;
	pt_park(&t, 30 * 60, 2);
	assert_int_equal(pt_count(&t, "plan.checkin_prompt"), 1);
	assert_int_equal(pt_count(&t, "plan.checkin"), 1);
	assert_string_equal(pt_str(pt_ev(&t, "plan.checkin", 0), "was"), "on_time");
	assert_int_equal(pt_int(pt_ev(&t, "plan.checkin", 0), "after_s"), after / 1000);
	assert_true(after > 120 * SEC && after < 10 * MIN);
	assert_int_equal(pt_count(&t, "plan.checkin_missed"), 0);
	pt_fini(&t);

	/* checked in while pulling in, before the arrival was confirmed: no prompt */
	pt_def(&d);
	begin(&t, &d);
	pt_until(&t, 28);
	pt_drive(&t, 600, 1890, 10);
	pt_mark(&t);
	t.north = 1905;
	pt_step(&t, 3);
	plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e);
	pt_park(&t, 60, 2);
	assert_int_equal(pt_count(&t, "plan.arrived"), 1);
	assert_int_equal(pt_count(&t, "plan.checkin_prompt"), 0);
	assert_int_equal(pt_count(&t, "plan.checkin"), 1);
	pt_park(&t, 30 * 60, 2);
	assert_int_equal(pt_count(&t, "plan.checkin_missed"), 0);
	pt_fini(&t);
}

static void no_checkin_points(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	d.loc[1].checkin = false;
	begin(&t, &d);
	const double stops[3][2] = { { 0, 1000 }, { 600, 2000 }, { 0, 3000 } };
	for (int i = 0; i < 3; i++) {
		pt_until(&t, 8 + 20 * i);
		pt_drive(&t, stops[i][0], stops[i][1], 10);
		plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e);
		pt_park(&t, 300, 2);
	}
	pt_drive(&t, 0, 0, 10);
	pt_park(&t, 60, 2);
	assert_int_equal(pt_count(&t, "plan.arrived"), 3);
	assert_int_equal(pt_count(&t, "plan.departed"), 3);
	assert_int_equal(pt_count(&t, "plan.checkin_prompt"), 0);
	assert_int_equal(pt_count(&t, "plan.checkin"), 0);
	assert_int_equal(pt_count(&t, "plan.checkin_missed"), 0);
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	assert_int_equal(pt_count(&t, "plan.returned"), 1);
	const struct van_event *r = pt_ev(&t, "plan.returned", 0);
	assert_string_equal(pt_str(r, "location"), "Base");
	assert_int_equal(pt_int(r, "visited"), 3);
	assert_int_equal(pt_int(r, "skipped"), 0);
	assert_int_equal(pt_int(r, "planned_end_utc"), T0_UTC + 180 * MIN);
	assert_true(pt_int(r, "early_s") > 0);
	/* after the return nothing more is tracked: parked at base for hours */
	pt_park(&t, 3 * 3600, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 0);
	pt_mark(&t);
	plan_end(t.p, &t.e);
	assert_false(plan_active(t.p));
	const struct van_event *e = pt_ev(&t, "plan.ended", 0);
	assert_int_equal(pt_int(e, "visited"), 3);
	assert_int_equal(pt_int(e, "skipped"), 0);
	assert_int_equal(json_array_size(json_object_get(e->data, "not_visited")), 0);
	assert_true(pt_bool(e, "returned"));
	assert_int_equal(pt_int(e, "checkin_prompts"), 0);
	/* without a plan nothing runs */
	pt_mark(&t);
	pt_drive(&t, 2000, 2000, 10);
	pt_park(&t, 3600, 3);
	assert_int_equal(pt_count_all(&t), 0);
	assert_int_equal(plan_next_deadline(t.p), VAN_NEVER);
	assert_true(json_is_null(plan_state_json(t.p, &t.now)));
	pt_fini(&t);
}

static void across_midnight(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	d.start = HM(23, 30);
	d.end = HM(2, 0);
	d.loc[0].earliest = HM(23, 50);
	d.loc[0].latest = HM(0, 10);
	d.loc[1].earliest = HM(0, 30);
	d.loc[1].latest = HM(0, 45);
	d.loc[1].checkin = false;
	d.loc[2].earliest = d.loc[2].latest = PLAN_NO_TIME;
	/* 23:25 BST (UTC+1) on 2025-06-15 = 22:25 UTC */
	const int64_t start_utc = 1750026300000LL, plan_start = 1750026600000LL; /* 22:30Z */
	assert_int_equal(plan_start_utc(&d, start_utc, 3600), plan_start);
	assert_int_equal(plan_end_utc(&d, start_utc, 3600), plan_start + 150 * MIN);
	/* a late start after midnight belongs to the same night */
	assert_int_equal(plan_start_utc(&d, plan_start + 50 * MIN, 3600), plan_start);
	/* at noon the plan of this evening is the nearest */
	assert_int_equal(plan_start_utc(&d, plan_start - 11 * 3600 * SEC, 3600), plan_start);
	assert_int_equal(plan_start_utc(&d, plan_start - 13 * 3600 * SEC, 3600),
			 plan_start - 24 * 3600 * SEC);

	pt_init(&t, start_utc);
	pt_start(&t, &d, 3600);
	const struct van_event *s = pt_ev(&t, "plan.started", 0);
	assert_int_equal(json_integer_value(json_object_get(s->data, "start_utc")), plan_start);
	assert_int_equal(json_integer_value(json_object_get(s->data, "planned_end_utc")),
			 plan_start + 150 * MIN);
	const json_t *l1 = json_array_get(json_object_get(s->data, "locations"), 1);
	assert_int_equal(json_integer_value(json_object_get(l1, "window_end_utc")),
			 plan_start + 75 * MIN);                /* 00:45 BST, the next day */
	assert_string_equal(json_string_value(json_object_get(l1, "latest")), "00:45");
	pt_park(&t, 5, 2);
	/* arrive at A at 00:05 local: on time (window 23:50-00:10) */
	pt_adv(&t, plan_start + 34 * MIN - t.now.utc_ms);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 60, 2);
	const struct van_event *a = pt_ev(&t, "plan.arrived", 0);
	assert_string_equal(pt_str(a, "timing"), "on_time");
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	/* B is late at 00:45 local */
	pt_park(&t, 40 * 60, 2);
	assert_int_equal(pt_count(&t, "plan.late"), 1);
	assert_int_equal(pt_ev(&t, "plan.late", 0)->utc_ms, plan_start + 75 * MIN);
	pt_fini(&t);
}

static void unsynced_clock(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	/* the clock is three days and five hours behind and says so */
	const int64_t wrong = -(3 * 24 + 5) * 3600 * SEC;
	pt_init(&t, T0_UTC + wrong);
	t.now.utc_src = UTC_SRC_SYSTEM_UNSYNCED;
	pt_start(&t, &d, 0);
	const struct van_event *s = pt_ev(&t, "plan.started", 0);
	assert_false(pt_bool(s, "anchored"));
	assert_true(json_is_null(json_object_get(s->data, "start_utc")));
	pt_park(&t, 5, 2);
	pt_adv(&t, 25 * MIN);           /* past A's latest in real time */
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 10, 2);
	const struct van_event *a = pt_ev(&t, "plan.arrived", 0);
	assert_true(json_is_null(json_object_get(a->data, "timing")));
	/* the clock syncs: the timetable is placed on the real evening */
	pt_mark(&t);
	t.now.utc_ms -= wrong;
	t.now.utc_src = UTC_SRC_GPS;
	pt_step(&t, 0);
	const struct van_event *an = pt_ev(&t, "plan.anchored", 0);
	assert_non_null(an);
	assert_int_equal(pt_int(an, "start_utc"), T0_UTC);
	assert_string_equal(pt_str(an, "utc_src"), "gps");
	assert_int_equal(pt_count(&t, "plan.late"), 0);     /* A was reached */
	pt_until(&t, 40);
	assert_int_equal(pt_count(&t, "plan.late"), 1);
	assert_string_equal(pt_str(pt_ev(&t, "plan.late", 0), "location"), "B");
	pt_fini(&t);
}

static void stop_hints(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	begin(&t, &d);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 120, 2);
	pt_mark(&t);
	/* the shell's stop detector: stopped at a place off the plan since 2
	 * minutes ago (its stop_after) */
	pt_drive(&t, 250, 1450, 10);
	plan_stop(t.p, true, pt_lat(1450), pt_lon(250), t.now.mono_ms - 2 * MIN, &t.e);
	pt_park(&t, 7 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 0);
	pt_park(&t, 62, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 1);
	const struct van_event *u = pt_ev(&t, "plan.unplanned_stop", 0);
	assert_string_equal(pt_str(u, "detector"), "stops");
	assert_int_equal(pt_int(u, "stopped_s"), 600);
	plan_stop(t.p, false, NAN, NAN, VAN_NEVER, &t.e);
	/* with hints, slow fixes alone no longer make a stop */
	pt_drive(&t, 350, 1600, 10);
	pt_park(&t, 20 * 60, 3);
	assert_int_equal(pt_count(&t, "plan.unplanned_stop"), 1);
	pt_fini(&t);
}

static void state_snapshot(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	begin(&t, &d);
	json_t *s = plan_state_json(t.p, &t.now);
	assert_string_equal(json_string_value(json_object_get(s, "name")), "test");
	json_t *next = json_object_get(s, "next");
	assert_string_equal(json_string_value(json_object_get(next, "location")), "A");
	assert_int_equal(json_integer_value(json_object_get(next, "due_utc")), T0_UTC + 20 * MIN);
	double dist = json_number_value(json_object_get(next, "distance_m"));
	assert_true(dist > 990 && dist < 1010);
	assert_true(json_is_null(json_object_get(s, "at")));
	assert_int_equal(json_integer_value(json_object_get(s, "remaining")), 3);
	assert_int_equal(json_integer_value(json_object_get(s, "planned_end_utc")),
			 T0_UTC + 180 * MIN);
	json_decref(s);
	pt_until(&t, 9);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 60, 2);
	s = plan_state_json(t.p, &t.now);
	json_t *at = json_object_get(s, "at");
	assert_string_equal(json_string_value(json_object_get(at, "location")), "A");
	assert_true(json_integer_value(json_object_get(at, "on_site_s")) >= 60);
	next = json_object_get(s, "next");
	assert_string_equal(json_string_value(json_object_get(next, "location")), "B");
	assert_true(json_is_true(json_object_get(next, "checkin")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "status"), 0)),
			    "on_site");
	json_decref(s);
	pt_fini(&t);
}

static void empty_plan(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	const char *why = NULL;
	pt_def(&d);
	d.n = 0;
	pt_init(&t, T0_UTC);
	assert_int_equal(plan_start(t.p, &d, 0, &t.e, &why), -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "locations"));
	assert_false(plan_active(t.p));
	assert_int_equal(t.q.n, 0);
	pt_drive(&t, 0, 1000, 10);
	pt_park(&t, 3600, 2);
	plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e);
	plan_end(t.p, &t.e);
	assert_int_equal(plan_skip(t.p, "A", "police", VAN_SRC_BUTTON, &t.e, &why), -ENOENT);
	assert_int_equal(plan_add_stop(t.p, "police", VAN_SRC_BUTTON, &t.e, &why), -ENOENT);
	assert_int_equal(t.q.n, 0);
	json_t *sv = plan_save(t.p);
	assert_true(json_is_null(sv));
	assert_int_equal(plan_restore(t.p, sv, 0), 0);
	assert_false(plan_active(t.p));
	json_decref(sv);
	/* other bad definitions are refused the same way, with the reason */
	pt_def(&d);
	d.loc[1].radius_m = 5;
	assert_int_equal(plan_start(t.p, &d, 0, &t.e, &why), -EINVAL);
	assert_non_null(strstr(why, "locations[1].radius_m: must be 20-2000"));
	pt_def(&d);
	assert_int_equal(plan_start(t.p, &d, 20 * 3600, &t.e, &why), -EINVAL);
	pt_def(&d);
	pt_start(&t, &d, 0);
	assert_int_equal(plan_start(t.p, &d, 0, &t.e, &why), -EALREADY);
	pt_fini(&t);
}

/* The scenario of the save/restore test: arrive at A, on to B (prompt),
 * then off the corridor and back, on to C, home.  restart_at: after which
 * step to save, throw the tracker away and restore a new one (-1: never);
 * shift: how far the monotonic clock jumps across the restart (a reboot). */
static void scenario(struct pt *t, int restart_at, int64_t shift)
{
	struct plan_def d;
	pt_def(&d);
	pt_init(t, T0_UTC);
	pt_start(t, &d, 0);
	for (int step = 0; step < 8; step++) {
		switch (step) {
		case 0: pt_park(t, 5, 2); pt_until(t, 9); pt_drive(t, 0, 1000, 10); break;
		case 1: pt_park(t, 200, 2); break;
		case 2: pt_drive(t, 600, 2000, 10); pt_park(t, 30, 2); break;   /* prompt */
		case 3: pt_park(t, 200, 2); break;
		case 4: pt_drive(t, 1500, 2300, 10); break;                     /* off */
		case 5: pt_park(t, 15 * 60, 3); break;
		case 6: plan_checkin_made(t->p, VAN_SRC_BUTTON, &t->e);
			pt_drive(t, 0, 3000, 10); pt_park(t, 60, 2); break;
		case 7: pt_drive(t, 0, 0, 10); pt_park(t, 60, 2); break;
		}
		if (step == restart_at) {
			json_t *sv = plan_save(t->p);
			assert_non_null(sv);
			char *text = json_dumps(sv, JSON_COMPACT);
			json_decref(sv);
			assert_non_null(text);
			json_error_t je;
			json_t *back = json_loads(text, 0, &je);
			free(text);
			assert_non_null(back);
			plan_free(t->p);
			t->p = plan_new();
			t->now.mono_ms += shift;
			assert_int_equal(plan_restore(t->p, back, shift), 0);
			json_decref(back);
			plan_tick(t->p, &t->e);
		}
	}
	plan_end(t->p, &t->e);
}

static void save_restore_mid_plan(void **st)
{
	(void)st;
	struct pt ref;
	scenario(&ref, -1, 0);
	char want[2048], got[2048];
	pt_types(&ref, want, sizeof(want));
	assert_non_null(strstr(want, "plan.checkin_missed:B"));
	assert_non_null(strstr(want, "plan.off_corridor"));
	assert_non_null(strstr(want, "plan.returned"));
	for (int at = 0; at < 8; at++) {
		for (int k = 0; k < 2; k++) {
			struct pt t;
			scenario(&t, at, k ? 777777 : 0);
			pt_types(&t, got, sizeof(got));
			if (strcmp(want, got) != 0)
				fprintf(stderr, "restart after step %d:\nwant %s\ngot  %s\n", at, want, got);
			assert_string_equal(want, got);
			assert_int_equal(t.q.n, ref.q.n);
			for (size_t i = 0; i < t.q.n; i++)
				assert_int_equal(t.q.v[i].utc_ms, ref.q.v[i].utc_ms);
			pt_fini(&t);
		}
	}
	pt_fini(&ref);

	/* bad saved data is refused and changes nothing */
	struct pt t;
	struct plan_def d;
	pt_def(&d);
	pt_init(&t, T0_UTC);
	pt_start(&t, &d, 0);
	json_t *sv = plan_save(t.p);
	plan_t *q = plan_new();
	json_t *bad = json_deep_copy(sv);
	json_object_set_new(json_object_get(bad, "state"), "onsite", json_integer(7));
	assert_int_equal(plan_restore(q, bad, 0), -EINVAL);
	json_decref(bad);
	bad = json_deep_copy(sv);
	json_object_set_new(json_object_get(bad, "def"), "corridor_m", json_integer(5));
	assert_int_equal(plan_restore(q, bad, 0), -EINVAL);
	json_decref(bad);
	bad = json_deep_copy(sv);
	json_array_remove(json_object_get(bad, "locations"), 0);
	assert_int_equal(plan_restore(q, bad, 0), -EINVAL);
	json_decref(bad);
	assert_int_equal(plan_restore(q, json_object_get(sv, "state"), 0), -EINVAL);
	assert_false(plan_active(q));
	assert_int_equal(plan_restore(q, sv, 0), 0);
	assert_true(plan_active(q));
	assert_int_equal(plan_restore(q, sv, 0), -EALREADY);
	plan_free(q);
	json_decref(sv);
	pt_fini(&t);
}

/* Random walks with random crew actions, hint mixes, clock states and
 * restarts: the invariants hold and nothing crashes. */
static void random_walk(void **st)
{
	(void)st;
	static const char *const reasons[] = { "police", "safety", "no_service_users",
						"vehicle", "traffic", "other" };
	static const char *const names[] = { "A", "B", "C", "Z", NULL };
	for (unsigned seed = 1; seed <= 40; seed++) {
		struct pt t;
		struct plan_def d;
		pt_def(&d);
		d.arrive_fixes = 1 + (int)(seed % 4);
		d.off_corridor_min = 1 + (int)(seed % 5);
		d.unplanned_stop_min = 1 + (int)(seed % 7);
		d.checkin_grace_min = 1 + (int)(seed % 3);
		d.checkin_repeat_min = 1 + (int)(seed % 4);
		pt_init(&t, T0_UTC);
		t.rng = seed * 7919u;
		if (seed % 5 == 0)
			t.now.utc_src = UTC_SRC_SYSTEM_UNSYNCED;
		pt_start(&t, &d, 0);
		for (int step = 0; step < 400; step++) {
			unsigned r = (unsigned)(pt_noise(&t, 1) * 1e6 + 1e6);
			switch (r % 11) {
			case 0: case 1: case 2: case 3: {        /* drive somewhere near the plan */
				double e = pt_noise(&t, 1500), n = 1500 + pt_noise(&t, 2000);
				pt_drive(&t, e, n, 5 + r % 10);
				break;
			}
			case 4: {                                 /* go to a planned place */
				int i = (int)(r / 11 % 4);
				double e = i == 3 ? 0 : i == 1 ? 600 : 0;
				double n = i == 3 ? 0 : i == 0 ? 1000 : i == 1 ? 2000 : 3000;
				pt_drive(&t, e + pt_noise(&t, 80), n + pt_noise(&t, 80), 8);
				break;
			}
			case 5: pt_park(&t, (int)(r % 900), 1 + r % 40); break;
			case 6: pt_adv(&t, (int64_t)(r % 1800) * SEC); break;
			case 7: plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e); break;
			case 8: {
				const char *why;
				if (r & 1)
					plan_skip(t.p, names[r / 2 % 5], reasons[r / 16 % 6],
						  VAN_SRC_VANCTL, &t.e, &why);
				else
					plan_add_stop(t.p, reasons[r / 16 % 6], VAN_SRC_BASE, &t.e,
						      &why);
				break;
			}
			case 9:
				if (seed % 3 == 0)
					plan_stop(t.p, r & 2, pt_lat(t.north), pt_lon(t.east),
						  t.now.mono_ms - (int64_t)(r % 300) * SEC, &t.e);
				else
					t.now.utc_src = UTC_SRC_GPS;
				break;
			case 10: {                                /* restart */
				json_t *sv = plan_save(t.p);
				plan_t *q = plan_new();
				int64_t shift = (int64_t)(r % 3) * 100000;
				assert_int_equal(plan_restore(q, sv, shift), 0);
				json_t *again = plan_save(q);
				if (shift == 0)
					assert_true(json_equal(sv, again));
				json_decref(again);
				json_decref(sv);
				plan_free(t.p);
				t.p = q;
				t.now.mono_ms += shift;
				plan_tick(t.p, &t.e);
				break;
			}
			}
			int64_t dl = plan_next_deadline(t.p);
			assert_true(dl == VAN_NEVER || dl > t.now.mono_ms);
			json_t *sj = plan_state_json(t.p, &t.now);
			assert_true(json_is_object(sj));
			json_decref(sj);
		}
		plan_end(t.p, &t.e);
		/* per location: at most one arrival, a departure only after it,
		 * late and skipped at most once */
		for (size_t i = 0; i < 3; i++) {
			int arr = 0, dep = 0, late = 0, skip = 0;
			for (size_t k = 0; k < t.q.n; k++) {
				const char *loc = json_string_value(json_object_get(t.q.v[k].data, "location"));
				if (!loc || strcmp(loc, d.loc[i].name) != 0)
					continue;
				const char *ty = t.q.v[k].type;
				arr += strcmp(ty, "plan.arrived") == 0;
				if (strcmp(ty, "plan.departed") == 0) {
					dep++;
					assert_int_equal(arr, 1);
				}
				late += strcmp(ty, "plan.late") == 0;
				skip += strcmp(ty, "plan.skipped") == 0;
			}
			assert_true(arr <= 1 && dep <= arr && late <= 1 && skip <= 1);
		}
		size_t off = 0, back = 0;
		for (size_t k = 0; k < t.q.n; k++) {
			off += strcmp(t.q.v[k].type, "plan.off_corridor") == 0;
			back += strcmp(t.q.v[k].type, "plan.back_on_corridor") == 0;
			assert_true(back <= off && off <= back + 1);
			assert_true(json_is_object(t.q.v[k].data));
			assert_true(strncmp(t.q.v[k].type, "plan.", 5) == 0);
		}
		assert_string_equal(pt_last(&t)->type, "plan.ended");
		pt_fini(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arrival_departure_noise),
		cmocka_unit_test(late_arrival),
		cmocka_unit_test(skipped_location),
		cmocka_unit_test(unplanned_long_stop),
		cmocka_unit_test(corridor_exit_and_return),
		cmocka_unit_test(crew_skip_suppresses),
		cmocka_unit_test(crew_add_stop_suppresses),
		cmocka_unit_test(checkin_point),
		cmocka_unit_test(no_checkin_points),
		cmocka_unit_test(across_midnight),
		cmocka_unit_test(unsynced_clock),
		cmocka_unit_test(stop_hints),
		cmocka_unit_test(state_snapshot),
		cmocka_unit_test(empty_plan),
		cmocka_unit_test(save_restore_mid_plan),
		cmocka_unit_test(random_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
