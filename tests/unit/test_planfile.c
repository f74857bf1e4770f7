/*
 * test_planfile.c - plan files (controller/planfile.c, the rules in
 * core/plan_def.c) and `vanctl plan check|show` (vanctl/plan_cli.c): good
 * files, every kind of bad file with its message, nothing half-built.
 */
/* GCC 12 at -O2 reports the strings made by asprintf() in good() as
 * "dangling pointer to s" (the local holding the pointer, not the string):
 * a false positive, silenced for this file only. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "planfile.h"
#include "vanctl/plan_cli.h"

static char tmpdir[256];

static int setup(void **st)
{
	(void)st;
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_planfile.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name; the path in a static buffer. */
static const char *put(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static char *src_path(const char *rel)
{
	const char *dir = getenv("VAN_SOURCE_DIR");
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir ? dir : ".", rel) > 0);
	return p;
}

/* A good plan; %s slots: extra top-level keys, then extra keys of
 * locations[0]. */
#define GOOD_FMT \
	"{\n" \
	"  \"start\": \"21:00\", \"end\": \"23:30\",%s\n" \
	"  \"base\": {\"name\": \"Base\", \"lat\": 53.79, \"lon\": -1.55},\n" \
	"  \"locations\": [\n" \
	"    {\"name\": \"S1\", \"lat\": 53.80, \"lon\": -1.56%s},\n" \
	"    {\"name\": \"S2\", \"lat\": 53.81, \"lon\": -1.55, \"earliest\": \"21:30\", \"latest\": \"22:00\", \"checkin\": true},\n" \
	"    {\"name\": \"S3\", \"lat\": 53.80, \"lon\": -1.53, \"radius_m\": 150, \"dwell_min\": 20}\n" \
	"  ]\n" \
	"}\n"

static char *good(const char *top, const char *loc0)
{
	char *s = NULL;
	assert_true(asprintf(&s, GOOD_FMT, top, loc0) > 0);
	return s;
}

/* Load path; all messages joined by '\n' (caller frees). */
static int load(const char *path, struct plan_def *d, char **msgs, size_t *n)
{
	struct plan_errs e = { 0 };
	int r = planfile_load(path, d, &e);
	size_t len = 1;
	for (size_t i = 0; i < e.n; i++)
		len += strlen(e.v[i]) + 1;
	*msgs = calloc(1, len);
	for (size_t i = 0; i < e.n; i++) {
		strcat(*msgs, e.v[i]);
		strcat(*msgs, "\n");
	}
	*n = e.n;
	plan_errs_free(&e);
	return r;
}

/* The file text must fail with exactly one message, `want` with FILE: in
 * front (or FILE + want when want begins with ':'). */
static void bad_one(const char *name, const char *text, const char *want)
{
	const char *path = put(name, text);
	char full[1024];
	snprintf(full, sizeof(full), "%s%s%s\n", path, want[0] == ':' ? "" : ": ", want);
	struct plan_def d;
	memset(&d, 0xa5, sizeof(d));
	struct plan_def before = d;
	char *msgs;
	size_t n;
	int r = load(path, &d, &msgs, &n);
	if (r != -EINVAL || n != 1 || strcmp(msgs, full) != 0)
		fprintf(stderr, "want: %sgot (%d, %zu):\n%s", full, r, n, msgs);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(n, 1);
	assert_string_equal(msgs, full);
	assert_memory_equal(&d, &before, sizeof(d));     /* nothing half-built */
	free(msgs);
}

static void demo_plan(void **st)
{
	(void)st;
	char *path = src_path("config/demo/plans/evening.json");
	struct plan_def d;
	char *msgs;
	size_t n;
	int r = load(path, &d, &msgs, &n);
	if (r)
		fprintf(stderr, "%s", msgs);
	assert_int_equal(r, 0);
	assert_string_equal(d.name, "evening");
	assert_int_equal(d.n, 4);
	assert_int_equal(d.start, 21 * 60);
	assert_int_equal(d.end, 21 * 60 + 35);
	assert_string_equal(d.loc[1].name, "S2");
	assert_true(d.loc[1].checkin);
	assert_false(d.loc[0].checkin || d.loc[2].checkin || d.loc[3].checkin);
	assert_string_equal(d.base.name, "Base");
	/* the ground truth's centres */
	char *tp = src_path("config/demo/evening.stops.json");
	json_error_t je;
	json_t *truth = json_load_file(tp, 0, &je);
	assert_non_null(truth);
	for (size_t i = 0; i < 4; i++) {
		json_t *s = json_array_get(json_object_get(truth, "planned_stops"), i);
		assert_string_equal(json_string_value(json_object_get(s, "site")), d.loc[i].name);
		assert_true(fabs(json_number_value(json_object_get(s, "lat")) - d.loc[i].lat) < 1e-7);
		assert_true(fabs(json_number_value(json_object_get(s, "lon")) - d.loc[i].lon) < 1e-7);
	}
	json_decref(truth);
	free(tp);
	free(msgs);
	free(path);
}

static void good_files(void **st)
{
	(void)st;
	struct plan_def d;
	char *msgs, *text;
	size_t n;
	text = good("", "");
	assert_int_equal(load(put("north.json", text), &d, &msgs, &n), 0);
	free(text);
	free(msgs);
	assert_string_equal(d.name, "north");
	/* defaults */
	assert_int_equal(d.corridor_m, 1000);
	assert_int_equal(d.off_corridor_min, 10);
	assert_int_equal(d.unplanned_stop_min, 10);
	assert_int_equal(d.checkin_grace_min, 10);
	assert_int_equal(d.checkin_repeat_min, 15);
	assert_int_equal(d.arrive_fixes, 3);
	assert_int_equal(d.base.radius_m, 150);
	assert_int_equal(d.loc[0].radius_m, 100);
	assert_int_equal(d.loc[0].earliest, PLAN_NO_TIME);
	assert_int_equal(d.loc[0].dwell_min, 0);
	assert_int_equal(d.loc[1].earliest, 21 * 60 + 30);
	assert_int_equal(d.loc[2].dwell_min, 20);

	/* across midnight */
	const char *mid =
		"{\"start\": \"22:00\", \"end\": \"02:00\", \"description\": \"late loop\",\n"
		" \"base\": {\"lat\": 53.79, \"lon\": -1.55},\n"
		" \"locations\": [\n"
		"  {\"name\": \"A\", \"lat\": 53.8, \"lon\": -1.56, \"earliest\": \"23:50\", \"latest\": \"00:10\"},\n"
		"  {\"name\": \"B\", \"lat\": 53.81, \"lon\": -1.55, \"earliest\": \"00:30\", \"latest\": \"01:30\"}]}\n";
	assert_int_equal(load(put("late-loop.json", mid), &d, &msgs, &n), 0);
	free(msgs);
	assert_string_equal(d.base.name, "base");
	assert_string_equal(d.description, "late loop");
	assert_int_equal(plan_tl(&d, d.loc[0].latest), 130);
	assert_int_equal(plan_tl(&d, d.end), 240);

	/* the JSON form reads back to the same plan */
	json_t *j = plan_def_to_json(&d);
	struct plan_def d2;
	assert_int_equal(plan_def_from_json(j, "late-loop", &d2, NULL, NULL), 0);
	assert_memory_equal(&d, &d2, sizeof(d));
	json_decref(j);

	/* found by name in a folder */
	struct plan_errs e = { 0 };
	assert_int_equal(planfile_load_named(tmpdir, "late-loop", &d2, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(planfile_load_named(tmpdir, "../etc/passwd", &d2, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.v[0], "not a plan name"));
	plan_errs_free(&e);
	assert_int_equal(planfile_load_named(tmpdir, "nope", &d2, &e), -ENOENT);
	assert_non_null(strstr(e.v[0], "nope.json: cannot open: No such file"));
	plan_errs_free(&e);
	char buf[64];
	assert_int_equal(planfile_path("/etc/vanctld/plans", "north", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/etc/vanctld/plans/north.json");
	assert_int_equal(planfile_path("/x", "a.b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(planfile_path("/a/very/long/folder/name/indeed", "north", buf, 16),
			 -ENAMETOOLONG);
}

static void bad_json(void **st)
{
	(void)st;
	/* syntax: with line and column */
	bad_one("syntax.json", "{\n  \"start\": \"21:00\",\n  \"end\": ,\n}\n",
		":3:10: unexpected token near ','");
	bad_one("dupkey.json", "{\"start\": \"21:00\",\n \"start\": \"22:00\"}\n",
		":2:8: duplicate object key near '\"start\"'");
	bad_one("empty.json", "", ":1:0: '[' or '{' expected near end of file");
	bad_one("array.json", "[]", "must be a JSON object");
}

static void bad_fields(void **st)
{
	(void)st;
	char *t;
	/* missing */
	t = good("", "");
	char *p = strstr(t, "\"lat\": 53.80, ");
	memmove(p, p + 14, strlen(p + 14) + 1);
	bad_one("missing.json", t, "locations[0].lat: missing");
	free(t);
	bad_one("nobase.json",
		"{\"start\": \"21:00\", \"end\": \"22:00\", \"locations\": [{\"name\": \"A\", \"lat\": 1, \"lon\": 1}]}",
		"base: missing (where the van returns: name, lat, lon, radius_m)");
	/* wrong type */
	t = good("", ", \"radius_m\": \"100\"");
	bad_one("type.json", t, "locations[0].radius_m: must be a whole number (20-2000)");
	free(t);
	t = good("", ", \"checkin\": 1");
	bad_one("type2.json", t, "locations[0].checkin: must be true or false");
	free(t);
	/* out of range */
	t = good("", "");
	p = strstr(t, "\"radius_m\": 150");
	memcpy(p, "\"radius_m\": 5  ", 15);
	bad_one("north.json", t, "locations[2].radius_m: must be 20-2000");
	free(t);
	t = good(" \"corridor_m\": 50,", "");
	bad_one("corr.json", t, "corridor_m: must be 100-20000");
	free(t);
	t = good("", "");
	p = strstr(t, "53.80, \"lon\": -1.56");
	memcpy(p, "99.80", 5);
	bad_one("lat.json", t, "locations[0].lat: must be between -90 and 90");
	free(t);
	/* bad time */
	t = good("", ", \"latest\": \"9:05\"");
	bad_one("time.json", t, "locations[0].latest: must be a local time \"HH:MM\" (24-hour clock)");
	free(t);
	t = good("", ", \"latest\": \"24:05\"");
	bad_one("time2.json", t, "locations[0].latest: must be a time 00:00-23:59");
	free(t);
	/* unknown key (a typo) */
	t = good("", ", \"radus_m\": 100");
	bad_one("typo.json", t, "locations[0].radus_m: unknown key");
	free(t);
	/* version */
	t = good(" \"version\": 2,", "");
	bad_one("v2.json", t, "version: unsupported version 2 (this vanctld reads version 1)");
	free(t);
	/* name */
	t = good("", "");
	p = strstr(t, "\"S1\"");
	memcpy(p, "\"  \"", 4);
	bad_one("name.json", t, "locations[0].name: must not begin or end with a space");
	free(t);
	t = good("", "");
	bad_one("my plan.json", t,
		"the file name must be NAME.json, NAME 1-47 of A-Z a-z 0-9 _ - (the plan's name)");
	free(t);
}

static void bad_cross_field(void **st)
{
	(void)st;
	char *t;
	/* duplicate names (case does not make a different place) */
	t = good("", "");
	char *p = strstr(t, "\"S3\"");
	memcpy(p, "\"s1\"", 4);
	bad_one("dup.json", t, "locations[2].name: \"s1\" is already the name of locations[0]");
	free(t);
	t = good("", "");
	t = realloc(t, strlen(t) + 3);
	assert_non_null(t);
	p = strstr(t, "\"name\": \"S1\"");
	memmove(p + 14, p + 12, strlen(p + 12) + 1);
	memcpy(p, "\"name\": \"Base\"", 14);
	bad_one("basename.json", t, "locations[0].name: \"Base\" is already the name of the base");
	free(t);
	/* windows inverted */
	t = good("", ", \"earliest\": \"21:10\", \"latest\": \"21:00\"");
	bad_one("inv.json", t, "locations[0].latest: window inverted: latest 21:00 is before earliest 21:10");
	free(t);
	/* outside the plan (before the start = the next day, after the end) */
	t = good("", ", \"latest\": \"20:50\"");
	bad_one("out.json", t, "locations[0].latest: 20:50 is outside the plan (start 21:00, end 23:30)");
	free(t);
	/* cannot be met in the planned order */
	t = good("", ", \"earliest\": \"22:10\"");
	bad_one("order.json", t,
		"locations[1].latest: 22:00 is before the earliest arrival 22:10 at locations[0] \"S1\", which comes first in the plan");
	free(t);
	/* start = end */
	t = good("", "");
	p = strstr(t, "\"23:30\"");
	memcpy(p, "\"21:00\"", 7);
	bad_one("startend.json", t, "end: must differ from start (a plan lasts less than 24 hours)");
	free(t);
	/* no locations, too many */
	bad_one("none.json",
		"{\"start\": \"21:00\", \"end\": \"22:00\", \"base\": {\"lat\": 1, \"lon\": 1}, \"locations\": []}",
		"locations: must have at least one location");
	char *many = NULL;
	size_t sz = 0;
	FILE *m = open_memstream(&many, &sz);
	fputs("{\"start\": \"21:00\", \"end\": \"22:00\", \"base\": {\"lat\": 1, \"lon\": 1}, \"locations\": [", m);
	for (int i = 0; i < 51; i++)
		fprintf(m, "%s{\"name\": \"L%d\", \"lat\": 1.%d, \"lon\": 1}", i ? "," : "", i, i);
	fputs("]}", m);
	fclose(m);
	bad_one("many.json", many, "locations: too many locations: 51 (at most 50)");
	free(many);
}

static void every_problem(void **st)
{
	(void)st;
	const char *text =
		"{\"start\": \"21:00\", \"end\": \"22:00\", \"colour\": \"red\",\n"
		" \"base\": {\"lat\": 1, \"lon\": 1, \"radius_m\": 1},\n"
		" \"locations\": [\n"
		"  {\"name\": \"A\", \"lat\": 100, \"lon\": 1},\n"
		"  {\"name\": \"A\", \"lat\": 1, \"lon\": 1, \"earliest\": \"21:50\", \"latest\": \"21:40\"},\n"
		"  {\"lat\": 1, \"lon\": \"x\", \"dwell_min\": 0}]}\n";
	const char *path = put("many-problems.json", text);
	struct plan_def d;
	char *msgs;
	size_t n;
	assert_int_equal(load(path, &d, &msgs, &n), -EINVAL);
	const char *want[] = {
		"colour: unknown key",
		"base.radius_m: must be 20-2000",
		"locations[0].lat: must be between -90 and 90",
		"locations[2].name: missing",
		"locations[2].lon: must be a number (degrees)",
		"locations[2].dwell_min: must be 1-480",
		"locations[1].latest: window inverted: latest 21:40 is before earliest 21:50",
		"locations[1].name: \"A\" is already the name of locations[0]",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(msgs, want[i]))
			fprintf(stderr, "missing: %s\nin:\n%s", want[i], msgs);
		assert_non_null(strstr(msgs, want[i]));
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	free(msgs);
}

/* Run plan_main with stdout and stderr captured. */
static int cli(char **out, char **err, int argc, ...)
{
	char *argv[16];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so = dup(1), se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int r = plan_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	FILE *fs[2] = { fo, fe };
	char **bufs[2] = { out, err };
	for (int k = 0; k < 2; k++) {
		long len = ftell(fs[k]);
		rewind(fs[k]);
		*bufs[k] = calloc(1, (size_t)len + 1);
		if (len > 0)
			assert_int_equal(fread(*bufs[k], 1, (size_t)len, fs[k]), (size_t)len);
		fclose(fs[k]);
	}
	return r;
}

static void cli_check_and_show(void **st)
{
	(void)st;
	char *out, *err;
	char *demo = src_path("config/demo/plans/evening.json");
	char *demo_dir = src_path("config/demo/plans");
	assert_int_equal(cli(&out, &err, 3, "plan", "check", demo), 0);
	assert_non_null(strstr(out, "ok (plan \"evening\", 4 locations)"));
	free(out);
	free(err);

	char bad[512];
	snprintf(bad, sizeof(bad), "%s", put("broken.json",
		"{\"start\": \"21:00\", \"end\": \"22:00\", \"base\": {\"lat\": 1, \"lon\": 1},\n"
		" \"locations\": [{\"name\": \"A\", \"lat\": 1, \"lon\": 1, \"radius_m\": 5},\n"
		"                {\"name\": \"A\", \"lat\": 1, \"lon\": 1}]}\n"));
	assert_int_equal(cli(&out, &err, 4, "plan", "check", demo, bad), 1);
	assert_non_null(strstr(err, "broken.json: locations[0].radius_m: must be 20-2000\n"));
	assert_non_null(strstr(err, "broken.json: locations[1].name: \"A\" is already the name of locations[0]\n"));
	assert_non_null(strstr(err, "broken.json: 2 problems\n"));
	assert_non_null(strstr(out, "evening.json: ok"));
	free(out);
	free(err);

	assert_int_equal(cli(&out, &err, 3, "plan", "check", "/nonexistent/x.json"), 1);
	assert_non_null(strstr(err, "/nonexistent/x.json: cannot open: No such file or directory"));
	free(out);
	free(err);

	assert_int_equal(cli(&out, &err, 2, "plan", "check"), 2);
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, 2, "plan", "frobnicate"), 2);
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, 2, "plan", "--help"), 0);
	assert_non_null(strstr(out, "usage: vanctl plan check"));
	free(out);
	free(err);

	/* show by name from a folder, by file, as JSON */
	assert_int_equal(cli(&out, &err, 5, "plan", "show", "evening", "-d", demo_dir), 0);
	assert_non_null(strstr(out, "plan evening"));
	assert_non_null(strstr(out, "start 21:00, end 21:35 (0h35)"));
	assert_non_null(strstr(out, "S2"));
	assert_non_null(strstr(out, "21:08-21:14"));
	assert_non_null(strstr(out, "yes"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, 4, "plan", "show", demo, "--json"), 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	assert_non_null(j);
	struct plan_def d;
	assert_int_equal(plan_def_from_json(j, "evening", &d, NULL, NULL), 0);
	assert_int_equal(d.n, 4);
	json_decref(j);
	free(out);
	free(err);

	/* midnight is marked */
	put("night.json",
	    "{\"start\": \"22:00\", \"end\": \"02:00\", \"base\": {\"lat\": 1, \"lon\": 1},\n"
	    " \"locations\": [{\"name\": \"A\", \"lat\": 1.01, \"lon\": 1, \"earliest\": \"23:50\", \"latest\": \"00:10\"}]}\n");
	assert_int_equal(cli(&out, &err, 5, "plan", "show", "night", "-d", tmpdir), 0);
	assert_non_null(strstr(out, "23:50-00:10+1"));
	assert_non_null(strstr(out, "crosses midnight"));
	free(out);
	free(err);

	/* a config file names the folder */
	char conf[600];
	snprintf(conf, sizeof(conf), "[session]\nplans_dir = %s\n", demo_dir);
	char confpath[512];
	snprintf(confpath, sizeof(confpath), "%s", put("vanctld.conf", conf));
	assert_int_equal(cli(&out, &err, 5, "plan", "show", "evening", "-c", confpath), 0);
	assert_non_null(strstr(out, "plan evening"));
	free(out);
	free(err);

	assert_int_equal(cli(&out, &err, 5, "plan", "show", "absent", "-d", tmpdir), 1);
	assert_non_null(strstr(err, "absent.json: cannot open"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, 5, "plan", "show", "a..b", "-d", tmpdir), 1);
	free(out);
	free(err);
	free(demo);
	free(demo_dir);
}

static void utc_offset(void **st)
{
	(void)st;
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZ", "GMT0BST,M3.5.0/1,M10.5.0", 1);   /* UK rules, no tzdata needed */
	tzset();
	assert_int_equal(planfile_utc_offset_s(1750017600000LL), 3600);   /* June */
	assert_int_equal(planfile_utc_offset_s(1795554000000LL), 0);      /* November */
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* planfile_tz() under the UK rules on the nights of the changes. */
static void tz_checks(const char *tz)
{
	const int64_t oct_change = 1792890000000LL;   /* 2026-10-25 01:00 UTC */
	const int64_t mar_change = 1774746000000LL;   /* 2026-03-29 01:00 UTC */
	setenv("TZ", tz, 1);
	tzset();
	/* 2026-10-24 20:55 BST: back to GMT in the night */
	struct plan_tz r = planfile_tz(1792871700000LL);
	assert_int_equal(r.off_s, 3600);
	assert_int_equal(r.change_utc_ms, oct_change);
	assert_int_equal(r.off_after_s, 0);
	/* started after the change (02:30 GMT): the change 90 min ago */
	r = planfile_tz(oct_change + 90 * 60000LL);
	assert_int_equal(r.off_s, 3600);
	assert_int_equal(r.change_utc_ms, oct_change);
	assert_int_equal(r.off_after_s, 0);
	/* 2026-03-28 20:55 GMT: forward to BST in the night */
	r = planfile_tz(1774731300000LL);
	assert_int_equal(r.off_s, 0);
	assert_int_equal(r.change_utc_ms, mar_change);
	assert_int_equal(r.off_after_s, 3600);
	/* 2026-06-15 20:00 UTC: no change */
	r = planfile_tz(1781553600000LL);
	assert_int_equal(r.off_s, 3600);
	assert_true(r.change_utc_ms == PLAN_TZ_NONE);
	/* 36 h ahead at most: 2026-10-23 12:00 BST sees no change yet */
	r = planfile_tz(oct_change - 38 * 3600000LL);
	assert_true(r.change_utc_ms == PLAN_TZ_NONE);

	/* the night plan of docs/plans.md's example, end to end */
	struct plan_def d = { .start = 21 * 60, .end = 5 * 60 };
	int64_t s = 1792871700000LL;
	r = planfile_tz(s);
	assert_int_equal(plan_local_utc(&d, s, r, 3 * 60), oct_change + 2 * 3600000LL);
	assert_int_equal(plan_local_utc(&d, s, r, d.end), oct_change + 4 * 3600000LL);
}

static void tz_rule(void **st)
{
	(void)st;
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	tz_checks("GMT0BST,M3.5.0/1,M10.5.0");    /* UK rules, no tzdata needed */
	if (access("/usr/share/zoneinfo/Europe/London", R_OK) == 0)
		tz_checks("Europe/London");
	else
		print_message("SKIPPED: TZ=Europe/London (no tzdata: "
			      "/usr/share/zoneinfo/Europe/London missing); POSIX rule tested\n");
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo_plan),
		cmocka_unit_test(good_files),
		cmocka_unit_test(bad_json),
		cmocka_unit_test(bad_fields),
		cmocka_unit_test(bad_cross_field),
		cmocka_unit_test(every_problem),
		cmocka_unit_test(cli_check_and_show),
		cmocka_unit_test(utc_offset),
		cmocka_unit_test(tz_rule),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
