/*
 * plan.c - the plan tracker: where the van is against where the plan says
 * it should be.  See plan.h; the rules in words are in docs/plans.md.
 *
 * Per planned location: PENDING -> ONSITE -> VISITED, or SKIPPED (by the
 * crew, or found skipped when the van arrived at a later location; a
 * skipped location can still be arrived at).  Position matching:
 *  - arrival: arrive_fixes consecutive fixes within the radius of the same
 *    PENDING/SKIPPED location (the lowest in plan order when several);
 *    arrival time = the first of them;
 *  - departure: arrive_fixes consecutive fixes beyond radius + max(20 m,
 *    20 %); departure time = the first of them;
 *  - the base works the same way (left / returned);
 *  - corridor: the segment from the previous location (last arrived at;
 *    the base before the first) to the next PENDING one (the base after
 *    the last).  Off after arrive_fixes fixes further than corridor_m, back
 *    after arrive_fixes fixes within corridor_m - max(20 m, 20 %);
 *  - stationary (own detector, unless the shell gives hints): a fix slower
 *    than 1 m/s (or without speed) begins it, two fixes in a row more than
 *    50 m from that first fix end it.
 * Every call first runs the timers due at now, handles its input, then
 * runs them again (an input may make one due at once).
 */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "geo.h"
#include "plan_impl.h"

/* ------------------------------------------------------------- helpers */

static double margin(double r)
{
	return r * 0.2 > 20.0 ? r * 0.2 : 20.0;
}

const struct plan_loc *pl_loc_at(const plan_t *p, int i)
{
	return i < 0 ? &p->def.base : &p->def.loc[i];
}

int pl_next_idx(const plan_t *p)
{
	for (size_t i = 0; i < p->def.n; i++)
		if (p->rt[i].st == LS_PENDING)
			return (int)i;
	return -1;
}

double pl_dist_to(const plan_t *p, int i, double lat, double lon)
{
	const struct plan_loc *l = pl_loc_at(p, i);
	return geo_distance_m(l->lat, l->lon, lat, lon);
}

double pl_dist_now(const plan_t *p, int i)
{
	return p->have_pos ? round(pl_dist_to(p, i, p->lat, p->lon)) : NAN;
}

static double corridor_distance(const plan_t *p, double lat, double lon)
{
	const struct plan_loc *a = pl_loc_at(p, p->prev), *b = pl_loc_at(p, pl_next_idx(p));
	return geo_distance_to_segment_m(lat, lon, a->lat, a->lon, b->lat, b->lon);
}

static bool known_place(const plan_t *p, double lat, double lon)
{
	for (int i = -1; i < (int)p->def.n; i++) {
		const struct plan_loc *l = pl_loc_at(p, i);
		if (pl_dist_to(p, i, lat, lon) <= l->radius_m + margin(l->radius_m))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------- local time */

#define PL_OFF_MAX_S (16 * 3600)
#define PL_UTC_MAX_MS 253402300800000LL     /* year 10000: beyond any real instant */

bool plan_tz_valid(struct plan_tz tz)
{
	if (tz.off_s < -PL_OFF_MAX_S || tz.off_s > PL_OFF_MAX_S)
		return false;
	if (tz.change_utc_ms == PLAN_TZ_NONE)
		return true;
	return tz.off_after_s >= -PL_OFF_MAX_S && tz.off_after_s <= PL_OFF_MAX_S &&
	       tz.change_utc_ms > -PL_UTC_MAX_MS && tz.change_utc_ms < PL_UTC_MAX_MS;
}

int plan_tz_offset_at(struct plan_tz tz, int64_t utc_ms)
{
	return utc_ms < tz.change_utc_ms ? tz.off_s : tz.off_after_s;
}

/* The instant of local wall-clock time `local` on a clock (UTC, or the
 * monotonic clock: local = clock + offset) whose offset is off_s before the
 * instant `change` and after_s from it on. */
static int64_t tz_map(int64_t local, int off_s, int64_t change, int after_s)
{
	int64_t before = local - off_s * 1000LL, after = local - after_s * 1000LL;
	/* before the change; a local time that shows twice (clocks back: the
	 * hour after the change repeats the one before it) is taken at its
	 * FIRST occurrence, with the offset before the change */
	if (before < change)
		return before;
	if (after >= change)
		return after;
	/* clocks forward: the local time was skipped (never on the clock); read
	 * with the offset before the change it falls after the change, i.e.
	 * moved forward by the gap (01:30 on a 01:00 -> 02:00 night = 02:30) */
	return before;
}

int64_t plan_tz_utc(struct plan_tz tz, int64_t local_ms)
{
	return tz_map(local_ms, tz.off_s, tz.change_utc_ms, tz.off_after_s);
}

/* Local wall-clock ms of the plan's start nearest to utc_ms. */
static int64_t start_local(const struct plan_def *d, int64_t utc_ms, struct plan_tz tz)
{
	int off = plan_tz_offset_at(tz, utc_ms);
	return plan_start_utc(d, utc_ms, off) + off * 1000LL;
}

int64_t plan_local_utc(const struct plan_def *d, int64_t utc_ms, struct plan_tz tz, int tod)
{
	return plan_tz_utc(tz, start_local(d, utc_ms, tz) + plan_tl(d, tod) * PL_MIN_MS);
}

int64_t pl_tl_mono(const plan_t *p, int tod)
{
	if (!p->anchored || tod == PLAN_NO_TIME)
		return VAN_NEVER;
	int64_t t = p->anchor_mono + plan_tl(&p->def, tod) * PL_MIN_MS;
	if (p->tz_change_mono == VAN_NEVER)
		return t;
	/* on the monotonic clock: the start is at anchor_mono with utc_off_s
	 * (anchor() makes it so), local wall clock = mono + utc_off_s */
	return tz_map(t + p->utc_off_s * 1000LL, p->utc_off_s, p->tz_change_mono,
		      p->tz_off_after_s);
}

int64_t pl_end_mono(const plan_t *p)
{
	return pl_tl_mono(p, p->def.end);
}

json_t *pl_ev_loc(const plan_t *p, int i)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_str(d, "location", pl_loc_at(p, i)->name);
	if (i >= 0)
		jset_int(d, "index", i + 1);
	return d;
}

static void ev_pos(const plan_t *p, json_t *d)
{
	jset_real(d, "lat", p->have_pos ? p->lat : NAN);
	jset_real(d, "lon", p->have_pos ? p->lon : NAN);
}

void pl_ev_window(const plan_t *p, int i, json_t *d, const struct vtime *now)
{
	const struct plan_loc *l = &p->def.loc[i];
	jset_utc(d, "window_start_utc", now, pl_tl_mono(p, l->earliest));
	jset_utc(d, "window_end_utc", now, pl_tl_mono(p, l->latest));
	if (l->dwell_min)
		jset_int(d, "dwell_s", l->dwell_min * 60LL);
	else
		jset_new(d, "dwell_s", NULL);
}

static json_t *locations_json(const plan_t *p, const struct vtime *now)
{
	char b[8];
	json_t *a = json_array();
	for (size_t i = 0; a && i < p->def.n; i++) {
		const struct plan_loc *l = &p->def.loc[i];
		json_t *o = json_object();
		jset_str(o, "name", l->name);
		jset_int(o, "index", (int64_t)i + 1);
		jset_real(o, "lat", l->lat);
		jset_real(o, "lon", l->lon);
		jset_int(o, "radius_m", l->radius_m);
		jset_str(o, "earliest",
			 l->earliest == PLAN_NO_TIME ? NULL : plan_hhmm(l->earliest, b, sizeof(b)));
		jset_str(o, "latest",
			 l->latest == PLAN_NO_TIME ? NULL : plan_hhmm(l->latest, b, sizeof(b)));
		pl_ev_window(p, (int)i, o, now);
		jset_bool(o, "checkin", l->checkin);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *timetable_json(const plan_t *p, const struct vtime *now)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_str(d, "plan", p->def.name);
	jset_bool(d, "anchored", p->anchored);
	jset_utc(d, "start_utc", now, p->anchored ? p->anchor_mono : VAN_NEVER);
	jset_utc(d, "planned_end_utc", now, pl_end_mono(p));
	jset_int(d, "utc_offset_s", p->utc_off_s);
	if (p->tz_change_utc != PLAN_TZ_NONE) {
		/* the clocks change during the plan */
		json_t *c = json_object();
		jset_int(c, "at_utc", p->tz_change_utc);
		jset_int(c, "utc_offset_s", p->tz_off_after_s);
		jset_new(d, "clock_change", c);
	}
	jset_new(d, "locations", locations_json(p, now));
	return d;
}

/* Place the timetable once the clock can be trusted (announce: event
 * plan.anchored; not at the start, where plan.started says it all). */
static void anchor(plan_t *p, const struct emit *e, bool announce)
{
	const struct vtime *now = e->now;
	if (p->anchored || now->utc_src == UTC_SRC_SYSTEM_UNSYNCED)
		return;
	int64_t start_utc = vtime_utc_of(now, p->start_mono);
	struct plan_tz tz = { p->utc_off_s, p->tz_change_utc, p->tz_off_after_s };
	int64_t sl = start_local(&p->def, start_utc, tz);
	int64_t a = plan_tz_utc(tz, sl);
	if (tz.change_utc_ms != PLAN_TZ_NONE) {
		/* keep only a change within the plan (the mapping is the same) */
		if (sl - tz.off_s * 1000LL >= tz.change_utc_ms &&
		    sl - tz.off_after_s * 1000LL >= tz.change_utc_ms) {
			/* the plan starts after it: one offset */
			p->utc_off_s = tz.off_after_s;
			p->tz_change_utc = PLAN_TZ_NONE;
		} else if (plan_tz_utc(tz, sl + plan_tl(&p->def, p->def.end) * PL_MIN_MS) <
			   tz.change_utc_ms) {
			p->tz_change_utc = PLAN_TZ_NONE;   /* it ends before */
		}
	}
	/* now utc_off_s is the offset of the plan's start: a = sl - utc_off_s */
	p->tz_change_mono = p->tz_change_utc == PLAN_TZ_NONE
		? VAN_NEVER : now->mono_ms + (p->tz_change_utc - now->utc_ms);
	p->anchor_mono = now->mono_ms + (a - now->utc_ms);
	p->anchored = true;
	if (announce) {
		json_t *d = timetable_json(p, now);
		jset_str(d, "utc_src", utc_src_name(now->utc_src));
		emit_ev(e, EV_T_PLAN_ANCHORED, EV_NORMAL, d);
	}
}

/* ------------------------------------------------------------ check-in */

static void prompt(plan_t *p, int i, const struct emit *e)
{
	struct loc_rt *r = &p->rt[i];
	r->ck = CKP_PROMPTED;
	r->ck_mono = e->now->mono_ms;
	r->ck_repeat = 0;
	p->n_prompts++;
	json_t *d = pl_ev_loc(p, i);
	jset_int(d, "grace_s", p->def.checkin_grace_min * 60LL);
	jset_utc(d, "due_utc", e->now, r->ck_mono + p->def.checkin_grace_min * PL_MIN_MS);
	emit_ev(e, EV_T_PLAN_CHECKIN_PROMPT, EV_NORMAL, d);
}

static void checkin_done(plan_t *p, int i, enum van_source src, const struct emit *e)
{
	struct loc_rt *r = &p->rt[i];
	json_t *d = pl_ev_loc(p, i);
	jset_str(d, "was", r->ck == CKP_MISSED ? "missed" : "on_time");
	jset_int(d, "after_s", r->ck_mono == VAN_NEVER ? 0 : ms_to_s(e->now->mono_ms - r->ck_mono));
	jset_str(d, "source", van_source_name(src));
	r->ck = CKP_DONE;
	emit_ev(e, EV_T_PLAN_CHECKIN, EV_NORMAL, d);
}

static void checkin_missed(plan_t *p, int i, const struct emit *e)
{
	struct loc_rt *r = &p->rt[i];
	int64_t due = r->ck_mono + p->def.checkin_grace_min * PL_MIN_MS;
	int64_t every = p->def.checkin_repeat_min * PL_MIN_MS;
	json_t *d = pl_ev_loc(p, i);
	jset_utc(d, "prompted_utc", e->now, r->ck_mono);
	jset_utc(d, "due_utc", e->now, due);
	jset_int(d, "late_s", ms_to_s(e->now->mono_ms - due));
	jset_int(d, "repeat", r->ck_repeat);
	ev_pos(p, d);
	if (r->ck == CKP_PROMPTED) {
		r->ck = CKP_MISSED;
		p->n_ck_missed++;
		r->ck_next = due;
		emit_incident(e, EV_T_PLAN_CHECKIN_MISSED, EV_URGENT, "checkin_missed", d);
	} else {
		emit_ev(e, EV_T_PLAN_CHECKIN_MISSED, EV_URGENT, d);
	}
	r->ck_repeat++;
	r->ck_next = next_after(r->ck_next, every, e->now->mono_ms);
}

/* ------------------------------------------------------------- timers */

static int64_t late_at(const plan_t *p, int i)
{
	const struct loc_rt *r = &p->rt[i];
	if (r->st != LS_PENDING || r->late_sent)
		return VAN_NEVER;
	return pl_tl_mono(p, p->def.loc[i].latest);
}

static int64_t ck_at(const plan_t *p, int i)
{
	const struct loc_rt *r = &p->rt[i];
	if (r->ck == CKP_PROMPTED)
		return r->ck_mono + p->def.checkin_grace_min * PL_MIN_MS;
	if (r->ck == CKP_MISSED)
		return r->ck_next;
	return VAN_NEVER;
}

static int64_t unplanned_at(const plan_t *p)
{
	if (!p->stat || p->s_known || p->s_raised || p->s_explained || p->returned || !p->def.n)
		return VAN_NEVER;
	return p->s_mono + p->def.unplanned_stop_min * PL_MIN_MS;
}

static int64_t off_at(const plan_t *p)
{
	if (!p->off || p->c_raised || p->c_explained || p->returned)
		return VAN_NEVER;
	return p->off_mono + p->def.off_corridor_min * PL_MIN_MS;
}

/* Is an episode that began at since covered by a crew explanation given at
 * `given`?  Consumes it. */
static bool explained(int64_t *given, int64_t since)
{
	if (*given == VAN_NEVER || since > *given + PL_EXPLAIN_HOLD_MS)
		return false;
	*given = VAN_NEVER;
	return true;
}

static void nearest_json(const plan_t *p, json_t *d, double lat, double lon)
{
	int best = -1;
	double bd = INFINITY;
	for (int i = -1; i < (int)p->def.n; i++) {
		double x = pl_dist_to(p, i, lat, lon);
		if (x < bd) {
			bd = x;
			best = i;
		}
	}
	jset_str(d, "nearest", pl_loc_at(p, best)->name);
	jset_real(d, "nearest_m", round(bd));
}

static void run_timers(plan_t *p, const struct emit *e)
{
	const struct vtime *now = e->now;
	int64_t t = now->mono_ms;
	anchor(p, e, true);
	for (size_t i = 0; i < p->def.n; i++) {
		int64_t at = late_at(p, (int)i);
		if (at != VAN_NEVER && t >= at) {
			p->rt[i].late_sent = true;
			p->n_late++;
			json_t *d = pl_ev_loc(p, (int)i);
			pl_ev_window(p, (int)i, d, now);
			jset_int(d, "late_s", ms_to_s(t - at));
			ev_pos(p, d);
			jset_real(d, "distance_m", pl_dist_now(p, (int)i));
			emit_ev(e, EV_T_PLAN_LATE, EV_URGENT, d);
		}
	}
	for (size_t i = 0; i < p->def.n; i++) {
		int64_t at = ck_at(p, (int)i);
		if (at != VAN_NEVER && t >= at)
			checkin_missed(p, (int)i, e);
	}
	int64_t at = unplanned_at(p);
	if (at != VAN_NEVER && t >= at) {
		if (explained(&p->explain_stop, p->s_mono)) {
			p->s_explained = true;
		} else {
			p->s_raised = true;
			p->n_unplanned++;
			json_t *d = json_object();
			jset_real(d, "lat", p->s_lat);
			jset_real(d, "lon", p->s_lon);
			jset_int(d, "since_utc", p->s_utc);
			jset_int(d, "stopped_s", ms_to_s(t - p->s_mono));
			nearest_json(p, d, p->s_lat, p->s_lon);
			jset_str(d, "detector", p->hinted ? "stops" : "plan");
			emit_ev(e, EV_T_PLAN_UNPLANNED_STOP, EV_URGENT, d);
		}
	}
	at = off_at(p);
	if (at != VAN_NEVER && t >= at) {
		if (explained(&p->explain_corr, p->off_mono)) {
			p->c_explained = true;
		} else {
			p->c_raised = true;
			p->n_off++;
			json_t *d = json_object();
			ev_pos(p, d);
			jset_real(d, "distance_m", round(p->c_dist));
			jset_real(d, "max_distance_m", round(p->c_max));
			jset_int(d, "corridor_m", p->def.corridor_m);
			jset_int(d, "since_utc", p->off_utc);
			jset_int(d, "off_s", ms_to_s(t - p->off_mono));
			jset_str(d, "from", pl_loc_at(p, p->prev)->name);
			jset_str(d, "to", pl_loc_at(p, pl_next_idx(p))->name);
			emit_ev(e, EV_T_PLAN_OFF_CORRIDOR, EV_URGENT, d);
		}
	}
	/* explanations nobody used expire */
	if (p->explain_stop != VAN_NEVER && t > p->explain_stop + PL_EXPLAIN_HOLD_MS)
		p->explain_stop = VAN_NEVER;
	if (p->explain_corr != VAN_NEVER && t > p->explain_corr + PL_EXPLAIN_HOLD_MS)
		p->explain_corr = VAN_NEVER;
}

int64_t plan_next_deadline(const plan_t *p)
{
	if (!p || !p->active)
		return VAN_NEVER;
	int64_t d = VAN_NEVER;
	for (size_t i = 0; i < p->def.n; i++) {
		d = deadline_min(d, late_at(p, (int)i));
		d = deadline_min(d, ck_at(p, (int)i));
	}
	d = deadline_min(d, unplanned_at(p));
	return deadline_min(d, off_at(p));
}

void plan_tick(plan_t *p, const struct emit *e)
{
	if (p && p->active)
		run_timers(p, e);
}

/* ------------------------------------------------ arrival and departure */

static void back_on(plan_t *p, const struct emit *e)
{
	if (p->c_raised) {
		json_t *d = json_object();
		ev_pos(p, d);
		jset_real(d, "distance_m", round(p->c_dist));
		jset_real(d, "max_distance_m", round(p->c_max));
		jset_int(d, "off_s", ms_to_s(e->now->mono_ms - p->off_mono));
		jset_str(d, "from", pl_loc_at(p, p->prev)->name);
		jset_str(d, "to", pl_loc_at(p, pl_next_idx(p))->name);
		emit_ev(e, EV_T_PLAN_BACK_ON_CORRIDOR, EV_URGENT, d);
	}
	p->off = p->c_raised = p->c_explained = false;
	p->c_n = 0;
}

static void arrive(plan_t *p, int c, const struct emit *e)
{
	const struct vtime *now = e->now;
	const struct plan_loc *l = &p->def.loc[c];
	struct loc_rt *r = &p->rt[c];
	bool was_skipped = r->st == LS_SKIPPED;

	for (int i = 0; i < c; i++) {
		if (p->rt[i].st != LS_PENDING)
			continue;
		p->rt[i].st = LS_SKIPPED;
		p->rt[i].auto_skip = true;
		p->n_skipped++;
		json_t *d = pl_ev_loc(p, i);
		pl_ev_window(p, i, d, now);
		jset_str(d, "arrived_at", l->name);
		ev_pos(p, d);
		emit_ev(e, EV_T_PLAN_SKIPPED, EV_URGENT, d);
	}
	r->st = LS_ONSITE;
	r->arr_mono = p->cand_mono;
	r->arr_utc = p->cand_utc;
	p->onsite = p->prev = c;
	p->out_n = 0;
	p->cand = -1;
	p->cand_n = 0;

	json_t *d = pl_ev_loc(p, c);
	ev_pos(p, d);
	jset_int(d, "arrival_utc", r->arr_utc);
	pl_ev_window(p, c, d, now);
	int64_t from = pl_tl_mono(p, l->earliest), to = pl_tl_mono(p, l->latest);
	int64_t late = to != VAN_NEVER && r->arr_mono > to ? r->arr_mono - to : 0;
	int64_t early = from != VAN_NEVER && r->arr_mono < from ? from - r->arr_mono : 0;
	const char *timing = NULL;
	if (from != VAN_NEVER || to != VAN_NEVER)
		timing = late ? "late" : early ? "early" : "on_time";
	jset_str(d, "timing", timing);
	jset_int(d, "late_s", ms_to_s(late));
	jset_int(d, "early_s", ms_to_s(early));
	jset_bool(d, "checkin", l->checkin && !r->crew_skip);
	jset_bool(d, "was_skipped", was_skipped);
	emit_ev(e, EV_T_PLAN_ARRIVED, EV_NORMAL, d);

	if (l->checkin && !r->crew_skip && r->ck == CKP_NONE) {
		if (p->last_ck_mono != VAN_NEVER && p->last_ck_mono >= r->arr_mono) {
			r->ck_mono = p->last_ck_mono;
			checkin_done(p, c, VAN_SRC_AUTO, e);
		} else {
			prompt(p, c, e);
		}
	}
}

static void depart(plan_t *p, const struct emit *e)
{
	int i = p->onsite;
	struct loc_rt *r = &p->rt[i];
	const struct plan_loc *l = &p->def.loc[i];
	r->st = LS_VISITED;
	r->dep_mono = p->out_mono;
	r->dep_utc = p->out_utc;
	p->onsite = -1;
	p->out_n = 0;
	int64_t on = r->dep_mono - r->arr_mono;
	json_t *d = pl_ev_loc(p, i);
	ev_pos(p, d);
	jset_int(d, "arrival_utc", r->arr_utc);
	jset_int(d, "departure_utc", r->dep_utc);
	jset_int(d, "on_site_s", ms_to_s(on));
	if (l->dwell_min) {
		jset_int(d, "dwell_s", l->dwell_min * 60LL);
		jset_int(d, "dwell_diff_s", ms_to_s(on) - l->dwell_min * 60LL);
	} else {
		jset_new(d, "dwell_s", NULL);
		jset_new(d, "dwell_diff_s", NULL);
	}
	emit_ev(e, EV_T_PLAN_DEPARTED, EV_NORMAL, d);
}

static void check_returned(plan_t *p, const struct emit *e)
{
	if (p->returned || !p->at_base || !p->left_base || p->onsite >= 0 || pl_next_idx(p) >= 0)
		return;
	p->returned = true;
	p->stat = false;
	if (p->off)
		back_on(p, e);
	unsigned visited = 0, skipped = 0;
	for (size_t i = 0; i < p->def.n; i++) {
		visited += p->rt[i].st == LS_VISITED;
		skipped += p->rt[i].st == LS_SKIPPED;
	}
	json_t *d = pl_ev_loc(p, -1);
	ev_pos(p, d);
	jset_int(d, "arrival_utc", p->base_utc);
	int64_t end = pl_end_mono(p);
	jset_utc(d, "planned_end_utc", e->now, end);
	bool timed = end != VAN_NEVER;
	jset_int(d, "late_s", timed && p->base_mono > end ? ms_to_s(p->base_mono - end) : 0);
	jset_int(d, "early_s", timed && p->base_mono < end ? ms_to_s(end - p->base_mono) : 0);
	jset_int(d, "visited", visited);
	jset_int(d, "skipped", skipped);
	emit_ev(e, EV_T_PLAN_RETURNED, EV_NORMAL, d);
}

static void track_base(plan_t *p, const struct emit *e)
{
	const struct plan_loc *b = &p->def.base;
	double d = pl_dist_to(p, -1, p->lat, p->lon);
	int n = p->def.arrive_fixes;
	if (d <= b->radius_m) {
		p->base_out = 0;
		if (!p->at_base) {
			if (p->base_in++ == 0) {
				p->base_mono = e->now->mono_ms;
				p->base_utc = e->now->utc_ms;
			}
			if (p->base_in >= n) {
				p->at_base = true;
				p->base_in = 0;
			}
		}
	} else if (d > b->radius_m + margin(b->radius_m)) {
		p->base_in = 0;
		if (p->at_base || !p->left_base) {
			if (++p->base_out >= n) {
				p->at_base = false;
				p->left_base = true;
				p->base_out = 0;
			}
		}
	} else {
		p->base_in = p->base_out = 0;
	}
	check_returned(p, e);
}

static void track_locations(plan_t *p, const struct emit *e)
{
	int n = p->def.arrive_fixes;
	if (p->onsite >= 0) {
		const struct plan_loc *l = &p->def.loc[p->onsite];
		if (pl_dist_to(p, p->onsite, p->lat, p->lon) > l->radius_m + margin(l->radius_m)) {
			if (p->out_n++ == 0) {
				p->out_mono = e->now->mono_ms;
				p->out_utc = e->now->utc_ms;
			}
			if (p->out_n >= n)
				depart(p, e);
		} else {
			p->out_n = 0;
		}
		return;
	}
	int c = -1;
	for (size_t i = 0; i < p->def.n && c < 0; i++) {
		int st = p->rt[i].st;
		if ((st == LS_PENDING || st == LS_SKIPPED) &&
		    pl_dist_to(p, (int)i, p->lat, p->lon) <= p->def.loc[i].radius_m)
			c = (int)i;
	}
	if (c < 0) {
		p->cand = -1;
		p->cand_n = 0;
		return;
	}
	if (c != p->cand) {
		p->cand = c;
		p->cand_n = 0;
		p->cand_mono = e->now->mono_ms;
		p->cand_utc = e->now->utc_ms;
	}
	if (++p->cand_n >= n)
		arrive(p, c, e);
}

static void stat_begin(plan_t *p, double lat, double lon, int64_t since, const struct emit *e)
{
	p->stat = true;
	p->s_lat = lat;
	p->s_lon = lon;
	p->s_mono = since;
	p->s_utc = vtime_utc_of(e->now, since);
	p->s_out = 0;
	p->s_known = known_place(p, lat, lon);
	p->s_raised = p->s_explained = false;
}

static void track_stationary(plan_t *p, const struct fix *fx, const struct emit *e)
{
	bool slow = !isfinite(fx->speed) || fx->speed < PL_STAT_SPEED_MPS;
	if (p->stat) {
		if (geo_distance_m(p->s_lat, p->s_lon, p->lat, p->lon) <= PL_STAT_RADIUS_M) {
			p->s_out = 0;
			return;
		}
		if (++p->s_out < PL_STAT_OUT_FIXES)
			return;
		p->stat = false;
	}
	if (slow)
		stat_begin(p, p->lat, p->lon, e->now->mono_ms, e);
}

static void track_corridor(plan_t *p, const struct emit *e)
{
	double d = corridor_distance(p, p->lat, p->lon);
	double lim = p->def.corridor_m;
	p->c_dist = d;
	if (!p->off) {
		if (d <= lim) {
			p->c_n = 0;
			return;
		}
		if (p->c_n++ == 0) {
			p->c_mono = e->now->mono_ms;
			p->c_utc = e->now->utc_ms;
			p->c_max = d;
		}
		if (d > p->c_max)
			p->c_max = d;
		if (p->c_n >= p->def.arrive_fixes) {
			p->off = true;
			p->off_mono = p->c_mono;
			p->off_utc = p->c_utc;
			p->c_raised = p->c_explained = false;
			p->c_n = 0;
		}
		return;
	}
	if (d > p->c_max)
		p->c_max = d;
	if (d > lim - margin(lim)) {
		p->c_n = 0;
		return;
	}
	if (++p->c_n >= p->def.arrive_fixes)
		back_on(p, e);
}

void plan_fix(plan_t *p, const struct fix *fx, const struct emit *e)
{
	if (!p || !p->active)
		return;
	run_timers(p, e);
	if (!fix_usable(fx) || !isfinite(fx->lat) || !isfinite(fx->lon) ||
	    fabs(fx->lat) > 90 || fabs(fx->lon) > 180 ||
	    (isfinite(fx->eph) && fx->eph > PL_EPH_MAX_M))
		return;
	p->have_pos = true;
	p->lat = fx->lat;
	p->lon = fx->lon;
	if (!p->returned) {
		track_locations(p, e);
		track_base(p, e);
	}
	if (!p->returned && p->def.n) {
		if (!p->hinted)
			track_stationary(p, fx, e);
		track_corridor(p, e);
	}
	run_timers(p, e);
}

void plan_stop(plan_t *p, bool stopped, double lat, double lon, int64_t since_mono,
	       const struct emit *e)
{
	if (!p || !p->active)
		return;
	run_timers(p, e);
	if (!p->hinted)
		p->stat = false;
	p->hinted = true;
	if (!stopped) {
		p->stat = false;
	} else if (!p->stat && isfinite(lat) && isfinite(lon) && fabs(lat) <= 90 &&
		   fabs(lon) <= 180) {
		if (since_mono == VAN_NEVER || since_mono > e->now->mono_ms)
			since_mono = e->now->mono_ms;
		stat_begin(p, lat, lon, since_mono, e);
	}
	run_timers(p, e);
}

/* -------------------------------------------------------------- crew */

void plan_checkin_made(plan_t *p, enum van_source src, const struct emit *e)
{
	if (!p || !p->active)
		return;
	run_timers(p, e);
	p->last_ck_mono = e->now->mono_ms;
	for (size_t i = 0; i < p->def.n; i++)
		if (p->rt[i].ck == CKP_PROMPTED || p->rt[i].ck == CKP_MISSED)
			checkin_done(p, (int)i, src, e);
	run_timers(p, e);
}

static json_t *changed_json(const plan_t *p, const char *kind, const char *reason,
			    enum van_source src)
{
	json_t *d = json_object();
	jset_str(d, "kind", kind);
	jset_str(d, "reason", reason);
	jset_str(d, "source", van_source_name(src));
	ev_pos(p, d);
	return d;
}

static int find_loc(const plan_t *p, const char *name)
{
	for (size_t i = 0; i < p->def.n; i++)
		if (strcasecmp(p->def.loc[i].name, name) == 0)
			return (int)i;
	return -1;
}

int plan_skip(plan_t *p, const char *name, const char *reason, enum van_source src,
	      const struct emit *e, const char **why)
{
	const char *w = NULL;
	int rc = 0, i = -1;
	if (!p || !p->active) {
		w = "no plan is running";
		rc = -ENOENT;
	} else if (!plan_reason_valid(reason)) {
		w = "reason must be one of " PLAN_REASONS;
		rc = -EINVAL;
	} else if (!name || !*name) {
		i = pl_next_idx(p);
		if (i < 0) {
			w = "no planned location is left";
			rc = -ENOENT;
		}
	} else if ((i = find_loc(p, name)) < 0) {
		w = "no such location in the plan";
		rc = -ENOENT;
	}
	if (!rc) {
		const struct loc_rt *r = &p->rt[i];
		if (r->st == LS_ONSITE) {
			w = "the van is at that location";
			rc = -EALREADY;
		} else if (r->st == LS_VISITED) {
			w = "that location was visited";
			rc = -EALREADY;
		} else if (r->crew_skip) {
			w = "that location is already marked skipped";
			rc = -EALREADY;
		}
	}
	if (rc) {
		if (why)
			*why = w;
		return rc;
	}
	run_timers(p, e);
	struct loc_rt *r = &p->rt[i];
	json_t *d = changed_json(p, "skip", reason, src);
	jset_str(d, "location", p->def.loc[i].name);
	jset_int(d, "index", i + 1);
	jset_bool(d, "after_alert", r->auto_skip || r->late_sent);
	r->crew_skip = true;
	r->st = LS_SKIPPED;
	if (r->ck == CKP_PROMPTED || r->ck == CKP_MISSED)
		r->ck = CKP_DONE;
	/* the way to the next location is not planned: the off-corridor
	 * episode going on now, or the next one, is explained */
	if (p->off) {
		p->c_explained = true;
		p->explain_corr = VAN_NEVER;
	} else {
		p->explain_corr = e->now->mono_ms;
	}
	p->n_changes++;
	emit_ev(e, EV_T_PLAN_CHANGED, EV_URGENT, d);
	check_returned(p, e);
	run_timers(p, e);
	return 0;
}

int plan_add_stop(plan_t *p, const char *reason, enum van_source src, const struct emit *e,
		  const char **why)
{
	if (!p || !p->active) {
		if (why)
			*why = "no plan is running";
		return -ENOENT;
	}
	if (!plan_reason_valid(reason)) {
		if (why)
			*why = "reason must be one of " PLAN_REASONS;
		return -EINVAL;
	}
	run_timers(p, e);
	int64_t t = e->now->mono_ms;
	json_t *d = changed_json(p, "add_stop", reason, src);
	jset_new(d, "location", NULL);
	bool after = false;
	/* the stop going on now, else the next one */
	if (p->stat && !p->s_known) {
		after = p->s_raised;
		p->s_explained = true;
		p->explain_stop = VAN_NEVER;
	} else {
		p->explain_stop = t;
	}
	if (p->off) {
		after = after || p->c_raised;
		p->c_explained = true;
		p->explain_corr = VAN_NEVER;
	} else {
		p->explain_corr = t;
	}
	jset_bool(d, "after_alert", after);
	p->n_changes++;
	emit_ev(e, EV_T_PLAN_CHANGED, EV_URGENT, d);
	run_timers(p, e);
	return 0;
}

/* ------------------------------------------------------ start and end */

plan_t *plan_new(void)
{
	return calloc(1, sizeof(plan_t));
}

void plan_free(plan_t *p)
{
	free(p);
}

bool plan_active(const plan_t *p)
{
	return p && p->active;
}

const struct plan_def *plan_current_def(const plan_t *p)
{
	return p && p->active ? &p->def : NULL;
}

const char *plan_current_location(const plan_t *p)
{
	return p && p->active && p->onsite >= 0 ? p->def.loc[p->onsite].name : NULL;
}

void pl_reset(plan_t *p)
{
	memset(p, 0, sizeof(*p));
	p->onsite = p->prev = p->cand = -1;
	p->anchor_mono = p->last_ck_mono = VAN_NEVER;
	p->tz_change_utc = PLAN_TZ_NONE;
	p->tz_change_mono = VAN_NEVER;
	p->explain_stop = p->explain_corr = VAN_NEVER;
	p->s_mono = p->c_mono = p->off_mono = p->cand_mono = p->out_mono = p->base_mono = VAN_NEVER;
	for (size_t i = 0; i < PLAN_LOC_MAX; i++) {
		struct loc_rt *r = &p->rt[i];
		r->arr_mono = r->dep_mono = r->ck_mono = r->ck_next = VAN_NEVER;
	}
}

struct first_err {
	char *buf;
	size_t n;
	bool got;
};

static void keep_first(void *ctx, const char *path, const char *msg)
{
	struct first_err *f = ctx;
	if (!f->got)
		snprintf(f->buf, f->n, "plan %s%s%s", path, *path ? ": " : "", msg);
	f->got = true;
}

/* Does def obey the file's rules?  (Through its JSON form: one set of rules.) */
static int def_check(plan_t *p, const struct plan_def *def, struct plan_def *out)
{
	json_t *j = plan_def_to_json(def);
	if (!j)
		return -ENOMEM;
	struct first_err f = { p->why, sizeof(p->why), false };
	int r = plan_def_from_json(j, def->name, out, keep_first, &f);
	json_decref(j);
	return r < 0 ? r : r > 0 ? -EINVAL : 0;
}

int plan_start(plan_t *p, const struct plan_def *def, int utc_offset_s, const struct emit *e,
	       const char **why)
{
	return plan_start_tz(p, def, plan_tz_fixed(utc_offset_s), e, why);
}

int plan_start_tz(plan_t *p, const struct plan_def *def, struct plan_tz tz, const struct emit *e,
		  const char **why)
{
	if (p->active) {
		if (why)
			*why = "a plan is already running";
		return -EALREADY;
	}
	if (!plan_tz_valid(tz)) {
		if (why)
			*why = "UTC offset out of range";
		return -EINVAL;
	}
	struct plan_def *chk = malloc(sizeof(*chk));
	if (!chk) {
		if (why)
			*why = "out of memory";
		return -ENOMEM;
	}
	int r = def_check(p, def, chk);
	if (r < 0) {
		if (why)
			*why = r == -ENOMEM ? "out of memory" : p->why;
		free(chk);
		return r;
	}
	pl_reset(p);
	p->def = *chk;
	free(chk);
	p->active = true;
	p->utc_off_s = tz.off_s;
	p->tz_change_utc = tz.change_utc_ms;
	p->tz_off_after_s = tz.change_utc_ms == PLAN_TZ_NONE ? tz.off_s : tz.off_after_s;
	p->start_mono = e->now->mono_ms;
	anchor(p, e, false);
	json_t *d = timetable_json(p, e->now);
	if (d) {
		if (p->def.description[0])
			jset_str(d, "description", p->def.description);
		json_t *b = pl_ev_loc(p, -1);
		if (b) {
			jset_real(b, "lat", p->def.base.lat);
			jset_real(b, "lon", p->def.base.lon);
			jset_int(b, "radius_m", p->def.base.radius_m);
		}
		jset_new(d, "base", b);
		jset_int(d, "corridor_m", p->def.corridor_m);
		jset_int(d, "off_corridor_min", p->def.off_corridor_min);
		jset_int(d, "unplanned_stop_min", p->def.unplanned_stop_min);
		jset_int(d, "checkin_grace_min", p->def.checkin_grace_min);
		jset_str(d, "utc_src", utc_src_name(e->now->utc_src));
	}
	emit_ev(e, EV_T_PLAN_STARTED, EV_NORMAL, d);
	run_timers(p, e);
	return 0;
}

void plan_end(plan_t *p, const struct emit *e)
{
	if (!p || !p->active)
		return;
	run_timers(p, e);
	unsigned visited = 0, skipped = 0;
	json_t *d = json_object(), *left = json_array();
	for (size_t i = 0; i < p->def.n; i++) {
		int st = p->rt[i].st;
		visited += st == LS_VISITED || st == LS_ONSITE;
		skipped += st == LS_SKIPPED;
		if (st == LS_PENDING)
			json_array_append_new(left, json_string(p->def.loc[i].name));
	}
	jset_str(d, "plan", p->def.name);
	jset_int(d, "locations", (int64_t)p->def.n);
	jset_int(d, "visited", visited);
	jset_int(d, "skipped", skipped);
	jset_new(d, "not_visited", left);
	jset_int(d, "late", p->n_late);
	jset_int(d, "unplanned_stops", p->n_unplanned);
	jset_int(d, "off_corridor", p->n_off);
	jset_int(d, "changes", p->n_changes);
	jset_int(d, "checkin_prompts", p->n_prompts);
	jset_int(d, "checkins_missed", p->n_ck_missed);
	jset_bool(d, "returned", p->returned);
	emit_ev(e, EV_T_PLAN_ENDED, EV_NORMAL, d);
	pl_reset(p);
}

