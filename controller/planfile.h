/*
 * planfile.h - plan files: find one by name in the plans folder, read it,
 * check it completely, and hand the core a struct plan_def (core/plan.h).
 *
 * File format and rules: docs/plans.md.  The rules themselves live in the
 * core (plan_def_from_json), so a plan restored after a restart obeys the
 * same ones; this module adds the file: reading, JSON syntax errors with
 * their line, and the name.  Every problem is collected as text, so one
 * `vanctl plan check` run shows them all:
 *   "FILE:LINE:COLUMN: what is wrong"      (JSON syntax)
 *   "FILE: key.path: what is wrong"        (e.g. plans/north.json:
 *                                           locations[2].radius_m: must be 20-2000)
 *   "FILE: what is wrong"                  (the file as a whole)
 * A plan is filled only when there is no problem: never half a plan.
 */
#ifndef VAN_PLANFILE_H
#define VAN_PLANFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/plan.h"

#define PLANFILE_MAX_BYTES (1024 * 1024)
#define PLANFILE_MAX_ERRORS 200   /* more are counted in "dropped" */

/* Problems found, one line of text each (owned). */
struct plan_errs {
	char **v;
	size_t n, cap;
	size_t dropped;          /* not kept: past PLANFILE_MAX_ERRORS or ENOMEM */
};

/* Free the messages and zero e.  Accepts a zeroed struct and NULL. */
void plan_errs_free(struct plan_errs *e);

/* Read and check the plan in file path.  Its name is the file name without
 * ".json" (and must be a valid plan name).  On success returns 0 and fills
 * *out; otherwise *out is untouched and returns -EINVAL (problems appended
 * to errs), -ENOENT / -EACCES / ... (the file cannot be read: one message
 * appended) or -ENOMEM.  errs may be NULL. */
int planfile_load(const char *path, struct plan_def *out, struct plan_errs *errs);

/* dir/NAME.json into buf.  0, -EINVAL (not a valid plan name: 1-47 of
 * A-Z a-z 0-9 _ -), -ENAMETOOLONG. */
int planfile_path(const char *dir, const char *name, char *buf, size_t n);

/* Plan NAME from the plans folder dir (config session.plans_dir): as
 * planfile_load on dir/NAME.json.  A bad name: -EINVAL with a message. */
int planfile_load_named(const char *dir, const char *name, struct plan_def *out,
			struct plan_errs *errs);

/* Local time minus UTC, in seconds, at utc_ms by the TZ rules of this
 * process (localtime_r): the utc_offset_s of plan_start(). */
int planfile_utc_offset_s(int64_t utc_ms);

/* The local time's rule (TZ of this process, localtime_r) for the plans of
 * a session starting at utc_ms: the offset, and the change of the clocks
 * between 12 h before and 36 h after utc_ms (the span a plan can cover),
 * if any: its UTC instant (whole seconds) and the offset after it.  What
 * van_plan_start() and plan_local_utc() take. */
struct plan_tz planfile_tz(int64_t utc_ms);

#endif
