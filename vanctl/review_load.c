/*
 * review_load.c - one session read from the store, with the figures the
 * manager sees.  See review_util.h (rv_session) and docs/review.md.
 *
 * Figures prefer the daemon's debrief summary (sessions.summary, the same
 * object as the session.ended event): it was computed on the monotonic
 * clock with the core's own filters, and it survives the retention purge.
 * Where a figure is missing (a session still running, a crash before the
 * end, an older daemon) it is derived from the rows: stops, events, points.
 *
 * Covert events (data "covert": true, docs/events.md) are never loaded:
 * vanctl output must not show them, so they appear in no count either.
 */
#include "review_util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ json helpers */

int64_t rv_jint(const json_t *o, const char *key, int64_t def)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v) && isfinite(json_real_value(v)))
		return (int64_t)llround(json_real_value(v));
	return def;
}

const char *rv_jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *rv_event_note(const struct rv_event *e)
{
	const char *n = rv_jstr(e->data, "note");
	return n && *n ? n : NULL;
}

/* -------------------------------------------------------------- collectors */

#define GROW(arr, n, cap)                                                            \
	do {                                                                         \
		if ((n) == (cap)) {                                                  \
			size_t nc_ = (cap) ? (cap) * 2 : 64;                         \
			void *np_ = realloc((arr), nc_ * sizeof(*(arr)));           \
			if (!np_)                                                    \
				return -ENOMEM;                                      \
			(arr) = np_;                                                 \
			(cap) = nc_;                                                 \
		}                                                                    \
	} while (0)

struct collect {
	struct rv_session *s;
	size_t cap;
};

static int on_point(void *ctx, const struct route_point *p)
{
	struct collect *c = ctx;
	struct rv_session *s = c->s;
	GROW(s->pts, s->npts, c->cap);
	s->pts[s->npts++] = (struct rv_point){
		.t = p->utc_ms, .lat = p->lat, .lon = p->lon, .alt = p->alt, .speed = p->speed,
		.track = p->track, .eph = p->eph, .mode = p->mode, .sats = p->sats,
		.src = p->utc_src,
	};
	return 0;
}

static int on_stop(void *ctx, int64_t id, const struct store_stop *st)
{
	struct collect *c = ctx;
	struct rv_session *s = c->s;
	GROW(s->stops, s->nstops, c->cap);
	char *name = rv_utf8_clean(st->name);   /* (it goes into JSON exports) */
	if (st->name && !name)
		return -ENOMEM;
	s->stops[s->nstops++] = (struct rv_stop){
		.id = id, .arr = st->arrived_utc_ms, .dep = st->departed_utc_ms, .lat = st->lat,
		.lon = st->lon, .name = name, .entries = st->entries, .peak = st->peak,
		.doors = st->door_openings,
	};
	return 0;
}

static bool is_covert(const json_t *data)
{
	return json_is_true(json_object_get(data, "covert"));
}

static int on_event(void *ctx, int64_t id, const struct stored_event *e, const char *payload)
{
	struct collect *c = ctx;
	struct rv_session *s = c->s;
	(void)id;
	(void)payload;
	json_t *data = e->data_json ? json_loads(e->data_json, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
		if (!data)
			return -ENOMEM;
	}
	if (is_covert(data)) {
		json_decref(data);
		return 0;
	}
	const char *cat = e->category ? e->category : rv_jstr(data, "category");
	struct rv_event ev = {
		.seq = e->seq, .t = e->utc_ms, .type = rv_utf8_clean(e->type ? e->type : ""),
		.prio = e->prio, .has_pos = e->has_pos, .lat = e->lat, .lon = e->lon,
		.incident = e->incident || json_is_true(json_object_get(data, "incident")),
		.category = rv_utf8_clean(cat), .data = data,
	};
	if (!ev.has_pos)
		ev.lat = ev.lon = NAN;
	if (!ev.type || (cat && !ev.category)) {
		free(ev.type);
		free(ev.category);
		json_decref(data);
		return -ENOMEM;
	}
	if (s->nevs == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		void *np = realloc(s->evs, nc * sizeof(*s->evs));
		if (!np) {
			free(ev.type);
			free(ev.category);
			json_decref(data);
			return -ENOMEM;
		}
		s->evs = np;
		c->cap = nc;
	}
	s->evs[s->nevs++] = ev;
	return 0;
}

/* ----------------------------------------------------------------- figures */

static int push_occ(struct rv_session *s, size_t *cap, int64_t t, int occ, int lim)
{
	if (s->nocc && s->occ[s->nocc - 1].t >= t) {
		/* same instant (or a clock step backwards): the later record wins */
		s->occ[s->nocc - 1].occ = occ;
		s->occ[s->nocc - 1].lim = lim;
		return 0;
	}
	GROW(s->occ, s->nocc, *cap);
	s->occ[s->nocc++] = (struct rv_occ){ .t = t, .occ = occ, .lim = lim };
	return 0;
}

/* The occupancy series: start count, then every event that carries the
 * occupancy (entries, exits, corrections, over-limit changes). */
static int build_occ(struct rv_session *s)
{
	size_t cap = 0;
	int lim = -1, occ = 0;
	bool any = false;
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (strcmp(e->type, "session.started") == 0) {
			occ = (int)rv_jint(e->data, "count_at_start", 0);
			if (push_occ(s, &cap, e->t, occ, lim) < 0)
				return -ENOMEM;
			continue;
		}
		int64_t l = rv_jint(e->data, "limit", -1);
		if (l >= 0)
			lim = (int)l;
		int64_t o = strncmp(e->type, "occupancy.", 10) == 0 ||
					    strcmp(e->type, "session.crew_changed") == 0
				    ? rv_jint(e->data, "occupancy", -1)
				    : -1;
		if (o < 0)
			continue;
		if (!any && s->nocc == 0 && s->ss.started_utc_ms < e->t &&
		    push_occ(s, &cap, s->ss.started_utc_ms,
			     (int)rv_jint(s->summary, "count_at_start", 0), lim) < 0)
			return -ENOMEM;
		any = true;
		occ = (int)o;
		if (push_occ(s, &cap, e->t, occ, lim) < 0)
			return -ENOMEM;
	}
	if (!any)
		s->nocc = 0;   /* a start record alone says nothing about the evening */
	return 0;
}

static void derive(struct rv_session *s, bool dist_from_points)
{
	struct rv_figs *f = &s->f;
	const json_t *sum = s->summary;
	const struct store_session *ss = &s->ss;

	/* end: the session's, or (running) the last record seen */
	int64_t end = ss->ended_utc_ms;
	f->running = end == 0;
	if (f->running) {
		end = ss->started_utc_ms;
		if (s->npts && s->pts[s->npts - 1].t > end)
			end = s->pts[s->npts - 1].t;
		for (size_t i = 0; i < s->nstops; i++) {
			if (s->stops[i].arr > end)
				end = s->stops[i].arr;
			if (s->stops[i].dep > end)
				end = s->stops[i].dep;
		}
		if (s->nevs && s->evs[s->nevs - 1].t > end)
			end = s->evs[s->nevs - 1].t;
	}
	s->end_ms = end;
	int64_t dur_s = rv_jint(sum, "duration_s", -1);
	f->duration_ms = dur_s >= 0 ? dur_s * 1000 : end - ss->started_utc_ms;
	if (f->duration_ms < 0)
		f->duration_ms = 0;

	f->points = (int64_t)s->npts;
	int64_t dm = rv_jint(sum, "distance_m", -1);
	f->distance_m = dm >= 0 ? (double)dm : NAN;
	if (dm < 0 && dist_from_points && s->npts) {
		/* like the core: moves reported at under 0.5 m/s are jitter */
		double d = 0;
		for (size_t i = 1; i < s->npts; i++)
			if (!(s->pts[i].speed < 0.5))
				d += rv_dist_m(s->pts[i - 1].lat, s->pts[i - 1].lon, s->pts[i].lat,
					       s->pts[i].lon);
		f->distance_m = d;
	}

	f->stops = s->nstops ? (int64_t)s->nstops : rv_jint(sum, "stops", 0);
	f->at_end = f->running ? -1 : rv_jint(sum, "count_at_end", -1);

	int64_t entries = 0, peak = -1, ck = 0, missed = 0, inc = 0, over_ms = 0;
	int64_t over_from = 0;
	bool have_entries_ev = false, started_ev = false, over = false;
	f->limit = -1;
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (strcmp(e->type, "occupancy.entry") == 0) {
			entries++;
			have_entries_ev = true;
		} else if (strcmp(e->type, "checkin") == 0) {
			ck++;
		} else if (strcmp(e->type, "session.started") == 0 ||
			   strcmp(e->type, "session.ended") == 0) {
			ck++;   /* start and end are check-ins too */
			started_ev = true;
		} else if (strcmp(e->type, "checkin.missed") == 0 && e->incident) {
			missed++;
		} else if (strcmp(e->type, "occupancy.over_limit") == 0 && !over) {
			over = true;
			over_from = e->t;
		} else if (strcmp(e->type, "occupancy.over_limit_ended") == 0 && over) {
			over = false;
			over_ms += e->t > over_from ? e->t - over_from : 0;
		}
		if (e->incident)
			inc++;
		int64_t o = rv_jint(e->data, "occupancy", -1);
		if (strncmp(e->type, "occupancy.", 10) == 0 && o > peak)
			peak = o;
		int64_t l = rv_jint(e->data, "limit", -1);
		if (l >= 0)
			f->limit = l;
	}
	if (over && end > over_from)
		over_ms += end - over_from;

	int64_t stop_entries = 0, stop_peak = -1;
	for (size_t i = 0; i < s->nstops; i++) {
		stop_entries += s->stops[i].entries;
		if (s->stops[i].peak > stop_peak)
			stop_peak = s->stops[i].peak;
	}
	f->entries = rv_jint(sum, "entries", have_entries_ev ? entries : stop_entries);
	f->peak = rv_jint(sum, "peak_occupancy", peak >= 0 ? peak : stop_peak >= 0 ? stop_peak : 0);
	f->over_limit_s = rv_jint(sum, "over_limit_s", over_ms / 1000);
	f->ck_made = rv_jint(sum, "checkins", started_ev ? ck : 0);
	f->ck_missed = rv_jint(sum, "checkins_missed", missed);
	f->incidents = inc;

	/* time-weighted occupancy */
	f->occ_known = s->nocc > 0 || (f->peak == 0 && !f->running);
	f->occ_integral = 0;
	f->occ_span_ms = 0;
	if (s->nocc) {
		for (size_t i = 0; i < s->nocc; i++) {
			int64_t t1 = i + 1 < s->nocc ? s->occ[i + 1].t : end;
			if (t1 > s->occ[i].t) {
				f->occ_integral += (double)s->occ[i].occ * (double)(t1 - s->occ[i].t);
				f->occ_span_ms += t1 - s->occ[i].t;
			}
		}
	} else if (f->occ_known) {
		f->occ_span_ms = end - ss->started_utc_ms;
	}
}

/* ----------------------------------------------------------------- loading */

/* ------------------------------------------------------------ names hidden */

/* The stand-in for a place name: "location N" for the plan's N-th
 * location, "place N" for others, the same for the same name. */
static const char *stand_in(struct rv_session *s, const char *name, int64_t index)
{
	const json_t *v = json_object_get(s->names, name);
	if (v)
		return json_string_value(v);
	char buf[48];
	if (index > 0)
		snprintf(buf, sizeof(buf), "location %" PRId64, index);
	else
		snprintf(buf, sizeof(buf), "place %zu", json_object_size(s->names) + 1);
	json_object_set_new(s->names, name, json_string(buf));
	v = json_object_get(s->names, name);
	return v ? json_string_value(v) : "?";
}

static void hide_in(struct rv_session *s, json_t *o)
{
	static const char *const keys[] = { "location", "name", "label", "nearest", "from", "to",
					    "arrived_at", "plan" };
	int64_t idx = rv_jint(o, "index", 0);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const json_t *v = json_object_get(o, keys[k]);
		if (!json_is_string(v))
			continue;
		const char *rep = strcmp(keys[k], "plan") == 0 ? "name left out"
			: stand_in(s, json_string_value(v),
				   strcmp(keys[k], "location") == 0 || strcmp(keys[k], "name") == 0
					   ? idx : 0);
		json_object_set_new(o, keys[k], json_string(rep));
	}
	json_object_del(o, "note");
	json_object_del(o, "description");
}

static void hide_names(struct rv_session *s)
{
	s->names_hidden = true;
	s->names = json_object();
	if (!s->names)
		return;
	/* the plan's own order first, so "location N" is N in the plan */
	for (size_t i = 0; i < s->nevs; i++) {
		const json_t *locs = json_object_get(s->evs[i].data, "locations");
		size_t k;
		json_t *l;
		json_array_foreach(locs, k, l) {
			const char *n = rv_jstr(l, "name");
			if (!n)
				n = rv_jstr(l, "location");
			if (n)
				stand_in(s, n, rv_jint(l, "index", (int64_t)k + 1));
		}
	}
	for (size_t i = 0; i < s->nevs; i++) {
		json_t *d = s->evs[i].data;
		hide_in(s, d);
		size_t k;
		json_t *l;
		json_array_foreach(json_object_get(d, "locations"), k, l) hide_in(s, l);
	}
	for (size_t i = 0; i < s->nstops; i++) {
		if (!s->stops[i].name)
			continue;
		char *n = strdup(stand_in(s, s->stops[i].name, 0));
		if (n) {
			free(s->stops[i].name);
			s->stops[i].name = n;
		}
	}
	if (s->ss.plan)
		s->ss.plan = "name left out";
}

void rv_session_free(struct rv_session *s)
{
	if (!s)
		return;
	json_decref(s->names);
	free(s->plan_buf);
	free(s->ssbuf);
	json_decref(s->summary);
	free(s->pts);
	for (size_t i = 0; i < s->nstops; i++)
		free(s->stops[i].name);
	free(s->stops);
	for (size_t i = 0; i < s->nevs; i++) {
		free(s->evs[i].type);
		free(s->evs[i].category);
		json_decref(s->evs[i].data);
	}
	free(s->evs);
	free(s->occ);
	*s = (struct rv_session){ 0 };
}

int rv_session_load(store_t *st, int64_t id, unsigned what, const struct rv_prec *prec,
		    struct rv_session *out, char *err, size_t errlen)
{
	struct rv_session *s = out;
	*s = (struct rv_session){ 0 };
	int r = store_session_get(st, id, &s->ss, &s->ssbuf);
	if (r < 0) {
		snprintf(err, errlen, "%s", r == -ENOENT ? "no such session" : store_errmsg(st));
		return r;
	}
	if (s->ss.plan) {
		s->plan_buf = rv_utf8_clean(s->ss.plan);
		if (!s->plan_buf) {
			snprintf(err, errlen, "out of memory");
			rv_session_free(s);
			return -ENOMEM;
		}
		s->ss.plan = s->plan_buf;
	}
	if (s->ss.summary_json) {
		s->summary = json_loads(s->ss.summary_json, 0, NULL);
		if (!json_is_object(s->summary)) {
			json_decref(s->summary);
			s->summary = NULL;
		}
	}
	struct collect c = { .s = s };
	r = store_stops_foreach(st, id, 0, INT64_MAX, on_stop, &c);
	if (r == 0) {
		c.cap = 0;
		struct store_event_filter f = { .session_id = id, .from_utc_ms = 0,
						.to_utc_ms = INT64_MAX };
		r = store_events_foreach(st, &f, on_event, &c);
	}
	bool need_pts = (what & RV_LOAD_POINTS) || rv_jint(s->summary, "distance_m", -1) < 0;
	if (r == 0 && need_pts) {
		c.cap = 0;
		r = store_points_foreach(st, id, 0, INT64_MAX, on_point, &c);
	}
	if (r == 0)
		r = build_occ(s);
	if (r < 0) {
		snprintf(err, errlen, "%s", r == -ENOMEM ? "out of memory" : store_errmsg(st));
		rv_session_free(s);
		return r;
	}
	derive(s, need_pts);
	/* blame the purge for a missing route only if a purge reached it */
	char *cut = NULL;
	if (store_kv_get(st, STORE_KV_PURGE_CUTOFF, &cut) == 0 && cut)
		s->f.route_purged = s->f.points == 0 && strtoll(cut, NULL, 10) > s->ss.started_utc_ms;
	free(cut);
	if (!(what & RV_LOAD_POINTS)) {
		free(s->pts);
		s->pts = NULL;
		s->npts = 0;
	}
	if (prec && prec->m > 0) {
		for (size_t i = 0; i < s->npts; i++)
			rv_coarsen(prec, &s->pts[i].lat, &s->pts[i].lon);
		for (size_t i = 0; i < s->nstops; i++)
			rv_coarsen(prec, &s->stops[i].lat, &s->stops[i].lon);
		for (size_t i = 0; i < s->nevs; i++)
			rv_coarsen(prec, &s->evs[i].lat, &s->evs[i].lon);
		hide_names(s);
	}
	return 0;
}

int rv_between_load(store_t *st, int64_t from, int64_t to, const struct rv_prec *prec,
		    struct rv_session *out, char *err, size_t errlen)
{
	struct rv_session *s = out;
	*s = (struct rv_session){ 0 };
	struct collect c = { .s = s };
	int r = store_points_foreach(st, 0, from, to, on_point, &c);
	if (r < 0) {
		snprintf(err, errlen, "%s", r == -ENOMEM ? "out of memory" : store_errmsg(st));
		rv_session_free(s);
		return r;
	}
	s->ss.started_utc_ms = s->npts ? s->pts[0].t : from;
	s->ss.ended_utc_ms = s->npts ? s->pts[s->npts - 1].t : from;
	s->end_ms = s->ss.ended_utc_ms;
	s->f.points = (int64_t)s->npts;
	s->f.distance_m = NAN;
	s->f.limit = s->f.at_end = -1;
	if (prec && prec->m > 0)
		for (size_t i = 0; i < s->npts; i++)
			rv_coarsen(prec, &s->pts[i].lat, &s->pts[i].lon);
	return 0;
}

struct ids {
	int64_t *v;
	size_t n, cap;
};

static int on_session_id(void *ctx, const struct store_session *ss)
{
	struct ids *c = ctx;
	GROW(c->v, c->n, c->cap);
	c->v[c->n++] = ss->id;
	return 0;
}

int rv_session_ids(store_t *st, int64_t from, int64_t to, int64_t **ids, size_t *n)
{
	struct ids c = { 0 };
	int r = store_sessions_foreach(st, from, to, on_session_id, &c);
	if (r < 0) {
		free(c.v);
		return r;
	}
	*ids = c.v;
	*n = c.n;
	return 0;
}

int rv_last_session(store_t *st, int64_t *id)
{
	int64_t *v = NULL;
	size_t n = 0;
	int r = rv_session_ids(st, 0, INT64_MAX, &v, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		free(v);
		return -ENOENT;
	}
	*id = v[n - 1];
	free(v);
	return 0;
}
