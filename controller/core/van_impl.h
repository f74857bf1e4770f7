/*
 * van_impl.h - the inside of van_t, shared by van.c (inputs, timers,
 * outputs), van_cmd.c (commands), van_json.c (snapshot) and van_save.c
 * (persistence).  Not for the shell: use van.h.
 */
#ifndef VAN_CORE_VAN_IMPL_H
#define VAN_CORE_VAN_IMPL_H

#include "alarm.h"
#include "doors.h"
#include "fixlog.h"
#include "health.h"
#include "occupancy.h"
#include "session.h"
#include "stops.h"
#include "plan.h"
#include "van.h"

#define VAN_TYPES_MAX 32
#define VAN_CAT_MAX 32
#define VAN_SAVE_VERSION 1
#define VAN_STATE_VERSION 1

/* Incidents of the current session by category (for the summary). */
struct van_tally {
	char cat[VAN_CAT_MAX];
	unsigned n;
};

struct van {
	struct van_params p;          /* scalars; the strings below are our copies */
	char *types[VAN_TYPES_MAX];
	size_t ntypes;
	char *duress;                 /* NULL = none */

	struct occ_params op;
	struct session_params sp;
	struct stops_params stp;
	struct alarm_params ap;

	struct evq q;
	struct doors doors;
	struct occ occ;
	struct session s;
	struct fixlog fx;
	struct stops stops;
	struct alarm alarm;
	struct health health;         /* the computer's own (under-voltage, temperature) */
	plan_t *plan;                 /* the session's route plan (inactive without one) */

	bool door_moving;             /* door.open_while_moving raised for this episode */
	bool power_failing;           /* the power_fail input is active */
	int64_t power_since_mono;     /* ... since */
	double odo_at_start;          /* fixlog odometer at session start */
	unsigned stops_at_start;
	struct van_tally tally[VAN_TYPES_MAX];
	size_t ntally;
	json_t *last_summary;         /* summary of the last ended session, or NULL */
};

/* An emit for now, stamped with the running session's id. */
struct emit van_emit(van_t *v, const struct vtime *now);
/* After every entry point: risk, timers, derived warnings, incident tally
 * for the events pushed since `mark`. */
void van_post(van_t *v, const struct vtime *now, size_t mark);
/* The check-in interval the risk calls for with this crew. */
enum ck_reason van_risk(const van_t *v, int crew, bool lone);
/* The emergency context snapshot (new object). */
json_t *van_context(const van_t *v, const struct vtime *now);
/* Does code match the duress code? */
bool van_is_duress(const van_t *v, const char *code);
/* When an input happened: its edge stamp, or now when it has none (<= 0,
 * e.g. a command) or one in the future. */
int64_t van_edge_ms(int64_t edge_mono_ms, const struct vtime *now);

#endif
