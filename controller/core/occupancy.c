/*
 * occupancy.c - the occupancy ledger, limit and per-session figures.
 * See occupancy.h for the rules.
 */
#include "occupancy.h"

#include <errno.h>
#include <stdlib.h>

#include "jfields.h"

void occ_init(struct occ *o, const struct occ_params *p)
{
	*o = (struct occ){ .p = *p };
	beams_init(&o->beams, p->gap_ms, p->stuck_ms);
	o->muted_until = VAN_NEVER;
	o->at_since = o->over_since = VAN_NEVER;
	o->st_begin = VAN_NEVER;
}

int occ_seats(const struct occ *o)
{
	int n = 0;
	for (size_t i = 0; i < o->nseats; i++)
		n += o->seat[i].on;
	return n;
}

int occ_occupancy(const struct occ *o)
{
	int s = occ_seats(o);
	return s > o->count ? s : o->count;
}

int occ_limit(const struct occ *o)
{
	if (o->crew <= 0)
		return o->p.capacity;
	int64_t l = (int64_t)o->p.per_crew * o->crew;
	return l < o->p.capacity ? (int)l : o->p.capacity;
}

bool occ_buzzing(const struct occ *o, int64_t now)
{
	return o->over && (o->muted_until == VAN_NEVER || now >= o->muted_until);
}

static json_t *count_json(const struct occ *o)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_int(d, "count", o->count);
	jset_int(d, "occupancy", occ_occupancy(o));
	jset_int(d, "limit", occ_limit(o));
	jset_bool(d, "full", occ_occupancy(o) >= occ_limit(o));
	return d;
}

/* Start of the part of [since, now) that lies in this session. */
static int64_t in_session(const struct occ *o, int64_t since)
{
	return o->st_begin != VAN_NEVER && o->st_begin > since ? o->st_begin : since;
}

static void over_changed(struct occ *o, bool over, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	json_t *d = count_json(o);
	if (over) {
		o->over_since = t;
		o->st.over_events++;
		if (d) {
			jset_int(d, "capacity", o->p.capacity);
			jset_int(d, "crew", o->crew);
			jset_bool(d, "muted", !occ_buzzing(o, t));
		}
		emit_incident(e, EV_T_OCCUPANCY_OVER_LIMIT, EV_URGENT, "over_limit", d);
	} else {
		o->st.over_ms += t - in_session(o, o->over_since);
		if (d)
			jset_int(d, "over_s", ms_to_s(t - o->over_since));
		o->over_since = VAN_NEVER;
		emit_ev(e, EV_T_OCCUPANCY_OVER_LIMIT_ENDED, EV_NORMAL, d);
	}
	o->over = over;
}

/* Re-evaluate peak, limit state and the seat discrepancy after a change. */
static void occ_eval(struct occ *o, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	int occ = occ_occupancy(o), lim = occ_limit(o);
	bool at = occ >= lim, over = occ > lim;

	if (occ > o->st.peak)
		o->st.peak = occ;
	if (at != o->at) {
		if (at) {
			o->at_since = t;
		} else {
			o->st.at_ms += t - in_session(o, o->at_since);
			o->at_since = VAN_NEVER;
		}
		o->at = at;
	}
	if (over != o->over)
		over_changed(o, over, e);

	int disc = occ_seats(o) - o->count;
	if (disc > o->seat_disc) {
		json_t *d = json_object();
		jset_int(d, "seats", occ_seats(o));
		jset_int(d, "count", o->count);
		emit_ev(e, EV_T_OCCUPANCY_SEAT_DISCREPANCY, EV_NORMAL, d);
	}
	o->seat_disc = disc > 0 ? disc : 0;
}

static void noise(struct occ *o, const char *dir, const char *reason, int n,
		  const struct emit *e)
{
	for (int i = 0; i < n; i++) {
		json_t *d = json_object();
		jset_str(d, "direction", dir);
		jset_str(d, "reason", reason);
		o->st.noise++;
		emit_ev(e, EV_T_OCCUPANCY_NOISE, EV_NORMAL, d);
	}
}

static void crossing(struct occ *o, bool in, const struct emit *e)
{
	if (in) {
		o->count++;
		o->st.entries++;
		o->entries_total++;
	} else {
		o->count--;
		o->st.exits++;
	}
	json_t *d = count_json(o);
	jset_str(d, "source", "beams");
	emit_ev(e, in ? EV_T_OCCUPANCY_ENTRY : EV_T_OCCUPANCY_EXIT, EV_NORMAL, d);
	occ_eval(o, e);
}

static void apply(struct occ *o, const struct beams_out *r, bool gate, const struct emit *e)
{
	o->st.aborted += (unsigned)r->aborted;
	if (!gate) {
		noise(o, "in", "doors_closed", r->in, e);
		noise(o, "out", "doors_closed", r->out, e);
		return;
	}
	for (int i = 0; i < r->in; i++)
		crossing(o, true, e);
	for (int i = 0; i < r->out; i++) {
		if (o->count > 0)
			crossing(o, false, e);
		else
			noise(o, "out", "exit_at_zero", 1, e);
	}
}

static void beam_faults(struct occ *o, const struct beams_out *r, const struct emit *e)
{
	for (int i = 0; i < 2; i++) {
		const struct beam *b = &o->beams.b[i];
		if (r->faulted & (1u << i)) {
			json_t *d = json_object();
			jset_str(d, "beam", beam_name((enum beam_id)i));
			jset_utc(d, "broken_since_utc", e->now, b->on_at);
			emit_ev(e, EV_T_OCCUPANCY_BEAM_FAULT, EV_NORMAL, d);
		}
		if (r->recovered & (1u << i)) {
			json_t *d = json_object();
			jset_str(d, "beam", beam_name((enum beam_id)i));
			jset_int(d, "fault_s", ms_to_s(b->off_at - b->on_at));
			emit_ev(e, EV_T_OCCUPANCY_BEAM_OK, EV_NORMAL, d);
		}
	}
}

void occ_beam(struct occ *o, enum beam_id id, bool on, bool gate_open, int64_t t,
	      const struct emit *e)
{
	struct beams_out r = beams_edge(&o->beams, id, on, t);
	beam_faults(o, &r, e);
	apply(o, &r, gate_open, e);
}

void occ_beam_initial(struct occ *o, enum beam_id id, bool on, int64_t t)
{
	beams_initial(&o->beams, id, on, t);
}

int occ_seat(struct occ *o, size_t line, bool on, bool initial, const struct emit *e)
{
	size_t i;
	for (i = 0; i < o->nseats; i++)
		if (o->seat[i].line == line)
			break;
	if (i == o->nseats) {
		if (o->nseats == OCC_SEATS_MAX)
			return -ENOSPC;
		o->seat[o->nseats].line = line;
		o->seat[o->nseats].on = false;
		o->nseats++;
	}
	o->seat[i].on = on;
	if (initial) {
		int disc = occ_seats(o) - o->count;
		o->seat_disc = disc > 0 ? disc : 0;
	}
	occ_eval(o, e);
	return 0;
}

int occ_correct(struct occ *o, int n, const char *kind, enum van_source src,
		const struct emit *e, const char **why)
{
	if (n < 0) {
		if (why)
			*why = "the count cannot go below zero";
		return -ERANGE;
	}
	int delta = n - o->count;
	o->count = n;
	o->st.corrections++;
	o->st.corr_abs += abs(delta);
	o->st.corr_net += delta;
	json_t *d = count_json(o);
	jset_str(d, "kind", kind);
	jset_int(d, "delta", delta);
	jset_str(d, "source", van_source_name(src));
	emit_ev(e, EV_T_OCCUPANCY_CORRECTED, EV_NORMAL, d);
	occ_eval(o, e);
	return 0;
}

void occ_set_crew(struct occ *o, int crew, const struct emit *e)
{
	o->crew = crew > 0 ? crew : 0;
	occ_eval(o, e);
}

void occ_mute(struct occ *o, enum van_source src, const struct emit *e)
{
	o->muted_until = e->now->mono_ms + o->p.mute_ms;
	json_t *d = json_object();
	jset_utc(d, "until_utc", e->now, o->muted_until);
	jset_bool(d, "over_limit", o->over);
	jset_str(d, "source", van_source_name(src));
	emit_ev(e, EV_T_BUZZER_MUTED, EV_NORMAL, d);
}

void occ_tick(struct occ *o, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	struct beams_out r = beams_tick(&o->beams, t);
	beam_faults(o, &r, e);
	o->st.aborted += (unsigned)r.aborted;
	if (o->muted_until != VAN_NEVER && t >= o->muted_until)
		o->muted_until = VAN_NEVER;
}

int64_t occ_deadline(const struct occ *o)
{
	return deadline_min(beams_deadline(&o->beams), o->muted_until);
}

void occ_session_begin(struct occ *o, int64_t now)
{
	o->st = (struct occ_stats){ .count_at_start = o->count, .peak = occ_occupancy(o) };
	o->st_begin = now;
}

static int64_t at_ms(const struct occ *o, int64_t now)
{
	return o->st.at_ms + (o->at ? now - in_session(o, o->at_since) : 0);
}

static int64_t over_ms(const struct occ *o, int64_t now)
{
	return o->st.over_ms + (o->over ? now - in_session(o, o->over_since) : 0);
}

void occ_summary(const struct occ *o, int64_t now, json_t *sum)
{
	jset_int(sum, "count_at_start", o->st.count_at_start);
	jset_int(sum, "entries", o->st.entries);
	jset_int(sum, "exits", o->st.exits);
	jset_int(sum, "count_at_end", o->count);
	jset_int(sum, "occupancy_at_end", occ_occupancy(o));
	jset_int(sum, "peak_occupancy", o->st.peak);
	jset_int(sum, "at_limit_s", ms_to_s(at_ms(o, now)));
	jset_int(sum, "over_limit_s", ms_to_s(over_ms(o, now)));
	jset_int(sum, "over_limit_events", o->st.over_events);
	jset_int(sum, "beam_noise", o->st.noise);
	jset_int(sum, "beam_aborted", o->st.aborted);
	jset_int(sum, "corrections", o->st.corrections);
	jset_int(sum, "correction_total", o->st.corr_abs);
	jset_int(sum, "correction_net", o->st.corr_net);
}

json_t *occ_state_json(const struct occ *o, const struct vtime *now)
{
	int64_t t = now->mono_ms;
	json_t *d = count_json(o);
	if (!d)
		return NULL;
	jset_int(d, "seats", occ_seats(o));
	jset_int(d, "capacity", o->p.capacity);
	jset_int(d, "crew", o->crew);
	jset_bool(d, "over", o->over);
	jset_int(d, "entries", o->st.entries);
	jset_int(d, "exits", o->st.exits);
	jset_int(d, "peak", o->st.peak);
	jset_int(d, "at_limit_s", ms_to_s(at_ms(o, t)));
	jset_int(d, "over_limit_s", ms_to_s(over_ms(o, t)));
	jset_int(d, "corrections", o->st.corrections);
	jset_int(d, "correction_total", o->st.corr_abs);
	json_t *f = json_array();
	for (int i = 0; f && i < 2; i++)
		if (beams_faulted(&o->beams, (enum beam_id)i))
			json_array_append_new(f, json_string(beam_name((enum beam_id)i)));
	jset_new(d, "beam_fault", f);
	jset_utc(d, "muted_until_utc", now,
		 o->muted_until != VAN_NEVER && o->muted_until > t ? o->muted_until : VAN_NEVER);
	return d;
}

#define F(m, k) JF(struct occ, m, k)
#define S(m, k) JF(struct occ_stats, m, k)
static const struct jfield occ_fields[] = {
	F(count, JF_INT), F(crew, JF_INT), F(muted_until, JF_MONO), F(at, JF_BOOL),
	F(over, JF_BOOL), F(at_since, JF_MONO), F(over_since, JF_MONO),
	F(entries_total, JF_UINT), F(st_begin, JF_MONO),
};
static const struct jfield stat_fields[] = {
	S(count_at_start, JF_INT), S(entries, JF_UINT), S(exits, JF_UINT), S(noise, JF_UINT),
	S(aborted, JF_UINT), S(peak, JF_INT), S(corrections, JF_UINT), S(corr_abs, JF_INT),
	S(corr_net, JF_INT), S(at_ms, JF_I64), S(over_ms, JF_I64), S(over_events, JF_UINT),
};
#undef F
#undef S
#define N(a) (sizeof(a) / sizeof((a)[0]))

json_t *occ_save(const struct occ *o)
{
	json_t *j = jf_save(o, occ_fields, N(occ_fields));
	if (j)
		jset_new(j, "stats", jf_save(&o->st, stat_fields, N(stat_fields)));
	return j;
}

int occ_restore(struct occ *o, const json_t *j, int64_t shift)
{
	int r = jf_restore(o, occ_fields, N(occ_fields), j, shift);
	if (r == 0)
		r = jf_restore(&o->st, stat_fields, N(stat_fields), json_object_get(j, "stats"), shift);
	if (r == 0 && (o->count < 0 || o->crew < 0 ||
		       (o->at && o->at_since == VAN_NEVER) || (o->over && o->over_since == VAN_NEVER)))
		r = -EINVAL;
	return r;
}
