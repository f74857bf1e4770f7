/*
 * vbcore.h - vanbase's rules as one object: what the shell talks to.
 *
 * A vb_t watches the fleet (the vans the shell registers from its config),
 * turns their MQTT messages and base's clock into alarms (vb_unit.h: the
 * rules, and the decision on ONE definition of them shared with the base
 * console), runs each alarm's lifecycle and escalation chain (vb_alarm.h)
 * over the rota (vb_rota.h), and hands back decisions (vb_out.h):
 *   - after every call, drain vb_outq() (notification requests and audit
 *     records, in order), store them with vb_save() in one transaction,
 *     then hand the notifications to the channels, and vb_outq_clear();
 *   - the next timer: vb_next_deadline() (base UTC ms, or -1 for none);
 *     call vb_tick() then (earlier or more often is harmless);
 *   - the alarm list to publish (retained) for the consoles:
 *     vb_alarms_json() after any audit record;
 *   - persistent state: vb_save() / vb_restore() (JSON): after a SIGKILL
 *     and a restore no step is lost and none is decided twice (at-least-once
 *     if the last save was not stored: the same notification ids again).
 *     Every change of an alarm (raise, step, ack, resolve, close) comes with
 *     a record in the queue, so saving after every call that left the queue
 *     non-empty keeps the chains exact; the vans' part of the state is
 *     rebuilt from the broker's retained messages within seconds, so saving
 *     it every few seconds otherwise is enough.  After vb_restore() call
 *     vb_link()/vb_tick() with the time: steps that fell due while vanbase
 *     was down go out then.
 * Every entry point runs what is due, so after any call vb_next_deadline()
 * is in the future (or -1).
 *
 * Inputs that come from outside (MQTT payloads, ack/close requests, the
 * saved state) are validated; a refusal returns a negative errno-style code
 * and sets *why (if not NULL) to a static reason.  Not thread-safe; no I/O,
 * no clock, no globals.
 */
#ifndef VB_CORE_VBCORE_H
#define VB_CORE_VBCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vb_alarm.h"
#include "vb_base.h"
#include "vb_out.h"
#include "vb_rota.h"
#include "vb_unit.h"

typedef struct vb vb_t;

#define VB_UNITS_MAX 256
#define VB_ALARMS_MAX 1024       /* in memory: open ones, and resolved ones not yet closed */

struct vb_params {
	struct vb_rule_params rules;
	int64_t drill_timeout_ms;    /* a `vanbase test` drill not acknowledged by then failed */
	int64_t keep_resolved_ms;    /* resolved alarms nobody closed leave memory (and the
					published list) this long after (the store keeps them) */
};

/* The console's defaults: grace 60 s, silent 180 s, settle 15 s, offset
 * window 120 s; drills fail after 15 min; resolved alarms kept 24 h. */
void vb_params_default(struct vb_params *p);

/* A new core, or NULL (ENOMEM, or p/roster refused: see vb_set_roster). */
vb_t *vb_new(const struct vb_params *p, const struct vb_roster *r);
void vb_free(vb_t *vb);   /* NULL is fine */

/* Replace the roster (SIGHUP): chains in flight continue at their cursor
 * on the new chain.  0, or -EINVAL (vb_roster_check found problems; the
 * old roster stays). */
int vb_set_roster(vb_t *vb, const struct vb_roster *r, const char **why);

/* Watch van unit (its id, as in its topics).  0, -EINVAL (not a valid
 * unit id), -EEXIST, -ENOSPC. */
int vb_unit_add(vb_t *vb, const char *unit);

/* A message from PREFIX/unit/<t>.  0; -ENOENT (a unit not in the fleet:
 * refused, nothing kept); -EINVAL (malformed: see vb_unit_message). */
int vb_message(vb_t *vb, const struct vb_time *now, const char *unit, enum vb_topic t,
	       const char *payload, size_t len, bool retained, const char **why);

/* Base's own link to the broker came up / went down (no "silent" alarms
 * while it is down; silence counts from when it came back). */
void vb_link(vb_t *vb, const struct vb_time *now, bool up);

void vb_tick(vb_t *vb, const struct vb_time *now);

/* A person acknowledged alarm id: by (1-47 printable bytes), how ("console",
 * "cli", "link", ...).  Stops its chain; a `vanbase test` drill is then
 * resolved (passed).  For an emergency or a van's self-test the shell also
 * sends the van cmd/ack (vb_alarm_json's van_id).  0, -ENOENT, -EINVAL,
 * -EALREADY. */
int vb_ack(vb_t *vb, const struct vb_time *now, const char *id, const char *by,
	   const char *how, const char **why);

/* Close alarm id with an optional note (<= 199 bytes).  0, -ENOENT,
 * -EINVAL, -EALREADY. */
int vb_close(vb_t *vb, const struct vb_time *now, const char *id, const char *by,
	     const char *note, const char **why);

/* `vanbase test`: a drill of the whole chain to the test roster, started
 * by by.  Its id is copied to id_out (VB_ID_MAX) if not NULL.  0, -EINVAL. */
int vb_drill(vb_t *vb, const struct vb_time *now, const char *by, char *id_out,
	     const char **why);

/* The result of one delivery attempt of notification nid (from a channel):
 * an audit record "notified" with ok and detail (e.g. "HTTP 200").
 * 0, -ENOENT (its alarm is no longer in memory). */
int vb_notified(vb_t *vb, const struct vb_time *now, const char *nid, bool ok,
		const char *detail);

/* Base UTC ms of the next tick needed, or -1. */
int64_t vb_next_deadline(const vb_t *vb);

/* The decisions of the calls since the last vb_outq_clear(). */
struct vb_outq *vb_outq(vb_t *vb);

/* Alarms in memory, oldest first (pointers valid until the next call). */
size_t vb_alarm_count(const vb_t *vb);
const struct vb_alarm *vb_alarm_at(const vb_t *vb, size_t i);
const struct vb_alarm *vb_alarm_get(const vb_t *vb, const char *id);
/* A watched van (NULL if unit is not in the fleet). */
const struct vb_unit *vb_unit_get(const vb_t *vb, const char *unit);

/* {"v": 1, "alarms": [vb_alarm_json...]} of the alarms not closed.  NULL on ENOMEM. */
json_t *vb_alarms_json(const vb_t *vb);

/* Everything a restart needs: {"v": 1, "seq", "units": [...], "alarms": [...]}. */
json_t *vb_save(const vb_t *vb);
/* Replace the state with j's (the fleet: the units registered before, plus
 * those in j).  0, or -EINVAL (nothing changed). */
int vb_restore(vb_t *vb, const json_t *j, const char **why);

#endif
