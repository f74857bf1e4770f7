/*
 * emit.h - plumbing shared by the core's rule modules.
 *
 * Every rule module (occupancy, checkin, session, stops, alarm) pushes its
 * decisions as events through a struct emit: the queue, the current time and
 * the session id to stamp.  Also here: who asked for a command (enum
 * van_source), the "unset instant" sentinel, and small jansson helpers that
 * never store NaN (jansson refuses it) and turn unset instants into null.
 *
 * Nothing here owns memory beyond what a call hands back.
 */
#ifndef VAN_CORE_EMIT_H
#define VAN_CORE_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "evq.h"
#include "vtime.h"

/* A monotonic instant that is not set (no deadline, never happened). */
#define VAN_NEVER INT64_MIN

/* Who asked.  The same core path serves buttons, vanctl and base. */
enum van_source {
	VAN_SRC_AUTO = 0,   /* the core itself (timers, sensors) */
	VAN_SRC_BUTTON,     /* a crew button in the van */
	VAN_SRC_VANCTL,     /* the control socket */
	VAN_SRC_BASE,       /* an MQTT command from base */
	VAN_SRC_BOOT,       /* a level found at start-up */
	VAN_SRC__COUNT
};

/* Stable lower-case name ("button", "vanctl", ...) for events. */
const char *van_source_name(enum van_source s);

/* Where a module's events go. */
struct emit {
	struct evq *q;
	const struct vtime *now;   /* time stamp of every event pushed */
	int64_t sid;               /* session id (0 = outside a session) */
};

/* Push event TYPE with data (stolen; NULL = {}).  Returns 0 or -ENOMEM
 * (the event is lost; the core keeps going). */
int emit_ev(const struct emit *e, enum ev_type t, enum ev_prio prio, json_t *data);

/* Push an event that is also an incident: adds "incident": true and
 * "category": CATEGORY to data (stolen). */
int emit_incident(const struct emit *e, enum ev_type t, enum ev_prio prio,
		  const char *category, json_t *data);

/* json helpers: set KEY in object O; errors (ENOMEM) are ignored. */
void jset_int(json_t *o, const char *key, int64_t v);
void jset_str(json_t *o, const char *key, const char *s);   /* NULL -> null */
void jset_bool(json_t *o, const char *key, bool b);
void jset_real(json_t *o, const char *key, double v);       /* NaN/inf -> null */
void jset_new(json_t *o, const char *key, json_t *v);       /* steals v; NULL -> null */
/* UTC ms of monotonic instant MONO by the offset of now; VAN_NEVER -> null. */
void jset_utc(json_t *o, const char *key, const struct vtime *now, int64_t mono);

/* Whole seconds in a duration of ms (rounded down, never negative). */
static inline int64_t ms_to_s(int64_t ms)
{
	return ms > 0 ? ms / 1000 : 0;
}

/* Earliest of two deadlines, VAN_NEVER meaning none. */
static inline int64_t deadline_min(int64_t a, int64_t b)
{
	if (a == VAN_NEVER)
		return b;
	if (b == VAN_NEVER)
		return a;
	return a < b ? a : b;
}

/* The first instant sched + k*every (k >= 1) that is after now: repeats stay
 * on their schedule, and a long gap (daemon down) is caught up in one step. */
int64_t next_after(int64_t sched, int64_t every, int64_t now);

#endif
