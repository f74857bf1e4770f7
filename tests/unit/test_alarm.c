/*
 * test_alarm.c - panic, repeat until acknowledged, clear, covert and duress,
 * self-test.
 */
#include "test_core_harness.h"

static void same_out(const struct van_outputs *a, const struct van_outputs *b)
{
	assert_int_equal(a->entry_light_full, b->entry_light_full);
	assert_int_equal(a->buzzer, b->buzzer);
	assert_int_equal(a->alarm_light, b->alarm_light);
}

static json_t *emergency(struct harness *h, bool for_base, json_t **s)
{
	*s = h_state(h, for_base);
	return json_object_get(*s, "emergency");
}

/* Location to base every 30 s, every 2 s in an emergency (shipped: 10 s and
 * 1 s): a normal rate and a high one, told apart. */
static void location_30s_2s(struct van_params *p)
{
	p->location_interval_s = 30;
	p->emergency_location_interval_s = 2;
}

static void panic_ack_clear(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	json_t *s;
	h_init(&h, location_30s_2s);
	h_start(&h, 2, false);
	h_fix(&h, 51.5, -0.1, 0);
	h_door(&h, true);
	h_cross(&h, true);
	assert_int_equal(van_location_interval_ms(h.v), 30000);
	h_adv(&h, 10 * SEC);
	int64_t edge = h.now.mono_ms - 40;
	struct van_input in = { .role = VAN_IN_PANIC, .line = 7, .active = true, .edge_mono_ms = edge };
	assert_int_equal(van_input(h.v, &in, &h.now), 0);
	const struct van_event *e = h_last(&h, "emergency.raised");
	assert_non_null(e);
	assert_int_equal(e->prio, EV_EMERGENCY);
	assert_int_equal(e->session_id, T0_UTC);
	assert_true(jtrue(e->data, "incident"));
	assert_string_equal(jstr(e->data, "category"), "emergency");
	assert_string_equal(jstr(e->data, "source"), "panic");
	assert_false(jtrue(e->data, "covert"));
	assert_int_equal(jint(e->data, "repeat"), 0);
	assert_int_equal(jint(e->data, "edge_to_raise_ms"), 40);
	assert_int_equal(jint(e->data, "edge_utc"), h.now.utc_ms - 40);
	int64_t id = jint(e->data, "id");
	const json_t *ctx = json_object_get(e->data, "context");
	assert_int_equal(jint(ctx, "occupancy"), 1);
	assert_int_equal(jint(ctx, "crew"), 2);
	assert_string_equal(jstr(ctx, "session"), "active");
	assert_true(json_is_object(json_object_get(ctx, "fix")));
	assert_int_equal(json_array_size(json_object_get(ctx, "track")), 1);
	assert_true(jtrue(json_array_get(json_object_get(ctx, "doors"), 0), "open"));
	assert_true(json_is_integer(json_object_get(ctx, "stop_s")));
	struct van_outputs o = h_out(&h);
	assert_int_equal(o.alarm_light, VAN_LIGHT_ON);
	assert_int_equal(o.buzzer, VAN_BUZZ_ALARM);
	assert_int_equal(van_location_interval_ms(h.v), 2000);
	/* repeated every 30 s until acknowledged */
	h_mark(&h);
	h_adv(&h, 95 * SEC);
	assert_int_equal(h_count(&h, "emergency.raised"), 3);
	assert_int_equal(jint(h_last(&h, "emergency.raised")->data, "repeat"), 3);
	assert_false(jtrue(h_last(&h, "emergency.raised")->data, "incident"));
	/* ack */
	assert_int_equal(van_emergency_ack(h.v, id + 1, "sam", &h.now, &why), -ENOENT);
	assert_int_equal(van_emergency_ack(h.v, id, "", &h.now, &why), -EINVAL);
	assert_int_equal(van_emergency_ack(h.v, id, "sam", &h.now, &why), 0);
	e = h_last(&h, "emergency.acknowledged");
	assert_string_equal(jstr(e->data, "by"), "sam");
	assert_int_equal(jint(e->data, "after_s"), 95);
	assert_int_equal(van_emergency_ack(h.v, id, "sam", &h.now, &why), -EALREADY);
	o = h_out(&h);
	assert_int_equal(o.alarm_light, VAN_LIGHT_BLINK);     /* the crew sees: help is coming */
	assert_int_equal(o.buzzer, VAN_BUZZ_OFF);
	json_t *em = emergency(&h, false, &s);
	assert_true(jtrue(em, "acknowledged"));
	assert_string_equal(jstr(em, "acked_by"), "sam");
	json_decref(s);
	h_mark(&h);
	h_adv(&h, 5 * MIN);
	assert_int_equal(h_count(&h, "emergency.raised"), 0);
	/* the shell's timing chain */
	assert_int_equal(van_emergency_timing(h.v, "published", edge + 120), 0);
	assert_int_equal(van_emergency_timing(h.v, "Bad Name", edge), -EINVAL);
	/* a repeat passing the stage again: the first raise's time stays */
	assert_int_equal(van_emergency_timing(h.v, "published", edge + 480002), 0);
	em = emergency(&h, true, &s);
	assert_int_equal(jint(json_object_get(em, "timing"), "published"), edge + 120);
	assert_int_equal(jint(json_object_get(em, "timing"), "edge_mono_ms"), edge);
	json_decref(s);
	/* clear */
	h_press(&h, VAN_IN_BTN_RESET);
	e = h_last(&h, "emergency.cleared");
	assert_non_null(e);
	assert_string_equal(jstr(e->data, "source"), "button");
	assert_true(jtrue(e->data, "acknowledged"));
	o = h_out(&h);
	assert_int_equal(o.alarm_light, VAN_LIGHT_OFF);
	assert_int_equal(van_location_interval_ms(h.v), 30000);
	em = emergency(&h, true, &s);
	assert_true(json_is_null(em));
	json_decref(s);
	assert_int_equal(van_alarm_clear(h.v, VAN_SRC_VANCTL, &h.now, &why), -ENOENT);
	assert_int_equal(van_emergency_timing(h.v, "puback", 1), -ENOENT);
	h_fini(&h);
}

static void cleared_before_ack(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	van_panic(h.v, VAN_SRC_VANCTL, false, 0, &h.now, &why);
	assert_string_equal(jstr(h_last(&h, "emergency.raised")->data, "source"), "vanctl");
	assert_int_equal(h_last(&h, "emergency.raised")->session_id, 0);
	h_adv(&h, 10 * SEC);
	assert_int_equal(van_alarm_clear(h.v, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_false(jtrue(h_last(&h, "emergency.cleared")->data, "acknowledged"));
	h_mark(&h);
	h_adv(&h, 5 * MIN);
	assert_int_equal(h_count(&h, "emergency.raised"), 0);
	assert_int_equal(van_next_deadline(h.v), -1);
	h_fini(&h);
}

static void covert_panic(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	json_t *s;
	h_init(&h, location_30s_2s);
	h_start(&h, 2, false);
	struct van_outputs before = h_out(&h);
	struct van_input in = { .role = VAN_IN_PANIC, .line = 8, .active = true, .covert = true };
	assert_int_equal(van_input(h.v, &in, &h.now), 0);
	const struct van_event *e = h_last(&h, "emergency.raised");
	assert_true(jtrue(e->data, "covert"));
	struct van_outputs o = h_out(&h);
	same_out(&o, &before);
	/* the crew display shows nothing; base sees everything */
	json_t *em = emergency(&h, false, &s);
	assert_true(json_is_null(em));
	assert_null(json_object_get(s, "location_interval_ms"));
	json_decref(s);
	em = emergency(&h, true, &s);
	assert_true(jtrue(em, "covert"));
	assert_int_equal(jint(s, "location_interval_ms"), 2000);
	json_decref(s);
	h_adv(&h, 31 * SEC);
	assert_int_equal(h_count(&h, "emergency.raised"), 2);
	o = h_out(&h);
	same_out(&o, &before);
	/* base acknowledges: still nothing to see in the van */
	assert_int_equal(van_emergency_ack(h.v, 0, "ops", &h.now, &why), 0);
	o = h_out(&h);
	same_out(&o, &before);
	em = emergency(&h, false, &s);
	assert_true(json_is_null(em));
	json_decref(s);
	/* a visible panic on top makes it visible (same emergency) */
	in.covert = false;
	in.line = 7;
	int64_t id = jint(e->data, "id");
	h_adv(&h, SEC);
	van_input(h.v, &in, &h.now);
	e = h_last(&h, "emergency.raised");
	assert_int_equal(jint(e->data, "id"), id);
	assert_true(jtrue(e->data, "again"));
	assert_false(jtrue(e->data, "covert"));
	assert_false(jtrue(e->data, "acknowledged"));
	assert_int_equal(h_out(&h).alarm_light, VAN_LIGHT_ON);
	h_fini(&h);
}

static void expect_invisible(struct harness *h, const struct van_outputs *before)
{
	json_t *s;
	struct van_outputs o = h_out(h);
	same_out(&o, before);
	json_t *em = emergency(h, false, &s);
	assert_true(json_is_null(em));
	char *txt = json_dumps(s, 0);
	assert_null(strstr(txt, "duress"));
	assert_null(strstr(txt, "covert"));
	free(txt);
	json_decref(s);
}

static void duress_checkin(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_adv(&h, 20 * MIN);
	struct van_outputs before = h_out(&h);
	h_mark(&h);
	assert_int_equal(van_checkin(h.v, "4711", VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_string_equal(why, "checked in");
	/* a normal check-in for the van... */
	const struct van_event *e = h_last(&h, "checkin");
	assert_non_null(e);
	assert_string_equal(jstr(e->data, "was"), "on_time");
	char *txt = json_dumps(e->data, 0);
	assert_null(strstr(txt, "duress"));
	assert_null(strstr(txt, "covert"));
	free(txt);
	/* ...and a covert emergency for base */
	e = h_last(&h, "emergency.raised");
	assert_non_null(e);
	assert_int_equal(e->prio, EV_EMERGENCY);
	assert_true(jtrue(e->data, "covert"));
	assert_string_equal(jstr(e->data, "source"), "duress_checkin");
	expect_invisible(&h, &before);
	/* a wrong code is just a check-in */
	h_mark(&h);
	van_checkin(h.v, "1234", VAN_SRC_VANCTL, &h.now, &why);
	assert_int_equal(h_count(&h, "emergency.raised"), 0);
	h_fini(&h);
}

static void duress_end(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_adv(&h, 90 * MIN);
	van_checkin(h.v, NULL, VAN_SRC_BUTTON, &h.now, &why);
	struct van_outputs before = h_out(&h);
	assert_int_equal(van_session_end(h.v, "4711", VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_string_equal(why, "session ended");
	const struct van_event *e = h_last(&h, "session.ended");
	assert_non_null(e);
	char *txt = json_dumps(e->data, 0);
	assert_null(strstr(txt, "emergency"));       /* the debrief shows nothing */
	assert_null(strstr(txt, "duress"));
	free(txt);
	e = h_last(&h, "emergency.raised");
	assert_true(jtrue(e->data, "covert"));
	assert_string_equal(jstr(e->data, "source"), "duress_end");
	assert_int_equal(e->session_id, T0_UTC);
	expect_invisible(&h, &before);
	/* still repeated to base after the session ended */
	h_mark(&h);
	h_adv(&h, 30 * SEC);
	assert_int_equal(h_count(&h, "emergency.raised"), 1);
	h_fini(&h);
}

static void panic_held_at_boot(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	struct van_input in = { .role = VAN_IN_PANIC, .line = 7, .active = true };
	assert_int_equal(van_initial_input(h.v, &in, &h.now), 0);
	assert_string_equal(jstr(h_last(&h, "emergency.raised")->data, "source"), "panic_at_boot");
	/* buttons held at boot do nothing */
	in = (struct van_input){ .role = VAN_IN_BTN_SESSION, .active = true };
	van_initial_input(h.v, &in, &h.now);
	assert_int_equal(h_count(&h, "session.started"), 0);
	h_fini(&h);
}

static void selftest_pass_and_fail(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	json_t *s;
	h_init(&h, location_30s_2s);
	assert_int_equal(van_selftest_start(h.v, VAN_SRC_VANCTL, &h.now, &why), 0);
	const struct van_event *e = h_last(&h, "emergency.test");
	assert_non_null(e);
	assert_int_equal(e->prio, EV_EMERGENCY);
	assert_true(jtrue(e->data, "test"));
	int64_t id = jint(e->data, "id");
	assert_int_equal(van_selftest_start(h.v, VAN_SRC_VANCTL, &h.now, &why), -EBUSY);
	assert_int_equal(h_out(&h).alarm_light, VAN_LIGHT_OFF);
	assert_int_equal(van_location_interval_ms(h.v), 30000);
	h_adv(&h, 1500);
	assert_int_equal(van_emergency_ack(h.v, id, "ops", &h.now, &why), 0);
	e = h_last(&h, "selftest.passed");
	assert_non_null(e);
	assert_int_equal(jint(e->data, "rtt_ms"), 1500);
	json_t *t = h_state(&h, false);
	s = json_object_get(t, "selftest");
	assert_string_equal(jstr(s, "last_result"), "passed");
	assert_int_equal(jint(s, "last_utc"), h.now.utc_ms);
	json_decref(t);
	/* no ack: failed after the timeout, urgent */
	h_adv(&h, MIN);
	assert_int_equal(van_selftest_start(h.v, VAN_SRC_VANCTL, &h.now, &why), 0);
	h_mark(&h);
	h_adv(&h, 59 * SEC);
	assert_int_equal(h_count(&h, "selftest.failed"), 0);
	h_adv(&h, SEC);
	e = h_last(&h, "selftest.failed");
	assert_non_null(e);
	assert_int_equal(e->prio, EV_URGENT);
	t = h_state(&h, true);
	s = json_object_get(t, "selftest");
	assert_string_equal(jstr(s, "last_result"), "failed");
	assert_false(jtrue(s, "running"));
	json_decref(t);
	assert_int_equal(van_emergency_ack(h.v, 0, "ops", &h.now, &why), -ENOENT);
	/* a test while a real emergency runs: acks go by id */
	van_panic(h.v, VAN_SRC_VANCTL, false, 0, &h.now, &why);
	int64_t eid = jint(h_last(&h, "emergency.raised")->data, "id");
	h_adv(&h, 10);
	assert_int_equal(van_selftest_start(h.v, VAN_SRC_VANCTL, &h.now, &why), 0);
	id = jint(h_last(&h, "emergency.test")->data, "id");
	assert_true(id != eid);
	assert_int_equal(van_emergency_ack(h.v, id, "ops", &h.now, &why), 0);
	assert_non_null(h_last(&h, "selftest.passed"));
	assert_int_equal(h_out(&h).alarm_light, VAN_LIGHT_ON);   /* the real one is not acked */
	assert_int_equal(van_emergency_ack(h.v, 0, "ops", &h.now, &why), 0);
	assert_int_equal(h_out(&h).alarm_light, VAN_LIGHT_BLINK);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(panic_ack_clear),
		cmocka_unit_test(cleared_before_ack),
		cmocka_unit_test(covert_panic),
		cmocka_unit_test(duress_checkin),
		cmocka_unit_test(duress_end),
		cmocka_unit_test(panic_held_at_boot),
		cmocka_unit_test(selftest_pass_and_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
