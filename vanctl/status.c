/*
 * status.c - `vanctl status` for a person: the crew snapshot (docs/events.md,
 * "state", plus link and gps from the daemon) as a compact summary, one
 * line per concern, the alarming parts in capitals.
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "vanctl.h"

static void line(FILE *out, const char *label, const char *text)
{
	fprintf(out, "%-11s%s\n", label, text);
}

static void session_lines(FILE *out, const json_t *s)
{
	char b[512], t1[32], t2[32], t3[32];
	const char *state = jpath_str(s, "session.state", "idle");

	if (!strcmp(state, "idle") || !strcmp(state, "ended")) {
		line(out, "Session:", "none running");
		return;
	}
	int64_t crew = jpath_int(s, "session.crew", 0);
	bool lone = jpath_bool(s, "session.lone", false);
	const char *plan = jpath_str(s, "session.plan", NULL);
	int n = snprintf(b, sizeof(b), "%s, crew %lld%s%s%s; running %s, planned end %s",
			 !strcmp(state, "overdue") ? "OVERDUE" : "active", (long long)crew,
			 lone ? " (LONE WORKING)" : "", plan ? ", plan " : "", plan ? plan : "",
			 fmt_hms(jpath_int(s, "session.elapsed_s", 0), t1, sizeof(t1)),
			 fmt_clock(jpath_int(s, "session.planned_end_utc", 0), t2, sizeof(t2)));
	if (!strcmp(state, "overdue"))
		snprintf(b + n, sizeof(b) - (size_t)n, " — OVERDUE by %s",
			 fmt_short(jpath_int(s, "session.overdue_s", 0), t3, sizeof(t3)));
	else
		snprintf(b + n, sizeof(b) - (size_t)n, " (in %s)",
			 fmt_short(jpath_int(s, "session.remaining_s", 0), t3, sizeof(t3)));
	line(out, "Session:", b);

	const json_t *ck = jpath(s, "session.checkin");
	if (json_is_object(ck)) {
		if (jpath_bool(ck, "overdue", false))
			snprintf(b, sizeof(b), "OVERDUE by %s (was due %s)%s",
				 fmt_short(jpath_int(ck, "overdue_s", 0), t1, sizeof(t1)),
				 fmt_clock(jpath_int(ck, "due_utc", 0), t2, sizeof(t2)),
				 jpath_bool(ck, "escalated", false) ? " — base has been alerted" : "");
		else
			snprintf(b, sizeof(b), "due %s (in %s)%s",
				 fmt_clock(jpath_int(ck, "due_utc", 0), t1, sizeof(t1)),
				 fmt_short(jpath_int(ck, "due_in_s", 0), t2, sizeof(t2)),
				 jpath_bool(ck, "requested", false) ? " — BASE ASKS FOR A CHECK-IN" : "");
		line(out, "Check-in:", b);
	}
}

static void occupancy_line(FILE *out, const json_t *s)
{
	char b[256], t[32];
	int64_t occ = jpath_int(s, "occupancy.occupancy", 0), lim = jpath_int(s, "occupancy.limit", 0);
	int n = snprintf(b, sizeof(b), "%lld / %lld", (long long)occ, (long long)lim);
	if (jpath_bool(s, "occupancy.over", false) || (lim > 0 && occ > lim))
		n += snprintf(b + n, sizeof(b) - (size_t)n, "  OVER LIMIT");
	else if (jpath_bool(s, "occupancy.full", false))
		n += snprintf(b + n, sizeof(b) - (size_t)n, "  FULL");
	if (jpath_int(s, "occupancy.muted_until_utc", 0) > 0)
		n += snprintf(b + n, sizeof(b) - (size_t)n, " (buzzer muted until %s)",
			      fmt_clock(jpath_int(s, "occupancy.muted_until_utc", 0), t, sizeof(t)));
	const json_t *bf = jpath(s, "occupancy.beam_fault");
	if (json_is_array(bf) && json_array_size(bf))
		snprintf(b + n, sizeof(b) - (size_t)n, "; BEAM FAULT: count by hand (+/-)");
	line(out, "On board:", b);
}

static void stop_line(FILE *out, const json_t *s)
{
	char b[200], t1[32], t2[32];
	const json_t *st = jpath(s, "stop");
	if (!json_is_object(st))
		return;
	int64_t arr = jpath_int(st, "arrival_utc", 0), now = jpath_int(s, "utc", 0);
	snprintf(b, sizeof(b), "stopped since %s (%s), %lld entries here",
		 fmt_clock(arr, t1, sizeof(t1)), fmt_short(now > arr ? (now - arr) / 1000 : 0, t2, sizeof(t2)),
		 (long long)jpath_int(st, "entries", 0));
	line(out, "Stop:", b);
}

static void gps_line(FILE *out, const json_t *s)
{
	char b[200];
	const char *link = jpath_str(s, "gps.link", NULL), *fix = jpath_str(s, "gps.fix", "none");
	if (link && !strcmp(link, "down"))
		snprintf(b, sizeof(b), "gpsd not reachable");
	else if (!strcmp(fix, "2d") || !strcmp(fix, "3d"))
		snprintf(b, sizeof(b), "%s fix, %.0f s old", !strcmp(fix, "3d") ? "3D" : "2D",
			 jpath_num(s, "gps.age_s", 0));
	else if (!strcmp(fix, "lost"))
		snprintf(b, sizeof(b), "FIX LOST");
	else
		snprintf(b, sizeof(b), "no fix yet");
	line(out, "GPS:", b);
}

static void link_line(FILE *out, const json_t *s)
{
	char b[256], t1[32], t2[32];
	const char *base = jpath_str(s, "link.base", NULL);
	int64_t backlog = jpath_int(s, "link.backlog", 0);
	int n = snprintf(b, sizeof(b), "%s", base ? (!strcmp(base, "online") ? "online" : "OFFLINE") : "unknown");
	if (backlog > 0)
		n += snprintf(b + n, sizeof(b) - (size_t)n, ", %lld not yet delivered (oldest %s)", (long long)backlog,
			      fmt_short((int64_t)jpath_num(s, "link.oldest_s", 0), t1, sizeof(t1)));
	else
		n += snprintf(b + n, sizeof(b) - (size_t)n, ", everything delivered");
	int64_t ack = jpath_int(s, "link.last_ack_utc", 0);
	if (ack > 0)
		snprintf(b + n, sizeof(b) - (size_t)n, "; base last confirmed %s", fmt_clock(ack, t2, sizeof(t2)));
	line(out, "Base link:", b);
}

/* Only when the van cannot store (a full disk, an I/O error): what it means
 * for the crew (docs/control.md, "What a crew can rely on"). */
static void storage_line(FILE *out, const json_t *s)
{
	char b[400];
	const json_t *st = jpath(s, "storage");
	if (!json_is_object(st))
		return;
	if (!jpath_bool(st, "ok", true))
		snprintf(b, sizeof(b), "CANNOT STORE (%.200s): panic and emergencies still work and are kept "
			 "(%lld KiB kept for them); other records may be lost", jpath_str(st, "error", "write failed"),
			 (long long)jpath_int(st, "reserve_kib", 0));
	else if (jpath_bool(st, "reserve_low", false))
		snprintf(b, sizeof(b), "DISK (NEARLY) FULL: %lld KiB kept for emergencies",
			 (long long)jpath_int(st, "reserve_kib", 0));
	else
		return;
	line(out, "Storage:", b);
}

static void emergency_line(FILE *out, const json_t *s)
{
	char b[256], t1[32], t2[32];
	const json_t *em = jpath(s, "emergency");
	/* the crew snapshot never holds a covert emergency; never print one */
	if (!json_is_object(em) || !jpath_bool(em, "active", false) || jpath_bool(em, "covert", false))
		return;
	if (jpath_bool(em, "acknowledged", false))
		snprintf(b, sizeof(b), "EMERGENCY raised %s (%s ago) — base acknowledged%s%s%s",
			 fmt_clock(jpath_int(em, "raised_utc", 0), t1, sizeof(t1)),
			 fmt_short(jpath_int(em, "duration_s", 0), t2, sizeof(t2)),
			 jpath_str(em, "acked_by", NULL) ? " (" : "", jpath_str(em, "acked_by", ""),
			 jpath_str(em, "acked_by", NULL) ? ")" : "");
	else
		snprintf(b, sizeof(b), "EMERGENCY raised %s (%s ago) — NOT YET ACKNOWLEDGED by base",
			 fmt_clock(jpath_int(em, "raised_utc", 0), t1, sizeof(t1)),
			 fmt_short(jpath_int(em, "duration_s", 0), t2, sizeof(t2)));
	line(out, "Alarm:", b);
}

static void last_session_line(FILE *out, const json_t *s)
{
	char b[300], t1[32], t2[32];
	const json_t *ls = jpath(s, "last_session");
	if (!json_is_object(ls))
		return;
	int64_t inc = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)jpath(ls, "incidents"), k, v)
		inc += json_is_integer(v) ? json_integer_value(v) : 0;
	snprintf(b, sizeof(b), "ended %s after %s: %lld entries, peak %lld on board, %lld check-ins "
		 "(%lld late, %lld missed), %lld incident%s",
		 fmt_clock(jpath_int(ls, "ended_utc", 0), t1, sizeof(t1)),
		 fmt_short(jpath_int(ls, "duration_s", 0), t2, sizeof(t2)),
		 (long long)jpath_int(ls, "entries", 0), (long long)jpath_int(ls, "peak_occupancy", 0),
		 (long long)jpath_int(ls, "checkins", 0), (long long)jpath_int(ls, "checkins_late", 0),
		 (long long)jpath_int(ls, "checkins_missed", 0), (long long)inc, inc == 1 ? "" : "s");
	line(out, "Last:", b);
}

void print_status(FILE *out, const json_t *s)
{
	char t[32];
	fprintf(out, "%s (%s), vanctld %s, %s%s\n", jpath_str(s, "unit", "?"), jpath_str(s, "name", "?"),
		jpath_str(s, "version", "?"), fmt_clock(jpath_int(s, "utc", 0), t, sizeof(t)),
		strcmp(jpath_str(s, "utc_src", "system"), "system") ? " (clock not synchronised)" : "");
	emergency_line(out, s);
	session_lines(out, s);
	occupancy_line(out, s);
	stop_line(out, s);
	gps_line(out, s);
	link_line(out, s);
	storage_line(out, s);
	if (jpath_bool(s, "door_open_while_moving", false))
		line(out, "Doors:", "OPEN WHILE MOVING");
	last_session_line(out, s);
}
