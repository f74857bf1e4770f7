/*
 * vb_unit.h - the alarm rules: what base knows of one van, from its MQTT
 * messages (docs/mqtt.md, docs/events.md), and which alarm conditions hold
 * on base's own clock.
 *
 * ONE DEFINITION OF THE RULES (decision, for docs/base.md and
 * docs/escalation.md).  These rules are the ones the base console computes
 * in base/src/js/fleet.js (Fleet.prototype.alerts and the on_* handlers),
 * written once more here in C, and vanbase's are the ones that count:
 *   - while vanbase is up (its retained availability says online) the
 *     console shows vanbase's published alarm list (raised, notified, who
 *     acknowledged) and raises none of base's-clock alerts of its own;
 *   - while vanbase is down the console falls back to its own fleet.js
 *     rules, under a loud "escalation service down" banner.
 * Why not one shared table: the rules are not data.  Clock offsets
 * (largest sample of a window), the settle delay, "newer than the state",
 * seq de-duplication and the retained emergency's authority are logic; a
 * table both could read would need an interpreter in C and in JS, and
 * still two implementations of it.  Why not the console only: a console is
 * closed at 2 a.m.  Why keep the console's copy at all: it is the fallback
 * when base's daemon is the thing that failed.  The two copies are kept
 * equal by one set of cases, tests/data/base_rules_cases.json (messages at
 * times on base's clock, and the alarms that must be open): vanbase's core
 * runs it (tests/unit/test_vb_cases.c) and so must the console's tests
 * (fleet.js passes it today).  A rule changes in the cases first.
 *
 * The rules (base's clock; "running" = the last state's session is
 * active or overdue):
 *   emergency        the retained emergency topic (authoritative), the
 *                    emergency.raised/restored event or the state's
 *                    emergency; ends only when the topic says active false
 *                    (or emergency.cleared for one the topic never showed);
 *                    covert from the van; acknowledged when the van says so
 *   overdue          running and (the van reports it: session.overdue, state
 *                    "overdue"; or planned_end_utc + due_grace passed)
 *   checkin          running and (the van reports it: checkin.missed, stage
 *                    missed, escalated; or due_utc + due_grace passed)
 *   offline          running and availability "offline"
 *   silent           running, online, base's broker link up, and nothing
 *                    live for silent_after (counted from the link coming up)
 *   selftest_failed  selftest.failed, until a selftest.passed (one alarm per
 *                    van however many tests fail)
 *   drill            an emergency.test runs (until selftest.passed/failed, or
 *                    its timeout_s + due_grace)
 * Due times are the van's clock; they are converted with the van's clock
 * offset (largest sample of offset_window of live state utc / location
 * time); a van online with no offset yet is judged only settle after it was
 * first heard; an offline one at once (offset 0 if never measured).
 * Replayed or late events older than the state (1 s slack) raise and clear
 * nothing; events are de-duplicated by seq (a window of 1024).
 *
 * Memory: a plain struct, no allocations.  Outside input is validated:
 * every entry point returns 0 or -EINVAL with a static reason.
 */
#ifndef VB_CORE_UNIT_H
#define VB_CORE_UNIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vb_base.h"

#define VB_PAYLOAD_MAX (256 * 1024)
#define VB_OFFSET_SAMPLES 32
#define VB_SEQ_WINDOW 1024

/* Which of a van's topics a message came on (PREFIX/UNIT/<name>). */
enum vb_topic {
	VB_T_AVAILABILITY = 0,
	VB_T_STATE,
	VB_T_EVENT,
	VB_T_EMERGENCY,
	VB_T_LOCATION,
	VB_T_REPLY,           /* read for liveness only */
	VB_T__COUNT
};

/* The topic of a subtopic name ("state"), or -1. */
int vb_topic_of(const char *sub);

struct vb_rule_params {
	int64_t due_grace_ms;     /* console dueGraceS (60 s) */
	int64_t silent_after_ms;  /* console silentAfterS (180 s) */
	int64_t settle_ms;        /* console settleS (15 s) */
	int64_t offset_window_ms; /* console offsetWindowS (120 s) */
};

enum vb_avail { VB_AV_UNKNOWN = 0, VB_AV_ONLINE, VB_AV_OFFLINE };
enum vb_sess { VB_S_NONE = 0, VB_S_IDLE, VB_S_ACTIVE, VB_S_OVERDUE, VB_S_ENDED };

struct vb_unit {
	char id[VB_NAME_MAX];
	int64_t first_seen;           /* base ms of the first message, VB_NEVER */
	int avail;                    /* enum vb_avail */
	bool avail_retained;
	int64_t avail_at;
	int64_t last_live;            /* base ms of the newest live (not retained) message */
	/* the newest state */
	bool have_state;
	int64_t state_van;            /* its utc, van's clock */
	int64_t state_at;
	int sess;                     /* enum vb_sess */
	int64_t session_id;           /* 0 = none */
	int64_t checkin_due;          /* van ms, VB_NEVER */
	bool checkin_flagged;         /* stage missed or escalated */
	int64_t planned_end;          /* van ms, VB_NEVER */
	/* newest position */
	bool has_fix;
	double lat, lon;
	int64_t fix_at;               /* base ms when the fix was taken */
	/* clock offset: van - base, ms */
	int64_t samp_at[VB_OFFSET_SAMPLES], samp_off[VB_OFFSET_SAMPLES];
	int nsamp;
	bool has_off;
	int64_t last_off;
	/* the emergency */
	bool em_active, em_confirmed, em_covert, em_acked;
	int64_t em_id, em_since;      /* the van's id; base ms it began */
	int em_presses;
	char em_acked_by[VB_WHO_MAX];
	int64_t em_cleared_id;        /* highest id known cleared */
	bool em_topic_off;            /* the retained topic said active false ... */
	int64_t em_topic_off_van;     /* ... at this van time (VB_NEVER unknown) */
	/* what the van reported (van ms of the report, VB_NEVER = none) */
	int64_t ci_missed_van, ci_missed_at, ci_missed_due;
	int64_t overdue_van, overdue_at, overdue_end;
	bool st_failed;
	int64_t st_failed_id, st_failed_at;
	bool st_running;
	int64_t st_id, st_since, st_timeout_ms;
	int st_result;                /* 0 none, 1 passed, 2 failed (of the last test) */
	/* the van said its power is going (power.failing), not yet back */
	bool power_down;
	int64_t power_down_at;        /* base ms */
	/* seq de-duplication */
	int64_t seq_high;             /* 0 = none yet */
	uint64_t seq_win[VB_SEQ_WINDOW / 64];
};

/* One alarm condition that holds now. */
struct vb_cond {
	enum vb_kind kind;
	int64_t key;                  /* identity within unit+kind: van emergency id, due/end utc, session id, test id */
	bool covert, by_van;          /* by_van: reported by the van (not judged on base's clock) */
	bool van_acked;               /* the van says base acknowledged it (emergency, drill) */
	const char *van_acked_by;     /* points into the unit */
	int presses;                  /* emergency: presses so far (another press re-arms) */
	int64_t since;                /* base ms it began (for "how long ago") */
};

#define VB_CONDS_MAX 8

void vb_unit_init(struct vb_unit *u, const char *id);

/* A message on topic t.  payload: the raw bytes (len, not NUL-terminated;
 * availability is plain text, the rest JSON objects with "v": 1 and, if
 * present, "unit" equal to the unit).  retained: the broker's retained copy.
 * Returns 0 (used or harmlessly ignored: a duplicate, an older snapshot, a
 * deleted retained message) or -EINVAL with *why set (static). */
int vb_unit_message(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		    enum vb_topic t, const char *payload, size_t len, bool retained,
		    const char **why);

/* The conditions that hold at now: fills out[] (at most VB_CONDS_MAX) and
 * returns their number.  link_up_at: when base's broker link came up
 * (VB_NEVER = down: no silent alarm). */
int vb_unit_conds(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		  int64_t link_up_at, struct vb_cond *out);

/* The next instant after now at which a condition may start or end
 * without a message (a due time + grace, silence, settle, a test's
 * timeout), or VB_NEVER. */
int64_t vb_unit_deadline(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
			 int64_t link_up_at);

/* Why a condition of kind k no longer holds: a short static phrase for the
 * audit record and the all-clear ("the crew checked in").  link_up: base's
 * broker link (a silent alarm ends when base can no longer judge it). */
const char *vb_unit_gone_why(const struct vb_unit *u, enum vb_kind k, bool link_up);

/* Van-clock ms -> base ms (offset unknown: taken as 0). */
int64_t vb_unit_to_base(const struct vb_unit *u, const struct vb_rule_params *p, int64_t van_ms,
			int64_t now);

/* Is the session running (active or overdue)? */
bool vb_unit_running(const struct vb_unit *u);

json_t *vb_unit_save(const struct vb_unit *u);
/* 0 or -EINVAL (u is then reset to an empty unit with j's id, if any). */
int vb_unit_restore(struct vb_unit *u, const json_t *j);

#endif
