/*
 * vb_alarm.h - one alarm at base: its lifecycle and its escalation chain.
 *
 *   raised -> notified (each attempt) -> acknowledged (who, when, how)
 *          -> resolved (the van cleared it, the crew checked in, the session
 *             ended, ...) -> closed (optional note)
 * Acknowledged and resolved are independent (a crew may clear an emergency
 * nobody acknowledged yet); vb_alarm_state() names the furthest step.
 * Every transition pushes an audit record (vb_out.h) for the shell to
 * store.  Ids are "UNIT-KIND-SEQ" ("van1-emergency-17"; "base-drill-18" for
 * `vanbase test`), SEQ from one counter the core saves: unique and stable.
 *
 * The chain (vb_rota.h) runs on base's clock from chain_at (the raise, or
 * a re-arm: another panic press after an acknowledgement); the cursor
 * (round, step) is the next step to send, so everything before it was
 * decided: that and the list of (contact, channel) reached is all a
 * restart needs.  Steps of the first round that fell due while vanbase was
 * down are all sent (each reaches other people); of the repeats only the
 * latest round due is sent, not one per missed period.
 *
 * Texts (vb_text.c) carry the least: the van, what, how long ago; the
 * position only for emergencies and offline-during-session (position true:
 * the shell adds pos_text where the channel is configured to carry it).
 * A covert emergency's text says so plainly and tells the reader not to
 * call the van openly.
 */
#ifndef VB_CORE_ALARM_H
#define VB_CORE_ALARM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vb_base.h"
#include "vb_out.h"
#include "vb_rota.h"
#include "vb_unit.h"

#define VB_REACHED_MAX 32

enum vb_state { VB_ST_RAISED = 0, VB_ST_NOTIFIED, VB_ST_ACKED, VB_ST_RESOLVED, VB_ST_CLOSED };

struct vb_reached {
	char contact[VB_NAME_MAX];
	char channel[VB_NAME_MAX];
};

struct vb_alarm {
	char id[VB_ID_MAX];
	char unit[VB_NAME_MAX];       /* "" for a drill of `vanbase test` */
	enum vb_kind kind;
	int64_t key;                  /* the condition's key (vb_cond) */
	bool covert, by_van, drill;
	int presses;
	char drill_by[VB_WHO_MAX];    /* who started a `vanbase test` drill */
	int64_t raised_at, since;     /* base ms: raised here; the condition began */
	bool notified;                /* an attempt succeeded */
	bool acked;
	int64_t acked_at;
	char acked_by[VB_WHO_MAX], acked_how[24];
	bool resolved;
	int64_t resolved_at;
	char resolved_why[64];
	bool closed;
	int64_t closed_at;
	char closed_by[VB_WHO_MAX], note[VB_NOTE_MAX];
	bool suppress;                /* closed while its condition held: raise no new one for it */
	/* the chain */
	int64_t chain_at;             /* its origin */
	int arm;                      /* times armed - 1 (a press after an ack re-arms) */
	int round, step;              /* the next step to send */
	int64_t next_at;              /* its time; VB_NEVER: no more */
	struct vb_reached reached[VB_REACHED_MAX];
	int nreached;
	int64_t drill_deadline;       /* `vanbase test`: failed if not acknowledged by then */
};

/* "raised", "notified", "acknowledged", "resolved", "closed". */
const char *vb_state_name(enum vb_state s);
enum vb_state vb_alarm_state(const struct vb_alarm *a);

/* Fill a new alarm (id from seq) and push its "raised" record; the chain
 * starts at now.  unit: "" for a base drill. */
void vb_alarm_raise(struct vb_alarm *a, unsigned long long seq, const char *unit,
		    const struct vb_cond *c, const struct vb_chain *ch, int64_t now,
		    struct vb_outq *q);

/* Acknowledge: stops the chain.  0, -EALREADY (acknowledged or closed). */
int vb_alarm_ack(struct vb_alarm *a, int64_t now, const char *by, const char *how,
		 struct vb_outq *q);

/* Another press after an acknowledgement: unacknowledged, the chain starts
 * over at now (arm + 1: new notification ids). */
void vb_alarm_rearm(struct vb_alarm *a, const struct vb_chain *ch, int64_t now,
		    struct vb_outq *q);

/* Resolve (why: static or copied) and send the all-clear to everyone
 * reached.  u: the van (NULL for a base drill).  No-op if resolved. */
void vb_alarm_resolve(struct vb_alarm *a, const struct vb_unit *u, const char *why,
		      const struct vb_time *now, struct vb_outq *q);

/* Close with an optional note (NULL or ""); an unresolved alarm is
 * resolved first ("closed by BY").  0, -EALREADY. */
int vb_alarm_close(struct vb_alarm *a, const struct vb_unit *u, const char *by,
		   const char *note, const struct vb_time *now, struct vb_outq *q);

/* Send every step due at now (vb_alarm.h's catch-up rule).  No-op once
 * acknowledged or resolved. */
void vb_alarm_run(struct vb_alarm *a, const struct vb_chain *ch, const struct vb_roster *r,
		  const struct vb_unit *u, const struct vb_time *now, struct vb_outq *q);

/* The chain was reconfigured: place the cursor's time again (a cursor
 * past the new chain's end ends it). */
void vb_alarm_rechain(struct vb_alarm *a, const struct vb_chain *ch);

/* The time of step (round, step) of chain ch from origin, or VB_NEVER if
 * there is no such step. */
int64_t vb_chain_time(const struct vb_chain *ch, int64_t origin, int round, int step);

/* Next deadline of the alarm (chain step, drill deadline), or VB_NEVER. */
int64_t vb_alarm_deadline(const struct vb_alarm *a);

/* The text of a notification (vb_text.c).  u may be NULL. */
void vb_text(char *buf, size_t n, const struct vb_alarm *a, const struct vb_unit *u,
	     enum vb_msg m, int64_t now);
/* "Position 53.79656 N, 1.55500 W (fix 12 s old)" */
void vb_pos_text(char *buf, size_t n, double lat, double lon, int64_t fix_at, int64_t now);

/* The alarm's view for the published list and the console: id, unit, kind,
 * state, covert, drill, raised/since/acked/resolved/closed with who and
 * why, reached [{contact, channel}], next_at.  NULL on ENOMEM. */
json_t *vb_alarm_json(const struct vb_alarm *a);

json_t *vb_alarm_save(const struct vb_alarm *a);
/* 0 or -EINVAL. */
int vb_alarm_restore(struct vb_alarm *a, const json_t *j);

#endif
