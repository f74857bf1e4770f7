/*
 * test_core_random.c - thousands of random input sequences against the
 * van's invariants.
 *
 * Each run is seeded; a failure prints the seed and step, and
 * VAN_SEED=N VAN_RUNS=1 replays exactly that run.  Invariants checked after
 * every call:
 *   - the count is never negative, and the ledger rebuilt from the events
 *     (entries - exits + correction deltas) equals the count: no occupancy
 *     event is lost or invented;
 *   - after any call the next deadline is in the future (or none);
 *   - event times never go backwards, and every event is stamped "now";
 *   - every event type is one documented in docs/events.md; incidents carry
 *     a category;
 *   - every emergency raised is either cleared or still active (and then
 *     shown to base); the crew never sees a covert one, in the snapshot or
 *     the outputs;
 *   - the entry light follows occupancy >= limit; sessions alternate
 *     started/ended; a save/restore round trip keeps the snapshot.
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_core_harness.h"

static const char *known_types[] = {
	"session.started", "session.ended", "session.extended", "session.end_due",
	"session.overdue", "session.overdue_resolved", "session.crew_changed",
	"checkin", "checkin.reminder", "checkin.late", "checkin.missed", "checkin.requested",
	"checkin.interval_changed",
	"occupancy.entry", "occupancy.exit", "occupancy.corrected", "occupancy.noise",
	"occupancy.over_limit", "occupancy.over_limit_ended", "occupancy.beam_fault",
	"occupancy.beam_ok", "occupancy.seat_discrepancy", "occupancy.end_discrepancy",
	"buzzer.muted", "stop.started", "stop.ended", "door.open_while_moving", "incident",
	"emergency.raised", "emergency.acknowledged", "emergency.cleared", "emergency.test",
	"selftest.passed", "selftest.failed",
};

/* 2000 runs take ~10 s; under ASan each step costs ~10x, so fewer there
 * (VAN_RUNS overrides either). */
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_RUNS 600
#else
#define DEFAULT_RUNS 2000
#endif

struct model {
	unsigned seed;
	int step;
	int64_t ledger;            /* count rebuilt from events */
	int64_t last_mono;
	bool session;
	int64_t em_id;             /* active emergency (0 none) */
	bool em_covert;
	unsigned raised, cleared;
	bool level[VAN_IN__COUNT][4];
	double north;
};

#define CHECK(m, cond)                                                                    \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "FAILED seed %u step %d: %s (%s:%d)\n", (m)->seed, \
				(m)->step, #cond, __FILE__, __LINE__);                    \
			fail();                                                           \
		}                                                                         \
	} while (0)

static unsigned rnd(unsigned *s, unsigned n)
{
	*s = *s * 1664525u + 1013904223u;
	return (*s >> 8) % n;
}

#define NTYPES (sizeof(known_types) / sizeof(known_types[0]))
static unsigned long seen[NTYPES];   /* coverage: how often each type came out */

static bool known(const char *t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(known_types[i], t) == 0) {
			seen[i]++;
			return true;
		}
	return false;
}

static void check_events(struct model *m, struct harness *h)
{
	struct evq *q = h_q(h);
	for (size_t i = 0; i < q->n; i++) {
		const struct van_event *e = &q->v[i];
		CHECK(m, known(e->type));
		CHECK(m, e->mono_ms >= m->last_mono);
		CHECK(m, e->mono_ms == h->now.mono_ms);
		m->last_mono = e->mono_ms;
		if (jtrue(e->data, "incident"))
			CHECK(m, json_is_string(json_object_get(e->data, "category")));
		if (!strcmp(e->type, "occupancy.entry"))
			m->ledger++;
		else if (!strcmp(e->type, "occupancy.exit"))
			m->ledger--;
		else if (!strcmp(e->type, "occupancy.corrected"))
			m->ledger += jint(e->data, "delta");
		else if (!strcmp(e->type, "session.started")) {
			CHECK(m, !m->session);
			m->session = true;
		} else if (!strcmp(e->type, "session.ended")) {
			CHECK(m, m->session);
			m->session = false;
		} else if (!strcmp(e->type, "emergency.raised")) {
			int64_t id = jint(e->data, "id");
			if (!jtrue(e->data, "again") && jint(e->data, "repeat") == 0) {
				CHECK(m, m->em_id == 0);
				m->em_id = id;
				m->raised++;
			} else {
				CHECK(m, m->em_id == id);
			}
			m->em_covert = jtrue(e->data, "covert");
		} else if (!strcmp(e->type, "emergency.cleared")) {
			CHECK(m, m->em_id == jint(e->data, "id"));
			m->em_id = 0;
			m->cleared++;
		}
	}
	evq_clear(q);
}

static void check_state(struct model *m, struct harness *h)
{
	int64_t d = van_next_deadline(h->v);
	CHECK(m, d == -1 || d > h->now.mono_ms);
	json_t *base = h_state(h, true), *crew = NULL;
	json_t *o = json_object_get(base, "occupancy");
	int64_t count = jint(o, "count");
	CHECK(m, count >= 0);
	CHECK(m, count == m->ledger);
	CHECK(m, jint(o, "occupancy") >= count);
	struct van_outputs out = h_out(h);
	CHECK(m, out.entry_light_full == (jint(o, "occupancy") >= jint(o, "limit")));
	const char *st = jstr(json_object_get(base, "session"), "state");
	CHECK(m, m->session == (!strcmp(st, "active") || !strcmp(st, "overdue")));
	json_t *em = json_object_get(base, "emergency");
	CHECK(m, m->raised == m->cleared + (m->em_id != 0));
	CHECK(m, json_is_object(em) == (m->em_id != 0));
	if (m->em_id) {
		CHECK(m, jint(em, "id") == m->em_id);
		CHECK(m, jtrue(em, "covert") == m->em_covert);
		CHECK(m, van_location_interval_ms(h->v) == h->p.emergency_location_interval_s * 1000);
	}
	if (m->em_id && m->em_covert) {
		crew = h_state(h, false);
		CHECK(m, json_is_null(json_object_get(crew, "emergency")));
		CHECK(m, out.alarm_light == VAN_LIGHT_OFF);
		CHECK(m, out.buzzer != VAN_BUZZ_ALARM);
	}
	if (!m->em_id)
		CHECK(m, out.alarm_light == VAN_LIGHT_OFF);
	json_decref(base);
	json_decref(crew);
}

static void reload(struct model *m, struct harness *h)
{
	json_t *saved = van_save(h->v);
	json_t *before = van_state_json(h->v, &h->now, true);
	van_free(h->v);
	h->v = van_new(&h->p);
	if (van_restore(h->v, saved, 0, &h->now) != 0) {
		char *x = json_dumps(saved, JSON_SORT_KEYS | JSON_INDENT(1));
		fprintf(stderr, "restore refused:\n%s\n", x);
		free(x);
		CHECK(m, !"restore refused its own save");
	}
	json_decref(saved);
	check_events(m, h);
	json_t *after = van_state_json(h->v, &h->now, true);
	/* input levels are not saved: compare what is.  Seats count for the
	 * check-in risk, and are re-read only after the restore */
	if (jint(json_object_get(before, "occupancy"), "seats") > 0) {
		json_object_del(json_object_get(before, "session"), "checkin");
		json_object_del(json_object_get(after, "session"), "checkin");
	}
	static const char *keep[] = { "session", "emergency", "selftest", "stop", "fix" };
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *a = json_object_get(before, keep[i]), *b = json_object_get(after, keep[i]);
		if (!json_equal(a, b)) {
			char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);
			fprintf(stderr, "%s before: %s\n%s after:  %s\n", keep[i], x, keep[i], y);
			free(x);
			free(y);
		}
		CHECK(m, json_equal(a, b));
	}
	CHECK(m, jint(json_object_get(before, "occupancy"), "count") ==
		 jint(json_object_get(after, "occupancy"), "count"));
	json_decref(before);
	json_decref(after);
	/* the shell re-reads the levels */
	for (int r = 0; r < VAN_IN__COUNT; r++)
		for (size_t l = 0; l < 4; l++)
			if (m->level[r][l] && (r <= VAN_IN_SEAT)) {
				struct van_input in = { .role = (enum van_in_role)r, .line = l, .active = true };
				van_initial_input(h->v, &in, &h->now);
			}
	memset(m->level[VAN_IN_PANIC], 0, sizeof(m->level[VAN_IN_PANIC]));
}

static void toggle(struct model *m, struct harness *h, enum van_in_role r, size_t line, bool covert)
{
	m->level[r][line] = !m->level[r][line];
	struct van_input in = { .role = r, .line = line, .active = m->level[r][line],
				.covert = covert, .edge_mono_ms = h->now.mono_ms - 5 };
	van_input(h->v, &in, &h->now);
}

static void advance(struct model *m, struct harness *h, unsigned *s)
{
	unsigned k = rnd(s, 10);
	int64_t ms = k < 5 ? rnd(s, 400) : k < 8 ? rnd(s, 60000) : rnd(s, 40 * 60000);
	/* tick at random times, sometimes late, sometimes not at all */
	int64_t end = h->now.mono_ms + ms;
	while (h->now.mono_ms < end) {
		int64_t d = van_next_deadline(h->v);
		int64_t t = d < 0 || d > end ? end : d + rnd(s, 3) * rnd(s, 5000);
		if (t > end)
			t = end;
		h_set(h, t);
		van_tick(h->v, &h->now);
		check_events(m, h);
		d = van_next_deadline(h->v);
		CHECK(m, d == -1 || d > h->now.mono_ms);
	}
}

static void command(struct model *m, struct harness *h, unsigned *s)
{
	const char *why;
	static const char *codes[] = { NULL, "1234", "4711" };
	switch (rnd(s, 17)) {
	case 0: {
		int crew = (int)rnd(s, 4);
		van_session_start(h->v, crew, crew == 1 || (crew == 0 && rnd(s, 2)),
				  rnd(s, 3) ? 0 : h->now.utc_ms + (int64_t)rnd(s, 600) * MIN, NULL,
				  VAN_SRC_VANCTL, &h->now, &why);
		break;
	}
	case 1: van_session_end(h->v, codes[rnd(s, 3)], VAN_SRC_VANCTL, &h->now, &why); break;
	case 2: van_checkin(h->v, codes[rnd(s, 3)], VAN_SRC_BUTTON, &h->now, &why); break;
	case 3: van_session_extend(h->v, 0, (int)rnd(s, 90), VAN_SRC_BASE, &h->now, &why); break;
	case 4: van_set_crew(h->v, (int)rnd(s, 4), VAN_SRC_VANCTL, &h->now, &why); break;
	case 5: van_occupancy_adjust(h->v, rnd(s, 2) ? 1 : -1, VAN_SRC_BUTTON, &h->now, &why); break;
	case 6: van_occupancy_set(h->v, (int)rnd(s, 9), VAN_SRC_VANCTL, &h->now, &why); break;
	case 7: van_empty(h->v, VAN_SRC_VANCTL, &h->now, &why); break;
	case 8: van_mute(h->v, VAN_SRC_BUTTON, &h->now, &why); break;
	case 9: van_incident(h->v, rnd(s, 2) ? "medical" : "nonsense", "note", VAN_SRC_VANCTL, &h->now, &why); break;
	case 10: van_panic(h->v, VAN_SRC_VANCTL, rnd(s, 2), 0, &h->now, &why); break;
	case 11: van_emergency_ack(h->v, 0, "ops", &h->now, &why); break;
	case 12: van_alarm_clear(h->v, VAN_SRC_VANCTL, &h->now, &why); break;
	case 13: van_selftest_start(h->v, VAN_SRC_VANCTL, &h->now, &why); break;
	case 14: van_request_checkin(h->v, "ops", &h->now, &why); break;
	case 15: h->now.utc_ms += ((int64_t)rnd(s, 5) - 2) * 60 * MIN; van_tick(h->v, &h->now); break;
	case 16: reload(m, h); break;
	}
}

static void input(struct model *m, struct harness *h, unsigned *s)
{
	switch (rnd(s, 12)) {
	case 0: case 1: toggle(m, h, VAN_IN_DOOR, rnd(s, 2), false); break;
	case 2: case 3: case 4: toggle(m, h, VAN_IN_BEAM_OUTER, 0, false); break;
	case 5: case 6: case 7: toggle(m, h, VAN_IN_BEAM_INNER, 0, false); break;
	case 8: toggle(m, h, VAN_IN_SEAT, rnd(s, 3), false); break;
	case 9: toggle(m, h, (enum van_in_role)(VAN_IN_BTN_CHECKIN + rnd(s, 7)), 0, false); break;
	case 10: if (rnd(s, 8) == 0) toggle(m, h, VAN_IN_PANIC, rnd(s, 2), rnd(s, 2)); break;
	case 11: {
		m->north += rnd(s, 3) ? 0 : rnd(s, 40);
		if (rnd(s, 10) == 0)
			van_fix_lost(h->v, &h->now);
		else
			h_fix(h, 51.5 + m->north / 111195.0, -0.1, rnd(s, 3) ? 0.2 : (double)rnd(s, 15));
		break;
	}
	}
}

static void one_run(unsigned seed, int steps)
{
	struct harness h;
	struct model m = { .seed = seed };
	unsigned s = seed;
	h_init(&h, NULL);
	if (rnd(&s, 2) == 0) {
		/* edge settings: no door input, zero windows, minute intervals */
		van_free(h.v);
		h.p.beams_need_door = rnd(&s, 2);
		h.p.beam_gap_max_ms = rnd(&s, 2) ? 0 : 400;
		h.p.door_window_s = (int)rnd(&s, 2) * 10;
		h.p.checkin_reminder_s = (int)rnd(&s, 3) * 60;
		h.p.checkin_grace_s = (int)rnd(&s, 3) * 60;
		h.p.checkin_interval_min = 1 + (int)rnd(&s, 60);
		h.p.checkin_interval_lone_min = 1 + (int)rnd(&s, 60);
		h.p.checkin_interval_risk_min = 1 + (int)rnd(&s, 60);
		h.p.overdue_grace_min = (int)rnd(&s, 20);
		h.p.capacity = (int)rnd(&s, 7);
		h.p.per_crew = (int)rnd(&s, 4);
		h.v = van_new(&h.p);
		assert_non_null(h.v);
	}
	for (m.step = 0; m.step < steps; m.step++) {
		unsigned k = rnd(&s, 10);
		if (k < 3)
			advance(&m, &h, &s);
		else if (k < 8)
			input(&m, &h, &s);
		else
			command(&m, &h, &s);
		check_events(&m, &h);
		check_state(&m, &h);
	}
	h_fini(&h);
}

static void random_sequences(void **st)
{
	(void)st;
	const char *env = getenv("VAN_SEED"), *runs_env = getenv("VAN_RUNS");
	unsigned base = env ? (unsigned)strtoul(env, NULL, 0) : 20250615u;
	int runs = runs_env ? atoi(runs_env) : DEFAULT_RUNS;
	for (int i = 0; i < runs; i++)
		one_run(base + (unsigned)i, 300);
	printf("random: %d runs of 300 steps from seed %u passed; events seen:\n", runs, base);
	for (size_t i = 0; i < NTYPES; i++)
		printf("  %-28s %lu\n", known_types[i], seen[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
