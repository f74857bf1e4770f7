/*
 * vanctl.c - the crew's command line: talks to vanctld over the control
 * socket (docs/control.md), and hosts the manager's review commands
 * (review.h).
 *
 * Exit status: 0 done; 1 the daemon refused (its reason is printed);
 * 2 usage error; 3 cannot reach the daemon (not running, permission, no
 * reply).  --json prints the daemon's reply object (one line) for scripts,
 * and for errors of our own an object of the same shape.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "ctlclient.h"
#include "fmt.h"
#include "log.h"
#include "core/plan.h"
#include "plan_cli.h"
#include "vanctl.h"

#include "review.h"

struct opts {
	const char *socket;
	const char *conf;
	bool json;
	int timeout_ms;
	char path[256];
};

struct command {
	const char *name;
	int (*fn)(struct opts *o, int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct command *find_command(const char *name);

/* ---- output helpers ---- */

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vanctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vanctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/* Our own failure, in the reply's shape when --json. */
static int fail_local(struct opts *o, int code, const char *error, const char *reason)
{
	if (o->json) {
		json_t *r = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", error, "reason", reason);
		char *t = json_dumps(r, JSON_COMPACT);
		if (t)
			puts(t);
		free(t);
		json_decref(r);
	}
	fprintf(stderr, "vanctl: %s\n", reason);
	return code;
}

/* "session started" -> "Session started." */
static void print_sentence(const char *s)
{
	if (!s || !*s)
		s = "done";
	size_t n = strlen(s);
	printf("%c%s%s\n", s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0], s + 1,
	       s[n - 1] == '.' || s[n - 1] == '?' || s[n - 1] == '!' ? "" : ".");
}

/* ---- talking to the daemon ---- */

static int connect_daemon(struct opts *o, int *fd)
{
	char err[512], warn[300];
	ctlc_socket_path(o->socket, o->conf, o->path, sizeof(o->path), warn, sizeof(warn));
	if (*warn)
		fprintf(stderr, "vanctl: warning: %s\n", warn);
	*fd = ctlc_connect(o->path, false, err, sizeof(err));
	if (*fd < 0)
		return fail_local(o, EXIT_UNREACHABLE, "unreachable", err);
	return EXIT_OK;
}

typedef void (*human_fn)(struct opts *o, int fd, const json_t *reply, void *arg);

/* Send req (stolen); print the reply (by human(arg), or the daemon's
 * sentence, else the default sentence arg); return the exit code. */
static int run(struct opts *o, json_t *req, human_fn human, void *arg)
{
	int fd, rc;
	char err[512];

	if (!req)
		return fail_local(o, EXIT_REFUSED, "internal", "out of memory");
	if ((rc = connect_daemon(o, &fd)) != EXIT_OK) {
		json_decref(req);
		return rc;
	}
	json_t *reply = ctlc_request(fd, req, o->timeout_ms, err, sizeof(err));
	if (!reply) {
		close(fd);
		return fail_local(o, EXIT_UNREACHABLE, "unreachable", err);
	}
	bool ok = json_is_true(json_object_get(reply, "ok"));
	/* the connection refused ("retry_ms"), not the command (a self-test running is "busy" too) */
	bool busy = !ok && json_object_get(reply, "retry_ms");
	if (busy && !o->json) {
		/* not a refusal of this command: the daemon had no room for us */
		fprintf(stderr, "vanctl: vanctld is busy (too many control clients); nothing was done: "
			"try again in a moment\n");
	} else if (o->json) {
		json_object_del(reply, "id");
		char *t = json_dumps(reply, JSON_COMPACT);
		if (t)
			puts(t);
		free(t);
	} else if (ok) {
		if (human) {
			human(o, fd, reply, arg);
		} else {
			/* the daemon's sentence, else ours (arg) */
			const char *why = json_string_value(json_object_get(reply, "reason"));
			print_sentence(why && *why ? why : arg);
		}
	} else {
		const char *code = json_string_value(json_object_get(reply, "error"));
		const char *why = json_string_value(json_object_get(reply, "reason"));
		bool same = why && code && !strcmp(why, code);
		fprintf(stderr, "vanctl: refused: %s%s%s%s\n", why ? why : "no reason given",
			code && !same ? " (" : "", code && !same ? code : "", code && !same ? ")" : "");
	}
	json_decref(reply);
	close(fd);
	return ok ? EXIT_OK : busy ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

/* After a count change: the reply's sentence and the count now. */
static void human_occupancy(struct opts *o, int fd, const json_t *reply, void *arg)
{
	char err[200];
	(void)arg;
	const char *why = json_string_value(json_object_get(reply, "reason"));
	print_sentence(why && *why ? why : "count corrected");
	json_t *st = ctlc_request(fd, json_pack("{s:s}", "cmd", "status"), o->timeout_ms, err, sizeof(err));
	const json_t *s = json_object_get(st, "result");
	if (s) {
		int64_t occ = jpath_int(s, "occupancy.occupancy", 0), lim = jpath_int(s, "occupancy.limit", 0);
		printf("On board: %lld / %lld%s\n", (long long)occ, (long long)lim,
		       jpath_bool(s, "occupancy.over", false) ? "  OVER LIMIT"
		       : jpath_bool(s, "occupancy.full", false) ? "  FULL" : "");
	}
	json_decref(st);
}

static void human_status(struct opts *o, int fd, const json_t *reply, void *arg)
{
	(void)o;
	(void)fd;
	(void)arg;
	print_status(stdout, json_object_get(reply, "result"));
}

static const char no_names[] =
	"Reminder: incident records hold no names and nothing that identifies a person "
	"(categories and counts only).";

static void human_incident(struct opts *o, int fd, const json_t *reply, void *arg)
{
	(void)o;
	(void)fd;
	(void)arg;
	const char *why = json_string_value(json_object_get(reply, "reason"));
	print_sentence(why && *why ? why : "incident recorded");
	puts(no_names);
}

/* ---- argument parsing ---- */

/* Parse a whole number in [min, max]; false if not one. */
static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "HH:MM" or an ISO 8601 UTC time "YYYY-MM-DDTHH:MM[:SS]Z" (checked again by the daemon). */
static bool valid_until(const char *s)
{
	int h, m;
	char tail;
	if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) == 2 && strlen(s) <= 5 && h >= 0 && h < 24 && m >= 0 && m < 60)
		return true;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end, ":%S", &tm);
	return end && !strcmp(end, "Z");
}

static int cmd_help_for(const char *name);

static const struct option only_help[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

/* A subcommand with no options but --help and at most max_pos words.
 * Returns the index of the first word, -1 after printing help, -2 after a
 * usage message. */
static int no_args(const char *cmd, int argc, char **argv, int max_pos)
{
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", only_help, NULL)) != -1) {
		if (ch == 'h') {
			cmd_help_for(cmd);
			return -1;
		}
		usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		return -2;
	}
	if (argc - optind > max_pos) {
		usage_error(cmd, "unexpected argument '%s'", argv[optind + max_pos]);
		return -2;
	}
	return optind;
}

/* ---- the commands ---- */

static int c_status(struct opts *o, int argc, char **argv)
{
	int i = no_args("status", argc, argv, 0);
	if (i < 0)
		return i == -1 ? EXIT_OK : EXIT_USAGE;
	return run(o, json_pack("{s:s}", "cmd", "status"), human_status, NULL);
}

static int c_session(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "crew", required_argument, NULL, 'n' }, { "lone", no_argument, NULL, 'l' },
		{ "until", required_argument, NULL, 'u' }, { "plan", required_argument, NULL, 'p' },
		{ "code", required_argument, NULL, 'c' }, { "minutes", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2)
			return usage_error("session", "say start, end or extend");
		cmd_help_for("session");
		return EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "start") && strcmp(sub, "end") && strcmp(sub, "extend"))
		return usage_error("session", "unknown action '%s' (start, end or extend)", sub);
	long crew = 0, minutes = 0;
	bool lone = false;
	const char *until = NULL, *plan = NULL, *code = NULL;
	char allowed[8];
	snprintf(allowed, sizeof(allowed), "%s", !strcmp(sub, "start") ? "nlup" : !strcmp(sub, "end") ? "c" : "um");
	optind = 2;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h') {
			cmd_help_for("session");
			return EXIT_OK;
		}
		if (ch == '?' || !strchr(allowed, ch))
			return usage_error("session", "'session %s' does not take '%s'", sub, argv[optind - 1]);
		switch (ch) {
		case 'n':
			if (!parse_long(optarg, 1, 20, &crew))
				return usage_error("session", "--crew must be a whole number from 1 to 20, not '%s'", optarg);
			break;
		case 'l': lone = true; break;
		case 'u':
			if (!valid_until(optarg))
				return usage_error("session", "--until must be HH:MM (local time) or like 2026-11-24T23:30Z, not '%s'", optarg);
			until = optarg;
			break;
		case 'p': plan = optarg; break;
		case 'c': code = optarg; break;
		case 'm':
			if (!parse_long(optarg, 1, 600, &minutes))
				return usage_error("session", "--minutes must be a whole number from 1 to 600, not '%s'", optarg);
			break;
		}
	}
	if (optind < argc)
		return usage_error("session", "unexpected argument '%s'", argv[optind]);
	json_t *req;
	if (!strcmp(sub, "start")) {
		if (!crew)
			return usage_error("session", "session start needs --crew N (the crew on board)");
		req = json_pack("{s:s, s:i, s:b}", "cmd", "session_start", "crew", (int)crew, "lone", lone);
		if (until)
			json_object_set_new(req, "until", json_string(until));
		if (plan)
			json_object_set_new(req, "plan", json_string(plan));
	} else if (!strcmp(sub, "end")) {
		req = json_pack("{s:s}", "cmd", "session_end");
		if (code)
			json_object_set_new(req, "code", json_string(code));
	} else {
		if (!minutes == !until)
			return usage_error("session", "session extend needs --minutes N or --until HH:MM (one of them)");
		req = json_pack("{s:s}", "cmd", "session_extend");
		if (minutes)
			json_object_set_new(req, "minutes", json_integer(minutes));
		else
			json_object_set_new(req, "until", json_string(until));
	}
	return run(o, req, NULL, (void *)(!strcmp(sub, "start") ? "session started" : !strcmp(sub, "end") ? "session ended" : "planned end moved"));
}

static int c_checkin(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "code", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *code = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h')
			return cmd_help_for("checkin");
		if (ch != 'c')
			return usage_error("checkin", "unknown option '%s'", argv[optind - 1]);
		code = optarg;
	}
	if (optind < argc)
		return usage_error("checkin", "unexpected argument '%s'", argv[optind]);
	json_t *req = json_pack("{s:s}", "cmd", "checkin");
	if (code)
		json_object_set_new(req, "code", json_string(code));
	return run(o, req, NULL, (void *)"checked in");
}

static int c_occupancy(struct opts *o, int argc, char **argv)
{
	long n;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_help_for("occupancy");
	if (argc < 2)
		return usage_error("occupancy", "say +1, -1, set N or empty");
	const char *a = argv[1];
	json_t *req = NULL;
	if (!strcmp(a, "empty") && argc == 2) {
		req = json_pack("{s:s, s:b}", "cmd", "occupancy", "empty", 1);
	} else if (!strcmp(a, "set") && argc == 3) {
		if (!parse_long(argv[2], 0, 1000, &n))
			return usage_error("occupancy", "set needs a whole number from 0 to 1000, not '%s'", argv[2]);
		req = json_pack("{s:s, s:i}", "cmd", "occupancy", "set", (int)n);
	} else if ((a[0] == '+' || a[0] == '-') && argc == 2) {
		if (!parse_long(a + 1, 1, 100, &n))
			return usage_error("occupancy", "'%s' is not a correction like +1 or -1", a);
		req = json_pack("{s:s, s:i}", "cmd", "occupancy", "delta", (int)(a[0] == '-' ? -n : n));
	} else {
		return usage_error("occupancy", "say +1, -1, set N or empty (not '%s'%s)", a, argc > 2 ? " ..." : "");
	}
	return run(o, req, human_occupancy, NULL);
}

static int c_crew(struct opts *o, int argc, char **argv)
{
	long n;
	int i = no_args("crew", argc, argv, 1);
	if (i < 0)
		return i == -1 ? EXIT_OK : EXIT_USAGE;
	if (i >= argc)
		return usage_error("crew", "say how many crew are on board (1-20)");
	if (!parse_long(argv[i], 1, 20, &n))
		return usage_error("crew", "crew must be a whole number from 1 to 20, not '%s'", argv[i]);
	return run(o, json_pack("{s:s, s:i}", "cmd", "crew", "crew", (int)n), NULL, (void *)"crew changed");
}

static int c_panic(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "covert", no_argument, NULL, 'c' }, { "test", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool covert = false, test = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h')
			return cmd_help_for("panic");
		if (ch == 'c')
			covert = true;
		else if (ch == 't')
			test = true;
		else
			return usage_error("panic", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return usage_error("panic", "unexpected argument '%s'", argv[optind]);
	if (covert && test)
		return usage_error("panic", "--covert and --test do not go together");
	return run(o, json_pack("{s:s, s:b, s:b}", "cmd", "panic", "covert", covert, "test", test), NULL,
		   (void *)(test ? "self-test started" : "sent"));
}

static int c_alarm(struct opts *o, int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_help_for("alarm");
	if (argc != 2 || strcmp(argv[1], "clear"))
		return usage_error("alarm", "the only action is 'alarm clear'");
	return run(o, json_pack("{s:s}", "cmd", "alarm_clear"), NULL, (void *)"emergency cleared");
}

static int c_mute(struct opts *o, int argc, char **argv)
{
	int i = no_args("mute", argc, argv, 0);
	if (i < 0)
		return i == -1 ? EXIT_OK : EXIT_USAGE;
	return run(o, json_pack("{s:s}", "cmd", "mute"), NULL, (void *)"buzzer muted");
}

static int c_incident(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "type", required_argument, NULL, 't' }, { "note", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *type = NULL, *note = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h')
			return cmd_help_for("incident");
		if (ch == 't')
			type = optarg;
		else if (ch == 'n')
			note = optarg;
		else
			return usage_error("incident", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return usage_error("incident", "unexpected argument '%s' (put a note in quotes: --note \"...\")", argv[optind]);
	if (!type)
		return usage_error("incident", "say which kind: --type TYPE (the daemon lists the kinds if you give a wrong one)");
	if (note && strlen(note) > 200)
		return usage_error("incident", "the note is %zu bytes; at most 200", strlen(note));
	json_t *req = json_pack("{s:s, s:s}", "cmd", "incident", "type", type);
	if (note)
		json_object_set_new(req, "note", json_string(note));
	if (o->json)
		fprintf(stderr, "%s\n", no_names);
	return run(o, req, human_incident, NULL);
}

static int c_sim(struct opts *o, int argc, char **argv)
{
	long ms = 0;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_help_for("sim");
	if (argc < 3 || argc > 4)
		return usage_error("sim", "say LINE on|off|pulse [MS]");
	const char *v = argv[2];
	if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "pulse"))
		return usage_error("sim", "the value is on, off or pulse, not '%s'", v);
	if (argc == 4) {
		if (strcmp(v, "pulse"))
			return usage_error("sim", "only pulse takes a length");
		if (!parse_long(argv[3], 1, 60000, &ms))
			return usage_error("sim", "the pulse length is 1-60000 ms, not '%s'", argv[3]);
	}
	json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "sim", "line", argv[1], "value", v);
	if (ms)
		json_object_set_new(req, "ms", json_integer(ms));
	return run(o, req, NULL, (void *)"done");
}

static volatile sig_atomic_t watch_stop;
static void on_sig(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* Follow the daemon's events (human lines, or the raw JSON with --json). */
static int c_watch(struct opts *o, int argc, char **argv)
{
	int i = no_args("watch", argc, argv, 0), fd, rc;
	char err[512];
	if (i < 0)
		return i == -1 ? EXIT_OK : EXIT_USAGE;
	if ((rc = connect_daemon(o, &fd)) != EXIT_OK)
		return rc;
	json_t *reply = ctlc_request(fd, json_pack("{s:s}", "cmd", "watch"), o->timeout_ms, err, sizeof(err));
	if (!reply) {
		close(fd);
		return fail_local(o, EXIT_UNREACHABLE, "unreachable", err);
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		bool busy = json_object_get(reply, "retry_ms") != NULL;
		if (busy)
			fprintf(stderr, "vanctl: vanctld is busy (too many control clients): try again in a moment\n");
		else
			fprintf(stderr, "vanctl: refused: %s\n", json_string_value(json_object_get(reply, "reason")));
		json_decref(reply);
		close(fd);
		return busy ? EXIT_UNREACHABLE : EXIT_REFUSED;
	}
	json_decref(reply);
	struct sigaction sa = { .sa_handler = on_sig };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct ctlc_lines *lb = calloc(1, sizeof(*lb));
	rc = EXIT_OK;
	while (!watch_stop && lb) {
		json_t *j;
		while ((j = ctlc_lines_next(lb))) {
			const char *ev = json_string_value(json_object_get(j, "event"));
			if (o->json) {
				char *t = json_dumps(j, JSON_COMPACT);
				if (t)
					puts(t);
				free(t);
			} else if (ev && !strcmp(ev, "event")) {
				char t[16], *d = json_dumps(json_object_get(j, "data"), JSON_COMPACT);
				time_t now = time(NULL);
				strftime(t, sizeof(t), "%H:%M:%S", localtime(&now));
				printf("%s %s %s\n", t, json_string_value(json_object_get(j, "type")), d ? d : "");
				free(d);
			}
			json_decref(j);
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			continue;
		int r = ctlc_lines_read(lb, fd);
		if (r == 0 || (r < 0 && r != -EAGAIN && r != -EINTR)) {
			fprintf(stderr, "vanctl: vanctld closed the connection\n");
			rc = EXIT_UNREACHABLE;
			break;
		}
	}
	free(lb);
	close(fd);
	return rc;
}

static int c_review(struct opts *o, int argc, char **argv)
{
	(void)o;
	return review_main(argc, argv);
}

/* `vanctl plan skip [NAME] --reason R` and `vanctl plan add-stop --reason R`:
 * the crew phoning in a change of route (control socket); `plan check` and
 * `plan show` read files (vanctl/plan_cli.c). */
static int c_plan(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "reason", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *loc = NULL;
	int ch;

	if (argc < 2 || (strcmp(argv[1], "skip") && strcmp(argv[1], "add-stop")))
		return plan_main(argc, argv);
	bool skip = !strcmp(argv[1], "skip");
	optind = 2;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h') {
			printf("Usage: vanctl plan skip [LOCATION] --reason REASON\n"
			       "       vanctl plan add-stop --reason REASON\n"
			       "Tell base the route changed: skip a planned location (default: the next one),\n"
			       "or stop somewhere unplanned.  It silences the deviation alert it explains.\n"
			       "REASON: " PLAN_REASONS "\n");
			return EXIT_OK;
		}
		if (ch != 'r')
			return usage_error("plan", "unknown option '%s'", argv[optind - 1]);
		reason = optarg;
	}
	if (skip && optind < argc)
		loc = argv[optind++];
	if (optind < argc)
		return usage_error("plan", "unexpected argument '%s'", argv[optind]);
	if (!reason)
		return usage_error("plan", "--reason is required (" PLAN_REASONS ")");
	json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "plan_change", "change", skip ? "skip" : "add_stop",
				"reason", reason);
	if (loc)
		json_object_set_new(req, "location", json_string(loc));
	return run(o, req, NULL, (void *)(skip ? "plan change sent: location skipped" : "plan change sent: unplanned stop"));
}

static int c_help(struct opts *o, int argc, char **argv);

static const struct command commands[] = {
	{ "status", c_status, "status",
	  "The van now: session, service users on board / limit, check-in, stop, GPS,\n"
	  "link to base, emergency, and the last session's debrief." },
	{ "session", c_session,
	  "session start --crew N [--lone] [--until HH:MM] [--plan NAME]\n"
	  "       vanctl session end [--code WORD]\n"
	  "       vanctl session extend --minutes N | --until HH:MM",
	  "start: begin a session with N crew on board (1-20; a crew of 1 needs --lone).\n"
	  "       --until: planned end (HH:MM local time, the next one; or 2026-11-24T23:30Z);\n"
	  "       default: the configured session length.  --plan: a route plan by name.\n"
	  "end: end the session (this is the end check-in); --code: the crew's answer word.\n"
	  "extend: move the planned end by N minutes (1-600) or to a time." },
	{ "checkin", c_checkin, "checkin [--code WORD]",
	  "Check in with base now (answers base's request too).  --code: the crew's answer word." },
	{ "occupancy", c_occupancy, "occupancy +1 | -1 | set N | empty",
	  "Correct the count of service users on board: +1 / -1 (or +N / -N), set it to N,\n"
	  "or confirm the van is empty." },
	{ "crew", c_crew, "crew N", "The crew on board changed to N (1-20): the limit follows." },
	{ "panic", c_panic, "panic [--covert] [--test]",
	  "Raise an emergency at base now.  --covert: nothing shows or sounds in the van.\n"
	  "--test: an end-to-end self-test of the emergency path (base acknowledges it)." },
	{ "alarm", c_alarm, "alarm clear", "Clear the emergency (a deliberate crew action)." },
	{ "mute", c_mute, "mute", "Silence the over-limit buzzer for a while (occupancy.mute)." },
	{ "incident", c_incident, "incident --type TYPE [--note TEXT]",
	  "Record an incident of a kind (session.incident_types, e.g. aggression, medical,\n"
	  "police, vehicle, threat, other) with an optional note of at most 200 bytes.\n"
	  "NO NAMES: never write anything that identifies a person." },
	{ "sim", c_sim, "sim LINE on|off|pulse [MS]",
	  "Simulator only ([gpio] backend = sim): as if input LINE (a line or role name)\n"
	  "changed; pulse: on, then off after MS (default 200)." },
	{ "watch", c_watch, "watch",
	  "Follow the daemon's events as they happen (--json: every message as it comes).\n"
	  "Stops on Ctrl-C, or with exit status 3 when the daemon goes away." },
	{ "sessions", c_review, "sessions ...", "Manager's review: list sessions (see 'vanctl sessions --help')." },
	{ "report", c_review, "report ...", "Manager's review: a session's report (see 'vanctl report --help')." },
	{ "export", c_review, "export ...", "Manager's review: GPX/GeoJSON/CSV export (see 'vanctl export --help')." },
	{ "summary", c_review, "summary ...", "Manager's review: figures for funders (see 'vanctl summary --help')." },
	{ "purge", c_review, "purge ...", "Manager's review: retention purge (see 'vanctl purge --help')." },
	{ "plan", c_plan, "plan skip [LOC] --reason R | plan add-stop --reason R | plan check FILE | plan show NAME",
	  "Route plans: phone in a change of route; check or show a plan file." },
	{ "help", c_help, "help [COMMAND]", "Help on vanctl, or on one command." },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help_for(const char *name)
{
	const struct command *c = find_command(name);
	if (!c)
		return usage_error(NULL, "no command '%s'", name);
	printf("Usage: vanctl [--socket PATH] [--json] %s\n\n%s\n\n"
	       "Exit status: 0 done, 1 the daemon refused (reason printed), 2 usage error,\n"
	       "3 cannot reach the daemon.\n", c->synopsis, c->help);
	return EXIT_OK;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vanctl [OPTIONS] COMMAND [ARGS]\n"
		"Control vanctld, the street-outreach van's controller, and review its records.\n"
		"\n"
		"Options (before or after the command):\n"
		"  --socket PATH     the control socket (default: control.socket of the config,\n"
		"                    else %s; also $VANCTLD_SOCKET)\n"
		"  -c, --config FILE the daemon's configuration (default %s)\n"
		"  --json            print the daemon's reply as one JSON object (for scripts)\n"
		"  --timeout S       wait at most S seconds for a reply (default 10)\n"
		"  -h, --help        this help; 'vanctl COMMAND --help' for one command\n"
		"  -V, --version     print the version\n"
		"\nCommands:\n", CTLC_DEFAULT_SOCKET, CONF_DEFAULT_PATH);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *nl = strchr(commands[i].synopsis, '\n');
		fprintf(out, "  %.*s\n", nl ? (int)(nl - commands[i].synopsis) : (int)strlen(commands[i].synopsis),
			commands[i].synopsis);
	}
	fprintf(out,
		"\nExit status: 0 done; 1 the daemon refused (its reason is printed);\n"
		"2 usage error; 3 cannot reach the daemon (not running, no permission, no reply).\n");
}

static int c_help(struct opts *o, int argc, char **argv)
{
	(void)o;
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (c && c->fn == c_review) {
		char *av[] = { argv[1], (char *)"--help", NULL };
		return c_review(o, 2, av);
	}
	return cmd_help_for(argv[1]) ? EXIT_USAGE : EXIT_OK;
}

/* Take vanctl's own options out of argv (anywhere before a "--").
 * Returns the new argc, or -1 after a usage message. */
static int strip_globals(struct opts *o, int argc, char **argv, bool *help, bool *version)
{
	int out = 1;
	bool done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (done) {
			argv[out++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			done = true;
			argv[out++] = argv[i];
			continue;
		}
#define TAKES(name) (!strcmp(a, name) || (!strncmp(a, name "=", strlen(name) + 1) && (val = a + strlen(name) + 1)))
		if (TAKES("--socket") || TAKES("--config") || !strcmp(a, "-c") || TAKES("--timeout")) {
			if (!val) {
				if (i + 1 >= argc) {
					usage_error(NULL, "%s needs a value", a);
					return -1;
				}
				val = argv[++i];
			}
			if (!strncmp(a, "--socket", 8))
				o->socket = val;
			else if (!strncmp(a, "--timeout", 9)) {
				long s;
				if (!parse_long(val, 1, 3600, &s)) {
					usage_error(NULL, "--timeout must be 1-3600 seconds");
					return -1;
				}
				o->timeout_ms = (int)s * 1000;
			} else
				o->conf = val;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (out == 1 && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			*help = true;        /* only before the command: after it, it is the command's */
		} else if (out == 1 && (!strcmp(a, "-V") || !strcmp(a, "--version"))) {
			*version = true;
		} else {
			argv[out++] = argv[i];
		}
#undef TAKES
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = 10000 };
	bool help = false, version = false;

	log_init("vanctl", false, false);
	/* the review commands own their arguments: only options before them are ours */
	int first = 1;
	const char *db = NULL; /* "vanctl --db FILE sessions": as users type it */
	int db_at = 0;
	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "--db") && first + 1 < argc) {
			db = argv[first + 1];
			db_at = first++;
		} else if (!strncmp(argv[first], "--db=", 5)) {
			db = argv[first] + 5;
			db_at = first;
		} else if ((!strcmp(argv[first], "--socket") || !strcmp(argv[first], "-c") ||
			    !strcmp(argv[first], "--config") || !strcmp(argv[first], "--timeout")) &&
			   first + 1 < argc)
			first++;
		first++;
	}
	const struct command *c = first < argc ? find_command(argv[first]) : NULL;
	if (db && !(c && c->fn == c_review))
		return usage_error(NULL, "--db is for the manager's review commands (sessions, report, export, "
					 "summary, purge); the others talk to the daemon");
	if (c && (c->fn == c_review || c->fn == c_plan)) {
		/* strip_globals ends its list with NULL at argv[first]: keep the name */
		char *name = argv[first];
		if (db_at) {
			/* not ours: take --db out of the globals, give it to the command */
			int w = db_at, skip = strncmp(argv[db_at], "--db=", 5) ? 2 : 1;
			for (int i = db_at + skip; i < argc; i++)
				argv[w++] = argv[i];
			argc -= skip;
			first -= skip;
			name = argv[first];
		}
		int n = strip_globals(&o, first, argv, &help, &version);
		(void)n;
		argv[first] = name;
		if (o.conf || db) {
			/* pass -c and --db on to the review command */
			char **av = calloc((size_t)(argc - first + 5), sizeof(char *));
			if (!av)
				return EXIT_REFUSED;
			int k = 0;
			av[k++] = argv[first];
			if (o.conf) {
				av[k++] = (char *)"-c";
				av[k++] = (char *)o.conf;
			}
			if (db) {
				av[k++] = (char *)"--db";
				av[k++] = (char *)db;
			}
			for (int i = first + 1; i < argc; i++)
				av[k++] = argv[i];
			int rc = c->fn(&o, k, av);
			free(av);
			return rc;
		}
		return c->fn(&o, argc - first, argv + first);
	}

	argc = strip_globals(&o, argc, argv, &help, &version);
	if (argc < 0)
		return EXIT_USAGE;
	if (version) {
		printf("vanctl %s\n", VAN_VERSION);
		return EXIT_OK;
	}
	if (help) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (!c)
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	return c->fn(&o, argc - 1, argv + 1);
}
