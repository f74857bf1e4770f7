/*
 * gps.h - position reports from gpsd through libgps, never blocking the loop.
 *
 * The daemon polls gps_fd() (which changes across reconnects: ask after each
 * call), calls gps_readable() when it is readable and gps_service() at
 * gps_deadline().  A gpsd that is not running, stops or restarts is noticed
 * and reconnected with exponential backoff (1 s doubling up to a ceiling).
 * No report for stale_after seconds reports the fix as lost: a stale fix is
 * never silently reused.
 *
 * Works with libgps 3.22 (Debian 12) and 3.25 (Debian 13).  Fixes are judged
 * by mode and the LATLON flag, never by status (gpsd 3.22 sends none).
 */
#ifndef VAN_HW_GPS_H
#define VAN_HW_GPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/gps_report.h"

typedef struct gps gps_t;

struct gps_callbacks {
	/* A TPV report (fix or no fix).  f->mono_ms is the receive time. */
	void (*on_report)(void *arg, const struct gps_report *f);
	/* No report for stale_after: the last fix must no longer be used. */
	void (*on_stale)(void *arg);
	/* Connected to gpsd (true), lost it or failed to connect (false;
	 * gps_last_error() says why).  Called at every failed attempt. */
	void (*on_link)(void *arg, bool up);
};

struct gps_params {
	const char *host, *port;
	int64_t reconnect_max_ms;
	int64_t stale_after_ms;
	const char *replay_file;   /* set: play this NMEA file instead of gpsd */
};

/* Returns NULL with a message in err (out of memory, unreadable replay
 * file).  Does not connect yet: the first gps_service() call (deadline =
 * now) does.  In replay mode the first epoch is due at now_ms and each
 * next one at its time offset; gps_replay_done() says when all are out. */
gps_t *gps_new(const struct gps_params *p, const struct gps_callbacks *cb, void *arg, int64_t now_ms,
	       char *err, size_t errlen);
bool gps_replay_done(const gps_t *g);
void gps_free(gps_t *g);  /* accepts NULL; closes the connection */

int gps_fd(const gps_t *g);              /* -1 while not connected */
int64_t gps_deadline(const gps_t *g);    /* next reconnect try or staleness check */
void gps_service(gps_t *g, int64_t now_ms);
void gps_readable(gps_t *g, int64_t now_ms);
bool gps_connected(const gps_t *g);
const char *gps_last_error(const gps_t *g);
uint64_t gps_reports(const gps_t *g);    /* TPV reports received in total */

#endif
