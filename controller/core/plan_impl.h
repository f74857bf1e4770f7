/*
 * plan_impl.h - the inside of plan_t, shared by plan.c (tracking, timers,
 * crew changes) and plan_json.c (snapshot, save and restore).  Not for
 * anyone else: use plan.h.
 */
#ifndef VAN_CORE_PLAN_IMPL_H
#define VAN_CORE_PLAN_IMPL_H

#include "plan.h"

#define PL_MIN_MS 60000LL
#define PL_EPH_MAX_M 100.0
#define PL_STAT_SPEED_MPS 1.0
#define PL_STAT_RADIUS_M 50.0
#define PL_STAT_OUT_FIXES 2
#define PL_EXPLAIN_HOLD_MS (30 * PL_MIN_MS)
#define PLAN_SAVE_VERSION 1

enum loc_st { LS_PENDING = 0, LS_ONSITE, LS_VISITED, LS_SKIPPED };
enum ckp_st { CKP_NONE = 0, CKP_PROMPTED, CKP_MISSED, CKP_DONE };

struct loc_rt {
	int st;                      /* enum loc_st */
	bool crew_skip;              /* the crew marked it skipped (plan.changed) */
	bool auto_skip;              /* plan.skipped was raised */
	bool late_sent;              /* plan.late was raised */
	int64_t arr_mono, arr_utc;   /* arrival */
	int64_t dep_mono, dep_utc;   /* departure */
	int ck;                      /* enum ckp_st: the check-in at this point */
	int64_t ck_mono;             /* prompted at */
	int64_t ck_next;             /* next plan.checkin_missed */
	int ck_repeat;               /* plan.checkin_missed sent so far */
};

struct plan {
	bool active;
	struct plan_def def;
	/* The local time's rule (struct plan_tz).  Once anchored it covers the
	 * plan's span only: utc_off_s is the offset at the plan's start,
	 * tz_change_utc a change within the plan (PLAN_TZ_NONE: none), then
	 * also as the monotonic instant tz_change_mono (VAN_NEVER: none, or not
	 * anchored).  A state saved without these fields: no change. */
	int utc_off_s;
	int64_t tz_change_utc;
	int tz_off_after_s;
	int64_t tz_change_mono;
	int64_t start_mono;          /* the session (plan_start) */
	bool anchored;               /* timetable placed on the calendar */
	int64_t anchor_mono;         /* the plan's "start" as a monotonic instant */
	struct loc_rt rt[PLAN_LOC_MAX];
	int64_t last_ck_mono;        /* last crew check-in */

	bool have_pos;
	double lat, lon;             /* newest usable fix */

	int onsite;                  /* location the van is at, -1 */
	int prev;                    /* last location arrived at, -1 = base */
	int cand, cand_n;            /* arrival candidate and its fixes in a row */
	int64_t cand_mono, cand_utc;
	int out_n;                   /* fixes in a row outside the on-site location */
	int64_t out_mono, out_utc;

	bool at_base, left_base, returned;
	int base_in, base_out;
	int64_t base_mono, base_utc; /* first fix of base_in */

	bool stat, hinted;           /* stationary; shell hints in use */
	bool s_known, s_raised, s_explained;
	double s_lat, s_lon;
	int s_out;
	int64_t s_mono, s_utc;

	bool off;                    /* off the corridor */
	bool c_raised, c_explained;
	int c_n;                     /* fixes in a row on the other side */
	int64_t c_mono, c_utc;       /* first of them */
	int64_t off_mono, off_utc;   /* episode since */
	double c_dist, c_max;

	int64_t explain_stop, explain_corr;  /* plan_add_stop: when, VAN_NEVER */

	unsigned n_late, n_skipped, n_unplanned, n_off, n_changes, n_prompts, n_ck_missed;
	char why[240];
};

/* Location i, or the base for i < 0. */
const struct plan_loc *pl_loc_at(const plan_t *p, int i);
/* The first pending location, or -1. */
int pl_next_idx(const plan_t *p);
/* Metres from location i (base: -1) to lat/lon. */
double pl_dist_to(const plan_t *p, int i, double lat, double lon);
/* Whole metres from location i to the newest fix; NaN without one. */
double pl_dist_now(const plan_t *p, int i);
/* Local minute of the day tod as a monotonic instant (with the UTC offset
 * in force then); VAN_NEVER when tod is PLAN_NO_TIME or the timetable is
 * not placed. */
int64_t pl_tl_mono(const plan_t *p, int tod);
int64_t pl_end_mono(const plan_t *p);
/* {"location", "index"} of location i (base: -1, no index). */
json_t *pl_ev_loc(const plan_t *p, int i);
/* window_start_utc, window_end_utc, dwell_s of location i into d. */
void pl_ev_window(const plan_t *p, int i, json_t *d, const struct vtime *now);
/* No plan: every field to its empty value. */
void pl_reset(plan_t *p);

#endif
