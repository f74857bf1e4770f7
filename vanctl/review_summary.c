/*
 * review_summary.c - `vanctl summary`: the figures commissioners and funders
 * ask for over a period, counts only: sessions, hours of service, stops,
 * entries (contacts), peak and average occupancy, incidents by category,
 * check-ins missed.  As a table, CSV (figure,value) or JSON (jansson).
 *
 * A session belongs to the period it started in.  Average occupancy is
 * time-weighted over the sessions whose occupancy record survives (see
 * review_load.c); it is null when none does.
 */
#include "review_util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct totals {
	int64_t sessions, running, stops, entries, peak, ck_missed, incidents, over_s;
	int64_t dur_ms;
	double dist_m;
	int64_t dist_unknown;      /* sessions without a known distance */
	double occ_integral;
	int64_t occ_span_ms;
	json_t *by_cat;            /* category -> count */
};

static int add_session(struct totals *t, const struct rv_session *s)
{
	const struct rv_figs *f = &s->f;
	t->sessions++;
	t->running += f->running;
	t->dur_ms += f->duration_ms;
	if (isfinite(f->distance_m))
		t->dist_m += f->distance_m;
	else
		t->dist_unknown++;
	t->stops += f->stops;
	t->entries += f->entries;
	if (f->peak > t->peak)
		t->peak = f->peak;
	t->ck_missed += f->ck_missed;
	t->over_s += f->over_limit_s;
	t->incidents += f->incidents;
	if (f->occ_known) {
		t->occ_integral += f->occ_integral;
		t->occ_span_ms += f->occ_span_ms;
	}
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (!e->incident)
			continue;
		const char *cat = e->category && *e->category ? e->category : "uncategorised";
		json_int_t n = json_integer_value(json_object_get(t->by_cat, cat));
		if (json_object_set_new(t->by_cat, cat, json_integer(n + 1)) < 0)
			return -1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The categories in name order (array owned by the caller; the strings by
 * by_cat).  NULL with *n = 0 when there are none or on ENOMEM. */
static const char **categories(const json_t *by_cat, size_t *n)
{
	*n = json_object_size(by_cat);
	const char **v = *n ? calloc(*n, sizeof(*v)) : NULL;
	if (!v) {
		*n = 0;
		return NULL;
	}
	size_t i = 0;
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)by_cat, k, x) v[i++] = k;
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static int64_t cat_count(const struct totals *t, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(t->by_cat, k));
}

static double hours(const struct totals *t)
{
	return (double)t->dur_ms / 3600000.0;
}

static json_t *avg_occ(const struct totals *t)
{
	return t->occ_span_ms > 0 ? json_real(round(t->occ_integral / (double)t->occ_span_ms * 100) /
					      100)
				  : json_null();
}

static void period(const struct rv_opts *o, char *from, char *to, size_t len)
{
	if (o->since > 0)
		rv_local(o->since, "%Y-%m-%d", from, len);
	else
		snprintf(from, len, "the first record");
	if (o->until < INT64_MAX)
		rv_local(o->until - 1, "%Y-%m-%d", to, len);
	else
		snprintf(to, len, "the last record");
}

static void table(struct rv_buf *b, const struct totals *t, const struct rv_opts *o)
{
	char from[40], to[40], v[64];
	period(o, from, to, sizeof(from));
	rv_printf(b, "Summary %s to %s (%s)\n", from, to, rv_tzname());
	rv_printf(b, "  %-24s %10" PRId64, "sessions", t->sessions);
	if (t->running)
		rv_printf(b, "   (%" PRId64 " still running)", t->running);
	rv_puts(b, "\n");
	rv_printf(b, "  %-24s %10.1f\n", "hours of service", hours(t));
	rv_printf(b, "  %-24s %10s%s\n", "distance", rv_km(t->dist_m, v, sizeof(v)),
		  t->dist_unknown ? "   (some sessions without a route)" : "");
	rv_printf(b, "  %-24s %10" PRId64 "\n", "stops", t->stops);
	rv_printf(b, "  %-24s %10" PRId64 "\n", "entries (contacts)", t->entries);
	if (t->dur_ms > 0)
		rv_printf(b, "  %-24s %10.1f\n", "entries per hour", (double)t->entries / hours(t));
	rv_printf(b, "  %-24s %10" PRId64 "\n", "peak occupancy", t->peak);
	if (t->occ_span_ms > 0)
		rv_printf(b, "  %-24s %10.2f\n", "average occupancy",
			  t->occ_integral / (double)t->occ_span_ms);
	else
		rv_printf(b, "  %-24s %10s\n", "average occupancy", "-");
	rv_printf(b, "  %-24s %10s\n", "time over the limit", rv_dur(t->over_s * 1000, v, sizeof(v)));
	rv_printf(b, "  %-24s %10" PRId64 "\n", "check-ins missed", t->ck_missed);
	rv_printf(b, "  %-24s %10" PRId64 "\n", "incidents", t->incidents);
	size_t nc;
	const char **cats = categories(t->by_cat, &nc);
	for (size_t i = 0; i < nc; i++) {
		rv_puts(b, "    ");
		size_t before = b->len;
		rv_term(b, cats[i]);
		size_t w = b->len - before;
		rv_printf(b, "%*s %10" PRId64 "\n", w < 22 ? (int)(22 - w) : 0, "",
			  cat_count(t, cats[i]));
	}
	free(cats);
}

static void csv_row(struct rv_buf *b, const char *k, const char *v)
{
	rv_csv(b, k);
	rv_puts(b, ",");
	rv_csv(b, v);
	rv_puts(b, "\r\n");
}

static void csv(struct rv_buf *b, const struct totals *t, const struct rv_opts *o)
{
	char from[40], to[40], v[64];
	period(o, from, to, sizeof(from));
	rv_puts(b, "figure,value\r\n");
	csv_row(b, "period_from", from);
	csv_row(b, "period_to", to);
	csv_row(b, "timezone", rv_tzname());
#define ROW(name, fmt, val)                          \
	do {                                         \
		snprintf(v, sizeof(v), fmt, val);    \
		csv_row(b, name, v);                 \
	} while (0)
	ROW("sessions", "%" PRId64, t->sessions);
	ROW("sessions_running", "%" PRId64, t->running);
	ROW("hours_of_service", "%.2f", hours(t));
	ROW("distance_km", "%.1f", t->dist_m / 1000);
	ROW("stops", "%" PRId64, t->stops);
	ROW("entries", "%" PRId64, t->entries);
	ROW("entries_per_hour", "%.2f", t->dur_ms > 0 ? (double)t->entries / hours(t) : 0.0);
	ROW("peak_occupancy", "%" PRId64, t->peak);
	if (t->occ_span_ms > 0)
		ROW("average_occupancy", "%.2f", t->occ_integral / (double)t->occ_span_ms);
	else
		csv_row(b, "average_occupancy", "");
	ROW("over_limit_s", "%" PRId64, t->over_s);
	ROW("checkins_missed", "%" PRId64, t->ck_missed);
	ROW("incidents", "%" PRId64, t->incidents);
	size_t nc;
	const char **cats = categories(t->by_cat, &nc);
	for (size_t i = 0; i < nc; i++) {
		char name[160];
		snprintf(name, sizeof(name), "incidents:%s", cats[i]);
		ROW(name, "%" PRId64, cat_count(t, cats[i]));
	}
	free(cats);
#undef ROW
}

static json_t *as_json(const struct totals *t, const struct rv_opts *o)
{
	char from[40], to[40];
	period(o, from, to, sizeof(from));
	json_t *per = json_pack("{s:s, s:s, s:s}", "from", from, "to", to, "timezone", rv_tzname());
	json_t *cat = json_object();
	size_t nc;
	const char **cats = categories(t->by_cat, &nc);
	for (size_t i = 0; cat && i < nc; i++)
		json_object_set_new(cat, cats[i], json_integer((json_int_t)cat_count(t, cats[i])));
	free(cats);
	json_t *j = json_pack("{s:o, s:I, s:I, s:f, s:f, s:I, s:I, s:f, s:I, s:o, s:I, s:I, s:I, s:o}",
			      "period", per, "sessions", (json_int_t)t->sessions,
			      "sessions_running", (json_int_t)t->running, "hours_of_service",
			      round(hours(t) * 100) / 100, "distance_km",
			      round(t->dist_m / 100) / 10, "stops", (json_int_t)t->stops,
			      "entries", (json_int_t)t->entries, "entries_per_hour",
			      t->dur_ms > 0 ? round((double)t->entries / hours(t) * 100) / 100 : 0.0,
			      "peak_occupancy", (json_int_t)t->peak, "average_occupancy", avg_occ(t),
			      "over_limit_s", (json_int_t)t->over_s, "checkins_missed",
			      (json_int_t)t->ck_missed, "incidents", (json_int_t)t->incidents,
			      "incidents_by_category", cat);
	return j;
}

int rv_cmd_summary(store_t *st, const struct rv_opts *o)
{
	int64_t *ids = NULL;
	size_t n = 0;
	if (rv_session_ids(st, o->since, o->until, &ids, &n) < 0) {
		rv_err(o->cmd, "%s", store_errmsg(st));
		return 1;
	}
	struct totals t = { .by_cat = json_object() };
	int rc = 0;
	if (!t.by_cat) {
		rv_err(o->cmd, "out of memory");
		rc = 1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rv_session s;
		char err[512];
		if (rv_session_load(st, ids[i], 0, NULL, &s, err, sizeof(err)) < 0) {
			rv_err(o->cmd, "session %" PRId64 ": %s", ids[i], err);
			rc = 1;
			break;
		}
		if (add_session(&t, &s) < 0) {
			rv_err(o->cmd, "out of memory");
			rc = 1;
		}
		rv_session_free(&s);
	}
	free(ids);
	struct rv_buf b = { 0 };
	if (rc == 0) {
		if (o->json) {
			json_t *j = as_json(&t, o);
			char *txt = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
			rv_puts(&b, txt);
			rv_puts(&b, "\n");
			if (!txt)
				b.err = -ENOMEM;
			free(txt);
			json_decref(j);
		} else if (o->csv) {
			csv(&b, &t, o);
		} else {
			table(&b, &t, o);
		}
		char err[512];
		if (rv_write_out(o->out ? o->out : "-", &b, o->db, err, sizeof(err)) < 0) {
			rv_err(o->cmd, "%s", err);
			rc = 1;
		}
	}
	json_decref(t.by_cat);
	rv_buf_free(&b);
	return rc;
}
