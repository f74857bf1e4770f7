/*
 * app_gps.h - the GPS feed: gpsd (or a replayed track) through the route
 * filter, one judgement per epoch.
 *
 * Owns: the gps_t (hw/gps.h), its fd in the loop and its deadlines (a loop
 * source), the replay's end, the route filter (core/track.h) and its
 * figures, the fix state (the newest position, whether one came, whether
 * the newest report was a usable fix, whether reports stopped: lost), the
 * route points it stores, and the doubts about GPS time it logged.
 *
 * Sees: the config ([gps], [track]), the loop, the store (route points
 * only) and the reference clock (it gives the clock its GPS samples).  It
 * calls nothing else of the shell: what it finds goes to its user through
 * struct gpsfeed_callbacks (in the daemon, the van's I/O, wired in app.c),
 * and the current fix is read with gpsfeed_pos() / gpsfeed_json().
 */
#ifndef VAN_APP_GPS_H
#define VAN_APP_GPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "core/fix.h"
#include "loop.h"
#include "store.h"

struct gpsfeed;

struct gpsfeed_callbacks {
	/* A report for the core, the feed's state already updated: a usable
	 * fix, or one without a position (f->mode); NULL: no report for
	 * gps.stale_after, the fix is lost. */
	void (*fix)(void *arg, const struct fix *f);
	/* A new position accepted, after fix(): the live location's turn. */
	void (*position)(void *arg, const struct fix *f, const struct vtime *now);
	/* The feed's part of the state changed (the link, a fix found or
	 * lost): the snapshot is out of date. */
	void (*changed)(void *arg);
	/* The reference clock has a step pending (this epoch's GPS time): have
	 * it recorded before what this fix causes. */
	void (*clock_step)(void *arg);
	/* The session running now (route points are stored with it), 0 none. */
	int64_t (*session)(void *arg);
};

/* Connects (or opens the replay) and watches the feed in l.  NULL with
 * errno set and a sentence in err. */
struct gpsfeed *gpsfeed_new(const struct conf *c, loop_t *l, store_t *st, struct clock_ref *clock,
			    const struct gpsfeed_callbacks *cb, void *arg, char *err, size_t errlen);
/* Stop reading: gpsd (or the replay) closed, out of the loop; the last
 * fix is still read.  Accepts NULL. */
void gpsfeed_stop(struct gpsfeed *g);
/* Stops it if needed.  Accepts NULL. */
void gpsfeed_free(struct gpsfeed *g);

/* The epoch gathered is complete (the feed stops): judge it now. */
void gpsfeed_epoch_flush(struct gpsfeed *g);
/* The route filter's figures, logged at exit. */
void gpsfeed_summary(const struct gpsfeed *g);
/* [track] re-read from the config (a reload). */
void gpsfeed_reload(struct gpsfeed *g);

/* The current fix, for reading. */
struct gpsfeed_pos {
	struct fix fix;   /* the newest position kept (before the first usable one: the first report) */
	bool have;        /* a report has come */
	bool stale;       /* no report for gps.stale_after: the fix is lost */
};
/* g NULL (no feed yet): none. */
void gpsfeed_pos(const struct gpsfeed *g, struct gpsfeed_pos *out);
/* The state snapshot's "gps" part (docs/mqtt.md); g NULL: link down, no fix. */
json_t *gpsfeed_json(const struct gpsfeed *g, const struct vtime *now);
bool gpsfeed_connected(const struct gpsfeed *g);
/* Route points kept and dropped by the filter so far. */
void gpsfeed_points(const struct gpsfeed *g, uint64_t *kept, uint64_t *dropped);

#endif
