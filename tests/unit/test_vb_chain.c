/*
 * test_vb_chain.c - escalation on base's clock: a 3-step chain with its
 * repeats and the all-clear at exact times, an acknowledgement stopping
 * it, the lifecycle and its audit trail, closing, restore mid-chain (no
 * step lost, none sent twice; an unstored save repeats with the same ids),
 * catching up after downtime, the rota's handover at a slot boundary,
 * drills to the test roster only, and the roster's checks.
 */
#include "test_vb_harness.h"

static const char *open_id(struct vbh *h, const char *unit, enum vb_kind k)
{
	const struct vb_alarm *a = h_open(h, unit, k);
	assert_non_null(a);
	return a->id;
}

static void clear_emergency(struct vbh *h, const char *unit)
{
	assert_int_equal(h_pack(h, unit, VB_T_EMERGENCY, true, "{s:b}", "active", 0), 0);
}

static void three_steps_repeat_all_clear(void **st)
{
	(void)st;
	struct vbh h;
	char who[2048];
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	assert_int_equal(vb_next_deadline(h.vb), T0 + 60 * SEC);
	h_adv(&h, 20 * MIN);
	h_who(&h, T0, who, sizeof(who));
	assert_string_equal(who,
		"alice/sms@0 alice/mail@0 carol/mail@60 mgr/sms@180 "
		"alice/sms@480+ alice/mail@480+ carol/mail@540+ mgr/sms@660+ "
		"alice/sms@960+ alice/mail@960+ carol/mail@1020+ mgr/sms@1140+");
	assert_string_equal(h_notify(&h, 0)->id, "van1-emergency-1/a0r0s0/alice/sms");
	assert_string_equal(h_notify(&h, 4)->id, "van1-emergency-1/a0r1s0/alice/sms");
	assert_string_equal(vb_msg_name(h_notify(&h, 4)->msg, false), "repeat");
	assert_non_null(strstr(h_notify(&h, 4)->text, "Not acknowledged yet (repeat)"));
	/* every id once */
	for (int i = 0; i < h_nnotify(&h); i++)
		for (int k = i + 1; k < h_nnotify(&h); k++)
			assert_string_not_equal(h_notify(&h, i)->id, h_notify(&h, k)->id);
	h_mark(&h);
	clear_emergency(&h, "van1");
	h_who(&h, T0, who, sizeof(who));
	assert_string_equal(who, "alice/sms@1200! alice/mail@1200! carol/mail@1200! mgr/sms@1200!");
	assert_string_equal(h_notify(&h, 0)->id, "van1-emergency-1/clear/alice/sms");
	assert_non_null(strstr(h_notify(&h, 0)->text, "ALL CLEAR: alarm van1-emergency-1"));
	assert_false(h_notify(&h, 0)->position);
	h_mark(&h);
	h_adv(&h, 60 * MIN);
	assert_int_equal(h_nnotify(&h), 0);
	assert_int_equal(vb_next_deadline(h.vb), -1);
	/* resolved and never closed: it leaves memory (and the list) after a day */
	assert_int_equal(vb_alarm_count(h.vb), 1);
	h_adv(&h, 23 * 60 * MIN);
	assert_int_equal(vb_alarm_count(h.vb), 1);
	h_adv(&h, 1);
	assert_int_equal(vb_alarm_count(h.vb), 0);
	h_fini(&h);
}

static void ack_stops_chain_lifecycle(void **st)
{
	(void)st;
	struct vbh h;
	const char *why;
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	char id[VB_ID_MAX];
	vb_copy(id, sizeof(id), open_id(&h, "van1", VB_K_EMERGENCY));
	const struct vb_notify *n = h_notify(&h, 0);
	char nid[VB_NID_MAX];
	vb_copy(nid, sizeof(nid), n->id);
	assert_int_equal(vb_alarm_state(vb_alarm_get(h.vb, id)), VB_ST_RAISED);
	/* the channel reports its attempts */
	assert_int_equal(vb_notified(h.vb, &h.now, nid, false, "HTTP 500\nretry"), 0);
	h_drain(&h);
	assert_int_equal(vb_alarm_state(vb_alarm_get(h.vb, id)), VB_ST_RAISED);
	assert_int_equal(vb_notified(h.vb, &h.now, nid, true, "HTTP 200"), 0);
	h_drain(&h);
	assert_int_equal(vb_alarm_state(vb_alarm_get(h.vb, id)), VB_ST_NOTIFIED);
	assert_int_equal(vb_notified(h.vb, &h.now, "nope/x", true, ""), -ENOENT);
	h_drain(&h);
	assert_int_equal(vb_notified(h.vb, &h.now, "no-slash", true, ""), -ENOENT);
	h_drain(&h);
	const struct vb_audit *r = h_audit(&h, VB_AU_NOTIFIED, 0);
	assert_false(r->ok);
	assert_string_equal(r->detail, "HTTP 500?retry");   /* a channel's text cannot forge lines */
	h_adv(&h, 30 * SEC);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "", "cli", &why), -EINVAL);
	h_drain(&h);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam", "CLI!", &why), -EINVAL);
	h_drain(&h);
	assert_int_equal(vb_ack(h.vb, &h.now, "van1-emergency-99", "Sam", "cli", &why), -ENOENT);
	h_drain(&h);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam", "cli", &why), 0);
	h_drain(&h);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam", "cli", &why), -EALREADY);
	h_drain(&h);
	const struct vb_alarm *a = vb_alarm_get(h.vb, id);
	assert_int_equal(vb_alarm_state(a), VB_ST_ACKED);
	assert_int_equal(a->acked_at, T0 + 30 * SEC);
	assert_string_equal(a->acked_by, "Sam");
	assert_string_equal(a->acked_how, "cli");
	r = h_audit(&h, VB_AU_ACKED, 0);
	assert_string_equal(r->by, "Sam");
	assert_string_equal(r->detail, "after 30 s");
	h_mark(&h);
	h_adv(&h, 60 * MIN);
	assert_int_equal(h_nnotify(&h), 0);           /* no step after the ack */
	/* resolved: the all-clear still goes to everyone told */
	clear_emergency(&h, "van1");
	assert_int_equal(h_nnotify(&h), 2);
	assert_int_equal(vb_alarm_state(vb_alarm_get(h.vb, id)), VB_ST_RESOLVED);
	json_t *list = vb_alarms_json(h.vb);
	json_t *j = json_array_get(json_object_get(list, "alarms"), 0);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "resolved");
	assert_string_equal(json_string_value(json_object_get(j, "acked_by")), "Sam");
	assert_int_equal(json_integer_value(json_object_get(j, "van_id")), T0);
	assert_int_equal(json_array_size(json_object_get(j, "reached")), 2);
	json_decref(list);
	assert_int_equal(vb_close(h.vb, &h.now, id, "mgr", "false alarm\x01", &why), -EINVAL);
	h_drain(&h);
	assert_int_equal(vb_close(h.vb, &h.now, id, "mgr", "crew safe, pressed by mistake", &why), 0);
	h_drain(&h);
	r = h_audit(&h, VB_AU_CLOSED, 0);
	assert_string_equal(r->detail, "crew safe, pressed by mistake");
	assert_null(vb_alarm_get(h.vb, id));          /* closed: the store has it */
	assert_int_equal(vb_close(h.vb, &h.now, id, "mgr", NULL, &why), -ENOENT);
	h_drain(&h);
	/* the whole trail, in order */
	static const int trail[] = { VB_AU_RAISED, VB_AU_NOTIFY, VB_AU_NOTIFY, VB_AU_NOTIFIED,
				     VB_AU_NOTIFIED, VB_AU_ACKED, VB_AU_RESOLVED, VB_AU_NOTIFY,
				     VB_AU_NOTIFY, VB_AU_CLOSED };
	size_t k = 0;
	for (size_t i = 0; i < h.n; i++)
		if (h.log[i].kind == VB_OUT_AUDIT) {
			assert_true(k < sizeof(trail) / sizeof(trail[0]));
			assert_int_equal(h.log[i].u.a.what, trail[k++]);
			assert_string_equal(h.log[i].u.a.alarm_id, id);
		}
	assert_int_equal(k, sizeof(trail) / sizeof(trail[0]));
	h_fini(&h);
}

static void close_while_condition_holds(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	vb_link(h.vb, &h.now, false);
	h_drain(&h);
	assert_int_equal(h_state(&h, "van1", T0, "overdue", 0, 0, false), 0);
	char id[VB_ID_MAX];
	vb_copy(id, sizeof(id), open_id(&h, "van1", VB_K_OVERDUE));
	h_mark(&h);
	assert_int_equal(vb_close(h.vb, &h.now, id, "mgr", "crew phoned, all fine", NULL), 0);
	h_drain(&h);
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail, "closed by mgr");
	assert_int_equal(h_nnotify(&h), 2);           /* all clear to alice */
	h_mark(&h);
	h_adv(&h, 30 * MIN);
	assert_int_equal(h_naudit(&h, VB_AU_RAISED), 0);   /* not raised again while it holds */
	assert_int_equal(h_state(&h, "van1", h.now.utc_ms, "ended", 0, 0, false), 0);
	assert_int_equal(h_state(&h, "van1", h.now.utc_ms + 1, "overdue", 0, 0, false), 0);
	assert_int_equal(h_naudit(&h, VB_AU_RAISED), 1);   /* a new one, once it was over */
	assert_string_not_equal(open_id(&h, "van1", VB_K_OVERDUE), id);
	h_fini(&h);
}

/* run an emergency from T0 to T0 + total, killed at `killed` (after T0 +
 * saved_at, when it was saved) and restored from that save at `at`; the ids
 * decided by both runs */
static int run_restart(int64_t saved_at, int64_t killed, int64_t at, int64_t total,
		       char ids[][VB_NID_MAX], int max)
{
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	json_t *saved = NULL;
	if (saved_at >= 0) {
		h_adv(&h, saved_at);
		saved = vb_save(h.vb);
		assert_non_null(saved);
		h_adv(&h, killed - saved_at);
		/* SIGKILL; what was decided after the save was not stored */
		char *text = json_dumps(saved, JSON_COMPACT);
		json_decref(saved);
		vb_free(h.vb);
		json_error_t err;
		saved = json_loads(text, 0, &err);
		free(text);
		assert_non_null(saved);
		h_set(&h, T0 + at);
		h.vb = vb_new(&h.p, &h.r);
		assert_int_equal(vb_unit_add(h.vb, "van1"), 0);
		assert_int_equal(vb_unit_add(h.vb, "van2"), 0);
		assert_int_equal(vb_restore(h.vb, saved, NULL), 0);
		json_decref(saved);
		vb_link(h.vb, &h.now, true);
		h_drain(&h);
		h_drain(&h);
		h_adv(&h, total - at);
	} else {
		h_adv(&h, total);
	}
	int n = 0;
	for (size_t i = 0; i < h.n; i++)
		if (h.log[i].kind == VB_OUT_NOTIFY) {
			assert_true(n < max);
			vb_copy(ids[n++], VB_NID_MAX, h.log[i].u.n.id);
		}
	h_fini(&h);
	return n;
}

static void restore_mid_chain(void **st)
{
	(void)st;
	static char a[64][VB_NID_MAX], b[64][VB_NID_MAX];
	int na = run_restart(-1, 0, 0, 20 * MIN, a, 64);
	assert_int_equal(na, 12);
	/* saved at 90 s (steps 0 and 1 sent), restarted at once: the same ids, once each */
	int nb = run_restart(90 * SEC, 90 * SEC, 90 * SEC, 20 * MIN, b, 64);
	assert_int_equal(nb, na);
	for (int i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
	/* saved at 30 s, killed at 90 s: step 1 (at 60 s) was decided but not
	 * stored, so it is decided again - with the same id - and nothing else twice */
	nb = run_restart(30 * SEC, 90 * SEC, 90 * SEC, 20 * MIN, b, 64);
	assert_int_equal(nb, na + 1);
	assert_string_equal(b[2], "van1-emergency-1/a0r0s1/carol/mail");
	assert_string_equal(b[3], "van1-emergency-1/a0r0s1/carol/mail");
	for (int i = 0; i < na; i++)
		assert_string_equal(a[i], b[i < 3 ? i : i + 1]);
}

static void catch_up_after_downtime(void **st)
{
	(void)st;
	static char b[64][VB_NID_MAX];
	/* down from 30 s to 30 min: the first round's late steps all go (they
	 * reach other people), then only the latest repeat round due (3) */
	int n = run_restart(30 * SEC, 30 * SEC, 30 * MIN, 30 * MIN, b, 64);
	assert_int_equal(n, 2 + 2 + 4);
	assert_string_equal(b[2], "van1-emergency-1/a0r0s1/carol/mail");
	assert_string_equal(b[3], "van1-emergency-1/a0r0s2/mgr/sms");
	assert_string_equal(b[4], "van1-emergency-1/a0r3s0/alice/sms");
	assert_string_equal(b[7], "van1-emergency-1/a0r3s2/mgr/sms");
}

static void rota_handover(void **st)
{
	(void)st;
	struct vbh h;
	char who[512];
	h_init(&h, NULL);
	vb_link(h.vb, &h.now, false);
	h_drain(&h);
	/* Wednesday 23:50: alice's slot ends at Thursday 00:00 (mow 4320) */
	int64_t t = MON0 + (2 * 1440 + 23 * 60 + 50) * MIN;
	h_set(&h, t);
	assert_int_equal(h_state(&h, "van1", t, "active", 0, 0, false), 0);
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 1, "checkin.missed", t, NULL), 0);
	h_adv(&h, 25 * MIN);
	h_who(&h, t, who, sizeof(who));
	/* the repeat exactly at the boundary is the new holder's */
	assert_string_equal(who, "alice/sms@0 alice/mail@0 bob/sms@600 bob/sms@1200+");
	assert_int_equal(h_notify(&h, 2)->msg, VB_MSG_RAISE);   /* new to bob */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 2, "checkin", h.now.utc_ms, NULL), 0);
	h_who(&h, t, who, sizeof(who));
	assert_string_equal(who, "alice/sms@1500! alice/mail@1500! bob/sms@1500!");
	h_fini(&h);
}

static void drill_test_roster_only(void **st)
{
	(void)st;
	struct vbh h;
	char id[VB_ID_MAX];
	const char *why;
	h_init(&h, NULL);
	assert_int_equal(vb_drill(h.vb, &h.now, "", id, &why), -EINVAL);
	h_drain(&h);
	assert_int_equal(vb_drill(h.vb, &h.now, "lead", id, &why), 0);
	h_drain(&h);
	assert_string_equal(id, "base-drill-1");
	h_adv(&h, 200 * SEC);
	/* the emergency chain on the test rota: tess, tess, and mgr refused */
	assert_int_equal(h_nnotify(&h), 2);
	for (int i = 0; i < h_nnotify(&h); i++) {
		const struct vb_notify *n = h_notify(&h, i);
		assert_string_equal(n->contact, "tess");
		assert_true(n->drill);
		assert_string_equal(vb_msg_name(n->msg, n->drill), "drill");
		assert_true(strncmp(n->text, "DRILL - TEST ONLY", 17) == 0);
		assert_false(n->position);
	}
	const struct vb_audit *r = h_audit(&h, VB_AU_NOTIFY, 2);
	assert_false(r->ok);
	assert_non_null(strstr(r->detail, "contact mgr: a drill reaches only the test roster"));
	h_mark(&h);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "tess", "cli", &why), 0);
	h_drain(&h);
	assert_string_equal(h_audit(&h, VB_AU_RESOLVED, 0)->detail, "acknowledged: the drill passed");
	assert_int_equal(h_nnotify(&h), 1);
	assert_int_equal(h_notify(&h, 0)->msg, VB_MSG_ALL_CLEAR);
	assert_true(strncmp(h_notify(&h, 0)->text, "DRILL - ALL CLEAR", 17) == 0);
	/* a drill nobody acknowledges fails at drill_timeout (15 min) */
	h_mark(&h);
	assert_int_equal(vb_drill(h.vb, &h.now, "lead", id, &why), 0);
	h_drain(&h);
	int64_t t = h.now.utc_ms;
	h_adv(&h, 16 * MIN);
	const struct vb_alarm *a = vb_alarm_get(h.vb, id);
	assert_true(a->resolved);
	assert_int_equal(a->resolved_at, t + 15 * MIN);
	assert_string_equal(a->resolved_why, "not acknowledged in time: the drill failed");
	/* the van's self-test is a drill too, for the test roster */
	h_mark(&h);
	assert_int_equal(h_event(&h, "van1", 1, "emergency.test", h.now.utc_ms,
				 json_pack("{s:I,s:b,s:i}", "id", (json_int_t)h.now.utc_ms, "test", 1,
					   "timeout_s", 120)), 0);
	a = h_open(&h, "van1", VB_K_DRILL);
	assert_non_null(a);
	assert_true(a->drill);
	assert_string_equal(h_notify(&h, 0)->contact, "tess");
	assert_non_null(strstr(h_notify(&h, 0)->text, "van van1 started an emergency self-test"));
	assert_int_equal(h_event(&h, "van1", 2, "selftest.passed", h.now.utc_ms,
				 json_pack("{s:I}", "id", (json_int_t)h.now.utc_ms)), 0);
	assert_null(h_open(&h, "van1", VB_K_DRILL));
	for (size_t i = 0; i < h.n; i++)
		if (h.log[i].kind == VB_OUT_NOTIFY)
			assert_string_equal(h.log[i].u.n.contact, "tess");   /* never the live roster */
	h_fini(&h);
}

static void covert_and_least(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0 - 90 * SEC, true, false), 0);
	h_adv(&h, 8 * MIN + 1);
	for (int i = 0; i < h_nnotify(&h); i++) {
		const char *t = h_notify(&h, i)->text;
		assert_true(strncmp(t, "COVERT EMERGENCY: van van1 raised a covert alarm", 48) == 0);
		assert_non_null(strstr(t, "Do NOT call the van openly"));
		assert_null(strstr(t, "Phone"));
		assert_null(strstr(t, "53.7"));           /* the position only in pos_text */
		assert_true(h_notify(&h, i)->position);
	}
	assert_non_null(strstr(h_notify(&h, 0)->text, "1 min ago"));
	assert_non_null(strstr(h_notify(&h, 4)->text, "9 min ago"));
	h_fini(&h);
}

static void bad(void *ctx, const char *what, int index, const char *why)
{
	print_message("roster: %s[%d]: %s\n", what, index, why);
	(*(int *)ctx)++;
}

static void roster_checks(void **st)
{
	(void)st;
	struct vb_roster r;
	struct vb_params p;
	const char *why;
	vb_params_default(&p);
	h_roster(&r);
	int n = 0;
	assert_int_equal(vb_roster_check(&r, bad, &n), 0);
	h_slot(&r.rota[r.nrota++], "on_call", "tess", 0, 0);          /* a test contact on the live rota */
	h_slot(&r.test_rota[r.ntest_rota++], "x", "alice", 0, 0);     /* a live contact on the test rota */
	h_slot(&r.rota[r.nrota++], "on_call", "nobody", 0, 10080);    /* no such contact, bad time */
	r.chains[VB_K_CHECKIN].steps[0].at_ms = -1;
	h_step(&r.chains[VB_K_OFFLINE], 0, "ghost", false, NULL);     /* no such contact, time not growing */
	vb_copy(r.contacts[1].name, VB_NAME_MAX, "alice");            /* twice */
	int found = vb_roster_check(&r, bad, &n);
	assert_int_equal(found, n);
	assert_int_equal(n, 9);
	assert_null(vb_new(&p, &r));
	h_roster(&r);
	vb_t *vb = vb_new(&p, &r);
	assert_non_null(vb);
	struct vb_roster r2 = r;
	r2.contacts[0].nchannels = 0;
	assert_int_equal(vb_set_roster(vb, &r2, &why), -EINVAL);
	assert_int_equal(vb_set_roster(vb, &r, &why), 0);
	vb_free(vb);
	vb_free(NULL);
}

static void times_and_views(void **st)
{
	(void)st;
	int f, t;
	assert_int_equal(vb_mow_parse("Mon 00:00"), 0);
	assert_int_equal(vb_mow_parse("Sun 23:59"), VB_MOW - 1);
	assert_int_equal(vb_mow_parse("Wed 24:00"), -1);
	assert_int_equal(vb_mow_parse("Xyz 10:00"), -1);
	assert_int_equal(vb_mow_parse("Mon 9:00"), -1);
	assert_int_equal(vb_slot_times("Fri 18:00-Mon 08:00", &f, &t), 0);
	assert_int_equal(f, 4 * 1440 + 18 * 60);
	assert_int_equal(t, 8 * 60);
	assert_int_equal(vb_slot_times("always", &f, &t), 0);
	assert_int_equal(f, t);
	assert_int_equal(vb_slot_times("Fri 18:00-Fri 18:00", &f, &t), -EINVAL);
	assert_int_equal(vb_slot_times("Fri 18:00 Mon 08:00", &f, &t), -EINVAL);
	assert_int_equal(vb_mow_of(0, 23, 59), VB_MOW - 1);   /* Sunday */
	assert_int_equal(vb_mow_of(1, 0, 0), 0);              /* Monday */
	assert_int_equal(vb_mow_of(7, 0, 0), -1);
	/* a wrapping slot: Friday evening to Monday morning */
	struct vbh h;
	h_init(&h, NULL);
	struct vb_roster r = h.r;
	h_slot(&r.rota[0], "on_call", "carol", 0, 0);
	assert_int_equal(vb_slot_times("Fri 18:00-Mon 08:00", &r.rota[0].from_mow, &r.rota[0].to_mow), 0);
	assert_string_equal(vb_rota_who(&r, "on_call", vb_mow_parse("Sat 12:00"), false)->name, "carol");
	assert_string_equal(vb_rota_who(&r, "on_call", vb_mow_parse("Mon 07:59"), false)->name, "carol");
	assert_string_equal(vb_rota_who(&r, "on_call", vb_mow_parse("Mon 08:00"), false)->name, "bob");
	assert_null(vb_rota_who(&r, "nobody", 0, false));
	assert_null(vb_rota_who(&r, "on_call", VB_MOW, false));
	/* the notification's JSON carries the position only when asked and allowed */
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	json_t *with = vb_notify_json(h_notify(&h, 0), true), *without = vb_notify_json(h_notify(&h, 0), false);
	assert_non_null(json_object_get(with, "lat"));
	assert_null(json_object_get(without, "lat"));
	assert_null(json_object_get(without, "position"));
	assert_string_equal(json_string_value(json_object_get(with, "msg")), "raise");
	assert_string_equal(json_string_value(json_object_get(with, "kind")), "emergency");
	json_decref(with);
	json_decref(without);
	json_t *au = vb_audit_json(h_audit(&h, VB_AU_RAISED, 0));
	assert_string_equal(json_string_value(json_object_get(au, "what")), "raised");
	assert_true(json_is_null(json_object_get(au, "by")));
	json_decref(au);
	h_fini(&h);
}

static void reload_mid_chain(void **st)
{
	(void)st;
	struct vbh h;
	char who[1024];
	const char *why;
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	h_adv(&h, 90 * SEC);
	/* SIGHUP: the manager's step moves to 120 s and to mail */
	struct vb_roster r = h.r;
	r.chains[VB_K_EMERGENCY].steps[2].at_ms = 120 * SEC;
	vb_copy(r.chains[VB_K_EMERGENCY].steps[2].channels[0], VB_NAME_MAX, "mail");
	assert_int_equal(vb_set_roster(h.vb, &r, &why), 0);
	h_mark(&h);
	h_adv(&h, 60 * SEC);
	h_who(&h, T0, who, sizeof(who));
	assert_string_equal(who, "mgr/mail@120");
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(three_steps_repeat_all_clear),
		cmocka_unit_test(ack_stops_chain_lifecycle),
		cmocka_unit_test(close_while_condition_holds),
		cmocka_unit_test(restore_mid_chain),
		cmocka_unit_test(catch_up_after_downtime),
		cmocka_unit_test(rota_handover),
		cmocka_unit_test(drill_test_roster_only),
		cmocka_unit_test(covert_and_least),
		cmocka_unit_test(roster_checks),
		cmocka_unit_test(reload_mid_chain),
		cmocka_unit_test(times_and_views),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
