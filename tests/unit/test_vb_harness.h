/*
 * test_vb_harness.h - vanbase core's tests on a fake clock: base's UTC ms
 * and the minute of the week move together (base's local time is UTC
 * here), h_adv() stops at every deadline the core asks for and ticks
 * there, so a night of escalation runs in milliseconds and every step
 * fires at its exact instant.  Every decision is copied into a log that is
 * never cleared; a mark lets a test look only at what came after a point.
 *
 * The roster: alice (sms, mail) is on call Monday to Wednesday, bob (sms)
 * the rest of the week; carol (mail) is "second"; mgr (sms, mail) is named
 * by contact; tess (sms) is the test roster's on-call.  The emergency chain:
 * 0 s on_call, 60 s second, 180 s mgr by sms, the whole chain again 300 s
 * after its last step.  Check-in: on_call, then the last step every 600 s.
 * Drills have no chain of their own (the emergency chain, to the test rota).
 */
#ifndef TEST_VB_HARNESS_H
#define TEST_VB_HARNESS_H

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

#include "core/vbcore.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define MON0 1750032000000LL           /* Monday 2025-06-16 00:00 UTC */
#define T0 (MON0 + 20 * 60 * MIN)       /* Monday 20:00: alice is on call */

struct vbh {
	vb_t *vb;
	struct vb_params p;
	struct vb_roster r;
	struct vb_time now;
	struct vb_out *log;
	size_t n, cap, mark;
};

static inline void h_set(struct vbh *h, int64_t utc)
{
	h->now.utc_ms = utc;
	int64_t m = (utc - MON0) / MIN;
	h->now.local_mow = (int)(((m % VB_MOW) + VB_MOW) % VB_MOW);
}

/* copy the core's decisions into the log and clear its queue */
static inline void h_drain(struct vbh *h)
{
	struct vb_outq *q = vb_outq(h->vb);
	for (size_t i = 0; i < q->n; i++) {
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 64;
			h->log = realloc(h->log, h->cap * sizeof(*h->log));
			assert_non_null(h->log);
		}
		h->log[h->n++] = q->v[i];
	}
	vb_outq_clear(q);
}

static inline void h_contact(struct vb_roster *r, const char *name, bool test, const char *ch1,
			     const char *ch2)
{
	struct vb_contact *c = &r->contacts[r->ncontacts++];
	memset(c, 0, sizeof(*c));
	vb_copy(c->name, sizeof(c->name), name);
	c->test = test;
	vb_copy(c->channels[c->nchannels++], VB_NAME_MAX, ch1);
	if (ch2)
		vb_copy(c->channels[c->nchannels++], VB_NAME_MAX, ch2);
}

static inline void h_slot(struct vb_slot *s, const char *role, const char *contact, int from,
			  int to)
{
	memset(s, 0, sizeof(*s));
	vb_copy(s->role, sizeof(s->role), role);
	vb_copy(s->contact, sizeof(s->contact), contact);
	s->from_mow = from;
	s->to_mow = to;
}

static inline struct vb_step *h_step(struct vb_chain *c, int64_t at, const char *target, bool role,
				     const char *channel)
{
	struct vb_step *s = &c->steps[c->nsteps++];
	memset(s, 0, sizeof(*s));
	s->at_ms = at;
	vb_copy(s->targets[0].name, VB_NAME_MAX, target);
	s->targets[0].role = role;
	s->ntargets = 1;
	if (channel)
		vb_copy(s->channels[s->nchannels++], VB_NAME_MAX, channel);
	return s;
}

static inline void h_roster(struct vb_roster *r)
{
	memset(r, 0, sizeof(*r));
	h_contact(r, "alice", false, "sms", "mail");
	h_contact(r, "bob", false, "sms", NULL);
	h_contact(r, "carol", false, "mail", NULL);
	h_contact(r, "mgr", false, "sms", "mail");
	h_contact(r, "tess", true, "sms", NULL);
	h_slot(&r->rota[r->nrota++], "on_call", "alice", 0, 3 * 1440);   /* Mon-Wed */
	h_slot(&r->rota[r->nrota++], "on_call", "bob", 0, 0);            /* otherwise */
	h_slot(&r->rota[r->nrota++], "second", "carol", 0, 0);
	h_slot(&r->test_rota[r->ntest_rota++], "on_call", "tess", 0, 0);
	h_slot(&r->test_rota[r->ntest_rota++], "second", "tess", 0, 0);
	struct vb_chain *e = &r->chains[VB_K_EMERGENCY];
	h_step(e, 0, "on_call", true, NULL);
	h_step(e, 60 * SEC, "second", true, NULL);
	h_step(e, 180 * SEC, "mgr", false, "sms");
	e->repeat_ms = 300 * SEC;
	for (int k = VB_K_OVERDUE; k < VB_K_DRILL; k++) {
		struct vb_chain *c = &r->chains[k];
		h_step(c, 0, "on_call", true, NULL);
		c->repeat_ms = 600 * SEC;
		c->repeat_last = true;
	}
}

static inline void h_init(struct vbh *h, void (*tweak)(struct vb_params *, struct vb_roster *))
{
	memset(h, 0, sizeof(*h));
	vb_params_default(&h->p);
	h_roster(&h->r);
	if (tweak)
		tweak(&h->p, &h->r);
	assert_int_equal(vb_roster_check(&h->r, NULL, NULL), 0);
	h->vb = vb_new(&h->p, &h->r);
	assert_non_null(h->vb);
	assert_int_equal(vb_unit_add(h->vb, "van1"), 0);
	assert_int_equal(vb_unit_add(h->vb, "van2"), 0);
	h_set(h, T0);
	vb_link(h->vb, &h->now, true);
	h_drain(h);
}

static inline void h_fini(struct vbh *h)
{
	vb_free(h->vb);
	free(h->log);
	h->log = NULL;
}

/* Advance by ms, ticking at every deadline on the way (each checked to be
 * in the future). */
static inline void h_adv(struct vbh *h, int64_t ms)
{
	int64_t end = h->now.utc_ms + ms;
	for (;;) {
		int64_t d = vb_next_deadline(h->vb);
		if (d >= 0)
			assert_true(d > h->now.utc_ms);
		if (d < 0 || d > end)
			break;
		h_set(h, d);
		vb_tick(h->vb, &h->now);
		h_drain(h);
	}
	h_set(h, end);
	vb_tick(h->vb, &h->now);
	h_drain(h);
}

static inline int h_raw(struct vbh *h, const char *unit, enum vb_topic t, const char *payload,
			size_t len, bool retained)
{
	const char *why = NULL;
	int r = vb_message(h->vb, &h->now, unit, t, payload, len, retained, &why);
	if (r < 0)
		assert_non_null(why);
	h_drain(h);
	return r;
}

static inline int h_msg(struct vbh *h, const char *unit, enum vb_topic t, const char *payload,
			bool retained)
{
	return h_raw(h, unit, t, payload, payload ? strlen(payload) : 0, retained);
}

/* a JSON message from a format (json_pack) */
static inline int h_pack(struct vbh *h, const char *unit, enum vb_topic t, bool retained,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_error_t err;
	json_t *j = json_vpack_ex(&err, 0, fmt, ap);
	va_end(ap);
	if (!j)
		fail_msg("json_pack: %s", err.text);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	int r = h_msg(h, unit, t, s, retained);
	free(s);
	return r;
}

/* a live state of unit at van time van_ms: session state ("active"),
 * check-in due and planned end (van ms; 0 = absent) */
static inline int h_state(struct vbh *h, const char *unit, int64_t van_ms, const char *sess,
			  int64_t due, int64_t end, bool retained)
{
	json_t *s = json_pack("{s:i,s:s,s:I,s:{s:s,s:I,s:o,s:o},s:{s:s,s:f,s:f,s:f}}", "v", 1,
			      "unit", unit, "utc", (json_int_t)van_ms, "session", "state", sess, "id",
			      (json_int_t)(T0 - 3600 * SEC),
			      "planned_end_utc", end ? json_integer(end) : json_null(), "checkin",
			      due ? json_pack("{s:I,s:s}", "due_utc", (json_int_t)due, "stage", "waiting")
				  : json_null(),
			      "gps", "fix", "3d", "lat", 53.80005, "lon", -1.56518, "age_s", 1.0);
	assert_non_null(s);
	char *p = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	int r = h_msg(h, unit, VB_T_STATE, p, retained);
	free(p);
	return r;
}

/* an event: seq, type, van time (ISO), data (json_pack format and args) */
static inline int h_event(struct vbh *h, const char *unit, int64_t seq, const char *type,
			  int64_t van_ms, json_t *data)
{
	char iso[32];
	vb_iso_fmt(iso, sizeof(iso), van_ms);
	json_t *e = json_pack("{s:i,s:I,s:s,s:s,s:s,s:o}", "v", 1, "seq", (json_int_t)seq, "unit",
			      unit, "type", type, "time", iso, "data", data ? data : json_object());
	assert_non_null(e);
	char *p = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	int r = h_msg(h, unit, VB_T_EVENT, p, false);
	free(p);
	return r;
}

static inline int h_emergency(struct vbh *h, const char *unit, int64_t id, bool covert,
			      bool acked)
{
	return h_pack(h, unit, VB_T_EMERGENCY, true,
		      "{s:i,s:s,s:b,s:I,s:I,s:s,s:b,s:i,s:b,s:s,s:f,s:f,s:f}", "v", 1, "unit", unit,
		      "active", 1, "id", (json_int_t)id, "raised_utc", (json_int_t)id, "source",
		      covert ? "duress_checkin" : "panic", "covert", covert, "presses", 1,
		      "acknowledged", acked, "acked_by", acked ? "Sam at base" : "", "lat", 53.79656,
		      "lon", -1.5555, "fix_age_s", 2.0);
}

static inline void h_mark(struct vbh *h)
{
	h->mark = h->n;
}

/* notifications since the mark */
static inline int h_nnotify(struct vbh *h)
{
	int n = 0;
	for (size_t i = h->mark; i < h->n; i++)
		n += h->log[i].kind == VB_OUT_NOTIFY;
	return n;
}

static inline const struct vb_notify *h_notify(struct vbh *h, int k)
{
	for (size_t i = h->mark; i < h->n; i++)
		if (h->log[i].kind == VB_OUT_NOTIFY && k-- == 0)
			return &h->log[i].u.n;
	return NULL;
}

/* audit records of what since the mark (-1: all) */
static inline int h_naudit(struct vbh *h, int what)
{
	int n = 0;
	for (size_t i = h->mark; i < h->n; i++)
		n += h->log[i].kind == VB_OUT_AUDIT && (what < 0 || (int)h->log[i].u.a.what == what);
	return n;
}

static inline const struct vb_audit *h_audit(struct vbh *h, int what, int k)
{
	for (size_t i = h->mark; i < h->n; i++)
		if (h->log[i].kind == VB_OUT_AUDIT && (int)h->log[i].u.a.what == what && k-- == 0)
			return &h->log[i].u.a;
	return NULL;
}

/* the only open (not resolved) alarm of unit and kind, or NULL */
static inline const struct vb_alarm *h_open(struct vbh *h, const char *unit, enum vb_kind k)
{
	const struct vb_alarm *found = NULL;
	for (size_t i = 0; i < vb_alarm_count(h->vb); i++) {
		const struct vb_alarm *a = vb_alarm_at(h->vb, i);
		if (!a->resolved && !strcmp(a->unit, unit) && a->kind == k) {
			assert_null(found);
			found = a;
		}
	}
	return found;
}

/* "contact/channel@s" list of notifications since the mark, s = seconds after t0 */
static inline void h_who(struct vbh *h, int64_t t0, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = h->mark; i < h->n && o < n; i++) {
		if (h->log[i].kind != VB_OUT_NOTIFY)
			continue;
		const struct vb_notify *x = &h->log[i].u.n;
		int k = snprintf(buf + o, n - o, "%s%s/%s@%lld%s", o ? " " : "", x->contact, x->channel,
				 (long long)((x->at - t0) / SEC),
				 x->msg == VB_MSG_ALL_CLEAR ? "!" : x->msg == VB_MSG_REPEAT ? "+" : "");
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

#endif
