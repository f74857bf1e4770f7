/*
 * test_occupancy.c - the beam decoder and the occupancy rules.
 */
#include "test_core_harness.h"

#include "core/beams.h"

/* --- the decoder alone --- */

struct seq { enum beam_id id; bool on; };
#define A1 { BEAM_OUTER, true }
#define A0 { BEAM_OUTER, false }
#define B1 { BEAM_INNER, true }
#define B0 { BEAM_INNER, false }

static struct beams_out run(const struct seq *s, size_t n, int64_t step)
{
	struct beams bs;
	struct beams_out tot = { 0 };
	beams_init(&bs, 400, 180000);
	int64_t t = 1000;
	for (size_t i = 0; i < n; i++, t += step) {
		struct beams_out o = beams_edge(&bs, s[i].id, s[i].on, t);
		tot.in += o.in;
		tot.out += o.out;
		tot.aborted += o.aborted;
	}
	return tot;
}
#define RUN(step, ...) ({ static const struct seq s_[] = { __VA_ARGS__ }; \
			  run(s_, sizeof(s_) / sizeof(s_[0]), step); })

static void beams_in_and_out(void **st)
{
	(void)st;
	struct beams_out o = RUN(100, A1, B1, A0, B0);
	assert_int_equal(o.in, 1);
	assert_int_equal(o.out, 0);
	o = RUN(100, B1, A1, B0, A0);
	assert_int_equal(o.in, 0);
	assert_int_equal(o.out, 1);
	/* body deeper than the beam gap: both broken, released in order */
	o = RUN(100, A1, B1, A0, B0, B1, A1, B0, A0);
	assert_int_equal(o.in, 1);
	assert_int_equal(o.out, 1);
	/* repeated levels are ignored */
	o = RUN(100, A1, A1, B1, B1, A0, A0, B0, B0);
	assert_int_equal(o.in, 1);
}

static void beams_aborted(void **st)
{
	(void)st;
	/* one beam, step back */
	struct beams_out o = RUN(100, A1, A0);
	assert_int_equal(o.in + o.out, 0);
	/* both beams, step back out */
	o = RUN(100, A1, B1, B0, A0);
	assert_int_equal(o.in + o.out, 0);
	assert_int_equal(o.aborted, 1);
	/* from inside: reach both, go back in */
	o = RUN(100, B1, A1, A0, B0);
	assert_int_equal(o.in + o.out, 0);
	/* nearly through (inner only), then all the way back out */
	o = RUN(100, A1, B1, A0, A1, B0, A0, A1, A0);
	assert_int_equal(o.in + o.out, 0);
	assert_true(o.aborted >= 1);
	/* step back, then go in after all */
	o = RUN(100, A1, B1, B0, B1, A0, B0);
	assert_int_equal(o.in, 1);
}

static void beams_two_close(void **st)
{
	(void)st;
	/* second person breaks outer while the first still breaks inner */
	struct beams_out o = RUN(80, A1, B1, A0, A1, B0, B1, A0, B0);
	assert_int_equal(o.in, 2);
	assert_int_equal(o.out, 0);
	o = RUN(80, B1, A1, B0, B1, A0, A1, B0, A0);
	assert_int_equal(o.out, 2);
	/* three in a row */
	o = RUN(80, A1, B1, A0, A1, B0, B1, A0, A1, B0, B1, A0, B0);
	assert_int_equal(o.in, 3);
}

static void beams_gap(void **st)
{
	(void)st;
	struct beams bs;
	beams_init(&bs, 400, 180000);
	beams_edge(&bs, BEAM_OUTER, true, 1000);
	beams_edge(&bs, BEAM_OUTER, false, 1200);
	beams_edge(&bs, BEAM_INNER, true, 1500);   /* 300 ms later: same person */
	struct beams_out o = beams_edge(&bs, BEAM_INNER, false, 1700);
	assert_int_equal(o.in, 1);
	beams_edge(&bs, BEAM_OUTER, true, 5000);
	beams_edge(&bs, BEAM_OUTER, false, 5200);
	beams_edge(&bs, BEAM_INNER, true, 5700);   /* 500 ms: someone else, from inside */
	o = beams_edge(&bs, BEAM_INNER, false, 5900);
	assert_int_equal(o.in + o.out, 0);
}

static void beams_stuck(void **st)
{
	(void)st;
	struct beams bs;
	beams_init(&bs, 400, 180000);
	beams_edge(&bs, BEAM_OUTER, true, 1000);
	assert_int_equal(beams_deadline(&bs), 181000);
	struct beams_out o = beams_tick(&bs, 180999);
	assert_int_equal(o.faulted, 0);
	o = beams_tick(&bs, 181000);
	assert_int_equal(o.faulted, 1u << BEAM_OUTER);
	assert_true(beams_any_fault(&bs));
	assert_int_equal(beams_deadline(&bs), INT64_MIN);
	/* inner alone while outer is stuck: no direction, nothing counts */
	beams_edge(&bs, BEAM_INNER, true, 200000);
	o = beams_edge(&bs, BEAM_INNER, false, 200200);
	assert_int_equal(o.in + o.out, 0);
	o = beams_edge(&bs, BEAM_OUTER, false, 300000);
	assert_int_equal(o.recovered, 1u << BEAM_OUTER);
	assert_false(beams_any_fault(&bs));
	beams_edge(&bs, BEAM_OUTER, true, 301000);
	beams_edge(&bs, BEAM_INNER, true, 301100);
	beams_edge(&bs, BEAM_OUTER, false, 301200);
	o = beams_edge(&bs, BEAM_INNER, false, 301300);
	assert_int_equal(o.in, 1);
}

/* --- through the van --- */

static int count(struct harness *h)
{
	json_t *s = h_state(h, true);
	int n = (int)jint(json_object_get(s, "occupancy"), "count");
	json_decref(s);
	return n;
}

static void counts_with_door_open(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_door(&h, true);
	h_cross(&h, true);
	h_cross(&h, true);
	h_cross(&h, false);
	assert_int_equal(count(&h), 1);
	assert_int_equal(h_count(&h, "occupancy.entry"), 2);
	assert_int_equal(h_count(&h, "occupancy.exit"), 1);
	const struct van_event *e = h_last(&h, "occupancy.exit");
	assert_int_equal(jint(e->data, "count"), 1);
	assert_string_equal(jstr(e->data, "source"), "beams");
	h_fini(&h);
}

static void doors_shut_is_noise(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_door(&h, false);          /* a door line exists and is shut */
	h_cross(&h, true);
	assert_int_equal(count(&h), 0);
	assert_int_equal(h_count(&h, "occupancy.noise"), 1);
	assert_string_equal(jstr(h_last(&h, "occupancy.noise")->data, "reason"), "doors_closed");
	/* door window: crossings shortly after closing still count */
	h_door(&h, true);
	h_adv(&h, 5 * SEC);
	h_door(&h, false);
	h_adv(&h, 8 * SEC);
	h_cross(&h, true);
	assert_int_equal(count(&h), 1);
	h_adv(&h, 3 * SEC);         /* now past the 10 s window */
	h_cross(&h, true);
	assert_int_equal(count(&h), 1);
	assert_int_equal(h_count(&h, "occupancy.noise"), 2);
	h_fini(&h);
}

static void no_door_input(struct van_params *p)
{
	p->beams_need_door = false;
}

static void beams_always_count_without_door(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, no_door_input);
	h_cross(&h, true);
	assert_int_equal(count(&h), 1);
	h_fini(&h);
}

static void never_negative(void **st)
{
	(void)st;
	struct harness h;
	const char *why = NULL;
	h_init(&h, NULL);
	h_door(&h, true);
	h_cross(&h, false);         /* exit with nobody recorded aboard */
	assert_int_equal(count(&h), 0);
	assert_string_equal(jstr(h_last(&h, "occupancy.noise")->data, "reason"), "exit_at_zero");
	assert_int_equal(van_occupancy_adjust(h.v, -1, VAN_SRC_BUTTON, &h.now, &why), -ERANGE);
	assert_non_null(why);
	assert_int_equal(count(&h), 0);
	assert_int_equal(h_count(&h, "occupancy.corrected"), 0);
	/* door closes with nobody recorded: nothing changes by itself */
	h_door(&h, false);
	h_adv(&h, 60 * MIN);
	assert_int_equal(count(&h), 0);
	h_fini(&h);
}

static void corrections_and_empty(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_door(&h, true);
	h_cross(&h, true);
	h_cross(&h, true);
	h_press(&h, VAN_IN_BTN_PLUS);             /* someone the beams missed */
	assert_int_equal(count(&h), 3);
	const struct van_event *e = h_last(&h, "occupancy.corrected");
	assert_string_equal(jstr(e->data, "kind"), "plus");
	assert_int_equal(jint(e->data, "delta"), 1);
	assert_string_equal(jstr(e->data, "source"), "button");
	assert_int_equal(van_occupancy_set(h.v, 5, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(van_occupancy_set(h.v, -1, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	assert_int_equal(van_occupancy_adjust(h.v, 0, VAN_SRC_VANCTL, &h.now, &why), -EINVAL);
	h_cross(&h, false);
	assert_int_equal(count(&h), 4);
	assert_int_equal(van_empty(h.v, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(count(&h), 0);
	e = h_last(&h, "occupancy.corrected");
	assert_string_equal(jstr(e->data, "kind"), "empty");
	assert_int_equal(jint(e->data, "delta"), -4);
	h_door(&h, false);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_int_equal(jint(sum, "entries"), 2);
	assert_int_equal(jint(sum, "exits"), 1);
	assert_int_equal(jint(sum, "corrections"), 3);
	assert_int_equal(jint(sum, "correction_total"), 1 + 2 + 4);   /* drift */
	assert_int_equal(jint(sum, "correction_net"), 1 + 2 - 4);
	/* the ledger balances */
	assert_int_equal(jint(sum, "count_at_start") + jint(sum, "entries") - jint(sum, "exits") +
			 jint(sum, "correction_net"), jint(sum, "count_at_end"));
	assert_int_equal(jint(sum, "discrepancy"), 0);
	assert_int_equal(h_count(&h, "occupancy.end_discrepancy"), 0);
	h_fini(&h);
}

static void end_with_people_aboard(void **st)
{
	(void)st;
	struct harness h;
	const char *why = NULL;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_door(&h, true);
	h_cross(&h, true);
	h_cross(&h, true);
	h_cross(&h, false);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_non_null(strstr(why, "still aboard"));
	const struct van_event *e = h_last(&h, "occupancy.end_discrepancy");
	assert_non_null(e);
	assert_int_equal(jint(e->data, "occupancy"), 1);
	assert_int_equal(jint(h_last(&h, "session.ended")->data, "discrepancy"), 1);
	h_fini(&h);
}

static void limit_light_buzzer_mute(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);               /* capacity 6, 3 per crew */
	h_start(&h, 1, true);           /* lone: limit 3 */
	h_door(&h, true);
	for (int i = 0; i < 2; i++)
		h_cross(&h, true);
	assert_false(h_out(&h).entry_light_full);
	h_cross(&h, true);
	assert_true(h_out(&h).entry_light_full);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	assert_int_equal(h_count(&h, "occupancy.over_limit"), 0);
	h_cross(&h, true);                             /* 4 > 3 */
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_CONTINUOUS);
	const struct van_event *e = h_last(&h, "occupancy.over_limit");
	assert_non_null(e);
	assert_int_equal(e->prio, EV_URGENT);
	assert_true(jtrue(e->data, "incident"));
	assert_string_equal(jstr(e->data, "category"), "over_limit");
	assert_int_equal(jint(e->data, "limit"), 3);
	json_t *s = h_state(&h, false);
	assert_true(jtrue(json_object_get(s, "occupancy"), "over"));
	json_decref(s);
	/* mute: silent for mute_s, then back while still over */
	assert_int_equal(van_mute(h.v, VAN_SRC_BUTTON, &h.now, &why), 0);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	assert_int_equal(h_count(&h, "buzzer.muted"), 1);
	h_adv(&h, 299 * SEC);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	h_adv(&h, 1 * SEC);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_CONTINUOUS);
	/* a second crew member arrives: limit 6, no longer over */
	assert_int_equal(van_set_crew(h.v, 2, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(h_count(&h, "occupancy.over_limit_ended"), 1);
	assert_int_equal(h_out(&h).buzzer, VAN_BUZZ_OFF);
	assert_false(h_out(&h).entry_light_full);
	/* and leaves again: over again, a second incident */
	assert_int_equal(van_set_crew(h.v, 1, VAN_SRC_VANCTL, &h.now, &why), 0);
	assert_int_equal(h_count(&h, "occupancy.over_limit"), 2);
	h_cross(&h, false);
	h_cross(&h, false);
	assert_int_equal(van_session_end(h.v, NULL, VAN_SRC_VANCTL, &h.now, &why), 0);
	const json_t *sum = h_last(&h, "session.ended")->data;
	assert_int_equal(jint(sum, "peak_occupancy"), 4);
	assert_int_equal(jint(sum, "over_limit_events"), 2);
	assert_true(jint(sum, "over_limit_s") >= 300);
	assert_true(jint(sum, "at_limit_s") >= jint(sum, "over_limit_s"));
	assert_int_equal(jint(json_object_get(sum, "incidents"), "over_limit"), 2);
	h_fini(&h);
}

static void capacity_caps_limit(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_start(&h, 4, false);      /* 4 x 3 = 12, capacity 6 */
	json_t *s = h_state(&h, true);
	assert_int_equal(jint(json_object_get(s, "occupancy"), "limit"), 6);
	json_decref(s);
	h_fini(&h);
}

static void stuck_beam_fault(void **st)
{
	(void)st;
	struct harness h;
	const char *why;
	h_init(&h, NULL);
	h_door(&h, true);
	h_in(&h, VAN_IN_BEAM_OUTER, 1, true);
	h_adv(&h, 60 * SEC);                           /* someone in the door: no fault */
	assert_int_equal(h_count(&h, "occupancy.beam_fault"), 0);
	h_adv(&h, 120 * SEC);
	assert_int_equal(h_count(&h, "occupancy.beam_fault"), 1);
	assert_string_equal(jstr(h_last(&h, "occupancy.beam_fault")->data, "beam"), "outer");
	json_t *s = h_state(&h, false);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s, "occupancy"), "beam_fault")), 1);
	json_decref(s);
	/* inner alone counts nothing; crew buttons still work */
	h_in(&h, VAN_IN_BEAM_INNER, 2, true);
	h_adv(&h, 300);
	h_in(&h, VAN_IN_BEAM_INNER, 2, false);
	assert_int_equal(count(&h), 0);
	assert_int_equal(van_occupancy_adjust(h.v, 1, VAN_SRC_BUTTON, &h.now, &why), 0);
	assert_int_equal(count(&h), 1);
	/* recovery */
	h_in(&h, VAN_IN_BEAM_OUTER, 1, false);
	assert_int_equal(h_count(&h, "occupancy.beam_ok"), 1);
	assert_true(jint(h_last(&h, "occupancy.beam_ok")->data, "fault_s") >= 180);
	h_cross(&h, true);
	assert_int_equal(count(&h), 2);
	h_fini(&h);
}

static void standing_in_door_then_enters(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_door(&h, true);
	h_in(&h, VAN_IN_BEAM_OUTER, 1, true);
	h_in(&h, VAN_IN_BEAM_INNER, 2, true);
	h_adv(&h, 90 * SEC);
	h_in(&h, VAN_IN_BEAM_OUTER, 1, false);
	h_adv(&h, 200);
	h_in(&h, VAN_IN_BEAM_INNER, 2, false);
	assert_int_equal(count(&h), 1);
	assert_int_equal(h_count(&h, "occupancy.beam_fault"), 0);
	h_fini(&h);
}

static void beam_broken_at_boot(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	struct van_input in = { .role = VAN_IN_BEAM_INNER, .line = 2, .active = true };
	assert_int_equal(van_initial_input(h.v, &in, &h.now), 0);
	in = (struct van_input){ .role = VAN_IN_DOOR, .line = 0, .active = true };
	assert_int_equal(van_initial_input(h.v, &in, &h.now), 0);
	/* the half-seen crossing from before start-up counts nothing */
	h_in(&h, VAN_IN_BEAM_INNER, 2, false);
	assert_int_equal(count(&h), 0);
	h_cross(&h, true);
	assert_int_equal(count(&h), 1);
	json_t *s = h_state(&h, false);
	json_t *d = json_array_get(json_object_get(s, "doors"), 0);
	assert_true(jtrue(d, "open"));
	json_decref(s);
	h_fini(&h);
}

static void seats_second_estimate(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_start(&h, 2, false);
	h_door(&h, true);
	h_cross(&h, true);
	h_in(&h, VAN_IN_SEAT, 10, true);
	assert_int_equal(h_count(&h, "occupancy.seat_discrepancy"), 0);
	h_in(&h, VAN_IN_SEAT, 11, true);               /* 2 seats, count 1 */
	assert_int_equal(h_count(&h, "occupancy.seat_discrepancy"), 1);
	json_t *s = h_state(&h, true);
	json_t *o = json_object_get(s, "occupancy");
	assert_int_equal(jint(o, "count"), 1);
	assert_int_equal(jint(o, "seats"), 2);
	assert_int_equal(jint(o, "occupancy"), 2);
	json_decref(s);
	h_in(&h, VAN_IN_SEAT, 11, false);
	h_in(&h, VAN_IN_SEAT, 11, true);               /* same discrepancy again: reported once more */
	assert_int_equal(h_count(&h, "occupancy.seat_discrepancy"), 2);
	h_cross(&h, true);                             /* count catches up */
	h_in(&h, VAN_IN_SEAT, 11, false);
	h_in(&h, VAN_IN_SEAT, 11, true);
	assert_int_equal(h_count(&h, "occupancy.seat_discrepancy"), 2);
	h_fini(&h);
}

static void too_many_doors(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(h_in(&h, VAN_IN_DOOR, i, true), 0);
	assert_int_equal(h_in(&h, VAN_IN_DOOR, 99, true), -ENOSPC);
	assert_int_equal(h_in(&h, VAN_IN_DOOR, 3, false), 0);   /* closing is no error */
	struct van_input lvl = { .role = VAN_IN_DOOR, .line = 4, .active = true };
	assert_int_equal(van_initial_input(h.v, &lvl, &h.now), 0);
	lvl.active = false;
	assert_int_equal(van_initial_input(h.v, &lvl, &h.now), 0);
	struct van_input in = { .role = (enum van_in_role)99, .active = true };
	assert_int_equal(van_input(h.v, &in, &h.now), -EINVAL);
	h_fini(&h);
}

/* --- edges timed at the edge, not at delivery --- */

/* The shell hands over what one read of the inputs gave: several edges,
 * each with its own stamp, all at one now (after the loop was busy, or an
 * edge held back for another line's debounce).  t0-relative stamps. */
struct edge { enum van_in_role role; bool active; int64_t at; };
#define DOOR(on, at) { VAN_IN_DOOR, on, at }
#define OUTER(on, at) { VAN_IN_BEAM_OUTER, on, at }
#define INNER(on, at) { VAN_IN_BEAM_INNER, on, at }

static void h_batch(struct harness *h, int64_t t0, const struct edge *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t line = e[i].role == VAN_IN_DOOR ? 0 : e[i].role == VAN_IN_BEAM_OUTER ? 1 : 2;
		struct van_input in = { .role = e[i].role, .line = line, .active = e[i].active,
					.edge_mono_ms = t0 + e[i].at };
		assert_true(in.edge_mono_ms <= h->now.mono_ms);
		assert_int_equal(van_input(h->v, &in, &h->now), 0);
	}
}
#define BATCH(h, t0, ...) ({ static const struct edge b_[] = { __VA_ARGS__ }; \
			     h_batch(h, t0, b_, sizeof(b_) / sizeof(b_[0])); })

static void gap_200(struct van_params *p)
{
	p->beam_gap_max_ms = 200;
}

static void gap_400(struct van_params *p)
{
	p->beam_gap_max_ms = 400;
}

/* One crossing, its inner beam broken 300 ms after the outer one cleared,
 * delivered in one batch a while later: judged by the 300 ms (delivery
 * would make it 0 ms and count it under any beam gap). */
static void batch_judged_by_edge_gap(void **st)
{
	(void)st;
	void (*tweak[2])(struct van_params *) = { gap_400, gap_200 };
	for (int i = 0; i < 2; i++) {
		struct harness h;
		h_init(&h, tweak[i]);
		h_door(&h, true);
		int64_t t0 = h.now.mono_ms;
		h_set(&h, t0 + 1000);
		BATCH(&h, t0, OUTER(true, 100), OUTER(false, 300), INNER(true, 600), INNER(false, 800));
		assert_int_equal(count(&h), i == 0 ? 1 : 0);     /* 300 <= 400; 300 > 200 */
		assert_int_equal(h_count(&h, "occupancy.entry"), i == 0 ? 1 : 0);
		h_fini(&h);
	}
}

/* The shipped beam gap (1500 ms): 1600 ms apart by the edges is two
 * people stepping back, not one crossing, even delivered together; 1400 ms
 * is one crossing. */
static void batch_gap_over_max_refused(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	assert_int_equal(h.p.beam_gap_max_ms, 1500);
	h_door(&h, true);
	int64_t t0 = h.now.mono_ms;
	h_set(&h, t0 + 2100);
	BATCH(&h, t0, OUTER(true, 100), OUTER(false, 300), INNER(true, 1900), INNER(false, 2000));
	assert_int_equal(count(&h), 0);
	assert_int_equal(h_count(&h, "occupancy.entry"), 0);
	h_adv(&h, 5000);
	t0 = h.now.mono_ms;
	h_set(&h, t0 + 2100);
	BATCH(&h, t0, OUTER(true, 100), OUTER(false, 300), INNER(true, 1700), INNER(false, 2000));
	assert_int_equal(count(&h), 1);
	h_fini(&h);
}

/* The door window (10 s) runs from the door's closing edge to the beam
 * edge that completes the crossing, however they are delivered. */
static void door_window_by_edges(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	h_door(&h, true);
	h_adv(&h, 5 * SEC);
	/* closed at +100; a crossing that ends 10.8 s later: too late, even
	 * though both arrive in one batch */
	int64_t t0 = h.now.mono_ms;
	h_set(&h, t0 + 11 * SEC);
	BATCH(&h, t0, DOOR(false, 100), OUTER(true, 10300), INNER(true, 10500), OUTER(false, 10700),
	      INNER(false, 10900));
	assert_int_equal(count(&h), 0);
	assert_int_equal(h_count(&h, "occupancy.noise"), 1);
	/* closed at +100 and delivered then; a crossing that ends 9.6 s later,
	 * delivered 12 s after the door closed: in the window */
	h_door(&h, true);
	h_adv(&h, 5 * SEC);
	t0 = h.now.mono_ms;
	h_set(&h, t0 + 100);
	BATCH(&h, t0, DOOR(false, 100));
	h_set(&h, t0 + 12 * SEC);
	BATCH(&h, t0, OUTER(true, 9000), INNER(true, 9200), OUTER(false, 9400), INNER(false, 9600));
	assert_int_equal(count(&h), 1);
	assert_int_equal(h_count(&h, "occupancy.noise"), 1);
	h_fini(&h);
}

/* The stuck-beam timer (shipped: 120 s) runs from the edge that broke the
 * beam, and the fault's length is the edges' distance. */
static void stuck_beam_timed_at_edge(void **st)
{
	(void)st;
	struct harness h;
	h_init(&h, NULL);
	assert_int_equal(h.p.beam_stuck_s, 120);
	h_door(&h, true);
	int64_t t0 = h.now.mono_ms;
	h_set(&h, t0 + 5 * SEC);                      /* delivered 4.9 s late */
	BATCH(&h, t0, OUTER(true, 100));
	assert_int_equal(van_next_deadline(h.v), t0 + 100 + 120 * SEC);
	h_adv(&h, 120 * SEC - 5 * SEC + 99);
	assert_int_equal(h_count(&h, "occupancy.beam_fault"), 0);
	h_adv(&h, 1);
	assert_int_equal(h_count(&h, "occupancy.beam_fault"), 1);
	assert_int_equal(h.now.mono_ms, t0 + 100 + 120 * SEC);
	/* cleared at +150.1 s, delivered 1.5 s later: a 150 s fault */
	h_set(&h, t0 + 151600);
	BATCH(&h, t0, OUTER(false, 150100));
	assert_int_equal(jint(h_last(&h, "occupancy.beam_ok")->data, "fault_s"), 150);
	/* no stamp, or one from the future: the edge is now */
	h_in(&h, VAN_IN_BEAM_INNER, 2, true);
	assert_int_equal(van_next_deadline(h.v), h.now.mono_ms + 120 * SEC);
	h_in(&h, VAN_IN_BEAM_INNER, 2, false);
	struct van_input in = { .role = VAN_IN_BEAM_INNER, .line = 2, .active = true,
				.edge_mono_ms = h.now.mono_ms + 60 * SEC };
	assert_int_equal(van_input(h.v, &in, &h.now), 0);
	assert_int_equal(van_next_deadline(h.v), h.now.mono_ms + 120 * SEC);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(beams_in_and_out),
		cmocka_unit_test(beams_aborted),
		cmocka_unit_test(beams_two_close),
		cmocka_unit_test(beams_gap),
		cmocka_unit_test(beams_stuck),
		cmocka_unit_test(counts_with_door_open),
		cmocka_unit_test(doors_shut_is_noise),
		cmocka_unit_test(beams_always_count_without_door),
		cmocka_unit_test(never_negative),
		cmocka_unit_test(corrections_and_empty),
		cmocka_unit_test(end_with_people_aboard),
		cmocka_unit_test(limit_light_buzzer_mute),
		cmocka_unit_test(capacity_caps_limit),
		cmocka_unit_test(stuck_beam_fault),
		cmocka_unit_test(standing_in_door_then_enters),
		cmocka_unit_test(beam_broken_at_boot),
		cmocka_unit_test(seats_second_estimate),
		cmocka_unit_test(too_many_doors),
		cmocka_unit_test(batch_judged_by_edge_gap),
		cmocka_unit_test(batch_gap_over_max_refused),
		cmocka_unit_test(door_window_by_edges),
		cmocka_unit_test(stuck_beam_timed_at_edge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
