/*
 * panic_floor.c - the floor for bench/panic-latency.sh: the least a program
 * can do between an input edge and an emergency at base.  It takes the
 * same "sim" command on a control socket that vanctld takes (the edge of
 * the simulated panic line), and at once publishes the retained emergency
 * through libmosquitto (QoS 1), then the emergency.raised event; no
 * debounce, no state, no storage, no JSON library on the way out.
 * panic_bench drives it exactly as it drives the daemon, so the two
 * figures side by side say what the daemon's own work costs.
 *
 *   panic_floor -p BROKER_PORT -s CONTROL_SOCKET [-u UNIT] [-P PREFIX]
 *
 * Control socket: one JSON object a line, as vanctld's; it answers
 * {"cmd":"sim",...} (a press), {"cmd":"alarm_clear"} and {"cmd":"status"}
 * (the last press's stages, "panic_path_us", as vanctld reports them).
 * Runs until SIGTERM.
 *
 * Build: cc -O2 -o panic_floor panic_floor.c $(pkg-config --cflags --libs libmosquitto)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

static long long mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static struct mosquitto *M;
static char t_event[256], t_emerg[256];
static long long id, edge, handed, written;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void pub(const char *topic, const char *payload, bool retain)
{
	int rc = mosquitto_publish(M, NULL, topic, (int)strlen(payload), payload, 1, retain);
	if (rc != MOSQ_ERR_SUCCESS)
		fprintf(stderr, "panic_floor: publish: %s\n", mosquitto_strerror(rc));
}

/* One command line; the reply goes to fd. */
static void command(int fd, const char *line)
{
	char msg[512], reply[512];

	if (strstr(line, "\"cmd\":\"sim\"")) {
		edge = mono_us();
		id++;
		handed = mono_us();
		snprintf(msg, sizeof(msg),
			 "{\"v\":1,\"active\":true,\"id\":%lld,\"timing\":{\"edge_mono_ms\":%lld,"
			 "\"edge_mono_us\":%lld,\"read_mono_us\":%lld,\"decided_mono_us\":%lld,"
			 "\"handed_mono_us\":%lld}}",
			 id, edge / 1000, edge, edge, edge, handed);
		pub(t_emerg, msg, true);
		written = mono_us();
		snprintf(msg, sizeof(msg), "{\"v\":1,\"type\":\"emergency.raised\",\"data\":{\"id\":%lld}}", id);
		pub(t_event, msg, false);
		snprintf(reply, sizeof(reply), "{\"ok\":true}\n");
	} else if (strstr(line, "\"cmd\":\"alarm_clear\"")) {
		snprintf(msg, sizeof(msg), "{\"v\":1,\"type\":\"emergency.cleared\",\"data\":{\"id\":%lld}}", id);
		pub(t_event, msg, false);
		pub(t_emerg, "{\"v\":1,\"active\":false}", true);
		snprintf(reply, sizeof(reply), "{\"ok\":true}\n");
	} else if (strstr(line, "\"cmd\":\"status\"")) {
		snprintf(reply, sizeof(reply),
			 "{\"ok\":true,\"result\":{\"panic_path_us\":{\"edge\":%lld,\"read\":%lld,"
			 "\"decided\":%lld,\"handed\":%lld,\"written\":%lld}}}\n",
			 edge, edge, edge, handed, written);
	} else {
		snprintf(reply, sizeof(reply), "{\"ok\":false,\"error\":\"unknown_command\"}\n");
	}
	if (write(fd, reply, strlen(reply)) < 0)
		perror("panic_floor: reply");
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *unit = "van1", *prefix = "vanctld";
	int port = 1883, c;

	while ((c = getopt(argc, argv, "p:s:u:P:")) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 's': sock = optarg; break;
		case 'u': unit = optarg; break;
		case 'P': prefix = optarg; break;
		default: goto usage;
		}
	}
	if (!sock) {
	usage:
		fprintf(stderr, "usage: panic_floor -p BROKER_PORT -s CONTROL_SOCKET [-u UNIT] [-P PREFIX]\n");
		return 2;
	}
	snprintf(t_event, sizeof(t_event), "%s/%s/event", prefix, unit);
	snprintf(t_emerg, sizeof(t_emerg), "%s/%s/emergency", prefix, unit);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);

	mosquitto_lib_init();
	M = mosquitto_new("panic-floor", true, NULL);
	if (!M || mosquitto_connect(M, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "panic_floor: cannot connect to the broker on port %d\n", port);
		return 1;
	}
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0) {
		perror(sock);
		return 1;
	}
	printf("panic_floor: ready\n");
	fflush(stdout);

	int cfd = -1;
	char buf[4096];
	size_t len = 0;
	while (!stop) {
		struct pollfd p[3] = {
			{ mosquitto_socket(M), POLLIN | (mosquitto_want_write(M) ? POLLOUT : 0), 0 },
			{ lfd, POLLIN, 0 },
			{ cfd, POLLIN, 0 },
		};
		int r = poll(p, 3, 1000);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			if (mosquitto_loop_read(M, 16) != MOSQ_ERR_SUCCESS) {
				fprintf(stderr, "panic_floor: lost the broker\n");
				return 1;
			}
		if (p[0].revents & POLLOUT)
			mosquitto_loop_write(M, 16);
		if (p[1].revents & POLLIN) {
			if (cfd >= 0)
				close(cfd);
			cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			len = 0;
		}
		if (cfd >= 0 && (p[2].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(cfd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0) {
				close(cfd);
				cfd = -1;
				continue;
			}
			len += (size_t)n;
			char *nl;
			while ((nl = memchr(buf, '\n', len))) {
				*nl = '\0';
				command(cfd, buf);
				size_t used = (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, len - used);
				len -= used;
			}
			if (len == sizeof(buf) - 1)
				len = 0;   /* a line too long: dropped */
		}
		mosquitto_loop_misc(M);
	}
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	unlink(sock);
	mosquitto_disconnect(M);
	mosquitto_destroy(M);
	mosquitto_lib_cleanup();
	return 0;
}
