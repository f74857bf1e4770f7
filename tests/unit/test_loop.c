/*
 * test_loop.c - the event loop (controller/loop.c): timers, deadline
 * sources asked before every sleep, an fd number reused within one pass,
 * signals.  Virtual time (loop_virtual_time) makes the times exact.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

/* ---- timers ---- */

struct tick {
	int n;
	int64_t at[8];
	int stop_after;
};

static int64_t tick_cb(loop_t *l, void *arg)
{
	struct tick *t = arg;
	t->at[t->n++] = loop_now_ms(l);
	if (t->n >= t->stop_after) {
		loop_stop(l);
		return LOOP_TIMER_STOP;
	}
	return 100;
}

static void test_timer_repeats_exactly(void **st)
{
	(void)st;
	loop_t *l = loop_new();
	struct tick t = { .stop_after = 3 };
	assert_non_null(l);
	int64_t t0 = loop_now_ms(l);
	assert_true(loop_add_timer(l, 50, tick_cb, &t) > 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.at[0] - t0, 50);
	assert_int_equal(t.at[1] - t.at[0], 100);
	assert_int_equal(t.at[2] - t.at[1], 100);
	loop_free(l);
}

/* ---- sources ---- */

struct src {
	int64_t deadline;   /* -1: none */
	int runs;
	int64_t ran_at[8];
	int64_t then;       /* after a run: the next deadline (-1 none) */
};

static int64_t src_next(void *arg)
{
	return ((struct src *)arg)->deadline;
}

static void src_run(loop_t *l, void *arg)
{
	struct src *s = arg;
	s->ran_at[s->runs++] = loop_now_ms(l);
	s->deadline = s->then;
}

static int64_t stop_cb(loop_t *l, void *arg)
{
	(void)arg;
	loop_stop(l);
	return LOOP_TIMER_STOP;
}

/* A timer moves a source's deadline without telling the loop: the loop
 * asks before it sleeps, so the source runs at its new time. */
struct mover {
	struct src *s;
	int64_t to;
};

static int64_t move_cb(loop_t *l, void *arg)
{
	struct mover *m = arg;
	m->s->deadline = loop_now_ms(l) + m->to;
	return LOOP_TIMER_STOP;
}

static void test_sources_asked_before_sleep(void **st)
{
	(void)st;
	loop_t *l = loop_new();
	assert_non_null(l);
	int64_t t0 = loop_now_ms(l);
	struct src a = { .deadline = t0 + 30, .then = -1 };
	struct src none = { .deadline = -1, .then = -1 };
	struct src b = { .deadline = -1, .then = -1 };
	struct mover mv = { &b, 70 };
	assert_true(loop_add_source(l, src_next, src_run, &a) > 0);
	assert_true(loop_add_source(l, src_next, src_run, &none) > 0);
	assert_true(loop_add_source(l, src_next, src_run, &b) > 0);
	assert_true(loop_add_timer(l, 10, move_cb, &mv) > 0);
	assert_true(loop_add_timer(l, 500, stop_cb, NULL) > 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(a.runs, 1);
	assert_int_equal(a.ran_at[0] - t0, 30);
	assert_int_equal(none.runs, 0);
	/* b had no deadline until the timer at +10 gave it +70: it ran at +80 */
	assert_int_equal(b.runs, 1);
	assert_int_equal(b.ran_at[0] - t0, 80);
	loop_free(l);
}

static void test_source_deleted(void **st)
{
	(void)st;
	loop_t *l = loop_new();
	assert_non_null(l);
	int64_t t0 = loop_now_ms(l);
	struct src a = { .deadline = t0 + 30, .then = -1 };
	int64_t id = loop_add_source(l, src_next, src_run, &a);
	assert_true(id > 0);
	loop_del_source(l, id);
	assert_true(loop_add_timer(l, 100, stop_cb, NULL) > 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(a.runs, 0);
	loop_free(l);
}

/* ---- an fd number reused within one pass ---- */

struct reuse {
	int old_rd, old_wr, new_rd, new_wr;
	int old_calls, new_calls;
};

static void old_cb(loop_t *l, int fd, short re, void *arg)
{
	(void)l;
	(void)fd;
	(void)re;
	((struct reuse *)arg)->old_calls++;
}

static void new_cb(loop_t *l, int fd, short re, void *arg)
{
	(void)l;
	(void)fd;
	(void)re;
	((struct reuse *)arg)->new_calls++;
}

/* Runs before the fd callbacks of the pass that found old_rd readable:
 * closes it and opens a pipe that gets the same number. */
static int64_t swap_cb(loop_t *l, void *arg)
{
	struct reuse *r = arg;
	int p[2];
	loop_del_fd(l, r->old_rd);
	close(r->old_rd);
	assert_int_equal(pipe(p), 0);
	r->new_rd = p[0];
	r->new_wr = p[1];
	assert_int_equal(r->new_rd, r->old_rd);   /* the lowest free number: the same */
	assert_int_equal(loop_add_fd(l, r->new_rd, POLLIN, new_cb, r), 0);
	return LOOP_TIMER_STOP;
}

static void test_fd_reused_in_one_pass(void **st)
{
	(void)st;
	loop_t *l = loop_new();
	struct reuse r = { 0 };
	int p[2];
	assert_non_null(l);
	assert_int_equal(pipe(p), 0);
	r.old_rd = p[0];
	r.old_wr = p[1];
	assert_int_equal(write(r.old_wr, "x", 1), 1);   /* readable at the first poll */
	assert_int_equal(loop_add_fd(l, r.old_rd, POLLIN, old_cb, &r), 0);
	assert_true(loop_add_timer(l, 0, swap_cb, &r) > 0);
	assert_true(loop_add_timer(l, 50, stop_cb, NULL) > 0);
	assert_int_equal(loop_run(l), 0);
	/* the new pipe is empty: its callback must never have run with the
	 * old fd's POLLIN */
	assert_int_equal(r.new_calls, 0);
	assert_int_equal(r.old_calls, 0);
	loop_del_fd(l, r.new_rd);
	close(r.new_rd);
	close(r.new_wr);
	close(r.old_wr);
	loop_free(l);
}

/* ---- signals ---- */

static int got_signal;

static void on_sig(loop_t *l, int signo, void *arg)
{
	(void)arg;
	got_signal = signo;
	loop_stop(l);
}

static int64_t raise_cb(loop_t *l, void *arg)
{
	(void)l;
	(void)arg;
	raise(SIGUSR1);
	return LOOP_TIMER_STOP;
}

static void test_signals(void **st)
{
	(void)st;
	loop_t *l = loop_new();
	static const int sigs[] = { SIGUSR1 };
	assert_non_null(l);
	assert_int_equal(loop_add_signals(l, sigs, 1, on_sig, NULL), 0);
	assert_int_equal(loop_add_signals(l, sigs, 1, on_sig, NULL), -EBUSY);
	assert_true(loop_add_timer(l, 5, raise_cb, NULL) > 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(got_signal, SIGUSR1);
	loop_free(l);
}

int main(void)
{
	loop_virtual_time();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_repeats_exactly),
		cmocka_unit_test(test_sources_asked_before_sleep),
		cmocka_unit_test(test_source_deleted),
		cmocka_unit_test(test_fd_reused_in_one_pass),
		cmocka_unit_test(test_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
