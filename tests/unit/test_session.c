/*
 * test_session.c - session lifecycle, check-ins, overdue, incidents, and
 * immunity to wall-clock steps.
 */
#include "test_core_harness.h"

static json_t *sess(struct harness *h, json_t **state)
{
	*state = h_state(h, true);
	return json_object_get(*state, "session");
}

static void start_validation(void **st)
{
	(void)st;
	struct harness h;
	const char *why = NULL;
	h_init(&h, NULL);
	assert_int_equal(van_session_start(h.v, 1, false, 0, NULL, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_non_null(strstr(why, "lone"));
	assert_int_equal(van_session_start(h.v, 2, true, 0, NULL, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_session_start(h.v, 21, false, 0, NULL, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_session_start(h.v, 2, false, h.now.utc_ms - MIN, NULL, VAN_SRC_VANCTL,
					   &h.now, &why), -EINVAL);
	assert_int_equal(van_session_start(h.v, 2, false, h.now.utc_ms + 30 * 60 * MIN, NULL,
					   VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_session_start(h.v, 2, false, 0, "bad\nplan", VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(h_q(&h)->n, 0);
	assert_int_equal(van_checkin(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why), -ENOENT);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why), -ENOENT);
	assert_int_equal(van_session_start(h.v, 0, false, 0, "north", VAN_SRC_BASE, &h.now, &why), 0);
	const struct van_event *e = h_last(&h, "session.started");
	assert_non_null(e);
	assert_int_equal(e->session_id, T0_UTC);
	assert_int_equal(jint(e->data, "crew"), 2);
	assert_int_equal(jint(e->data, "planned_end_utc"), T0_UTC + 240 * MIN);
	assert_int_equal(jint(e->data, "next_checkin_utc"), T0_UTC + 60 * MIN);
	assert_string_equal(jstr(e->data, "source"), "base");
	assert_string_equal(jstr(e->data, "plan"), "north");
	assert_int_equal(van_session_start(h.v, 2, false, 0, NULL, VAN_SRC_VANCTL, &h.now, &why), -EALREADY);
	json_t *s;
	json_t *ss = sess(&h, &s);
	assert_string_equal(jstr(ss, "state"), "active");
	assert_int_equal(jint(ss, "id"), T0_UTC);
	assert_int_equal(jint(json_object_get(ss, "checkin"), "due_in_s"), 3600);
	json_decref(s);
	h_fini(&h);
}

static void button_toggles_session(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_press(&h, VAN_IN_BTN_SESSION);
	assert_int_equal(h_count(&h, "session.started"), 1);
	h_adv(&h, 10 * MIN);
	h_press(&h, VAN_IN_BTN_SESSION);
	assert_int_equal(h_count(&h, "session.ended"), 1);
	json_t *s;
	json_t *ss = sess(&h, &s);
	assert_string_equal(jstr(ss, "state"), "ended");
	assert_true(json_is_object(json_object_get(s, "last_session")));
	json_decref(s);
	/* next session: a new, larger id */
	h_adv(&h, MIN);
	h_press(&h, VAN_IN_BTN_SESSION);
	assert_int_equal(h_last(&h, "session.started")->session_id, T0_UTC + 11 * MIN + 400);
	h_fini(&h);
}

static void checkin_escalation(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, h_reminder_2min);
	h_start(&h, 2, false);
	h_mark(&h);
	h_adv(&h, 58 * MIN - 1);
	assert_int_equal(h_count(&h, "checkin.reminder"), 0);
	h_adv(&h, 1);
	assert_int_equal(h_count(&h, "checkin.reminder"), 1);
	assert_int_equal(h_last(&h, "checkin.reminder")->mono_ms, T0_MONO + 58 * MIN);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	h_adv(&h, 2 * MIN);
	assert_int_equal(h_count(&h, "checkin.late"), 1);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_SHORT);     /* crew warning */
	assert_int_equal(h_count(&h, "checkin.missed"), 0);
	h_adv(&h, 5 * MIN);                                       /* grace over */
	assert_int_equal(h_count(&h, "checkin.missed"), 1);
	const struct van_event *e = h_last(&h, "checkin.missed");
	assert_int_equal(e->prio, EV_URGENT);
	assert_true(jtrue(e->data, "incident"));
	assert_string_equal(jstr(e->data, "category"), "checkin_missed");
	assert_int_equal(jint(e->data, "repeat"), 0);
	h_adv(&h, 10 * MIN);
	assert_int_equal(h_count(&h, "checkin.missed"), 2);
	e = h_last(&h, "checkin.missed");
	assert_int_equal(jint(e->data, "repeat"), 1);
	assert_false(jtrue(e->data, "incident"));
	h_adv(&h, 25 * MIN);
	assert_int_equal(h_count(&h, "checkin.missed"), 4);
	/* the crew checks in: resolved */
	assert_int_equal(van_checkin(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why), 0);
	e = h_last(&h, "checkin");
	assert_string_equal(jstr(e->data, "was"), "missed");
	assert_int_equal(jint(e->data, "late_s"), 40 * 60);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	h_adv(&h, 30 * MIN);
	assert_int_equal(h_count(&h, "checkin.missed"), 4);
	/* on time */
	assert_int_equal(van_checkin(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_string_equal(jstr(h_last(&h, "checkin")->data, "was"), "on_time");
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_int_equal(jint(sum, "checkins"), 4);             /* start, 2, end */
	assert_int_equal(jint(sum, "checkins_missed"), 1);
	assert_int_equal(jint(sum, "checkins_late"), 1);
	assert_int_equal(jint(json_object_get(sum, "incidents"), "checkin_missed"), 1);
	h_fini(&h);
}

static void lone_and_risk_interval(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_start(&h, 1, true);
	const struct van_event *e = h_last(&h, "session.started");
	assert_string_equal(jstr(e->data, "checkin_reason"), "lone");
	assert_int_equal(jint(e->data, "checkin_interval_min"), 30);
	h_adv(&h, 5 * MIN);
	/* a service user boards: one worker alone with them -> 20 min */
	h_door(&h, true);
	h_cross(&h, true);
	e = h_last(&h, "checkin.interval_changed");
	assert_non_null(e);
	assert_string_equal(jstr(e->data, "reason"), "risk");
	assert_int_equal(jint(e->data, "due_utc"), T0_UTC + 20 * MIN);
	h_mark(&h);
	h_adv(&h, 15 * MIN - 2000);   /* 18 min from start */
	assert_int_equal(h_count(&h, "checkin.reminder"), 1);
	/* they leave: back to 30 min from the last check-in */
	h_cross(&h, false);
	assert_string_equal(jstr(h_last(&h, "checkin.interval_changed")->data, "reason"), "lone");
	h_mark(&h);
	h_adv(&h, 9 * MIN);
	assert_int_equal(h_count(&h, "checkin.late"), 0);
	h_adv(&h, 4 * MIN);
	assert_int_equal(h_count(&h, "checkin.late"), 1);
	h_fini(&h);
}

static void risk_shrink_keeps_reminder_lead(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, h_reminder_2min);
	h_start(&h, 2, false);
	h_door(&h, true);
	h_cross(&h, true);
	h_adv(&h, 40 * MIN);
	/* a colleague steps out: 40 min since the last check-in > 20 */
	h_mark(&h);
	assert_int_equal(van_set_crew(h.v, 1, VAN_SRC_VANCTL, &h.now, &why), 0);
	const struct van_event *e = h_last(&h, "checkin.interval_changed");
	assert_non_null(e);
	assert_int_equal(jint(e->data, "due_utc"), h.now.utc_ms + 2 * MIN);
	assert_int_equal(h_count(&h, "checkin.reminder"), 1);      /* at once */
	assert_int_equal(h_count(&h, "checkin.late"), 0);
	h_adv(&h, 2 * MIN);
	assert_int_equal(h_count(&h, "checkin.late"), 1);
	h_fini(&h);
}

static void base_request(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, h_reminder_2min);
	assert_int_equal(van_request_checkin(h.v, "ops", &h.now, &why), -ENOENT);
	h_start(&h, 2, false);
	h_adv(&h, 10 * MIN);
	assert_int_equal(van_request_checkin(h.v, "ops\x01", &h.now, &why), -EINVAL);
	assert_int_equal(van_request_checkin(h.v, "ops", &h.now, &why), 0);
	const struct van_event *e = h_last(&h, "checkin.requested");
	assert_string_equal(jstr(e->data, "by"), "ops");
	assert_int_equal(jint(e->data, "due_utc"), h.now.utc_ms + 2 * MIN);
	json_t *s;
	json_t *ss = sess(&h, &s);
	assert_true(jtrue(json_object_get(ss, "checkin"), "requested"));
	json_decref(s);
	h_mark(&h);
	h_adv(&h, 2 * MIN + 5 * MIN);
	assert_int_equal(h_count(&h, "checkin.missed"), 1);
	assert_int_equal(van_checkin(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	ss = sess(&h, &s);
	assert_false(jtrue(json_object_get(ss, "checkin"), "requested"));
	json_decref(s);
	h_fini(&h);
}

static void overdue_repeat_extend(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, h_reminder_2min);
	int64_t t0 = h.now.mono_ms;
	assert_int_equal(van_session_start(h.v, 2, false, h.now.utc_ms + 60 * MIN, NULL,
					   VAN_SRC_VANCTL, &h.now, &why), 0);
	h_adv(&h, 58 * MIN - 1);
	assert_int_equal(h_count(&h, "session.end_due"), 0);
	h_adv(&h, 1);                              /* the end check-in's reminder */
	assert_int_equal(h_count(&h, "session.end_due"), 1);
	assert_int_equal(jint(h_last(&h, "session.end_due")->data, "in_s"), 120);
	h_adv(&h, MIN);
	van_checkin(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why);
	h_mark(&h);
	h_adv(&h, MIN);
	assert_int_equal(h_count(&h, "session.end_due"), 0);
	assert_int_equal(h_count(&h, "session.overdue"), 0);
	h_adv(&h, 15 * MIN - 1);
	assert_int_equal(h_count(&h, "session.overdue"), 0);
	h_adv(&h, 1);
	assert_int_equal(h_count(&h, "session.overdue"), 1);
	const struct van_event *e = h_last(&h, "session.overdue");
	assert_int_equal(e->mono_ms, t0 + 75 * MIN);
	assert_int_equal(e->prio, EV_URGENT);
	assert_string_equal(jstr(e->data, "category"), "overdue");
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_SHORT);
	json_t *s;
	json_t *ss = sess(&h, &s);
	assert_string_equal(jstr(ss, "state"), "overdue");
	assert_int_equal(jint(ss, "overdue_s"), 15 * 60);
	json_decref(s);
	h_adv(&h, 20 * MIN);
	assert_int_equal(h_count(&h, "session.overdue"), 3);
	assert_int_equal(jint(h_last(&h, "session.overdue")->data, "repeat"), 2);
	assert_false(jtrue(h_last(&h, "session.overdue")->data, "incident"));
	/* extend: resolved, active again */
	assert_int_equal(van_session_extend(h.v, 0, -5, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_session_extend(h.v, h.now.utc_ms - MIN, 0, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_session_extend(h.v, 0, 30, VAN_SRC_VANCTL, &h.now, &why), -EINVAL); /* still past */
	assert_int_equal(van_session_extend(h.v, h.now.utc_ms + 30 * MIN, 0, VAN_SRC_BASE, &h.now, &why), 0);
	e = h_last(&h, "session.overdue_resolved");
	assert_string_equal(jstr(e->data, "how"), "extended");
	e = h_last(&h, "session.extended");
	assert_int_equal(jint(e->data, "planned_end_utc"), h.now.utc_ms + 30 * MIN);
	assert_string_equal(jstr(e->data, "source"), "base");
	ss = sess(&h, &s);
	assert_string_equal(jstr(ss, "state"), "active");
	json_decref(s);
	h_mark(&h);
	h_adv(&h, 30 * MIN + 15 * MIN);
	assert_int_equal(h_count(&h, "session.overdue"), 1);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why), 0);
	assert_string_equal(jstr(h_last(&h, "session.overdue_resolved")->data, "how"), "ended");
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_true(jtrue(sum, "overdue"));
	assert_int_equal(jint(sum, "extensions"), 1);
	assert_int_equal(jint(json_object_get(sum, "incidents"), "overdue"), 2);
	assert_int_equal(van_session_extend(h.v, 0, 30, VAN_SRC_VANCTL, &h.now, &why), -ENOENT);
	h_fini(&h);
}

static void incidents(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	assert_int_equal(van_incident(h.v, "medical", "collapsed near the bus stop", VAN_SRC_VANCTL,
				      &h.now, &why), 0);
	const struct van_event *e = h_last(&h, "incident");
	assert_true(jtrue(e->data, "incident"));
	assert_string_equal(jstr(e->data, "category"), "medical");
	assert_string_equal(jstr(e->data, "note"), "collapsed near the bus stop");
	assert_int_equal(van_incident(h.v, "aggression", NULL, VAN_SRC_BUTTON, &h.now, &why), 0);
	assert_true(json_is_null(json_object_get(h_last(&h, "incident")->data, "note")));
	assert_int_equal(van_incident(h.v, "medical", "café – ok", VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(van_incident(h.v, "burglary", NULL, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_incident(h.v, "over_limit", NULL, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_incident(h.v, NULL, NULL, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_incident(h.v, "medical", big, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_incident(h.v, "medical", "a\nb", VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_incident(h.v, "medical", "\xc3\x28", VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_incident(h.v, "medical", "\xed\xa0\x80", VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *inc = json_object_get(h_last(&h, "session.ended")->data, "incidents");
	assert_int_equal(jint(inc, "medical"), 2);
	assert_int_equal(jint(inc, "aggression"), 1);
	assert_int_equal(json_object_size(inc), 2);
	/* outside a session: recorded, not counted for any session */
	assert_int_equal(van_incident(h.v, "other", NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(h_last(&h, "incident")->session_id, 0);
	h_fini(&h);
}

static void wall_clock_step(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, h_reminder_2min);
	h.now.utc_src = UTC_SRC_SYSTEM_UNSYNCED;
	h_start(&h, 2, false);
	h_adv(&h, 20 * MIN);
	int64_t dl = van_next_deadline(h.v);
	/* NTP syncs: the wall clock jumps an hour forward */
	h.now.utc_ms += 60 * MIN;
	h.now.utc_src = UTC_SRC_SYSTEM_SYNCED;
	van_tick(h.v, &h.now);
	assert_int_equal(van_next_deadline(h.v), dl);
	h_mark(&h);
	h_adv(&h, 37 * MIN);
	assert_int_equal(h_count(&h, "checkin.reminder"), 0);
	h_adv(&h, 1 * MIN);                      /* 58 min of real time */
	assert_int_equal(h_count(&h, "checkin.reminder"), 1);
	/* and back two hours */
	h.now.utc_ms -= 120 * MIN;
	van_tick(h.v, &h.now);
	assert_int_equal(h_count(&h, "checkin.late"), 0);
	json_t *s;
	json_t *ss = sess(&h, &s);
	assert_int_equal(jint(ss, "elapsed_s"), 58 * 60);
	assert_int_equal(jint(ss, "remaining_s"), (240 - 58) * 60);
	/* the planned end is shown by the current clock: same distance ahead */
	assert_int_equal(jint(ss, "planned_end_utc"), h.now.utc_ms + (240 - 58) * MIN);
	json_decref(s);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(jint(h_last(&h, "session.ended")->data, "duration_s"), 58 * 60);
	h_fini(&h);
}

static void ten_hour_shift(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	assert_int_equal(van_session_start(h.v, 3, false, h.now.utc_ms + 600 * MIN, NULL,
					   VAN_SRC_VANCTL, &h.now, &why), 0);
	h_door(&h, true);
	for (int hour = 0; hour < 10; hour++) {
		for (int i = 0; i < 3; i++)
			h_cross(&h, true);
		h_adv(&h, 25 * MIN);
		for (int i = 0; i < 3; i++)
			h_cross(&h, false);
		h_adv(&h, 25 * MIN - 6 * 950);
		assert_int_equal(van_checkin(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why), 0);
	}
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	h.mark = 0;
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_int_equal(jint(sum, "entries"), 30);
	assert_int_equal(jint(sum, "exits"), 30);
	assert_int_equal(jint(sum, "peak_occupancy"), 3);
	assert_int_equal(jint(sum, "checkins"), 12);
	assert_int_equal(jint(sum, "checkins_missed"), 0);
	assert_int_equal(h_count(&h, "checkin.late"), 0);
	assert_int_equal(h_count(&h, "checkin.reminder"), 0);
	assert_int_equal(h_count(&h, "session.overdue"), 0);
	assert_int_equal(jint(sum, "discrepancy"), 0);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_validation),
		cmocka_unit_test(button_toggles_session),
		cmocka_unit_test(checkin_escalation),
		cmocka_unit_test(lone_and_risk_interval),
		cmocka_unit_test(risk_shrink_keeps_reminder_lead),
		cmocka_unit_test(base_request),
		cmocka_unit_test(overdue_repeat_extend),
		cmocka_unit_test(incidents),
		cmocka_unit_test(wall_clock_step),
		cmocka_unit_test(ten_hour_shift),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
