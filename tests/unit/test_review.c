/*
 * test_review.c - unit tests of the manager's review (vanctl/review*.c):
 * the escapers against hostile text, time and date handling across the
 * clock change, precision, the session model on the fixture database
 * (tests/data/review_fixture.c, made at test time), planned against
 * actual, the reports and exports, and review_main's argument handling.
 *
 * Runs with TZ=Europe/London (set here): the fixture has a session across
 * the end of summer time on 2026-10-25.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "review.h"
#include "review_util.h"

static char dir[PATH_MAX], dbpath[PATH_MAX + 16];
static store_t *st;
static json_t *expect;

static int64_t xid(const char *name)
{
	return (int64_t)json_integer_value(json_object_get(json_object_get(expect, name), "id"));
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Build the fixture with review_fixture from beside this test binary. */
static int group_setup(void **state)
{
	(void)state;
	setenv("TZ", "Europe/London", 1);
	tzset();
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/review-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/fx.db", dir);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "'%s/review_fixture' '%s' > '%s/ids.txt'", dirname(exe), dbpath,
		 dir);
	if (system(cmd) != 0)
		return -1;
	char ej[PATH_MAX + 32];
	snprintf(ej, sizeof(ej), "%s.expect.json", dbpath);
	expect = json_load_file(ej, 0, NULL);
	char err[512];
	if (!expect || !(st = store_open(dbpath, true, err, sizeof(err)))) {
		fprintf(stderr, "fixture: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	store_close(st);
	json_decref(expect);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ------------------------------------------------------------- escapers */

static char *xml(const char *s, int mode)
{
	static struct rv_buf b;
	rv_buf_free(&b);
	rv_xml(&b, s, mode);
	assert_int_equal(b.err, 0);
	return b.p ? b.p : (char *)"";
}

static void test_xml_escape(void **state)
{
	(void)state;
	assert_string_equal(xml("plain text", RV_ESC_TEXT), "plain text");
	assert_string_equal(xml("<b>&\"'</b>", RV_ESC_TEXT),
			    "&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;");
	assert_string_equal(xml("</td></table><script>alert(1)</script>", RV_ESC_TEXT),
			    "&lt;/td&gt;&lt;/table&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_string_equal(xml("]]>", RV_ESC_TEXT), "]]&gt;");
	/* tab/newline kept in text, references in attributes; CR always a reference */
	assert_string_equal(xml("a\tb\nc\rd", RV_ESC_TEXT), "a\tb\nc&#13;d");
	assert_string_equal(xml("a\tb\nc\rd", RV_ESC_ATTR), "a&#9;b&#10;c&#13;d");
	/* C0 controls, DEL: not allowed in XML 1.0 at all -> U+FFFD */
	assert_string_equal(xml("x\x01y\x07z\x1b[31m\x7f", RV_ESC_TEXT),
			    "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD[31m\xEF\xBF\xBD");
	/* C1 controls (U+0080..U+009F) and U+FFFE/U+FFFF -> U+FFFD */
	assert_string_equal(xml("\xC2\x85|\xC2\x9F|\xEF\xBF\xBE|\xEF\xBF\xBF", RV_ESC_TEXT),
			    "\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD");
	/* valid UTF-8 passes: é, 漢, an emoji, the bidi override (shown isolated) */
	assert_string_equal(xml("caf\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x9A\x90", RV_ESC_TEXT),
			    "caf\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x9A\x90");
	/* malformed: lone continuation, overlong '<', surrogate, > U+10FFFF,
	 * truncated at the end - each bad byte one U+FFFD, never the '<' */
	assert_string_equal(xml("\x80", RV_ESC_TEXT), "\xEF\xBF\xBD");
	assert_string_equal(xml("\xC0\xBC", RV_ESC_TEXT), "\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(xml("\xED\xA0\x80", RV_ESC_TEXT),
			    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(xml("\xF4\x90\x80\x80", RV_ESC_TEXT),
			    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(xml("ok\xE2\x82", RV_ESC_TEXT), "ok\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(xml("", RV_ESC_TEXT), "");
	struct rv_buf b = { 0 };
	rv_xml(&b, NULL, RV_ESC_TEXT);
	assert_null(b.p);
}

static char *term(const char *s)
{
	static struct rv_buf b;
	rv_buf_free(&b);
	rv_term(&b, s);
	return b.p ? b.p : (char *)"";
}

static void test_term_escape(void **state)
{
	(void)state;
	assert_string_equal(term("<b>&\"'</b> ok"), "<b>&\"'</b> ok");
	assert_string_equal(term("a\nb\tc\rd\\e"), "a\\nb\\tc\\rd\\\\e");
	assert_string_equal(term("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
	assert_string_equal(term("\x7f\xC2\x9B"), "\\x7f\\u009b");   /* DEL, CSI (C1) */
	assert_string_equal(term("\xE2\x80\xAE" "evil"), "\\u202eevil");
	assert_string_equal(term("caf\xC3\xA9 \xFF\xC0"), "caf\xC3\xA9 \\xff\\xc0");
}

static char *csv(const char *s)
{
	static struct rv_buf b;
	rv_buf_free(&b);
	rv_csv(&b, s);
	return b.p ? b.p : (char *)"";
}

static void test_csv_escape(void **state)
{
	(void)state;
	assert_string_equal(csv("abuse"), "abuse");
	assert_string_equal(csv(""), "");
	assert_string_equal(csv(NULL), "");
	assert_string_equal(csv("a,b"), "\"a,b\"");
	assert_string_equal(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(csv("two\nlines"), "\"two\nlines\"");
	assert_string_equal(csv(" pad"), "\" pad\"");
	assert_string_equal(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
	assert_string_equal(csv("+1"), "\"'+1\"");
	assert_string_equal(csv("@cmd"), "\"'@cmd\"");
}

/* ------------------------------------------------------------------ time */

static int64_t utc(const char *iso)
{
	int64_t v;
	assert_int_equal(rv_parse_date(iso, false, &v), 0);
	return v;
}

static void test_dates(void **state)
{
	(void)state;
	int64_t v;
	/* local midnight: BST on the 25th October 2026 (the clock goes back at 02:00) */
	assert_int_equal(rv_parse_date("2026-10-25", false, &v), 0);
	assert_true(v == utc("2026-10-24T23:00:00Z"));
	assert_int_equal(rv_parse_date("2026-10-25", true, &v), 0);
	assert_true(v == utc("2026-10-26T00:00:00Z"));   /* a 25-hour day */
	assert_int_equal(rv_parse_date("2026-12-31", true, &v), 0);
	assert_true(v == utc("2027-01-01T00:00:00Z"));
	assert_int_equal(rv_parse_date("2026-03-14T19:00", false, &v), 0);
	assert_true(v == utc("2026-03-14T19:00:00Z"));
	assert_int_equal(rv_parse_date("2026-06-01 18:00:30", false, &v), 0);
	assert_true(v == utc("2026-06-01T17:00:30Z"));
	assert_int_equal(rv_parse_date("2024-02-29", false, &v), 0);
	const char *bad[] = { "2026-02-29", "2026-13-01", "2026-00-10", "2026-1-5", "26-01-01",
			      "2026-01-01T25:00", "2026-01-01T10:60", "2026-01-01x", "",
			      "2026-01-01T10:00:00+01:00", "1969-12-31", "yesterday" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rv_parse_date(bad[i], false, &v), -1);
	int64_t a, b;
	assert_int_equal(rv_parse_month("2026-10", &a, &b), 0);
	assert_true(a == utc("2026-09-30T23:00:00Z"));
	assert_true(b == utc("2026-11-01T00:00:00Z"));
	assert_int_equal(rv_parse_month("2026-12", &a, &b), 0);
	assert_true(b == utc("2027-01-01T00:00:00Z"));
	assert_int_equal(rv_parse_month("2026-13", &a, &b), -1);
	assert_int_equal(rv_parse_month("2026-1", &a, &b), -1);
}

static void test_formats(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(rv_dur(0, buf, sizeof(buf)), "0s");
	assert_string_equal(rv_dur(59999, buf, sizeof(buf)), "59s");
	assert_string_equal(rv_dur(60000, buf, sizeof(buf)), "1m00s");
	assert_string_equal(rv_dur(200000, buf, sizeof(buf)), "3m20s");
	assert_string_equal(rv_dur(3600000, buf, sizeof(buf)), "1h00m");
	assert_string_equal(rv_dur(43200000, buf, sizeof(buf)), "12h00m");
	assert_string_equal(rv_dur(-90000, buf, sizeof(buf)), "-1m30s");
	assert_string_equal(rv_iso_utc(utc("2026-03-14T19:00:00Z"), buf, sizeof(buf)),
			    "2026-03-14T19:00:00Z");
	assert_string_equal(rv_iso_utc(utc("2026-03-14T19:00:00Z") + 250, buf, sizeof(buf)),
			    "2026-03-14T19:00:00.250Z");
	int64_t start = utc("2026-10-24T22:00:00Z");
	assert_string_equal(rv_tod(start, 0, buf, sizeof(buf)), "23:00 BST");
	assert_string_equal(rv_tod(utc("2026-10-25T00:40:00Z"), start, buf, sizeof(buf)),
			    "01:40 BST (+1)");
	assert_string_equal(rv_tod(utc("2026-10-25T01:20:00Z"), start, buf, sizeof(buf)),
			    "01:20 GMT (+1)");
	assert_string_equal(rv_km(NAN, buf, sizeof(buf)), "-");
	assert_string_equal(rv_km(850, buf, sizeof(buf)), "850 m");
	assert_string_equal(rv_km(12345, buf, sizeof(buf)), "12.3 km");
}

/* ------------------------------------------------------------- precision */

static void test_precision(void **state)
{
	(void)state;
	struct rv_prec p;
	assert_int_equal(rv_parse_prec("exact", &p), 0);
	assert_true(p.m == 0);
	assert_int_equal(rv_parse_prec("100m", &p), 0);
	assert_true(p.m == 100);
	assert_string_equal(p.label, "100m");
	assert_int_equal(rv_parse_prec("1km", &p), 0);
	assert_true(p.m == 1000);
	assert_string_equal(p.label, "1km");
	assert_int_equal(rv_parse_prec("2.5km", &p), 0);
	assert_true(p.m == 2500);
	assert_int_equal(rv_parse_prec("250", &p), 0);
	assert_true(p.m == 250);
	const char *bad[] = { "", "0", "0.5m", "abc", "100ft", "1e9", "-100m", "nan", "inf" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rv_parse_prec(bad[i], &p), -1);

	/* every snapped point is within half a cell diagonal of the original,
	 * snapping is idempotent, and the same place always lands the same */
	const double sizes[] = { 100, 1000 };
	unsigned r = 12345;
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(rv_parse_prec(k ? "1km" : "100m", &p), 0);
		for (int i = 0; i < 20000; i++) {
			r = r * 1103515245u + 12345u;
			double lat = -80 + 160.0 * (r >> 8) / 16777216.0;
			r = r * 1103515245u + 12345u;
			double lon = -180 + 360.0 * (r >> 8) / 16777216.0;
			double la = lat, lo = lon;
			rv_coarsen(&p, &la, &lo);
			double d = rv_dist_m(lat, lon, la, lo);
			assert_true(d <= sizes[k] * 0.75 + 1);
			double la2 = la, lo2 = lo;
			rv_coarsen(&p, &la2, &lo2);
			assert_true(fabs(la2 - la) < 1e-9 && fabs(lo2 - lo) < 1e-9);
		}
	}
	double la = 51.52621, lo = -0.08801, la2 = 51.52622, lo2 = -0.08802;
	assert_int_equal(rv_parse_prec("1km", &p), 0);
	rv_coarsen(&p, &la, &lo);
	rv_coarsen(&p, &la2, &lo2);
	assert_true(la == la2 && lo == lo2);
	double n = NAN, m = 1;
	rv_coarsen(&p, &n, &m);   /* unknown stays unknown */
	assert_true(isnan(n));
	/* one degree of latitude */
	assert_true(fabs(rv_dist_m(51, 0, 52, 0) - 111195) < 10);
}

/* ----------------------------------------------------------- the model */

static void load(const char *name, unsigned what, const struct rv_prec *p, struct rv_session *s)
{
	char err[256];
	int r = rv_session_load(st, xid(name), what, p, s, err, sizeof(err));
	if (r < 0)
		fail_msg("load %s: %s", name, err);
}

static const json_t *ex(const char *name, const char *key)
{
	return json_object_get(json_object_get(expect, name), key);
}

static int64_t exi(const char *name, const char *key)
{
	return (int64_t)json_integer_value(ex(name, key));
}

static void check_stops(const char *name, const struct rv_session *s)
{
	const json_t *stops = ex(name, "stops");
	assert_int_equal(s->nstops, json_array_size(stops));
	for (size_t i = 0; i < s->nstops; i++) {
		const json_t *e = json_array_get(stops, i);
		assert_true(s->stops[i].arr == json_integer_value(json_object_get(e, "arrival")));
		assert_true(s->stops[i].dep == json_integer_value(json_object_get(e, "departure")));
		assert_true(fabs(s->stops[i].lat - json_real_value(json_object_get(e, "lat"))) < 1e-9);
		assert_int_equal(s->stops[i].entries, json_integer_value(json_object_get(e, "entries")));
		assert_int_equal(s->stops[i].peak, json_integer_value(json_object_get(e, "peak")));
	}
}

static void test_session_a(void **state)
{
	(void)state;
	struct rv_session s;
	load("A", RV_LOAD_ALL, NULL, &s);
	const struct rv_figs *f = &s.f;
	assert_false(f->running);
	assert_true(f->duration_ms == 4 * 3600000 + 1800000);
	assert_true(f->points == exi("A", "points"));
	assert_true(llround(f->distance_m) == llround(json_real_value(ex("A", "distance_m"))));
	assert_true(f->stops == 4);
	assert_true(f->entries == 11 && f->entries == exi("A", "entries"));
	assert_true(f->peak == 5 && f->limit == 4);
	assert_true(f->over_limit_s == 200);
	assert_true(f->ck_made == 6 && f->ck_missed == 1);
	/* medical, over_limit, abuse, checkin_missed, overdue: the covert
	 * emergency is not there at all */
	assert_true(f->incidents == 5);
	for (size_t i = 0; i < s.nevs; i++)
		assert_null(strstr(s.evs[i].type, "emergency"));
	check_stops("A", &s);
	assert_true(f->occ_known && f->occ_span_ms == f->duration_ms);

	struct rv_plan p;
	assert_int_equal(rv_plan_build(&s, &p), 0);
	assert_true(p.present);
	assert_int_equal(p.n, 4);
	assert_string_equal(p.rows[0].name, "site-1");
	assert_int_equal(p.rows[0].status, RV_PLAN_VISITED);
	assert_true(rv_plan_late_ms(&p.rows[0]) == 0);
	assert_true(p.rows[0].dep - p.rows[0].arr == 1800000 && p.rows[0].dwell_s == 1800);
	assert_true(rv_plan_late_ms(&p.rows[1]) == 25 * 60000);
	assert_true(p.rows[1].arr == p.rows[1].win_to + 25 * 60000);   /* arrival_utc, not the event */
	assert_int_equal(p.rows[2].status, RV_PLAN_SKIPPED);
	assert_string_equal(p.rows[2].name, "site-3");
	assert_string_equal(p.rows[2].skip_reason, "police");
	assert_true(p.rows[3].dep - p.rows[3].arr == 70 * 60000);
	assert_int_equal(p.nunplanned, 1);
	assert_true(p.unplanned[0] == &s.stops[1]);
	assert_int_equal(p.nunplanned_ev, 0);   /* the event lies inside stop 2 */
	rv_plan_free(&p);
	rv_session_free(&s);
}

static void test_session_empty_and_no_gps(void **state)
{
	(void)state;
	struct rv_session s;
	load("B", RV_LOAD_ALL, NULL, &s);
	assert_int_equal(s.npts, 0);
	assert_int_equal(s.nstops, 0);
	assert_int_equal(s.nevs, 0);
	assert_true(isnan(s.f.distance_m));
	assert_true(s.f.entries == 0 && s.f.peak == 0 && s.f.incidents == 0 && s.f.ck_made == 0);
	assert_true(s.f.duration_ms == 300000);
	struct rv_plan p;
	assert_int_equal(rv_plan_build(&s, &p), 0);
	assert_false(p.present);
	rv_plan_free(&p);
	rv_session_free(&s);

	load("C", RV_LOAD_ALL, NULL, &s);
	assert_int_equal(s.npts, 0);
	assert_true(s.f.distance_m == 0);   /* the debrief says 0 m */
	assert_true(s.f.entries == 3 && s.f.peak == 2 && s.f.incidents == 1);
	for (size_t i = 0; i < s.nevs; i++)
		assert_false(s.evs[i].has_pos);
	rv_session_free(&s);
}

static void test_session_dst(void **state)
{
	(void)state;
	struct rv_session s;
	load("D", RV_LOAD_ALL, NULL, &s);
	assert_true(s.f.duration_ms == 5 * 3600000 + 1800000);   /* not 4h30 by the wall clock */
	check_stops("D", &s);
	assert_true(s.stops[1].dep - s.stops[1].arr == 40 * 60000);
	assert_true(rv_local_day(s.stops[1].dep) - rv_local_day(s.ss.started_utc_ms) == 1);
	struct rv_plan p;
	assert_int_equal(rv_plan_build(&s, &p), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.rows[1].status, RV_PLAN_SKIPPED);   /* passed by on the way */
	assert_string_equal(p.rows[1].passed_for, "site-2");
	assert_null(p.rows[1].skip_reason);
	assert_true(rv_plan_late_ms(&p.rows[2]) == 0);
	assert_int_equal(p.nunplanned, 1);
	rv_plan_free(&p);
	struct rv_buf b = { 0 };
	struct rv_opts o = { .cmd = "report" };
	rv_prec_exact(&o.prec);
	rv_report_text(&b, &s, &o);
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "started      23:00 BST"));
	assert_non_null(strstr(b.p, "ended        03:30 GMT (+1)"));
	assert_non_null(strstr(b.p, "01:40 BST (+1)    01:20 GMT (+1)      40m00s"));
	rv_buf_free(&b);
	rv_session_free(&s);
}

static void test_session_long(void **state)
{
	(void)state;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct rv_session s;
	load("E", RV_LOAD_ALL, NULL, &s);
	assert_int_equal(s.npts, 43201);
	assert_true(s.npts == (size_t)exi("E", "points"));
	assert_null(s.summary);   /* every figure from the rows */
	assert_true(fabs(s.f.distance_m - json_real_value(ex("E", "distance_m"))) < 0.01);
	assert_true(s.f.entries == exi("E", "entries") && s.f.peak == exi("E", "peak"));
	assert_true(s.f.over_limit_s == exi("E", "over_limit_s"));
	assert_true(s.f.ck_made == exi("E", "checkins"));
	assert_true(s.f.stops == 8);
	check_stops("E", &s);
	struct rv_buf b = { 0 };
	struct rv_opts o = { .cmd = "report" };
	rv_prec_exact(&o.prec);
	rv_report_html(&b, &s, &o);
	assert_int_equal(b.err, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("12 h session (43201 points): loaded and HTML built in %.3f s, %zu bytes\n",
		      secs, b.len);
	assert_true(b.len < 400000);   /* the route is thinned to what can be seen */
	rv_buf_free(&b);
	rv_session_free(&s);
}

static void test_session_running(void **state)
{
	(void)state;
	struct rv_session s;
	load("F", RV_LOAD_ALL, NULL, &s);
	assert_true(s.f.running);
	assert_true(s.end_ms == s.pts[s.npts - 1].t);
	assert_true(s.stops[1].dep == 0);
	struct rv_buf b = { 0 };
	struct rv_opts o = { .cmd = "report" };
	rv_prec_exact(&o.prec);
	rv_report_html(&b, &s, &o);
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "plan late &quot;shift&quot; &lt;B&amp;C&gt;"));
	assert_null(strstr(b.p, "<B&C>"));
	rv_buf_free(&b);
	rv_report_text(&b, &s, &o);
	assert_non_null(strstr(b.p, "still running"));
	assert_non_null(strstr(b.p, "(still there)"));
	rv_buf_free(&b);
	rv_session_free(&s);
}

/* The hostile note: escaped in HTML, made visible on a terminal. */
static void test_hostile_note(void **state)
{
	(void)state;
	struct rv_session s;
	load("A", RV_LOAD_ALL, NULL, &s);
	struct rv_opts o = { .cmd = "report" };
	rv_prec_exact(&o.prec);
	struct rv_buf h = { 0 }, t = { 0 };
	rv_report_html(&h, &s, &o);
	rv_report_text(&t, &s, &o);
	assert_int_equal(h.err, 0);
	assert_int_equal(t.err, 0);
	assert_non_null(strstr(h.p, "Shouted at crew &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; "
				    "&#39;single&#39;"));
	assert_non_null(strstr(h.p, "&lt;/td&gt;&lt;/table&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(h.p, "<script"));
	assert_null(strstr(h.p, "<b>bold"));
	for (const char *c = h.p; *c; c++)
		assert_false(*c == 0x1b || *c == 0x07);
	assert_non_null(strstr(t.p, "\\x07bell \\x1b[31mred\\x1b[0m\\nline two"));
	assert_non_null(strstr(t.p, "\\u202eevil"));
	for (const char *c = t.p; *c; c++)
		assert_false(*c == 0x1b || *c == 0x07);
	rv_buf_free(&h);
	rv_buf_free(&t);
	rv_session_free(&s);
}

/* ------------------------------------------------------------------ exports */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_exports(void **state)
{
	(void)state;
	struct rv_session a, c;
	load("A", RV_LOAD_ALL, NULL, &a);
	load("C", RV_LOAD_ALL, NULL, &c);
	struct rv_session *both[] = { &a, &c };
	struct rv_opts o = { .cmd = "export" };
	rv_prec_exact(&o.prec);

	struct rv_buf b = { 0 };
	assert_int_equal(rv_export_build(&b, "gpx", both, 2, &o), 0);
	assert_int_equal(count(b.p, "<trkpt "), a.npts);
	assert_int_equal(count(b.p, "<wpt "), 4);
	assert_int_equal(count(b.p, "<trk>"), 2);
	/* the schema's order: every wpt before the first trk */
	const char *lastw = NULL;
	for (const char *q = b.p; (q = strstr(q, "</wpt>")); q++)
		lastw = q;
	assert_non_null(lastw);
	assert_true(lastw < strstr(b.p, "<trk>"));
	rv_buf_free(&b);

	assert_int_equal(rv_export_build(&b, "geojson", both, 2, &o), 0);
	json_error_t je;
	json_t *g = json_loads(b.p, 0, &je);
	assert_non_null(g);
	json_t *fs = json_object_get(g, "features");
	assert_int_equal(json_array_size(fs), 1 + 4 + 1);
	json_t *route = json_object_get(json_array_get(fs, 0), "geometry");
	assert_string_equal(json_string_value(json_object_get(route, "type")), "LineString");
	assert_int_equal(json_array_size(json_object_get(route, "coordinates")), a.npts);
	json_t *c0 = json_array_get(json_object_get(route, "coordinates"), 0);
	assert_true(fabs(json_real_value(json_array_get(c0, 0)) - a.pts[0].lon) < 1e-7);
	assert_true(fabs(json_real_value(json_array_get(c0, 1)) - a.pts[0].lat) < 1e-7);
	assert_true(json_is_null(json_object_get(json_array_get(fs, 5), "geometry")));   /* C */
	json_decref(g);
	rv_buf_free(&b);

	assert_int_equal(rv_export_build(&b, "csv", both, 2, &o), 0);
	assert_int_equal(count(b.p, "\r\n"), 1 + a.npts);
	rv_buf_free(&b);
	assert_int_equal(rv_export_build(&b, "kml", both, 2, &o), -1);
	rv_buf_free(&b);
	rv_session_free(&a);
	rv_session_free(&c);

	/* a funder's copy: 1 km; no place more exact than the grid, no repeats */
	assert_int_equal(rv_parse_prec("1km", &o.prec), 0);
	load("A", RV_LOAD_ALL, &o.prec, &a);
	assert_int_equal(rv_export_build(&b, "geojson", (struct rv_session *[]){ &a }, 1, &o), 0);
	g = json_loads(b.p, 0, &je);
	assert_non_null(g);
	json_t *coords = json_object_get(
		json_object_get(json_array_get(json_object_get(g, "features"), 0), "geometry"),
		"coordinates");
	size_t n = json_array_size(coords);
	assert_true(n > 1 && n < a.npts / 10);
	for (size_t i = 0; i < n; i++) {
		double lo = json_real_value(json_array_get(json_array_get(coords, i), 0));
		double la = json_real_value(json_array_get(json_array_get(coords, i), 1));
		double la2 = la, lo2 = lo;
		rv_coarsen(&o.prec, &la2, &lo2);
		assert_true(fabs(la2 - la) < 1e-3 && fabs(lo2 - lo) < 1e-3);   /* on the grid */
		if (i) {
			json_t *p = json_array_get(coords, i - 1);
			assert_false(json_real_value(json_array_get(p, 0)) == lo &&
				     json_real_value(json_array_get(p, 1)) == la);
		}
	}
	json_decref(g);
	rv_buf_free(&b);
	/* ... and names no place: no label, no plan name, no crew note */
	assert_true(a.names_hidden);
	assert_string_equal(a.stops[0].name, "location 1");
	assert_string_equal(a.stops[2].name, "location 2");
	assert_null(a.stops[1].name);   /* unplanned stays unplanned */
	struct rv_buf h = { 0 }, t = { 0 }, x = { 0 };
	rv_report_html(&h, &a, &o);
	rv_report_text(&t, &a, &o);
	assert_int_equal(rv_export_build(&x, "gpx", (struct rv_session *[]){ &a }, 1, &o), 0);
	const char *docs[] = { h.p, t.p, x.p };
	for (size_t i = 0; i < 3; i++) {
		assert_null(strstr(docs[i], "site-"));
		assert_null(strstr(docs[i], "north-loop"));
		assert_null(strstr(docs[i], "Shouted"));
	}
	assert_non_null(strstr(h.p, "location 3"));   /* the plan still reads */
	assert_non_null(strstr(t.p, "place names and notes left out"));
	rv_buf_free(&h);
	rv_buf_free(&t);
	rv_buf_free(&x);
	rv_session_free(&a);
}

/* ------------------------------------------------------------ review_main */

static int run(int argc, ...)
{
	char *argv[16];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	/* keep the test log readable: output of these runs goes nowhere */
	int saved = dup(1), saved2 = dup(2);
	FILE *null = fopen("/dev/null", "w");
	dup2(fileno(null), 1);
	dup2(fileno(null), 2);
	int rc = review_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved2, 2);
	close(saved);
	close(saved2);
	fclose(null);
	return rc;
}

static void test_main_args(void **state)
{
	(void)state;
	char missing[PATH_MAX + 32], out[PATH_MAX + 32], id[32];
	snprintf(missing, sizeof(missing), "%s/nothing.db", dir);
	snprintf(out, sizeof(out), "%s/out.gpx", dir);
	snprintf(id, sizeof(id), "%" PRId64, xid("A"));

	assert_int_equal(run(0), 2);
	assert_int_equal(run(1, "frobnicate"), 2);
	assert_int_equal(run(2, "sessions", "--help"), 0);
	assert_int_equal(run(3, "sessions", "--db", dbpath), 0);
	assert_int_equal(run(5, "sessions", "--db", dbpath, "--since", "2026-13-01"), 2);
	assert_int_equal(run(7, "sessions", "--db", dbpath, "--since", "2026-03-15", "--until",
			     "2026-03-01"), 2);
	assert_int_equal(run(3, "report", "--db", dbpath), 2);             /* no SESSION */
	assert_int_equal(run(4, "report", "x1", "--db", dbpath), 1);       /* not an id */
	assert_int_equal(run(4, "report", "42", "--db", dbpath), 1);       /* no such session */
	assert_int_equal(run(4, "report", "last", "--db", dbpath), 0);
	assert_int_equal(run(6, "report", id, "--db", dbpath, "--precision", "fine"), 2);
	assert_int_equal(run(5, "report", id, "--db", dbpath, "--csv"), 2); /* not for report */
	assert_int_equal(run(6, "export", id, "--db", dbpath, "--format", "kml"), 2);
	assert_int_equal(run(4, "export", id, "--db", dbpath), 2);         /* no format */
	assert_int_equal(run(5, "export", "--db", dbpath, "--format", "gpx"), 2); /* nothing */
	assert_int_equal(run(8, "export", id, "--db", dbpath, "--format", "gpx", "-o", out), 0);
	struct stat sb;
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* never over the database */
	assert_int_equal(run(8, "export", id, "--db", dbpath, "--format", "gpx", "-o", dbpath), 1);
	assert_int_equal(run(3, "summary", "--db", dbpath), 2);            /* no range */
	assert_int_equal(run(5, "summary", "--db", dbpath, "--month", "2026-3"), 2);
	assert_int_equal(run(7, "summary", "--db", dbpath, "--month", "2026-03", "--csv", "--json"),
			 2);
	assert_int_equal(run(5, "summary", "--db", dbpath, "--month", "2026-03"), 0);
	assert_int_equal(run(4, "purge", "--db", dbpath, "--older-than"), 2);
	assert_int_equal(run(5, "purge", "--db", dbpath, "--older-than", "0"), 2);
	/* a missing database: an error, and no file made */
	assert_int_equal(run(3, "sessions", "--db", missing), 1);
	assert_int_equal(run(5, "purge", "--db", missing, "--older-than", "30"), 1);
	assert_int_equal(stat(missing, &sb), -1);
	assert_int_equal(errno, ENOENT);
	/* a foreign file */
	FILE *f = fopen(missing, "w");
	fputs("not a database\n", f);
	fclose(f);
	assert_int_equal(run(3, "sessions", "--db", missing), 1);
	unlink(missing);
}

/* Malformed UTF-8 in the database (a stop name, a category, a plan name:
 * SQLite stores any bytes) still gives valid JSON, with U+FFFD. */
static void test_bad_utf8_in_db(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], out[PATH_MAX + 32], err[256];
	snprintf(path, sizeof(path), "%s/bad.db", dir);
	snprintf(out, sizeof(out), "%s/bad.json", dir);
	store_t *w;
	assert_non_null(w = store_open(path, false, err, sizeof(err)));
	int64_t t0 = utc("2026-05-01T20:00:00Z");
	struct store_session ss = { .id = t0, .started_utc_ms = t0, .ended_utc_ms = t0 + 3600000,
				    .crew = 2, .plan = "plan\xff" };
	assert_int_equal(store_session_upsert(w, &ss), 0);
	struct store_stop sp = { .session_id = t0, .arrived_utc_ms = t0 + 60000,
				 .departed_utc_ms = t0 + 120000, .lat = 51.5, .lon = -0.1,
				 .name = "caf\xC3 \xC0\xBC" };
	assert_true(store_stop_add(w, &sp) > 0);
	struct stored_event e = { .seq = store_next_seq(w), .utc_ms = t0 + 90000, .type = "incident",
				  .session_id = t0, .data_json = "{\"note\":\"ok\"}", .incident = true,
				  .category = "cat\xfe" };
	assert_true(store_add_event(w, &e, NULL, NULL, 0, false, NULL) > 0);
	store_close(w);

	store_t *r;
	assert_non_null(r = store_open(path, true, err, sizeof(err)));
	struct rv_session x;
	assert_int_equal(rv_session_load(r, t0, RV_LOAD_ALL, NULL, &x, err, sizeof(err)), 0);
	struct rv_opts o = { .cmd = "export" };
	rv_prec_exact(&o.prec);
	struct rv_buf b = { 0 };
	assert_int_equal(rv_export_build(&b, "geojson", (struct rv_session *[]){ &x }, 1, &o), 0);
	json_error_t je;
	json_t *g = json_loads(b.p, 0, &je);
	assert_non_null(g);
	const char *name = json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(g, "features"), 1), "properties"),
		"name"));
	assert_string_equal(name, "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD");
	json_decref(g);
	rv_buf_free(&b);
	rv_session_free(&x);
	store_close(r);
	assert_int_equal(run(8, "summary", "--db", path, "--since", "2026-05-01", "--json", "-o", out), 0);
	g = json_load_file(out, 0, &je);
	assert_non_null(g);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(g, "incidents_by_category"), "cat\xEF\xBF\xBD")),
			 1);
	json_decref(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_term_escape),
		cmocka_unit_test(test_csv_escape),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_session_a),
		cmocka_unit_test(test_session_empty_and_no_gps),
		cmocka_unit_test(test_session_dst),
		cmocka_unit_test(test_session_long),
		cmocka_unit_test(test_session_running),
		cmocka_unit_test(test_hostile_note),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_main_args),
		cmocka_unit_test(test_bad_utf8_in_db),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
