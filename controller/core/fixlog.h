/*
 * fixlog.h - what the core remembers of the GPS: the latest fix, a ring of
 * the last few usable positions (the emergency context), and an odometer.
 *
 * The odometer adds distance only when the van has moved more than the
 * jitter threshold (max(jitter_m, 2 x eph)) from the last counted point, so
 * a parked van's GPS noise adds nothing; a jump while the receiver reports
 * less than 0.5 m/s (Doppler speed is steady when parked), or implying more
 * than 70 m/s, is taken as a glitch and skipped.
 */
#ifndef VAN_CORE_FIXLOG_H
#define VAN_CORE_FIXLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fix.h"
#include "vtime.h"

#define FIXLOG_RING 5
#define FIXLOG_FRESH_MS 5000       /* speed older than this is not used */
#define FIXLOG_MAX_SPEED_MPS 70.0
#define FIXLOG_MOVING_MPS 0.5

struct fixpt {
	double lat, lon;
	int mode;               /* enum fix_mode */
	double speed;           /* m/s, NaN unknown */
	double eph;             /* m, NaN unknown */
	int64_t mono, utc;      /* when received; UTC by the shell's clock */
};

struct fixlog {
	struct fixpt ring[FIXLOG_RING];  /* ring[(head - 1 - i) % N] is the i-th newest */
	int n, head;
	bool lost;              /* the GPS layer reported the fix lost */
	int last_mode;          /* mode of the last report, usable or not */
	int64_t last_report;    /* mono of the last report, VAN_NEVER */
	double jitter_m;
	double odo_m;           /* odometer since start-up */
	bool anchor_ok;
	struct fixpt anchor;    /* last point counted by the odometer */
};

void fixlog_init(struct fixlog *f, double jitter_m);

/* A report from the GPS layer at now.  Returns true if it was usable
 * (has a position) and was added. */
bool fixlog_add(struct fixlog *f, const struct fix *fx, const struct vtime *now);

/* The GPS layer lost the fix. */
void fixlog_lost(struct fixlog *f);

/* The newest usable fix, or NULL. */
const struct fixpt *fixlog_last(const struct fixlog *f);

/* Speed of a fix no older than FIXLOG_FRESH_MS at now; false if none. */
bool fixlog_speed(const struct fixlog *f, int64_t now, double *mps);

/* Mono ms when the newest fix stops being fresh (VAN_NEVER if none). */
int64_t fixlog_fresh_until(const struct fixlog *f);

/* {"lat","lon","mode","speed_mps","age_s","utc","lost"} of the newest fix,
 * or null if none. */
json_t *fixlog_last_json(const struct fixlog *f, const struct vtime *now);
/* [newest first] array of the ring. */
json_t *fixlog_ring_json(const struct fixlog *f, const struct vtime *now);

json_t *fixlog_save(const struct fixlog *f);
int fixlog_restore(struct fixlog *f, const json_t *j, int64_t shift);

#endif
