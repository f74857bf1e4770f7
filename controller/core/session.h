/*
 * session.h - the outreach session: lifecycle, planned end, overdue.
 *
 *   idle -> active -> (overdue) -> ended -> active (next session) ...
 *
 * A session starts with a crew count, lone working or not (explicit), and a
 * planned end (default length from config).  Its id is its start UTC in ms.
 * The end check-in is reminded like the others, checkin_reminder_s before
 * the planned end (session.end_due); when planned
 * end + grace passes without the session ending it is overdue: urgent event
 * session.overdue with incident "overdue", repeated every repeat interval
 * until the session ends or is extended (session.overdue_resolved).
 * Extending is an explicit, logged action (session.extended).
 * The session also owns its check-in timer (checkin.h).
 *
 * session.started and session.ended are emitted by van.c, which adds the
 * figures of the other modules; this module keeps the state and its timers.
 * All durations and deadlines are monotonic: a UTC step changes nothing.
 */
#ifndef VAN_CORE_SESSION_H
#define VAN_CORE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "checkin.h"
#include "emit.h"

enum session_state { SESSION_IDLE = 0, SESSION_ACTIVE, SESSION_OVERDUE, SESSION_ENDED };

#define SESSION_PLAN_MAX 64
#define SESSION_CREW_MAX 20

struct session_params {
	int64_t default_len_ms;     /* planned length when none is given */
	int64_t max_len_ms;         /* a planned end further than this from the start is refused */
	int64_t overdue_grace_ms;
	int64_t overdue_repeat_ms;
	struct ck_params ck;
};

struct session {
	enum session_state state;
	int64_t id;                 /* start UTC ms; unique, increasing */
	int crew;
	bool lone;
	char plan[SESSION_PLAN_MAX];
	int started_by;             /* enum van_source */
	int64_t start_mono, start_utc;
	int64_t planned_end_mono;
	int64_t end_mono, end_utc;  /* when it ended (state ENDED) */
	bool end_due_sent;
	int64_t overdue_next;       /* OVERDUE: next session.overdue */
	int overdue_repeats;
	unsigned overdue_count, extends;
	struct checkin ck;
};

const char *session_state_name(enum session_state s);

void session_init(struct session *s);

/* ACTIVE or OVERDUE. */
bool session_running(const struct session *s);

/* Check a start request.  planned_end_utc 0 = default length.  On success
 * returns 0 and the planned end as a monotonic instant in *end_mono; else
 * -EALREADY (a session runs) or -EINVAL, with the reason in *why. */
int session_check_start(const struct session *s, const struct session_params *p, int crew,
			bool lone, int64_t planned_end_utc, const char *plan,
			const struct vtime *now, int64_t *end_mono, const char **why);

/* Start (after session_check_start).  ck_reason: the check-in interval to
 * begin with. */
void session_begin(struct session *s, const struct session_params *p, int crew, bool lone,
		   int64_t end_mono, const char *plan, enum van_source src,
		   enum ck_reason r, const struct vtime *now);

/* End now.  Emits session.overdue_resolved first if it was overdue. */
void session_finish(struct session *s, enum van_source src, const struct emit *e);

/* Move the planned end to new_end_mono.  Returns 0, -ENOENT (no session) or
 * -EINVAL (not in the future, or past the maximum length); emits
 * session.extended (and session.overdue_resolved if it was overdue). */
int session_extend(struct session *s, const struct session_params *p, int64_t new_end_mono,
		   enum van_source src, const struct emit *e, const char **why);

/* Timers: end due, overdue and its repeats, check-ins. */
void session_tick(struct session *s, const struct session_params *p, const struct emit *e);
int64_t session_deadline(const struct session *s, const struct session_params *p);

/* The "session" object of the state snapshot. */
json_t *session_state_json(const struct session *s, const struct session_params *p,
			   const struct vtime *now);

json_t *session_save(const struct session *s);
int session_restore(struct session *s, const json_t *j, int64_t shift);

#endif
