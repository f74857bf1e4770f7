/*
 * panic_bench.c - panic-button latency: input event -> emergency at base.
 *
 * One process is both the "finger" and "base": it is subscribed (QoS 1) to
 * PREFIX/UNIT/event and PREFIX/UNIT/emergency on the broker, and it presses
 * the simulated panic button through the daemon's control socket
 * ({"cmd":"sim","line":LINE,"value":"pulse","ms":50}).  Per press it stamps
 * CLOCK_MONOTONIC (ns):
 *   inj   right before writing the sim command to the control socket
 *   ev    when the "emergency.raised" event arrived (message callback)
 *   em    when the retained "emergency" topic with active:true arrived
 * and reads timing.edge_mono_ms (the daemon's stamp of the input edge, whole
 * ms of the same CLOCK_MONOTONIC) from the emergency message.  Then it clears
 * the alarm ({"cmd":"alarm_clear"}), waits until base saw it cleared (event
 * and retained topic), and presses again 120-180 ms after the previous
 * press (after its 50 ms pulse has ended and settled).
 *
 *   panic_bench -p PORT -s CONTROL_SOCKET [-n PRESSES] [-l LINE] [-u UNIT]
 *               [-P PREFIX] [-o RAW.tsv]
 *
 * Prints p50/p90/p99/max of first-inj (the first of ev and em: when base
 * has the alarm; the daemon sends the retained topic before it commits the
 * event), ev-inj, em-inj and ev-edge (ms).  ev-edge has
 * only whole-ms resolution at the edge (edge_mono_ms is truncated), so it
 * over-states the latency by 0..1 ms; ev-inj is exact to the microsecond and
 * includes the control-socket hop into the daemon (a few tens of us).
 *
 * Build: cc -O2 -o panic_bench panic_bench.c \
 *          $(pkg-config --cflags --libs libmosquitto jansson) -lm
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mosquitto.h>

struct press {
	long long inj, ev, em, clr;          /* ns, this program's stamps */
	long long edge_ms, raised_ms, stored_ms, id;
	/* us, the daemon's stages (docs/mqtt.md: the retained emergency's
	 * timing; "written" from the control socket's status) */
	long long edge_us, read_us, decided_us, handed_us, written_us, done_us;
};

static struct {
	int nacked;
	bool connected;
	/* the press in progress */
	long long want_id;     /* id from the event, 0 = not yet */
	bool want_clear, want_status;
	bool got_ev, got_em, got_clr_ev, got_clr_em;
	struct press *cur;
	long long unexpected;
} S;

static char t_event[256], t_emerg[256];

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void)arg;
	if (rc) {
		fprintf(stderr, "panic_bench: broker refused: %s\n", mosquitto_connack_string(rc));
		exit(1);
	}
	S.connected = true;
	mosquitto_subscribe(m, NULL, t_event, 1);
	mosquitto_subscribe(m, NULL, t_emerg, 1);
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *g)
{
	(void)m; (void)arg; (void)mid; (void)n; (void)g;
	S.nacked++;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	long long t = mono_ns();
	(void)m; (void)arg;
	if (!S.cur || msg->retain)
		return;     /* retained copies from before this press: not news */
	json_t *j = json_loadb(msg->payload, (size_t)msg->payloadlen, 0, NULL);
	if (!j)
		return;
	if (!strcmp(msg->topic, t_event)) {
		const char *type = json_string_value(json_object_get(j, "type"));
		json_t *d = json_object_get(j, "data");
		if (type && !strcmp(type, "emergency.raised") && !S.want_clear && !S.got_ev) {
			S.got_ev = true;
			S.cur->ev = t;
			S.cur->id = json_integer_value(json_object_get(d, "id"));
		} else if (type && !strcmp(type, "emergency.cleared") && S.want_clear) {
			S.got_clr_ev = true;
			S.cur->clr = t;
		} else if (type && !strncmp(type, "emergency.", 10)) {
			S.unexpected++;
		}
	} else if (!strcmp(msg->topic, t_emerg)) {
		bool active = json_is_true(json_object_get(j, "active"));
		if (active && !S.want_clear && !S.got_em) {
			S.got_em = true;
			S.cur->em = t;
			json_t *tm = json_object_get(j, "timing");
			S.cur->edge_ms = json_integer_value(json_object_get(tm, "edge_mono_ms"));
			S.cur->raised_ms = json_integer_value(json_object_get(tm, "raised_mono_ms"));
			S.cur->stored_ms = json_integer_value(json_object_get(tm, "stored"));
			S.cur->edge_us = json_integer_value(json_object_get(tm, "edge_mono_us"));
			S.cur->read_us = json_integer_value(json_object_get(tm, "read_mono_us"));
			S.cur->decided_us = json_integer_value(json_object_get(tm, "decided_mono_us"));
			S.cur->handed_us = json_integer_value(json_object_get(tm, "handed_mono_us"));
		} else if (!active && S.want_clear) {
			S.got_clr_em = true;
		}
	}
	json_decref(j);
}

/* ---- the control socket: one JSON line out, one line back ---- */

static int ctl_fd = -1;
static char ctl_buf[65536];
static size_t ctl_len;
static int ctl_replies;

static void ctl_send(const char *line)
{
	size_t n = strlen(line), off = 0;
	while (off < n) {
		ssize_t w = write(ctl_fd, line + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("control socket write");
			exit(1);
		}
		off += (size_t)w;
	}
}

static void ctl_read(void)
{
	ssize_t r = read(ctl_fd, ctl_buf + ctl_len, sizeof(ctl_buf) - 1 - ctl_len);
	if (r <= 0) {
		fprintf(stderr, "panic_bench: control socket closed\n");
		exit(1);
	}
	ctl_len += (size_t)r;
	char *nl;
	while ((nl = memchr(ctl_buf, '\n', ctl_len))) {
		*nl = '\0';
		if (!strstr(ctl_buf, "\"ok\":true"))
			fprintf(stderr, "panic_bench: control reply: %s\n", ctl_buf);
		if (S.want_status && S.cur) {
			/* the status reply: the daemon's "written" stamp of this press */
			json_t *j = json_loads(ctl_buf, 0, NULL);
			json_t *pp = json_object_get(json_object_get(j, "result"), "panic_path_us");
			if (json_integer_value(json_object_get(pp, "edge")) == S.cur->edge_us) {
				S.cur->written_us = json_integer_value(json_object_get(pp, "written"));
				S.cur->done_us = json_integer_value(json_object_get(pp, "done"));
			}
			json_decref(j);
		}
		ctl_replies++;
		size_t used = (size_t)(nl + 1 - ctl_buf);
		memmove(ctl_buf, nl + 1, ctl_len - used);
		ctl_len -= used;
	}
}

/* Service the broker and the control socket until cond() or timeout. */
static bool run_until(struct mosquitto *m, bool (*cond)(void), int timeout_ms)
{
	long long deadline = mono_ns() + (long long)timeout_ms * 1000000LL;
	for (;;) {
		if (cond && cond())
			return true;
		long long left = (deadline - mono_ns()) / 1000000LL;
		if (left <= 0)
			return cond ? cond() : true;
		struct pollfd p[2] = {
			{ mosquitto_socket(m), POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0), 0 },
			{ ctl_fd, POLLIN, 0 },
		};
		int r = poll(p, ctl_fd >= 0 ? 2 : 1, left > 100 ? 100 : (int)left);
		if (r < 0 && errno != EINTR) {
			perror("poll");
			exit(1);
		}
		if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			if (mosquitto_loop_read(m, 16) != MOSQ_ERR_SUCCESS) {
				fprintf(stderr, "panic_bench: lost the broker\n");
				exit(1);
			}
		if (r > 0 && (p[0].revents & POLLOUT))
			mosquitto_loop_write(m, 16);
		if (r > 0 && ctl_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP)))
			ctl_read();
		mosquitto_loop_misc(m);
	}
}

static int replies_wanted;
static bool subscribed(void) { return S.nacked >= 2; }
static bool raised(void) { return S.got_ev && S.got_em && ctl_replies >= replies_wanted; }
static bool cleared(void) { return S.got_clr_ev && S.got_clr_em && ctl_replies >= replies_wanted; }
static bool replied(void) { return ctl_replies >= replies_wanted; }

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += (double)v[i];
#define PCT(p) ((double)v[(int)((p) * (n - 1) + 0.5)] / 1e6)
	printf("  %-34s p50 %7.3f  p90 %7.3f  p99 %7.3f  max %7.3f  mean %7.3f ms\n", what, PCT(0.50),
	       PCT(0.90), PCT(0.99), (double)v[n - 1] / 1e6, sum / n / 1e6);
#undef PCT
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *line = "panic", *unit = "van1", *prefix = "vanctld", *raw = NULL;
	int port = 1883, n = 500, c;

	while ((c = getopt(argc, argv, "p:s:n:l:u:P:o:")) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 's': sock = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'l': line = optarg; break;
		case 'u': unit = optarg; break;
		case 'P': prefix = optarg; break;
		case 'o': raw = optarg; break;
		default: goto usage;
		}
	}
	if (!sock || n < 1) {
	usage:
		fprintf(stderr, "usage: panic_bench -p PORT -s CONTROL_SOCKET [-n PRESSES] [-l LINE] "
				"[-u UNIT] [-P PREFIX] [-o RAW.tsv]\n");
		return 2;
	}
	snprintf(t_event, sizeof(t_event), "%s/%s/event", prefix, unit);
	snprintf(t_emerg, sizeof(t_emerg), "%s/%s/emergency", prefix, unit);

	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(NULL, true, NULL);
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "panic_bench: cannot connect to the broker on port %d\n", port);
		return 1;
	}
	if (!run_until(m, subscribed, 5000)) {
		fprintf(stderr, "panic_bench: no SUBACK\n");
		return 1;
	}
	run_until(m, NULL, 300);   /* let retained messages pass */

	ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(sock);
		return 1;
	}

	struct press *P = calloc((size_t)n, sizeof(*P));
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "{\"cmd\":\"sim\",\"line\":\"%s\",\"value\":\"pulse\",\"ms\":50}\n", line);
	srand(20261124);
	int done = 0;
	for (int i = 0; i < n; i++) {
		S.want_id = 0;
		S.want_status = false;
		S.want_clear = S.got_ev = S.got_em = S.got_clr_ev = S.got_clr_em = false;
		S.cur = &P[i];
		replies_wanted = ctl_replies + 1;
		P[i].inj = mono_ns();
		ctl_send(cmd);
		if (!run_until(m, raised, 5000)) {
			fprintf(stderr, "panic_bench: press %d: no emergency at base within 5 s (event %d, topic %d)\n",
				i, S.got_ev, S.got_em);
			break;
		}
		S.want_clear = true;
		replies_wanted = ctl_replies + 1;
		ctl_send("{\"cmd\":\"alarm_clear\"}\n");
		if (!run_until(m, cleared, 5000)) {
			fprintf(stderr, "panic_bench: press %d: clearing not seen at base within 5 s\n", i);
			break;
		}
		S.want_status = true;
		replies_wanted = ctl_replies + 1;
		ctl_send("{\"cmd\":\"status\"}\n");
		run_until(m, replied, 5000);
		S.want_status = false;
		S.cur = NULL;
		done++;
		/* the next press only after this pulse (50 ms) has ended and
		 * settled (debounce), plus a random 20-80 ms */
		long long next = P[i].inj + (100 + 20 + rand() % 61) * 1000000LL;
		long long wait = (next - mono_ns()) / 1000000LL;
		run_until(m, NULL, wait > 0 ? (int)wait : 0);
	}
	if (raw) {
		FILE *f = fopen(raw, "w");
		if (f) {
			fprintf(f, "press\tinj_ns\tev_ns\tem_ns\tedge_mono_ms\traised_mono_ms\tstored_mono_ms\tid"
				   "\tedge_us\tread_us\tdecided_us\thanded_us\twritten_us\n");
			for (int i = 0; i < done; i++)
				fprintf(f, "%d\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\n", i,
					P[i].inj, P[i].ev, P[i].em, P[i].edge_ms, P[i].raised_ms, P[i].stored_ms,
					P[i].id, P[i].edge_us, P[i].read_us, P[i].decided_us, P[i].handed_us,
					P[i].written_us);
			fclose(f);
		}
	}
	if (done == 0)
		return 1;
	long long *a = calloc((size_t)done, sizeof(*a)), *b = calloc((size_t)done, sizeof(*b)),
		  *first = calloc((size_t)done, sizeof(*first));
	int bad_edge = 0;
	for (int i = 0; i < done; i++) {
		a[i] = P[i].ev - P[i].inj;
		b[i] = P[i].em - P[i].inj;
		first[i] = a[i] < b[i] ? a[i] : b[i];
		if (P[i].edge_ms <= 0)
			bad_edge++;
	}
	printf("presses: %d of %d (each cleared and seen cleared at base before the next)\n", done, n);
	report("injected -> first emergency message", first, done);
	report("injected -> event emergency.raised", a, done);
	report("injected -> retained emergency", b, done);
	/* stage by stage, in us on the one CLOCK_MONOTONIC: presses whose
	 * message carried every stamp and whose status reply gave "written" */
	long long *st[8];
	int ns = 0, ndone = 0;
	for (int k = 0; k < 8; k++)
		st[k] = calloc((size_t)done, sizeof(long long));
	for (int i = 0; i < done; i++) {
		const struct press *p = &P[i];
		if (!p->edge_us || !p->read_us || !p->decided_us || !p->handed_us || !p->written_us)
			continue;
		long long em_us = p->em / 1000, inj_us = p->inj / 1000;
		st[0][ns] = (p->edge_us - inj_us) * 1000;
		st[1][ns] = (p->read_us - p->edge_us) * 1000;
		st[2][ns] = (p->decided_us - p->read_us) * 1000;
		st[3][ns] = (p->handed_us - p->decided_us) * 1000;
		st[4][ns] = (p->written_us - p->handed_us) * 1000;
		st[5][ns] = (em_us - p->written_us) * 1000;
		st[6][ns] = (em_us - p->edge_us) * 1000;
		if (p->done_us)
			st[7][ndone++] = (p->done_us - p->written_us) * 1000;
		ns++;
	}
	if (ns) {
		printf("  stages (us stamps of the daemon and of this program, one CLOCK_MONOTONIC), %d presses:\n", ns);
		report("  injected -> edge (control socket)", st[0], ns);
		report("  edge -> read by the loop", st[1], ns);
		report("  read -> decided by the core", st[2], ns);
		report("  decided -> handed to libmosquitto", st[3], ns);
		report("  handed -> written to the socket", st[4], ns);
		report("  written -> at the subscriber", st[5], ns);
		report("  edge -> at the subscriber", st[6], ns);
		if (ndone)
			report("  (written -> the daemon's turn done)", st[7], ndone);
	} else {
		printf("  (no stage stamps: timing.*_mono_us missing, or no panic_path_us in status)\n");
	}
	for (int k = 0; k < 8; k++)
		free(st[k]);
	if (bad_edge)
		printf("  (%d presses without timing.edge_mono_ms)\n", bad_edge);
	if (S.unexpected)
		printf("  (%lld unexpected emergency.* events)\n", S.unexpected);
	free(a); free(b); free(first); free(P);
	mosquitto_disconnect(m);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return done == n ? 0 : 1;
}
