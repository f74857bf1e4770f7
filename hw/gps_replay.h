/*
 * gps_replay.h - a recorded NMEA track (RMC + GGA) as a list of fixes, for
 * the GPS layer's replay mode (gps.replay_file).  See gps_replay.c.
 */
#ifndef VAN_HW_GPS_REPLAY_H
#define VAN_HW_GPS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/gps_report.h"

struct replay_fix {
	int64_t utc_ms;
	int64_t due_ms;      /* when to deliver it, from the first fix (see gps_replay_load) */
	bool valid, has_gga;
	double lat, lon, alt, speed, track, eph;
	int sats;
};

struct gps_replay {
	struct replay_fix *v;
	size_t n, cap;
	size_t next;         /* next to deliver */
	size_t skipped;      /* lines skipped: bad checksum, other sentences */
};

/* Read path.  0, or -errno with a message in err.  Each fix is due at its
 * time's offset from the last fix in time order, as a receiver delivers it;
 * a time that goes back or jumps ahead by more than GPS_REPLAY_MAX_GAP_MS (a
 * stale sentence, a bad date, a week rollover) is due one epoch (the
 * receiver's interval) after the fix before, as a receiver with a wrong
 * clock still sends on time. */
#define GPS_REPLAY_MAX_GAP_MS (3600 * 1000LL)
int gps_replay_load(struct gps_replay *r, const char *path, char *err, size_t errlen);
void gps_replay_free(struct gps_replay *r);
/* One epoch as the fix gpsd would have reported, received at mono_ms. */
void gps_replay_to_fix(const struct replay_fix *rf, int64_t mono_ms, struct gps_report *f);

#endif
