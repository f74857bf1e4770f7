/*
 * test_harness.h - what the rules' test harnesses share (test_core_harness.h
 * for the van, test_plan_harness.h for the plan tracker): a fake clock that
 * moves the way the daemon's timerfd loop does, and views of an event queue
 * from a mark on.
 *
 * th_adv() stops at every deadline the rules ask for and ticks there, so a
 * 10-hour shift runs in milliseconds and every timer fires at its exact
 * instant.  Events stay in the queue (never cleared here) so a test can look
 * back at everything that happened; a mark (an index into the queue) lets a
 * test look only at what came after a point.
 */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/evq.h"
#include "core/vtime.h"

#define T0_MONO 5000000LL              /* the fake monotonic clock starts here */
#define SEC 1000LL
#define MIN (60 * SEC)

/* Move both clocks to mono t. */
static inline void th_set(struct vtime *now, int64_t t)
{
	now->utc_ms += t - now->mono_ms;
	now->mono_ms = t;
}

/* Advance *now by ms: at every deadline next(ctx) names on the way (negative,
 * VAN_NEVER included: none), checked to be in the future, move the clock
 * there and call tick(ctx). */
static inline void th_adv(struct vtime *now, int64_t ms, int64_t (*next)(void *), void (*tick)(void *),
			  void *ctx)
{
	int64_t end = now->mono_ms + ms;
	for (;;) {
		int64_t d = next(ctx);
		if (d >= 0)
			assert_true(d > now->mono_ms);
		if (d < 0 || d > end)
			break;
		th_set(now, d);
		tick(ctx);
	}
	th_set(now, end);
}

/* Events of TYPE in q from index mark on. */
static inline size_t th_count(const struct evq *q, size_t mark, const char *type)
{
	size_t n = 0;
	for (size_t i = mark; i < q->n; i++)
		n += strcmp(q->v[i].type, type) == 0;
	return n;
}

/* The k-th (0-based) event of TYPE from mark on, or NULL. */
static inline const struct van_event *th_nth(const struct evq *q, size_t mark, const char *type, size_t k)
{
	for (size_t i = mark; i < q->n; i++)
		if (strcmp(q->v[i].type, type) == 0 && k-- == 0)
			return &q->v[i];
	return NULL;
}

/* The newest event of TYPE from mark on, or NULL. */
static inline const struct van_event *th_last(const struct evq *q, size_t mark, const char *type)
{
	for (size_t i = q->n; i > mark; i--)
		if (strcmp(q->v[i - 1].type, type) == 0)
			return &q->v[i - 1];
	return NULL;
}

/* The types from mark on into buf (n bytes), space-separated,
 * "type:location" where the event names a location. */
static inline void th_types(const struct evq *q, size_t mark, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = mark; i < q->n && o < n; i++) {
		const char *loc = json_string_value(json_object_get(q->v[i].data, "location"));
		int k = snprintf(buf + o, n - o, "%s%s%s%s", o ? " " : "", q->v[i].type, loc ? ":" : "",
				 loc ? loc : "");
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

#endif
