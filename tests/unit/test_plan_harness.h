/*
 * test_plan_harness.h - a fake clock, scripted positions and event helpers
 * for the plan tracker's tests (core/plan.h).
 *
 * Positions are metres east/north of a point in Leeds; time moves on
 * test_harness.h's fake clock: pt_adv() ticks the tracker at every deadline
 * it asks for.  Events stay in the queue; ->mark lets a test look only at
 * what came after a point.
 */
#ifndef TEST_PLAN_HARNESS_H
#define TEST_PLAN_HARNESS_H

#include <math.h>

#include "test_harness.h"

#include "core/plan.h"

#define LAT0 53.79
#define LON0 (-1.55)
#define M_LAT (1.0 / 111195.0)
#define M_LON (1.0 / (111195.0 * cos(LAT0 * M_PI / 180)))
#define T0_UTC 1750017600000LL   /* 2025-06-15 20:00:00 UTC */

struct pt {
	plan_t *p;
	struct evq q;
	struct vtime now;
	struct emit e;
	size_t mark;
	double east, north;          /* where the van is, m */
	unsigned rng;
};

static inline void pt_init(struct pt *t, int64_t utc)
{
	memset(t, 0, sizeof(*t));
	t->p = plan_new();
	assert_non_null(t->p);
	t->now = (struct vtime){ .mono_ms = T0_MONO, .utc_ms = utc, .utc_src = UTC_SRC_SYSTEM_SYNCED };
	t->e = (struct emit){ .q = &t->q, .now = &t->now, .sid = 42 };
	t->rng = 12345;
}

static inline void pt_fini(struct pt *t)
{
	plan_free(t->p);
	evq_fini(&t->q);
}

static inline double pt_lat(double north)
{
	return LAT0 + north * M_LAT;
}

static inline double pt_lon(double east)
{
	return LON0 + east * M_LON;
}

static inline struct plan_loc pt_loc(const char *name, double east, double north, int r,
				     int earliest, int latest, int dwell, bool checkin)
{
	struct plan_loc l = { .lat = pt_lat(north), .lon = pt_lon(east), .radius_m = r,
			      .earliest = earliest, .latest = latest, .dwell_min = dwell,
			      .checkin = checkin };
	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

#define HM(h, m) ((h) * 60 + (m))

/* The standard test plan: base (0,0); A (0,1000) 20:10-20:20; B (600,2000)
 * 20:30-20:40, check-in point; C (0,3000) 20:50-21:00.  Start 20:00, end
 * 23:00; corridor 300 m / 10 min; unplanned stop 10 min; check-in grace 10,
 * repeat 15; 3 fixes. */
static inline void pt_def(struct plan_def *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "test");
	d->start = HM(20, 0);
	d->end = HM(23, 0);
	d->base = pt_loc("Base", 0, 0, 100, PLAN_NO_TIME, PLAN_NO_TIME, 0, false);
	d->corridor_m = 300;
	d->off_corridor_min = 10;
	d->unplanned_stop_min = 10;
	d->checkin_grace_min = 10;
	d->checkin_repeat_min = 15;
	d->arrive_fixes = 3;
	d->n = 3;
	d->loc[0] = pt_loc("A", 0, 1000, 100, HM(20, 10), HM(20, 20), 5, false);
	d->loc[1] = pt_loc("B", 600, 2000, 100, HM(20, 30), HM(20, 40), 5, true);
	d->loc[2] = pt_loc("C", 0, 3000, 100, HM(20, 50), HM(21, 0), 5, false);
}

static inline int64_t pt_next_(void *ctx)
{
	return plan_next_deadline(((struct pt *)ctx)->p);
}

static inline void pt_tick_(void *ctx)
{
	struct pt *t = ctx;
	plan_tick(t->p, &t->e);
}

/* Advance by ms, ticking at every deadline on the way and at the end. */
static inline void pt_adv(struct pt *t, int64_t ms)
{
	th_adv(&t->now, ms, pt_next_, pt_tick_, t);
	plan_tick(t->p, &t->e);
}

/* Advance to local 20:00 + minutes m (offset 0, T0_UTC = 20:00). */
static inline void pt_until(struct pt *t, double min)
{
	int64_t at = T0_UTC + (int64_t)(min * MIN);
	assert_true(at >= t->now.utc_ms);
	pt_adv(t, at - t->now.utc_ms);
}

static inline void pt_fix_at(struct pt *t, double east, double north, double speed)
{
	struct fix f = { .mono_ms = t->now.mono_ms, .mode = FIX_3D, .has_latlon = true,
			 .lat = pt_lat(north), .lon = pt_lon(east), .alt = NAN, .speed = speed,
			 .track = NAN, .eph = 5, .epv = NAN, .sats_used = 8 };
	plan_fix(t->p, &f, &t->e);
}

/* One second on, then a fix at the current place. */
static inline void pt_step(struct pt *t, double speed)
{
	pt_adv(t, SEC);
	pt_fix_at(t, t->east, t->north, speed);
}

/* Drive in a straight line to (east, north) at v m/s, one fix a second. */
static inline void pt_drive(struct pt *t, double east, double north, double v)
{
	double de = east - t->east, dn = north - t->north;
	double len = sqrt(de * de + dn * dn);
	int steps = (int)ceil(len / v);
	double e0 = t->east, n0 = t->north;
	for (int i = 1; i <= steps; i++) {
		t->east = e0 + de * i / steps;
		t->north = n0 + dn * i / steps;
		pt_step(t, v);
	}
}

static inline double pt_noise(struct pt *t, double amp)
{
	t->rng = t->rng * 1103515245u + 12345u;
	return ((double)((t->rng >> 8) & 0xffff) / 65535.0 * 2 - 1) * amp;
}

/* Parked for secs seconds with amp metres of position noise. */
static inline void pt_park(struct pt *t, int secs, double amp)
{
	for (int i = 0; i < secs; i++) {
		pt_adv(t, SEC);
		pt_fix_at(t, t->east + pt_noise(t, amp), t->north + pt_noise(t, amp),
			  fabs(pt_noise(t, 0.3)));
	}
}

static inline void pt_mark(struct pt *t)
{
	t->mark = t->q.n;
}

static inline size_t pt_count(const struct pt *t, const char *type)
{
	return th_count(&t->q, t->mark, type);
}

/* Count of every "plan.*" event since the mark. */
static inline size_t pt_count_all(const struct pt *t)
{
	return t->q.n - t->mark;
}

/* The k-th (0-based) event of type since the mark, or NULL. */
static inline const struct van_event *pt_ev(const struct pt *t, const char *type, size_t k)
{
	return th_nth(&t->q, t->mark, type, k);
}

static inline const struct van_event *pt_last(const struct pt *t)
{
	return t->q.n ? &t->q.v[t->q.n - 1] : NULL;
}

static inline int64_t pt_int(const struct van_event *ev, const char *key)
{
	assert_non_null(ev);
	const json_t *v = json_object_get(ev->data, key);
	if (!json_is_integer(v)) {
		fprintf(stderr, "%s: %s is not an integer\n", ev->type, key);
		fail();
	}
	return json_integer_value(v);
}

static inline const char *pt_str(const struct van_event *ev, const char *key)
{
	assert_non_null(ev);
	return json_string_value(json_object_get(ev->data, key));
}

static inline bool pt_bool(const struct van_event *ev, const char *key)
{
	assert_non_null(ev);
	const json_t *v = json_object_get(ev->data, key);
	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

static inline double pt_real(const struct van_event *ev, const char *key)
{
	assert_non_null(ev);
	const json_t *v = json_object_get(ev->data, key);
	assert_true(json_is_number(v));
	return json_number_value(v);
}

/* Print the events since the mark (for failing tests). */
static inline void pt_dump(const struct pt *t)
{
	for (size_t i = t->mark; i < t->q.n; i++) {
		char *s = json_dumps(t->q.v[i].data, JSON_COMPACT);
		fprintf(stderr, "  +%6.1fs %-26s %s\n", (t->q.v[i].mono_ms - T0_MONO) / 1000.0,
			t->q.v[i].type, s ? s : "?");
		free(s);
	}
}

/* The types since the mark, space-separated, "type:location" where the
 * event names a location. */
static inline void pt_types(const struct pt *t, char *buf, size_t n)
{
	th_types(&t->q, t->mark, buf, n);
}

static inline void pt_start(struct pt *t, const struct plan_def *d, int off)
{
	const char *why = NULL;
	int r = plan_start(t->p, d, off, &t->e, &why);
	if (r != 0)
		fprintf(stderr, "plan_start: %d %s\n", r, why ? why : "");
	assert_int_equal(r, 0);
}

#endif
