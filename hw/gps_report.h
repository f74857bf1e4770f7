/*
 * gps_report.h - one position report as the GPS layer gives it (gpsd's TPV,
 * or a replayed epoch).  hw/'s own type: the shell turns it into the core's
 * struct fix (controller/core/fix.h), so neither layer includes the other.
 */
#ifndef VAN_HW_GPS_REPORT_H
#define VAN_HW_GPS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

enum gps_mode { GPS_MODE_NONE = 0, GPS_MODE_NO_FIX = 1, GPS_MODE_2D = 2, GPS_MODE_3D = 3 };

struct gps_report {
	int64_t mono_ms;      /* when the report was received (CLOCK_MONOTONIC) */
	int64_t gps_utc_ms;   /* GPS time of the fix, 0 if the report had none */
	enum gps_mode mode;
	bool has_latlon;      /* lat/lon valid (gpsd's LATLON_SET) */
	double lat, lon;      /* degrees WGS84 */
	double alt;           /* m, NAN if unknown */
	double speed;         /* m/s, NAN if unknown */
	double track;         /* degrees true, NAN if unknown */
	double eph, epv;      /* estimated error, m, NAN if unknown */
	int sats_used;        /* -1 if unknown */
};

#endif
