/*
 * review_fixture.c - builds the database the review tests read, through
 * store.h's write API (the daemon's own code path), at test time.
 *
 *   review_fixture OUT.db [--old]
 *
 * Sessions (ids = start UTC ms, as the core makes them; times UTC):
 *   A 2026-03-14 19:00-23:30, plan "north-loop": 4 stops (one unplanned),
 *     one planned location left out by the crew, one arrival late, over the limit for
 *     3m20s, a missed check-in, overdue, crew incidents (one note hostile:
 *     markup, quotes, control characters, bidi override), a covert
 *     emergency that must never show, the debrief summary;
 *   B 2026-03-16 19:00-19:05, empty: the session row and nothing else;
 *   C 2026-03-20 18:00-22:00, no GPS fix at all: events, no points/stops;
 *   D 2026-10-24 22:00 - 2026-10-25 03:30 (23:00 BST - 03:30 GMT): across
 *     midnight and the end of summer time in Europe/London; stop 2 spans
 *     the clock change (01:40 BST - 01:20 GMT: 40 minutes); plan
 *     "night-route" with one location passed by (plan.skipped);
 *   E 2026-06-01 17:00 - 2026-06-02 05:00: 12 h of points at 1 Hz
 *     (43201), 8 stops, no summary (every figure derived from the rows);
 *   F 2026-03-28 19:00 -, still running, a hostile plan name, its last
 *     stop not yet left;
 *   G (with --old) 2024-01-10, before all the others: to be purged.
 *
 * Prints "NAME ID" per session, and writes OUT.expect.json with what the
 * tests check against: per session its id, times, route points, stops
 * (times, places, counts), entries, peak, incidents by category, check-ins.
 * Plan events carry the fields controller/core/plan.c writes (the ones
 * docs/review.md says the review reads); the fixture writes them directly.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "store.h"

static store_t *db;

static void die(const char *what)
{
	fprintf(stderr, "review_fixture: %s: %s\n", what, db ? store_errmsg(db) : "");
	exit(1);
}

static int64_t shift_ms;   /* added to every time of the session being built */

/* "2026-03-14T19:00:00" (UTC) to ms, plus shift_ms; NULL = 0 */
static int64_t T(const char *iso)
{
	if (!iso)
		return 0;
	struct tm tm = { 0 };
	if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6) {
		fprintf(stderr, "review_fixture: bad time %s\n", iso);
		exit(1);
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + shift_ms;
}

static double dist_m(double la1, double lo1, double la2, double lo2)
{
	const double r = 6371008.8, k = M_PI / 180;
	double dla = (la2 - la1) * k, dlo = (lo2 - lo1) * k;
	double a = sin(dla / 2) * sin(dla / 2) +
		   cos(la1 * k) * cos(la2 * k) * sin(dlo / 2) * sin(dlo / 2);
	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

/* ------------------------------------------------------------ definitions */

struct stopdef {
	const char *name;
	double lat, lon;
	const char *arr, *dep;   /* dep NULL: still there */
	int in, out;             /* entries/exits spread over the stop */
};

struct evdef {
	const char *at;
	const char *type;        /* "+1" / "-1": an entry / exit through the beams */
	int prio;
	const char *json;        /* data; NULL = {} */
	const char *cat;         /* non-NULL: an incident of that category */
};

struct sessdef {
	const char *name;
	const char *start, *end, *planned_end, *last;   /* last: running: points until */
	const char *plan;
	bool gps, summary, bare;
	int period_move, period_stop;
	const struct stopdef *stops;
	size_t nstops;
	const struct evdef *evs;
	size_t nevs;
};

/* ------------------------------------------------------------ the route */

struct pt {
	int64_t t;
	double lat, lon;
};

struct build {
	const struct sessdef *d;
	int64_t id, start, end;
	struct pt *pts;
	size_t npts, cap;
	double dist;
	unsigned rnd;
};

static double jit(struct build *b, double m)
{
	b->rnd = b->rnd * 1103515245u + 12345u;
	return ((double)((b->rnd >> 8) % 2001) / 1000.0 - 1.0) * m / 111320.0;
}

static void add_pt(struct build *b, int64_t t, double lat, double lon, double speed)
{
	if (b->npts == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->pts = realloc(b->pts, b->cap * sizeof(*b->pts));
		if (!b->pts)
			die("out of memory");
	}
	if (b->npts && !(speed < 0.5))   /* as the review: slow moves are jitter */
		b->dist += dist_m(b->pts[b->npts - 1].lat, b->pts[b->npts - 1].lon, lat, lon);
	b->pts[b->npts++] = (struct pt){ t, lat, lon };
	struct route_point p = {
		.utc_ms = t, .session_id = b->id, .lat = lat, .lon = lon, .alt = 35.5,
		.speed = speed, .track = 90, .eph = 4.5, .mode = 3, .sats = 9, .utc_src = 0,
	};
	if (store_add_point(db, &p) < 0)
		die("adding a point");
	if (store_pending_points(db) >= 4096 && store_flush(db) < 0)
		die("flushing points");
}

static void drive(struct build *b, int64_t t0, int64_t t1, double la1, double lo1)
{
	double la0 = b->pts[b->npts - 1].lat, lo0 = b->pts[b->npts - 1].lon;
	int64_t per = (int64_t)b->d->period_move * 1000;
	int64_t n = (t1 - t0) / per;
	if (n < 1)
		n = 1;
	double speed = dist_m(la0, lo0, la1, lo1) / ((double)(t1 - t0) / 1000);
	if (speed < 1)
		speed = 1;
	for (int64_t i = 1; i <= n; i++) {
		double f = (double)i / (double)n;
		bool last = i == n;
		double j = b->d->period_move >= 5 ? 3 : 0.3;   /* receiver noise */
		add_pt(b, t0 + (t1 - t0) * i / n, la0 + (la1 - la0) * f + (last ? 0 : jit(b, j)),
		       lo0 + (lo1 - lo0) * f + (last ? 0 : jit(b, j)), speed);
	}
}

static void stay(struct build *b, int64_t t0, int64_t t1, double la, double lo)
{
	int64_t per = (int64_t)b->d->period_stop * 1000;
	for (int64_t t = t0 + per; t <= t1; t += per)
		add_pt(b, t, la + jit(b, 1), lo + jit(b, 1), 0.1);
}

static void route(struct build *b, double base_lat, double base_lon)
{
	const struct sessdef *d = b->d;
	int64_t t = b->start;
	int64_t last = d->end ? T(d->end) : T(d->last);
	add_pt(b, t, base_lat, base_lon, 0);
	for (size_t i = 0; i < d->nstops; i++) {
		const struct stopdef *s = &d->stops[i];
		drive(b, t, T(s->arr), s->lat, s->lon);
		int64_t dep = s->dep ? T(s->dep) : last;
		stay(b, T(s->arr), dep, s->lat, s->lon);
		t = dep;
	}
	if (d->end && t < last)
		drive(b, t, last, base_lat, base_lon);
}

static bool pos_at(const struct build *b, int64_t t, double *lat, double *lon)
{
	if (!b->npts || t < b->pts[0].t)
		return false;
	size_t lo = 0, hi = b->npts;   /* last point with time <= t */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (b->pts[mid].t <= t)
			lo = mid;
		else
			hi = mid;
	}
	*lat = b->pts[lo].lat;
	*lon = b->pts[lo].lon;
	return true;
}

/* ------------------------------------------------------------- the events */

enum { K_PLAIN, K_IN, K_OUT, K_STOP_START, K_STOP_END };

struct ev {
	int64_t t;
	size_t order;
	int kind;
	int stop;             /* K_STOP_*: index */
	const struct evdef *def;
};

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct state {
	int occ, lim, peak, entries, exits, ck, missed;
	int64_t over_since, over_ms;
	json_t *incidents;
};

static void store_ev(struct build *b, int64_t t, const char *type, int prio, json_t *data,
		     const char *cat, struct state *st)
{
	if (!data)
		data = json_object();
	if (cat) {
		json_object_set_new(data, "incident", json_true());
		json_object_set_new(data, "category", json_string(cat));
		if (!json_is_true(json_object_get(data, "covert"))) {
			json_int_t n = json_integer_value(json_object_get(st->incidents, cat));
			json_object_set_new(st->incidents, cat, json_integer(n + 1));
		}
	}
	char *txt = json_dumps(data, JSON_COMPACT);
	struct stored_event e = { .seq = store_next_seq(db), .utc_ms = t, .type = type,
				  .prio = prio, .session_id = b->id, .data_json = txt,
				  .incident = cat != NULL, .category = cat };
	e.has_pos = b->d->gps && pos_at(b, t, &e.lat, &e.lon);
	if (!txt || e.seq < 0 || store_add_event(db, &e, NULL, NULL, 0, false, NULL) < 0)
		die("adding an event");
	free(txt);
	json_decref(data);
}

static json_t *occ_data(const struct state *st)
{
	return json_pack("{s:i, s:i, s:i, s:b}", "count", st->occ, "occupancy", st->occ, "limit",
			 st->lim, "full", st->occ >= st->lim);
}

static void crossing(struct build *b, int64_t t, bool in, struct state *st)
{
	bool was = st->occ > st->lim;
	st->occ += in ? 1 : -1;
	if (in) {
		st->entries++;
		if (st->occ > st->peak)
			st->peak = st->occ;
	} else {
		st->exits++;
	}
	json_t *d = occ_data(st);
	json_object_set_new(d, "source", json_string("beams"));
	store_ev(b, t, in ? "occupancy.entry" : "occupancy.exit", 0, d, NULL, st);
	bool over = st->occ > st->lim;
	if (over && !was) {
		st->over_since = t;
		json_t *o = occ_data(st);
		json_object_set_new(o, "capacity", json_integer(6));
		json_object_set_new(o, "crew", json_integer(2));
		json_object_set_new(o, "muted", json_false());
		store_ev(b, t, "occupancy.over_limit", 1, o, "over_limit", st);
	} else if (!over && was) {
		st->over_ms += t - st->over_since;
		json_t *o = occ_data(st);
		json_object_set_new(o, "over_s", json_integer((t - st->over_since) / 1000));
		store_ev(b, t, "occupancy.over_limit_ended", 0, o, NULL, st);
	}
}

static json_t *expect;

static void build_session(const struct sessdef *d, double base_lat, double base_lon)
{
	struct build b = { .d = d, .start = T(d->start), .end = T(d->end) };
	b.id = b.start;
	b.rnd = (unsigned)(b.start / 1000);
	int64_t pend = T(d->planned_end);
	struct store_session row = { .id = b.id, .started_utc_ms = b.start,
				     .planned_end_utc_ms = pend, .crew = 2, .plan = d->plan };
	if (store_session_upsert(db, &row) < 0)
		die("adding a session");
	if (d->gps)
		route(&b, base_lat, base_lon);
	if (store_flush(db) < 0)
		die("flushing points");

	/* the timeline */
	size_t cap = d->nevs + 8;
	for (size_t i = 0; i < d->nstops; i++)
		cap += (size_t)(d->stops[i].in + d->stops[i].out) + 2;
	struct ev *evs = calloc(cap, sizeof(*evs));
	size_t n = 0;
	if (!evs)
		die("out of memory");
	for (size_t i = 0; i < d->nevs; i++)
		evs[n++] = (struct ev){ .t = T(d->evs[i].at), .order = n,
					.kind = strcmp(d->evs[i].type, "+1") == 0   ? K_IN
						: strcmp(d->evs[i].type, "-1") == 0 ? K_OUT
										    : K_PLAIN,
					.def = &d->evs[i] };
	int64_t last = d->end ? b.end : T(d->last);
	for (size_t i = 0; i < d->nstops; i++) {
		const struct stopdef *s = &d->stops[i];
		int64_t arr = T(s->arr), dep = s->dep ? T(s->dep) : last;
		if (d->gps)
			evs[n++] = (struct ev){ .t = arr, .order = n, .kind = K_STOP_START,
						.stop = (int)i };
		int64_t span = dep - arr;
		for (int k = 0; k < s->in; k++)
			evs[n++] = (struct ev){ .t = arr + span * 6 / 10 * (k + 1) / (s->in + 1),
						.order = n, .kind = K_IN };
		for (int k = 0; k < s->out; k++)
			evs[n++] = (struct ev){ .t = arr + span * 6 / 10 +
						     span * 4 / 10 * (k + 1) / (s->out + 1),
						.order = n, .kind = K_OUT };
		if (s->dep && d->gps)
			evs[n++] = (struct ev){ .t = dep, .order = n, .kind = K_STOP_END,
						.stop = (int)i };
	}
	qsort(evs, n, sizeof(*evs), cmp_ev);

	struct state st = { .lim = 4, .ck = 1, .incidents = json_object() };
	int *stop_peak = calloc(d->nstops + 1, sizeof(int));
	int *stop_entries = calloc(d->nstops + 1, sizeof(int));
	if (!d->bare)
		store_ev(&b, b.start, "session.started", 1,
			 json_pack("{s:i, s:b, s:I, s:s?, s:s, s:i}", "crew", 2, "lone", 0,
				   "planned_end_utc", (json_int_t)pend, "plan", d->plan, "source",
				   "button", "count_at_start", 0),
			 NULL, &st);
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = &evs[i];
		if (e->kind == K_IN || e->kind == K_OUT) {
			crossing(&b, e->t, e->kind == K_IN, &st);
		} else if (e->kind == K_STOP_START || e->kind == K_STOP_END) {
			const struct stopdef *s = &d->stops[e->stop];
			json_t *sd = json_pack("{s:i, s:f, s:f, s:I}", "number", e->stop + 1, "lat",
					       s->lat, "lon", s->lon, "arrival_utc",
					       (json_int_t)T(s->arr));
			if (e->kind == K_STOP_END)
				json_object_set_new(sd, "departure_utc", json_integer(T(s->dep)));
			store_ev(&b, e->t, e->kind == K_STOP_START ? "stop.started" : "stop.ended", 0,
				 sd, NULL, &st);
		} else {
			const struct evdef *def = e->def;
			json_t *data = def->json ? json_loads(def->json, 0, NULL) : json_object();
			if (!data) {
				fprintf(stderr, "review_fixture: bad json %s\n", def->json);
				exit(1);
			}
			if (strcmp(def->type, "checkin") == 0)
				st.ck++;
			if (strcmp(def->type, "checkin.missed") == 0 && def->cat)
				st.missed++;
			store_ev(&b, e->t, def->type, def->prio, data, def->cat, &st);
		}
		/* per-stop entries and peak */
		for (size_t k = 0; k < d->nstops; k++) {
			const struct stopdef *s = &d->stops[k];
			int64_t arr = T(s->arr), dep = s->dep ? T(s->dep) : last;
			if (e->t < arr || e->t > dep)
				continue;
			if (e->kind == K_IN)
				stop_entries[k]++;
			if (st.occ > stop_peak[k])
				stop_peak[k] = st.occ;
		}
	}
	if (st.over_ms == 0 && st.occ > st.lim)
		st.over_ms = last - st.over_since;

	json_t *stops = json_array();
	for (size_t k = 0; k < d->nstops; k++) {
		const struct stopdef *s = &d->stops[k];
		struct store_stop sr = { .session_id = b.id, .arrived_utc_ms = T(s->arr),
					 .departed_utc_ms = T(s->dep), .lat = s->lat, .lon = s->lon,
					 .name = s->name, .entries = stop_entries[k],
					 .peak = stop_peak[k], .door_openings = s->in + s->out };
		if (store_stop_add(db, &sr) < 0)
			die("adding a stop");
		json_array_append_new(stops, json_pack("{s:s?, s:I, s:I, s:f, s:f, s:i, s:i}",
						       "name", s->name, "arrival",
						       (json_int_t)sr.arrived_utc_ms, "departure",
						       (json_int_t)sr.departed_utc_ms, "lat", s->lat,
						       "lon", s->lon, "entries", sr.entries, "peak",
						       sr.peak));
	}

	char *sumtxt = NULL;
	if (d->end && !d->bare) {
		st.ck++;   /* the end is a check-in */
		json_t *sum = json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:s?, s:I, s:I, s:i, s:i, s:i, s:i, "
			"s:I, s:i, s:i, s:O, s:i}",
			"id", (json_int_t)b.id, "started_utc", (json_int_t)b.start, "ended_utc",
			(json_int_t)b.end, "duration_s", (json_int_t)((b.end - b.start) / 1000),
			"planned_end_utc", (json_int_t)pend, "crew", 2, "lone", 0, "plan", d->plan,
			"distance_m", (json_int_t)llround(b.dist), "stops",
			(json_int_t)d->nstops, "entries", st.entries, "exits", st.exits,
			"peak_occupancy", st.peak, "count_at_start", 0, "over_limit_s",
			(json_int_t)(st.over_ms / 1000), "checkins", st.ck, "checkins_missed",
			st.missed, "incidents", st.incidents, "count_at_end", st.occ);
		json_t *ev = json_deep_copy(sum);
		json_object_set_new(ev, "source", json_string("button"));
		store_ev(&b, b.end, "session.ended", 1, ev, NULL, &st);
		if (d->summary)
			sumtxt = json_dumps(sum, JSON_COMPACT);
		json_decref(sum);
	}
	row.ended_utc_ms = b.end;
	row.summary_json = sumtxt;
	if (store_session_upsert(db, &row) < 0)
		die("ending a session");
	free(sumtxt);

	json_object_set_new(
		expect, d->name,
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:I, s:f, s:o, s:o, s:i, s:i}", "id",
			  (json_int_t)b.id, "started", (json_int_t)b.start, "ended",
			  (json_int_t)b.end, "planned_end", (json_int_t)pend, "points",
			  (json_int_t)b.npts, "entries", st.entries, "peak", st.peak,
			  "over_limit_s", (json_int_t)(st.over_ms / 1000), "distance_m", b.dist,
			  "stops", stops, "incidents", st.incidents, "checkins", d->bare ? 0 : st.ck,
			  "checkins_missed", st.missed));
	printf("%s %" PRId64 "\n", d->name, b.id);
	free(stop_peak);
	free(stop_entries);
	free(evs);
	free(b.pts);
}

/* --------------------------------------------------------------- sessions */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct stopdef a_stops[] = {
	{ "site-1", 51.5262, -0.0880, "2026-03-14T19:20:00", "2026-03-14T19:50:00", 3, 3 },
	{ NULL, 51.5301, -0.0755, "2026-03-14T20:05:00", "2026-03-14T20:19:00", 1, 1 },
	{ "site-2", 51.5350, -0.0650, "2026-03-14T20:40:00", "2026-03-14T21:40:00", 0, 0 },
	{ "site-4", 51.5230, -0.0950, "2026-03-14T22:10:00", "2026-03-14T23:20:00", 2, 2 },
};

static char a_plan_json[2048], a_arr1[512], a_arr2[512], a_arr4[512], a_late2[512];

/* The hostile note: markup, quotes, an apostrophe, C0 controls (bell, an
 * ANSI colour sequence), a newline, a CDATA end, a bidi override, and
 * non-ASCII text. */
static const char HOSTILE[] =
	"{\"note\":\"Shouted at crew <b>bold</b> & \\\"quoted\\\" 'single' \\u0007bell "
	"\\u001b[31mred\\u001b[0m\\nline two </td></table><script>alert(1)</script> ]]> "
	"caf\\u00e9 \\u6f22\\u5b57 \\u202eevil\",\"source\":\"button\"}";

static char a_dep1[256], a_dep2[256], a_dep4[256], a_unpl[256], a_ret[256], d_plan_json[2048],
	d_arr1[512], d_dep1[512], d_skipx[512], d_arr2[512], d_dep2[512];

static const struct evdef a_evs[] = {
	{ "2026-03-14T19:00:00", "plan.started", 0, a_plan_json, NULL },
	/* the core reports an arrival a few fixes after it (hysteresis):
	 * arrival_utc is the first fix inside the radius */
	{ "2026-03-14T19:20:10", "plan.arrived", 0, a_arr1, NULL },
	{ "2026-03-14T19:50:10", "plan.departed", 0, a_dep1, NULL },
	{ "2026-03-14T19:58:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-03-14T20:15:00", "plan.late", 1, a_late2, NULL },
	{ "2026-03-14T20:15:00", "plan.unplanned_stop", 1, a_unpl, NULL },
	{ "2026-03-14T20:40:10", "plan.arrived", 0, a_arr2, NULL },
	{ "2026-03-14T20:50:00", "incident", 0, "{\"note\":null,\"source\":\"vanctl\"}", "medical" },
	{ "2026-03-14T20:50:30", "+1", 0, NULL, NULL },
	{ "2026-03-14T20:58:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-03-14T21:00:00", "+1", 0, NULL, NULL },
	{ "2026-03-14T21:05:00", "+1", 0, NULL, NULL },
	{ "2026-03-14T21:10:00", "+1", 0, NULL, NULL },
	{ "2026-03-14T21:14:00", "+1", 0, NULL, NULL },
	{ "2026-03-14T21:17:20", "-1", 0, NULL, NULL },
	{ "2026-03-14T21:25:00", "-1", 0, NULL, NULL },
	{ "2026-03-14T21:30:00", "-1", 0, NULL, NULL },
	{ "2026-03-14T21:35:00", "-1", 0, NULL, NULL },
	{ "2026-03-14T21:38:00", "-1", 0, NULL, NULL },
	{ "2026-03-14T21:40:10", "plan.departed", 0, a_dep2, NULL },
	{ "2026-03-14T21:48:00", "plan.changed", 1,
	  "{\"kind\":\"skip\",\"reason\":\"police\",\"source\":\"button\",\"location\":\"site-3\","
	  "\"index\":3,\"after_alert\":false}", NULL },
	{ "2026-03-14T21:58:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-03-14T22:05:00", "incident", 0, HOSTILE, "abuse" },
	{ "2026-03-14T22:10:10", "plan.arrived", 0, a_arr4, NULL },
	{ "2026-03-14T22:50:00", "emergency.raised", 2,
	  "{\"id\":1,\"source\":\"duress_checkin\",\"covert\":true,\"repeat\":0}", "emergency" },
	{ "2026-03-14T22:52:00", "emergency.acknowledged", 1,
	  "{\"id\":1,\"by\":\"base\",\"covert\":true}", NULL },
	{ "2026-03-14T23:03:00", "checkin.missed", 1,
	  "{\"due_utc\":1773529080000,\"late_s\":300,\"repeat\":0,\"reason\":\"normal\"}",
	  "checkin_missed" },
	{ "2026-03-14T23:06:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"missed\"}", NULL },
	{ "2026-03-14T23:15:00", "session.overdue", 1,
	  "{\"planned_end_utc\":1773529200000,\"overdue_s\":900,\"repeat\":0}", "overdue" },
	{ "2026-03-14T23:20:10", "plan.departed", 0, a_dep4, NULL },
	{ "2026-03-14T23:29:00", "plan.returned", 0, a_ret, NULL },
	{ "2026-03-14T23:30:00", "session.overdue_resolved", 1,
	  "{\"how\":\"ended\",\"source\":\"button\",\"overdue_s\":1800}", NULL },
	{ "2026-03-14T23:30:00", "plan.ended", 0,
	  "{\"plan\":\"north-loop\",\"locations\":4,\"visited\":3,\"skipped\":1,\"not_visited\":[],"
	  "\"late\":1,\"unplanned_stops\":1,\"off_corridor\":0,\"changes\":1,\"returned\":true}",
	  NULL },
};

/* One planned location as the core writes it in plan.started. */
static void loc_json(char *buf, size_t len, const char *name, int idx, const char *w0,
		     const char *w1, int dwell)
{
	snprintf(buf, len,
		 "{\"location\":\"%s\",\"name\":\"%s\",\"index\":%d,\"window_start_utc\":%" PRId64
		 ",\"window_end_utc\":%" PRId64 ",\"dwell_s\":%d}",
		 name, name, idx, T(w0), T(w1), dwell);
}

/* plan.departed as the core writes it */
static void dep_json(char *buf, size_t len, const char *name, int idx, const char *arr,
		     const char *dep, int dwell)
{
	int64_t on = (T(dep) - T(arr)) / 1000;
	snprintf(buf, len,
		 "{\"location\":\"%s\",\"index\":%d,\"arrival_utc\":%" PRId64
		 ",\"departure_utc\":%" PRId64 ",\"on_site_s\":%" PRId64 ",\"dwell_s\":%d,"
		 "\"dwell_diff_s\":%" PRId64 "}",
		 name, idx, T(arr), T(dep), on, dwell, on - dwell);
}

/* plan.arrived: the location's fields plus arrival_utc and timing */
static void arr_json(char *buf, size_t len, const char *loc, const char *arr, const char *timing,
		     int64_t late_s)
{
	size_t n = strlen(loc);
	snprintf(buf, len, "%.*s,\"arrival_utc\":%" PRId64 ",\"timing\":\"%s\",\"late_s\":%" PRId64
		 ",\"early_s\":0,\"checkin\":false,\"was_skipped\":false}",
		 (int)(n - 1), loc, T(arr), timing, late_s);
}

static void plan_json(void)
{
	shift_ms = 0;
	char l1[256], l2[256], l3[256], l4[256];
	loc_json(l1, sizeof(l1), "site-1", 1, "2026-03-14T19:15:00", "2026-03-14T19:30:00", 1800);
	loc_json(l2, sizeof(l2), "site-2", 2, "2026-03-14T20:00:00", "2026-03-14T20:15:00", 2700);
	loc_json(l3, sizeof(l3), "site-3", 3, "2026-03-14T21:30:00", "2026-03-14T21:45:00", 1200);
	loc_json(l4, sizeof(l4), "site-4", 4, "2026-03-14T22:00:00", "2026-03-14T22:15:00", 3600);
	snprintf(a_plan_json, sizeof(a_plan_json),
		 "{\"plan\":\"north-loop\",\"anchored\":true,\"utc_offset_s\":0,"
		 "\"locations\":[%s,%s,%s,%s]}", l1, l2, l3, l4);
	arr_json(a_arr1, sizeof(a_arr1), l1, "2026-03-14T19:20:00", "on_time", 0);
	arr_json(a_arr2, sizeof(a_arr2), l2, "2026-03-14T20:40:00", "late", 1500);
	arr_json(a_arr4, sizeof(a_arr4), l4, "2026-03-14T22:10:00", "on_time", 0);
	dep_json(a_dep1, sizeof(a_dep1), "site-1", 1, "2026-03-14T19:20:00", "2026-03-14T19:50:00", 1800);
	dep_json(a_dep2, sizeof(a_dep2), "site-2", 2, "2026-03-14T20:40:00", "2026-03-14T21:40:00", 2700);
	dep_json(a_dep4, sizeof(a_dep4), "site-4", 4, "2026-03-14T22:10:00", "2026-03-14T23:20:00", 3600);
	snprintf(a_late2, sizeof(a_late2), "%.*s,\"late_s\":0,\"distance_m\":1450}",
		 (int)strlen(l2) - 1, l2);
	snprintf(a_unpl, sizeof(a_unpl),
		 "{\"lat\":51.5301,\"lon\":-0.0755,\"since_utc\":%" PRId64 ",\"stopped_s\":600,"
		 "\"nearest\":\"site-2\",\"nearest_m\":820,\"detector\":\"stops\"}",
		 T("2026-03-14T20:05:00"));
	snprintf(a_ret, sizeof(a_ret),
		 "{\"location\":\"base\",\"arrival_utc\":%" PRId64 ",\"late_s\":1740,"
		 "\"early_s\":0,\"visited\":3,\"skipped\":1}", T("2026-03-14T23:29:00"));

	/* D: the night route, across the clock change; site-x is passed by */
	char m1[256], mx[256], m2[256];
	loc_json(m1, sizeof(m1), "site-1", 1, "2026-10-24T22:15:00", "2026-10-24T22:45:00", 3600);
	loc_json(mx, sizeof(mx), "site-x", 2, "2026-10-24T23:30:00", "2026-10-25T00:00:00", 1800);
	loc_json(m2, sizeof(m2), "site-2", 3, "2026-10-25T01:15:00", "2026-10-25T01:45:00", 3600);
	snprintf(d_plan_json, sizeof(d_plan_json),
		 "{\"plan\":\"night-route\",\"anchored\":true,\"utc_offset_s\":3600,"
		 "\"locations\":[%s,%s,%s]}", m1, mx, m2);
	arr_json(d_arr1, sizeof(d_arr1), m1, "2026-10-24T22:30:00", "on_time", 0);
	dep_json(d_dep1, sizeof(d_dep1), "site-1", 1, "2026-10-24T22:30:00", "2026-10-24T23:30:00", 3600);
	snprintf(d_skipx, sizeof(d_skipx), "%.*s,\"arrived_at\":\"site-2\"}", (int)strlen(mx) - 1, mx);
	arr_json(d_arr2, sizeof(d_arr2), m2, "2026-10-25T01:30:00", "on_time", 0);
	dep_json(d_dep2, sizeof(d_dep2), "site-2", 3, "2026-10-25T01:30:00", "2026-10-25T02:30:00", 3600);
}

static const struct sessdef sess_a = {
	"A", "2026-03-14T19:00:00", "2026-03-14T23:30:00", "2026-03-14T23:00:00", NULL,
	"north-loop", true, true, false, 5, 30, a_stops, N(a_stops), a_evs, N(a_evs),
};

static const struct sessdef sess_b = {
	"B", "2026-03-16T19:00:00", "2026-03-16T19:05:00", "2026-03-16T23:00:00", NULL,
	NULL, false, false, true, 5, 30, NULL, 0, NULL, 0,
};

static const struct evdef c_evs[] = {
	{ "2026-03-20T18:30:00", "+1", 0, NULL, NULL },
	{ "2026-03-20T18:40:00", "+1", 0, NULL, NULL },
	{ "2026-03-20T18:50:00", "-1", 0, NULL, NULL },
	{ "2026-03-20T19:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-03-20T19:10:00", "+1", 0, NULL, NULL },
	{ "2026-03-20T19:15:00", "incident", 0,
	  "{\"note\":\"A service user felt unwell; ambulance called.\",\"source\":\"button\"}",
	  "medical" },
	{ "2026-03-20T19:20:00", "-1", 0, NULL, NULL },
	{ "2026-03-20T19:30:00", "-1", 0, NULL, NULL },
	{ "2026-03-20T20:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-03-20T21:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
};

static const struct sessdef sess_c = {
	"C", "2026-03-20T18:00:00", "2026-03-20T22:00:00", "2026-03-20T22:00:00", NULL,
	NULL, false, true, false, 5, 30, NULL, 0, c_evs, N(c_evs),
};

static const struct stopdef d_stops[] = {
	/* 23:30 BST - 00:30 BST: across midnight */
	{ "site-1", 51.5262, -0.0880, "2026-10-24T22:30:00", "2026-10-24T23:30:00", 2, 2 },
	/* 01:40 BST - 01:20 GMT: across the clock change, 40 minutes */
	{ NULL, 51.5301, -0.0755, "2026-10-25T00:40:00", "2026-10-25T01:20:00", 1, 1 },
	/* 01:30 GMT - 02:30 GMT */
	{ "site-2", 51.5350, -0.0650, "2026-10-25T01:30:00", "2026-10-25T02:30:00", 3, 3 },
};

static const struct evdef d_evs[] = {
	{ "2026-10-24T22:00:00", "plan.started", 0, d_plan_json, NULL },
	{ "2026-10-24T22:30:10", "plan.arrived", 0, d_arr1, NULL },
	{ "2026-10-24T23:30:10", "plan.departed", 0, d_dep1, NULL },
	{ "2026-10-25T01:30:10", "plan.skipped", 1, d_skipx, NULL },
	{ "2026-10-25T01:30:10", "plan.arrived", 0, d_arr2, NULL },
	{ "2026-10-25T02:30:10", "plan.departed", 0, d_dep2, NULL },
	{ "2026-10-24T23:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-10-25T00:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-10-25T00:59:30", "incident", 0,
	  "{\"note\":\"Flat tyre; changed it.\",\"source\":\"button\"}", "vehicle" },
	{ "2026-10-25T01:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-10-25T02:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
	{ "2026-10-25T03:00:00", "checkin", 0, "{\"source\":\"button\",\"was\":\"on_time\"}", NULL },
};

static const struct sessdef sess_d = {
	"D", "2026-10-24T22:00:00", "2026-10-25T03:30:00", "2026-10-25T03:00:00", NULL,
	"night-route", true, true, false, 10, 60, d_stops, N(d_stops), d_evs, N(d_evs),
};

static struct stopdef e_stops[8];
static char e_times[8][2][24];
static struct evdef e_evs[13];
static char e_ck[12][24];

static const struct sessdef *sess_e(void)
{
	static struct sessdef d = {
		"E", "2026-06-01T17:00:00", "2026-06-02T05:00:00", "2026-06-02T05:00:00", NULL,
		NULL, true, false, false, 1, 1, e_stops, 8, e_evs, 13,
	};
	for (int i = 0; i < 8; i++) {
		/* stop i: 17:30 + 80 min * i, 30 minutes, round a 2 km circle */
		int64_t a = T("2026-06-01T17:30:00") / 1000 + (int64_t)i * 80 * 60;
		for (int k = 0; k < 2; k++) {
			time_t t = (time_t)(a + k * 30 * 60);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(e_times[i][k], sizeof(e_times[i][k]), "%Y-%m-%dT%H:%M:%S", &tm);
		}
		double ang = 2 * M_PI * i / 8;
		e_stops[i] = (struct stopdef){ NULL, 51.52 + 0.018 * sin(ang),
					       -0.10 + 0.029 * cos(ang), e_times[i][0],
					       e_times[i][1], 5, 5 };
	}
	e_stops[0].name = "hub";
	for (int h = 0; h < 12; h++) {
		time_t t = (time_t)(T("2026-06-01T17:55:00") / 1000 + h * 3600);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(e_ck[h], sizeof(e_ck[h]), "%Y-%m-%dT%H:%M:%S", &tm);
		e_evs[h] = (struct evdef){ e_ck[h], "checkin", 0,
					   "{\"source\":\"button\",\"was\":\"on_time\"}", NULL };
	}
	e_evs[12] = (struct evdef){ "2026-06-01T23:10:00", "incident", 0,
				    "{\"note\":\"Verbal abuse from a passer-by.\"}", "abuse" };
	return &d;
}

static const struct stopdef f_stops[] = {
	{ "site-1", 51.5262, -0.0880, "2026-03-28T19:20:00", "2026-03-28T19:40:00", 1, 1 },
	{ NULL, 51.5301, -0.0755, "2026-03-28T19:50:00", NULL, 2, 0 },
};

static const struct sessdef sess_f = {
	"F", "2026-03-28T19:00:00", NULL, "2026-03-28T23:00:00", "2026-03-28T20:10:00",
	"late \"shift\" <B&C>", true, false, false, 5, 30, f_stops, N(f_stops), NULL, 0,
};

static const struct stopdef g_stops[] = {
	{ "site-1", 51.5262, -0.0880, "2024-01-10T19:20:00", "2024-01-10T19:50:00", 2, 2 },
};

static const struct evdef g_evs[] = {
	{ "2024-01-10T19:30:00", "incident", 0, "{\"note\":\"old note kept\"}", "medical" },
};

static const struct sessdef sess_g = {
	"G", "2024-01-10T19:00:00", "2024-01-10T21:00:00", "2024-01-10T21:00:00", NULL,
	NULL, true, true, false, 10, 60, g_stops, N(g_stops), g_evs, N(g_evs),
};

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--old") != 0)) {
		fprintf(stderr, "usage: review_fixture OUT.db [--old]\n");
		return 2;
	}
	char err[512];
	remove(argv[1]);
	if (!(db = store_open(argv[1], false, err, sizeof(err)))) {
		fprintf(stderr, "review_fixture: %s\n", err);
		return 1;
	}
	expect = json_object();
	plan_json();
	const double la = 51.5200, lo = -0.1000;
	shift_ms = 0;
	build_session(&sess_a, la, lo);
	build_session(&sess_b, la, lo);
	build_session(&sess_c, la, lo);
	build_session(&sess_d, la, lo);
	build_session(sess_e(), la, lo);
	build_session(&sess_f, la, lo);
	if (argc == 3) {
		/* G: at its own fixed date, before every other session: the purge
		 * test chooses a cutoff between them from the clock it runs under
		 * (a G placed relative to now overtook A and D as the years went by) */
		shift_ms = 0;
		build_session(&sess_g, la, lo);
	}
	if (store_flush(db) < 0)
		die("flushing");
	store_close(db);
	char path[4096];
	snprintf(path, sizeof(path), "%s.expect.json", argv[1]);
	if (json_dump_file(expect, path, JSON_INDENT(1) | JSON_SORT_KEYS) < 0) {
		fprintf(stderr, "review_fixture: cannot write %s\n", path);
		return 1;
	}
	json_decref(expect);
	return 0;
}
