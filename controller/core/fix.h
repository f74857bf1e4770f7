/*
 * fix.h - one position report, as the GPS layer hands it to the core.
 */
#ifndef VAN_CORE_FIX_H
#define VAN_CORE_FIX_H

#include <stdbool.h>
#include <stdint.h>

enum fix_mode { FIX_NONE = 0, FIX_NO_FIX = 1, FIX_2D = 2, FIX_3D = 3 };

struct fix {
	int64_t mono_ms;      /* when the report was received (CLOCK_MONOTONIC) */
	int64_t gps_utc_ms;   /* GPS time of the fix, 0 if the report had none */
	enum fix_mode mode;
	bool has_latlon;      /* lat/lon valid (gpsd's LATLON_SET) */
	double lat, lon;      /* degrees WGS84 */
	double alt;           /* m, NAN if unknown */
	double speed;         /* m/s, NAN if unknown */
	double track;         /* degrees true, NAN if unknown */
	double eph, epv;      /* estimated error, m, NAN if unknown */
	int sats_used;        /* -1 if unknown */
};

/* A fix with a position the core may use. */
static inline bool fix_usable(const struct fix *f)
{
	return f->has_latlon && f->mode >= FIX_2D;
}

#endif
