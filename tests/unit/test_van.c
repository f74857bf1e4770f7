/*
 * test_van.c - the aggregate: params, deadlines, the state contract,
 * save/restore (mid-session, across a reboot, corrupt data).
 */
#include "test_core_harness.h"
#include "core/health.h"

static void params(void **st)
{
	(void)st;
	struct van_params p;
	const char *why = NULL;
	van_params_default(&p);
	assert_int_equal(van_params_check(&p, &why), 0);
	p.checkin_interval_min = 0;
	assert_int_equal(van_params_check(&p, &why), -EINVAL);
	assert_non_null(why);
	assert_null(van_new(&p));
	van_params_default(&p);
	p.stop_speed_mps = -1;
	assert_int_equal(van_params_check(&p, &why), -EINVAL);
	van_params_default(&p);
	p.incident_types = " a , b,,c ";
	van_t *v = van_new(&p);
	assert_non_null(v);
	struct vtime now = { .mono_ms = 1000, .utc_ms = T0_UTC };
	assert_int_equal(van_incident(v, "b", NULL, VAN_SRC_VANCTL, &now, &why), 0);
	assert_int_equal(van_incident(v, "c", NULL, VAN_SRC_VANCTL, &now, &why), 0);
	assert_int_equal(van_incident(v, " a", NULL, VAN_SRC_VANCTL, &now, &why), -EINVAL);
	van_free(v);
	van_free(NULL);
}

static void deadlines_exact(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, h_reminder_2min);
	assert_int_equal(van_next_deadline(h.v), -1);
	h_start(&h, 2, false);
	assert_int_equal(van_next_deadline(h.v), T0_MONO + 58 * MIN);
	/* ticking early or often changes nothing */
	for (int i = 0; i < 100; i++) {
		h_set(&h, h.now.mono_ms + 30 * SEC);
		van_tick(h.v, &h.now);
	}
	assert_int_equal(h_count(&h, "checkin.reminder"), 0);
	assert_int_equal(van_next_deadline(h.v), T0_MONO + 58 * MIN);
	h_set(&h, T0_MONO + 58 * MIN - 1);
	van_tick(h.v, &h.now);
	assert_int_equal(h_count(&h, "checkin.reminder"), 0);
	h_set(&h, T0_MONO + 58 * MIN);
	van_tick(h.v, &h.now);
	assert_int_equal(h_count(&h, "checkin.reminder"), 1);
	assert_int_equal(van_next_deadline(h.v), T0_MONO + 60 * MIN);
	/* a late tick catches up everything that fell due, once */
	h_set(&h, T0_MONO + 200 * MIN);
	van_tick(h.v, &h.now);
	assert_int_equal(h_count(&h, "checkin.late"), 1);
	assert_int_equal(h_count(&h, "checkin.missed"), 1);
	assert_true(van_next_deadline(h.v) > h.now.mono_ms);
	h_fini(&h);
}

static void state_contract(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	json_t *s = h_state(&h, true);
	static const char *keys[] = { "v", "utc", "utc_src", "session", "last_session", "occupancy",
				      "stop", "fix", "doors", "door_open_while_moving", "emergency",
				      "selftest", "outputs", "location_interval_ms" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(s, keys[i]));
	assert_string_equal(jstr(json_object_get(s, "session"), "state"), "idle");
	json_decref(s);
	h_start(&h, 2, false);
	h_door(&h, true);
	h_cross(&h, true);
	h_fix(&h, 51.5, -0.1, 0);
	s = h_state(&h, true);
	json_t *ss = json_object_get(s, "session");
	static const char *skeys[] = { "state", "id", "crew", "lone", "plan", "started_utc",
				       "planned_end_utc", "elapsed_s", "remaining_s", "overdue_s",
				       "checkin", "distance_m", "stops", "incidents" };
	for (size_t i = 0; i < sizeof(skeys) / sizeof(skeys[0]); i++)
		assert_non_null(json_object_get(ss, skeys[i]));
	json_t *ck = json_object_get(ss, "checkin");
	static const char *ckeys[] = { "stage", "reason", "interval_min", "last_utc", "due_utc",
				       "due_in_s", "overdue", "overdue_s", "escalated", "requested" };
	for (size_t i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++)
		assert_non_null(json_object_get(ck, ckeys[i]));
	json_t *o = json_object_get(s, "occupancy");
	static const char *okeys[] = { "count", "occupancy", "limit", "full", "over", "seats",
				       "entries", "peak", "at_limit_s", "over_limit_s", "beam_fault",
				       "muted_until_utc" };
	for (size_t i = 0; i < sizeof(okeys) / sizeof(okeys[0]); i++)
		assert_non_null(json_object_get(o, okeys[i]));
	assert_int_equal(jint(o, "count"), 1);
	json_t *out = json_object_get(s, "outputs");
	assert_string_equal(jstr(out, "buzzer"), "off");
	assert_string_equal(jstr(out, "alarm_light"), "off");
	json_decref(s);
	h_fini(&h);
}

/* Save, throw the van away, make a new one and restore with shift. */
static void reload(struct harness *h, int64_t down_ms, int64_t shift)
{
	json_t *saved = van_save(h->v);
	assert_non_null(saved);
	char *txt = json_dumps(saved, JSON_COMPACT);   /* through text, as SQLite stores it */
	json_decref(saved);
	van_free(h->v);
	h->v = van_new(&h->p);
	assert_non_null(h->v);
	h->mark = 0;
	h->now.mono_ms += down_ms + shift;
	h->now.utc_ms += down_ms;
	json_error_t err;
	saved = json_loads(txt, 0, &err);
	free(txt);
	assert_non_null(saved);
	assert_int_equal(van_restore(h->v, saved, shift, &h->now), 0);
	json_decref(saved);
}

static void restore_mid_session(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_door(&h, true);
	h_cross(&h, true);
	h_cross(&h, true);
	van_incident(h.v, "medical", NULL, VAN_SRC_VANCTL, &h.now, &why);
	h_fix(&h, 51.5, -0.1, 0);
	h_adv(&h, 30 * MIN);
	int64_t dl = van_next_deadline(h.v);
	json_t *before = van_state_json(h.v, &h.now, true);
	reload(&h, 0, 0);                               /* daemon restart, no time lost */
	assert_int_equal(van_next_deadline(h.v), dl);
	assert_int_equal(h_q(&h)->n, 0);                /* nothing new happened */
	json_t *after = van_state_json(h.v, &h.now, true);
	json_object_del(before, "doors");               /* input levels are re-read, not restored */
	json_object_del(after, "doors");
	json_object_del(before, "door_open_while_moving");
	json_object_del(after, "door_open_while_moving");
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	/* the check-in timer carries on */
	h_adv(&h, 28 * MIN);
	assert_int_equal(h_count(&h, "checkin.reminder"), 1);
	assert_int_equal(h_last(&h, "checkin.reminder")->session_id, T0_UTC);
	/* ended later: the figures from before the restart are there */
	van_empty(h.v, VAN_SRC_VANCTL, &h.now, &why);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_int_equal(jint(sum, "entries"), 2);
	assert_int_equal(jint(json_object_get(sum, "incidents"), "medical"), 1);
	assert_true(jint(sum, "duration_s") >= 58 * 60);
	h_fini(&h);
}

static void restore_after_reboot(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_adv(&h, 50 * MIN);
	van_panic(h.v, VAN_SRC_VANCTL, true, 0, &h.now, NULL);
	/* power cut; the Pi boots with CLOCK_MONOTONIC near 0, 20 min later */
	int64_t shift = 10000 - h.now.mono_ms - 20 * MIN;
	reload(&h, 20 * MIN, shift);
	assert_int_equal(h.now.mono_ms, 10000);
	/* the check-in that fell due while down: late and missed at once */
	assert_int_equal(h_count(&h, "checkin.late"), 1);
	assert_int_equal(h_count(&h, "checkin.missed"), 1);
	assert_true(jint(h_last(&h, "checkin.missed")->data, "late_s") >= 10 * 60);
	/* the unacknowledged emergency is re-sent */
	assert_int_equal(h_count(&h, "emergency.raised"), 1);
	assert_true(jtrue(h_last(&h, "emergency.raised")->data, "covert"));
	assert_true(van_next_deadline(h.v) > h.now.mono_ms);
	json_t *s = h_state(&h, true);
	json_t *ss = json_object_get(s, "session");
	assert_int_equal(jint(ss, "elapsed_s"), 70 * 60);
	json_decref(s);
	h_fini(&h);
}

static void restore_rejects_garbage(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	json_t *good = van_save(h.v);
	van_free(h.v);
	h.v = van_new(&h.p);
	const char *bad[] = {
		"[]", "{}", "{\"v\": 2}",
		"{\"v\": 1, \"occupancy\": {\"count\": -3}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		assert_int_equal(van_restore(h.v, j, 0, &h.now), -EINVAL);
		json_decref(j);
	}
	/* one bad field anywhere spoils the whole restore */
	static const char *paths[][2] = {
		{ "session", "state" }, { "session", "start_mono" }, { "occupancy", "count" },
		{ "alarm", "emergency" }, { "fix", "ring" }, { "stops", "st" },
		{ "session", "checkin" }, { NULL, "odo_at_start" }, { NULL, "incidents" },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		json_t *j = json_deep_copy(good);
		json_t *o = paths[i][0] ? json_object_get(j, paths[i][0]) : j;
		json_object_set_new(o, paths[i][1], json_string("junk"));
		assert_int_equal(van_restore(h.v, j, 0, &h.now), -EINVAL);
		json_decref(j);
	}
	json_t *j = json_deep_copy(good);
	json_object_set_new(json_object_get(j, "session"), "state", json_integer(9));
	assert_int_equal(van_restore(h.v, j, 0, &h.now), -EINVAL);
	json_decref(j);
	/* the van is untouched */
	json_t *s = h_state(&h, true);
	assert_string_equal(jstr(json_object_get(s, "session"), "state"), "idle");
	json_decref(s);
	assert_int_equal(van_restore(h.v, good, 0, &h.now), 0);
	s = h_state(&h, true);
	assert_string_equal(jstr(json_object_get(s, "session"), "state"), "active");
	json_decref(s);
	json_decref(good);
	h_fini(&h);
}

/* The computer's health: nothing shown where nothing is readable; an
 * under-voltage episode counted once however long it lasts, and a dip
 * between two readings counted by the firmware's sticky bit; the session's
 * figures survive a restart and reach the debrief. */
static struct health_reading hr(bool flags, uint32_t f, bool temp, double t)
{
	return (struct health_reading){ .have_flags = flags, .flags = f, .have_temp = temp, .temp_c = t };
}

static void health_state_and_debrief(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	struct health_reading r;
	h_init(&h, NULL);
	json_t *s = h_state(&h, true);
	assert_true(json_is_null(json_object_get(s, "health")));   /* never read */
	json_decref(s);
	r = hr(false, 0, false, 0);                                 /* a board without the files */
	van_health(h.v, &r, &h.now);
	s = h_state(&h, true);
	assert_true(json_is_null(json_object_get(s, "health")));
	json_decref(s);

	r = hr(true, 0, true, 48.25);
	van_health(h.v, &r, &h.now);
	h_start(&h, 2, false);
	h_adv(&h, 5 * SEC);
	r = hr(true, HEALTH_UNDERVOLT_NOW | HEALTH_UNDERVOLT_SEEN, true, 51.0);   /* cranking */
	van_health(h.v, &r, &h.now);
	h_adv(&h, 5 * SEC);
	van_health(h.v, &r, &h.now);                                /* still low: the same episode */
	struct health_reading garbled = hr(false, 0, true, 51.0);  /* the flags file unreadable once */
	van_health(h.v, &garbled, &h.now);
	van_health(h.v, &r, &h.now);                                /* ...does not make a new episode */
	s = h_state(&h, true);
	json_t *hs = json_object_get(s, "health");
	assert_true(json_is_true(json_object_get(hs, "undervoltage")));
	assert_true(json_is_true(json_object_get(hs, "undervoltage_since_boot")));
	assert_true(json_real_value(json_object_get(hs, "temp_c")) == 51.0);
	json_decref(s);
	h_adv(&h, 5 * SEC);
	r = hr(true, HEALTH_UNDERVOLT_SEEN | HEALTH_THROTTLED_NOW | HEALTH_THROTTLED_SEEN, true, 71.37);
	van_health(h.v, &r, &h.now);
	reload(&h, 0, 0);                                           /* a restart mid-session */
	h_adv(&h, 5 * SEC);
	r = hr(true, HEALTH_UNDERVOLT_NOW | HEALTH_UNDERVOLT_SEEN, true, 60.0);   /* a second dip */
	van_health(h.v, &r, &h.now);
	van_empty(h.v, VAN_SRC_VANCTL, &h.now, &why);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *d = json_object_get(h_last(&h, "session.ended")->data, "health");
	assert_non_null(d);
	assert_int_equal(jint(d, "undervoltage_episodes"), 2);
	assert_true(json_is_true(json_object_get(d, "throttled")));
	assert_true(json_real_value(json_object_get(d, "max_temp_c")) == 71.4);

	/* the next session: a dip seen only by the sticky bit (a fresh boot) */
	van_free(h.v);
	h.v = van_new(&h.p);
	r = hr(true, 0, false, 0);
	van_health(h.v, &r, &h.now);
	h_start(&h, 2, false);
	h_adv(&h, 5 * SEC);
	r = hr(true, HEALTH_UNDERVOLT_SEEN, false, 0);
	van_health(h.v, &r, &h.now);
	van_empty(h.v, VAN_SRC_VANCTL, &h.now, &why);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	d = json_object_get(h_last(&h, "session.ended")->data, "health");
	assert_int_equal(jint(d, "undervoltage_episodes"), 1);
	assert_true(json_is_false(json_object_get(d, "throttled")));
	assert_null(json_object_get(d, "max_temp_c"));
	h_fini(&h);
}

/* A power_fail line: the van says it powers down on purpose, once per
 * episode, and when the power came back; a line active at start says so. */
static void power_fail_line(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_adv(&h, 10 * SEC);
	h_mark(&h);
	h_in(&h, VAN_IN_POWER_FAIL, 0, true);
	h_in(&h, VAN_IN_POWER_FAIL, 0, true);           /* a repeat: no second event */
	assert_int_equal(h_count(&h, "power.failing"), 1);
	const struct van_event *e = h_last(&h, "power.failing");
	assert_int_equal(e->prio, EV_URGENT);
	assert_true(json_is_true(json_object_get(e->data, "session_running")));
	assert_true(json_is_false(json_object_get(e->data, "at_start")));
	json_t *s = h_state(&h, true);
	assert_true(json_is_true(json_object_get(json_object_get(s, "power"), "failing")));
	assert_true(json_is_integer(json_object_get(json_object_get(s, "power"), "since_utc")));
	json_decref(s);
	h_adv(&h, 30 * SEC);
	h_in(&h, VAN_IN_POWER_FAIL, 0, false);
	assert_int_equal(h_count(&h, "power.restored"), 1);
	assert_int_equal(jint(h_last(&h, "power.restored")->data, "after_s"), 30);
	s = h_state(&h, true);
	assert_true(json_is_false(json_object_get(json_object_get(s, "power"), "failing")));
	json_decref(s);
	h_fini(&h);

	/* active when the daemon starts (booted on the UPS battery) */
	h_init(&h, NULL);
	h_mark(&h);
	struct van_input in = { .role = VAN_IN_POWER_FAIL, .active = true, .edge_mono_ms = h.now.mono_ms };
	assert_int_equal(van_initial_input(h.v, &in, &h.now), 0);
	e = h_last(&h, "power.failing");
	assert_non_null(e);
	assert_true(json_is_true(json_object_get(e->data, "at_start")));
	assert_true(json_is_false(json_object_get(e->data, "session_running")));
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params),
		cmocka_unit_test(deadlines_exact),
		cmocka_unit_test(state_contract),
		cmocka_unit_test(restore_mid_session),
		cmocka_unit_test(restore_after_reboot),
		cmocka_unit_test(restore_rejects_garbage),
		cmocka_unit_test(health_state_and_debrief),
		cmocka_unit_test(power_fail_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
