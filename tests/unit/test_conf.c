/*
 * test_conf.c - the configuration parser: good files, every kind of bad
 * file with its FILE:LINE message, overrides, and docs/config.md current.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "core/van.h"

static char tmpdir[] = "/tmp/vantest.conf.XXXXXX";

static char *write_file(const char *name, const char *text)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text; return the conf (caller frees) after conf_check. */
static struct conf *load(const char *text)
{
	struct conf *c = calloc(1, sizeof(*c));
	char *p = write_file("t.conf", text);
	assert_int_equal(conf_defaults(c), 0);
	conf_load(c, p);
	conf_check(c);
	free(p);
	return c;
}

static void drop(struct conf *c)
{
	conf_fini(c);
	free(c);
}

static bool has_error(const struct conf *c, const char *needle)
{
	for (size_t i = 0; i < c->report.nerrors; i++)
		if (strstr(c->report.errors[i], needle))
			return true;
	return false;
}

static void print_errors(const struct conf *c)
{
	for (size_t i = 0; i < c->report.nerrors; i++)
		fprintf(stderr, "  error: %s\n", c->report.errors[i]);
}

/* Choice keys (the table's own list, one check for file and command line):
 * the value is refused at its line, with the choices named. */
static void test_choices(void **st)
{
	(void)st;
	struct conf *c = load("[unit]\nid = van1\n[alarm]\ncue = loud\n[mqtt]\nprotocol = 4\n");
	print_errors(c);
	assert_true(has_error(c, "t.conf:4: alarm.cue: 'loud' must be alarm, light or none"));
	assert_true(has_error(c, "t.conf:6: mqtt.protocol: 4 is not 5 or 311"));
	assert_int_equal(c->report.nerrors, 2);
	drop(c);
	c = load("[unit]\nid = van1\n[alarm]\ncue = light\n[mqtt]\nprotocol = 311\n");
	print_errors(c);
	assert_int_equal(c->report.nerrors, 0);
	assert_string_equal(c->alarm.cue, "light");
	assert_int_equal(c->mqtt.link.protocol, 311);
	drop(c);
}

static void test_defaults_and_good_file(void **st)
{
	(void)st;
	struct conf *c = load("# comment\n[unit]\nid = van-7\nname = North van\n\n"
			      "[mqtt]\nport = 8883\nlocation_interval = 2m\n"
			      "[session]\ncheckin_interval = 45\ndefault_length = 3h\n"
			      "[track]\nmin_distance = 12.5 ; inline comment\n");
	print_errors(c);
	assert_int_equal(c->report.nerrors, 0);
	assert_string_equal(c->unit.id, "van-7");
	assert_string_equal(c->unit.name, "North van");
	assert_int_equal(c->mqtt.link.port, 8883);
	assert_int_equal(c->mqtt.location_interval_s, 120);
	assert_int_equal(c->session.checkin_interval_min, 45);  /* bare number: minutes */
	assert_int_equal(c->session.default_length_min, 180);
	assert_true(c->track.min_distance_m > 12.4 && c->track.min_distance_m < 12.6);
	/* untouched defaults */
	assert_string_equal(c->gps.host, "localhost");
	assert_int_equal(c->gps.stale_after_s, 5);
	assert_true(c->mqtt.enabled);
	drop(c);
}

static void test_every_error_with_line(void **st)
{
	(void)st;
	struct conf *c = load("[unit]\n"                  /* 1 */
			      "id = van1\n"               /* 2 */
			      "colour = blue\n"           /* 3 unknown key */
			      "[mqtt]\n"                  /* 4 */
			      "port = 99999\n"            /* 5 out of range */
			      "keepalive = soon\n"        /* 6 not a duration */
			      "enabled = perhaps\n"       /* 7 not a boolean */
			      "port = 1884\n"             /* 8 set twice */
			      "[nonsense]\n"              /* 9 unknown section */
			      "a = b\n"                   /* 10 (inside unknown section: once) */
			      "[storage]\n"               /* 11 */
			      "this line has no equals\n" /* 12 syntax */
			      "retention_days = 3.5\n"    /* 13 not whole */
			      "[occupancy\n"              /* 14 bad header */
			      "[track]\n"                 /* 15 */
			      "max_eph = \n");            /* 16 empty */
	print_errors(c);
	assert_true(has_error(c, "t.conf:3: unknown key 'colour' in [unit]"));
	assert_true(has_error(c, "t.conf:5: mqtt.port: 99999 is out of range (1 to 65535)"));
	assert_true(has_error(c, "t.conf:6: mqtt.keepalive: 'soon' is not a duration"));
	assert_true(has_error(c, "t.conf:7: mqtt.enabled: 'perhaps' is not a boolean"));
	assert_true(has_error(c, "t.conf:8: mqtt.port is set twice"));
	assert_true(has_error(c, "t.conf:9: unknown section [nonsense]"));
	assert_false(has_error(c, "t.conf:10:"));
	assert_true(has_error(c, "t.conf:14: section header without ']'"));
	assert_true(has_error(c, "t.conf:12: expected 'key = value'"));
	assert_true(has_error(c, "t.conf:13: storage.retention_days: '3.5' is not a whole number"));
	assert_true(has_error(c, "t.conf:14: section header without ']'"));
	assert_true(has_error(c, "t.conf:16: track.max_eph has no value"));
	drop(c);
}

static void test_missing_and_cross_checks(void **st)
{
	(void)st;
	struct conf *c = load("[mqtt]\nprefix = a/#\npassword_file = /x\ntls_cert_file = /c\n"
			      "[session]\ncheckin_interval = 20\ncheckin_interval_lone = 30\n");
	print_errors(c);
	assert_true(has_error(c, "unit.id is required"));
	assert_true(has_error(c, "mqtt.prefix 'a/#'"));
	assert_true(has_error(c, "t.conf:3: mqtt.password_file is set but mqtt.username is not"));
	assert_true(has_error(c, "tls_cert_file and mqtt.tls_key_file go together"));
	assert_true(has_error(c, "t.conf:7: session.checkin_interval_lone (30 min) should not be longer"));
	drop(c);

	c = load("[unit]\nid = van 1\n");
	assert_true(has_error(c, "t.conf:2: unit.id 'van 1' must be"));
	drop(c);
}

static void test_unreadable_file(void **st)
{
	(void)st;
	struct conf c;
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(conf_load(&c, "/nonexistent/vanctld.conf"), 1);
	assert_true(has_error(&c, "/nonexistent/vanctld.conf: cannot read the config file: No such file"));
	conf_fini(&c);
}

static void test_overrides(void **st)
{
	(void)st;
	struct conf *c = load("[unit]\nid = van1\n");
	assert_int_equal(c->report.nerrors, 0);
	assert_int_equal(conf_set(c, "--unit", "unit", "id", "van2"), 0);
	assert_string_equal(c->unit.id, "van2");
	assert_int_equal(conf_set(c, "--broker", "mqtt", "port", "0"), -1);
	assert_true(has_error(c, "--broker: mqtt.port: 0 is out of range"));
	drop(c);
}

static void test_shipped_configs_pass(void **st)
{
	(void)st;
	const char *src = getenv("VAN_SOURCE_DIR");
	const char *files[] = { "config/vanctld.conf.example", "config/demo/demo.conf" };
	assert_non_null(src);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p;
		struct conf c;
		assert_true(asprintf(&p, "%s/%s", src, files[i]) > 0);
		assert_int_equal(conf_defaults(&c), 0);
		conf_load(&c, p);
		conf_check(&c);
		if (c.report.nerrors)
			print_errors(&c);
		assert_int_equal(c.report.nerrors, 0);
		conf_fini(&c);
		free(p);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* config/lines-pi.conf is a fragment: alone it is refused for what it lacks,
 * named by file and without a line number that points nowhere; pasted after
 * a whole configuration it is valid. */
static void test_fragment(void **st)
{
	(void)st;
	const char *src = getenv("VAN_SOURCE_DIR");
	char *p, *q, *frag, *full, *both;
	struct conf c;

	assert_non_null(src);
	assert_true(asprintf(&p, "%s/config/lines-pi.conf", src) > 0);
	assert_int_equal(conf_defaults(&c), 0);
	conf_load(&c, p);
	conf_check(&c);
	print_errors(&c);
	assert_int_equal(c.report.nerrors, 1);
	char *want;
	assert_true(asprintf(&want, "%s: unit.id is required and is not in the file", p) > 0);
	assert_true(has_error(&c, want));
	assert_null(strstr(c.report.errors[0], ":0:"));
	free(want);
	conf_fini(&c);

	frag = slurp(p);
	assert_non_null(strstr(frag, "FRAGMENT"));
	assert_true(asprintf(&q, "%s/config/vanctld.conf.example", src) > 0);
	full = slurp(q);
	assert_true(asprintf(&both, "%s\n%s", full, frag) > 0);
	struct conf *m = load(both);
	print_errors(m);
	assert_int_equal(m->report.nerrors, 0);
	assert_int_equal(m->gpio.backend, GPIO_BACKEND_GPIOD);
	assert_true(m->gpio.nlines >= 5);
	drop(m);
	free(both);
	free(full);
	free(frag);
	free(q);
	free(p);
}

static void test_docs_current(void **st)
{
	(void)st;
	const char *src = getenv("VAN_SOURCE_DIR");
	char *gen = NULL, *doc = NULL, *p;
	size_t genlen = 0;
	FILE *m = open_memstream(&gen, &genlen);
	conf_print_doc(m);
	fclose(m);

	assert_true(asprintf(&p, "%s/docs/config.md", src) > 0);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(doc, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (!strstr(doc, gen))
		fprintf(stderr, "docs/config.md is out of date: regenerate the key tables with "
				"`vanctld --config-doc`\n");
	assert_non_null(strstr(doc, gen));
	free(gen);
	free(doc);
	free(p);
}

/* Issue 18, point 12: a comment line longer than inih's buffer must not set
 * keys from its tail, and lines after it keep their numbers. */
static void test_long_lines(void **st)
{
	(void)st;
	char c1[400], c2[400], text[2048];
	/* inih reads 199 bytes at a time: the tails used to be lines of their own */
	memset(c1, 'x', 199);
	memcpy(c1, "# ", 2);
	strcpy(c1 + 199, "host = 127.0.0.2");
	memset(c2, 'y', 199);
	memcpy(c2, "; ", 2);
	strcpy(c2 + 199, "enabled = false");
	snprintf(text, sizeof(text), "[unit]\nid = van1\n[mqtt]\n%s\n%s\nport = 70000\n", c1, c2);
	struct conf *c = load(text);
	print_errors(c);
	assert_string_equal(c->mqtt.link.host, "localhost");
	assert_true(c->mqtt.enabled);
	/* the bad port is on line 6, whatever came before */
	assert_true(has_error(c, "t.conf:6: mqtt.port: 70000 is out of range"));
	assert_int_equal(c->report.nerrors, 1);
	drop(c);

	/* an over-long key line: one error, at its own line; the next line counts */
	char *big = malloc(100 * 1024 + 64);
	assert_non_null(big);
	strcpy(big, "[unit]\nid = van1\nname = ");
	size_t n = strlen(big);
	memset(big + n, 'n', 100 * 1024);
	strcpy(big + n + 100 * 1024, "\n[mqtt]\nport = 0\n");
	c = load(big);
	print_errors(c);
	assert_true(has_error(c, "t.conf:3: line too long"));
	assert_true(has_error(c, "t.conf:5: mqtt.port: 0 is out of range"));
	assert_int_equal(c->report.nerrors, 2);
	drop(c);
	free(big);
}

/* Issue 18, point 13: a BOM is fine; a NUL says so; control bytes are
 * escaped; a password file anyone can read is warned about. */
static void test_bytes_and_password_mode(void **st)
{
	(void)st;
	struct conf *c = load("\xEF\xBB\xBF[unit]\nid = van1\n");
	print_errors(c);
	assert_int_equal(c->report.nerrors, 0);
	assert_string_equal(c->unit.id, "van1");
	drop(c);

	/* a NUL inside a value */
	char *p;
	assert_true(asprintf(&p, "%s/nul.conf", tmpdir) > 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fwrite("[unit]\nid = van1\nname = a\0b\n[mqtt]\nport = 0\n", 1, 44, f);
	fclose(f);
	c = calloc(1, sizeof(*c));
	assert_int_equal(conf_defaults(c), 0);
	conf_load(c, p);
	conf_check(c);
	print_errors(c);
	assert_true(has_error(c, "nul.conf:3: a NUL byte"));
	assert_false(has_error(c, "too long"));
	assert_true(has_error(c, "nul.conf:5: mqtt.port"));
	drop(c);
	free(p);

	/* control bytes from the file are escaped in messages */
	c = load("[unit]\nid = van\x1b[2J\n[mqtt]\nenabled = \x1b]0;x\x07\n");
	print_errors(c);
	assert_true(has_error(c, "unit.id 'van\\x1b[2J'"));
	assert_true(has_error(c, "'\\x1b]0;x\\x07' is not a boolean"));
	for (size_t i = 0; i < c->report.nerrors; i++)
		for (const char *s = c->report.errors[i]; *s; s++)
			assert_false((unsigned char)*s < 0x20 || *s == 0x7f);
	drop(c);

	/* the password file */
	char *pw = write_file("pw", "secret\n");
	char text[512];
	chmod(pw, 0644);
	snprintf(text, sizeof(text), "[unit]\nid = van1\n[mqtt]\nusername = van1\npassword_file = %s\n", pw);
	c = load(text);
	print_errors(c);
	assert_int_equal(c->report.nerrors, 0);
	assert_int_equal(c->report.nwarnings, 1);
	assert_non_null(strstr(c->report.warnings[0], "t.conf:5: mqtt.password_file"));
	assert_non_null(strstr(c->report.warnings[0], pw));
	assert_non_null(strstr(c->report.warnings[0], "0644"));
	drop(c);
	chmod(pw, 0600);
	c = load(text);
	assert_int_equal(c->report.nerrors, 0);
	assert_int_equal(c->report.nwarnings, 0);
	drop(c);
	free(pw);
}

/* Issue 18, point 11: what --check-config accepts, the daemon accepts: each
 * of these was accepted by conf_check and refused by the core (van_new),
 * without a line or key.  Now: FILE:LINE: key. */
static void test_core_limits(void **st)
{
	(void)st;
	static const struct { const char *sec, *line, *needle; } cases[] = {
		{ "session", "checkin_interval = 2000", "session.checkin_interval" },
		{ "session", "overdue_grace = 2147483647", "session.overdue_grace" },
		{ "session", "overdue_repeat = 0", "session.overdue_repeat" },
		{ "session", "default_length = 5m", "session.default_length" },
		{ "session", "stop_speed = 0", "session.stop_speed" },
		{ "session", "door_moving_speed = 0", "session.door_moving_speed" },
		{ "occupancy", "mute = 0", "occupancy.mute" },
		{ "alarm", "duress_code = 12345678901234567890123456789012345678901234567890123456789012345",
		  "alarm.duress_code" },
		{ "session", "incident_types = a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,ee,ff,gg",
		  "session.incident_types" },
		{ "session", "incident_types = a-category-name-far-longer-than-thirty-two", "session.incident_types" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], want[128];
		snprintf(text, sizeof(text), "[unit]\nid = van1\n[%s]\n%s\n", cases[i].sec, cases[i].line);
		struct conf *c = load(text);
		snprintf(want, sizeof(want), "t.conf:4: %s", cases[i].needle);
		if (!has_error(c, want)) {
			fprintf(stderr, "case '%s': want '%s'\n", cases[i].line, want);
			print_errors(c);
		}
		assert_true(has_error(c, want));
		drop(c);
	}
}

/* Every numeric key at the ends of its documented range: conf_check
 * accepts it, and so does the core (the same check, called by both). */
static void test_ranges_match_core(void **st)
{
	(void)st;
	for (size_t i = 0; i < conf_nkeys(); i++) {
		const char *sec, *name;
		double lo, hi;
		if (!conf_key_range(i, &sec, &name, &lo, &hi))
			continue;
		for (int end = 0; end < 2; end++) {
			char text[256];
			snprintf(text, sizeof(text), "[unit]\nid = van1\n[%s]\n%s = %g\n", sec, name, end ? hi : lo);
			struct conf *c = load(text);
			/* cross-field checks may object to an extreme; the core may not */
			for (size_t e = 0; e < c->report.nerrors; e++)
				if (strstr(c->report.errors[e], "is out of range") || strstr(c->report.errors[e], "core")) {
					fprintf(stderr, "%s.%s = %g: %s\n", sec, name, end ? hi : lo, c->report.errors[e]);
					fail();
				}
			/* asked even when a cross-field check objects: that must not
			 * hide a refusal of the core's */
			struct van_params p;
			const char *why = NULL;
			conf_van_params(c, &p);
			if (van_params_check(&p, &why) < 0) {
				fprintf(stderr, "%s.%s = %g: the core refuses: %s\n", sec, name, end ? hi : lo, why);
				fail();
			}
			drop(c);
		}
	}
}

/* The core's defaults are the shipped defaults: van_params_default() (what
 * the core's unit tests start from) equals, member by member, what the
 * daemon hands van_new() from a file that sets nothing but a door contact
 * (the shipped wiring has doors: config/lines-pi.conf).  A new member of
 * struct van_params belongs here too. */
static void test_core_defaults_are_shipped(void **st)
{
	(void)st;
	struct conf *c = load("[unit]\nid = van1\n[gpio]\nbackend = sim\n[line.door]\nrole = door\n");
	print_errors(c);
	assert_int_equal(c->report.nerrors, 0);
	struct van_params got, want;
	const char *why = NULL;
	conf_van_params(c, &got);
	van_params_default(&want);
	int bad = 0;
#define SAME(m, fmt) do { \
		if (got.m != want.m) { \
			fprintf(stderr, "van_params.%s: shipped " fmt ", core default " fmt "\n", #m, got.m, want.m); \
			bad++; \
		} \
	} while (0)
#define SAME_STR(m) do { \
		if ((got.m == NULL) != (want.m == NULL) || (got.m && strcmp(got.m, want.m))) { \
			fprintf(stderr, "van_params.%s: shipped '%s', core default '%s'\n", #m, \
				got.m ? got.m : "(none)", want.m ? want.m : "(none)"); \
			bad++; \
		} \
	} while (0)
	SAME(capacity, "%d");
	SAME(per_crew, "%d");
	SAME(door_window_s, "%d");
	SAME(beam_gap_max_ms, "%d");
	SAME(beam_stuck_s, "%d");
	SAME(mute_s, "%d");
	SAME(beams_need_door, "%d");
	SAME(default_crew, "%d");
	SAME(default_length_min, "%d");
	SAME(max_length_min, "%d");
	SAME(checkin_interval_min, "%d");
	SAME(checkin_interval_lone_min, "%d");
	SAME(checkin_interval_risk_min, "%d");
	SAME(checkin_reminder_s, "%d");
	SAME(checkin_grace_s, "%d");
	SAME(checkin_repeat_min, "%d");
	SAME(overdue_grace_min, "%d");
	SAME(overdue_repeat_min, "%d");
	SAME(stop_speed_mps, "%g");
	SAME(stop_after_s, "%d");
	SAME(stop_radius_m, "%g");
	SAME(distance_jitter_m, "%g");
	SAME(door_moving_speed_mps, "%g");
	SAME_STR(incident_types);
	SAME(note_max, "%d");
	SAME(repeat_s, "%d");
	SAME(selftest_timeout_s, "%d");
	SAME_STR(duress_code);
	SAME(location_interval_s, "%d");
	SAME(emergency_location_interval_s, "%d");
#undef SAME
#undef SAME_STR
	assert_int_equal(bad, 0);
	assert_int_equal(van_params_check(&want, &why), 0);
	drop(c);

	/* without a door contact the beams count whenever they are crossed */
	c = load("[unit]\nid = van1\n");
	conf_van_params(c, &got);
	assert_false(got.beams_need_door);
	drop(c);
}

static int setup(void **st)
{
	(void)st;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[128];
	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_good_file),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_every_error_with_line),
		cmocka_unit_test(test_missing_and_cross_checks),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_shipped_configs_pass),
		cmocka_unit_test(test_fragment),
		cmocka_unit_test(test_docs_current),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_bytes_and_password_mode),
		cmocka_unit_test(test_core_limits),
		cmocka_unit_test(test_ranges_match_core),
		cmocka_unit_test(test_core_defaults_are_shipped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
