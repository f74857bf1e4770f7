/*
 * review_rows.c - the rows of a session's report (stops, planned against
 * actual, deviations, incidents) as plain strings, once for the text report
 * (review_report.c) and the HTML one (review_html.c).  See review_util.h.
 */
#include "review_util.h"

#include <stdlib.h>
#include <string.h>

void rv_stop_view(const struct rv_session *s, const struct rv_stop *st, const struct rv_prec *prec,
		  struct rv_stop_view *v)
{
	int64_t ref = s->ss.started_utc_ms;
	v->no = (size_t)(st - s->stops) + 1;
	rv_tod(st->arr, ref, v->arr, sizeof(v->arr));
	if (st->dep)
		rv_tod(st->dep, ref, v->dep, sizeof(v->dep));
	else
		snprintf(v->dep, sizeof(v->dep), "%s", s->f.running ? "(still there)" : "(at the end)");
	rv_dur((st->dep ? st->dep : s->end_ms) - st->arr, v->on_site, sizeof(v->on_site));
	rv_place(st->name, st->lat, st->lon, prec, v->place, sizeof(v->place));
	v->entries = st->entries;
	v->peak = st->peak;
	v->doors = st->doors;
}

void rv_plan_view(const struct rv_session *s, const struct rv_plan *p, size_t i,
		  struct rv_plan_view *v)
{
	const struct rv_plan_row *r = &p->rows[i];
	int64_t ref = s->ss.started_utc_ms;

	memset(v, 0, sizeof(*v));
	v->no = r->index > 0 ? r->index : (int64_t)i + 1;
	v->name = r->name ? r->name : "?";
	rv_window(r->win_from, r->win_to, ref, v->win, sizeof(v->win));
	snprintf(v->arr, sizeof(v->arr), "-");
	if (r->arr)
		rv_tod(r->arr, ref, v->arr, sizeof(v->arr));
	snprintf(v->dwell, sizeof(v->dwell), "-");
	if (r->dwell_s >= 0)
		rv_dur(r->dwell_s * 1000, v->dwell, sizeof(v->dwell));
	/* one time on site per stop: the stop's (parked), as in the stops
	 * table, where a stop matched the location; else in and out of its
	 * radius */
	int64_t sa = r->stop_arr ? r->stop_arr : r->arr;
	int64_t sd = r->stop_arr ? r->stop_dep : r->dep;
	snprintf(v->on_site, sizeof(v->on_site), "-");
	if (sa && sd)
		rv_dur(sd - sa, v->on_site, sizeof(v->on_site));

	int64_t lm = rv_plan_late_ms(r);
	v->skip_reason = r->skip_reason;
	v->passed_for = r->passed_for;
	if (r->status == RV_PLAN_SKIPPED)
		v->against_window = r->skip_reason ? RV_WIN_LEFT_OUT : RV_WIN_SKIPPED;
	else if (r->status == RV_PLAN_PENDING)
		v->against_window = RV_WIN_NOT_REACHED;
	else if (lm)
		v->against_window = lm > 0 ? RV_WIN_LATE : RV_WIN_EARLY;
	else
		v->against_window = r->win_from || r->win_to ? RV_WIN_ON_TIME : RV_WIN_NONE;
	if (lm)
		rv_dur(llabs(lm), v->off_by, sizeof(v->off_by));

	if (r->dwell_s >= 0 && sa && sd) {
		int64_t diff = (sd - sa) - r->dwell_s * 1000;
		if (llabs(diff) < 60000) {
			v->against_dwell = RV_DWELL_AS_PLANNED;
		} else {
			v->against_dwell = diff < 0 ? RV_DWELL_SHORT : RV_DWELL_LONGER;
			rv_dur(llabs(diff), v->dwell_off_by, sizeof(v->dwell_off_by));
		}
	}
}

char *rv_emergency_response(const struct rv_session *s, const struct rv_event *e, char *buf,
			    size_t len)
{
	char d[24];
	buf[0] = '\0';
	if (strcmp(e->type, "emergency.raised") != 0)
		return buf;
	int64_t id = rv_jint(e->data, "id", 0);
	const struct rv_event *ack = NULL, *clr = NULL;
	for (size_t i = (size_t)(e - s->evs) + 1; i < s->nevs; i++) {
		const struct rv_event *x = &s->evs[i];
		if (rv_jint(x->data, "id", 0) != id)
			continue;
		if (!ack && strcmp(x->type, "emergency.acknowledged") == 0)
			ack = x;
		else if (!clr && strcmp(x->type, "emergency.cleared") == 0)
			clr = x;
	}
	size_t n = 0;
	if (ack) {
		const char *by = rv_jstr(ack->data, "by");
		n = (size_t)snprintf(buf, len, "acknowledged by %s after %s", by ? by : "base",
				     rv_dur(ack->t - e->t, d, sizeof(d)));
	} else {
		n = (size_t)snprintf(buf, len, "never acknowledged by base");
	}
	if (n < len) {
		if (clr)
			snprintf(buf + n, len - n, "; cleared after %s", rv_dur(clr->t - e->t, d, sizeof(d)));
		else
			snprintf(buf + n, len - n, "; %s", s->f.running ? "still active" : "not cleared before the end");
	}
	return buf;
}

void rv_incident_view(const struct rv_session *s, const struct rv_event *e, const struct rv_prec *prec,
		      struct rv_event_view *v)
{
	int64_t ref = s->ss.started_utc_ms;
	rv_tod(e->t, ref, v->when, sizeof(v->when));
	rv_event_what(e, ref, v->what, sizeof(v->what));
	char resp[160];
	if (rv_emergency_response(s, e, resp, sizeof(resp))[0]) {
		size_t n = strlen(v->what);
		snprintf(v->what + n, sizeof(v->what) - n, ": %s", resp);
	}
	v->category = e->category ? e->category : "-";
	v->has_place = e->has_pos;
	if (e->has_pos)
		rv_place(NULL, e->lat, e->lon, prec, v->place, sizeof(v->place));
	else
		snprintf(v->place, sizeof(v->place), "-");
	v->note = rv_event_note(e);
}

bool rv_plan_event_view(const struct rv_session *s, const struct rv_event *e, struct rv_event_view *v)
{
	if (strncmp(e->type, "plan.", 5) != 0 || !rv_plan_event_what(e, v->what, sizeof(v->what)))
		return false;
	rv_tod(e->t, s->ss.started_utc_ms, v->when, sizeof(v->when));
	v->category = NULL;
	v->has_place = false;
	snprintf(v->place, sizeof(v->place), "-");
	v->note = NULL;
	return true;
}
