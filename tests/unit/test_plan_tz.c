/*
 * test_plan_tz.c - a plan across the change of the clocks (core/plan.h,
 * struct plan_tz): every local time of the plan is placed with the UTC
 * offset in force at that instant.
 *
 * The night plan: 21:00-05:00, stops A 23:30 (23:15-23:45), B 01:30
 * (01:15-01:45, check-in point), C 03:00 (02:45-03:15); Europe/London
 * rules, the clocks change at 01:00 UTC.
 *   2026-10-25 (back, +3600 -> 0): 21:00 BST = 20:00Z; A 22:15Z-22:45Z;
 *     B in the repeated hour, first occurrence: 00:15Z-00:45Z;
 *     C 02:45Z-03:15Z (GMT); end 05:00Z.
 *   2026-03-29 (forward, 0 -> +3600): 21:00 GMT = 21:00Z; A 23:15Z-23:45Z;
 *     B in the skipped hour, moved forward: 01:15Z-01:45Z (02:15-02:45
 *     BST); C 02:45-03:15 BST = 01:45Z-02:15Z; end 05:00 BST = 04:00Z.
 */
#include "test_plan_harness.h"

#include <errno.h>

#define H (60 * MIN)
#define OCT_CHANGE 1792890000000LL   /* 2026-10-25 01:00:00 UTC */
#define OCT_20Z 1792872000000LL      /* 2026-10-24 20:00 UTC = 21:00 BST */
#define MAR_CHANGE 1774746000000LL   /* 2026-03-29 01:00:00 UTC */
#define MAR_21Z 1774731600000LL      /* 2026-03-28 21:00 UTC = 21:00 GMT */

static const struct plan_tz oct_tz = { 3600, OCT_CHANGE, 0 };
static const struct plan_tz mar_tz = { 0, MAR_CHANGE, 3600 };

static void night_def(struct plan_def *d)
{
	pt_def(d);
	snprintf(d->name, sizeof(d->name), "night");
	d->start = HM(21, 0);
	d->end = HM(5, 0);
	d->loc[0].earliest = HM(23, 15);
	d->loc[0].latest = HM(23, 45);
	d->loc[1].earliest = HM(1, 15);
	d->loc[1].latest = HM(1, 45);
	d->loc[2].earliest = HM(2, 45);
	d->loc[2].latest = HM(3, 15);
}

static void start_tz(struct pt *t, const struct plan_def *d, struct plan_tz tz)
{
	const char *why = NULL;
	int r = plan_start_tz(t->p, d, tz, &t->e, &why);
	if (r != 0)
		fprintf(stderr, "plan_start_tz: %d %s\n", r, why ? why : "");
	assert_int_equal(r, 0);
}

static int64_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* The timetable of plan.started / plan.anchored: start, end, windows. */
static void check_timetable(const json_t *d, int64_t start, int64_t end, const int64_t win[3][2])
{
	assert_int_equal(jint(d, "start_utc"), start);
	assert_int_equal(jint(d, "planned_end_utc"), end);
	const json_t *locs = json_object_get(d, "locations");
	for (size_t i = 0; i < 3; i++) {
		const json_t *l = json_array_get(locs, i);
		assert_int_equal(jint(l, "window_start_utc"), win[i][0]);
		assert_int_equal(jint(l, "window_end_utc"), win[i][1]);
	}
}

static void go(struct pt *t, int64_t utc, double east, double north)
{
	assert_true(utc >= t->now.utc_ms);
	pt_adv(t, utc - t->now.utc_ms);
	pt_drive(t, east, north, 10);
	pt_park(t, 30, 2);
}

/* The rule itself: offsets, the repeated and the skipped hour. */
static void tz_rule(void **st)
{
	(void)st;
	struct plan_tz f = plan_tz_fixed(3600);
	assert_true(plan_tz_valid(f));
	assert_int_equal(plan_tz_offset_at(f, OCT_CHANGE), 3600);
	assert_int_equal(plan_tz_utc(f, OCT_CHANGE), OCT_CHANGE - H);
	assert_true(plan_tz_valid(oct_tz));
	assert_false(plan_tz_valid((struct plan_tz){ 17 * 3600, PLAN_TZ_NONE, 0 }));
	assert_false(plan_tz_valid((struct plan_tz){ 0, OCT_CHANGE, -17 * 3600 }));

	assert_int_equal(plan_tz_offset_at(oct_tz, OCT_CHANGE - 1), 3600);
	assert_int_equal(plan_tz_offset_at(oct_tz, OCT_CHANGE), 0);
	/* October: local 01:30 shows twice (BST, then GMT): the first one */
	int64_t l0130 = OCT_CHANGE + 30 * MIN;       /* local wall clock 01:30 */
	assert_int_equal(plan_tz_utc(oct_tz, l0130), OCT_CHANGE - 30 * MIN);
	assert_int_equal(plan_tz_utc(oct_tz, l0130 - H), OCT_CHANGE - 90 * MIN);    /* 00:30 */
	assert_int_equal(plan_tz_utc(oct_tz, l0130 + H), OCT_CHANGE + 90 * MIN);    /* 02:30 GMT */
	assert_int_equal(plan_tz_utc(oct_tz, OCT_CHANGE + H), OCT_CHANGE + H);      /* 02:00 GMT */
	/* March: local 01:30 never shows: forward by the gap, = 02:30 BST */
	int64_t m0130 = MAR_CHANGE + 30 * MIN;
	assert_int_equal(plan_tz_utc(mar_tz, m0130), MAR_CHANGE + 30 * MIN);
	assert_int_equal(plan_tz_utc(mar_tz, MAR_CHANGE), MAR_CHANGE);             /* 01:00 = 02:00 BST */
	assert_int_equal(plan_tz_utc(mar_tz, MAR_CHANGE - MIN), MAR_CHANGE - MIN);  /* 00:59 GMT */
	assert_int_equal(plan_tz_utc(mar_tz, MAR_CHANGE + H), MAR_CHANGE);          /* 02:00 BST */
	assert_int_equal(plan_tz_utc(mar_tz, MAR_CHANGE + 2 * H), MAR_CHANGE + H);  /* 03:00 BST */

	/* plan_local_utc: the night plan's times, for the shell */
	struct plan_def d;
	night_def(&d);
	int64_t s = OCT_20Z - 5 * MIN;
	assert_int_equal(plan_local_utc(&d, s, oct_tz, d.start), OCT_20Z);
	assert_int_equal(plan_local_utc(&d, s, oct_tz, HM(1, 30)), OCT_CHANGE - 30 * MIN);
	assert_int_equal(plan_local_utc(&d, s, oct_tz, HM(3, 0)), OCT_CHANGE + 2 * H);
	assert_int_equal(plan_local_utc(&d, s, oct_tz, d.end), OCT_CHANGE + 4 * H);
	/* started late, after the change: still the plan of that evening */
	assert_int_equal(plan_local_utc(&d, OCT_CHANGE + 90 * MIN, oct_tz, d.start), OCT_20Z);
	s = MAR_21Z - 5 * MIN;
	assert_int_equal(plan_local_utc(&d, s, mar_tz, d.start), MAR_21Z);
	assert_int_equal(plan_local_utc(&d, s, mar_tz, HM(1, 30)), MAR_CHANGE + 30 * MIN);
	assert_int_equal(plan_local_utc(&d, s, mar_tz, HM(3, 0)), MAR_CHANGE + H);
	assert_int_equal(plan_local_utc(&d, s, mar_tz, d.end), MAR_CHANGE + 3 * H);
	/* a fixed offset: exactly plan_start_utc() + the timeline */
	assert_int_equal(plan_local_utc(&d, s, plan_tz_fixed(3600), d.end),
			 plan_end_utc(&d, s, 3600));
	assert_int_equal(plan_local_utc(&d, s, plan_tz_fixed(3600), d.start),
			 plan_start_utc(&d, s, 3600));
}

/* October: the clocks go back at 02:00 BST during the night. */
static void october_night(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	night_def(&d);
	pt_init(&t, OCT_20Z - 5 * MIN);
	start_tz(&t, &d, oct_tz);
	const int64_t win[3][2] = {
		{ OCT_20Z + 135 * MIN, OCT_20Z + 165 * MIN },     /* 22:15Z-22:45Z */
		{ OCT_CHANGE - 45 * MIN, OCT_CHANGE - 15 * MIN }, /* 00:15Z-00:45Z */
		{ OCT_CHANGE + 105 * MIN, OCT_CHANGE + 135 * MIN }, /* 02:45Z-03:15Z */
	};
	const struct van_event *s = pt_ev(&t, "plan.started", 0);
	check_timetable(s->data, OCT_20Z, OCT_CHANGE + 4 * H, win);
	assert_int_equal(pt_int(s, "utc_offset_s"), 3600);
	const json_t *cc = json_object_get(s->data, "clock_change");
	assert_int_equal(jint(cc, "at_utc"), OCT_CHANGE);
	assert_int_equal(jint(cc, "utc_offset_s"), 0);

	/* A at 22:20Z (23:20 BST), B at 00:20Z (01:20 BST): on time, prompt */
	go(&t, OCT_20Z + 138 * MIN, 0, 1000);
	assert_string_equal(pt_str(pt_ev(&t, "plan.arrived", 0), "timing"), "on_time");
	go(&t, OCT_CHANGE - 42 * MIN, 600, 2000);
	const struct van_event *b = pt_ev(&t, "plan.arrived", 1);
	assert_string_equal(pt_str(b, "location"), "B");
	assert_string_equal(pt_str(b, "timing"), "on_time");
	assert_int_equal(pt_int(b, "window_start_utc"), win[1][0]);
	const struct van_event *pr = pt_ev(&t, "plan.checkin_prompt", 0);
	assert_non_null(pr);
	assert_true(pr->utc_ms > win[1][0] && pr->utc_ms < win[1][1]);
	plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e);
	assert_int_equal(pt_count(&t, "plan.checkin_missed"), 0);
	assert_int_equal(pt_count(&t, "plan.late"), 0);

	/* C is due by 03:15 GMT = 03:15Z, not 02:15Z (the old single offset) */
	assert_int_equal(plan_next_deadline(t.p) - t.now.mono_ms,
			 win[2][1] - t.now.utc_ms);
	pt_adv(&t, OCT_CHANGE + 134 * MIN - t.now.utc_ms);    /* 03:14Z */
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	pt_adv(&t, 2 * MIN);
	const struct van_event *late = pt_ev(&t, "plan.late", 0);
	assert_non_null(late);
	assert_string_equal(pt_str(late, "location"), "C");
	assert_int_equal(late->utc_ms, win[2][1]);
	assert_int_equal(pt_int(late, "late_s"), 0);

	/* late at C; then the state's next is the base, by 05:00 GMT */
	go(&t, OCT_CHANGE + 140 * MIN, 0, 3000);
	const struct van_event *c = pt_ev(&t, "plan.arrived", 2);
	assert_string_equal(pt_str(c, "timing"), "late");
	json_t *state = plan_state_json(t.p, &t.now);
	assert_int_equal(jint(json_object_get(state, "next"), "due_utc"), OCT_CHANGE + 4 * H);
	json_decref(state);
	pt_fini(&t);
}

/* March: the clocks go forward at 01:00 GMT; B's hour is skipped. */
static void march_night(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	night_def(&d);
	pt_init(&t, MAR_21Z - 5 * MIN);
	start_tz(&t, &d, mar_tz);
	const int64_t win[3][2] = {
		{ MAR_21Z + 135 * MIN, MAR_21Z + 165 * MIN },       /* 23:15Z-23:45Z */
		{ MAR_CHANGE + 15 * MIN, MAR_CHANGE + 45 * MIN },   /* 01:15Z-01:45Z */
		{ MAR_CHANGE + 45 * MIN, MAR_CHANGE + 75 * MIN },   /* 01:45Z-02:15Z */
	};
	const struct van_event *s = pt_ev(&t, "plan.started", 0);
	check_timetable(s->data, MAR_21Z, MAR_CHANGE + 3 * H, win);
	assert_int_equal(pt_int(s, "utc_offset_s"), 0);
	assert_int_equal(jint(json_object_get(s->data, "clock_change"), "utc_offset_s"), 3600);

	go(&t, MAR_21Z + 138 * MIN, 0, 1000);
	assert_string_equal(pt_str(pt_ev(&t, "plan.arrived", 0), "timing"), "on_time");
	/* B at 01:17Z (02:17 BST): on time in its moved-forward window */
	go(&t, MAR_CHANGE + 17 * MIN, 600, 2000);
	const struct van_event *b = pt_ev(&t, "plan.arrived", 1);
	assert_string_equal(pt_str(b, "timing"), "on_time");
	assert_non_null(pt_ev(&t, "plan.checkin_prompt", 0));
	plan_checkin_made(t.p, VAN_SRC_BUTTON, &t.e);
	pt_adv(&t, MAR_CHANGE + 74 * MIN - t.now.utc_ms);      /* 02:14Z = 03:14 BST */
	assert_int_equal(pt_count(&t, "plan.late"), 0);
	pt_adv(&t, 2 * MIN);
	const struct van_event *late = pt_ev(&t, "plan.late", 0);
	assert_non_null(late);
	assert_string_equal(pt_str(late, "location"), "C");
	assert_int_equal(late->utc_ms, win[2][1]);
	pt_fini(&t);
}

/* No change within the plan: exactly the fixed offset, no clock_change. */
static void change_outside(void **st)
{
	(void)st;
	struct plan_def d;
	night_def(&d);
	struct pt a, b;
	/* the shell saw October's change, but this plan ends at 23:30 BST */
	d.end = HM(23, 30);
	d.loc[1].earliest = d.loc[1].latest = HM(22, 0);
	d.loc[2].earliest = d.loc[2].latest = HM(23, 0);
	d.loc[0].earliest = HM(21, 15);
	d.loc[0].latest = HM(21, 45);
	pt_init(&a, OCT_20Z - 5 * MIN);
	pt_init(&b, OCT_20Z - 5 * MIN);
	start_tz(&a, &d, oct_tz);
	pt_start(&b, &d, 3600);
	const struct van_event *ea = pt_ev(&a, "plan.started", 0), *eb = pt_ev(&b, "plan.started", 0);
	assert_true(json_equal(ea->data, eb->data));
	assert_null(json_object_get(ea->data, "clock_change"));
	pt_fini(&a);
	pt_fini(&b);

	/* a session started at 02:30 GMT, after the change: a plan from 03:00
	 * (after it too) is read in GMT only */
	night_def(&d);
	d.start = HM(3, 0);
	d.end = HM(6, 0);
	for (size_t i = 0; i < 3; i++)
		d.loc[i].earliest = d.loc[i].latest = HM(4, (int)i * 10);
	pt_init(&a, OCT_CHANGE + 90 * MIN);
	start_tz(&a, &d, oct_tz);
	ea = pt_ev(&a, "plan.started", 0);
	assert_int_equal(pt_int(ea, "start_utc"), OCT_CHANGE + 2 * H);
	assert_int_equal(pt_int(ea, "utc_offset_s"), 0);
	assert_null(json_object_get(ea->data, "clock_change"));
	pt_fini(&a);
}

/* A restored tracker in a harness at t's time, the monotonic clock shifted. */
static void pt_restored(struct pt *r, const struct pt *t, const json_t *saved, int64_t shift)
{
	pt_init(r, t->now.utc_ms);
	r->now.mono_ms = t->now.mono_ms + shift;
	assert_int_equal(plan_restore(r->p, saved, shift), 0);
}

/* UTC of C's plan.late when r runs on to 03:30Z. */
static int64_t c_late_utc(struct pt *r)
{
	pt_mark(r);
	pt_adv(r, OCT_CHANGE + 150 * MIN - r->now.utc_ms);
	const struct van_event *late = pt_ev(r, "plan.late", 1);   /* after B's */
	assert_non_null(late);
	assert_string_equal(pt_str(late, "location"), "C");
	return late->utc_ms;
}

/* Save and restore across the change; a state saved by the old version
 * (no tz fields) restores as "no change". */
static void save_restore(void **st)
{
	(void)st;
	struct pt t, r;
	struct plan_def d;
	night_def(&d);
	pt_init(&t, OCT_20Z - 5 * MIN);
	start_tz(&t, &d, oct_tz);
	pt_adv(&t, 3 * H);                                    /* 22:55Z: A late */
	assert_int_equal(pt_count(&t, "plan.late"), 1);
	json_t *sv = plan_save(t.p);
	assert_non_null(sv);
	char *txt = json_dumps(sv, JSON_COMPACT);
	json_t *back = json_loads(txt, 0, NULL);
	free(txt);
	assert_non_null(back);

	/* a reboot: the monotonic clock restarts 1000 s lower */
	pt_restored(&r, &t, back, -1000 * SEC);
	assert_int_equal(plan_next_deadline(r.p), plan_next_deadline(t.p) - 1000 * SEC);
	assert_int_equal(c_late_utc(&r), OCT_CHANGE + 135 * MIN);   /* 03:15Z */
	pt_fini(&r);

	/* the old format, without the new fields: one offset, as before */
	json_t *old = json_deep_copy(back);
	json_t *ost = json_object_get(old, "state");
	json_object_del(ost, "tz_change_utc");
	json_object_del(ost, "tz_off_after_s");
	json_object_del(ost, "tz_change_mono");
	pt_restored(&r, &t, old, 0);
	assert_int_equal(c_late_utc(&r), OCT_CHANGE + 75 * MIN);    /* 03:15 BST = 02:15Z */
	pt_fini(&r);

	/* inconsistent: a change instant without its rule, a bad offset */
	plan_t *q = plan_new();
	json_t *bad = json_deep_copy(back);
	json_object_set_new(json_object_get(bad, "state"), "tz_change_utc",
			    json_integer(PLAN_TZ_NONE));
	assert_int_equal(plan_restore(q, bad, 0), -EINVAL);
	json_decref(bad);
	bad = json_deep_copy(back);
	json_object_set_new(json_object_get(bad, "state"), "tz_off_after_s",
			    json_integer(20 * 3600));
	assert_int_equal(plan_restore(q, bad, 0), -EINVAL);
	json_decref(bad);
	assert_false(plan_active(q));
	plan_free(q);

	json_decref(old);
	json_decref(back);
	json_decref(sv);
	pt_fini(&t);
}

/* Started on an untrusted clock: placed at plan.anchored, with the change. */
static void anchored_later(void **st)
{
	(void)st;
	struct pt t;
	struct plan_def d;
	night_def(&d);
	pt_init(&t, OCT_20Z - 5 * MIN);
	t.now.utc_src = UTC_SRC_SYSTEM_UNSYNCED;
	start_tz(&t, &d, oct_tz);
	assert_false(pt_bool(pt_ev(&t, "plan.started", 0), "anchored"));
	pt_adv(&t, 10 * MIN);
	t.now.utc_src = UTC_SRC_SYSTEM_SYNCED;
	plan_tick(t.p, &t.e);
	const struct van_event *an = pt_ev(&t, "plan.anchored", 0);
	assert_non_null(an);
	const int64_t win[3][2] = {
		{ OCT_20Z + 135 * MIN, OCT_20Z + 165 * MIN },
		{ OCT_CHANGE - 45 * MIN, OCT_CHANGE - 15 * MIN },
		{ OCT_CHANGE + 105 * MIN, OCT_CHANGE + 135 * MIN },
	};
	check_timetable(an->data, OCT_20Z, OCT_CHANGE + 4 * H, win);
	assert_int_equal(jint(json_object_get(an->data, "clock_change"), "at_utc"), OCT_CHANGE);
	pt_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tz_rule),
		cmocka_unit_test(october_night),
		cmocka_unit_test(march_night),
		cmocka_unit_test(change_outside),
		cmocka_unit_test(save_restore),
		cmocka_unit_test(anchored_later),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
