/*
 * clock.h - which UTC to stamp records with (docs/time.md is the rule).
 *
 * The Pi has no RTC: after a cold boot the system clock may be wrong until
 * NTP syncs, and vans are often out of coverage.  GPS time can be wrong too
 * (week-rollover: 1024 weeks off, or years ahead; single bad reports).
 *
 *   1. the system clock when the kernel says it is synchronised (NTP);
 *   2. otherwise GPS time, once believed: CLOCK_GPS_AGREE reports with
 *      distinct fix times agree on it (within CLOCK_GPS_DRIFT_MS), arriving
 *      over CLOCK_GPS_SPAN_MS at least (a burst after a stall is old
 *      news, not a new time), none of
 *      them before the floor below (less CLOCK_LKG_SLACK_MS) and none more
 *      than CLOCK_GPS_HORIZON_MS after it;
 *   3. otherwise the system clock, marked unsynced, but never earlier than
 *      the floor.
 *
 * The LKG is the newest time this van has recorded from a trusted source
 * (the database's newest record, a time saved at the last stop), or the
 * build time for a new database; while running it follows every trusted
 * reading.  Time has passed since it was taken, so the floor for "now" is
 * the LKG plus the monotonic time since (clock_floor).  Durations never
 * come from here: they use CLOCK_MONOTONIC.
 *
 * A change of the reference by more than CLOCK_GPS_DRIFT_MS (a source
 * change, a new GPS anchor, an NTP step) is a step: the caller takes it
 * with clock_take_step() and records it (event clock.step).
 *
 * The decision functions (clock_gps, clock_now_at) read no clock: the
 * shell passes the readings, tests pass a script.  clock_now() reads the
 * real (or virtual) clocks and the kernel's sync state.
 */
#ifndef VAN_CLOCK_H
#define VAN_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vtime.h"

#define CLOCK_GPS_DRIFT_MS 2000                          /* jitter, not a step */
#define CLOCK_GPS_AGREE 3                                /* reports to believe a GPS time */
#define CLOCK_GPS_SPAN_MS 1000                           /* ... arriving over at least this long */
#define CLOCK_LKG_SLACK_MS (60 * 1000)                   /* GPS this far before the LKG is tolerated */
#define CLOCK_GPS_HORIZON_MS ((int64_t)400 * 86400 * 1000) /* GPS beyond LKG + this: not believed */
#define CLOCK_RECHECK_MS 10000                           /* adjtimex() at most this often */

enum clock_force {
	CLOCK_AUTO = 0,
	CLOCK_FORCE_SYSTEM, /* VANCTLD_CLOCK=system: the system clock, as synchronised */
	CLOCK_FORCE_GPS,    /* VANCTLD_CLOCK=gps: a replay's own times are the truth */
	CLOCK_FORCE_UNSYNCED, /* VANCTLD_CLOCK=unsynced: the rule, as if NTP never synced (tests) */
};

enum clock_lkg_src {
	CLOCK_LKG_BUILD = 0, /* nothing recorded yet: the build time */
	CLOCK_LKG_RECORD,    /* the database's newest trusted record or saved time */
};

/* What clock_gps() made of a report. */
enum clock_gps_verdict {
	CLOCK_GPS_NO_TIME = 0, /* the report carries no time */
	CLOCK_GPS_AGREES,      /* agrees with the GPS time in use */
	CLOCK_GPS_DUPLICATE,   /* same fix time as the report before: not counted */
	CLOCK_GPS_COUNTING,    /* counted towards believing a (new) GPS time */
	CLOCK_GPS_BELIEVED,    /* this report made the GPS time believed */
	CLOCK_GPS_BEFORE_LKG,  /* earlier than the last known good time */
	CLOCK_GPS_TOO_FAR,     /* more than the horizon after it */
};

struct clock_step {
	enum utc_src from, to;
	int64_t step_ms;       /* new reference - old, at the same monotonic instant */
	int64_t mono_ms;       /* when */
	int64_t utc_ms;        /* the new reference's time then */
};

struct clock_ref {
	enum clock_force force;
	int64_t lkg_ms;                 /* last known good UTC */
	enum clock_lkg_src lkg_src;
	int64_t lkg_mono;               /* mono when lkg_ms was taken: the floor runs on from there */
	/* GPS time in use */
	bool have_gps;
	int64_t gps_offset_ms;          /* utc - mono */
	/* a GPS time being counted */
	int64_t cand_offset_ms;
	int cand_n;
	int64_t cand_mono;              /* when its first report arrived */
	int64_t last_fix_utc;           /* the previous report's fix time (duplicates) */
	/* the system clock's state */
	bool sys_synced;
	int64_t checked_at;
	/* the reference last handed out, for steps */
	bool have_prev;
	int64_t prev_mono, prev_utc;
	enum utc_src prev_src;
	bool step_pending;
	struct clock_step step;
};

/* lkg_ms: the last known good time, or 0 for none (the build time is used).
 * mono_ms: now on CLOCK_MONOTONIC. */
void clock_init(struct clock_ref *c, enum clock_force force, int64_t lkg_ms, int64_t mono_ms);
/* The earliest "now" can be at mono_ms: the LKG plus the time since it. */
int64_t clock_floor(const struct clock_ref *c, int64_t mono_ms);
/* VANCTLD_CLOCK from the environment ("system", "gps", "unsynced", else auto). */
enum clock_force clock_force_from_env(void);
/* The build time (VAN_BUILD_EPOCH), in UTC ms. */
int64_t clock_build_ms(void);

/* A report with GPS time gps_utc_ms (0: none) arrived at mono_ms.  The
 * caller passes only fixes whose time is in order with the fixes around
 * them (the route filter's verdict, track_time_rejected()): the clock never
 * follows a report the route filter rejects as out of time. */
enum clock_gps_verdict clock_gps(struct clock_ref *c, int64_t gps_utc_ms, int64_t mono_ms);
const char *clock_gps_verdict_name(enum clock_gps_verdict v);

/* Now from the given readings (pure). */
void clock_now_at(struct clock_ref *c, int64_t mono_ms, int64_t wall_ms, bool sys_synced, struct vtime *out);
/* The kernel says the system clock is synchronised (NTP): adjtimex(). */
bool clock_system_synced(void);
/* Now from the real (or virtual) clocks. */
void clock_now(struct clock_ref *c, struct vtime *out);

/* A step of the reference since the last call: true and *s filled once. */
bool clock_take_step(struct clock_ref *c, struct clock_step *s);

/* Format utc ms as ISO 8601 "2026-11-24T21:00:00.000Z" (buf >= 32). */
char *fmt_utc(int64_t utc_ms, char *buf, size_t len);

#endif
