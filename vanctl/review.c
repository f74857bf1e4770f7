/*
 * review.c - entry point of the manager's review subcommands: options, the
 * database path (--db, or [storage] db of the config), opening the store,
 * and the retention purge.  See review.h and docs/review.md.
 */
#include "review.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "review_util.h"
#include "store.h"

/* Which options each subcommand takes. */
enum {
	O_DB = 1 << 0, O_CONF = 1 << 1, O_SINCE = 1 << 2, O_UNTIL = 1 << 3, O_PREC = 1 << 4,
	O_HTML = 1 << 5, O_OUT = 1 << 6, O_FORMAT = 1 << 7, O_MONTH = 1 << 8, O_CSV = 1 << 9,
	O_JSON = 1 << 10, O_DAYS = 1 << 11, O_FORCE = 1 << 12, O_BETWEEN = 1 << 13,
};

struct subcmd {
	const char *name;
	unsigned opts;
	int min_args, max_args;
	const char *usage;
};

static const struct subcmd cmds[] = {
	{ "sessions", O_DB | O_CONF | O_SINCE | O_UNTIL, 0, 0,
	  "vanctl sessions [--since DATE] [--until DATE] [--db FILE | -c CONF]\n"
	  "  One line per session: date, start, end, planned end, duration, distance,\n"
	  "  stops, entries, peak occupancy, time over the limit, check-ins made/missed,\n"
	  "  incidents.  Times are local (TZ); DATE is YYYY-MM-DD (--until includes that day)\n"
	  "  or YYYY-MM-DDTHH:MM." },
	{ "report", O_DB | O_CONF | O_PREC | O_HTML, 1, 1,
	  "vanctl report SESSION [--html FILE] [--precision exact|100m|1km|METRES] [--db FILE | -c CONF]\n"
	  "  A readable summary of one session (SESSION: its id, or \"last\"); --html also\n"
	  "  writes a self-contained, printable HTML report (route, occupancy chart, stops,\n"
	  "  incidents, planned against actual)." },
	{ "export", O_DB | O_CONF | O_PREC | O_OUT | O_FORMAT | O_SINCE | O_UNTIL | O_BETWEEN, 0, 64,
	  "vanctl export (SESSION... | --since DATE [--until DATE] [--between]) --format gpx|geojson|csv\n"
	  "              [-o FILE] [--precision exact|100m|1km|METRES] [--db FILE | -c CONF]\n"
	  "  GPX 1.1 (track + stops as waypoints), GeoJSON (route LineString + stop Points),\n"
	  "  or CSV of the route points; to stdout or FILE.  --between: also the route\n"
	  "  points taken between sessions in the range (session 0)." },
	{ "summary", O_DB | O_CONF | O_MONTH | O_SINCE | O_UNTIL | O_CSV | O_JSON | O_OUT, 0, 0,
	  "vanctl summary (--month YYYY-MM | --since DATE [--until DATE]) [--csv | --json] [-o FILE]\n"
	  "               [--db FILE | -c CONF]\n"
	  "  Figures for commissioners and funders: sessions, hours of service, stops,\n"
	  "  entries (contacts), peak and average occupancy, incidents by category,\n"
	  "  check-ins missed.  Counts only." },
	{ "purge", O_DB | O_CONF | O_DAYS | O_FORCE, 0, 0,
	  "vanctl purge [--older-than DAYS] [--force] [--db FILE | -c CONF]\n"
	  "  The retention rule: route points older than DAYS (default: [storage]\n"
	  "  retention_days) are deleted and older stops and events lose their position\n"
	  "  and detail; session figures and incidents stay.  Opens the database\n"
	  "  read-write.  Refuses to run on an unsynchronised clock unless --force." },
};

static const struct subcmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (name && strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int usage(const struct subcmd *c, bool err)
{
	FILE *f = err ? stderr : stdout;
	if (c) {
		fprintf(f, "usage: %s\n", c->usage);
	} else {
		fprintf(f, "usage: vanctl sessions|report|export|summary|purge ... (--help for each)\n");
	}
	return err ? 2 : 0;
}

/* --db, else [storage] db of the config.  Returns a malloc'ed path or NULL
 * (message printed). */
static char *resolve_db(const char *cmd, const char *db, const char *conf_path)
{
	if (db)
		return strdup(db);
	struct conf c = { 0 };
	char *out = NULL;
	if (conf_defaults(&c) < 0) {
		rv_err(cmd, "out of memory");
		return NULL;
	}
	const char *path = conf_path ? conf_path : CONF_DEFAULT_PATH;
	struct stat sb;
	if (conf_path || stat(path, &sb) == 0) {
		if (conf_load(&c, path) != 0) {
			for (size_t i = 0; i < c.report.nerrors; i++)
				fprintf(stderr, "%s\n", c.report.errors[i]);
			rv_err(cmd, "%s: the configuration has errors (or give --db FILE)", path);
			conf_fini(&c);
			return NULL;
		}
	}
	out = c.storage.db ? strdup(c.storage.db) : NULL;
	if (!out)
		rv_err(cmd, "no database path (give --db FILE)");
	conf_fini(&c);
	return out;
}

static int conf_retention(const char *conf_path)
{
	struct conf c = { 0 };
	int days = 90;
	if (conf_defaults(&c) < 0)
		return days;
	const char *path = conf_path ? conf_path : CONF_DEFAULT_PATH;
	struct stat sb;
	if ((conf_path || stat(path, &sb) == 0) && conf_load(&c, path) != 0)
		days = -1;
	else
		days = c.storage.retention_days;
	conf_fini(&c);
	return days;
}

static int open_db(const struct rv_opts *o, bool readonly, store_t **st)
{
	char err[512] = "";
	struct stat sb;
	/* a read never creates a file; purge must not create one either */
	if (stat(o->db, &sb) < 0) {
		rv_err(o->cmd, "%s: no database there: %s", o->db, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		rv_err(o->cmd, "%s: not a regular file (not a vanctld database)", o->db);
		return -1;
	}
	if (!(*st = store_open(o->db, readonly, err, sizeof(err)))) {
		rv_err(o->cmd, "%s", err[0] ? err : strerror(errno));
		return -1;
	}
	return 0;
}

int rv_session_arg(store_t *st, const struct rv_opts *o, const char *arg, int64_t *id)
{
	if (strcmp(arg, "last") == 0) {
		int r = rv_last_session(st, id);
		if (r == -ENOENT)
			rv_err(o->cmd, "%s: no sessions recorded", o->db);
		else if (r < 0)
			rv_err(o->cmd, "%s", store_errmsg(st));
		return r < 0 ? 1 : 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0) {
		rv_err(o->cmd, "%s: not a session id (a number from `vanctl sessions`, or \"last\")",
		       arg);
		return 1;
	}
	*id = (int64_t)v;
	return 0;
}

/* ------------------------------------------------------------------- purge */

static int cmd_purge(store_t *st, const struct rv_opts *o)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (!o->force && (!clock_system_synced() || now < clock_build_ms())) {
		rv_err(o->cmd, "the system clock is not synchronised: a wrong date could purge "
			       "everything; check the clock and run with --force");
		return 1;
	}
	struct store_purge_result r = { 0 };
	int rc = store_purge(st, o->days, now, &r);
	if (rc < 0) {
		rv_err(o->cmd, "%s", store_errmsg(st));
		return 1;
	}
	char when[64];
	rv_local(now - (int64_t)o->days * 86400000, "%Y-%m-%d %H:%M %Z", when, sizeof(when));
	printf("purged detail older than %d days (before %s) from %s:\n", o->days, when, o->db);
	printf("  route points deleted        %" PRId64 " (from %" PRId64 " session%s)\n", r.points,
	       r.sessions, r.sessions == 1 ? "" : "s");
	printf("  stops cleared of position   %" PRId64 "\n", r.stops);
	printf("  events cleared of detail    %" PRId64 "\n", r.events);
	printf("  undelivered messages        %" PRId64 "\n", r.outbox);
	printf("sessions, their figures and the incident log are kept.\n");
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

static int parse_days(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 36500)
		return -1;
	*out = (int)v;
	return 0;
}

int review_main(int argc, char **argv)
{
	const struct subcmd *c = argc > 0 ? find_cmd(argv[0]) : NULL;
	if (!c)
		return usage(NULL, true);

	static const struct option lopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "precision", required_argument, NULL, 'p' },
		{ "html", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "month", required_argument, NULL, 'm' },
		{ "csv", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "older-than", required_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'F' },
		{ "between", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rv_opts o = { .cmd = c->name, .days = -1 };
	const char *db = NULL, *conf_path = NULL, *month = NULL;
	rv_prec_exact(&o.prec);

	optind = 0;   /* GNU getopt: full re-initialisation (review_main may run twice) */
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":c:o:f:h", lopts, NULL)) != -1) {
		unsigned need = 0;
		const char *bad = NULL;
		if (optarg && !strncmp(optarg, "--", 2) && optarg[2]) {
			/* "--month --db FILE": the value is missing, not "--db" */
			const char *a = argv[optind - 2];
			rv_err(c->name, "%s needs a value%s, not the option %s", a && !strncmp(a, "--", 2) ? a : "the option",
			       ch == 'm' ? " (YYYY-MM)" : "", optarg);
			return usage(c, true);
		}
		switch (ch) {
		case 'h':
			return usage(c, false);
		case 'd': need = O_DB; db = optarg; break;
		case 'c': need = O_CONF; conf_path = optarg; break;
		case 'S':
			need = O_SINCE;
			o.has_since = true;
			if (rv_parse_date(optarg, false, &o.since) < 0)
				bad = "--since: give a date YYYY-MM-DD or YYYY-MM-DDTHH:MM";
			break;
		case 'U':
			need = O_UNTIL;
			o.has_until = true;
			if (rv_parse_date(optarg, true, &o.until) < 0)
				bad = "--until: give a date YYYY-MM-DD or YYYY-MM-DDTHH:MM";
			break;
		case 'p':
			need = O_PREC;
			if (rv_parse_prec(optarg, &o.prec) < 0)
				bad = "--precision: exact, 100m, 1km, or metres (1 to 100000)";
			break;
		case 'H': need = O_HTML; o.out = optarg; break;
		case 'o': need = O_OUT; o.out = optarg; break;
		case 'f':
			need = O_FORMAT;
			o.format = optarg;
			if (strcmp(optarg, "gpx") && strcmp(optarg, "geojson") && strcmp(optarg, "csv"))
				bad = "--format: gpx, geojson or csv";
			break;
		case 'm': need = O_MONTH; month = optarg; break;
		case 'C': need = O_CSV; o.csv = true; break;
		case 'J': need = O_JSON; o.json = true; break;
		case 'D':
			need = O_DAYS;
			if (parse_days(optarg, &o.days) < 0)
				bad = "--older-than: a number of days (1 to 36500)";
			break;
		case 'F': need = O_FORCE; o.force = true; break;
		case 'B': need = O_BETWEEN; o.between = true; break;
		case ':':
		default: {
			/* name the option as it was written: a long one by its
			 * word, a short one by its letter */
			const char *a = argv[optind - 1];
			char sh[3] = { '-', (char)optopt, '\0' };
			const char *name = a && strncmp(a, "--", 2) == 0 ? a : sh;
			rv_err(c->name, ch == ':' ? "%s needs an argument" : "unknown option %s", name);
			return usage(c, true);
		}
		}
		if (!(c->opts & need)) {
			rv_err(c->name, "%s does not apply here", argv[optind - 1]);
			return usage(c, true);
		}
		if (bad) {
			rv_err(c->name, "%s", bad);
			return usage(c, true);
		}
	}
	/* GNU getopt moved the arguments after the options (unless
	 * POSIXLY_CORRECT is set: then say what went wrong) */
	o.args = argv + optind;
	o.nargs = argc - optind;
	for (int i = 0; i < o.nargs; i++)
		if (o.args[i][0] == '-' && o.args[i][1]) {
			rv_err(c->name, "put options before SESSION (%s)", o.args[i]);
			return usage(c, true);
		}
	if (o.nargs < c->min_args || o.nargs > c->max_args) {
		rv_err(c->name, o.nargs < c->min_args ? "missing argument" : "too many arguments");
		return usage(c, true);
	}
	if (month) {
		if (o.has_since || o.has_until) {
			rv_err(c->name, "--month or --since/--until, not both");
			return usage(c, true);
		}
		if (rv_parse_month(month, &o.since, &o.until) < 0) {
			rv_err(c->name, "--month: give YYYY-MM");
			return usage(c, true);
		}
		o.has_since = o.has_until = true;
	}
	if (o.between && (o.nargs || !o.has_since)) {
		rv_err(c->name, "--between goes with --since DATE [--until DATE], not with session ids");
		return usage(c, true);
	}
	if (o.has_since && o.has_until && o.until <= o.since) {
		rv_err(c->name, "--until must be after --since");
		return usage(c, true);
	}
	if (!o.has_since)
		o.since = 0;
	if (!o.has_until)
		o.until = INT64_MAX;
	if (strcmp(c->name, "export") == 0) {
		if (!o.format) {
			rv_err(c->name, "--format gpx|geojson|csv is required");
			return usage(c, true);
		}
		if (o.nargs == 0 && !o.has_since && !o.has_until) {
			rv_err(c->name, "give SESSION ids or a date range (--since/--until)");
			return usage(c, true);
		}
		if (o.nargs > 0 && (o.has_since || o.has_until)) {
			rv_err(c->name, "SESSION ids or a date range, not both");
			return usage(c, true);
		}
	}
	if (strcmp(c->name, "summary") == 0) {
		if (!o.has_since && !o.has_until) {
			rv_err(c->name, "give --month YYYY-MM or --since/--until");
			return usage(c, true);
		}
		if (o.csv && o.json) {
			rv_err(c->name, "--csv or --json, not both");
			return usage(c, true);
		}
	}

	char *dbpath = resolve_db(c->name, db, conf_path);
	if (!dbpath)
		return 1;
	o.db = dbpath;
	bool purge = strcmp(c->name, "purge") == 0;
	if (purge && o.days < 0) {
		o.days = conf_retention(conf_path);
		if (o.days < 1) {
			free(dbpath);
			rv_err(c->name, "give --older-than DAYS");
			return 1;
		}
	}
	store_t *st = NULL;
	if (open_db(&o, !purge, &st) < 0) {
		free(dbpath);
		return 1;
	}
	int rc;
	if (purge)
		rc = cmd_purge(st, &o);
	else if (strcmp(c->name, "sessions") == 0)
		rc = rv_cmd_sessions(st, &o);
	else if (strcmp(c->name, "report") == 0)
		rc = rv_cmd_report(st, &o);
	else if (strcmp(c->name, "export") == 0)
		rc = rv_cmd_export(st, &o);
	else
		rc = rv_cmd_summary(st, &o);
	store_close(st);
	free(dbpath);
	return rc;
}
