/*
 * van.h - the van's rules as one object: what the shell talks to.
 *
 * A van_t aggregates the pure rule modules (occupancy, session + check-ins,
 * stops, fixes, alarm).  The shell hands it inputs, GPS fixes, commands and
 * the time (struct vtime, with every call: the core never reads a clock),
 * and takes back:
 *   - events: after every call, drain van_evq() (store, outbox, publish) and
 *     evq_clear() it.  Types and fields: docs/events.md;
 *   - outputs: van_outputs() after every call (entry light, buzzer, alarm
 *     light);
 *   - the next timer: van_next_deadline(); call van_tick() then (earlier or
 *     more often is harmless);
 *   - the state snapshot for base and the crew display: van_state_json();
 *   - persistent state: van_save() after every call that emitted events,
 *     van_restore() after a restart.
 * Every entry point runs the timers that are due, so after any call
 * van_next_deadline() is in the future (or -1).
 *
 * Commands come from buttons, vanctl or base through the same functions:
 * each returns 0 or a negative errno-style code, and sets *why (if why is
 * not NULL) to a static human-readable reason for the reply.
 *
 * Covert emergencies (covert panic inputs, the duress code) never change the
 * outputs and are left out of the crew snapshot (for_base false); their
 * events carry "covert": true and must not be shown in the van.
 *
 * Not thread-safe; one van_t per daemon.  No I/O, no clock, no globals.
 */
#ifndef VAN_CORE_VAN_H
#define VAN_CORE_VAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "emit.h"
#include "evq.h"
#include "fix.h"
#include "alarm.h"
#include "plan.h"
#include "vtime.h"

typedef struct van van_t;

/* Plain values, mapped from the config by the shell.  Durations in the
 * config's units.  The config table (controller/conf.c, docs/config.md)
 * owns each keyed member's range and default: van_params_default() fills
 * the same defaults, and van_params_check() refuses only what the rules
 * cannot work with, never a value inside a key's range.  A new member:
 * add it to tests/unit/test_conf.c, test_core_defaults_are_shipped. */
struct van_params {
	/* occupancy */
	int capacity;                 /* service users the van may hold */
	int per_crew;                 /* service users per crew member on board */
	int door_window_s;            /* beams still count this long after the doors close */
	int beam_gap_max_ms;          /* see beams.h */
	int beam_stuck_s;             /* a beam broken this long is a fault */
	int mute_s;                   /* crew mute of the over-limit buzzer */
	bool beams_need_door;         /* false when no door input is configured: beams always count */
	/* session */
	int default_crew;             /* crew when a session is started by the button */
	int default_length_min;
	int max_length_min;           /* longest planned session */
	int checkin_interval_min;
	int checkin_interval_lone_min;
	int checkin_interval_risk_min;/* one crew member on board with service users aboard */
	int checkin_reminder_s;       /* reminder this long before a check-in is due */
	int checkin_grace_s;          /* late this long -> base is alerted */
	int checkin_repeat_min;       /* repeat of the missed alert; 0 = overdue_repeat_min */
	int overdue_grace_min;
	int overdue_repeat_min;
	/* stops and movement */
	double stop_speed_mps;
	int stop_after_s;
	double stop_radius_m;         /* GPS drift tolerated within a stop */
	double distance_jitter_m;     /* odometer ignores moves below this */
	double door_moving_speed_mps; /* door open above this speed -> warning */
	/* incidents */
	const char *incident_types;   /* comma-separated crew categories (copied) */
	int note_max;                 /* longest incident note, bytes */
	/* alarm */
	int repeat_s;                 /* emergency re-sent until acknowledged */
	int selftest_timeout_s;
	const char *duress_code;      /* NULL or "" = none (copied) */
	int location_interval_s;      /* normal location rate (for the shell) */
	int emergency_location_interval_s;
};

/* Inputs, by role (the shell maps hw/gpio.h roles onto these). */
enum van_in_role {
	VAN_IN_DOOR = 0,      /* active = open; line = which door */
	VAN_IN_BEAM_OUTER,    /* active = broken */
	VAN_IN_BEAM_INNER,
	VAN_IN_SEAT,          /* active = occupied; line = which seat */
	VAN_IN_BTN_CHECKIN,   /* buttons act on the active edge */
	VAN_IN_BTN_PLUS,
	VAN_IN_BTN_MINUS,
	VAN_IN_BTN_EMPTY,
	VAN_IN_BTN_SESSION,   /* start (defaults) when none runs, else end */
	VAN_IN_BTN_RESET,     /* clear the emergency (hw enforces the hold) */
	VAN_IN_BTN_MUTE,
	VAN_IN_PANIC,         /* active edge raises an emergency */
	VAN_IN_POWER_FAIL,    /* active = the power is going (ignition off, UPS battery low) */
	VAN_IN__COUNT
};

struct van_input {
	enum van_in_role role;
	size_t line;          /* the input line index (gpio_event.line) */
	bool active;
	bool covert;          /* panic lines: configured covert */
	int64_t edge_mono_ms; /* when the edge happened (gpio_event.ts_ms); <= 0 or in the future = now */
};

enum van_buzz {
	VAN_BUZZ_OFF = 0,
	VAN_BUZZ_SHORT,       /* short beeps: a warning (check-in late, overdue, door open while moving) */
	VAN_BUZZ_CONTINUOUS,  /* over the occupancy limit (crew can mute) */
	VAN_BUZZ_ALARM,       /* non-covert emergency not yet acknowledged */
};

enum van_light {
	VAN_LIGHT_OFF = 0,
	VAN_LIGHT_ON,         /* emergency raised, not yet acknowledged */
	VAN_LIGHT_BLINK,      /* base acknowledged: help is coming */
};

struct van_outputs {
	bool entry_light_full;
	enum van_buzz buzzer;
	enum van_light alarm_light;
};

/* Defaults for every field: the shipped ones (capacity 6, 3 per crew, 60 min
 * check-ins, beam gap 1500 ms ...), as a file that sets no key gets them;
 * beams_need_door true, as with the shipped wiring's door contacts. */
void van_params_default(struct van_params *p);

/* 0, or -EINVAL with the (first) reason in *why. */
int van_params_check(const struct van_params *p, const char **why);

/* Every problem of p, one call of bad per field: field is the van_params
 * member's name ("checkin_interval_min"), why a static phrase ("must be at
 * least 1 min").  Returns the number of problems.  This is the one check:
 * van_new() refuses exactly what it finds, and the shell's configuration
 * check (conf_check) reports what it finds at the key's FILE:LINE. */
typedef void (*van_params_bad_fn)(void *ctx, const char *field, const char *why);
int van_params_check_each(const struct van_params *p, van_params_bad_fn bad, void *ctx);

/* A new van in state idle, occupancy 0.  Copies what it needs from p.
 * Returns NULL if p fails van_params_check or on ENOMEM. */
van_t *van_new(const struct van_params *p);
/* The live location's rates, changed at run time (a reload): normal and
 * during an emergency, in s (>= 1; others are ignored). */
void van_set_location_intervals(van_t *v, int normal_s, int emergency_s);
/* Free everything (events not drained included).  Accepts NULL. */
void van_free(van_t *v);

/* The event queue: drain after each call, then evq_clear(). */
struct evq *van_evq(van_t *v);

/* One input edge.  0, -EINVAL (bad role), -ENOSPC (too many doors/seats),
 * or the code of the command a button ran (which the shell may ignore).
 * Doors, beams and panics are timed at in->edge_mono_ms, not at now: hand
 * over a batch of edges in stamp order, each with its own stamp, at one
 * now, and the beam gap, the door window and the stuck-beam timer measure
 * the edges (buttons act at now). */
int van_input(van_t *v, const struct van_input *in, const struct vtime *now);
/* The level of an input read at start-up: a door already open, a seat
 * taken, a beam already broken (ignored until it clears), a panic held at
 * boot (raises an emergency, source "panic_at_boot").  Buttons are ignored. */
int van_initial_input(van_t *v, const struct van_input *in, const struct vtime *now);

/* The latest GPS report (usable or not). */
void van_fix(van_t *v, const struct fix *fx, const struct vtime *now);
/* The GPS layer lost the fix. */
void van_fix_lost(van_t *v, const struct vtime *now);

/* Run the timers that are due. */
void van_tick(van_t *v, const struct vtime *now);
/* Monotonic ms at which van_tick must run next, or -1 for none. */
int64_t van_next_deadline(const van_t *v);

/* --- commands (0 or -errno, *why = reason) --- */

/* Start a session.  crew 0 = default_crew; lone must be set for a crew of
 * one; planned_end_utc 0 = now + default length; plan NULL = none.
 * -EALREADY (one runs), -EINVAL. */
int van_session_start(van_t *v, int crew, bool lone, int64_t planned_end_utc, const char *plan,
		      enum van_source src, const struct vtime *now, const char **why);
/* End the session (the end check-in).  code: the crew's answer; the duress
 * code ends it normally and raises a covert emergency.  -ENOENT. */
int van_session_end(van_t *v, const char *code, enum van_source src, const struct vtime *now,
		    const char **why);
/* Move the planned end: by `minutes` (> 0) from the current planned end,
 * or to new_end_utc when minutes is 0.  -ENOENT, -EINVAL. */
int van_session_extend(van_t *v, int64_t new_end_utc, int minutes, enum van_source src,
		       const struct vtime *now, const char **why);
/* A check-in (button, vanctl, or the crew answering base's request); code
 * as for van_session_end.  -ENOENT outside a session. */
int van_checkin(van_t *v, const char *code, enum van_source src, const struct vtime *now,
		const char **why);
/* Base asks the crew to check in (operator `by`).  -ENOENT, -EINVAL. */
int van_request_checkin(van_t *v, const char *by, const struct vtime *now, const char **why);
/* Crew on board changed (1..20).  -EINVAL. */
int van_set_crew(van_t *v, int crew, enum van_source src, const struct vtime *now,
		 const char **why);

/* Correct the count by delta (-100..100, not 0).  -ERANGE below zero. */
int van_occupancy_adjust(van_t *v, int delta, enum van_source src, const struct vtime *now,
			 const char **why);
/* Set the count to n (0..1000). */
int van_occupancy_set(van_t *v, int n, enum van_source src, const struct vtime *now,
		      const char **why);
/* The crew confirms the van is empty: count 0, recorded as a correction. */
int van_empty(van_t *v, enum van_source src, const struct vtime *now, const char **why);
/* Silence the over-limit buzzer for mute_s. */
int van_mute(van_t *v, enum van_source src, const struct vtime *now, const char **why);

/* A crew incident: type from incident_types, note NULL or up to note_max
 * bytes of printable UTF-8 (crew text: no names, the display reminds).
 * -EINVAL. */
int van_incident(van_t *v, const char *type, const char *note, enum van_source src,
		 const struct vtime *now, const char **why);

/* Panic: raise (or re-raise) an emergency at once.  edge_mono_ms: the input
 * edge (<= 0 = now).  Always 0. */
int van_panic(van_t *v, enum van_source src, bool covert, int64_t edge_mono_ms,
	      const struct vtime *now, const char **why);
/* Base acknowledged emergency id (0 = the active one; a self-test's id acks
 * the test) by operator `by` (1..47 printable chars).  -ENOENT, -EALREADY,
 * -EINVAL. */
int van_emergency_ack(van_t *v, int64_t id, const char *by, const struct vtime *now,
		      const char **why);
/* The crew cleared the emergency (deliberately).  -ENOENT. */
int van_alarm_clear(van_t *v, enum van_source src, const struct vtime *now, const char **why);
/* Base's retained emergency is active and the van has none (it stopped
 * before storing it): take it back (alarm_adopt).  0, -EALREADY, -EINVAL. */
int van_emergency_adopt(van_t *v, const struct emergency_seen *seen, const struct vtime *now,
			const char **why);
/* The active emergency's id, 0 when none. */
int64_t van_emergency_id(const van_t *v);
/* Start an emergency self-test.  -EBUSY. */
int van_selftest_start(van_t *v, enum van_source src, const struct vtime *now,
		       const char **why);
/* The shell records when the active emergency passed a stage of its path
 * ("stored", "published", "puback"; [a-z_], < 16 chars); shown in the
 * snapshot's emergency.timing.  0, -ENOENT, -EINVAL, -ENOSPC. */
int van_emergency_timing(van_t *v, const char *stage, int64_t mono_ms);

/* The shell's reference clock stepped (docs/time.md): records event
 * clock.step {from, to, step_ms, reason}.  reason: a short phrase (copied),
 * or NULL.  0 or -ENOMEM. */
int van_clock_step(van_t *v, enum utc_src from, enum utc_src to, int64_t step_ms, const char *reason,
		   const struct vtime *now);

/* --- route plans (docs/plans.md) --- */

struct plan_def;
/* Follow plan def for the running session (tz: the local time's rule
 * around now, struct plan_tz in plan.h, to read the plan's HH:MM windows:
 * from the shell, e.g. planfile_tz()).  -ENOENT outside a session,
 * -EALREADY, -EINVAL. */
int van_plan_start(van_t *v, const struct plan_def *def, struct plan_tz tz, const struct vtime *now,
		   const char **why);
/* The crew changes the plan: skip a location (name NULL = the next one) or
 * stop somewhere unplanned, with a reason code.  Logged and sent to base; it
 * silences the deviation alert it explains.  -ENOENT (no plan), -EINVAL. */
int van_plan_skip(van_t *v, const char *name, const char *reason, enum van_source src,
		  const struct vtime *now, const char **why);
int van_plan_add_stop(van_t *v, const char *reason, enum van_source src, const struct vtime *now,
		      const char **why);

/* --- outputs and state --- */

void van_outputs(const van_t *v, const struct vtime *now, struct van_outputs *o);
/* Location publish interval: high rate while an emergency is active. */
int64_t van_location_interval_ms(const van_t *v);
/* The running session's id (ACTIVE or OVERDUE), 0 outside a session: what
 * the shell files a route point under. */
int64_t van_session_id(const van_t *v);

/* The state snapshot (new reference, caller decrefs; NULL on ENOMEM).
 * for_base true: the whole truth; false: what the crew display may show
 * (no covert emergency).  Layout: docs/events.md, section "state". */
json_t *van_state_json(const van_t *v, const struct vtime *now, bool for_base);
/* Only its "emergency" member (null when none, or covert and !for_base):
 * what the retained emergency carries, without building the snapshot. */
json_t *van_emergency_json(const van_t *v, const struct vtime *now, bool for_base);

/* The computer's own health (core/health.h): a reading of the firmware's
 * throttling flags and the SoC temperature, as the shell found them.  Goes
 * into the state ("health") and the session's debrief. */
struct health_reading;
void van_health(van_t *v, const struct health_reading *r, const struct vtime *now);

/* Persistent state (new reference).  NULL on ENOMEM. */
json_t *van_save(const van_t *v);
/* Restore state saved by van_save into a van fresh from van_new (same or
 * changed params).  mono_shift_ms is added to every saved monotonic instant
 * (0 after a daemon restart; after a reboot the shell estimates it from the
 * UTC elapsed).  Then the timers that fell due meanwhile run at once.
 * Input levels are not restored: call van_initial_input for each line.
 * Returns 0, or -EINVAL (bad or foreign data: v is unchanged). */
int van_restore(van_t *v, const json_t *saved, int64_t mono_shift_ms, const struct vtime *now);

#endif
