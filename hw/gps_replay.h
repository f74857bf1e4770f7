/*
 * gps_replay.h - a recorded NMEA track (RMC + GGA) as a list of fixes, for
 * the GPS layer's replay mode (gps.replay_file).  See gps_replay.c.
 */
#ifndef VAN_HW_GPS_REPLAY_H
#define VAN_HW_GPS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/core/fix.h"

struct replay_fix {
	int64_t utc_ms;
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

/* Read path.  0, or -errno with a message in err. */
int gps_replay_load(struct gps_replay *r, const char *path, char *err, size_t errlen);
void gps_replay_free(struct gps_replay *r);
/* One epoch as the fix gpsd would have reported, received at mono_ms. */
void gps_replay_to_fix(const struct replay_fix *rf, int64_t mono_ms, struct fix *f);

#endif
