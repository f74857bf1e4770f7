/*
 * alarm.h - emergencies and the emergency self-test.
 *
 * raised -> (published, repeated every repeat_ms) -> acknowledged by base
 *        -> cleared by the crew (a deliberate action).
 * A panic raises an emergency at once (emergency.raised, EV_EMERGENCY) with a
 * context snapshot built by the van (position, last positions, occupancy,
 * crew, doors, stop, session).  It is re-sent, with a repeat count and a
 * fresh context, until base acknowledges it.  A panic while one is active
 * re-raises the same emergency (same id): "again": true, the ack is cleared
 * so base must acknowledge afresh, and it stays covert only if every press
 * was covert.
 *
 * Covert emergencies (a covert panic input, a duress code) must show nothing
 * in the van: the van's outputs ignore them and the crew snapshot leaves
 * them out (alarm_state_json with for_base false), acknowledgement included.
 *
 * Self-test: emergency.test is sent like a real emergency; base acks it
 * like one; an ack within selftest_ms is selftest.passed, none is
 * selftest.failed (urgent).  A real emergency cancels nothing: both can run.
 */
#ifndef VAN_CORE_ALARM_H
#define VAN_CORE_ALARM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "emit.h"

#define ALARM_TIMING_MAX 8
#define ALARM_NAME_MAX 48

struct alarm_params {
	int64_t repeat_ms;
	int64_t selftest_ms;
};

struct alarm_timing {
	char stage[16];
	int64_t mono;
};

struct emergency {
	bool active;
	int64_t id;                   /* raised UTC ms */
	bool covert;
	char source[24];              /* "panic", "vanctl", "duress_checkin", ... */
	int64_t edge_mono;            /* input edge (or command arrival) */
	int64_t raised_mono, raised_utc;
	int repeats, presses;
	int64_t next_repeat;          /* VAN_NEVER once acknowledged */
	bool acked;
	char acked_by[ALARM_NAME_MAX];
	int64_t acked_mono;
	int64_t session_id;
	struct alarm_timing timing[ALARM_TIMING_MAX];
	int ntiming;
};

enum selftest_result { SELFTEST_NONE = 0, SELFTEST_PASSED, SELFTEST_FAILED };

struct selftest {
	bool active;
	int64_t id;                   /* start UTC ms */
	int64_t started_mono, deadline;
	int last_result;              /* enum selftest_result */
	int64_t last_utc, last_rtt_ms;
};

struct alarm {
	struct emergency em;
	struct selftest st;
	unsigned raised, acked, cleared;   /* since start-up */
};

void alarm_init(struct alarm *a);

/* Raise (or re-raise) an emergency.  source: short name; edge_mono: the
 * input edge time; ctx: context object (stolen, may be NULL).
 * Returns 0 for a new emergency, 1 for a re-raise. */
int alarm_raise(struct alarm *a, const struct alarm_params *p, const char *source,
		bool covert, int64_t edge_mono, json_t *ctx, const struct emit *e);

/* An emergency base holds as active (its retained emergency topic) that
 * the van has no record of (the van stopped before it stored it). */
struct emergency_seen {
	int64_t id;                   /* its raised UTC ms */
	char source[24];
	bool covert, acked;
	char acked_by[ALARM_NAME_MAX];
	int presses;
};

/* Take it back as the active emergency, with its id (emergency.restored,
 * EV_EMERGENCY, an incident): the crew sees it again and must clear it,
 * and it is repeated until acknowledged unless base had.  0, -EALREADY
 * (one is active: the shell republishes that one), -EINVAL. */
int alarm_adopt(struct alarm *a, const struct alarm_params *p, const struct emergency_seen *seen,
		const struct emit *e);

/* Is a repeat of emergency.raised due at now? */
bool alarm_repeat_due(const struct alarm *a, int64_t now);
/* Send the repeat with a fresh context (stolen). */
void alarm_repeat(struct alarm *a, const struct alarm_params *p, json_t *ctx,
		  const struct emit *e);

/* Base acknowledged emergency id (0 = the active one, else the self-test)
 * by operator `by`.  Returns 0, -ENOENT (nothing with that id), -EALREADY. */
int alarm_ack(struct alarm *a, int64_t id, const char *by, const struct emit *e,
	      const char **why);

/* The crew cleared the active emergency.  0 or -ENOENT. */
int alarm_clear(struct alarm *a, enum van_source src, const struct emit *e, const char **why);

/* Start a self-test.  0 or -EBUSY (one runs). */
int alarm_selftest(struct alarm *a, const struct alarm_params *p, const struct emit *e,
		   const char **why);

/* Record when the shell passed a stage of the emergency path (e.g. "stored",
 * "published", "puback").  The first time of a stage is kept (a repeat that
 * passes it again changes nothing): the chain is the first raise's.
 * 0, -ENOENT (no emergency), -EINVAL (bad name), -ENOSPC. */
int alarm_timing(struct alarm *a, const char *stage, int64_t mono);

/* Self-test timeout (repeats need a context: see alarm_repeat_due). */
void alarm_tick(struct alarm *a, const struct emit *e);
int64_t alarm_deadline(const struct alarm *a);

/* A real emergency is active (covert or not). */
bool alarm_active(const struct alarm *a);

/* The "emergency" object of the snapshot: null when none, or covert and
 * !for_base. */
json_t *alarm_state_json(const struct alarm *a, const struct vtime *now, bool for_base);
/* The "selftest" object of the snapshot. */
json_t *alarm_selftest_json(const struct alarm *a, const struct vtime *now);

json_t *alarm_save(const struct alarm *a);
int alarm_restore(struct alarm *a, const json_t *j, int64_t shift);

#endif
