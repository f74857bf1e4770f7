/*
 * track.c - route acquisition filter.  See track.h.
 */
#include "track.h"

#include <math.h>

#include "geo.h"

void track_init(struct track_filter *t, const struct track_params *p)
{
	*t = (struct track_filter){ .p = *p, .interval_ms = 1000 };
}

const char *track_verdict_name(enum track_verdict v)
{
	static const char *names[] = {
		"keep-first", "keep-moved", "keep-turned", "keep-stopped", "keep-started",
		"keep-heartbeat", "keep-reanchor", "drop-period", "drop-close",
		"reject-nofix", "reject-invalid", "reject-duplicate", "reject-stale", "reject-accuracy",
		"reject-speed", "reject-time-ahead",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* How complete a report is: a usable position first, then 3D, speed,
 * course, accuracy. */
static int score(const struct fix *f)
{
	return (fix_usable(f) ? 32 : 0) + (f->mode == FIX_3D ? 16 : 0) + (!isnan(f->speed) ? 8 : 0) +
	       (!isnan(f->track) ? 4 : 0) + (!isnan(f->eph) ? 2 : 0) + (!isnan(f->alt) ? 1 : 0);
}

bool track_offer(struct track_filter *t, const struct fix *f, struct fix *done)
{
	if (!t->have_pend) {
		t->pend = *f;
		t->have_pend = true;
		return false;
	}
	bool same = f->gps_utc_ms && (f->gps_utc_ms == t->pend.gps_utc_ms || !t->pend.gps_utc_ms);
	/* two untimed reports of one position: the sentences of one epoch
	 * (GLL, then GGA) before the date is known */
	if (!f->gps_utc_ms && !t->pend.gps_utc_ms && f->has_latlon && t->pend.has_latlon &&
	    f->lat == t->pend.lat && f->lon == t->pend.lon)
		same = true;
	if (same) {
		/* the untimed report before a timed one is the same epoch, told
		 * before gpsd knew the date: the timed one replaces it */
		int64_t first = t->pend.mono_ms;
		if ((f->gps_utc_ms && !t->pend.gps_utc_ms) || score(f) >= score(&t->pend))
			t->pend = *f;
		if (first < t->pend.mono_ms)
			t->pend.mono_ms = first;
		t->merged++;
		return false;
	}
	*done = t->pend;
	t->pend = *f;
	t->next_utc_ms = f->gps_utc_ms;
	return true;
}

bool track_flush(struct track_filter *t, struct fix *done)
{
	if (!t->have_pend)
		return false;
	*done = t->pend;
	t->have_pend = false;
	t->next_utc_ms = 0;
	return true;
}

/* Time from fix a to the later fix b: their GPS times when both have one
 * and they are in order, else (a time reset, no time) their arrival. */
static int64_t elapsed_ms(const struct fix *a, const struct fix *b)
{
	if (a->gps_utc_ms && b->gps_utc_ms && b->gps_utc_ms > a->gps_utc_ms)
		return b->gps_utc_ms - a->gps_utc_ms;
	return b->mono_ms - a->mono_ms;
}

static bool stationary(const struct track_filter *t, const struct fix *f, double dist, int64_t dt)
{
	if (!isnan(f->speed))
		return f->speed < t->p.stationary_speed_mps;
	/* no speed from the receiver: derive it from the last kept point */
	return dt > 0 && dist / (dt / 1000.0) < t->p.stationary_speed_mps;
}

static enum track_verdict keep(struct track_filter *t, const struct fix *f, enum track_verdict v, bool still)
{
	t->kept = *f;
	t->have_kept = true;
	t->kept_stationary = still;
	t->speed_rejects = 0;
	return v;
}

static enum track_verdict judge(struct track_filter *t, const struct fix *f)
{
	if (!fix_usable(f))
		return TRACK_REJECT_NOFIX;
	if (isnan(f->lat) || isnan(f->lon) || fabs(f->lat) > 90.0 || fabs(f->lon) > 180.0 ||
	    (f->lat == 0.0 && f->lon == 0.0))
		return TRACK_REJECT_INVALID;
	if (f->gps_utc_ms) {
		/* gpsd reports the first epoch twice (after RMC, then after GGA) */
		if (f->gps_utc_ms == t->last_gps_utc_ms)
			return TRACK_REJECT_DUPLICATE;
		/* a stale sentence in the stream: time and position go backwards.
		 * A receiver whose clock really stepped back is trusted after a run. */
		if (f->gps_utc_ms < t->last_gps_utc_ms) {
			if (!t->stale_rejects)
				t->stale_first_utc_ms = f->gps_utc_ms;
			if (++t->stale_rejects < TRACK_TIME_RESET_AFTER)
				return TRACK_REJECT_STALE;
			/* the receiver's clock stepped back: the kept fix moves onto the
			 * new timeline (one epoch before the first of the run), so the
			 * time since it is still the fixes' own */
			if (t->have_kept && t->kept.gps_utc_ms)
				t->kept.gps_utc_ms -= t->last_gps_utc_ms - t->stale_first_utc_ms + t->interval_ms;
		} else if (t->last_gps_utc_ms && t->next_utc_ms > t->last_gps_utc_ms &&
			   t->next_utc_ms < f->gps_utc_ms) {
			/* ahead of the last, and the epoch after it is back between
			 * the two: this one time is wrong, not all the ones after */
			return TRACK_REJECT_AHEAD;
		}
		if (t->last_gps_utc_ms && f->gps_utc_ms > t->last_gps_utc_ms && !t->stale_rejects &&
		    f->gps_utc_ms - t->last_gps_utc_ms <= TRACK_INTERVAL_MAX_MS)
			t->interval_ms = f->gps_utc_ms - t->last_gps_utc_ms;
		t->stale_rejects = 0;
		t->last_gps_utc_ms = f->gps_utc_ms;
	}
	if (!isnan(f->eph) && f->eph > t->p.max_eph_m)
		return TRACK_REJECT_ACCURACY;
	if (!t->have_kept)
		return keep(t, f, TRACK_KEEP_FIRST, !isnan(f->speed) && f->speed < t->p.stationary_speed_mps);

	int64_t dt = elapsed_ms(&t->kept, f);
	double dist = geo_distance_m(t->kept.lat, t->kept.lon, f->lat, f->lon);
	/* impossible speed since the last kept point: a jump.  Allow one
	 * accuracy radius of slack so noise at low dt is not a "jump". */
	double slack = isnan(f->eph) ? 20.0 : f->eph;
	if (dist > slack && dist - slack > t->p.max_speed_mps * (dt > 0 ? dt / 1000.0 : 0.001)) {
		if (++t->speed_rejects >= TRACK_REANCHOR_AFTER)
			return keep(t, f, TRACK_KEEP_REANCHOR, false);
		return TRACK_REJECT_SPEED;
	}
	bool still = stationary(t, f, dist, dt);
	if (still && !t->kept_stationary)
		return keep(t, f, TRACK_KEEP_STOPPED, true);
	if (!still && t->kept_stationary && dist >= t->p.min_distance_m)
		return keep(t, f, TRACK_KEEP_STARTED, false);
	if (still || t->kept_stationary) {
		if (dt >= t->p.stationary_period_ms)
			return keep(t, f, TRACK_KEEP_HEARTBEAT, still);
		return TRACK_DROP_PERIOD;
	}
	if (dt < t->p.min_period_ms)
		return TRACK_DROP_PERIOD;
	if (dist >= t->p.min_distance_m)
		return keep(t, f, TRACK_KEEP_MOVED, false);
	if (!isnan(f->track) && !isnan(t->kept.track) &&
	    geo_heading_diff(f->track, t->kept.track) >= t->p.min_heading_deg)
		return keep(t, f, TRACK_KEEP_TURNED, false);
	if (dt >= t->p.stationary_period_ms)
		return keep(t, f, TRACK_KEEP_HEARTBEAT, false);
	return TRACK_DROP_CLOSE;
}

enum track_verdict track_judge(struct track_filter *t, const struct fix *f)
{
	enum track_verdict v = judge(t, f);
	t->counts[v]++;
	t->next_utc_ms = 0; /* used once: a lone track_judge() has no next epoch */
	return v;
}
