/*
 * main.c - vanctld: command line, configuration, start and stop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "conf.h"
#include "log.h"
#include "loop.h"

static void usage(FILE *out)
{
	fputs("Usage: vanctld [OPTIONS]\n"
	      "The controller of a street-outreach van: GPS, doors, occupancy, panic\n"
	      "buttons, sessions and check-ins; records to SQLite, reports to base over MQTT.\n"
	      "\n"
	      "  -c, --config FILE     configuration file (default " CONF_DEFAULT_PATH ")\n"
	      "  -t, --check-config    validate the configuration, print every problem, exit\n"
	      "      --config-doc      print the table of configuration keys (Markdown)\n"
	      "      --unit ID         override unit.id\n"
	      "      --broker HOST:PORT  override mqtt.host and mqtt.port\n"
	      "      --gpsd HOST:PORT  override gps.host and gps.port\n"
	      "      --db FILE         override storage.db\n"
	      "      --socket PATH     override control.socket\n"
	      "      --virtual-time    run timers as fast as possible (replays and tests only)\n"
	      "  -v, --verbose         log debug messages\n"
	      "  -h, --help            this help\n"
	      "  -V, --version         print the version\n"
	      "\n"
	      "Exit status: 0 ok, 1 runtime failure, 2 bad configuration or usage.\n",
	      out);
}

/* "HOST:PORT" or "[v6]:PORT" into section.host / section.port. */
static void override_hostport(struct conf *c, const char *opt, const char *section, const char *v)
{
	char host[256];
	const char *port;

	if (!cfg_split_hostport(v, host, sizeof(host), &port)) {
		conf_error(c, "%s: '%s' is not HOST:PORT", opt, v);
		return;
	}
	conf_set(c, opt, section, "host", host);
	conf_set(c, opt, section, "port", port);
}

int main(int argc, char **argv)
{
	enum { O_DOC = 256, O_UNIT, O_BROKER, O_GPSD, O_DB, O_SOCKET, O_VIRTUAL };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "config-doc", no_argument, NULL, O_DOC },
		{ "unit", required_argument, NULL, O_UNIT },
		{ "broker", required_argument, NULL, O_BROKER },
		{ "gpsd", required_argument, NULL, O_GPSD },
		{ "db", required_argument, NULL, O_DB },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "virtual-time", no_argument, NULL, O_VIRTUAL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONF_DEFAULT_PATH;
	const char *unit = NULL, *broker = NULL, *gpsd = NULL, *db = NULL, *sock = NULL;
	bool check = false, debug = false, virtual_time = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:tvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 't': check = true; break;
		case O_DOC: conf_print_doc(stdout); return 0;
		case O_UNIT: unit = optarg; break;
		case O_BROKER: broker = optarg; break;
		case O_GPSD: gpsd = optarg; break;
		case O_DB: db = optarg; break;
		case O_SOCKET: sock = optarg; break;
		case O_VIRTUAL: virtual_time = true; break;
		case 'v': debug = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vanctld %s\n", VAN_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vanctld: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	log_init("vanctld", debug, !check);

	struct conf *c = calloc(1, sizeof(*c));
	if (!c || conf_defaults(c) < 0)
		fatalx("out of memory");
	conf_load(c, path);
	if (unit) conf_set(c, "--unit", "unit", "id", unit);
	if (broker) override_hostport(c, "--broker", "mqtt", broker);
	if (gpsd) override_hostport(c, "--gpsd", "gps", gpsd);
	if (db) conf_set(c, "--db", "storage", "db", db);
	if (sock) conf_set(c, "--socket", "control", "socket", sock);
	conf_check(c);
	for (size_t i = 0; i < c->report.nwarnings; i++) {
		if (check)
			fprintf(stderr, "%s (warning)\n", c->report.warnings[i]);
		else
			log_warnx("%s", c->report.warnings[i]);
	}
	if (c->report.nerrors) {
		for (size_t i = 0; i < c->report.nerrors; i++)
			fprintf(stderr, "%s\n", c->report.errors[i]);
		fprintf(stderr, "vanctld: %zu problem(s) in the configuration; nothing started\n", c->report.nerrors);
		conf_fini(c);
		free(c);
		return 2;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		conf_fini(c);
		free(c);
		return 0;
	}
	if (virtual_time) {
		if (!c->gps.replay_file)
			log_warnx("--virtual-time without gps.replay_file: time will race ahead of gpsd");
		loop_virtual_time();
	}
	struct app *a = app_new(c);
	if (!a)
		return 1;
	int status = app_run(a);
	app_free(a);
	return status;
}
