/*
 * review_sessions.c - `vanctl sessions`: one line per session in a date
 * range, with its figures (see review_load.c for where each comes from).
 */
#include "review_util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ROW_FMT "%-13s  %-14s  %-9s  %-15s  %-15s  %8s  %8s  %5s  %7s  %4s  %10s  %9s  %6s  %9s\n"

static void row(struct rv_buf *b, const struct rv_session *s)
{
	const struct rv_figs *f = &s->f;
	const struct store_session *ss = &s->ss;
	char id[24], date[32], start[40], end[48], plan[48], dur[24], dist[24], stops[24],
		ent[24], peak[24], over[24], ck[24], miss[24], inc[24];
	snprintf(id, sizeof(id), "%" PRId64, ss->id);
	rv_local(ss->started_utc_ms, "%a %Y-%m-%d", date, sizeof(date));
	rv_tod(ss->started_utc_ms, 0, start, sizeof(start));
	if (f->running)
		snprintf(end, sizeof(end), "running");
	else
		rv_tod(ss->ended_utc_ms, ss->started_utc_ms, end, sizeof(end));
	if (ss->planned_end_utc_ms)
		rv_tod(ss->planned_end_utc_ms, ss->started_utc_ms, plan, sizeof(plan));
	else
		snprintf(plan, sizeof(plan), "-");
	rv_dur(f->duration_ms, dur, sizeof(dur));
	rv_km(f->distance_m, dist, sizeof(dist));
	snprintf(stops, sizeof(stops), "%" PRId64, f->stops);
	snprintf(ent, sizeof(ent), "%" PRId64, f->entries);
	snprintf(peak, sizeof(peak), "%" PRId64, f->peak);
	rv_dur(f->over_limit_s * 1000, over, sizeof(over));
	snprintf(ck, sizeof(ck), "%" PRId64, f->ck_made);
	snprintf(miss, sizeof(miss), "%" PRId64, f->ck_missed);
	snprintf(inc, sizeof(inc), "%" PRId64, f->incidents);
	rv_printf(b, ROW_FMT, id, date, start, end, plan, dur, dist, stops, ent, peak, over, ck,
		  miss, inc);
}

int rv_cmd_sessions(store_t *st, const struct rv_opts *o)
{
	int64_t *ids = NULL;
	size_t n = 0;
	if (rv_session_ids(st, o->since, o->until, &ids, &n) < 0) {
		rv_err(o->cmd, "%s", store_errmsg(st));
		return 1;
	}
	struct rv_buf b = { 0 };
	int rc = 0;
	if (n == 0) {
		rv_puts(&b, "no sessions in that range\n");
	} else {
		rv_printf(&b, ROW_FMT, "ID", "DATE", "START", "END", "PLANNED END", "DURATION",
			  "DISTANCE", "STOPS", "ENTRIES", "PEAK", "OVER LIMIT", "CHECK-INS",
			  "MISSED", "INCIDENTS");
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rv_session s;
		char err[256];
		if (rv_session_load(st, ids[i], 0, NULL, &s, err, sizeof(err)) < 0) {
			rv_err(o->cmd, "session %" PRId64 ": %s", ids[i], err);
			rc = 1;
			break;
		}
		row(&b, &s);
		rv_session_free(&s);
	}
	if (n)
		rv_printf(&b, "%zu session%s; times in %s; (+1) = the next day; check-ins include "
			      "the start and the end\n",
			  n, n == 1 ? "" : "s", rv_tzname());
	free(ids);
	char err[512];
	if (rc == 0 && rv_write_out("-", &b, o->db, err, sizeof(err)) < 0) {
		rv_err(o->cmd, "%s", err);
		rc = 1;
	}
	rv_buf_free(&b);
	return rc;
}
