/*
 * gpio_vmtest.c - drives hw/gpio against a real GPIO chip (the kernel's
 * gpio-sim in the test VM) and prints what the daemon would see.  Built
 * statically with hw/gpio*.c and libgpiod.a (1.6 or 2.x) by
 * tests/vm/run-vm-test.sh; tests/vm/gpiod-v2-compile.sh builds it too.
 *
 *   gpio_vmtest --version           print the libgpiod API it was built for
 *   gpio_vmtest CONFIG               open the [gpio]/[line.*] config, then print
 *       API <api>
 *       INIT <name> <role> <0|1>         level of each input at open
 *       OUT <role> <0|1>                 after driving every output role
 *       READY
 *       RAW <name> <0|1> <ts_ms>         every raw edge (before debounce)
 *       EVENT <name> <role> <0|1> <ts_ms> <delivered_ms>
 *       END dropped=<n>
 *   all outputs are driven on at start, off on SIGUSR1; SIGTERM/SIGINT end
 *   it.  A failing open prints "OPEN-ERROR <rc> <message>" and exits 1; a
 *   config problem prints "CONF-ERROR <line>: <message>" and exits 2.
 *
 * The config is read with a tiny INI loop feeding the same gpio_conf_*
 * functions conf.c uses.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/gpio.h"

static volatile sig_atomic_t quit, outputs_off;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		outputs_off = 1;
	else
		quit = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int problems;

static void report(void *ctx, int lineno, const char *msg)
{
	printf("CONF-ERROR %s:%d: %s\n", (const char *)ctx, lineno, msg);
	problems++;
}

static int read_conf(const char *path, struct gpio_conf *gc)
{
	char buf[512], sect[128] = "", err[512];
	int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("CONF-ERROR %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *s = trim(buf), *eq;
		int r = 0;

		lineno++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end) {
				report((void *)path, lineno, "bad section header");
				continue;
			}
			*end = '\0';
			snprintf(sect, sizeof(sect), "%s", s + 1);
			if (strncmp(sect, "line.", 5) == 0 &&
			    gpio_conf_line_section(gc, sect + 5, lineno, err, sizeof(err)) < 0)
				report((void *)path, lineno, err);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			report((void *)path, lineno, "expected key = value");
			continue;
		}
		*eq = '\0';
		if (strcmp(sect, "gpio") == 0)
			r = gpio_conf_key(gc, trim(s), trim(eq + 1), err, sizeof(err));
		else if (strncmp(sect, "line.", 5) == 0)
			r = gpio_conf_line_key(gc, sect + 5, trim(s), trim(eq + 1), lineno, err, sizeof(err));
		else {
			snprintf(err, sizeof(err), "unknown section [%s]", sect);
			r = -1;
		}
		if (r < 0)
			report((void *)path, lineno, err);
	}
	fclose(f);
	gpio_conf_check(gc, report, (void *)path);
	return problems ? -1 : 0;
}

static const struct gpio_conf *the_conf;

static void trace(void *ctx, size_t line, bool active, int64_t ts)
{
	(void)ctx;
	printf("RAW %s %d %lld\n", the_conf->lines[line].name, active, (long long)ts);
}

static void print_events(const struct gpio_conf *gc, const struct gpio_event *ev, int n)
{
	int64_t now = now_ms();

	for (int i = 0; i < n; i++)
		printf("EVENT %s %s %d %lld %lld\n", gc->lines[ev[i].line].name,
		       gpio_role_name(ev[i].role), ev[i].active, (long long)ev[i].ts_ms, (long long)now);
	fflush(stdout);
}

static void drive_outputs(gpio_t *g, bool on)
{
	for (int r = GPIO_ROLE_OUT_ENTRY_LIGHT; r < GPIO_ROLE__COUNT; r++) {
		bool cur;
		int e;

		if (gpio_get_output(g, (enum gpio_role)r, &cur) != 0)
			continue;
		e = gpio_set(g, (enum gpio_role)r, on);
		printf("OUT %s %d%s\n", gpio_role_name((enum gpio_role)r), on, e ? " FAILED" : "");
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct gpio_conf gc = { 0 };
	struct gpio_event ev[32];
	struct sigaction sa;
	char err[512];
	gpio_t *g = NULL;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s\n", gpio_gpiod_api());
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG | --version\n", argv[0]);
		return 2;
	}
	if (read_conf(argv[1], &gc) < 0) {
		gpio_conf_fini(&gc);
		return 2;
	}
	the_conf = &gc;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	g = gpio_open(&gc, now_ms(), err, sizeof(err));
	r = g ? 0 : -errno;
	if (r < 0) {
		printf("OPEN-ERROR %d %s\n", r, err);
		gpio_conf_fini(&gc);
		return 1;
	}
	printf("API %s\n", gpio_gpiod_api());
	for (size_t i = 0; i < gc.nlines; i++) {
		bool a = false;

		if (gpio_role_is_output(gc.lines[i].role))
			continue;
		gpio_get(g, i, &a);
		printf("INIT %s %s %d\n", gc.lines[i].name, gpio_role_name(gc.lines[i].role), a);
	}
	gpio_set_trace(g, trace, NULL);
	drive_outputs(g, true);
	printf("READY\n");
	fflush(stdout);

	while (!quit) {
		struct pollfd pfd[16];
		int fds[16], timeout = -1;
		size_t n = gpio_fds(g, fds, 16);
		int64_t d = gpio_deadline(g);

		if (outputs_off) {
			outputs_off = 0;
			drive_outputs(g, false);
		}
		if (d >= 0) {
			int64_t w = d - now_ms();

			timeout = w < 0 ? 0 : (int)(w > 60000 ? 60000 : w);
		}
		for (size_t i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		r = poll(pfd, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			r = gpio_read(g, pfd[i].fd, now_ms(), ev, 32);
			if (r < 0) {
				printf("READ-ERROR %d\n", r);
				quit = 1;
				break;
			}
			print_events(&gc, ev, r);
		}
		do {
			r = gpio_service(g, now_ms(), ev, 32);
			print_events(&gc, ev, r);
		} while (r == 32);
	}
	printf("END dropped=%llu\n", (unsigned long long)gpio_dropped(g));
	gpio_close(g);
	gpio_conf_fini(&gc);
	return 0;
}
