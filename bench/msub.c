/*
 * msub.c - a time-stamping MQTT subscriber for the benchmarks.
 *
 * Writes one line per message received: "MONO_NS<TAB>TOPIC<TAB>PAYLOAD\n",
 * where MONO_NS is CLOCK_MONOTONIC in nanoseconds taken in the message
 * callback, i.e. as soon as libmosquitto has read the PUBLISH off the socket
 * (the same clock as the daemon's *_mono_ms fields, on the same machine).
 * Payload newlines are replaced by spaces.  Prints "ready" on stdout once the
 * broker has acknowledged every subscription.  SIGTERM/SIGINT: flush, exit 0.
 *
 *   msub -p PORT [-h HOST] [-q QOS] -o FILE -t TOPIC [-t TOPIC ...]
 *
 * Build: cc -O2 -o msub msub.c $(pkg-config --cflags --libs libmosquitto)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

static volatile sig_atomic_t stop;
static FILE *out;
static int nsub, nacked;
static char *topics[64];
static int qos = 1;
static long long nmsg;

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_signal(int s) { (void)s; stop = 1; }

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void)arg;
	if (rc) {
		fprintf(stderr, "msub: connection refused: %s\n", mosquitto_connack_string(rc));
		stop = 1;
		return;
	}
	for (int i = 0; i < nsub; i++)
		mosquitto_subscribe(m, NULL, topics[i], qos);
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
	(void)m; (void)arg; (void)mid; (void)n; (void)granted;
	if (++nacked == nsub) {
		printf("ready\n");
		fflush(stdout);
	}
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	long long t = mono_ns();
	(void)m; (void)arg;
	fprintf(out, "%lld\t%s\t", t, msg->topic);
	const char *p = msg->payload;
	for (int i = 0; i < msg->payloadlen; i++)
		fputc(p[i] == '\n' || p[i] == '\t' ? ' ' : p[i], out);
	fputc('\n', out);
	nmsg++;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *file = NULL;
	int port = 1883, c;

	while ((c = getopt(argc, argv, "h:p:q:o:t:")) != -1) {
		switch (c) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'q': qos = atoi(optarg); break;
		case 'o': file = optarg; break;
		case 't': if (nsub < 64) topics[nsub++] = optarg; break;
		default:
			fprintf(stderr, "usage: msub -p PORT [-h HOST] [-q QOS] -o FILE -t TOPIC...\n");
			return 2;
		}
	}
	if (!file || !nsub) {
		fprintf(stderr, "usage: msub -p PORT [-h HOST] [-q QOS] -o FILE -t TOPIC...\n");
		return 2;
	}
	out = fopen(file, "w");
	if (!out) {
		perror(file);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(NULL, true, NULL);
	if (!m)
		return 1;
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "msub: cannot connect to %s:%d\n", host, port);
		return 1;
	}
	while (!stop) {
		struct pollfd pfd = { mosquitto_socket(m), POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0), 0 };
		int r = poll(&pfd, 1, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    mosquitto_loop_read(m, 64) != MOSQ_ERR_SUCCESS)
			break;
		if (r > 0 && (pfd.revents & POLLOUT))
			mosquitto_loop_write(m, 64);
		mosquitto_loop_misc(m);
	}
	fflush(out);
	fclose(out);
	fprintf(stderr, "msub: %lld messages\n", nmsg);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return 0;
}
