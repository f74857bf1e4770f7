/*
 * evtype.h - the core's event types: one list (docs/events.md describes
 * each), so the shell switches on a type instead of comparing names, and a
 * name the core does not have cannot be emitted.  The names are stable:
 * they are in the database, in every MQTT event and in base's tools.
 */
#ifndef VAN_CORE_EVTYPE_H
#define VAN_CORE_EVTYPE_H

#include <stdbool.h>

#define EV_TYPES(X) \
	X(EV_T_BUZZER_MUTED, "buzzer.muted") \
	X(EV_T_CHECKIN, "checkin") \
	X(EV_T_CHECKIN_INTERVAL_CHANGED, "checkin.interval_changed") \
	X(EV_T_CHECKIN_LATE, "checkin.late") \
	X(EV_T_CHECKIN_MISSED, "checkin.missed") \
	X(EV_T_CHECKIN_REMINDER, "checkin.reminder") \
	X(EV_T_CHECKIN_REQUESTED, "checkin.requested") \
	X(EV_T_CLOCK_STEP, "clock.step") \
	X(EV_T_DOOR_OPEN_WHILE_MOVING, "door.open_while_moving") \
	X(EV_T_EMERGENCY_ACKNOWLEDGED, "emergency.acknowledged") \
	X(EV_T_EMERGENCY_CLEARED, "emergency.cleared") \
	X(EV_T_EMERGENCY_RAISED, "emergency.raised") \
	X(EV_T_EMERGENCY_RESTORED, "emergency.restored") \
	X(EV_T_EMERGENCY_TEST, "emergency.test") \
	X(EV_T_INCIDENT, "incident") \
	X(EV_T_OCCUPANCY_BEAM_FAULT, "occupancy.beam_fault") \
	X(EV_T_OCCUPANCY_BEAM_OK, "occupancy.beam_ok") \
	X(EV_T_OCCUPANCY_CORRECTED, "occupancy.corrected") \
	X(EV_T_OCCUPANCY_END_DISCREPANCY, "occupancy.end_discrepancy") \
	X(EV_T_OCCUPANCY_ENTRY, "occupancy.entry") \
	X(EV_T_OCCUPANCY_EXIT, "occupancy.exit") \
	X(EV_T_OCCUPANCY_NOISE, "occupancy.noise") \
	X(EV_T_OCCUPANCY_OVER_LIMIT, "occupancy.over_limit") \
	X(EV_T_OCCUPANCY_OVER_LIMIT_ENDED, "occupancy.over_limit_ended") \
	X(EV_T_OCCUPANCY_SEAT_DISCREPANCY, "occupancy.seat_discrepancy") \
	X(EV_T_PLAN_ANCHORED, "plan.anchored") \
	X(EV_T_PLAN_ARRIVED, "plan.arrived") \
	X(EV_T_PLAN_BACK_ON_CORRIDOR, "plan.back_on_corridor") \
	X(EV_T_PLAN_CHANGED, "plan.changed") \
	X(EV_T_PLAN_CHECKIN, "plan.checkin") \
	X(EV_T_PLAN_CHECKIN_MISSED, "plan.checkin_missed") \
	X(EV_T_PLAN_CHECKIN_PROMPT, "plan.checkin_prompt") \
	X(EV_T_PLAN_DEPARTED, "plan.departed") \
	X(EV_T_PLAN_ENDED, "plan.ended") \
	X(EV_T_PLAN_LATE, "plan.late") \
	X(EV_T_PLAN_OFF_CORRIDOR, "plan.off_corridor") \
	X(EV_T_PLAN_RETURNED, "plan.returned") \
	X(EV_T_PLAN_SKIPPED, "plan.skipped") \
	X(EV_T_PLAN_STARTED, "plan.started") \
	X(EV_T_PLAN_UNPLANNED_STOP, "plan.unplanned_stop") \
	X(EV_T_POWER_FAILING, "power.failing") \
	X(EV_T_POWER_RESTORED, "power.restored") \
	X(EV_T_SELFTEST_FAILED, "selftest.failed") \
	X(EV_T_SELFTEST_PASSED, "selftest.passed") \
	X(EV_T_SESSION_CREW_CHANGED, "session.crew_changed") \
	X(EV_T_SESSION_END_DUE, "session.end_due") \
	X(EV_T_SESSION_ENDED, "session.ended") \
	X(EV_T_SESSION_EXTENDED, "session.extended") \
	X(EV_T_SESSION_OVERDUE, "session.overdue") \
	X(EV_T_SESSION_OVERDUE_RESOLVED, "session.overdue_resolved") \
	X(EV_T_SESSION_STARTED, "session.started") \
	X(EV_T_STOP_ENDED, "stop.ended") \
	X(EV_T_STOP_STARTED, "stop.started") \

enum ev_type {
#define EV_ENUM(e, name) e,
	EV_TYPES(EV_ENUM)
#undef EV_ENUM
	EV_T__COUNT
};

/* The type's stable name ("session.started"); "?" for a bad value. */
const char *ev_type_name(enum ev_type t);
/* The type of a name, or -1. */
int ev_type_of(const char *name);
/* emergency.* and selftest.*: what the van's emergency path carries. */
bool ev_type_is_emergency(enum ev_type t);

#endif
