/*
 * test_core_harness.h - the van's tests on test_harness.h's fake clock and
 * event views: h_adv() ticks the van at every deadline it asks for; events
 * stay in the van's queue, h->mark lets a test look only at what came after
 * a point.
 */
#ifndef TEST_CORE_HARNESS_H
#define TEST_CORE_HARNESS_H

#include "test_harness.h"

#include "core/van.h"

#define T0_UTC 1750000000000LL         /* 2025-06-15 */

struct harness {
	van_t *v;
	struct van_params p;
	struct vtime now;
	size_t mark;
};

static inline struct evq *h_q(struct harness *h)
{
	return van_evq(h->v);
}

static inline void h_init(struct harness *h, void (*tweak)(struct van_params *))
{
	memset(h, 0, sizeof(*h));
	van_params_default(&h->p);
	h->p.incident_types = "aggression,medical,safeguarding,other";
	h->p.duress_code = "4711";
	if (tweak)
		tweak(&h->p);
	h->v = van_new(&h->p);
	assert_non_null(h->v);
	h->now = (struct vtime){ .mono_ms = T0_MONO, .utc_ms = T0_UTC, .utc_src = UTC_SRC_SYSTEM_SYNCED };
}

/* Tweaks for h_init: values other than the shipped defaults that a test's
 * timeline was written for, set explicitly (van_params_default() is the van
 * that ships: tests/unit/test_conf.c, test_core_defaults_are_shipped). */

/* The check-in reminder 2 min ahead (shipped: 5 min). */
static inline void h_reminder_2min(struct van_params *p)
{
	p->checkin_reminder_s = 120;
}

static inline void h_fini(struct harness *h)
{
	van_free(h->v);
	h->v = NULL;
}

/* Move the clock to mono t (both clocks advance together). */
static inline void h_set(struct harness *h, int64_t t)
{
	th_set(&h->now, t);
}

static inline int64_t h_next_(void *ctx)
{
	return van_next_deadline(((struct harness *)ctx)->v);
}

static inline void h_tick_(void *ctx)
{
	struct harness *h = ctx;
	van_tick(h->v, &h->now);
}

/* Advance by ms, ticking at every deadline on the way (and checking that
 * the van never asks for a deadline in the past). */
static inline void h_adv(struct harness *h, int64_t ms)
{
	th_adv(&h->now, ms, h_next_, h_tick_, h);
}

static inline void h_mark(struct harness *h)
{
	h->mark = h_q(h)->n;
}

/* Events of TYPE since the mark. */
static inline int h_count(struct harness *h, const char *type)
{
	return (int)th_count(h_q(h), h->mark, type);
}

/* The newest event of TYPE since the mark, or NULL. */
static inline const struct van_event *h_last(struct harness *h, const char *type)
{
	return th_last(h_q(h), h->mark, type);
}

static inline json_int_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static inline const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static inline bool jtrue(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static inline int h_in(struct harness *h, enum van_in_role role, size_t line, bool active)
{
	struct van_input in = { .role = role, .line = line, .active = active };
	return van_input(h->v, &in, &h->now);
}

static inline void h_press(struct harness *h, enum van_in_role role)
{
	h_in(h, role, 0, true);
	h_adv(h, 200);
	h_in(h, role, 0, false);
}

/* One person crossing the beams: in = outer then inner. */
static inline void h_cross(struct harness *h, bool in)
{
	enum van_in_role a = in ? VAN_IN_BEAM_OUTER : VAN_IN_BEAM_INNER;
	enum van_in_role b = in ? VAN_IN_BEAM_INNER : VAN_IN_BEAM_OUTER;
	h_in(h, a, 1, true);
	h_adv(h, 150);
	h_in(h, b, 2, true);
	h_adv(h, 150);
	h_in(h, a, 1, false);
	h_adv(h, 150);
	h_in(h, b, 2, false);
	h_adv(h, 500);
}

static inline void h_door(struct harness *h, bool open)
{
	h_in(h, VAN_IN_DOOR, 0, open);
}

static inline void h_start(struct harness *h, int crew, bool lone)
{
	const char *why = NULL;
	assert_int_equal(van_session_start(h->v, crew, lone, 0, NULL, VAN_SRC_VANCTL, &h->now, &why), 0);
}

static inline struct van_outputs h_out(struct harness *h)
{
	struct van_outputs o;
	van_outputs(h->v, &h->now, &o);
	return o;
}

/* A fix at lat/lon with speed (NaN = unknown). */
static inline void h_fix(struct harness *h, double lat, double lon, double speed)
{
	struct fix f = { .mono_ms = h->now.mono_ms, .mode = FIX_3D, .has_latlon = true,
			 .lat = lat, .lon = lon, .alt = 0, .speed = speed, .track = 0,
			 .eph = 5, .epv = 8, .sats_used = 8 };
	van_fix(h->v, &f, &h->now);
}

/* The state snapshot's sub-object KEY (caller decrefs the whole state). */
static inline json_t *h_state(struct harness *h, bool for_base)
{
	json_t *s = van_state_json(h->v, &h->now, for_base);
	assert_non_null(s);
	return s;
}

#endif
