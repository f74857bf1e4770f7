/*
 * test_vb_notify_vtime.c - the retry schedule of vanbase/notify in virtual
 * time (loop_virtual_time): a webhook whose receiver refuses connections
 * (a real socket on loopback, bound and never listening) is tried 5 times
 * with waits of 10, 20, 40 and 40 s (doubling, capped), all in well under a
 * second of real time; a second channel sent at the same moment is not held
 * up by the first one's waits.  Its own executable: virtual time cannot be
 * turned off again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "notify/notify.h"

struct got {
	int n;
	struct notify_result r[2];
	char ch[2][32];
	int64_t at[2];
	loop_t *l;
};

static void done(const struct notify_result *r, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < 2);
	g->r[g->n] = *r;
	snprintf(g->ch[g->n], sizeof(g->ch[0]), "%s", r->channel);
	g->r[g->n].channel = g->ch[g->n];
	g->r[g->n].id = NULL;
	g->r[g->n].error = NULL;
	g->at[g->n] = mono_now_ms();
	if (++g->n == 2)
		loop_stop(g->l);
}

static void test_backoff_schedule(void **st)
{
	(void)st;
	/* a port that refuses: bound, not listening */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(a.sin_port));

	loop_virtual_time();
	loop_t *l = loop_new();
	struct notify_channel_conf ch[2] = {
		{ .name = "refused", .kind = NOTIFY_WEBHOOK, .attempts = 5, .backoff_ms = 10000,
		  .backoff_max_ms = 40000, .timeout_ms = 5000,
		  .webhook = { .tpl = NOTIFY_TPL_GENERIC, .url = url } },
		{ .name = "other", .kind = NOTIFY_WEBHOOK, .attempts = 2, .backoff_ms = 1000,
		  .timeout_ms = 5000, .webhook = { .tpl = NOTIFY_TPL_GENERIC, .url = url } },
	};
	char err[256];
	struct notify *n = notify_new(l, ch, 2, err, sizeof(err));
	assert_non_null(n);
	struct got g = { .l = l };
	struct notify_req req = { .id = "v1", .subject = "EMERGENCY" };
	int64_t t0 = mono_now_ms(), real0 = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	real0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	assert_true(notify_send(n, "refused", &req, done, &g) > 0);
	req.id = "v2";
	assert_true(notify_send(n, "other", &req, done, &g) > 0);
	loop_run(l);
	assert_int_equal(g.n, 2);
	/* "other" first: 2 attempts, 1 s apart, not behind refused's waits */
	assert_string_equal(g.ch[0], "other");
	assert_int_equal(g.r[0].attempts, 2);
	assert_true(g.at[0] - t0 >= 1000 && g.at[0] - t0 < 2000);
	assert_string_equal(g.ch[1], "refused");
	assert_false(g.r[1].ok);
	assert_int_equal(g.r[1].attempts, 5);
	assert_int_equal(g.r[1].code, 0);
	/* 10 + 20 + 40 + 40 s of waits (capped at 40), plus the attempts */
	int64_t took = g.at[1] - t0;
	assert_true(took >= 110000 && took < 112000);
	assert_true(g.r[1].elapsed_ms >= 110000);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true(ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - real0 < 10000);
	notify_free(n);
	loop_free(l);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_schedule),
	};
	log_init("test_vb_notify_vtime", false, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
