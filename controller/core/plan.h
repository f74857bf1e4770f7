/*
 * plan.h - session plans: the planned route, its timetable and the
 * prearranged check-in points, and the tracker that compares where the van
 * is with the plan.  File format, events and rules: docs/plans.md.
 *
 * Two parts, both pure (no I/O, no clock, no globals):
 *
 *  - struct plan_def: a plan as plain data.  plan_def_from_json() checks a
 *    plan in its file format (JSON) completely and fills a plan_def only
 *    when every check passed; controller/planfile.c reads the file and
 *    calls it, plan_restore() uses it for the saved copy, so a saved plan
 *    obeys exactly the rules of a plan file.
 *
 *  - plan_t: the tracker of one session's plan.  Fixes, stop hints, crew
 *    check-ins and crew changes of plan come in with the time (struct emit
 *    carries the event queue, the time and the session id); decisions go
 *    out as events "plan.*" on the core's event queue:
 *      arrivals and departures (with hysteresis at the radius edge),
 *      check-in prompts at prearranged points and their escalation,
 *      deviations (late, skipped, unplanned stop, off corridor),
 *      the crew's changes of plan (which silence the deviation they
 *      explain), the return to base, and a summary at the end.
 *    Timers run in plan_tick() (and in every other call); the next one is
 *    plan_next_deadline().
 *
 * Times in a plan are local wall-clock "HH:MM".  A plan lasts less than 24
 * hours and its times are read on a timeline that begins at its "start":
 * a time earlier in the day than "start" is on the next day (midnight).
 * At plan_start() the tracker places that timeline on the calendar, at the
 * occurrence of "start" nearest to the session start (12 h either way),
 * with the local-time rule the shell gives (struct plan_tz: the UTC offset,
 * local minus UTC, e.g. 3600 in British Summer Time, and the one clock
 * change around the plan, if any): each time is placed with the offset in
 * force at that instant, so a night shift across the change of the clocks
 * keeps its windows on the new wall clock.  While the van's clock is not trustworthy
 * (UTC_SRC_SYSTEM_UNSYNCED) the timetable is not placed: no late alerts,
 * arrivals carry no timing; it is placed at the first call with a better
 * clock (event plan.anchored).  After that, windows are monotonic instants:
 * a later clock step does not move them.
 *
 * Not thread-safe.
 */
#ifndef VAN_CORE_PLAN_H
#define VAN_CORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "emit.h"
#include "fix.h"
#include "vtime.h"

#define PLAN_LOC_MAX 50          /* planned locations in one plan */
#define PLAN_NAME_MAX 48         /* names: 1..47 bytes, no control characters */
#define PLAN_DESC_MAX 240        /* description: up to 239 bytes */
#define PLAN_NO_TIME (-1)        /* earliest/latest not given */
#define PLAN_FORMAT_VERSION 1

/* One planned location (also the base, whose times and check-in are unused). */
struct plan_loc {
	char name[PLAN_NAME_MAX];
	double lat, lon;          /* centre, degrees WGS84 */
	int radius_m;             /* 20..2000 */
	int earliest, latest;     /* arrival window: local minute of the day 0..1439,
				     or PLAN_NO_TIME */
	int dwell_min;            /* planned time on site, 1..480; 0 = not given */
	bool checkin;             /* a prearranged check-in point */
};

/* A whole plan.  Plain data: copy it freely. */
struct plan_def {
	char name[PLAN_NAME_MAX];          /* the plan's name (its file name without .json) */
	char description[PLAN_DESC_MAX];   /* "" = none */
	int start, end;                    /* planned start and end: local minute of the day */
	struct plan_loc base;              /* where the van returns */
	int corridor_m;                    /* off corridor: further than this from the route */
	int off_corridor_min;              /* ... for longer than this */
	int unplanned_stop_min;            /* stationary outside planned places longer than this */
	int checkin_grace_min;             /* check-in at a check-in point due within this */
	int checkin_repeat_min;            /* plan.checkin_missed repeated this often */
	int arrive_fixes;                  /* consecutive fixes to arrive / depart (hysteresis) */
	size_t n;                          /* locations, in planned order */
	struct plan_loc loc[PLAN_LOC_MAX];
};

/* Reasons the crew may give for a change of plan. */
#define PLAN_REASONS "police, safety, no_service_users, vehicle, traffic, other"
bool plan_reason_valid(const char *reason);

/* ------------------------------------------------------------ plan_def */

/* Called once per problem: path is the key path ("locations[2].radius_m",
 * "" for the whole document), msg what is wrong.  Both valid only during
 * the call. */
typedef void plan_err_fn(void *ctx, const char *path, const char *msg);

/* Check a plan in its file format (docs/plans.md) and, only when there is
 * no problem at all, fill *out.  name: the plan's name (1..47 of
 * [A-Za-z0-9_-]).  Every problem is reported through err (may be NULL).
 * Returns the number of problems (0 = *out filled), or -ENOMEM. */
int plan_def_from_json(const json_t *j, const char *name, struct plan_def *out,
		       plan_err_fn *err, void *ctx);

/* The plan in its file format (new reference; NULL on ENOMEM).  For the
 * saved state and `vanctl plan show`; plan_def_from_json() reads it back. */
json_t *plan_def_to_json(const struct plan_def *d);

/* Is name a valid plan name (1..47 of [A-Za-z0-9_-])? */
bool plan_name_valid(const char *name);

/* "HH:MM" of a minute of the day into buf (>= 6 bytes); PLAN_NO_TIME -> "". */
const char *plan_hhmm(int tod, char *buf, size_t n);

/* Minutes from the plan's start to local minute of the day tod, 0..1439
 * (a time before "start" in the day is on the next day). */
static inline int plan_tl(const struct plan_def *d, int tod)
{
	return ((tod - d->start) % 1440 + 1440) % 1440;
}

/* The local time's rule over a plan's span, found by the shell (the core
 * never reads the time zone): local time = UTC + off_s before the instant
 * change_utc_ms, UTC + off_after_s from it on.  change_utc_ms is
 * PLAN_TZ_NONE when the offset does not change (then off_after_s is
 * unused).  Offsets are -16 h .. 16 h.  The shell gives the change (at
 * most one) within 12 h before to 36 h after the session start: the span
 * any plan of that session can cover. */
struct plan_tz {
	int off_s;
	int64_t change_utc_ms;
	int off_after_s;
};
#define PLAN_TZ_NONE INT64_MAX

/* A fixed offset: no change. */
static inline struct plan_tz plan_tz_fixed(int off_s)
{
	return (struct plan_tz){ .off_s = off_s, .change_utc_ms = PLAN_TZ_NONE,
				 .off_after_s = off_s };
}

/* Offsets in range and a plausible change instant (or none)? */
bool plan_tz_valid(struct plan_tz tz);
/* Local time minus UTC, seconds, at UTC ms utc_ms. */
int plan_tz_offset_at(struct plan_tz tz, int64_t utc_ms);
/* UTC ms of local wall-clock time local_ms (ms since 1970-01-01 00:00 on
 * the local clock).  Around a change: a local time in the repeated hour
 * (clocks back) is its first occurrence, with the offset before the
 * change; a local time in the skipped hour (clocks forward), which never
 * shows on the clock, is read with the offset before the change too, i.e.
 * moved forward by the gap (01:30 on a 01:00 -> 02:00 night is 02:30). */
int64_t plan_tz_utc(struct plan_tz tz, int64_t local_ms);
/* UTC ms of local minute of the day tod (0..1439) on the timeline of the
 * plan that a session starting at utc_ms follows (the plan's start nearest
 * to utc_ms, 12 hours either way, as plan_start_utc()), by rule tz.
 * tod = d->start: the plan's start; d->end: its planned end, what the
 * shell may pass to van_session_start() as the planned end.  With a fixed
 * offset, the same as plan_start_utc() + plan_tl() minutes. */
int64_t plan_local_utc(const struct plan_def *d, int64_t utc_ms, struct plan_tz tz, int tod);

/* UTC ms of the plan's start nearest to utc_ms (within 12 hours either
 * way), local time = UTC + utc_offset_s (one fixed offset: see
 * plan_local_utc()). */
int64_t plan_start_utc(const struct plan_def *d, int64_t utc_ms, int utc_offset_s);
/* UTC ms of the plan's planned end, for a session starting at utc_ms: what
 * the shell may pass to van_session_start() as the planned end. */
int64_t plan_end_utc(const struct plan_def *d, int64_t utc_ms, int utc_offset_s);

/* -------------------------------------------------------------- plan_t */

typedef struct plan plan_t;

/* A tracker with no plan running.  NULL on ENOMEM. */
plan_t *plan_new(void);
/* Accepts NULL. */
void plan_free(plan_t *p);

/* Is a plan running? */
bool plan_active(const plan_t *p);
/* The running plan's definition, or NULL. */
const struct plan_def *plan_current_def(const plan_t *p);

/* Start tracking def (copied) for the session that starts now: event
 * plan.started.  tz: the local time's rule around now (struct plan_tz).
 * Returns 0, -EALREADY (a plan runs: plan_end first) or -EINVAL (def fails
 * the plan file's rules, or bad tz); *why (may be NULL) is set to the
 * reason (valid until the next call on p). */
int plan_start_tz(plan_t *p, const struct plan_def *def, struct plan_tz tz, const struct emit *e,
		  const char **why);
/* plan_start_tz() with one fixed offset, utc_offset_s: local time minus
 * UTC (-16 h .. 16 h). */
int plan_start(plan_t *p, const struct plan_def *def, int utc_offset_s, const struct emit *e,
	       const char **why);

/* The session ended: event plan.ended (the plan's summary), outstanding
 * check-in prompts are dropped, no plan runs any more.  Nothing without a
 * plan. */
void plan_end(plan_t *p, const struct emit *e);

/* A GPS report (usable or not; unusable ones and those with eph > 100 m
 * are ignored).  The report's time is e->now. */
void plan_fix(plan_t *p, const struct fix *fx, const struct emit *e);

/* A hint from the shell's stop detector (van stops.h): stopped at lat/lon
 * since since_mono (VAN_NEVER or later than now = now), or moving again.
 * After the first hint the tracker's own stationary detector (fixes slower
 * than 1 m/s within 50 m) is off for the rest of the plan. */
void plan_stop(plan_t *p, bool stopped, double lat, double lon, int64_t since_mono,
	       const struct emit *e);

/* Run the timers that are due (late, check-in grace and repeats,
 * unplanned stop, off corridor). */
void plan_tick(plan_t *p, const struct emit *e);
/* Monotonic ms of the next timer, or VAN_NEVER.  After any call it is in
 * the future. */
int64_t plan_next_deadline(const plan_t *p);

/* The crew checked in (any check-in: button, vanctl, answering base).  It
 * answers every outstanding prompt of a check-in point (event plan.checkin
 * for each).  Nothing else without a prompt. */
void plan_checkin_made(plan_t *p, enum van_source src, const struct emit *e);

/* The crew changes the plan: event plan.changed (to base: the phone call
 * when the route changes).  reason: one of PLAN_REASONS.
 *
 * plan_skip: location name (NULL = the next planned location) will not be
 * visited: no plan.late, plan.skipped or check-in prompt for it, the
 * corridor leads past it, and the off-corridor episode going on now (or
 * the next within 30 minutes: the road to the next location is not
 * planned) raises no alert.  Also accepted after plan.skipped (explains it
 * afterwards).  -ENOENT (no plan, no such location, nothing left),
 * -EALREADY (visited, the van is there, or already marked), -EINVAL (bad
 * reason).
 *
 * plan_add_stop: an extra stop not in the plan.  The unplanned stop going
 * on now (or the next within 30 minutes) and the off-corridor episode going
 * on now (or the next within 30 minutes) raise no alert.  -ENOENT (no
 * plan), -EINVAL (bad reason). */
int plan_skip(plan_t *p, const char *name, const char *reason, enum van_source src,
	      const struct emit *e, const char **why);
int plan_add_stop(plan_t *p, const char *reason, enum van_source src, const struct emit *e,
		  const char **why);

/* Name of the planned location the van is at now (to name the current
 * stop), or NULL.  Valid until the next call on p. */
const char *plan_current_location(const plan_t *p);

/* The "plan" object of the state snapshot (new reference; json null when
 * no plan runs; NULL on ENOMEM).  Fields: docs/plans.md. */
json_t *plan_state_json(const plan_t *p, const struct vtime *now);

/* Persistent state, the plan included (new reference; json null when no
 * plan runs; NULL on ENOMEM). */
json_t *plan_save(const plan_t *p);
/* Restore what plan_save gave (json null: no plan) into p, which must have
 * no plan running.  mono_shift_ms is added to every saved monotonic
 * instant (as van_restore).  Then call plan_tick(): timers that fell due
 * meanwhile run.  Returns 0, -EINVAL (bad or foreign data: p unchanged),
 * -EALREADY, -ENOMEM. */
int plan_restore(plan_t *p, const json_t *saved, int64_t mono_shift_ms);

#endif
