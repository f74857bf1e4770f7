/*
 * review_export.c - `vanctl export`: one or more sessions as
 *  - GPX 1.1: the stops as waypoints (<wpt>, all before the tracks as the
 *    schema orders them), each session a <trk>; a gap of more than
 *    EXPORT_GAP_MS in the record starts a new <trkseg> (GPX: "start a new
 *    Track Segment for each continuous span of track data");
 *  - GeoJSON (RFC 7946): per session a route Feature (LineString; a Point
 *    for a single fix; geometry null with no fix) and one Point Feature per
 *    stop (geometry null where the stop's place is unknown or purged), each
 *    encoded by jansson;
 *  - CSV: the route points, one row each.
 * Sessions are read one at a time, so a month's export does not hold every
 * session's route in memory twice.  With a coarse --precision, consecutive
 * points that land on the same grid point are written once.
 */
#include "review_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vtime.h"

#ifndef VAN_VERSION
#define VAN_VERSION "?"
#endif

#define EXPORT_GAP_MS (5 * 60 * 1000)

struct exp {
	const char *fmt;
	const struct rv_opts *o;
	struct rv_buf wpt, trk;   /* GPX: waypoints and tracks, joined at the end */
	size_t nfeat;             /* GeoJSON features written */
	int err;
};

/* Decimal places written: exact keeps 1e-7 degrees (about 1 cm); a coarse
 * grid point is written to 1e-6 so it stays on its grid (rounding it to
 * fewer places would move it off by up to half the last place). */
static int decimals(const struct rv_opts *o)
{
	return o->prec.m > 0 ? 6 : 7;
}

static double round_to(double v, int d)
{
	double k = pow(10, d);
	return round(v * k) / k;
}

static bool same_as_prev(const struct rv_session *s, size_t i, const struct rv_opts *o)
{
	return o->prec.m > 0 && i > 0 && s->pts[i].lat == s->pts[i - 1].lat &&
	       s->pts[i].lon == s->pts[i - 1].lon;
}

/* "2026-03-14T19:00:05+00:00": local time with its offset. */
static char *iso_local(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	int a = (int)((off < 0 ? -off : off) % 86400);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, a / 3600,
		 a % 3600 / 60);
	return buf;
}

/* -------------------------------------------------------------------- GPX */

static void gpx_session(struct exp *x, const struct rv_session *s)
{
	const struct rv_opts *o = x->o;
	int d = decimals(o);
	int64_t ref = s->ss.started_utc_ms;
	char day[32], iso[40], a[48], dep[48], on[24];
	rv_local(ref, "%Y-%m-%d", day, sizeof(day));
	for (size_t i = 0; i < s->nstops; i++) {
		const struct rv_stop *st = &s->stops[i];
		if (!isfinite(st->lat) || !isfinite(st->lon))
			continue;
		struct rv_buf *b = &x->wpt;
		rv_printf(b, "<wpt lat=\"%.*f\" lon=\"%.*f\"><time>%s</time><name>", d,
			  round_to(st->lat, d), d, round_to(st->lon, d),
			  rv_iso_utc(st->arr, iso, sizeof(iso)));
		rv_printf(b, "%s stop %zu", day, i + 1);
		if (st->name) {
			rv_puts(b, ": ");
			rv_xml(b, st->name, RV_ESC_TEXT);
		}
		rv_tod(st->arr, ref, a, sizeof(a));
		if (st->dep)
			rv_tod(st->dep, ref, dep, sizeof(dep));
		else
			snprintf(dep, sizeof(dep), "%s", s->f.running ? "still there" : "at the end of the session");
		rv_dur((st->dep ? st->dep : s->end_ms) - st->arr, on, sizeof(on));
		rv_puts(b, "</name><desc>");
		struct rv_buf desc = { 0 };
		rv_printf(&desc, "session %" PRId64 "; arrived %s; left %s; on site %s; entries %d; "
				 "peak on board %d; door openings %d",
			  s->ss.id, a, dep, on, st->entries, st->peak, st->doors);
		rv_xml(b, desc.p, RV_ESC_TEXT);
		if (desc.err)
			x->err = -1;
		rv_buf_free(&desc);
		rv_puts(b, "</desc><type>stop</type></wpt>\n");
	}

	struct rv_buf *b = &x->trk;
	if (s->ss.id)
		rv_printf(b, "<trk><name>%s session %" PRId64 "</name><type>outreach session</type>\n",
			  day, s->ss.id);
	else
		rv_printf(b, "<trk><name>%s between sessions</name><type>outside a session</type>\n", day);
	bool open = false;
	for (size_t i = 0; i < s->npts; i++) {
		const struct rv_point *p = &s->pts[i];
		if (same_as_prev(s, i, o))
			continue;
		if (open && p->t - s->pts[i - 1].t > EXPORT_GAP_MS) {
			rv_puts(b, "</trkseg>\n");
			open = false;
		}
		if (!open) {
			rv_puts(b, "<trkseg>\n");
			open = true;
		}
		rv_printf(b, "<trkpt lat=\"%.*f\" lon=\"%.*f\">", d, round_to(p->lat, d), d,
			  round_to(p->lon, d));
		if (isfinite(p->alt) && o->prec.m == 0)
			rv_printf(b, "<ele>%.1f</ele>", p->alt);
		rv_printf(b, "<time>%s</time>", rv_iso_utc(p->t, iso, sizeof(iso)));
		if (p->mode == 2 || p->mode == 3)
			rv_printf(b, "<fix>%dd</fix>", p->mode);
		if (p->sats >= 0)
			rv_printf(b, "<sat>%d</sat>", p->sats);
		rv_puts(b, "</trkpt>\n");
	}
	if (open)
		rv_puts(b, "</trkseg>\n");
	rv_puts(b, "</trk>\n");
}

static void gpx_end(struct exp *x, struct rv_buf *b)
{
	rv_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<gpx version=\"1.1\" creator=\"vanctl " VAN_VERSION "\" "
		   "xmlns=\"http://www.topografix.com/GPX/1/1\" "
		   "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		   "xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 "
		   "http://www.topografix.com/GPX/1/1/gpx.xsd\">\n");
	rv_printf(b, "<metadata><name>outreach van sessions</name><desc>vanctl export; positions "
		     "%s; counts only, no identities</desc></metadata>\n",
		  x->o->prec.label);
	if (x->wpt.len)
		rv_putn(b, x->wpt.p, x->wpt.len);
	if (x->trk.len)
		rv_putn(b, x->trk.p, x->trk.len);
	rv_puts(b, "</gpx>\n");
	if (x->wpt.err || x->trk.err)
		x->err = -1;
}

/* ---------------------------------------------------------------- GeoJSON */

static json_t *iso_or_null(int64_t ms)
{
	char iso[40];
	return ms ? json_string(rv_iso_utc(ms, iso, sizeof(iso))) : json_null();
}

static json_t *position(double lat, double lon, int d)
{
	return json_pack("[ff]", round_to(lon, d), round_to(lat, d));
}

static void feature_out(struct exp *x, struct rv_buf *b, json_t *f)
{
	char *txt = f ? json_dumps(f, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	if (!txt) {
		x->err = -1;
	} else {
		rv_puts(b, x->nfeat++ ? ",\n" : "\n");
		rv_puts(b, txt);
	}
	free(txt);
	json_decref(f);
}

static void geojson_session(struct exp *x, struct rv_buf *b, const struct rv_session *s)
{
	const struct rv_opts *o = x->o;
	int d = decimals(o);
	json_t *geom = json_null();
	size_t written = 0;
	if (s->npts >= 2) {
		json_t *coords = json_array();
		for (size_t i = 0; coords && i < s->npts; i++) {
			if (same_as_prev(s, i, o))
				continue;
			if (json_array_append_new(coords, position(s->pts[i].lat, s->pts[i].lon, d)))
				x->err = -1;
			written++;
		}
		json_decref(geom);
		geom = written >= 2 ? json_pack("{s:s, s:o}", "type", "LineString", "coordinates",
						coords)
				    : json_pack("{s:s, s:o}", "type", "Point", "coordinates",
						json_incref(json_array_get(coords, 0)));
		if (written < 2)
			json_decref(coords);
	} else if (s->npts == 1) {
		json_decref(geom);
		geom = json_pack("{s:s, s:o}", "type", "Point", "coordinates",
				 position(s->pts[0].lat, s->pts[0].lon, d));
		written = 1;
	}
	json_t *props = json_pack(
		"{s:s, s:I, s:o, s:o, s:o, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:s}", "kind",
		"route", "session_id", (json_int_t)s->ss.id, "started_utc",
		iso_or_null(s->ss.started_utc_ms), "ended_utc", iso_or_null(s->ss.ended_utc_ms),
		"planned_end_utc", iso_or_null(s->ss.planned_end_utc_ms), "duration_s",
		(json_int_t)(s->f.duration_ms / 1000), "points", (json_int_t)written,
		"distance_m",
		isfinite(s->f.distance_m) ? json_integer((json_int_t)llround(s->f.distance_m))
					  : json_null(),
		"stops", (json_int_t)s->f.stops, "entries", (json_int_t)s->f.entries,
		"peak_occupancy", (json_int_t)s->f.peak, "incidents", (json_int_t)s->f.incidents,
		"crew", (json_int_t)s->ss.crew, "precision", o->prec.label);
	if (props && s->ss.plan)
		json_object_set_new(props, "plan", json_string(s->ss.plan));
	if (props && !s->ss.id)
		json_object_set_new(props, "between_sessions", json_true());
	if (s->npts && props) {
		json_object_set_new(props, "first_utc", iso_or_null(s->pts[0].t));
		json_object_set_new(props, "last_utc", iso_or_null(s->pts[s->npts - 1].t));
	}
	feature_out(x, b, json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geom,
				    "properties", props));

	for (size_t i = 0; i < s->nstops; i++) {
		const struct rv_stop *st = &s->stops[i];
		int64_t on = (st->dep ? st->dep : s->end_ms) - st->arr;
		json_t *g = isfinite(st->lat) && isfinite(st->lon)
				    ? json_pack("{s:s, s:o}", "type", "Point", "coordinates",
						position(st->lat, st->lon, d))
				    : json_null();
		json_t *p = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:I, s:i, s:i, s:i}", "kind",
				      "stop", "session_id", (json_int_t)s->ss.id, "number",
				      (json_int_t)(i + 1), "name",
				      st->name ? json_string(st->name) : json_null(), "arrival_utc",
				      iso_or_null(st->arr), "departure_utc", iso_or_null(st->dep),
				      "on_site_s", (json_int_t)(on > 0 ? on / 1000 : 0), "entries",
				      st->entries, "peak_occupancy", st->peak, "door_openings",
				      st->doors);
		feature_out(x, b, json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", g,
					    "properties", p));
	}
}

/* -------------------------------------------------------------------- CSV */

static void csv_num(struct rv_buf *b, double v, int d)
{
	rv_puts(b, ",");
	if (isfinite(v))
		rv_printf(b, "%.*f", d, v);
}

static void csv_session(struct exp *x, struct rv_buf *b, const struct rv_session *s)
{
	const struct rv_opts *o = x->o;
	int d = decimals(o);
	char iso[40], loc[64];
	for (size_t i = 0; i < s->npts; i++) {
		const struct rv_point *p = &s->pts[i];
		if (same_as_prev(s, i, o))
			continue;
		rv_printf(b, "%" PRId64 ",%s,%s,%.*f,%.*f", s->ss.id, rv_iso_utc(p->t, iso, sizeof(iso)),
			  iso_local(p->t, loc, sizeof(loc)), d, round_to(p->lat, d), d,
			  round_to(p->lon, d));
		csv_num(b, o->prec.m > 0 ? NAN : p->alt, 1);
		csv_num(b, p->speed, 2);
		csv_num(b, p->track, 1);
		csv_num(b, o->prec.m > 0 ? NAN : p->eph, 1);
		rv_printf(b, ",%d,", p->mode);
		if (p->sats >= 0)
			rv_printf(b, "%d", p->sats);
		rv_puts(b, ",");
		rv_csv(b, utc_src_name((enum utc_src)p->src));
		rv_puts(b, "\r\n");
	}
}

/* ------------------------------------------------------------------ driver */

static void exp_begin(struct exp *x, struct rv_buf *b)
{
	if (strcmp(x->fmt, "geojson") == 0)
		rv_puts(b, "{\"type\":\"FeatureCollection\",\"features\":[");
	else if (strcmp(x->fmt, "csv") == 0)
		rv_puts(b, "session_id,utc,local,lat,lon,alt_m,speed_mps,track_deg,eph_m,mode,sats,"
			   "utc_src\r\n");
}

static void exp_session(struct exp *x, struct rv_buf *b, const struct rv_session *s)
{
	if (strcmp(x->fmt, "gpx") == 0)
		gpx_session(x, s);
	else if (strcmp(x->fmt, "geojson") == 0)
		geojson_session(x, b, s);
	else
		csv_session(x, b, s);
}

static int exp_end(struct exp *x, struct rv_buf *b)
{
	if (strcmp(x->fmt, "gpx") == 0)
		gpx_end(x, b);
	else if (strcmp(x->fmt, "geojson") == 0)
		rv_puts(b, "\n]}\n");
	rv_buf_free(&x->wpt);
	rv_buf_free(&x->trk);
	return x->err || b->err ? -1 : 0;
}

int rv_export_build(struct rv_buf *b, const char *fmt, struct rv_session *const *ss, size_t n,
		    const struct rv_opts *o)
{
	if (strcmp(fmt, "gpx") && strcmp(fmt, "geojson") && strcmp(fmt, "csv"))
		return -1;
	struct exp x = { .fmt = fmt, .o = o };
	exp_begin(&x, b);
	for (size_t i = 0; i < n; i++)
		exp_session(&x, b, ss[i]);
	return exp_end(&x, b);
}

int rv_cmd_export(store_t *st, const struct rv_opts *o)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = 0;
	if (o->nargs) {
		ids = calloc((size_t)o->nargs, sizeof(*ids));
		if (!ids) {
			rv_err(o->cmd, "out of memory");
			return 1;
		}
		for (int i = 0; i < o->nargs; i++)
			if (rv_session_arg(st, o, o->args[i], &ids[n++])) {
				free(ids);
				return 1;
			}
	} else if (rv_session_ids(st, o->since, o->until, &ids, &n) < 0) {
		rv_err(o->cmd, "%s", store_errmsg(st));
		return 1;
	}
	if (n == 0 && !o->between)
		fprintf(stderr, "vanctl export: no sessions in that range (writing an empty %s)\n",
			o->format);
	struct rv_buf b = { 0 };
	struct exp x = { .fmt = o->format, .o = o };
	exp_begin(&x, &b);
	for (size_t i = 0; i < n; i++) {
		struct rv_session s;
		char err[512];
		if (rv_session_load(st, ids[i], RV_LOAD_ALL, &o->prec, &s, err, sizeof(err)) < 0) {
			rv_err(o->cmd, "session %" PRId64 ": %s", ids[i], err);
			rc = 1;
			break;
		}
		exp_session(&x, &b, &s);
		rv_session_free(&s);
	}
	if (rc == 0 && o->between) {
		/* the van's route outside any session: reviewable as such */
		struct rv_session s;
		char err[512];
		if (rv_between_load(st, o->since, o->has_until ? o->until : INT64_MAX, &o->prec, &s, err,
				    sizeof(err)) < 0) {
			rv_err(o->cmd, "points between sessions: %s", err);
			rc = 1;
		} else {
			if (s.npts)
				exp_session(&x, &b, &s);
			rv_session_free(&s);
		}
	}
	if (exp_end(&x, &b) < 0 && rc == 0) {
		rv_err(o->cmd, "out of memory building the export");
		rc = 1;
	}
	char err[512];
	if (rc == 0 && rv_write_out(o->out ? o->out : "-", &b, o->db, err, sizeof(err)) < 0) {
		rv_err(o->cmd, "%s", err);
		rc = 1;
	}
	rv_buf_free(&b);
	free(ids);
	return rc;
}
