/*
 * main.c - vanbase: the daemon at base that escalates the fleet's alarms
 * to the people on call, and its command line (alarms, ack, close, test).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctlclient.h"
#include "log.h"
#include "loop.h"
#include "vbconf.h"
#include "vbroster.h"
#include "vbd.h"

static void usage(FILE *out)
{
	fputs("Usage: vanbase [OPTIONS]                  run the daemon\n"
	      "       vanbase [OPTIONS] alarms [--all]   list open (or all) alarms\n"
	      "       vanbase [OPTIONS] ack ALARM --by NAME\n"
	      "       vanbase [OPTIONS] close ALARM --by NAME [--note TEXT]\n"
	      "       vanbase [OPTIONS] test [--by NAME]  a drill: the whole chain to the test roster\n"
	      "       vanbase [OPTIONS] status\n"
	      "Watches every van over MQTT and escalates alarms (emergencies, overdue\n"
	      "sessions, missed check-ins, vans offline or silent) to the people on call.\n"
	      "\n"
	      "  -c, --config FILE     configuration file (default " VBCONF_DEFAULT_PATH ")\n"
	      "  -t, --check-config    validate the configuration, print every problem, exit\n"
	      "      --config-doc      print the table of configuration keys (Markdown)\n"
	      "      --broker HOST:PORT  override mqtt.host and mqtt.port\n"
	      "      --db FILE         override storage.db\n"
	      "      --socket PATH     override control.socket\n"
	      "      --json            commands: print the reply as JSON\n"
	      "  -v, --verbose         log debug messages\n"
	      "  -h, --help            this help\n"
	      "  -V, --version         print the version\n"
	      "\n"
	      "Exit status: 0 ok, 1 failure, 2 bad configuration or usage, 3 daemon unreachable.\n",
	      out);
}

static void override_broker(struct vbconf *c, const char *v)
{
	char host[256];
	const char *port;

	if (!cfg_split_hostport(v, host, sizeof(host), &port)) {
		vbconf_error(c, "--broker: '%s' is not HOST:PORT", v);
		return;
	}
	vbconf_set(c, "--broker", "mqtt", "host", host);
	vbconf_set(c, "--broker", "mqtt", "port", port);
}

/* A command through the control socket; prints the result for a person. */
static int command(const struct vbconf *c, json_t *req, bool as_json)
{
	char err[512];
	int fd = ctlc_connect_to("vanbase", c->control.socket, false, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "vanbase: %s\n", err);
		json_decref(req);
		return 3;
	}
	json_t *reply = ctlc_request_to("vanbase", fd, req, 10000, err, sizeof(err));
	close(fd);
	if (!reply) {
		fprintf(stderr, "vanbase: %s\n", err);
		return 3;
	}
	int rc = json_is_true(json_object_get(reply, "ok")) ? 0 : 1;
	if (rc) {
		fprintf(stderr, "vanbase: %s: %s\n", json_string_value(json_object_get(reply, "error")),
			json_string_value(json_object_get(reply, "reason")));
	} else {
		json_t *res = json_object_get(reply, "result");
		char *text = json_dumps(res, as_json ? JSON_COMPACT : JSON_INDENT(2));
		if (text)
			puts(text);
		free(text);
	}
	json_decref(reply);
	return rc;
}

/* alarms/ack/close/test/status ARGS... -> a request, or NULL (usage printed). */
static json_t *parse_command(int argc, char **argv, bool *as_json)
{
	const char *cmd = argv[0], *alarm = NULL, *by = NULL, *note = NULL;
	bool all = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--by") && i + 1 < argc)
			by = argv[++i];
		else if (!strcmp(argv[i], "--note") && i + 1 < argc)
			note = argv[++i];
		else if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--json"))
			*as_json = true;
		else if (argv[i][0] != '-' && !alarm)
			alarm = argv[i];
		else {
			fprintf(stderr, "vanbase %s: unexpected '%s' (see --help)\n", cmd, argv[i]);
			return NULL;
		}
	}
	if (!strcmp(cmd, "alarms"))
		return json_pack("{s:s,s:b}", "cmd", "alarms", "all", all);
	if (!strcmp(cmd, "status"))
		return json_pack("{s:s}", "cmd", "status");
	if (!strcmp(cmd, "ack") || !strcmp(cmd, "close")) {
		if (!alarm || !by) {
			fprintf(stderr, "vanbase %s: needs ALARM and --by NAME (see --help)\n", cmd);
			return NULL;
		}
		json_t *r = json_pack("{s:s,s:s,s:s,s:s}", "cmd", cmd, "alarm", alarm, "by", by, "how", "cli");
		if (note)
			json_object_set_new(r, "note", json_string(note));
		return r;
	}
	if (!strcmp(cmd, "test"))
		return json_pack("{s:s,s:s}", "cmd", "test", "by", by ? by : "vanbase test");
	fprintf(stderr, "vanbase: unknown command '%s' (see --help)\n", cmd);
	return NULL;
}

/* The people, the rota, the chains and the channels, as the daemon will
 * build them: --check-config refuses what the daemon would refuse. */
static void check_roster(struct vbconf *c)
{
	struct vbroster r;
	char err[512];

	size_t before = c->report.nerrors;
	if (vbroster_read(c, &r) == 0 && c->report.nerrors == before) {
		loop_t *l = loop_new();
		struct notify *n = l ? notify_new(l, r.channels, r.nchannels, err, sizeof(err)) : NULL;
		if (!n)
			vbconf_error(c, "%s: %s", c->report.path ? c->report.path : "(config)", l ? err : "out of memory");
		notify_free(n);
		loop_free(l);
	}
	vbroster_fini(&r);
}

int main(int argc, char **argv)
{
	enum { O_DOC = 256, O_BROKER, O_DB, O_SOCKET, O_JSON };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "config-doc", no_argument, NULL, O_DOC },
		{ "broker", required_argument, NULL, O_BROKER },
		{ "db", required_argument, NULL, O_DB },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = VBCONF_DEFAULT_PATH, *broker = NULL, *db = NULL, *sock = NULL;
	bool check = false, debug = false, as_json = false;
	int ch;

	/* "+": options stop at the command, whose own options follow it */
	while ((ch = getopt_long(argc, argv, "+c:tvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 't': check = true; break;
		case O_DOC: vbconf_print_doc(stdout); return 0;
		case O_BROKER: broker = optarg; break;
		case O_DB: db = optarg; break;
		case O_SOCKET: sock = optarg; break;
		case O_JSON: as_json = true; break;
		case 'v': debug = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vanbase %s\n", VAN_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	bool daemon = optind >= argc;
	log_init("vanbase", debug, daemon && !check);

	struct vbconf *c = calloc(1, sizeof(*c));
	if (!c || vbconf_defaults(c) < 0)
		fatalx("out of memory");
	/* a command without -c may run where no config is installed: the
	 * defaults then say where the socket is */
	if (daemon || check || strcmp(path, VBCONF_DEFAULT_PATH) || access(path, F_OK) == 0)
		vbconf_load(c, path);
	if (broker) override_broker(c, broker);
	if (db) vbconf_set(c, "--db", "storage", "db", db);
	if (sock) vbconf_set(c, "--socket", "control", "socket", sock);
	vbconf_check(c);
	if (daemon || check)
		check_roster(c);   /* every problem in one run, the table's and the roster's */
	for (size_t i = 0; i < c->report.nwarnings; i++)
		log_warnx("%s", c->report.warnings[i]);
	int rc = 0;
	if (c->report.nerrors) {
		for (size_t i = 0; i < c->report.nerrors; i++)
			fprintf(stderr, "%s\n", c->report.errors[i]);
		fprintf(stderr, "vanbase: %zu problem(s) in the configuration; nothing started\n", c->report.nerrors);
		rc = 2;
	} else if (check) {
		printf("%s: configuration OK\n", path);
	} else if (!daemon) {
		json_t *req = parse_command(argc - optind, argv + optind, &as_json);
		rc = req ? command(c, req, as_json) : 2;
	} else {
		char err[512];
		struct vbd *d = vbd_new(c, err, sizeof(err));
		if (!d) {
			log_warnx("vanbase: %s", err);
			rc = 1;
		} else {
			rc = vbd_run(d);
			vbd_free(d);
		}
	}
	vbconf_fini(c);
	free(c);
	return rc;
}
