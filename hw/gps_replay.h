/*
 * gps_replay.h - a recorded NMEA track (RMC + GGA) as a list of fixes, for
 * the GPS layer's replay mode (gps.replay_file).  See gps_replay.c.
 */
#ifndef VAN_HW_GPS_REPLAY_H
#define VAN_HW_GPS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/gps_report.h"

struct replay_fix {
	int64_t utc_ms;
	int64_t due_ms;      /* when to deliver it, from the first fix (see gps_replay_load) */
	bool valid, has_gga;
	double lat, lon, alt, speed, track, eph;
	int sats;
};

/* A replay read as it plays: a line at a time, the next epoch only, so a
 * replayed 12-hour shift costs the daemon no more memory than a minute. */
struct gps_replay {
	FILE *fp;            /* NULL at the end */
	int lineno;
	size_t skipped;      /* lines skipped: bad checksum, other sentences */
	int64_t day_ms;      /* UTC ms of midnight of the last RMC date */
	struct replay_fix cur, done;   /* the epoch being read; the one it completed */
	bool have;           /* cur holds an epoch */
	struct replay_fix next;        /* the next to deliver, paced */
	bool ready;
	/* pacing (see gps_replay_open) */
	size_t count;        /* epochs paced so far */
	int64_t ref_utc, ref_due, prev_due, step;
	bool ref_is_prev;
};

/* Open path and read its first epoch.  0, or -errno with a message in err.
 * Each fix is due at its time's offset from the last fix in time order, as
 * a receiver delivers it; a time that goes back or jumps ahead by more than
 * GPS_REPLAY_MAX_GAP_MS (a stale sentence, a bad date, a week rollover) is
 * due one epoch (the receiver's interval) after the fix before, as a
 * receiver with a wrong clock still sends on time. */
#define GPS_REPLAY_MAX_GAP_MS (3600 * 1000LL)
int gps_replay_open(struct gps_replay *r, const char *path, char *err, size_t errlen);
/* The next epoch (due_ms set), or NULL at the end of the file. */
const struct replay_fix *gps_replay_peek(const struct gps_replay *r);
/* It was delivered: read the next one. */
void gps_replay_pop(struct gps_replay *r);
bool gps_replay_end(const struct gps_replay *r);
void gps_replay_free(struct gps_replay *r);
/* One epoch as the fix gpsd would have reported, received at mono_ms. */
void gps_replay_to_fix(const struct replay_fix *rf, int64_t mono_ms, struct gps_report *f);

#endif
