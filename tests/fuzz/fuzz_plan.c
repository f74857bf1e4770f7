/*
 * fuzz_plan.c - libFuzzer target: route plan files (controller/planfile.c,
 * the rules in core/plan_def.c) and the tracker a plan becomes
 * (core/plan.c, plan_json.c).  Any input must give errors, never a crash.
 *
 * The bytes are written to PLANS/fuzz.json and read the way the daemon
 * reads a plan (planfile_load_named).  A plan that passes must also:
 *  - come back unchanged through its JSON form, as text (what the saved
 *    state stores and what plan_start re-checks);
 *  - be accepted by plan_start and survive a drive along it: base, every
 *    location (some skipped, an extra stop, check-ins, a stop hint), timers
 *    run to past the plan's end, with plan_save -> text -> plan_restore
 *    half-way giving the same saved state.
 * Any input that is JSON is also offered to plan_restore as saved state.
 * A broken promise aborts (a crash for libFuzzer).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "planfile.h"

#define MIN_MS 60000LL
#define DAY0_UTC 1750032000000LL /* 2025-06-16 00:00:00 UTC */

static char dir[] = "/tmp/vanfuzz-plan.XXXXXX";
static char path[64];

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "fuzz_plan: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

struct run {
	plan_t *p;
	struct evq q;
	struct vtime now;
	struct emit e;
	uint32_t rng;
};

static uint32_t next_rand(struct run *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 17;
	r->rng ^= r->rng << 5;
	return r->rng;
}

/* Move the clock on by ms, running the tracker's timers on the way. */
static void adv(struct run *r, int64_t ms)
{
	int64_t to = r->now.mono_ms + ms;
	for (int k = 0; k < 2000; k++) {
		int64_t dl = plan_next_deadline(r->p);
		if (dl == VAN_NEVER || dl > to)
			break;
		CHECK(dl > r->now.mono_ms);
		r->now.utc_ms += dl - r->now.mono_ms;
		r->now.mono_ms = dl;
		plan_tick(r->p, &r->e);
	}
	r->now.utc_ms += to - r->now.mono_ms;
	r->now.mono_ms = to;
	plan_tick(r->p, &r->e);
	evq_clear(&r->q);
}

static void fix_at(struct run *r, double lat, double lon)
{
	struct fix f = { .mono_ms = r->now.mono_ms, .mode = FIX_3D, .has_latlon = true,
			 .lat = lat, .lon = lon, .alt = NAN, .speed = 0.5, .track = NAN,
			 .eph = 5, .epv = NAN, .sats_used = 8 };
	plan_fix(r->p, &f, &r->e);
	evq_clear(&r->q);
}

/* arrive_fixes + 1 fixes at l, 30 s apart. */
static void visit(struct run *r, const struct plan_def *d, const struct plan_loc *l)
{
	for (int k = 0; k <= d->arrive_fixes; k++) {
		adv(r, 30000);
		fix_at(r, l->lat, l->lon);
	}
}

/* plan_save of p as text (caller frees). */
static char *saved_text(const plan_t *p)
{
	json_t *s = plan_save(p);
	CHECK(s);
	char *t = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(t);
	json_decref(s);
	return t;
}

/* Save, restore from the text into a new tracker, which carries on. */
static void save_restore(struct run *r)
{
	char *t = saved_text(r->p);
	json_error_t je;
	json_t *s = json_loads(t, JSON_REJECT_DUPLICATES, &je);
	CHECK(s);
	plan_t *p2 = plan_new();
	CHECK(p2);
	CHECK(plan_restore(p2, s, 0) == 0);
	json_decref(s);
	char *t2 = saved_text(p2);
	CHECK(strcmp(t, t2) == 0);
	free(t);
	free(t2);
	plan_free(r->p);
	r->p = p2;
}

static bool loc_eq(const struct plan_loc *a, const struct plan_loc *b)
{
	return strcmp(a->name, b->name) == 0 && a->lat == b->lat && a->lon == b->lon &&
	       a->radius_m == b->radius_m && a->earliest == b->earliest &&
	       a->latest == b->latest && a->dwell_min == b->dwell_min && a->checkin == b->checkin;
}

static bool def_eq(const struct plan_def *a, const struct plan_def *b)
{
	if (strcmp(a->name, b->name) || strcmp(a->description, b->description) ||
	    a->start != b->start || a->end != b->end || !loc_eq(&a->base, &b->base) ||
	    a->corridor_m != b->corridor_m || a->off_corridor_min != b->off_corridor_min ||
	    a->unplanned_stop_min != b->unplanned_stop_min ||
	    a->checkin_grace_min != b->checkin_grace_min ||
	    a->checkin_repeat_min != b->checkin_repeat_min || a->arrive_fixes != b->arrive_fixes ||
	    a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!loc_eq(&a->loc[i], &b->loc[i]))
			return false;
	return true;
}

/* A good plan through its JSON form, as text, and back: the same plan. */
static void round_trip(const struct plan_def *d)
{
	CHECK(d->n >= 1 && d->n <= PLAN_LOC_MAX && plan_name_valid(d->name));
	json_t *j = plan_def_to_json(d);
	CHECK(j);
	char *t = json_dumps(j, JSON_COMPACT);
	CHECK(t);
	json_decref(j);
	json_error_t je;
	j = json_loads(t, JSON_REJECT_DUPLICATES, &je);
	CHECK(j);
	free(t);
	struct plan_def *d2 = calloc(1, sizeof(*d2));
	CHECK(d2);
	CHECK(plan_def_from_json(j, d->name, d2, NULL, NULL) == 0);
	json_decref(j);
	CHECK(def_eq(d, d2));
	free(d2);
}

/* Follow the plan: from 5 minutes before its start, around, back to base. */
static void drive(const struct plan_def *d, uint32_t seed)
{
	static const char *const reasons[] = { "police", "safety", "no_service_users", "vehicle",
					       "traffic", "other" };
	struct run r = { .rng = seed | 1 };
	const char *why = NULL;
	int off = (int)(seed % 5) * 3600 - 7200; /* -2 h .. +2 h */

	r.p = plan_new();
	CHECK(r.p);
	r.now = (struct vtime){ .mono_ms = 1000000, .utc_src = UTC_SRC_SYSTEM_SYNCED };
	r.now.utc_ms = DAY0_UTC + (int64_t)d->start * MIN_MS - (int64_t)off * 1000 - 5 * MIN_MS;
	if (seed & 0x100)
		r.now.utc_src = UTC_SRC_SYSTEM_UNSYNCED; /* timetable placed later */
	r.e = (struct emit){ .q = &r.q, .now = &r.now, .sid = 7 };
	CHECK(plan_start(r.p, d, off, &r.e, &why) == 0);
	evq_clear(&r.q);
	CHECK(plan_next_deadline(r.p) == VAN_NEVER || plan_next_deadline(r.p) > r.now.mono_ms);

	visit(&r, d, &d->base);
	r.now.utc_src = UTC_SRC_SYSTEM_SYNCED;
	for (size_t i = 0; i < d->n; i++) {
		uint32_t x = next_rand(&r);
		const struct plan_loc *l = &d->loc[i];
		if (i == d->n / 2)
			save_restore(&r);
		if ((x & 7) == 0) {
			plan_skip(r.p, (x & 8) ? l->name : NULL, reasons[(x >> 4) % 6],
				  VAN_SRC_VANCTL, &r.e, &why);
			evq_clear(&r.q);
			adv(&r, (int64_t)((x >> 8) % 40) * MIN_MS);
			continue;
		}
		if ((x & 7) == 1) {
			plan_add_stop(r.p, reasons[(x >> 4) % 6], VAN_SRC_BASE, &r.e, &why);
			plan_stop(r.p, true, (l->lat + d->base.lat) / 2, (l->lon + d->base.lon) / 2,
				  VAN_NEVER, &r.e);
			adv(&r, (int64_t)((x >> 8) % 30) * MIN_MS);
			plan_stop(r.p, false, l->lat, l->lon, VAN_NEVER, &r.e);
			evq_clear(&r.q);
		}
		/* on the way: half-way between the last place and this one */
		adv(&r, (int64_t)((x >> 8) % 20) * MIN_MS);
		fix_at(&r, (l->lat + d->base.lat) / 2, (l->lon + d->base.lon) / 2);
		visit(&r, d, l);
		json_t *st = plan_state_json(r.p, &r.now);
		CHECK(st);
		json_decref(st);
		if (l->checkin && (x & 0x10000))
			plan_checkin_made(r.p, VAN_SRC_BUTTON, &r.e);
		(void)plan_current_location(r.p);
		adv(&r, (int64_t)(l->dwell_min + (int)((x >> 20) % 5)) * MIN_MS);
	}
	visit(&r, d, &d->base);
	adv(&r, 26 * 60 * MIN_MS); /* every timer, past the end */
	json_t *st = plan_state_json(r.p, &r.now);
	CHECK(st);
	json_decref(st);
	plan_end(r.p, &r.e);
	CHECK(!plan_active(r.p));
	plan_free(r.p);
	evq_fini(&r.q);
}

/* Arbitrary JSON as saved state: refused or restored, never a crash. */
static void restore_any(const uint8_t *data, size_t size)
{
	json_t *s = json_loadb((const char *)data, size, 0, NULL);
	if (!s)
		return;
	plan_t *p = plan_new();
	CHECK(p);
	if (plan_restore(p, s, 0) == 0 && plan_active(p)) {
		struct evq q = { 0 };
		struct vtime now = { .mono_ms = 1000000, .utc_ms = DAY0_UTC };
		struct emit e = { .q = &q, .now = &now, .sid = 7 };
		plan_tick(p, &e);
		json_t *st = plan_state_json(p, &now);
		json_decref(st);
		plan_end(p, &e);
		evq_fini(&q);
	}
	plan_free(p);
	json_decref(s);
}

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/fuzz.json", dir);
		atexit(cleanup);
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);

	struct plan_def *d = malloc(sizeof(*d));
	struct plan_errs errs = { 0 };
	CHECK(d);
	int r = planfile_load_named(dir, "fuzz", d, &errs);
	CHECK(r <= 0);
	CHECK(r == 0 ? errs.n == 0 : errs.n + errs.dropped > 0 || r == -ENOMEM);
	for (size_t i = 0; i < errs.n; i++)
		CHECK(errs.v[i] && strncmp(errs.v[i], path, strlen(path)) == 0);
	plan_errs_free(&errs);
	if (r == 0) {
		uint32_t seed = 2166136261u;
		for (size_t i = 0; i < size; i++)
			seed = (seed ^ data[i]) * 16777619u;
		CHECK(strcmp(d->name, "fuzz") == 0);
		round_trip(d);
		drive(d, seed);
	}
	free(d);
	restore_any(data, size);
	return 0;
}
