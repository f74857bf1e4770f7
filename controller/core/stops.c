/*
 * stops.c - stop detection tolerant of GPS drift.  See stops.h.
 */
#include "stops.h"

#include <errno.h>
#include <math.h>

#include "geo.h"
#include "jfields.h"

void stops_init(struct stops *s)
{
	*s = (struct stops){ .st = STOP_MOVING };
	s->since_mono = s->out_mono = VAN_NEVER;
}

static void candidate(struct stops *s, const struct fixpt *p, uint64_t entries_total,
		      int occupancy)
{
	s->st = STOP_CANDIDATE;
	s->sum_lat = s->a_lat = p->lat;
	s->sum_lon = s->a_lon = p->lon;
	s->nfix = 1;
	s->since_mono = p->mono;
	s->since_utc = p->utc;
	s->outside = 0;
	s->doors = 0;
	s->peak = occupancy;
	s->entries_at = entries_total;
}

static void add_point(struct stops *s, const struct fixpt *p)
{
	s->sum_lat += p->lat;
	s->sum_lon += p->lon;
	s->nfix++;
}

static json_t *stop_json(const struct stops *s, uint64_t entries_total, const struct vtime *now)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_real(d, "lat", s->nfix ? s->sum_lat / s->nfix : NAN);
	jset_real(d, "lon", s->nfix ? s->sum_lon / s->nfix : NAN);
	jset_int(d, "arrival_utc", s->since_utc);
	jset_int(d, "entries", (int64_t)(entries_total - s->entries_at));
	jset_int(d, "peak_occupancy", s->peak);
	jset_int(d, "door_openings", s->doors);
	(void)now;
	return d;
}

static void begin(struct stops *s, uint64_t entries_total, const struct emit *e)
{
	s->st = STOP_STOPPED;
	s->count++;
	json_t *d = stop_json(s, entries_total, e->now);
	jset_int(d, "number", s->count);
	emit_ev(e, EV_T_STOP_STARTED, EV_NORMAL, d);
}

static void end(struct stops *s, uint64_t entries_total, const struct emit *e)
{
	json_t *d = stop_json(s, entries_total, e->now);
	jset_int(d, "number", s->count);
	jset_int(d, "departure_utc", s->out_utc);
	jset_int(d, "duration_s", ms_to_s(s->out_mono - s->since_mono));
	emit_ev(e, EV_T_STOP_ENDED, EV_NORMAL, d);
	s->st = STOP_MOVING;
	s->outside = 0;
	s->since_mono = s->out_mono = VAN_NEVER;
}

static bool slow(const struct stops_params *prm, const struct fixpt *p)
{
	return isnan(p->speed) || p->speed < prm->speed_mps;
}

void stops_fix(struct stops *s, const struct stops_params *prm, const struct fixpt *p,
	       uint64_t entries_total, int occupancy, const struct emit *e)
{
	if (s->st == STOP_MOVING) {
		if (slow(prm, p))
			candidate(s, p, entries_total, occupancy);
		return;
	}
	double d = s->st == STOP_CANDIDATE
			   ? geo_distance_m(s->a_lat, s->a_lon, p->lat, p->lon)
			   : geo_distance_m(s->sum_lat / s->nfix, s->sum_lon / s->nfix, p->lat, p->lon);
	if (d <= prm->radius_m) {
		s->outside = 0;
		add_point(s, p);
		stops_tick(s, prm, entries_total, e);
		return;
	}
	if (s->st == STOP_CANDIDATE) {
		s->st = STOP_MOVING;
		if (slow(prm, p))
			candidate(s, p, entries_total, occupancy);
		return;
	}
	if (s->outside++ == 0) {
		s->out_mono = p->mono;
		s->out_utc = p->utc;
		return;
	}
	end(s, entries_total, e);
	if (slow(prm, p))
		candidate(s, p, entries_total, occupancy);
}

void stops_tick(struct stops *s, const struct stops_params *prm, uint64_t entries_total,
		const struct emit *e)
{
	if (s->st == STOP_CANDIDATE && e->now->mono_ms >= s->since_mono + prm->after_ms)
		begin(s, entries_total, e);
}

int64_t stops_deadline(const struct stops *s, const struct stops_params *prm)
{
	return s->st == STOP_CANDIDATE ? s->since_mono + prm->after_ms : VAN_NEVER;
}

void stops_door_opened(struct stops *s)
{
	if (s->st != STOP_MOVING)
		s->doors++;
}

void stops_occupancy(struct stops *s, int occupancy)
{
	if (s->st != STOP_MOVING && occupancy > s->peak)
		s->peak = occupancy;
}

int64_t stops_since(const struct stops *s)
{
	return s->st == STOP_STOPPED ? s->since_mono : VAN_NEVER;
}

json_t *stops_state_json(const struct stops *s, uint64_t entries_total, const struct vtime *now)
{
	if (s->st != STOP_STOPPED)
		return json_null();
	json_t *d = stop_json(s, entries_total, now);
	jset_int(d, "number", s->count);
	jset_int(d, "duration_s", ms_to_s(now->mono_ms - s->since_mono));
	return d;
}

#define F(m, k) JF(struct stops, m, k)
static const struct jfield st_fields[] = {
	F(st, JF_INT), F(sum_lat, JF_DBL), F(sum_lon, JF_DBL), F(nfix, JF_INT), F(a_lat, JF_DBL),
	F(a_lon, JF_DBL),
	F(since_mono, JF_MONO), F(since_utc, JF_I64), F(outside, JF_INT), F(out_mono, JF_MONO),
	F(out_utc, JF_I64), F(doors, JF_UINT), F(peak, JF_INT), F(entries_at, JF_UINT),
	F(count, JF_UINT),
};
#undef F

json_t *stops_save(const struct stops *s)
{
	return jf_save(s, st_fields, sizeof(st_fields) / sizeof(st_fields[0]));
}

int stops_restore(struct stops *s, const json_t *j, int64_t shift)
{
	int r = jf_restore(s, st_fields, sizeof(st_fields) / sizeof(st_fields[0]), j, shift);
	if (r < 0)
		return r;
	if ((int)s->st < STOP_MOVING || s->st > STOP_STOPPED)
		return -EINVAL;
	if (s->st != STOP_MOVING && (s->nfix < 1 || s->since_mono == VAN_NEVER ||
				     !isfinite(s->sum_lat) || !isfinite(s->sum_lon) ||
				     !isfinite(s->a_lat) || !isfinite(s->a_lon)))
		return -EINVAL;
	if (s->st == STOP_STOPPED && s->outside && s->out_mono == VAN_NEVER)
		return -EINVAL;
	return 0;
}
