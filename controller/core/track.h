/*
 * track.h - the route acquisition filter: which fixes become route points.
 *
 * Like a professional tracker's: a minimum period, distance and heading
 * change while moving, a sparse heartbeat while stationary, and rejection of
 * fixes that are invalid, duplicated, too inaccurate or physically impossible
 * (a GPS jump must not draw a spike into the route).  Pure: fixes in,
 * verdicts out.  The newest fix is kept regardless of the verdict (the shell
 * holds it for emergencies and the live location).
 *
 * Epochs, not reports: gpsd sends several reports for one fix time as the
 * sentences of an epoch arrive (GLL or RMC, then GGA, VTG...), the first of
 * them without speed or course, and its very first report of a log often
 * without a time at all.  The shell offers every report (track_offer); an
 * epoch is judged once, on its most complete report, when the next fix
 * time begins (or at track_flush: fix lost, gpsd gone, shutdown).  So a
 * stored point lags the receiver by one epoch.
 *
 * Time: elapsed time between fixes is the fixes' own GPS times (arrival
 * times only where a fix has no time, or after the receiver's time went
 * back), so the route does not depend on when bytes arrived (replay speed,
 * a burst after a stall).  Time order: a fix older than the last accepted
 * one is stale (a receiver whose time really went back is followed after
 * TRACK_TIME_RESET_AFTER distinct fix times); a fix ahead of the last when
 * the epoch after it goes back between the two is a single bad time and is
 * rejected alone (TRACK_REJECT_AHEAD), so the good fixes after it are kept.
 */
#ifndef VAN_CORE_TRACK_H
#define VAN_CORE_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "fix.h"

struct track_params {
	int64_t min_period_ms;       /* moving: at most one point per this */
	double min_distance_m;       /* moving: keep when moved this far ... */
	double min_heading_deg;      /* ... or turned this much */
	double stationary_speed_mps; /* below: stationary */
	int64_t stationary_period_ms;/* stationary: one point per this */
	double max_eph_m;            /* reject worse accuracy */
	double max_speed_mps;        /* reject implied speed above this */
};

enum track_verdict {
	TRACK_KEEP_FIRST,        /* first usable fix */
	TRACK_KEEP_MOVED,        /* moved far enough / period passed */
	TRACK_KEEP_TURNED,       /* heading changed */
	TRACK_KEEP_STOPPED,      /* just became stationary: mark where */
	TRACK_KEEP_STARTED,      /* just started moving again */
	TRACK_KEEP_HEARTBEAT,    /* stationary (or slow) period passed */
	TRACK_KEEP_REANCHOR,     /* too many rejections in a row: trust the new position */
	TRACK_DROP_PERIOD,       /* too soon */
	TRACK_DROP_CLOSE,        /* not moved/turned enough */
	TRACK_REJECT_NOFIX,      /* no 2D/3D fix or no position */
	TRACK_REJECT_INVALID,    /* lat/lon out of range, NaN */
	TRACK_REJECT_DUPLICATE,  /* same GPS time as the last fix seen */
	TRACK_REJECT_STALE,      /* GPS time older than the last fix seen (a stale sentence) */
	TRACK_REJECT_ACCURACY,   /* eph above max */
	TRACK_REJECT_SPEED,      /* implied speed impossible: a jump */
	TRACK_REJECT_AHEAD,      /* a single GPS time ahead: the epoch after it goes back before it */
	TRACK_VERDICTS
};

/* Verdicts that mean the fix's GPS time is not in order with the fixes
 * before and after it: the clock must not follow it either. */
static inline bool track_time_rejected(int v)
{
	return v == TRACK_REJECT_DUPLICATE || v == TRACK_REJECT_STALE || v == TRACK_REJECT_AHEAD;
}

#define TRACK_REANCHOR_AFTER 5   /* consecutive speed rejections before re-anchoring */
#define TRACK_TIME_RESET_AFTER 10 /* consecutive older GPS times before trusting the new clock */
#define TRACK_INTERVAL_MAX_MS 10000 /* a longer step between fixes is a gap, not the receiver's rate */

struct track_filter {
	struct track_params p;
	bool have_kept;
	struct fix kept;             /* last kept fix */
	bool kept_stationary;
	int64_t last_gps_utc_ms;     /* last fix seen (for duplicates) */
	int speed_rejects;
	int stale_rejects;
	int64_t stale_first_utc_ms;  /* the first fix time of a run of stale ones */
	int64_t interval_ms;         /* the receiver's last interval between fixes in order */
	uint64_t counts[TRACK_VERDICTS];
	/* the epoch being gathered */
	bool have_pend;
	struct fix pend;             /* its most complete report so far (mono_ms: the first's) */
	int64_t next_utc_ms;         /* fix time of the epoch after the one judged (0: none yet) */
	uint64_t merged;             /* reports folded into an epoch (not judged on their own) */
};

void track_init(struct track_filter *t, const struct track_params *p);
/* Offer one report from the receiver.  Returns true when it begins a new
 * epoch: *done is then the previous epoch's most complete report, to be
 * judged now with track_judge().  A report with the same fix time as the
 * epoch gathered, a timed report after an untimed one, or an untimed one
 * at the same position as the untimed epoch gathered (gpsd's first reports,
 * before it knows the date) joins that epoch.  The most complete report wins: a position,
 * then a 3D fix, speed, course, accuracy; the later one on a tie. */
bool track_offer(struct track_filter *t, const struct fix *f, struct fix *done);
/* The epoch gathered so far, if any (no next report expected soon): true
 * and *done filled once. */
bool track_flush(struct track_filter *t, struct fix *done);
/* Judge fix f (an epoch from track_offer/track_flush, or a lone report).
 * Returns the verdict; keep with track_is_keep(). */
enum track_verdict track_judge(struct track_filter *t, const struct fix *f);
static inline bool track_is_keep(enum track_verdict v) { return v <= TRACK_KEEP_REANCHOR; }
const char *track_verdict_name(enum track_verdict v);

#endif
