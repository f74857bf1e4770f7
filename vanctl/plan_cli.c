/*
 * plan_cli.c - `vanctl plan check|show`.  See plan_cli.h; the file format
 * is in docs/plans.md.  The checks are the daemon's own (planfile.c and
 * core/plan_def.c): a plan that passes here is a plan the daemon accepts.
 */
#include "plan_cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "conf.h"
#include "core/geo.h"
#include "core/plan.h"
#include "planfile.h"

static const char usage_text[] =
	"usage: vanctl plan check FILE...\n"
	"       vanctl plan show NAME|FILE [--json] [-d DIR | -c CONF]\n"
	"  check: read and check plan files; every problem is printed.  Exit 0 when\n"
	"         all are good, 1 otherwise.\n"
	"  show:  print a plan (NAME: DIR/NAME.json, DIR from -d or [session] plans_dir\n"
	"         of the configuration -c, default " CONF_DEFAULT_PATH ").\n"
	"  File format: docs/plans.md.\n";

static int usage(bool err)
{
	fputs(usage_text, err ? stderr : stdout);
	return err ? 2 : 0;
}

static void print_errs(const struct plan_errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "%s\n", e->v[i]);
	if (e->dropped)
		fprintf(stderr, "(%zu more problems not shown)\n", e->dropped);
}

static int do_check(int argc, char **argv)
{
	int bad = 0, files = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(false);
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vanctl plan check: unknown option %s\n", argv[i]);
			return usage(true);
		}
	}
	for (int i = 0; i < argc; i++) {
		struct plan_errs errs = { 0 };
		struct plan_def *d = malloc(sizeof(*d));
		if (!d) {
			fprintf(stderr, "vanctl plan check: out of memory\n");
			return 1;
		}
		files++;
		int r = planfile_load(argv[i], d, &errs);
		if (r == 0) {
			printf("%s: ok (plan \"%s\", %zu locations)\n", argv[i], d->name, d->n);
		} else {
			bad++;
			print_errs(&errs);
			if (r == -ENOMEM)
				fprintf(stderr, "%s: out of memory\n", argv[i]);
			else if (errs.n == 0)
				fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
			fprintf(stderr, "%s: %zu problem%s\n", argv[i], errs.n + errs.dropped,
				errs.n + errs.dropped == 1 ? "" : "s");
		}
		plan_errs_free(&errs);
		free(d);
	}
	if (!files) {
		fprintf(stderr, "vanctl plan check: no FILE given\n");
		return usage(true);
	}
	return bad ? 1 : 0;
}

/* [session] plans_dir of the configuration; malloc'ed, or NULL (printed). */
static char *conf_plans_dir(const char *conf_path)
{
	struct conf c = { 0 };
	char *out = NULL;
	if (conf_defaults(&c) < 0) {
		fprintf(stderr, "vanctl plan: out of memory\n");
		return NULL;
	}
	const char *path = conf_path ? conf_path : CONF_DEFAULT_PATH;
	struct stat sb;
	if ((conf_path || stat(path, &sb) == 0) && conf_load(&c, path) != 0) {
		for (size_t i = 0; i < c.report.nerrors; i++)
			fprintf(stderr, "%s\n", c.report.errors[i]);
		fprintf(stderr, "vanctl plan: %s: the configuration has errors (or give -d DIR)\n",
			path);
		conf_fini(&c);
		return NULL;
	}
	out = c.session.plans_dir ? strdup(c.session.plans_dir) : NULL;
	if (!out)
		fprintf(stderr, "vanctl plan: no plans folder (give -d DIR)\n");
	conf_fini(&c);
	return out;
}

/* "HH:MM", with " +1" when on the day after the plan's start. */
static const char *when(const struct plan_def *d, int tod, char *buf, size_t n)
{
	char hm[8];
	if (tod == PLAN_NO_TIME) {
		snprintf(buf, n, "-");
		return buf;
	}
	snprintf(buf, n, "%s%s", plan_hhmm(tod, hm, sizeof(hm)),
		 d->start + plan_tl(d, tod) >= 1440 ? "+1" : "");
	return buf;
}

static void fmt_dist(double m, char *buf, size_t n)
{
	if (m < 1000)
		snprintf(buf, n, "%.0f m", m);
	else
		snprintf(buf, n, "%.1f km", m / 1000);
}

static void show_text(const struct plan_def *d, const char *path)
{
	char a[16], b[16], dist[24];
	int len = plan_tl(d, d->end);
	printf("plan %s  (%s)\n", d->name, path);
	if (d->description[0])
		printf("  %s\n", d->description);
	printf("  start %s, end %s (%dh%02d)\n", when(d, d->start, a, sizeof(a)),
	       when(d, d->end, b, sizeof(b)), len / 60, len % 60);
	printf("  base  %s  %.6f %.6f  radius %d m\n", d->base.name, d->base.lat, d->base.lon,
	       d->base.radius_m);
	printf("  off corridor: more than %d m from the route for %d min; unplanned stop: %d min\n",
	       d->corridor_m, d->off_corridor_min, d->unplanned_stop_min);
	printf("  check-in points: due %d min after arrival, missed alert repeated every %d min;"
	       " arrive/depart after %d fixes\n",
	       d->checkin_grace_min, d->checkin_repeat_min, d->arrive_fixes);
	printf("\n  %-3s %-20s %-15s %-7s %-7s %-9s %s\n", "#", "location", "arrive", "dwell",
	       "radius", "check-in", "from previous");
	double plat = d->base.lat, plon = d->base.lon;
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_loc *l = &d->loc[i];
		char win[40], dw[16], rad[16];
		if (l->earliest == PLAN_NO_TIME && l->latest == PLAN_NO_TIME)
			snprintf(win, sizeof(win), "any time");
		else
			snprintf(win, sizeof(win), "%s-%s", when(d, l->earliest, a, sizeof(a)),
				 when(d, l->latest, b, sizeof(b)));
		if (l->dwell_min)
			snprintf(dw, sizeof(dw), "%d min", l->dwell_min);
		else
			snprintf(dw, sizeof(dw), "-");
		snprintf(rad, sizeof(rad), "%d m", l->radius_m);
		fmt_dist(geo_distance_m(plat, plon, l->lat, l->lon), dist, sizeof(dist));
		printf("  %-3zu %-20s %-15s %-7s %-7s %-9s %s\n", i + 1, l->name, win, dw, rad,
		       l->checkin ? "yes" : "", dist);
		plat = l->lat;
		plon = l->lon;
	}
	fmt_dist(geo_distance_m(plat, plon, d->base.lat, d->base.lon), dist, sizeof(dist));
	printf("  %-3s %-20s %-15s %-7s %-7s %-9s %s\n", "", d->base.name,
	       when(d, d->end, a, sizeof(a)), "", "", "", dist);
	if (d->start + len >= 1440)
		printf("\n  +1: the day after the start (the plan crosses midnight).\n");
}

static int do_show(int argc, char **argv)
{
	const char *dir = NULL, *conf_path = NULL, *what = NULL;
	bool json = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return usage(false);
		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "--plans-dir") == 0 ||
			   strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vanctl plan show: %s needs a value\n", a);
				return usage(true);
			}
			if (strcmp(a, "-d") == 0 || strcmp(a, "--plans-dir") == 0)
				dir = argv[++i];
			else
				conf_path = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "vanctl plan show: unknown option %s\n", a);
			return usage(true);
		} else if (what) {
			fprintf(stderr, "vanctl plan show: one plan at a time\n");
			return usage(true);
		} else {
			what = a;
		}
	}
	if (!what) {
		fprintf(stderr, "vanctl plan show: which plan? (NAME or FILE)\n");
		return usage(true);
	}
	size_t wl = strlen(what);
	bool is_file = strchr(what, '/') || (wl > 5 && strcmp(what + wl - 5, ".json") == 0);
	char path[4096];
	char *cdir = NULL;
	if (is_file) {
		snprintf(path, sizeof(path), "%s", what);
	} else {
		if (!dir) {
			cdir = conf_plans_dir(conf_path);
			if (!cdir)
				return 1;
			dir = cdir;
		}
		int r = planfile_path(dir, what, path, sizeof(path));
		free(cdir);
		if (r < 0) {
			fprintf(stderr, "vanctl plan show: \"%s\": %s\n", what,
				r == -EINVAL ? "not a plan name (1-47 of A-Z a-z 0-9 _ -)"
					     : "path too long");
			return 1;
		}
	}
	struct plan_def *d = malloc(sizeof(*d));
	struct plan_errs errs = { 0 };
	if (!d) {
		fprintf(stderr, "vanctl plan show: out of memory\n");
		return 1;
	}
	int rc = 0;
	int r = planfile_load(path, d, &errs);
	if (r < 0) {
		print_errs(&errs);
		if (errs.n == 0)
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		rc = 1;
	} else if (json) {
		json_t *j = plan_def_to_json(d);
		char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
		if (s)
			printf("%s\n", s);
		else
			rc = 1;
		free(s);
		json_decref(j);
	} else {
		show_text(d, path);
	}
	plan_errs_free(&errs);
	free(d);
	return rc;
}

int plan_main(int argc, char **argv)
{
	int i = 0;
	if (argc > 0 && strcmp(argv[0], "check") != 0 && strcmp(argv[0], "show") != 0)
		i = 1;   /* argv[0] is "plan" */
	if (i >= argc)
		return usage(true);
	const char *act = argv[i];
	if (strcmp(act, "-h") == 0 || strcmp(act, "--help") == 0 || strcmp(act, "help") == 0)
		return usage(false);
	if (strcmp(act, "check") == 0)
		return do_check(argc - i - 1, argv + i + 1);
	if (strcmp(act, "show") == 0)
		return do_show(argc - i - 1, argv + i + 1);
	fprintf(stderr, "vanctl plan: unknown action \"%s\"\n", act);
	return usage(true);
}
