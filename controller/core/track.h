/*
 * track.h - the route acquisition filter: which fixes become route points.
 *
 * Like a professional tracker's: a minimum period, distance and heading
 * change while moving, a sparse heartbeat while stationary, and rejection of
 * fixes that are invalid, duplicated, too inaccurate or physically impossible
 * (a GPS jump must not draw a spike into the route).  Pure: fixes in,
 * verdicts out.  The newest fix is kept regardless of the verdict (the shell
 * holds it for emergencies and the live location).
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
};

#define TRACK_REANCHOR_AFTER 5   /* consecutive speed rejections before re-anchoring */
#define TRACK_TIME_RESET_AFTER 10 /* consecutive older GPS times before trusting the new clock */

struct track_filter {
	struct track_params p;
	bool have_kept;
	struct fix kept;             /* last kept fix */
	bool kept_stationary;
	int64_t last_gps_utc_ms;     /* last fix seen (for duplicates) */
	int speed_rejects;
	int stale_rejects;
	uint64_t counts[TRACK_REJECT_SPEED + 1];
};

void track_init(struct track_filter *t, const struct track_params *p);
/* Judge fix f.  Returns the verdict; keep with track_is_keep(). */
enum track_verdict track_judge(struct track_filter *t, const struct fix *f);
static inline bool track_is_keep(enum track_verdict v) { return v <= TRACK_KEEP_REANCHOR; }
const char *track_verdict_name(enum track_verdict v);

#endif
