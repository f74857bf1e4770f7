/*
 * review_plan.c - planned against actual for a session that ran with a plan.
 * See review_util.h (rv_plan) and docs/review.md, "Plans".
 *
 * Reads the plan events of controller/core/plan.c (tolerant of missing
 * fields, so older or partial records still give what they can):
 *  1. plan.started / plan.anchored: data.locations = [{name, index,
 *     window_start_utc, window_end_utc, dwell_s}] - the whole plan, so
 *     locations never reached show up as well (anchored: the windows once
 *     the clock could be trusted);
 *  2. plan.arrived / plan.departed: arrival_utc / departure_utc (else the
 *     event's time), with the location's window and dwell_s;
 *  3. plan.skipped (passed by) and plan.changed with kind "skip" (the crew
 *     left it out, with a reason);
 *  4. the stops: a stop with a name matched a planned location (its times
 *     fill in what the events lack); a stop without a name in a session
 *     with a plan is unplanned; so is a plan.unplanned_stop alert whose
 *     stationary time (since_utc) falls in no stop.
 */
#include "review_util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *loc_name(const json_t *o)
{
	const char *n = rv_jstr(o, "location");
	if (!n)
		n = rv_jstr(o, "name");
	if (!n)
		n = rv_jstr(o, "label");
	return n;
}

static struct rv_plan_row *find_row(struct rv_plan *p, const json_t *d)
{
	int64_t idx = rv_jint(d, "index", 0);
	const char *name = loc_name(d);
	for (size_t i = 0; i < p->n; i++) {
		struct rv_plan_row *r = &p->rows[i];
		if (idx > 0 && r->index > 0) {
			if (r->index == idx)
				return r;
		} else if (name && r->name && strcmp(name, r->name) == 0) {
			return r;
		}
	}
	return NULL;
}

static void fill_row(struct rv_plan_row *r, const json_t *d)
{
	if (!r->name)
		r->name = loc_name(d);
	if (r->index <= 0)
		r->index = rv_jint(d, "index", 0);
	if (!r->win_from)
		r->win_from = rv_jint(d, "window_start_utc", 0);
	if (!r->win_to)
		r->win_to = rv_jint(d, "window_end_utc", 0);
	if (r->dwell_s < 0)
		r->dwell_s = rv_jint(d, "dwell_s", -1);
}

static struct rv_plan_row *add_row(struct rv_plan *p, size_t *cap, const json_t *d)
{
	struct rv_plan_row *r = find_row(p, d);
	if (r) {
		fill_row(r, d);
		return r;
	}
	if (p->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *np = realloc(p->rows, nc * sizeof(*p->rows));
		if (!np)
			return NULL;
		p->rows = np;
		*cap = nc;
	}
	r = &p->rows[p->n++];
	*r = (struct rv_plan_row){ .dwell_s = -1 };
	fill_row(r, d);
	return r;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct rv_plan_row *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return 0;
}

static bool in_some_stop(const struct rv_session *s, int64_t t)
{
	for (size_t i = 0; i < s->nstops; i++)
		if (t >= s->stops[i].arr && (s->stops[i].dep == 0 || t <= s->stops[i].dep))
			return true;
	return false;
}

int rv_plan_build(const struct rv_session *s, struct rv_plan *p)
{
	*p = (struct rv_plan){ 0 };
	size_t cap = 0;
	bool events = false;
	for (size_t i = 0; i < s->nevs; i++)
		if (strncmp(s->evs[i].type, "plan.", 5) == 0)
			events = true;
	p->present = events || (s->ss.plan && *s->ss.plan);
	if (!p->present)
		return 0;

	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (strcmp(e->type, "plan.started") != 0 && strcmp(e->type, "plan.anchored") != 0)
			continue;
		const json_t *locs = json_object_get(e->data, "locations");
		size_t k;
		const json_t *l;
		json_array_foreach(locs, k, l) {
			if (!json_is_object(l))
				continue;
			struct rv_plan_row *r = add_row(p, &cap, l);
			if (!r)
				goto oom;
			if (r->index <= 0)
				r->index = (int64_t)k + 1;
		}
	}
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		bool arr = strcmp(e->type, "plan.arrived") == 0;
		bool dep = strcmp(e->type, "plan.departed") == 0;
		bool skip = strcmp(e->type, "plan.skipped") == 0;
		bool crew = strcmp(e->type, "plan.changed") == 0 &&
			    strcmp(rv_jstr(e->data, "kind") ? rv_jstr(e->data, "kind") : "", "skip") == 0;
		if (!arr && !dep && !skip && !crew)
			continue;
		if (crew && !loc_name(e->data) && rv_jint(e->data, "index", 0) <= 0)
			continue;
		struct rv_plan_row *r = add_row(p, &cap, e->data);
		if (!r)
			goto oom;
		int64_t at = rv_jint(e->data, "arrival_utc", 0);
		if (arr) {
			r->arr = at ? at : e->t;
			r->status = RV_PLAN_VISITED;
		} else if (dep) {
			int64_t dt = rv_jint(e->data, "departure_utc", 0);
			r->dep = dt ? dt : e->t;
			if (!r->arr) {
				int64_t on = rv_jint(e->data, "on_site_s", -1);
				r->arr = at ? at : on >= 0 ? r->dep - on * 1000 : 0;
			}
			r->status = RV_PLAN_VISITED;
		} else if (r->status != RV_PLAN_VISITED) {
			r->status = RV_PLAN_SKIPPED;
			if (crew)
				r->skip_reason = rv_jstr(e->data, "reason");
			else if (!r->passed_for)
				r->passed_for = rv_jstr(e->data, "arrived_at");
		}
	}
	/* stops: fill in times; named stops with no plan events become rows */
	for (size_t i = 0; i < s->nstops; i++) {
		const struct rv_stop *st = &s->stops[i];
		if (!st->name)
			continue;
		struct rv_plan_row *r = NULL;
		for (size_t k = 0; k < p->n && !r; k++)
			if (p->rows[k].name && strcmp(p->rows[k].name, st->name) == 0)
				r = &p->rows[k];
		if (!r) {
			json_t *d = json_pack("{ss}", "location", st->name);
			if (!d)
				goto oom;
			r = add_row(p, &cap, d);
			json_decref(d);
			if (!r)
				goto oom;
			r->name = st->name;   /* d is gone: point at the stop's copy */
		}
		if (!r->arr)
			r->arr = st->arr;
		if (!r->dep)
			r->dep = st->dep;
		if (!r->stop_arr) {
			r->stop_arr = st->arr;
			r->stop_dep = st->dep;
		}
		r->status = RV_PLAN_VISITED;
	}
	bool all_indexed = p->n > 0;
	for (size_t k = 0; k < p->n; k++)
		if (p->rows[k].index <= 0)
			all_indexed = false;
	if (all_indexed)
		qsort(p->rows, p->n, sizeof(*p->rows), cmp_rows);

	/* the plan's base: a wait there (before leaving, after the return) is
	 * not an unplanned stop */
	double blat = NAN, blon = NAN, brad = 0;
	for (size_t i = 0; i < s->nevs; i++)
		if (strcmp(s->evs[i].type, "plan.started") == 0) {
			const json_t *b = json_object_get(s->evs[i].data, "base");
			if (json_is_number(json_object_get(b, "lat")) && json_is_number(json_object_get(b, "lon"))) {
				blat = json_number_value(json_object_get(b, "lat"));
				blon = json_number_value(json_object_get(b, "lon"));
				brad = rv_jint(b, "radius_m", 0);
			}
			break;
		}
	for (size_t i = 0; i < s->nstops; i++) {
		const struct rv_stop *st = &s->stops[i];
		if (st->name)
			continue;
		bool base = brad > 0 && !isnan(blat) && !isnan(st->lat) &&
			    rv_dist_m(blat, blon, st->lat, st->lon) <= brad;
		const struct rv_stop ***list = base ? &p->at_base : &p->unplanned;
		size_t *n = base ? &p->nat_base : &p->nunplanned;
		const struct rv_stop **np = realloc(*list, (*n + 1) * sizeof(**list));
		if (!np)
			goto oom;
		*list = np;
		(*list)[(*n)++] = st;
	}
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (strcmp(e->type, "plan.unplanned_stop") != 0 ||
		    in_some_stop(s, rv_jint(e->data, "since_utc", e->t)))
			continue;
		const struct rv_event **np =
			realloc(p->unplanned_ev, (p->nunplanned_ev + 1) * sizeof(*p->unplanned_ev));
		if (!np)
			goto oom;
		p->unplanned_ev = np;
		p->unplanned_ev[p->nunplanned_ev++] = e;
	}
	return 0;
oom:
	rv_plan_free(p);
	return -ENOMEM;
}

void rv_plan_free(struct rv_plan *p)
{
	if (!p)
		return;
	free(p->rows);
	free(p->unplanned);
	free(p->unplanned_ev);
	free(p->at_base);
	*p = (struct rv_plan){ 0 };
}

int64_t rv_plan_late_ms(const struct rv_plan_row *r)
{
	if (!r->arr)
		return 0;
	if (r->win_to && r->arr > r->win_to)
		return r->arr - r->win_to;
	if (r->win_from && r->arr < r->win_from)
		return r->arr - r->win_from;
	return 0;
}

const char *rv_plan_event_what(const struct rv_event *e, char *buf, size_t len)
{
	const json_t *d = e->data;
	const char *loc = loc_name(d), *t = e->type;
	char x[32], y[32];
	if (strcmp(t, "plan.late") == 0) {
		int64_t m = rv_jint(d, "distance_m", -1);
		snprintf(buf, len, "late for %s: not there by the end of its window", loc ? loc : "?");
		if (m >= 0) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, " (%s away)", rv_km((double)m, x, sizeof(x)));
		}
	} else if (strcmp(t, "plan.unplanned_stop") == 0) {
		const char *near = rv_jstr(d, "nearest");
		int64_t m = rv_jint(d, "nearest_m", -1);
		snprintf(buf, len, "stopped outside the plan for %s",
			 rv_dur(rv_jint(d, "stopped_s", 0) * 1000, x, sizeof(x)));
		if (near && m >= 0) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, " (nearest: %s, %s)", near,
				 rv_km((double)m, y, sizeof(y)));
		}
	} else if (strcmp(t, "plan.off_corridor") == 0) {
		const char *from = rv_jstr(d, "from"), *to = rv_jstr(d, "to");
		snprintf(buf, len, "off the planned route%s%s%s%s for %s (%s from it)",
			 from ? " from " : "", from ? from : "", to ? " to " : "", to ? to : "",
			 rv_dur(rv_jint(d, "off_s", 0) * 1000, x, sizeof(x)),
			 rv_km((double)rv_jint(d, "distance_m", 0), y, sizeof(y)));
	} else if (strcmp(t, "plan.back_on_corridor") == 0) {
		snprintf(buf, len, "back on the planned route after %s",
			 rv_dur(rv_jint(d, "off_s", 0) * 1000, x, sizeof(x)));
	} else if (strcmp(t, "plan.changed") == 0) {
		const char *kind = rv_jstr(d, "kind"), *why = rv_jstr(d, "reason");
		if (kind && strcmp(kind, "skip") == 0)
			snprintf(buf, len, "change of plan: %s left out", loc ? loc : "a location");
		else if (kind && strcmp(kind, "add_stop") == 0)
			snprintf(buf, len, "change of plan: an extra stop");
		else
			snprintf(buf, len, "change of plan");
		if (why) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, " (reason: %s)", why);
		}
	} else if (strcmp(t, "plan.checkin_missed") == 0 && rv_jint(d, "repeat", 0) == 0) {
		snprintf(buf, len, "check-in at %s missed", loc ? loc : "a check-in point");
	} else if (strcmp(t, "plan.returned") == 0) {
		int64_t late = rv_jint(d, "late_s", 0);
		snprintf(buf, len, "back at base: %" PRId64 " visited, %" PRId64 " skipped%s%s",
			 rv_jint(d, "visited", 0), rv_jint(d, "skipped", 0), late > 0 ? ", late " : "",
			 late > 0 ? rv_dur(late * 1000, x, sizeof(x)) : "");
	} else {
		return NULL;
	}
	return buf;
}
