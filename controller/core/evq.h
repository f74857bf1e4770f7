/*
 * evq.h - the core's decisions: an ordered queue of events.
 *
 * Core modules push events; after each call into the core the shell drains
 * the queue: every event is stored (SQLite), put in the outbox and published
 * to base.  An event owns its JSON data (jansson), which holds only the
 * type-specific fields: the shell adds seq, unit, time and session.
 * Event types and their fields are listed in docs/events.md.
 */
#ifndef VAN_CORE_EVQ_H
#define VAN_CORE_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "evtype.h"

enum ev_prio { EV_NORMAL = 0, EV_URGENT = 1, EV_EMERGENCY = 2 };

/* Typed records of the events the shell files in tables of their own
 * (sessions, stops): filled by the core, so the shell reads fields instead
 * of parsing the event's JSON back.  Times are UTC ms, 0 when unknown. */
struct ev_session_rec {
	int64_t started_utc_ms, ended_utc_ms, planned_end_utc_ms;
	int crew;
	bool lone;
	char plan[64];          /* "" = none */
};

struct ev_stop_rec {
	int64_t arrived_utc_ms, departed_utc_ms;
	double lat, lon;        /* NAN when unknown */
	char name[64];          /* the planned location it is at; "" = none */
	int entries, peak, door_openings;
};

struct van_event {
	enum ev_type t;       /* what happened (evtype.h): the shell switches on it */
	const char *type;     /* its name, e.g. "occupancy.over_limit" (static) */
	int64_t mono_ms;      /* when it happened */
	int64_t utc_ms;
	enum ev_prio prio;    /* emergencies jump the outbox queue */
	int64_t session_id;   /* 0 = outside a session */
	json_t *data;         /* owned; never NULL after push (empty object) */
	union {               /* session.started/extended/ended; stop.started/ended */
		struct ev_session_rec session;
		struct ev_stop_rec stop;
	} rec;
};

struct evq {
	struct van_event *v;
	size_t n, cap;
};

/* Append an event.  Takes ownership of data (NULL = empty object).
 * Returns 0, or -ENOMEM (data is freed). */
int evq_push(struct evq *q, enum ev_type t, int64_t mono_ms, int64_t utc_ms,
	     enum ev_prio prio, int64_t session_id, json_t *data);
/* Free all events' data and empty the queue (keeps the buffer). */
void evq_clear(struct evq *q);
/* Free everything. */
void evq_fini(struct evq *q);

#endif
