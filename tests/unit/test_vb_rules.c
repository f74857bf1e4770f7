/*
 * test_vb_rules.c - vanbase's alarm rules on base's clock, one by one:
 * emergency (topic, event, state; covert; acknowledged and cleared by the
 * van), session overdue and check-in missed (van-reported and judged by
 * base, with the van's clock offset and the settle delay), offline and
 * silent during a session, self-test failed; replayed events change
 * nothing.  These are the console's cases (base/test/fleet.test.mjs).
 */
#include "test_vb_harness.h"

static void emergency_topic_covert_ack_clear(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	int64_t id = T0 - 2 * SEC;
	assert_int_equal(h_emergency(&h, "van1", id, false, false), 0);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_EMERGENCY);
	assert_non_null(a);
	assert_string_equal(a->id, "van1-emergency-1");
	assert_int_equal(a->key, id);
	assert_false(a->covert);
	assert_int_equal(a->since, id);              /* raised 2 s before it reached base */
	assert_int_equal(vb_alarm_state(a), VB_ST_RAISED);
	assert_int_equal(h_naudit(&h, VB_AU_RAISED), 1);
	/* the first notification leaves at once, with the position */
	assert_int_equal(h_nnotify(&h), 2);
	const struct vb_notify *n = h_notify(&h, 0);
	assert_string_equal(n->contact, "alice");
	assert_string_equal(n->channel, "sms");
	assert_int_equal(n->at, T0);
	assert_true(n->position);
	assert_non_null(strstr(n->pos_text, "53.79656 N, 1.55550 W"));
	assert_non_null(strstr(n->text, "EMERGENCY: van van1 raised an emergency 2 s ago"));
	/* the retained topic again (QoS 1 duplicate): the same alarm */
	h_mark(&h);
	assert_int_equal(h_emergency(&h, "van1", id, false, false), 0);
	assert_int_equal(h_naudit(&h, -1), 0);
	/* the console's ACKNOWLEDGE went straight to the van: the van says so */
	assert_int_equal(h_emergency(&h, "van1", id, false, true), 0);
	a = h_open(&h, "van1", VB_K_EMERGENCY);
	assert_true(a->acked);
	assert_string_equal(a->acked_by, "Sam at base");
	assert_string_equal(a->acked_how, "van");
	assert_int_equal(h_naudit(&h, VB_AU_ACKED), 1);
	h_mark(&h);
	h_adv(&h, 30 * MIN);
	assert_int_equal(h_nnotify(&h), 0);           /* the chain stopped */
	/* cleared by the crew: the retained topic says active false */
	assert_int_equal(h_pack(&h, "van1", VB_T_EMERGENCY, true, "{s:i,s:s,s:s,s:b}", "v", 1,
				"unit", "van1", "time", "2025-06-16T20:31:00.000Z", "active", 0), 0);
	assert_null(h_open(&h, "van1", VB_K_EMERGENCY));
	const struct vb_audit *r = h_audit(&h, VB_AU_RESOLVED, 0);
	assert_non_null(r);
	assert_string_equal(r->detail, "the crew cleared the emergency");
	assert_int_equal(h_nnotify(&h), 2);           /* all clear to alice's sms and mail */
	assert_int_equal(h_notify(&h, 0)->msg, VB_MSG_ALL_CLEAR);
	/* a replay of the old raise raises nothing */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 4, "emergency.raised", id,
				 json_pack("{s:I,s:I,s:b}", "id", (json_int_t)id, "raised_utc",
					   (json_int_t)id, "covert", 0)), 0);
	assert_int_equal(h_naudit(&h, VB_AU_RAISED), 0);
	/* a covert one */
	assert_int_equal(h_emergency(&h, "van2", T0 + 31 * MIN, true, false), 0);
	a = h_open(&h, "van2", VB_K_EMERGENCY);
	assert_non_null(a);
	assert_true(a->covert);
	n = h_notify(&h, 0);
	assert_true(n->covert);
	assert_true(strncmp(n->text, "COVERT EMERGENCY", 16) == 0);
	assert_non_null(strstr(n->text, "Do NOT call the van openly"));
	assert_null(strstr(n->text, "Phone the crew"));
	assert_null(strstr(n->text, "call the crew"));
	h_fini(&h);
}

static void emergency_event_only(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	int64_t id = T0 - 500;
	/* the event arrived, the retained topic not (yet) */
	assert_int_equal(h_event(&h, "van1", 7, "emergency.raised", id,
				 json_pack("{s:I,s:I,s:b,s:s,s:{s:{s:f,s:f,s:f}}}", "id", (json_int_t)id,
					   "raised_utc", (json_int_t)id, "covert", 0, "source", "panic",
					   "context", "fix", "lat", 51.5, "lon", -0.1, "age_s", 1.0)), 0);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_EMERGENCY);
	assert_non_null(a);
	assert_true(h_notify(&h, 0)->position);
	assert_non_null(strstr(h_notify(&h, 0)->pos_text, "51.50000 N, 0.10000 W"));
	/* the van's emergency.acknowledged */
	h_adv(&h, 20 * SEC);
	assert_int_equal(h_event(&h, "van1", 8, "emergency.acknowledged", T0 + 20 * SEC,
				 json_pack("{s:I,s:s}", "id", (json_int_t)id, "by", "op-sam")), 0);
	assert_true(h_open(&h, "van1", VB_K_EMERGENCY)->acked);
	/* cleared by event (the topic never confirmed it) */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 9, "emergency.cleared", T0 + 40 * SEC,
				 json_pack("{s:I,s:s}", "id", (json_int_t)id, "source", "button")), 0);
	assert_null(h_open(&h, "van1", VB_K_EMERGENCY));
	assert_int_equal(h_naudit(&h, VB_AU_RESOLVED), 1);
	/* a state backing up the topic: a new emergency */
	h_mark(&h);
	assert_int_equal(h_pack(&h, "van1", VB_T_STATE, false, "{s:I,s:n,s:{s:b,s:I,s:b}}", "utc",
				(json_int_t)(T0 + 41 * SEC), "session", "emergency", "active", 1, "id",
				(json_int_t)(T0 + 41 * SEC), "covert", 1), 0);
	a = h_open(&h, "van1", VB_K_EMERGENCY);
	assert_non_null(a);
	assert_true(a->covert);
	h_fini(&h);
}

static void pressed_again_rearms(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	int64_t id = T0;
	assert_int_equal(h_emergency(&h, "van1", id, false, false), 0);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_EMERGENCY);
	assert_int_equal(vb_ack(h.vb, &h.now, a->id, "sam", "console", NULL), 0);
	h_drain(&h);
	h_mark(&h);
	h_adv(&h, 10 * MIN);
	assert_int_equal(h_nnotify(&h), 0);
	/* another press: presses 2, acknowledgement reset by the van */
	assert_int_equal(h_pack(&h, "van1", VB_T_EMERGENCY, true, "{s:b,s:I,s:I,s:i,s:b}", "active", 1,
				"id", (json_int_t)id, "raised_utc", (json_int_t)id, "presses", 2,
				"acknowledged", 0), 0);
	a = h_open(&h, "van1", VB_K_EMERGENCY);
	assert_false(a->acked);
	assert_int_equal(h_naudit(&h, VB_AU_REARMED), 1);
	assert_int_equal(h_nnotify(&h), 2);
	assert_non_null(strstr(h_notify(&h, 0)->id, "/a1r0s0/alice/sms"));
	assert_int_equal(h_notify(&h, 0)->msg, VB_MSG_REPEAT);
	h_fini(&h);
}

static void overdue_van_and_base(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	int64_t end = T0 + 10 * MIN;
	assert_int_equal(h_state(&h, "van1", T0, "active", T0 + 60 * MIN, end, false), 0);
	/* planned end + 60 s grace on base's clock, not a millisecond before */
	h_adv(&h, 11 * MIN);
	assert_null(h_open(&h, "van1", VB_K_OVERDUE));
	h_mark(&h);
	h_adv(&h, 1);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_OVERDUE);
	assert_non_null(a);
	assert_false(a->by_van);
	assert_int_equal(a->raised_at, end + 60 * SEC + 1);
	assert_int_equal(a->key, end);
	assert_non_null(strstr(h_notify(&h, 0)->text, "SESSION OVERDUE: van van1, planned end passed 1 min ago"));
	assert_false(h_notify(&h, 0)->position);      /* the least: no position */
	assert_string_equal(h_notify(&h, 0)->pos_text, "");
	/* the van reports it too: the same alarm, now reported by the van */
	assert_int_equal(h_event(&h, "van1", 3, "session.overdue", h.now.utc_ms,
				 json_pack("{s:I,s:i,s:i}", "planned_end_utc", (json_int_t)end,
					   "overdue_s", 60, "repeat", 0)), 0);
	assert_true(h_open(&h, "van1", VB_K_OVERDUE)->by_van);
	assert_int_equal(h_naudit(&h, VB_AU_RAISED), 1);
	/* extended: a new planned end in the future */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 4, "session.extended", h.now.utc_ms, NULL), 0);
	assert_int_equal(h_state(&h, "van1", h.now.utc_ms, "active", T0 + 60 * MIN, T0 + 90 * MIN,
				 false), 0);
	assert_null(h_open(&h, "van1", VB_K_OVERDUE));
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail, "the session was extended");
	/* van-reported only (a state "overdue" with no planned end) on van2 */
	assert_int_equal(h_state(&h, "van2", h.now.utc_ms, "overdue", 0, 0, false), 0);
	a = h_open(&h, "van2", VB_K_OVERDUE);
	assert_non_null(a);
	assert_true(a->by_van);
	assert_int_equal(h_state(&h, "van2", h.now.utc_ms + 1, "ended", 0, 0, false), 0);
	assert_null(h_open(&h, "van2", VB_K_OVERDUE));
	h_fini(&h);
}

static void checkin_offset_settle(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	/* van1's clock is 5 min ahead of base's: due 20:10 van time = 20:05 base */
	int64_t ahead = 5 * MIN;
	int64_t due = T0 + 10 * MIN;
	assert_int_equal(h_state(&h, "van1", T0 + ahead, "active", due, T0 + 4 * 60 * MIN, false), 0);
	h_adv(&h, 6 * MIN);
	assert_null(h_open(&h, "van1", VB_K_CHECKIN));
	h_adv(&h, 1);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_CHECKIN);
	assert_non_null(a);
	assert_int_equal(a->raised_at, due - ahead + 60 * SEC + 1);
	assert_false(a->by_van);
	assert_int_equal(a->since, due - ahead);
	/* the crew checks in: a new due time */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 10, "checkin", h.now.utc_ms + ahead, NULL), 0);
	assert_int_equal(h_state(&h, "van1", h.now.utc_ms + ahead, "active", due + 60 * MIN,
				 T0 + 4 * 60 * MIN, false), 0);
	assert_null(h_open(&h, "van1", VB_K_CHECKIN));
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail, "the crew checked in");
	/* the van reports one missed itself */
	assert_int_equal(h_event(&h, "van1", 11, "checkin.missed", h.now.utc_ms + ahead,
				 json_pack("{s:I,s:i}", "due_utc", (json_int_t)(due + 60 * MIN), "repeat", 0)), 0);
	a = h_open(&h, "van1", VB_K_CHECKIN);
	assert_non_null(a);
	assert_true(a->by_van);
	assert_non_null(strstr(h_notify(&h, h_nnotify(&h) - 1)->text, "(reported by the van)"));
	/* a replayed, older missed (before the state: 1 s slack) changes nothing */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 12, "checkin", h.now.utc_ms + ahead, NULL), 0);
	assert_null(h_open(&h, "van1", VB_K_CHECKIN));
	assert_int_equal(h_event(&h, "van1", 5, "checkin.missed", T0 - 30 * MIN, NULL), 0);
	assert_null(h_open(&h, "van1", VB_K_CHECKIN));
	/* settle: a retained, past-due state of an online van with no known
	 * offset is judged only settle_ms (15 s) after the van was first heard */
	assert_int_equal(h_msg(&h, "van2", VB_T_AVAILABILITY, "online", true), 0);
	assert_int_equal(h_state(&h, "van2", h.now.utc_ms - 10 * MIN, "active", h.now.utc_ms - 5 * MIN,
				 0, true), 0);
	assert_null(h_open(&h, "van2", VB_K_CHECKIN));
	int64_t t = h.now.utc_ms;
	h_adv(&h, 15 * SEC);
	a = h_open(&h, "van2", VB_K_CHECKIN);
	assert_non_null(a);
	assert_int_equal(a->raised_at, t + 15 * SEC);
	h_fini(&h);
}

static void offline_and_silent(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "online", false), 0);
	assert_int_equal(h_state(&h, "van1", T0, "active", T0 + 60 * MIN, T0 + 4 * 60 * MIN, false), 0);
	/* no session on van2: offline is no alarm */
	assert_int_equal(h_state(&h, "van2", T0, "idle", 0, 0, false), 0);
	assert_int_equal(h_msg(&h, "van2", VB_T_AVAILABILITY, "offline", false), 0);
	assert_null(h_open(&h, "van2", VB_K_OFFLINE));
	/* silent: 180 s of nothing, then the alarm */
	h_adv(&h, 180 * SEC);
	assert_null(h_open(&h, "van1", VB_K_SILENT));
	h_mark(&h);
	h_adv(&h, 1);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_SILENT);
	assert_non_null(a);
	assert_false(h_notify(&h, 0)->position);
	/* a location: heard again */
	h_mark(&h);
	assert_int_equal(h_pack(&h, "van1", VB_T_LOCATION, false, "{s:i,s:s,s:s,s:f,s:f}", "seq", 1,
				"time", "2025-06-16T20:03:01.000Z", "fix_time", "2025-06-16T20:03:01.000Z",
				"lat", 53.7, "lon", -1.5), 0);
	assert_null(h_open(&h, "van1", VB_K_SILENT));
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail, "the van was heard again");
	/* base's own link down: nobody is "silent" */
	h_adv(&h, 181 * SEC);
	assert_non_null(h_open(&h, "van1", VB_K_SILENT));
	h_mark(&h);
	vb_link(h.vb, &h.now, false);
	h_drain(&h);
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail,
			    "base lost its own broker link: silence cannot be judged");
	h_adv(&h, 10 * MIN);
	assert_null(h_open(&h, "van1", VB_K_SILENT));
	vb_link(h.vb, &h.now, true);
	h_drain(&h);
	h_adv(&h, 60 * SEC);
	assert_null(h_open(&h, "van1", VB_K_SILENT));   /* counted from the link coming up */
	/* the last will: offline during the session, with the last position */
	h_mark(&h);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "offline", false), 0);
	a = h_open(&h, "van1", VB_K_OFFLINE);
	assert_non_null(a);
	assert_true(h_notify(&h, 0)->position);
	assert_non_null(strstr(h_notify(&h, 0)->pos_text, "53.70000 N, 1.50000 W"));
	assert_non_null(strstr(h_notify(&h, 0)->text, "VAN OFFLINE during a session"));
	assert_null(h_open(&h, "van1", VB_K_SILENT));
	h_mark(&h);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "online", false), 0);
	assert_null(h_open(&h, "van1", VB_K_OFFLINE));
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail, "the van is back online");
	h_fini(&h);
}

/* The van said its power was going (power.failing) before it went offline:
 * the same alarm (base still cannot see the crew), told as a power-down, not
 * a crash; once the van is back, a later offline is a crash again. */
static void offline_after_power_down(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "online", false), 0);
	assert_int_equal(h_state(&h, "van1", T0, "active", T0 + 60 * MIN, T0 + 4 * 60 * MIN, false), 0);
	assert_int_equal(h_event(&h, "van1", 1, "power.failing", T0,
				 json_pack("{s:b,s:b}", "session_running", 1, "at_start", 0)), 0);
	h_mark(&h);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "offline", false), 0);
	assert_non_null(h_open(&h, "van1", VB_K_OFFLINE));
	assert_non_null(strstr(h_notify(&h, 0)->text, "VAN POWERED DOWN during a session"));
	assert_null(strstr(h_notify(&h, 0)->text, "VAN OFFLINE"));
	h_mark(&h);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "online", false), 0);
	assert_null(h_open(&h, "van1", VB_K_OFFLINE));
	h_mark(&h);
	assert_int_equal(h_msg(&h, "van1", VB_T_AVAILABILITY, "offline", false), 0);
	assert_non_null(strstr(h_notify(&h, 0)->text, "VAN OFFLINE during a session"));
	h_fini(&h);
}

static void selftest_failed_and_passed(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_event(&h, "van1", 1, "selftest.failed", T0,
				 json_pack("{s:I,s:i}", "id", (json_int_t)(T0 - MIN), "timeout_s", 60)), 0);
	const struct vb_alarm *a = h_open(&h, "van1", VB_K_SELFTEST_FAILED);
	assert_non_null(a);
	assert_non_null(strstr(h_notify(&h, 0)->text, "SELF-TEST FAILED"));
	assert_string_equal(h_notify(&h, 0)->contact, "alice");   /* a live alarm: the live roster */
	h_mark(&h);
	/* another test fails: still the one alarm */
	assert_int_equal(h_event(&h, "van1", 9, "selftest.failed", T0 + 30 * SEC,
				 json_pack("{s:I,s:i}", "id", (json_int_t)(T0), "timeout_s", 60)), 0);
	assert_int_equal(h_naudit(&h, -1), 0);
	assert_int_equal(h_event(&h, "van1", 2, "emergency.test", T0 + MIN,
				 json_pack("{s:I,s:b,s:i}", "id", (json_int_t)(T0 + MIN), "test", 1,
					   "timeout_s", 60)), 0);
	assert_int_equal(h_event(&h, "van1", 3, "selftest.passed", T0 + MIN,
				 json_pack("{s:I,s:s}", "id", (json_int_t)(T0 + MIN), "by", "tess")), 0);
	assert_null(h_open(&h, "van1", VB_K_SELFTEST_FAILED));
	assert_null(h_open(&h, "van1", VB_K_DRILL));
	h_fini(&h);
}

static void duplicates_by_seq(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_state(&h, "van1", T0, "active", T0 + 60 * MIN, T0 + 4 * 60 * MIN, false), 0);
	assert_int_equal(h_event(&h, "van1", 5000, "checkin.missed", T0, NULL), 0);
	assert_non_null(h_open(&h, "van1", VB_K_CHECKIN));
	assert_int_equal(h_event(&h, "van1", 5001, "checkin", T0, NULL), 0);
	assert_null(h_open(&h, "van1", VB_K_CHECKIN));
	/* seq 5000 again (QoS 1): dropped, no new alarm */
	assert_int_equal(h_event(&h, "van1", 5000, "checkin.missed", T0, NULL), 0);
	assert_null(h_open(&h, "van1", VB_K_CHECKIN));
	/* an event the van could not store: seq null, stored false - used */
	assert_int_equal(h_pack(&h, "van1", VB_T_EVENT, false, "{s:n,s:b,s:s,s:s,s:{}}", "seq",
				"stored", 0, "type", "checkin.missed", "time", "2025-06-16T20:00:01.000Z",
				"data"), 0);
	assert_non_null(h_open(&h, "van1", VB_K_CHECKIN));
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(emergency_topic_covert_ack_clear),
		cmocka_unit_test(emergency_event_only),
		cmocka_unit_test(pressed_again_rearms),
		cmocka_unit_test(overdue_van_and_base),
		cmocka_unit_test(checkin_offset_settle),
		cmocka_unit_test(offline_and_silent),
		cmocka_unit_test(offline_after_power_down),
		cmocka_unit_test(selftest_failed_and_passed),
		cmocka_unit_test(duplicates_by_seq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
