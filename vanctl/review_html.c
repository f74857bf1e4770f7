/*
 * review_html.c - the HTML report of one session: a single self-contained
 * file (inline CSS and SVG, no script, nothing fetched: a Content Security
 * Policy forbids it), printable (print CSS, A4).
 *
 *  - route: the points drawn as SVG polylines (a gap in the record of more
 *    than ROUTE_GAP_MS breaks the line) on a plain grid with a scale bar
 *    (no map tiles: nothing may be fetched); stops as numbered markers,
 *    stops that would overlap share one marker ("2, 5");
 *  - occupancy over time: a step chart with the limit, time over the
 *    limit in red, stops as bands, incidents as marks;
 *  - the stops table, planned against actual, the incident timeline.
 *
 * Every piece of text from the database goes through rv_xml().
 */
#include "review_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef VAN_VERSION
#define VAN_VERSION "?"
#endif

#define ROUTE_GAP_MS (5 * 60 * 1000)
#define MAP_W 1000.0
#define MAP_H 600.0
#define MAP_PAD 40.0
#define M_PER_DEG 111320.0

static const char CSS[] =
	":root{--ink:#1d2733;--muted:#5b6775;--line:#d5dbe2;--accent:#1f6feb;--warn:#c62828;"
	"--stop:#c2410c;--ok:#2e7d32}\n"
	"*{box-sizing:border-box}\n"
	"body{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;color:var(--ink);"
	"margin:0 auto;max-width:1100px;padding:24px;line-height:1.4;font-size:14px;background:#fff}\n"
	"h1{font-size:22px;margin:0 0 4px}\n"
	"h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}\n"
	".sub{color:var(--muted);margin:0}\n"
	".figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px;"
	"margin-top:16px}\n"
	".fig{border:1px solid var(--line);border-radius:6px;padding:8px 10px}\n"
	".fig .k{display:block;font-size:11px;color:var(--muted);text-transform:uppercase;"
	"letter-spacing:.04em}\n"
	".fig .v{display:block;font-size:17px;font-weight:600}\n"
	".fig.warn .v{color:var(--warn)}\n"
	"svg.map,svg.chart{width:100%;height:auto;display:block;border:1px solid var(--line);"
	"border-radius:6px;background:#fafbfc}\n"
	"svg text{font-family:inherit}\n"
	".legend{color:var(--muted);font-size:12px;margin:6px 0 0}\n"
	".legend span{margin-right:16px;white-space:nowrap}\n"
	".sw{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px;"
	"border-radius:2px}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px}\n"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{background:#f1f4f7;font-weight:600}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.t{white-space:nowrap}\n"
	".note{white-space:pre-wrap;overflow-wrap:anywhere;unicode-bidi:isolate}\n"
	".bad{color:var(--warn);font-weight:600}\n"
	".good{color:var(--ok)}\n"
	".empty{color:var(--muted);font-style:italic}\n"
	"footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);"
	"padding-top:8px}\n"
	"@page{size:A4;margin:12mm}\n"
	"@media print{body{padding:0;max-width:none;font-size:10pt}"
	"section.keep{break-inside:avoid}h2{break-after:avoid}tr{break-inside:avoid}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* ----------------------------------------------------------------- helpers */

static void esc(struct rv_buf *b, const char *s)
{
	rv_xml(b, s, RV_ESC_TEXT);
}

static void fig(struct rv_buf *b, const char *k, const char *v, bool warn)
{
	rv_printf(b, "<div class=\"fig%s\"><span class=\"k\">", warn ? " warn" : "");
	esc(b, k);
	rv_puts(b, "</span><span class=\"v\">");
	esc(b, v);
	rv_puts(b, "</span></div>\n");
}

static void td(struct rv_buf *b, const char *cls, const char *v)
{
	if (cls)
		rv_printf(b, "<td class=\"%s\">", cls);
	else
		rv_puts(b, "<td>");
	esc(b, v);
	rv_puts(b, "</td>");
}

static void td_int(struct rv_buf *b, int64_t v)
{
	rv_printf(b, "<td class=\"n\">%" PRId64 "</td>", v);
}

/* A "nice" length near x: 1, 2 or 5 times a power of ten. */
static double nice(double x)
{
	if (!(x > 0))
		return 1;
	double p = pow(10, floor(log10(x)));
	double f = x / p;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* ------------------------------------------------------------------- route */

struct proj {
	double lat0, k;          /* projection: x = lon * k, y = -lat (degrees) */
	double x0, y0, scale;    /* to SVG units */
	double m_per_unit;
};

static void proj_xy(const struct proj *p, double lat, double lon, double *x, double *y)
{
	*x = (lon * p->k - p->x0) * p->scale + MAP_PAD;
	*y = (-lat - p->y0) * p->scale + MAP_PAD;
}

static bool pos_ok(double lat, double lon)
{
	return isfinite(lat) && isfinite(lon);
}

static bool map_bounds(const struct rv_session *s, struct proj *p)
{
	double minla = INFINITY, maxla = -INFINITY, minlo = INFINITY, maxlo = -INFINITY;
	for (size_t i = 0; i < s->npts; i++) {
		minla = fmin(minla, s->pts[i].lat);
		maxla = fmax(maxla, s->pts[i].lat);
		minlo = fmin(minlo, s->pts[i].lon);
		maxlo = fmax(maxlo, s->pts[i].lon);
	}
	for (size_t i = 0; i < s->nstops; i++) {
		if (!pos_ok(s->stops[i].lat, s->stops[i].lon))
			continue;
		minla = fmin(minla, s->stops[i].lat);
		maxla = fmax(maxla, s->stops[i].lat);
		minlo = fmin(minlo, s->stops[i].lon);
		maxlo = fmax(maxlo, s->stops[i].lon);
	}
	if (!isfinite(minla))
		return false;
	p->lat0 = (minla + maxla) / 2;
	p->k = cos(p->lat0 * M_PI / 180);
	if (p->k < 0.01)
		p->k = 0.01;
	double w = (maxlo - minlo) * p->k, h = maxla - minla;
	double minspan = 300 / M_PER_DEG;   /* at least 300 m across */
	double cx = (maxlo + minlo) / 2 * p->k, cy = -(maxla + minla) / 2;
	if (w < minspan)
		w = minspan;
	if (h < minspan)
		h = minspan;
	double sx = (MAP_W - 2 * MAP_PAD) / w, sy = (MAP_H - 2 * MAP_PAD) / h;
	p->scale = sx < sy ? sx : sy;
	p->x0 = cx - (MAP_W - 2 * MAP_PAD) / 2 / p->scale;
	p->y0 = cy - (MAP_H - 2 * MAP_PAD) / 2 / p->scale;
	p->m_per_unit = M_PER_DEG / p->scale;
	return true;
}

static void map_grid(struct rv_buf *b, const struct proj *p)
{
	/* grid every "nice" distance, about 8 cells across */
	double cell_m = nice(MAP_W * p->m_per_unit / 8);
	double cell = cell_m / p->m_per_unit;
	rv_puts(b, "<g stroke=\"#e6eaee\" stroke-width=\"1\">");
	for (double x = fmod(MAP_PAD, cell); x < MAP_W; x += cell)
		rv_printf(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\"/>", x, x, MAP_H);
	for (double y = fmod(MAP_PAD, cell); y < MAP_H; y += cell)
		rv_printf(b, "<line x1=\"0\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", y, MAP_W, y);
	rv_puts(b, "</g>\n");
	/* scale bar, bottom left, on a white plate */
	char lab[32];
	if (cell_m >= 1000)
		snprintf(lab, sizeof(lab), "%g km", cell_m / 1000);
	else
		snprintf(lab, sizeof(lab), "%g m", cell_m);
	double y = MAP_H - 18;
	rv_printf(b, "<rect x=\"12\" y=\"%.1f\" width=\"%.1f\" height=\"30\" fill=\"#fff\" "
		     "fill-opacity=\"0.85\" rx=\"3\"/>",
		  y - 22, cell + 16);
	rv_printf(b, "<path d=\"M20 %.1f v6 h%.1f v-6\" fill=\"none\" stroke=\"#1d2733\" "
		     "stroke-width=\"2\"/>",
		  y - 6, cell);
	rv_printf(b, "<text x=\"20\" y=\"%.1f\" font-size=\"13\" fill=\"#1d2733\">%s</text>\n",
		  y - 10, lab);
	/* north arrow, top right */
	rv_printf(b, "<g transform=\"translate(%.0f,16)\"><path d=\"M0 24 L8 0 L16 24 L8 18 Z\" "
		     "fill=\"#1d2733\"/><text x=\"8\" y=\"40\" font-size=\"13\" "
		     "text-anchor=\"middle\" fill=\"#1d2733\">N</text></g>\n",
		  MAP_W - 36);
}

static void map_route(struct rv_buf *b, const struct rv_session *s, const struct proj *p,
		      size_t *drawn)
{
	bool open = false;
	double lx = 0, ly = 0;
	for (size_t i = 0; i < s->npts; i++) {
		double x, y;
		proj_xy(p, s->pts[i].lat, s->pts[i].lon, &x, &y);
		bool gap = i > 0 && s->pts[i].t - s->pts[i - 1].t > ROUTE_GAP_MS;
		if (gap && open) {
			rv_puts(b, "\"/>\n");
			open = false;
		}
		if (!open) {
			rv_puts(b, "<polyline class=\"route\" fill=\"none\" stroke=\"#1f6feb\" "
				   "stroke-width=\"3\" stroke-linejoin=\"round\" "
				   "stroke-linecap=\"round\" points=\"");
			rv_printf(b, "%.1f,%.1f", x, y);
			lx = x;
			ly = y;
			open = true;
			(*drawn)++;
			continue;
		}
		/* skip points that would not move the line by a pixel (the last
		 * point of a run is always kept) */
		bool last = i + 1 == s->npts || s->pts[i + 1].t - s->pts[i].t > ROUTE_GAP_MS;
		if (!last && fabs(x - lx) < 1 && fabs(y - ly) < 1)
			continue;
		rv_printf(b, " %.1f,%.1f", x, y);
		lx = x;
		ly = y;
		(*drawn)++;
	}
	if (open)
		rv_puts(b, "\"/>\n");
}

/* Markers drawn on the map, so later ones can keep clear of them. */
struct marks {
	double *x, *y, *w;   /* centre, width (height is 22) */
	size_t n;
};

static bool mark_hit(const struct marks *m, double x, double y, size_t *which)
{
	for (size_t i = 0; i < m->n; i++)
		if (fabs(x - m->x[i]) < m->w[i] / 2 + 8 && fabs(y - m->y[i]) < 19) {
			*which = i;
			return true;
		}
	return false;
}

/* Stop markers; stops closer than MERGE units share one marker ("2,5"). */
#define MERGE 24.0
static void map_stops(struct rv_buf *b, const struct rv_session *s, const struct proj *p,
		      struct marks *m)
{
	size_t n = s->nstops;
	int *group = calloc(n + 1, sizeof(*group));
	m->x = calloc(n + 1, sizeof(double));
	m->y = calloc(n + 1, sizeof(double));
	m->w = calloc(n + 1, sizeof(double));
	m->n = 0;
	if (!group || !m->x || !m->y || !m->w) {
		b->err = b->err ? b->err : -1;
		free(group);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		group[i] = -1;
		if (!pos_ok(s->stops[i].lat, s->stops[i].lon))
			continue;
		double x, y;
		proj_xy(p, s->stops[i].lat, s->stops[i].lon, &x, &y);
		for (size_t g = 0; g < m->n; g++)
			if (hypot(x - m->x[g], y - m->y[g]) < MERGE) {
				group[i] = (int)g;
				break;
			}
		if (group[i] < 0) {
			m->x[m->n] = x;
			m->y[m->n] = y;
			group[i] = (int)m->n++;
		}
	}
	for (size_t g = 0; g < m->n; g++) {
		struct rv_buf lab = { 0 }, tip = { 0 };
		int count = 0;
		for (size_t i = 0; i < n; i++) {
			if (group[i] != (int)g)
				continue;
			char a[48];
			rv_printf(&lab, "%s%zu", count ? "," : "", i + 1);
			rv_printf(&tip, "%sstop %zu: %s", count ? "; " : "", i + 1,
				  rv_tod(s->stops[i].arr, s->ss.started_utc_ms, a, sizeof(a)));
			if (s->stops[i].name) {
				rv_puts(&tip, " ");
				rv_puts(&tip, s->stops[i].name);
			}
			count++;
		}
		double w = lab.len <= 2 ? 22 : 8 + 7.5 * (double)lab.len;
		m->w[g] = w;
		rv_puts(b, "<g class=\"stop\"><title>");
		esc(b, tip.p);
		rv_printf(b, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"22\" "
			     "rx=\"11\" fill=\"#c2410c\" stroke=\"#fff\" stroke-width=\"2\"/>"
			     "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"700\" "
			     "fill=\"#fff\" text-anchor=\"middle\">",
			  m->x[g] - w / 2, m->y[g] - 11, w, m->x[g], m->y[g] + 4.5);
		esc(b, lab.p);
		rv_puts(b, "</text></g>\n");
		if (lab.err || tip.err)
			b->err = b->err ? b->err : -1;
		rv_buf_free(&lab);
		rv_buf_free(&tip);
	}
	free(group);
}

/* An incident's marker opens: its group and tooltip ("21:14 GMT medical:
 * recorded by the crew"); the caller closes the title and draws it. */
static void incident_open(struct rv_buf *b, const struct rv_session *s, const struct rv_event *e)
{
	char at[48], what[160];
	rv_puts(b, "<g class=\"incident\"><title>");
	esc(b, rv_tod(e->t, s->ss.started_utc_ms, at, sizeof(at)));
	rv_puts(b, " ");
	esc(b, e->category ? e->category : "incident");
	rv_puts(b, ": ");
	esc(b, rv_event_what(e, s->ss.started_utc_ms, what, sizeof(what)));
}

/* Incidents as red diamonds; one that would hide under a stop marker sits
 * just right of it, and several there line up. */
static void map_incidents(struct rv_buf *b, const struct rv_session *s, const struct proj *p,
			  const struct marks *m)
{
	size_t *beside = m->n ? calloc(m->n, sizeof(*beside)) : NULL;
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (!e->incident || !e->has_pos || !pos_ok(e->lat, e->lon))
			continue;
		double x, y;
		size_t k;
		proj_xy(p, e->lat, e->lon, &x, &y);
		if (beside && mark_hit(m, x, y, &k)) {
			x = m->x[k] + m->w[k] / 2 + 9 + 15 * (double)beside[k]++;
			y = m->y[k];
		}
		incident_open(b, s, e);
		rv_printf(b, "</title><path d=\"M%.1f %.1f l7 7 l-7 7 l-7 -7 Z\" fill=\"#c62828\" "
			     "stroke=\"#fff\" stroke-width=\"1.5\"/></g>\n",
			  x, y - 7);
	}
	free(beside);
}

static void html_map(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	struct proj p;
	rv_puts(b, "<section class=\"keep\" id=\"route\"><h2>Route</h2>\n");
	if (!map_bounds(s, &p)) {
		rv_puts(b, s->f.route_purged
				   ? "<p class=\"empty\">The route of this session was removed by the "
				     "retention purge: only its figures are kept.</p></section>\n"
			   : s->f.distance_m > 0
				   ? "<p class=\"empty\">No route points are stored for this session: "
				     "only its figures are kept.</p></section>\n"
				   : "<p class=\"empty\">No GPS fix was recorded in this session: there "
				     "is no route to draw.</p></section>\n");
		return;
	}
	rv_printf(b, "<svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		     "aria-label=\"route of the session\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		  MAP_W, MAP_H);
	map_grid(b, &p);
	size_t drawn = 0;
	map_route(b, s, &p, &drawn);
	if (s->npts) {
		/* start: a ring, end: a square inside it when the van came back */
		double x, y;
		proj_xy(&p, s->pts[0].lat, s->pts[0].lon, &x, &y);
		rv_printf(b, "<circle class=\"start\" cx=\"%.1f\" cy=\"%.1f\" r=\"11\" fill=\"#fff\" "
			     "fill-opacity=\"0.7\" stroke=\"#2e7d32\" stroke-width=\"4\">"
			     "<title>start</title></circle>\n",
			  x, y);
		proj_xy(&p, s->pts[s->npts - 1].lat, s->pts[s->npts - 1].lon, &x, &y);
		rv_printf(b, "<rect class=\"end\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
			     "fill=\"#1d2733\"><title>%s</title></rect>\n",
			  x - 5, y - 5, s->f.running ? "last position" : "end");
	}
	struct marks m = { 0 };
	map_stops(b, s, &p, &m);
	map_incidents(b, s, &p, &m);
	free(m.x);
	free(m.y);
	free(m.w);
	rv_puts(b, "</svg>\n");
	rv_printf(b, "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#1f6feb\"></i>"
		     "route (%" PRId64 " points)</span><span><i class=\"sw\" "
		     "style=\"border:3px solid #2e7d32;border-radius:7px\"></i>start</span><span><i "
		     "class=\"sw\" style=\"background:#1d2733;transform:scale(.8)\"></i>%s</span>"
		     "<span><i class=\"sw\" style=\"background:#c2410c;border-radius:6px\"></i>stop "
		     "(number as in the table)</span><span><i class=\"sw\" style=\"background:#c62828;"
		     "transform:rotate(45deg) scale(.75)\"></i>incident</span>",
		  s->f.points, s->f.running ? "last position" : "end");
	rv_printf(b, "<span>positions: %s</span>", o->prec.label);
	if (!s->npts)
		rv_puts(b, "<span>no route points: stops only</span>");
	rv_puts(b, "</p></section>\n");
}

/* ------------------------------------------------------------------ chart */

#define CH_W 1000.0
#define CH_H 320.0
#define CH_L 56.0
#define CH_R 20.0
#define CH_T 28.0
#define CH_B 44.0

struct axes {
	int64_t t0, t1;
	int ymax;
};

static double cx(const struct axes *a, int64_t t)
{
	double span = (double)(a->t1 - a->t0);
	return CH_L + (span > 0 ? (double)(t - a->t0) / span : 0) * (CH_W - CH_L - CH_R);
}

static double cy(const struct axes *a, double v)
{
	return CH_H - CH_B - v / a->ymax * (CH_H - CH_T - CH_B);
}

static void chart_axes(struct rv_buf *b, const struct axes *a)
{
	int step = a->ymax <= 10 ? 1 : a->ymax <= 25 ? 5 : 10;
	rv_puts(b, "<g font-size=\"12\" fill=\"#5b6775\">");
	for (int v = 0; v <= a->ymax; v += step) {
		double y = cy(a, v);
		rv_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#e6eaee\"/>"
			     "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%d</text>",
			  CH_L, y, CH_W - CH_R, y, CH_L - 8, y + 4, v);
	}
	/* time ticks on local whole steps */
	static const int64_t steps[] = { 5, 10, 15, 30, 60, 120, 180, 240, 360, 720 };
	int64_t span_min = (a->t1 - a->t0) / 60000, st = 720;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span_min / steps[i] <= 10) {
			st = steps[i];
			break;
		}
	int64_t stms = st * 60000;
	time_t t0s = (time_t)(a->t0 / 1000);
	struct tm tm;
	localtime_r(&t0s, &tm);
	int64_t off = (int64_t)tm.tm_gmtoff * 1000;
	int64_t t = ((a->t0 + off) / stms + 1) * stms - off;
	char prevzone[16] = "";
	for (; t < a->t1; t += stms) {
		/* re-align after a change of UTC offset (clock change) */
		time_t ts = (time_t)(t / 1000);
		localtime_r(&ts, &tm);
		int64_t o2 = (int64_t)tm.tm_gmtoff * 1000;
		if (o2 != off) {
			int64_t t2 = ((t + o2) / stms) * stms - o2;
			off = o2;
			if (t2 > a->t0)
				t = t2;
		}
		double x = cx(a, t);
		char lab[32], zone[16];
		rv_local(t, "%H:%M", lab, sizeof(lab));
		rv_local(t, "%Z", zone, sizeof(zone));
		rv_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e6eaee\"/>"
			     "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>",
			  x, CH_T, x, CH_H - CH_B + 4, x, CH_H - CH_B + 18, lab);
		if (strcmp(zone, prevzone) != 0) {
			rv_printf(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
				     "font-size=\"10\">", x, CH_H - CH_B + 31);
			esc(b, zone);
			rv_puts(b, "</text>");
			snprintf(prevzone, sizeof(prevzone), "%s", zone);
		}
	}
	rv_printf(b, "<text x=\"14\" y=\"%.0f\" transform=\"rotate(-90 14 %.0f)\" "
		     "text-anchor=\"middle\">on board</text>",
		  (CH_T + CH_H - CH_B) / 2, (CH_T + CH_H - CH_B) / 2);
	rv_puts(b, "</g>\n");
}

static void html_chart(struct rv_buf *b, const struct rv_session *s)
{
	rv_puts(b, "<section class=\"keep\" id=\"occupancy\"><h2>Occupancy over time</h2>\n");
	const struct rv_figs *f = &s->f;
	struct axes a = { .t0 = s->ss.started_utc_ms, .t1 = s->end_ms };
	if (!f->occ_known || a.t1 <= a.t0) {
		rv_puts(b, "<p class=\"empty\">No occupancy record for this session (none made, or "
			   "the detail was purged).</p></section>\n");
		return;
	}
	int ymax = (int)(f->peak > f->limit ? f->peak : f->limit);
	for (size_t i = 0; i < s->nocc; i++) {
		if (s->occ[i].occ > ymax)
			ymax = s->occ[i].occ;
		if (s->occ[i].lim > ymax)
			ymax = s->occ[i].lim;
	}
	a.ymax = ymax < 1 ? 2 : ymax + 1;
	rv_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		     "aria-label=\"occupancy over time\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		  CH_W, CH_H);
	/* stops as bands */
	for (size_t i = 0; i < s->nstops; i++) {
		const struct rv_stop *st = &s->stops[i];
		int64_t t0 = st->arr < a.t0 ? a.t0 : st->arr;
		int64_t t1 = st->dep ? st->dep : s->end_ms;
		if (t1 > a.t1)
			t1 = a.t1;
		if (t1 <= t0)
			continue;
		double x0 = cx(&a, t0), x1 = cx(&a, t1);
		rv_printf(b, "<rect class=\"stopband\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
			     "height=\"%.0f\" fill=\"#fbe3d3\"/>",
			  x0, CH_T, x1 - x0 < 1 ? 1 : x1 - x0, CH_H - CH_T - CH_B);
		if (x1 - x0 >= 16)
			rv_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" fill=\"#c2410c\" "
				     "text-anchor=\"middle\" font-weight=\"700\">%zu</text>",
				  (x0 + x1) / 2, CH_T + 14, i + 1);
	}
	rv_puts(b, "\n");
	chart_axes(b, &a);

	/* the series as steps (an empty series: zero throughout) */
	struct rv_occ zero = { .t = a.t0, .occ = 0, .lim = (int)f->limit };
	const struct rv_occ *ser = s->nocc ? s->occ : &zero;
	size_t n = s->nocc ? s->nocc : 1;
	struct rv_buf line = { 0 }, lim = { 0 }, over = { 0 };
	bool lim_open = false;
	for (size_t i = 0; i < n; i++) {
		int64_t t0 = ser[i].t < a.t0 ? a.t0 : ser[i].t;
		int64_t t1 = i + 1 < n ? ser[i + 1].t : a.t1;
		if (t1 > a.t1)
			t1 = a.t1;
		if (t1 < t0)
			continue;
		double x0 = cx(&a, t0), x1 = cx(&a, t1), y = cy(&a, ser[i].occ);
		rv_printf(&line, "%s%.1f,%.1f %.1f,%.1f", line.len ? " " : "", x0, y, x1, y);
		if (ser[i].lim >= 0) {
			double yl = cy(&a, ser[i].lim);
			rv_printf(&lim, "%s%.1f,%.1f %.1f,%.1f", lim.len ? " " : "", x0, yl, x1, yl);
			lim_open = true;
			if (ser[i].occ > ser[i].lim && x1 > x0)
				rv_printf(&over, "<rect class=\"over\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
					     "height=\"%.1f\" fill=\"#c62828\" fill-opacity=\"0.55\"/>",
					  x0, y, x1 - x0 < 1.5 ? 1.5 : x1 - x0, yl - y);
		}
	}
	if (line.len) {
		rv_printf(b, "<polygon points=\"%.1f,%.1f %s %.1f,%.1f\" fill=\"#1f6feb\" "
			     "fill-opacity=\"0.12\"/>\n",
			  cx(&a, a.t0), cy(&a, 0), line.p, cx(&a, a.t1), cy(&a, 0));
		rv_printf(b, "<polyline class=\"occupancy\" points=\"%s\" fill=\"none\" "
			     "stroke=\"#1f6feb\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n",
			  line.p);
	}
	if (over.len)
		rv_putn(b, over.p, over.len);
	if (lim_open)
		rv_printf(b, "<polyline class=\"limit\" points=\"%s\" fill=\"none\" stroke=\"#c62828\" "
			     "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
			  lim.p);
	if (line.err || lim.err || over.err)
		b->err = b->err ? b->err : -1;
	rv_buf_free(&line);
	rv_buf_free(&lim);
	rv_buf_free(&over);
	/* incidents as marks on the top edge */
	for (size_t i = 0; i < s->nevs; i++) {
		const struct rv_event *e = &s->evs[i];
		if (!e->incident || e->t < a.t0 || e->t > a.t1)
			continue;
		double x = cx(&a, e->t);
		incident_open(b, s, e);
		rv_printf(b, "</title><line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
			     "stroke=\"#c62828\" stroke-dasharray=\"2 3\"/><path d=\"M%.1f %.0f "
			     "l-5 -9 h10 Z\" fill=\"#c62828\"/></g>\n",
			  x, CH_T, x, CH_H - CH_B, x, CH_T);
	}
	rv_puts(b, "</svg>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:#1f6feb\">"
		   "</i>on board</span><span><i class=\"sw\" style=\"background:none;border-top:2px "
		   "dashed #c62828;height:0\"></i>limit</span><span><i class=\"sw\" "
		   "style=\"background:#c62828;opacity:.55\"></i>over the limit</span><span><i "
		   "class=\"sw\" style=\"background:#fbe3d3\"></i>at a stop (number)</span><span><i "
		   "class=\"sw\" style=\"background:#c62828;clip-path:polygon(0 0,100% 0,50% 100%)\">"
		   "</i>incident</span></p></section>\n");
}

/* ------------------------------------------------------------------ tables */

static void html_stops(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	rv_printf(b, "<section id=\"stops\"><h2>Stops (%zu)</h2>\n", s->nstops);
	if (!s->nstops) {
		rv_puts(b, "<p class=\"empty\">No stops recorded.</p></section>\n");
		return;
	}
	rv_puts(b, "<table class=\"stops\"><thead><tr><th class=\"n\">#</th><th>Place</th>"
		   "<th>Arrival</th><th>Departure</th><th class=\"n\">Time on site</th>"
		   "<th class=\"n\">Entries</th><th class=\"n\">Peak</th><th class=\"n\">Door "
		   "openings</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->nstops; i++) {
		struct rv_stop_view v;
		rv_stop_view(s, &s->stops[i], &o->prec, &v);
		rv_printf(b, "<tr><td class=\"n\">%zu</td>", v.no);
		td(b, NULL, v.place);
		td(b, "t", v.arr);
		td(b, "t", v.dep);
		td(b, "n", v.on_site);
		td_int(b, v.entries);
		td_int(b, v.peak);
		td_int(b, v.doors);
		rv_puts(b, "</tr>\n");
	}
	rv_puts(b, "</tbody></table></section>\n");
}

static void html_plan(struct rv_buf *b, const struct rv_session *s, const struct rv_plan *p)
{
	int64_t ref = s->ss.started_utc_ms;
	rv_puts(b, "<section id=\"plan\"><h2>Planned against actual");
	if (s->ss.plan) {
		rv_puts(b, ": plan ");
		esc(b, s->ss.plan);
	}
	rv_puts(b, "</h2>\n");
	if (!p->n) {
		rv_puts(b, "<p class=\"empty\">No planned locations recorded.</p>\n");
	} else {
		rv_puts(b, "<table class=\"plan\"><thead><tr><th class=\"n\">#</th><th>Planned "
			   "location</th><th>Window</th><th>Arrived</th><th>Against the window</th>"
			   "<th class=\"n\">Planned dwell</th><th class=\"n\">Time on site</th>"
			   "<th>Against the dwell</th></tr></thead><tbody>\n");
	}
	for (size_t i = 0; i < p->n; i++) {
		struct rv_plan_view v;
		rv_plan_view(s, p, i, &v);
		rv_printf(b, "<tr><td class=\"n\">%" PRId64 "</td>", v.no);
		td(b, NULL, v.name);
		td(b, "t", v.win);
		td(b, "t", v.arr);
		switch (v.against_window) {
		case RV_WIN_LEFT_OUT:
			rv_puts(b, "<td class=\"bad\">left out by the crew: ");
			esc(b, v.skip_reason);
			rv_puts(b, "</td>");
			break;
		case RV_WIN_SKIPPED:
			rv_puts(b, "<td class=\"bad\">skipped");
			if (v.passed_for) {
				rv_puts(b, " (went on to ");
				esc(b, v.passed_for);
				rv_puts(b, ")");
			}
			rv_puts(b, "</td>");
			break;
		case RV_WIN_NOT_REACHED:
			rv_puts(b, "<td class=\"bad\">not reached</td>");
			break;
		case RV_WIN_LATE:
		case RV_WIN_EARLY:
			rv_printf(b, "<td class=\"bad\">%s %s</td>",
				  v.against_window == RV_WIN_LATE ? "late" : "early", v.off_by);
			break;
		case RV_WIN_ON_TIME:
		case RV_WIN_NONE:
			rv_printf(b, "<td class=\"good\">%s</td>",
				  v.against_window == RV_WIN_ON_TIME ? "on time" : "");
			break;
		}
		td(b, "n", v.dwell);
		td(b, "n", v.on_site);
		if (v.against_dwell == RV_DWELL_AS_PLANNED)
			rv_puts(b, "<td class=\"good\">as planned</td>");
		else if (v.against_dwell != RV_DWELL_NONE)
			rv_printf(b, "<td class=\"%s\">%s %s</td>",
				  v.against_dwell == RV_DWELL_SHORT ? "bad" : "",
				  v.against_dwell == RV_DWELL_SHORT ? "short by" : "longer by", v.dwell_off_by);
		else
			rv_puts(b, "<td></td>");
		rv_puts(b, "</tr>\n");
	}
	if (p->n)
		rv_puts(b, "</tbody></table>\n");
	size_t nun = p->nunplanned + p->nunplanned_ev;
	rv_printf(b, "<p>Unplanned stops: <b>%zu</b>", nun);
	for (size_t i = 0; i < p->nunplanned; i++) {
		struct rv_stop_view v;
		rv_stop_view(s, p->unplanned[i], NULL, &v);
		rv_printf(b, "%sstop %zu at %s for %s", i ? "; " : " (", v.no, v.arr, v.on_site);
	}
	for (size_t i = 0; i < p->nunplanned_ev; i++) {
		char a[48];
		rv_printf(b, "%sat %s", i || p->nunplanned ? "; " : " (",
			  rv_tod(p->unplanned_ev[i]->t, ref, a, sizeof(a)));
	}
	rv_puts(b, nun ? ")</p>\n" : "</p>\n");
	if (p->nat_base) {
		rv_puts(b, "<p>Waits at base (not unplanned): ");
		for (size_t i = 0; i < p->nat_base; i++) {
			struct rv_stop_view v;
			rv_stop_view(s, p->at_base[i], NULL, &v);
			rv_printf(b, "%sstop %zu at %s for %s", i ? "; " : "", v.no, v.arr, v.on_site);
		}
		rv_puts(b, "</p>\n");
	}
	/* deviations and recorded changes of plan */
	bool head = false;
	for (size_t i = 0; i < s->nevs; i++) {
		struct rv_event_view v;
		if (!rv_plan_event_view(s, &s->evs[i], &v))
			continue;
		if (!head) {
			rv_puts(b, "<table class=\"planev\"><thead><tr><th>Time</th><th>Deviation or "
				   "change of plan</th></tr></thead><tbody>\n");
			head = true;
		}
		rv_puts(b, "<tr>");
		td(b, "t", v.when);
		td(b, NULL, v.what);
		rv_puts(b, "</tr>\n");
	}
	if (head)
		rv_puts(b, "</tbody></table>\n");
	rv_puts(b, "</section>\n");
}

static void html_incidents(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	rv_printf(b, "<section id=\"incidents\"><h2>Incidents (%" PRId64 ")</h2>\n", s->f.incidents);
	if (!s->f.incidents) {
		rv_puts(b, "<p class=\"empty\">No incidents recorded.</p></section>\n");
		return;
	}
	rv_puts(b, "<table class=\"incidents\"><thead><tr><th>Time</th><th>Category</th>"
		   "<th>What</th><th>Where</th><th>Note (crew text)</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->nevs; i++) {
		struct rv_event_view v;
		if (!s->evs[i].incident)
			continue;
		rv_incident_view(s, &s->evs[i], &o->prec, &v);
		rv_puts(b, "<tr>");
		td(b, "t", v.when);
		td(b, NULL, v.category);
		td(b, NULL, v.what);
		td(b, "t", v.place);
		td(b, "note", v.note ? v.note : "");
		rv_puts(b, "</tr>\n");
	}
	rv_puts(b, "</tbody></table></section>\n");
}

/* ------------------------------------------------------------------ report */

static void html_figs(struct rv_buf *b, const struct rv_session *s)
{
	const struct store_session *ss = &s->ss;
	const struct rv_figs *f = &s->f;
	int64_t ref = ss->started_utc_ms;
	char v[96], t[64];
	rv_puts(b, "<section class=\"figs keep\" id=\"figures\">\n");
	fig(b, "Started", rv_tod(ref, 0, v, sizeof(v)), false);
	if (f->running)
		fig(b, "Ended", "still running", true);
	else
		fig(b, "Ended", rv_tod(ss->ended_utc_ms, ref, v, sizeof(v)), false);
	if (ss->planned_end_utc_ms) {
		int64_t late = f->running ? 0 : ss->ended_utc_ms - ss->planned_end_utc_ms;
		rv_tod(ss->planned_end_utc_ms, ref, t, sizeof(t));
		if (late > 60000) {
			char d[24];
			snprintf(v, sizeof(v), "%s (+%s)", t, rv_dur(late, d, sizeof(d)));
		} else {
			snprintf(v, sizeof(v), "%s", t);
		}
		fig(b, "Planned end", v, late > 60000);
	}
	fig(b, "Duration", rv_dur(f->duration_ms, v, sizeof(v)), false);
	fig(b, "Distance", rv_km(f->distance_m, v, sizeof(v)), false);
	snprintf(v, sizeof(v), "%d%s", ss->crew, ss->lone ? " (lone)" : "");
	fig(b, "Crew", v, ss->lone);
	snprintf(v, sizeof(v), "%" PRId64, f->stops);
	fig(b, "Stops", v, false);
	snprintf(v, sizeof(v), "%" PRId64, f->entries);
	fig(b, "Entries", v, false);
	if (f->limit >= 0)
		snprintf(v, sizeof(v), "%" PRId64 " (limit %" PRId64 ")", f->peak, f->limit);
	else
		snprintf(v, sizeof(v), "%" PRId64, f->peak);
	fig(b, "Peak on board", v, f->limit >= 0 && f->peak > f->limit);
	if (f->at_end > 0) {
		snprintf(v, sizeof(v), "%" PRId64 " still counted", f->at_end);
		fig(b, "On board at the end", v, true);
	}
	if (f->occ_known && f->occ_span_ms > 0) {
		snprintf(v, sizeof(v), "%.1f", f->occ_integral / (double)f->occ_span_ms);
		fig(b, "Average on board", v, false);
	}
	fig(b, "Time over limit", rv_dur(f->over_limit_s * 1000, v, sizeof(v)), f->over_limit_s > 0);
	snprintf(v, sizeof(v), "%" PRId64 " made / %" PRId64 " missed", f->ck_made, f->ck_missed);
	fig(b, "Check-ins", v, f->ck_missed > 0);
	snprintf(v, sizeof(v), "%" PRId64, f->incidents);
	fig(b, "Incidents", v, f->incidents > 0);
	rv_puts(b, "</section>\n");
}

void rv_report_html(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o)
{
	const struct store_session *ss = &s->ss;
	char day[64], iso[32], now[64];
	rv_local(ss->started_utc_ms, "%A %-d %B %Y", day, sizeof(day));
	rv_local(ss->started_utc_ms, "%Y-%m-%d", iso, sizeof(iso));
	rv_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		   "style-src 'unsafe-inline'; img-src data:\">\n"
		   "<link rel=\"icon\" href=\"data:,\">\n");
	rv_printf(b, "<title>Session %s: outreach van report</title>\n", iso);
	rv_printf(b, "<style>\n%s</style>\n</head>\n<body>\n", CSS);
	rv_printf(b, "<header><h1>Session report: %s</h1>\n<p class=\"sub\">Session %" PRId64
		     " &middot; times in ",
		  day, ss->id);
	esc(b, rv_tzname());
	rv_printf(b, " &middot; positions %s%s &middot; counts only: no service user's identity "
		     "is recorded",
		  o->prec.label, s->names_hidden ? ", place names and notes left out" : "");
	if (ss->plan) {
		rv_puts(b, " &middot; plan ");
		esc(b, ss->plan);
	}
	rv_puts(b, "</p></header>\n");
	html_figs(b, s);
	html_map(b, s, o);
	html_chart(b, s);
	html_stops(b, s, o);
	struct rv_plan p;
	if (rv_plan_build(s, &p) == 0) {
		if (p.present)
			html_plan(b, s, &p);
		rv_plan_free(&p);
	} else {
		b->err = b->err ? b->err : -1;
	}
	html_incidents(b, s, o);
	time_t tnow = time(NULL);
	rv_local((int64_t)tnow * 1000, "%Y-%m-%d %H:%M %Z", now, sizeof(now));
	rv_printf(b, "<footer>Made by vanctl %s on %s from the van's own record (UTC stored, "
		     "local time shown). Notes are written by the crew. Check-ins include the start "
		     "and the end of the session.</footer>\n</body>\n</html>\n",
		  VAN_VERSION, now);
}
