/*
 * alarm.c - emergency lifecycle and self-test.  See alarm.h.
 */
#include "alarm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jfields.h"

void alarm_init(struct alarm *a)
{
	*a = (struct alarm){ 0 };
	a->em.next_repeat = a->em.edge_mono = a->em.raised_mono = a->em.acked_mono = VAN_NEVER;
	a->st.started_mono = a->st.deadline = VAN_NEVER;
}

bool alarm_active(const struct alarm *a)
{
	return a->em.active;
}

static json_t *em_event(const struct emergency *em, const struct emit *e)
{
	json_t *d = json_object();
	jset_int(d, "id", em->id);
	jset_str(d, "source", em->source);
	jset_bool(d, "covert", em->covert);
	jset_int(d, "repeat", em->repeats);
	jset_int(d, "presses", em->presses);
	jset_bool(d, "acknowledged", em->acked);
	jset_utc(d, "raised_utc", e->now, em->raised_mono);
	jset_utc(d, "edge_utc", e->now, em->edge_mono);
	jset_int(d, "edge_to_raise_ms", em->raised_mono - em->edge_mono);
	return d;
}

int alarm_raise(struct alarm *a, const struct alarm_params *p, const char *source,
		bool covert, int64_t edge_mono, json_t *ctx, const struct emit *e)
{
	struct emergency *em = &a->em;
	int64_t t = e->now->mono_ms;
	bool again = em->active;

	if (edge_mono == VAN_NEVER || edge_mono > t)
		edge_mono = t;
	if (!again) {
		*em = (struct emergency){ .active = true, .covert = covert };
		em->id = e->now->utc_ms;
		em->raised_mono = t;
		em->raised_utc = e->now->utc_ms;
		em->edge_mono = edge_mono;
		em->session_id = e->sid;
		em->acked_mono = VAN_NEVER;
		a->raised++;
	} else {
		em->covert = em->covert && covert;
		em->acked = false;
		em->acked_by[0] = '\0';
		em->acked_mono = VAN_NEVER;
		em->repeats = 0;
	}
	snprintf(em->source, sizeof(em->source), "%s", source);
	em->presses++;
	em->next_repeat = t + p->repeat_ms;

	json_t *d = em_event(em, e);
	jset_bool(d, "again", again);
	jset_new(d, "context", ctx);
	if (again)
		emit_ev(e, EV_T_EMERGENCY_RAISED, EV_EMERGENCY, d);
	else
		emit_incident(e, EV_T_EMERGENCY_RAISED, EV_EMERGENCY, "emergency", d);
	return again ? 1 : 0;
}

int alarm_adopt(struct alarm *a, const struct alarm_params *p, const struct emergency_seen *seen,
		const struct emit *e)
{
	struct emergency *em = &a->em;
	int64_t t = e->now->mono_ms;
	int64_t ago = e->now->utc_ms - seen->id;

	if (em->active)
		return -EALREADY;
	if (seen->id <= 0)
		return -EINVAL;
	if (ago < 0)
		ago = 0;
	*em = (struct emergency){ .active = true, .covert = seen->covert, .id = seen->id };
	em->raised_utc = seen->id;
	em->raised_mono = em->edge_mono = t - ago;
	em->session_id = e->sid;
	em->presses = seen->presses > 0 ? seen->presses : 1;
	snprintf(em->source, sizeof(em->source), "%s", seen->source[0] ? seen->source : "panic");
	em->acked = seen->acked;
	snprintf(em->acked_by, sizeof(em->acked_by), "%s", seen->acked ? seen->acked_by : "");
	em->acked_mono = seen->acked ? t : VAN_NEVER;
	em->next_repeat = seen->acked ? VAN_NEVER : t + p->repeat_ms;
	a->raised++;
	json_t *d = em_event(em, e);
	jset_bool(d, "restored", true);
	emit_incident(e, EV_T_EMERGENCY_RESTORED, EV_EMERGENCY, "emergency", d);
	return 0;
}

bool alarm_repeat_due(const struct alarm *a, int64_t now)
{
	return a->em.active && !a->em.acked && a->em.next_repeat != VAN_NEVER &&
	       now >= a->em.next_repeat;
}

void alarm_repeat(struct alarm *a, const struct alarm_params *p, json_t *ctx,
		  const struct emit *e)
{
	struct emergency *em = &a->em;
	em->repeats++;
	em->next_repeat = next_after(em->next_repeat, p->repeat_ms, e->now->mono_ms);
	json_t *d = em_event(em, e);
	jset_bool(d, "again", false);
	jset_new(d, "context", ctx);
	emit_ev(e, EV_T_EMERGENCY_RAISED, EV_EMERGENCY, d);
}

static int selftest_ack(struct alarm *a, const char *by, const struct emit *e)
{
	struct selftest *st = &a->st;
	st->active = false;
	st->last_result = SELFTEST_PASSED;
	st->last_utc = e->now->utc_ms;
	st->last_rtt_ms = e->now->mono_ms - st->started_mono;
	st->deadline = VAN_NEVER;
	json_t *d = json_object();
	jset_int(d, "id", st->id);
	jset_str(d, "by", by);
	jset_int(d, "rtt_ms", st->last_rtt_ms);
	emit_ev(e, EV_T_SELFTEST_PASSED, EV_NORMAL, d);
	return 0;
}

int alarm_ack(struct alarm *a, int64_t id, const char *by, const struct emit *e,
	      const char **why)
{
	struct emergency *em = &a->em;
	bool real = em->active && (id == 0 || id == em->id);
	bool test = !real && a->st.active && (id == 0 || id == a->st.id);

	if (test)
		return selftest_ack(a, by, e);
	if (!real) {
		if (why)
			*why = "no such emergency is active";
		return -ENOENT;
	}
	if (em->acked) {
		if (why)
			*why = "already acknowledged";
		return -EALREADY;
	}
	em->acked = true;
	snprintf(em->acked_by, sizeof(em->acked_by), "%s", by);
	em->acked_mono = e->now->mono_ms;
	em->next_repeat = VAN_NEVER;
	a->acked++;
	json_t *d = json_object();
	jset_int(d, "id", em->id);
	jset_str(d, "by", em->acked_by);
	jset_int(d, "after_s", ms_to_s(em->acked_mono - em->raised_mono));
	jset_bool(d, "covert", em->covert);
	emit_ev(e, EV_T_EMERGENCY_ACKNOWLEDGED, EV_URGENT, d);
	return 0;
}

int alarm_clear(struct alarm *a, enum van_source src, const struct emit *e, const char **why)
{
	struct emergency *em = &a->em;
	if (!em->active) {
		if (why)
			*why = "no emergency is active";
		return -ENOENT;
	}
	json_t *d = json_object();
	jset_int(d, "id", em->id);
	jset_str(d, "source", van_source_name(src));
	jset_int(d, "duration_s", ms_to_s(e->now->mono_ms - em->raised_mono));
	jset_bool(d, "acknowledged", em->acked);
	jset_bool(d, "covert", em->covert);
	em->active = false;
	em->next_repeat = VAN_NEVER;
	a->cleared++;
	emit_ev(e, EV_T_EMERGENCY_CLEARED, EV_URGENT, d);
	return 0;
}

int alarm_selftest(struct alarm *a, const struct alarm_params *p, const struct emit *e,
		   const char **why)
{
	struct selftest *st = &a->st;
	if (st->active) {
		if (why)
			*why = "a self-test is already running";
		return -EBUSY;
	}
	st->active = true;
	st->id = e->now->utc_ms;
	if (a->em.active && st->id == a->em.id)
		st->id++;
	st->started_mono = e->now->mono_ms;
	st->deadline = st->started_mono + p->selftest_ms;
	json_t *d = json_object();
	jset_int(d, "id", st->id);
	jset_bool(d, "test", true);
	jset_int(d, "timeout_s", ms_to_s(p->selftest_ms));
	emit_ev(e, EV_T_EMERGENCY_TEST, EV_EMERGENCY, d);
	return 0;
}

int alarm_timing(struct alarm *a, const char *stage, int64_t mono)
{
	struct emergency *em = &a->em;
	size_t n = stage ? strlen(stage) : 0;
	if (!em->active)
		return -ENOENT;
	if (n == 0 || n >= sizeof(em->timing[0].stage))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((stage[i] >= 'a' && stage[i] <= 'z') || stage[i] == '_'))
			return -EINVAL;
	/* the first time a stage is passed wins: the 30 s repeats of an
	 * unacknowledged emergency pass "stored" and "broker" again, and their
	 * times measured from the button (+480002 ms after eight minutes) would
	 * hide how fast the first raise went; base counts the repeats itself */
	for (int i = 0; i < em->ntiming; i++)
		if (strcmp(em->timing[i].stage, stage) == 0)
			return 0;
	if (em->ntiming == ALARM_TIMING_MAX)
		return -ENOSPC;
	memcpy(em->timing[em->ntiming].stage, stage, n + 1);
	em->timing[em->ntiming++].mono = mono;
	return 0;
}

void alarm_tick(struct alarm *a, const struct emit *e)
{
	struct selftest *st = &a->st;
	if (!st->active || e->now->mono_ms < st->deadline)
		return;
	st->active = false;
	st->last_result = SELFTEST_FAILED;
	st->last_utc = e->now->utc_ms;
	st->last_rtt_ms = -1;
	json_t *d = json_object();
	jset_int(d, "id", st->id);
	jset_int(d, "timeout_s", ms_to_s(st->deadline - st->started_mono));
	st->deadline = VAN_NEVER;
	emit_ev(e, EV_T_SELFTEST_FAILED, EV_URGENT, d);
}

int64_t alarm_deadline(const struct alarm *a)
{
	int64_t d = a->st.active ? a->st.deadline : VAN_NEVER;
	if (a->em.active && !a->em.acked)
		d = deadline_min(d, a->em.next_repeat);
	return d;
}

json_t *alarm_state_json(const struct alarm *a, const struct vtime *now, bool for_base)
{
	const struct emergency *em = &a->em;
	if (!em->active || (em->covert && !for_base))
		return json_null();
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_bool(d, "active", true);
	jset_int(d, "id", em->id);
	jset_int(d, "raised_utc", em->raised_utc);
	jset_int(d, "duration_s", ms_to_s(now->mono_ms - em->raised_mono));
	jset_str(d, "source", em->source);
	jset_bool(d, "covert", em->covert);
	jset_int(d, "repeat", em->repeats);
	jset_int(d, "presses", em->presses);
	jset_bool(d, "acknowledged", em->acked);
	jset_str(d, "acked_by", em->acked ? em->acked_by : NULL);
	jset_utc(d, "acked_utc", now, em->acked ? em->acked_mono : VAN_NEVER);
	json_t *tm = json_object();
	jset_int(tm, "edge_mono_ms", em->edge_mono);
	jset_int(tm, "raised_mono_ms", em->raised_mono);
	for (int i = 0; i < em->ntiming; i++)
		jset_int(tm, em->timing[i].stage, em->timing[i].mono);
	jset_new(d, "timing", tm);
	return d;
}

json_t *alarm_selftest_json(const struct alarm *a, const struct vtime *now)
{
	const struct selftest *st = &a->st;
	json_t *d = json_object();
	if (!d)
		return NULL;
	static const char *res[] = { NULL, "passed", "failed" };
	jset_bool(d, "running", st->active);
	jset_utc(d, "started_utc", now, st->active ? st->started_mono : VAN_NEVER);
	jset_str(d, "last_result", res[st->last_result]);
	if (st->last_result)
		jset_int(d, "last_utc", st->last_utc);
	else
		jset_new(d, "last_utc", NULL);
	if (st->last_result == SELFTEST_PASSED)
		jset_int(d, "last_rtt_ms", st->last_rtt_ms);
	else
		jset_new(d, "last_rtt_ms", NULL);
	return d;
}

#define E(m, k) JF(struct emergency, m, k)
static const struct jfield em_fields[] = {
	E(active, JF_BOOL), E(id, JF_I64), E(covert, JF_BOOL), E(source, JF_STR),
	E(edge_mono, JF_MONO), E(raised_mono, JF_MONO), E(raised_utc, JF_I64), E(repeats, JF_INT),
	E(presses, JF_INT), E(next_repeat, JF_MONO), E(acked, JF_BOOL), E(acked_by, JF_STR),
	E(acked_mono, JF_MONO), E(session_id, JF_I64),
};
#undef E
#define T(m, k) JF(struct alarm_timing, m, k)
static const struct jfield tm_fields[] = { T(stage, JF_STR), T(mono, JF_MONO) };
#undef T
#define S(m, k) JF(struct selftest, m, k)
static const struct jfield st_fields[] = {
	S(active, JF_BOOL), S(id, JF_I64), S(started_mono, JF_MONO), S(deadline, JF_MONO),
	S(last_result, JF_INT), S(last_utc, JF_I64), S(last_rtt_ms, JF_I64),
};
#undef S
#define A(m, k) JF(struct alarm, m, k)
static const struct jfield a_fields[] = { A(raised, JF_UINT), A(acked, JF_UINT), A(cleared, JF_UINT) };
#undef A
#define N(x) (sizeof(x) / sizeof((x)[0]))

json_t *alarm_save(const struct alarm *a)
{
	json_t *j = jf_save(a, a_fields, N(a_fields));
	json_t *tm = json_array();
	if (!j || !tm) {
		json_decref(j);
		json_decref(tm);
		return NULL;
	}
	for (int i = 0; i < a->em.ntiming; i++)
		json_array_append_new(tm, jf_save(&a->em.timing[i], tm_fields, N(tm_fields)));
	json_t *em = jf_save(&a->em, em_fields, N(em_fields));
	if (em)
		jset_new(em, "timing", tm);
	else
		json_decref(tm);
	jset_new(j, "emergency", em);
	jset_new(j, "selftest", jf_save(&a->st, st_fields, N(st_fields)));
	return j;
}

int alarm_restore(struct alarm *a, const json_t *j, int64_t shift)
{
	alarm_init(a);
	const json_t *em = json_object_get(j, "emergency"), *tm = json_object_get(em, "timing");
	int r = jf_restore(a, a_fields, N(a_fields), j, shift);
	if (r == 0)
		r = jf_restore(&a->em, em_fields, N(em_fields), em, shift);
	if (r == 0)
		r = jf_restore(&a->st, st_fields, N(st_fields), json_object_get(j, "selftest"), shift);
	if (r < 0)
		return r;
	if (tm) {
		size_t i;
		json_t *v;
		if (!json_is_array(tm) || json_array_size(tm) > ALARM_TIMING_MAX)
			return -EINVAL;
		json_array_foreach(tm, i, v) {
			if (jf_restore(&a->em.timing[i], tm_fields, N(tm_fields), v, shift) < 0)
				return -EINVAL;
			a->em.ntiming = (int)i + 1;
		}
	}
	if (a->st.last_result < SELFTEST_NONE || a->st.last_result > SELFTEST_FAILED)
		return -EINVAL;
	if (a->em.active && (a->em.raised_mono == VAN_NEVER || a->em.edge_mono == VAN_NEVER ||
			     (!a->em.acked && a->em.next_repeat == VAN_NEVER)))
		return -EINVAL;
	if (a->st.active && (a->st.started_mono == VAN_NEVER || a->st.deadline == VAN_NEVER))
		return -EINVAL;
	return 0;
}
