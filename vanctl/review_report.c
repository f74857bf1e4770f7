/*
 * review_report.c - `vanctl report SESSION`: the readable summary of one
 * session (stdout) and, with --html FILE, the HTML report (review_html.c).
 *
 * Crew text (plan names, stop labels, incident notes) goes through
 * rv_term(): a note cannot move the cursor or recolour the terminal.
 */
#include "review_util.h"

#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char *rv_place(const char *name, double lat, double lon, const struct rv_prec *p, char *buf,
	       size_t len)
{
	int d = p ? p->decimals : 6;
	bool pos = isfinite(lat) && isfinite(lon);
	if (name && pos)
		snprintf(buf, len, "%s (%.*f, %.*f)", name, d, lat, d, lon);
	else if (name)
		snprintf(buf, len, "%s", name);
	else if (pos)
		snprintf(buf, len, "%.*f, %.*f", d, lat, d, lon);
	else
		snprintf(buf, len, "-");
	return buf;
}

char *rv_event_what(const struct rv_event *e, int64_t ref_ms, char *buf, size_t len)
{
	const json_t *d = e->data;
	char t[48];
	if (strcmp(e->type, "occupancy.over_limit") == 0) {
		snprintf(buf, len, "%" PRId64 " on board, over the limit of %" PRId64,
			 rv_jint(d, "occupancy", -1), rv_jint(d, "limit", -1));
	} else if (strcmp(e->type, "checkin.missed") == 0) {
		int64_t due = rv_jint(d, "due_utc", 0);
		if (due)
			snprintf(buf, len, "check-in due %s missed", rv_tod(due, ref_ms, t, sizeof(t)));
		else
			snprintf(buf, len, "check-in missed");
	} else if (strcmp(e->type, "session.overdue") == 0) {
		int64_t pe = rv_jint(d, "planned_end_utc", 0);
		if (pe)
			snprintf(buf, len, "overdue: planned end was %s",
				 rv_tod(pe, ref_ms, t, sizeof(t)));
		else
			snprintf(buf, len, "session overdue");
	} else if (strcmp(e->type, "emergency.raised") == 0) {
		const char *src = rv_jstr(d, "source");
		snprintf(buf, len, "emergency raised%s%s", src ? " by " : "", src ? src : "");
	} else if (strcmp(e->type, "incident") == 0) {
		snprintf(buf, len, "recorded by the crew");
	} else {
		snprintf(buf, len, "%s", e->type);
	}
	return buf;
}

static void fig(struct rv_buf *b, const char *name, const char *value)
{
	rv_printf(b, "  %-12s %s\n", name, value);
}

static void text_stops(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	rv_printf(b, "\nStops (%zu)\n", s->nstops);
	if (!s->nstops) {
		rv_puts(b, "  none recorded\n");
		return;
	}
	rv_printf(b, "  %3s  %-16s  %-16s  %8s  %7s  %4s  %5s  %s\n", "#", "ARRIVAL", "DEPARTURE",
		  "ON SITE", "ENTRIES", "PEAK", "DOORS", "PLACE");
	for (size_t i = 0; i < s->nstops; i++) {
		struct rv_stop_view v;
		rv_stop_view(s, &s->stops[i], &o->prec, &v);
		rv_printf(b, "  %3zu  %-16s  %-16s  %8s  %7d  %4d  %5d  ", v.no, v.arr,
			  v.dep, v.on_site, v.entries, v.peak, v.doors);
		rv_term(b, v.place);
		rv_puts(b, "\n");
	}
}

static void text_plan(struct rv_buf *b, const struct rv_session *s, const struct rv_plan *p)
{
	int64_t ref = s->ss.started_utc_ms;
	rv_puts(b, "\nPlanned against actual");
	if (s->ss.plan) {
		rv_puts(b, " (plan ");
		rv_term(b, s->ss.plan);
		rv_puts(b, ")");
	}
	rv_puts(b, "\n");
	if (!p->n)
		rv_puts(b, "  no planned locations recorded\n");
	else
		rv_printf(b, "  %3s  %-20s  %-22s  %-16s  %-14s  %7s  %8s  %s\n", "#", "LOCATION",
			  "WINDOW", "ARRIVED", "AGAINST WINDOW", "DWELL", "ON SITE",
			  "AGAINST DWELL");
	for (size_t i = 0; i < p->n; i++) {
		struct rv_plan_view v;
		char verdict[64], dv[48] = "";
		rv_plan_view(s, p, i, &v);
		switch (v.against_window) {
		case RV_WIN_LEFT_OUT: snprintf(verdict, sizeof(verdict), "left out"); break;
		case RV_WIN_SKIPPED: snprintf(verdict, sizeof(verdict), "skipped"); break;
		case RV_WIN_NOT_REACHED: snprintf(verdict, sizeof(verdict), "not reached"); break;
		case RV_WIN_LATE: snprintf(verdict, sizeof(verdict), "late %s", v.off_by); break;
		case RV_WIN_EARLY: snprintf(verdict, sizeof(verdict), "early %s", v.off_by); break;
		case RV_WIN_ON_TIME: snprintf(verdict, sizeof(verdict), "on time"); break;
		case RV_WIN_NONE: verdict[0] = '\0'; break;
		}
		if (v.against_dwell == RV_DWELL_AS_PLANNED)
			snprintf(dv, sizeof(dv), "as planned");
		else if (v.against_dwell != RV_DWELL_NONE)
			snprintf(dv, sizeof(dv), "%s %s",
				 v.against_dwell == RV_DWELL_SHORT ? "short by" : "longer by", v.dwell_off_by);
		rv_printf(b, "  %3" PRId64 "  ", v.no);
		size_t before = b->len;
		rv_term(b, v.name);
		size_t w = b->len - before;
		rv_printf(b, "%*s  %-22s  %-16s  %-14s  %7s  %8s  %s\n", w < 20 ? (int)(20 - w) : 0,
			  "", v.win, v.arr, verdict, v.dwell, v.on_site, dv);
	}
	size_t nun = p->nunplanned + p->nunplanned_ev;
	rv_printf(b, "  unplanned stops: %zu", nun);
	for (size_t i = 0; i < p->nunplanned; i++) {
		struct rv_stop_view v;
		rv_stop_view(s, p->unplanned[i], NULL, &v);
		rv_printf(b, "%s#%zu at %s for %s", i ? ", " : " (", v.no, v.arr, v.on_site);
	}
	for (size_t i = 0; i < p->nunplanned_ev; i++) {
		char a[48];
		rv_tod(p->unplanned_ev[i]->t, ref, a, sizeof(a));
		rv_printf(b, "%sat %s", i || p->nunplanned ? ", " : " (", a);
	}
	rv_puts(b, nun ? ")\n" : "\n");
	for (size_t i = 0; i < p->nat_base; i++) {
		struct rv_stop_view v;
		rv_stop_view(s, p->at_base[i], NULL, &v);
		rv_printf(b, "%s#%zu at %s for %s", i ? ", " : "  waits at base (not unplanned): ", v.no,
			  v.arr, v.on_site);
	}
	if (p->nat_base)
		rv_puts(b, "\n");
	bool head = false;
	for (size_t i = 0; i < s->nevs; i++) {
		struct rv_event_view v;
		if (!rv_plan_event_view(s, &s->evs[i], &v))
			continue;
		if (!head)
			rv_puts(b, "  deviations and changes of plan:\n");
		head = true;
		rv_printf(b, "    %-16s  ", v.when);
		rv_term(b, v.what);
		rv_puts(b, "\n");
	}
}

static void text_incidents(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	rv_printf(b, "\nIncidents (%" PRId64 ")\n", s->f.incidents);
	if (!s->f.incidents) {
		rv_puts(b, "  none recorded\n");
		return;
	}
	for (size_t i = 0; i < s->nevs; i++) {
		struct rv_event_view v;
		if (!s->evs[i].incident)
			continue;
		rv_incident_view(s, &s->evs[i], &o->prec, &v);
		rv_printf(b, "  %-16s  ", v.when);
		size_t before = b->len;
		rv_term(b, v.category);
		size_t w = b->len - before;
		rv_printf(b, "%*s  %s", w < 16 ? (int)(16 - w) : 0, "", v.what);
		if (v.has_place)
			rv_printf(b, " at %s", v.place);
		if (v.note) {
			rv_puts(b, "\n  ");
			rv_printf(b, "%16s    note: \"", "");
			rv_term(b, v.note);
			rv_puts(b, "\"");
		}
		rv_puts(b, "\n");
	}
}

void rv_report_text(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	const struct store_session *ss = &s->ss;
	const struct rv_figs *f = &s->f;
	int64_t ref = ss->started_utc_ms;
	char t1[64], t2[64], v[160];

	rv_printf(b, "Session %" PRId64 ": %s\n", ss->id,
		  rv_local(ref, "%A %-d %B %Y", t1, sizeof(t1)));
	rv_printf(b, "times in %s; positions %s%s\n\n", rv_tzname(), o->prec.label,
		  s->names_hidden ? "; place names and notes left out" : "");

	fig(b, "started", rv_tod(ref, 0, t1, sizeof(t1)));
	if (f->running) {
		snprintf(v, sizeof(v), "still running (last record %s)",
			 rv_tod(s->end_ms, ref, t1, sizeof(t1)));
		fig(b, "ended", v);
	} else {
		fig(b, "ended", rv_tod(ss->ended_utc_ms, ref, t1, sizeof(t1)));
	}
	if (ss->planned_end_utc_ms) {
		rv_tod(ss->planned_end_utc_ms, ref, t1, sizeof(t1));
		int64_t late = (f->running ? s->end_ms : ss->ended_utc_ms) - ss->planned_end_utc_ms;
		if (!f->running && late > 60000)
			snprintf(v, sizeof(v), "%s (ended %s after it)", t1, rv_dur(late, t2, sizeof(t2)));
		else
			snprintf(v, sizeof(v), "%s", t1);
		fig(b, "planned end", v);
	}
	snprintf(v, sizeof(v), "%d%s", ss->crew, ss->lone ? " (lone working)" : "");
	fig(b, "crew", v);
	if (ss->plan) {
		rv_printf(b, "  %-12s ", "plan");
		rv_term(b, ss->plan);
		rv_puts(b, "\n");
	}
	fig(b, "duration", rv_dur(f->duration_ms, t1, sizeof(t1)));
	snprintf(v, sizeof(v), "%s (%" PRId64 " route points%s)", rv_km(f->distance_m, t1, sizeof(t1)),
		 f->points,
		 f->points		? ""
		 : f->route_purged	? ": the route was removed by the retention purge"
		 : f->distance_m > 0	? ": no route points are stored for this session"
					: ": no GPS fix recorded");
	fig(b, "distance", v);
	snprintf(v, sizeof(v), "%" PRId64, f->stops);
	fig(b, "stops", v);
	snprintf(v, sizeof(v), "%" PRId64, f->entries);
	fig(b, "entries", v);
	if (f->limit >= 0)
		snprintf(v, sizeof(v), "%" PRId64 " on board (limit %" PRId64 ")", f->peak, f->limit);
	else
		snprintf(v, sizeof(v), "%" PRId64 " on board", f->peak);
	fig(b, "peak", v);
	if (f->at_end > 0) {
		snprintf(v, sizeof(v), "%" PRId64 " still counted on board when the session ended", f->at_end);
		fig(b, "at the end", v);
	}
	if (f->occ_known && f->occ_span_ms > 0) {
		snprintf(v, sizeof(v), "%.1f on board", f->occ_integral / (double)f->occ_span_ms);
		fig(b, "average", v);
	}
	fig(b, "over limit", rv_dur(f->over_limit_s * 1000, t1, sizeof(t1)));
	snprintf(v, sizeof(v), "%" PRId64 " made (start and end included), %" PRId64 " missed",
		 f->ck_made, f->ck_missed);
	fig(b, "check-ins", v);
	snprintf(v, sizeof(v), "%" PRId64, f->incidents);
	fig(b, "incidents", v);

	text_stops(b, s, o);
	struct rv_plan p;
	if (rv_plan_build(s, &p) == 0) {
		if (p.present)
			text_plan(b, s, &p);
		rv_plan_free(&p);
	} else {
		b->err = b->err ? b->err : -ENOMEM;
	}
	text_incidents(b, s, o);
}

int rv_cmd_report(store_t *st, const struct rv_opts *o)
{
	int64_t id;
	if (rv_session_arg(st, o, o->args[0], &id))
		return 1;
	struct rv_session s;
	char err[512];
	int r = rv_session_load(st, id, RV_LOAD_ALL, &o->prec, &s, err, sizeof(err));
	if (r < 0) {
		rv_err(o->cmd, "session %" PRId64 ": %s", id, err);
		return 1;
	}
	int rc = 0;
	struct rv_buf b = { 0 };
	bool html_to_stdout = o->out && strcmp(o->out, "-") == 0;
	if (o->out) {
		struct rv_buf h = { 0 };
		rv_report_html(&h, &s, o);
		if (rv_write_out(o->out, &h, o->db, err, sizeof(err)) < 0) {
			rv_err(o->cmd, "%s", err);
			rc = 1;
		}
		rv_buf_free(&h);
	}
	if (rc == 0 && !html_to_stdout) {
		rv_report_text(&b, &s, o);
		if (o->out) {
			rv_puts(&b, "\nHTML report written to ");
			rv_term(&b, o->out);
			rv_puts(&b, "\n");
		}
		if (rv_write_out("-", &b, o->db, err, sizeof(err)) < 0) {
			rv_err(o->cmd, "%s", err);
			rc = 1;
		}
	}
	rv_buf_free(&b);
	rv_session_free(&s);
	return rc;
}
