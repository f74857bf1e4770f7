/*
 * van.c - the aggregate: creation, inputs, fixes, timers, outputs.
 * Commands are in van_cmd.c, the snapshot in van_json.c, persistence in
 * van_save.c.  See van.h.
 */
#include "van_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shipped defaults: each value is the default of its key in the
 * config table (controller/conf.c, docs/config.md); tests/unit/test_conf.c
 * (test_core_defaults_are_shipped) checks they agree, so the core's tests
 * exercise the van that ships.  Members without a key (default_crew,
 * max_length_min, ...) are the core's own. */
void van_params_default(struct van_params *p)
{
	*p = (struct van_params){
		.capacity = 6, .per_crew = 3, .door_window_s = 10, .beam_gap_max_ms = 1500,
		.beam_stuck_s = 120, .mute_s = 300, .beams_need_door = true,
		.default_crew = 2, .default_length_min = 240, .max_length_min = 24 * 60,
		.checkin_interval_min = 60, .checkin_interval_lone_min = 30,
		.checkin_interval_risk_min = 20, .checkin_reminder_s = 300, .checkin_grace_s = 300,
		.checkin_repeat_min = 0, .overdue_grace_min = 15, .overdue_repeat_min = 10,
		.stop_speed_mps = 1.0, .stop_after_s = 60, .stop_radius_m = 30.0,
		.distance_jitter_m = 15.0, .door_moving_speed_mps = 2.0,
		.incident_types = "aggression,medical,police,vehicle,threat,other",
		.note_max = 200, .repeat_s = 30, .selftest_timeout_s = 60, .duress_code = NULL,
		.location_interval_s = 10, .emergency_location_interval_s = 1,
	};
}

/* The incident categories van_new() can hold: 0, or why not. */
static const char *types_problem(const char *list)
{
	size_t n = 0;
	for (const char *s = list ? list : ""; *s;) {
		size_t len = strcspn(s, ",");
		const char *a = s, *b = s + len;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			if (++n > VAN_TYPES_MAX)
				return "at most 32 categories";
			if ((size_t)(b - a) >= VAN_CAT_MAX)
				return "a category has at most 31 characters";
		}
		s += len + (s[len] == ',');
	}
	return NULL;
}

/* Only what the rules need to work: no negative counts or times, no zero
 * period (a timer that would fire in a loop), a default session the start
 * rule accepts, categories and a code that fit.  Policy ranges (a capacity
 * of at most 50, check-ins at most daily...) are the config table's alone:
 * each key's range there lies inside what is accepted here
 * (tests/unit/test_conf.c, test_ranges_match_core). */
int van_params_check_each(const struct van_params *p, van_params_bad_fn bad, void *ctx)
{
	int n = 0;
#define BAD(field, why) do { n++; if (bad) bad(ctx, field, why); } while (0)
#define AT_LEAST(field, lo, unit) \
	if (p->field < (lo)) BAD(#field, "must be at least " #lo unit)
#define ABOVE_0(field, unit) \
	if (!(p->field > 0 && isfinite(p->field))) BAD(#field, "must be above 0 " unit)
	AT_LEAST(capacity, 0, "");
	AT_LEAST(per_crew, 0, "");
	AT_LEAST(door_window_s, 0, " s");
	AT_LEAST(beam_gap_max_ms, 0, " ms");
	AT_LEAST(beam_stuck_s, 1, " s");
	AT_LEAST(mute_s, 1, " s");
	_Static_assert(SESSION_CREW_MAX == 20, "the message below says 20");
	if (p->default_crew < 1 || p->default_crew > SESSION_CREW_MAX)
		BAD("default_crew", "must be 1 to 20");
	if (p->max_length_min < 10 || p->max_length_min > 2880)
		BAD("max_length_min", "must be 10 to 2880 min");
	/* a session starts at least a minute long, at most max_length_min */
	if (p->default_length_min < 1 || p->default_length_min > p->max_length_min)
		BAD("default_length_min", "must be 1 min to the longest session");
	AT_LEAST(checkin_interval_min, 1, " min");
	AT_LEAST(checkin_interval_lone_min, 1, " min");
	AT_LEAST(checkin_interval_risk_min, 1, " min");
	AT_LEAST(checkin_reminder_s, 0, " s");
	AT_LEAST(checkin_grace_s, 0, " s");
	AT_LEAST(checkin_repeat_min, 0, " min");
	AT_LEAST(overdue_grace_min, 0, " min");
	AT_LEAST(overdue_repeat_min, 1, " min");
	ABOVE_0(stop_speed_mps, "m/s");
	AT_LEAST(stop_after_s, 1, " s");
	ABOVE_0(stop_radius_m, "m");
	if (!(p->distance_jitter_m >= 0 && isfinite(p->distance_jitter_m)))
		BAD("distance_jitter_m", "must be 0 m or more");
	ABOVE_0(door_moving_speed_mps, "m/s");
	if (p->note_max < 0 || p->note_max > 4000)
		BAD("note_max", "must be 0 to 4000 bytes");
	AT_LEAST(repeat_s, 1, " s");
	AT_LEAST(selftest_timeout_s, 1, " s");
	AT_LEAST(location_interval_s, 1, " s");
	AT_LEAST(emergency_location_interval_s, 1, " s");
	if (p->duress_code && strlen(p->duress_code) > 64)
		BAD("duress_code", "must be at most 64 bytes");
	const char *tw = types_problem(p->incident_types);
	if (tw)
		BAD("incident_types", tw);
#undef AT_LEAST
#undef ABOVE_0
#undef BAD
	return n;
}

struct first_bad {
	const char *why;
};

static void keep_first(void *ctx, const char *field, const char *why)
{
	struct first_bad *f = ctx;
	(void)field;
	if (!f->why)
		f->why = why;
}

int van_params_check(const struct van_params *p, const char **why)
{
	struct first_bad f = { NULL };
	if (van_params_check_each(p, keep_first, &f) == 0)
		return 0;
	if (why)
		*why = f.why;
	return -EINVAL;
}

static int parse_types(van_t *v, const char *list)
{
	const char *s = list ? list : "";
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *a = s, *b = s + n;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			if (v->ntypes == VAN_TYPES_MAX || (size_t)(b - a) >= VAN_CAT_MAX)
				return -EINVAL;
			v->types[v->ntypes] = strndup(a, (size_t)(b - a));
			if (!v->types[v->ntypes])
				return -ENOMEM;
			v->ntypes++;
		}
		s += n + (s[n] == ',');
	}
	return 0;
}

static void derive(van_t *v)
{
	const struct van_params *p = &v->p;
	v->op = (struct occ_params){
		.capacity = p->capacity, .per_crew = p->per_crew,
		.mute_ms = (int64_t)p->mute_s * 1000, .gap_ms = p->beam_gap_max_ms,
		.stuck_ms = (int64_t)p->beam_stuck_s * 1000,
	};
	v->sp = (struct session_params){
		.default_len_ms = (int64_t)p->default_length_min * 60000,
		.max_len_ms = (int64_t)p->max_length_min * 60000,
		.overdue_grace_ms = (int64_t)p->overdue_grace_min * 60000,
		.overdue_repeat_ms = (int64_t)p->overdue_repeat_min * 60000,
		.ck = {
			.interval_ms = {
				[CK_NORMAL] = (int64_t)p->checkin_interval_min * 60000,
				[CK_LONE] = (int64_t)p->checkin_interval_lone_min * 60000,
				[CK_RISK] = (int64_t)p->checkin_interval_risk_min * 60000,
			},
			.reminder_ms = (int64_t)p->checkin_reminder_s * 1000,
			.grace_ms = (int64_t)p->checkin_grace_s * 1000,
			.repeat_ms = (int64_t)(p->checkin_repeat_min ? p->checkin_repeat_min
								 : p->overdue_repeat_min) * 60000,
		},
	};
	v->stp = (struct stops_params){
		.speed_mps = p->stop_speed_mps, .after_ms = (int64_t)p->stop_after_s * 1000,
		.radius_m = p->stop_radius_m,
	};
	v->ap = (struct alarm_params){
		.repeat_ms = (int64_t)p->repeat_s * 1000,
		.selftest_ms = (int64_t)p->selftest_timeout_s * 1000,
	};
}

van_t *van_new(const struct van_params *p)
{
	if (van_params_check(p, NULL) < 0)
		return NULL;
	van_t *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->p = *p;
	v->p.incident_types = NULL;
	v->p.duress_code = NULL;
	if (parse_types(v, p->incident_types) < 0)
		goto fail;
	if (p->duress_code && *p->duress_code && !(v->duress = strdup(p->duress_code)))
		goto fail;
	derive(v);
	doors_init(&v->doors);
	occ_init(&v->occ, &v->op);
	session_init(&v->s);
	fixlog_init(&v->fx, p->distance_jitter_m);
	stops_init(&v->stops);
	alarm_init(&v->alarm);
	health_init(&v->health);
	if (!(v->plan = plan_new()))
		goto fail;
	return v;
fail:
	van_free(v);
	return NULL;
}

void van_free(van_t *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->ntypes; i++)
		free(v->types[i]);
	free(v->duress);
	plan_free(v->plan);
	evq_fini(&v->q);
	json_decref(v->last_summary);
	free(v);
}

struct evq *van_evq(van_t *v)
{
	return &v->q;
}

struct emit van_emit(van_t *v, const struct vtime *now)
{
	return (struct emit){ .q = &v->q, .now = now, .sid = session_running(&v->s) ? v->s.id : 0 };
}

int64_t van_edge_ms(int64_t edge_mono_ms, const struct vtime *now)
{
	return edge_mono_ms <= 0 || edge_mono_ms > now->mono_ms ? now->mono_ms : edge_mono_ms;
}

bool van_is_duress(const van_t *v, const char *code)
{
	return v->duress && code && strcmp(v->duress, code) == 0;
}

/* The check-in interval the current risk calls for: the shortest that
 * applies (lone working; one crew member with service users aboard). */
enum ck_reason van_risk(const van_t *v, int crew, bool lone)
{
	const int64_t *iv = v->sp.ck.interval_ms;
	enum ck_reason r = CK_NORMAL;
	if (lone && iv[CK_LONE] < iv[r])
		r = CK_LONE;
	if (crew <= 1 && occ_occupancy(&v->occ) > 0 && iv[CK_RISK] < iv[r])
		r = CK_RISK;
	return r;
}

static void door_moving(van_t *v, const struct emit *e)
{
	double spd = 0;
	bool cond = doors_any_open(&v->doors) && fixlog_speed(&v->fx, e->now->mono_ms, &spd) &&
		    spd > v->p.door_moving_speed_mps;
	if (cond && !v->door_moving) {
		const struct fixpt *p = fixlog_last(&v->fx);
		json_t *d = json_object();
		jset_real(d, "speed_mps", spd);
		jset_real(d, "lat", p->lat);
		jset_real(d, "lon", p->lon);
		jset_new(d, "doors", doors_json(&v->doors));
		emit_ev(e, EV_T_DOOR_OPEN_WHILE_MOVING, EV_URGENT, d);
	}
	v->door_moving = cond;
}

static void run_timers(van_t *v, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	occ_tick(&v->occ, e);
	session_tick(&v->s, &v->sp, e);
	stops_tick(&v->stops, &v->stp, v->occ.entries_total, e);
	alarm_tick(&v->alarm, e);
	plan_tick(v->plan, e);
	if (alarm_repeat_due(&v->alarm, t))
		alarm_repeat(&v->alarm, &v->ap, van_context(v, e->now), e);
}

static void tally(van_t *v, const struct van_event *ev)
{
	const json_t *d = ev->data;
	const char *cat = json_string_value(json_object_get(d, "category"));
	if (!json_is_true(json_object_get(d, "incident")) || !cat ||
	    json_is_true(json_object_get(d, "covert")) || ev->session_id == 0 ||
	    ev->session_id != v->s.id)
		return;
	size_t i;
	for (i = 0; i < v->ntally; i++)
		if (strcmp(v->tally[i].cat, cat) == 0)
			break;
	if (i == v->ntally) {
		if (v->ntally == VAN_TYPES_MAX)
			return;
		snprintf(v->tally[i].cat, sizeof(v->tally[i].cat), "%s", cat);
		v->tally[i].n = 0;
		v->ntally++;
	}
	v->tally[i].n++;
}

/* Stops and the plan meet here: a stop is named after the planned location
 * it is at, and the plan hears where the van stopped.  By index: plan_stop
 * pushes events and may move the queue. */
static void plan_stops(van_t *v, size_t mark, const struct emit *e)
{
	for (size_t i = mark; i < v->q.n; i++) {
		enum ev_type t = v->q.v[i].t;
		bool started = t == EV_T_STOP_STARTED;
		if (!started && t != EV_T_STOP_ENDED)
			continue;
		const char *name = plan_current_location(v->plan);
		if (name)
			jset_str(v->q.v[i].data, "name", name);
		if (!plan_active(v->plan))
			continue;
		const json_t *d = v->q.v[i].data;
		if (started)
			plan_stop(v->plan, true, json_number_value(json_object_get(d, "lat")),
				  json_number_value(json_object_get(d, "lon")), v->q.v[i].mono_ms, e);
		else
			plan_stop(v->plan, false, NAN, NAN, VAN_NEVER, e);
	}
}

static int64_t jms(const json_t *d, const char *key)
{
	const json_t *x = json_object_get(d, key);
	return json_is_integer(x) ? (int64_t)json_integer_value(x) : 0;
}

/* The typed records of session and stop events (evq.h), from what the
 * core knows when they are pushed. */
static void fill_records(van_t *v, const struct vtime *now, size_t mark)
{
	for (size_t i = mark; i < v->q.n; i++) {
		struct van_event *ev = &v->q.v[i];
		const json_t *d = ev->data;
		if (ev->t == EV_T_SESSION_STARTED || ev->t == EV_T_SESSION_EXTENDED || ev->t == EV_T_SESSION_ENDED) {
			struct ev_session_rec *r = &ev->rec.session;
			const struct session *s = &v->s;
			memset(r, 0, sizeof(*r));
			r->started_utc_ms = s->start_utc > 0 ? s->start_utc : jms(d, "started_utc");
			if (!r->started_utc_ms && ev->t == EV_T_SESSION_STARTED)
				r->started_utc_ms = ev->utc_ms;
			r->ended_utc_ms = ev->t == EV_T_SESSION_ENDED ? ev->utc_ms : 0;
			r->planned_end_utc_ms = jms(d, "planned_end_utc");
			if (!r->planned_end_utc_ms && s->planned_end_mono != VAN_NEVER && s->planned_end_mono > 0)
				r->planned_end_utc_ms = now->utc_ms + (s->planned_end_mono - now->mono_ms);
			r->crew = json_is_integer(json_object_get(d, "crew")) ? (int)json_integer_value(json_object_get(d, "crew"))
									       : s->crew;
			r->lone = json_is_boolean(json_object_get(d, "lone")) ? json_is_true(json_object_get(d, "lone")) : s->lone;
			const char *plan = json_string_value(json_object_get(d, "plan"));
			snprintf(r->plan, sizeof(r->plan), "%s", plan ? plan : s->plan);
		} else if (ev->t == EV_T_STOP_STARTED || ev->t == EV_T_STOP_ENDED) {
			struct ev_stop_rec *r = &ev->rec.stop;
			const json_t *lat = json_object_get(d, "lat"), *lon = json_object_get(d, "lon");
			const char *name = json_string_value(json_object_get(d, "name"));
			memset(r, 0, sizeof(*r));
			r->arrived_utc_ms = jms(d, "arrival_utc");
			if (!r->arrived_utc_ms)
				r->arrived_utc_ms = ev->utc_ms;
			r->departed_utc_ms = jms(d, "departure_utc");
			r->lat = json_is_number(lat) ? json_number_value(lat) : NAN;
			r->lon = json_is_number(lon) ? json_number_value(lon) : NAN;
			snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
			r->entries = (int)jms(d, "entries");
			r->peak = (int)jms(d, "peak_occupancy");
			r->door_openings = (int)jms(d, "door_openings");
		}
	}
}

void van_post(van_t *v, const struct vtime *now, size_t mark)
{
	struct emit e = van_emit(v, now);
	if (session_running(&v->s))
		checkin_set_reason(&v->s.ck, &v->sp.ck, van_risk(v, v->s.crew, v->s.lone), &e);
	run_timers(v, &e);
	door_moving(v, &e);
	stops_occupancy(&v->stops, occ_occupancy(&v->occ));
	plan_stops(v, mark, &e);
	fill_records(v, now, mark);
	for (size_t i = mark; i < v->q.n; i++)
		tally(v, &v->q.v[i]);
}

static bool beam_gate(const van_t *v, int64_t t)
{
	if (!v->p.beams_need_door || doors_any_open(&v->doors))
		return true;
	return v->doors.last_close != VAN_NEVER &&
	       t - v->doors.last_close <= (int64_t)v->p.door_window_s * 1000;
}

static int button(van_t *v, enum van_in_role role, const struct vtime *now)
{
	const char *why;
	switch (role) {
	case VAN_IN_BTN_CHECKIN: return van_checkin(v, NULL, VAN_SRC_BUTTON, now, &why);
	case VAN_IN_BTN_PLUS: return van_occupancy_adjust(v, 1, VAN_SRC_BUTTON, now, &why);
	case VAN_IN_BTN_MINUS: return van_occupancy_adjust(v, -1, VAN_SRC_BUTTON, now, &why);
	case VAN_IN_BTN_EMPTY: return van_empty(v, VAN_SRC_BUTTON, now, &why);
	case VAN_IN_BTN_RESET: return van_alarm_clear(v, VAN_SRC_BUTTON, now, &why);
	case VAN_IN_BTN_MUTE: return van_mute(v, VAN_SRC_BUTTON, now, &why);
	case VAN_IN_BTN_SESSION:
		if (session_running(&v->s))
			return van_session_end(v, NULL, VAN_SRC_BUTTON, now, &why);
		return van_session_start(v, v->p.default_crew, v->p.default_crew == 1, 0, NULL,
					 VAN_SRC_BUTTON, now, &why);
	default: return -EINVAL;
	}
}

/* The power is going (or back): the shell flushes and tells base that the
 * van powers down on purpose (docs/events.md, "Power"). */
static void power_set(van_t *v, bool failing, bool at_boot, int64_t t, const struct vtime *now, struct emit *e)
{
	if (failing == v->power_failing)
		return;
	json_t *d = json_object();
	if (failing) {
		jset_bool(d, "session_running", session_running(&v->s));
		jset_bool(d, "at_start", at_boot);
		v->power_since_mono = t;
	} else {
		jset_int(d, "after_s", ms_to_s(now->mono_ms - v->power_since_mono));
	}
	v->power_failing = failing;
	emit_ev(e, failing ? EV_T_POWER_FAILING : EV_T_POWER_RESTORED, failing ? EV_URGENT : EV_NORMAL, d);
}

/* Doors and beams are timed at their edge, not at delivery: the shell may
 * hand over several edges at once (a batch read after the loop was busy,
 * a line held back by another's debounce), all at one now.  The beam gap,
 * the door window and the stuck-beam timer measure the edges. */
int van_input(van_t *v, const struct van_input *in, const struct vtime *now)
{
	struct emit e = van_emit(v, now);
	size_t mark = v->q.n;
	int64_t t = van_edge_ms(in->edge_mono_ms, now);
	int r = 0;

	switch (in->role) {
	case VAN_IN_DOOR:
		r = doors_set(&v->doors, in->line, in->active, t);
		if (r == 1)
			stops_door_opened(&v->stops);
		r = r == -ENOSPC ? r : 0;   /* -1: it closed */
		break;
	case VAN_IN_BEAM_OUTER:
	case VAN_IN_BEAM_INNER:
		occ_beam(&v->occ, in->role == VAN_IN_BEAM_OUTER ? BEAM_OUTER : BEAM_INNER, in->active,
			 beam_gate(v, t), t, &e);
		break;
	case VAN_IN_SEAT:
		r = occ_seat(&v->occ, in->line, in->active, false, &e);
		break;
	case VAN_IN_PANIC:
		if (in->active)
			return van_panic(v, VAN_SRC_BUTTON, in->covert, in->edge_mono_ms, now, NULL);
		break;
	case VAN_IN_POWER_FAIL:
		power_set(v, in->active, false, t, now, &e);
		break;
	default:
		if ((unsigned)in->role >= VAN_IN__COUNT)
			return -EINVAL;
		if (in->active)
			return button(v, in->role, now);
		break;
	}
	van_post(v, now, mark);
	return r;
}

int van_initial_input(van_t *v, const struct van_input *in, const struct vtime *now)
{
	struct emit e = van_emit(v, now);
	size_t mark = v->q.n;
	int64_t t = van_edge_ms(in->edge_mono_ms, now);
	int r = 0;

	switch (in->role) {
	case VAN_IN_DOOR:
		r = doors_set(&v->doors, in->line, in->active, t);
		r = r == -ENOSPC ? r : 0;   /* -1: it closed */
		break;
	case VAN_IN_BEAM_OUTER:
	case VAN_IN_BEAM_INNER:
		occ_beam_initial(&v->occ, in->role == VAN_IN_BEAM_OUTER ? BEAM_OUTER : BEAM_INNER,
				 in->active, t);
		break;
	case VAN_IN_SEAT:
		r = occ_seat(&v->occ, in->line, in->active, true, &e);
		break;
	case VAN_IN_PANIC:
		if (in->active)
			return van_panic(v, VAN_SRC_BOOT, in->covert, in->edge_mono_ms, now, NULL);
		break;
	case VAN_IN_POWER_FAIL:
		power_set(v, in->active, true, t, now, &e);
		break;
	default:
		if ((unsigned)in->role >= VAN_IN__COUNT)
			return -EINVAL;
		break;
	}
	van_post(v, now, mark);
	return r;
}

void van_fix(van_t *v, const struct fix *fx, const struct vtime *now)
{
	struct emit e = van_emit(v, now);
	size_t mark = v->q.n;
	if (fixlog_add(&v->fx, fx, now))
		stops_fix(&v->stops, &v->stp, fixlog_last(&v->fx), v->occ.entries_total,
			  occ_occupancy(&v->occ), &e);
	plan_fix(v->plan, fx, &e);
	van_post(v, now, mark);
}

void van_fix_lost(van_t *v, const struct vtime *now)
{
	size_t mark = v->q.n;
	fixlog_lost(&v->fx);
	van_post(v, now, mark);
}

void van_tick(van_t *v, const struct vtime *now)
{
	van_post(v, now, v->q.n);
}

int64_t van_next_deadline(const van_t *v)
{
	int64_t d = occ_deadline(&v->occ);
	d = deadline_min(d, session_deadline(&v->s, &v->sp));
	d = deadline_min(d, stops_deadline(&v->stops, &v->stp));
	d = deadline_min(d, alarm_deadline(&v->alarm));
	d = deadline_min(d, plan_next_deadline(v->plan));
	if (v->door_moving)
		d = deadline_min(d, fixlog_fresh_until(&v->fx));
	return d == VAN_NEVER ? -1 : d;
}

static bool warning(const van_t *v)
{
	enum ck_stage st = v->s.ck.stage;
	return v->door_moving || v->s.state == SESSION_OVERDUE ||
	       (session_running(&v->s) && (st == CK_LATE || st == CK_MISSED));
}

void van_outputs(const van_t *v, const struct vtime *now, struct van_outputs *o)
{
	const struct emergency *em = &v->alarm.em;
	bool visible = em->active && !em->covert;

	o->entry_light_full = occ_occupancy(&v->occ) >= occ_limit(&v->occ);
	if (visible && !em->acked)
		o->buzzer = VAN_BUZZ_ALARM;
	else if (occ_buzzing(&v->occ, now->mono_ms))
		o->buzzer = VAN_BUZZ_CONTINUOUS;
	else if (warning(v))
		o->buzzer = VAN_BUZZ_SHORT;
	else
		o->buzzer = VAN_BUZZ_OFF;
	o->alarm_light = !visible ? VAN_LIGHT_OFF : em->acked ? VAN_LIGHT_BLINK : VAN_LIGHT_ON;
}

int64_t van_session_id(const van_t *v)
{
	return session_running(&v->s) ? v->s.id : 0;
}

void van_set_location_intervals(van_t *v, int normal_s, int emergency_s)
{
	if (normal_s >= 1)
		v->p.location_interval_s = normal_s;
	if (emergency_s >= 1)
		v->p.emergency_location_interval_s = emergency_s;
}

int64_t van_location_interval_ms(const van_t *v)
{
	int s = alarm_active(&v->alarm) ? v->p.emergency_location_interval_s
					: v->p.location_interval_s;
	return (int64_t)s * 1000;
}
