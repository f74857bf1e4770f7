/*
 * checkin.h - the check-in timer of a session.
 *
 * The crew checks in at session start, at a fixed interval and at the end.
 * The interval depends on the risk:
 *   CK_NORMAL - checkin_interval_min;
 *   CK_LONE   - lone working (a crew of one, declared at start);
 *   CK_RISK   - one crew member on board with service users aboard;
 * the shortest applicable one is used (see session.c).  When the interval
 * shrinks, the due time moves earlier (last check-in + new interval) but
 * never closer than the reminder lead from now; when it grows, it moves
 * later, unless the check-in was already due or requested by base.
 *
 * Stages after each check-in:
 *   WAIT -> (due - reminder) REMINDED: checkin.reminder (display)
 *        -> (due)            LATE: checkin.late (display, short buzz)
 *        -> (due + grace)    MISSED: checkin.missed, urgent, incident
 *                            "checkin_missed"; repeated every repeat_ms
 *                            (no new incident) until the crew checks in.
 * A base request (checkin.requested) makes the check-in due within the
 * reminder lead.  All times are monotonic.
 */
#ifndef VAN_CORE_CHECKIN_H
#define VAN_CORE_CHECKIN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "emit.h"

enum ck_reason { CK_NORMAL = 0, CK_LONE, CK_RISK, CK__COUNT };
enum ck_stage { CK_IDLE = 0, CK_WAIT, CK_REMINDED, CK_LATE, CK_MISSED };

struct ck_params {
	int64_t interval_ms[CK__COUNT];
	int64_t reminder_ms, grace_ms, repeat_ms;
};

struct checkin {
	enum ck_stage stage;
	enum ck_reason reason;
	int64_t last_mono, last_utc;   /* last check-in */
	int64_t due_mono;
	int64_t next_repeat;           /* MISSED: next checkin.missed */
	int repeats;
	bool requested;                /* base asked for a check-in */
	unsigned made, late, missed;   /* session figures */
};

const char *ck_reason_name(enum ck_reason r);
const char *ck_stage_name(enum ck_stage s);

/* Session start (which is itself the first check-in). */
void checkin_begin(struct checkin *c, const struct ck_params *p, enum ck_reason r,
		   const struct vtime *now);

/* The crew checked in now.  Fills data (may be NULL) with "was" (on_time,
 * late, missed), "late_s", "next_due_utc", "interval_min", "reason". */
void checkin_done(struct checkin *c, const struct ck_params *p, const struct vtime *now,
		  json_t *data);

/* The end of the session: no more timers (counts as the last check-in). */
void checkin_end(struct checkin *c);

/* The risk changed.  Emits checkin.interval_changed when the due time moved. */
void checkin_set_reason(struct checkin *c, const struct ck_params *p, enum ck_reason r,
			const struct emit *e);

/* Base asked the crew to check in (event checkin.requested). */
void checkin_request(struct checkin *c, const struct ck_params *p, const char *by,
		     const struct emit *e);

/* Timers: reminder, late, missed and its repeats. */
void checkin_tick(struct checkin *c, const struct ck_params *p, const struct emit *e);
/* Next timer, or VAN_NEVER. */
int64_t checkin_deadline(const struct checkin *c, const struct ck_params *p);

/* The "checkin" object of the state snapshot. */
json_t *checkin_state_json(const struct checkin *c, const struct ck_params *p,
			   const struct vtime *now);

json_t *checkin_save(const struct checkin *c);
int checkin_restore(struct checkin *c, const json_t *j, int64_t shift);

#endif
