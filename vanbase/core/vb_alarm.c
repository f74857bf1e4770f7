/*
 * vb_alarm.c - an alarm's lifecycle and its audit records.  See vb_alarm.h.
 * The chain itself is in vb_chain.c, the texts in vb_text.c.
 */
#include "vb_alarm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vb_jf.h"

const char *vb_state_name(enum vb_state s)
{
	static const char *const names[] = { "raised", "notified", "acknowledged", "resolved", "closed" };
	return (unsigned)s < 5 ? names[s] : "?";
}

enum vb_state vb_alarm_state(const struct vb_alarm *a)
{
	if (a->closed)
		return VB_ST_CLOSED;
	if (a->resolved)
		return VB_ST_RESOLVED;
	if (a->acked)
		return VB_ST_ACKED;
	return a->notified ? VB_ST_NOTIFIED : VB_ST_RAISED;
}

static struct vb_audit *audit(const struct vb_alarm *a, enum vb_audit_what w, int64_t now,
			      struct vb_outq *q)
{
	struct vb_out *o = vb_outq_add(q, VB_OUT_AUDIT);
	if (!o)
		return NULL;
	struct vb_audit *r = &o->u.a;
	vb_copy(r->alarm_id, sizeof(r->alarm_id), a->id);
	vb_copy(r->unit, sizeof(r->unit), a->unit);
	r->kind = a->kind;
	r->what = w;
	r->at = now;
	r->ok = true;
	return r;
}

void vb_alarm_raise(struct vb_alarm *a, unsigned long long seq, const char *unit,
		    const struct vb_cond *c, const struct vb_chain *ch, int64_t now,
		    struct vb_outq *q)
{
	memset(a, 0, sizeof(*a));
	vb_copy(a->unit, sizeof(a->unit), unit);
	a->kind = c->kind;
	snprintf(a->id, sizeof(a->id), "%s-%s-%llu", unit[0] ? unit : "base", vb_kind_name(c->kind), seq);
	a->key = c->key;
	a->covert = c->covert;
	a->by_van = c->by_van;
	a->drill = c->kind == VB_K_DRILL;
	a->presses = c->presses;
	a->raised_at = now;
	a->since = c->since != VB_NEVER && c->since <= now ? c->since : now;
	a->acked_at = a->resolved_at = a->closed_at = VB_NEVER;
	a->drill_deadline = VB_NEVER;
	a->chain_at = now;
	a->next_at = vb_chain_time(ch, now, 0, 0);
	struct vb_audit *r = audit(a, VB_AU_RAISED, now, q);
	if (r)
		snprintf(r->detail, sizeof(r->detail), "%s%s%s", a->covert ? "covert " : "",
			 vb_kind_name(a->kind), a->by_van ? " (reported by the van)" : " (base's clock)");
}

int vb_alarm_ack(struct vb_alarm *a, int64_t now, const char *by, const char *how,
		 struct vb_outq *q)
{
	if (a->acked || a->closed)
		return -EALREADY;
	a->acked = true;
	a->acked_at = now;
	vb_copy(a->acked_by, sizeof(a->acked_by), by);
	vb_copy(a->acked_how, sizeof(a->acked_how), how);
	a->next_at = VB_NEVER;
	struct vb_audit *r = audit(a, VB_AU_ACKED, now, q);
	if (r) {
		vb_copy(r->by, sizeof(r->by), by);
		vb_copy(r->how, sizeof(r->how), how);
		snprintf(r->detail, sizeof(r->detail), "after %lld s", (long long)((now - a->raised_at) / 1000));
	}
	return 0;
}

void vb_alarm_rearm(struct vb_alarm *a, const struct vb_chain *ch, int64_t now,
		    struct vb_outq *q)
{
	if (a->resolved)
		return;
	a->acked = false;
	a->acked_at = VB_NEVER;
	a->acked_by[0] = a->acked_how[0] = '\0';
	/* a new arming: the chain from its first step, with new notification ids */
	a->arm++;
	a->chain_at = now;
	a->round = a->step = 0;
	a->next_at = vb_chain_time(ch, now, 0, 0);
	struct vb_audit *r = audit(a, VB_AU_REARMED, now, q);
	if (r)
		vb_copy(r->detail, sizeof(r->detail), "pressed again after the acknowledgement");
}

static void all_clear(struct vb_alarm *a, const struct vb_unit *u, const struct vb_time *now,
		      struct vb_outq *q)
{
	for (int i = 0; i < a->nreached; i++) {
		struct vb_out *o = vb_outq_add(q, VB_OUT_NOTIFY);
		if (!o)
			return;
		struct vb_notify *n = &o->u.n;
		snprintf(n->id, sizeof(n->id), "%s/clear/%s/%s", a->id, a->reached[i].contact,
			 a->reached[i].channel);
		vb_copy(n->alarm_id, sizeof(n->alarm_id), a->id);
		vb_copy(n->unit, sizeof(n->unit), a->unit);
		vb_copy(n->contact, sizeof(n->contact), a->reached[i].contact);
		vb_copy(n->channel, sizeof(n->channel), a->reached[i].channel);
		n->kind = a->kind;
		n->msg = VB_MSG_ALL_CLEAR;
		n->drill = a->drill;
		n->covert = a->covert;
		n->round = n->step = -1;
		n->fix_at = VB_NEVER;
		n->at = now->utc_ms;
		vb_text(n->text, sizeof(n->text), a, u, VB_MSG_ALL_CLEAR, now->utc_ms);
		struct vb_audit *r = audit(a, VB_AU_NOTIFY, now->utc_ms, q);
		if (r) {
			vb_copy(r->notify_id, sizeof(r->notify_id), n->id);
			snprintf(r->detail, sizeof(r->detail), "all clear to %s via %s", n->contact, n->channel);
		}
	}
}

void vb_alarm_resolve(struct vb_alarm *a, const struct vb_unit *u, const char *why,
		      const struct vb_time *now, struct vb_outq *q)
{
	if (a->resolved)
		return;
	a->resolved = true;
	a->resolved_at = now->utc_ms;
	vb_copy(a->resolved_why, sizeof(a->resolved_why), why);
	a->next_at = VB_NEVER;
	a->drill_deadline = VB_NEVER;
	struct vb_audit *r = audit(a, VB_AU_RESOLVED, now->utc_ms, q);
	if (r)
		vb_copy(r->detail, sizeof(r->detail), why);
	all_clear(a, u, now, q);
}

int vb_alarm_close(struct vb_alarm *a, const struct vb_unit *u, const char *by,
		   const char *note, const struct vb_time *now, struct vb_outq *q)
{
	if (a->closed)
		return -EALREADY;
	if (!a->resolved) {
		char why[64];
		snprintf(why, sizeof(why), "closed by %s", by);
		vb_utf8_trim(why);
		a->suppress = true;
		vb_alarm_resolve(a, u, why, now, q);
	}
	a->closed = true;
	a->closed_at = now->utc_ms;
	vb_copy(a->closed_by, sizeof(a->closed_by), by);
	vb_copy(a->note, sizeof(a->note), note ? note : "");
	struct vb_audit *r = audit(a, VB_AU_CLOSED, now->utc_ms, q);
	if (r) {
		vb_copy(r->by, sizeof(r->by), by);
		vb_copy(r->detail, sizeof(r->detail), a->note);
	}
	return 0;
}

int64_t vb_alarm_deadline(const struct vb_alarm *a)
{
	if (a->resolved)
		return VB_NEVER;
	return vb_dmin(a->acked ? VB_NEVER : a->next_at, a->drill_deadline);
}

/* ---- the view and save/restore ---- */

static void jset(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static json_t *jms_or_null(int64_t v)
{
	return v == VB_NEVER ? json_null() : json_integer((json_int_t)v);
}

static json_t *jstr_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

json_t *vb_alarm_json(const struct vb_alarm *a)
{
	json_t *o = json_object(), *r = json_array();
	if (!o || !r) {
		json_decref(o);
		json_decref(r);
		return NULL;
	}
	jset(o, "id", json_string(a->id));
	jset(o, "unit", jstr_or_null(a->unit));
	jset(o, "kind", json_string(vb_kind_name(a->kind)));
	jset(o, "state", json_string(vb_state_name(vb_alarm_state(a))));
	jset(o, "covert", json_boolean(a->covert));
	jset(o, "drill", json_boolean(a->drill));
	jset(o, "by_van", json_boolean(a->by_van));
	/* the van's emergency or self-test id: what cmd/ack needs */
	jset(o, "van_id", a->kind == VB_K_EMERGENCY || (a->drill && a->unit[0])
		 ? json_integer((json_int_t)a->key) : json_null());
	jset(o, "raised_at", jms_or_null(a->raised_at));
	jset(o, "since", jms_or_null(a->since));
	jset(o, "acked_at", jms_or_null(a->acked_at));
	jset(o, "acked_by", jstr_or_null(a->acked_by));
	jset(o, "acked_how", jstr_or_null(a->acked_how));
	jset(o, "resolved_at", jms_or_null(a->resolved_at));
	jset(o, "resolved_why", jstr_or_null(a->resolved_why));
	jset(o, "closed_at", jms_or_null(a->closed_at));
	jset(o, "closed_by", jstr_or_null(a->closed_by));
	jset(o, "note", jstr_or_null(a->note));
	jset(o, "next_at", jms_or_null(vb_alarm_deadline(a)));
	for (int i = 0; i < a->nreached; i++) {
		json_t *x = json_pack("{s:s,s:s}", "contact", a->reached[i].contact, "channel",
				      a->reached[i].channel);
		if (x)
			json_array_append_new(r, x);
	}
	jset(o, "reached", r);
	return o;
}

#define F(m, k) VB_JF(struct vb_alarm, m, k)
static const struct vb_jf alarm_fields[] = {
	F(id, VB_JF_STR), F(unit, VB_JF_STR), F(key, VB_JF_I64), F(covert, VB_JF_BOOL),
	F(by_van, VB_JF_BOOL), F(drill, VB_JF_BOOL), F(presses, VB_JF_INT), F(drill_by, VB_JF_STR),
	F(raised_at, VB_JF_I64), F(since, VB_JF_I64), F(notified, VB_JF_BOOL), F(acked, VB_JF_BOOL),
	F(acked_at, VB_JF_I64), F(acked_by, VB_JF_STR), F(acked_how, VB_JF_STR),
	F(resolved, VB_JF_BOOL), F(resolved_at, VB_JF_I64), F(resolved_why, VB_JF_STR),
	F(closed, VB_JF_BOOL), F(closed_at, VB_JF_I64), F(closed_by, VB_JF_STR), F(note, VB_JF_STR),
	F(suppress, VB_JF_BOOL), F(chain_at, VB_JF_I64), F(arm, VB_JF_INT), F(round, VB_JF_INT), F(step, VB_JF_INT),
	F(next_at, VB_JF_I64), F(drill_deadline, VB_JF_I64),
};
#undef F
#define NFIELDS (sizeof(alarm_fields) / sizeof(alarm_fields[0]))

json_t *vb_alarm_save(const struct vb_alarm *a)
{
	json_t *o = vb_jf_save(NULL, a, alarm_fields, NFIELDS);
	if (!o)
		return NULL;
	json_t *r = json_array();
	if (!r || json_object_set_new(o, "reached", r) < 0 ||
	    json_object_set_new(o, "kind", json_string(vb_kind_name(a->kind))) < 0) {
		json_decref(o);
		return NULL;
	}
	for (int i = 0; i < a->nreached; i++)
		if (json_array_append_new(r, json_pack("[ss]", a->reached[i].contact,
						       a->reached[i].channel)) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

int vb_alarm_restore(struct vb_alarm *a, const json_t *j)
{
	memset(a, 0, sizeof(*a));
	if (vb_jf_restore(a, alarm_fields, NFIELDS, j) < 0)
		return -EINVAL;
	int k = vb_kind_of(vb_jstr(json_object_get(j, "kind")));
	const json_t *r = json_object_get(j, "reached");
	if (k < 0 || !a->id[0] || (a->unit[0] && !vb_valid_unit(a->unit)) || a->round < 0 || a->arm < 0 ||
	    a->step < 0 || a->step >= VB_STEPS_MAX || a->raised_at == VB_NEVER ||
	    a->chain_at == VB_NEVER || !json_is_array(r) || json_array_size(r) > VB_REACHED_MAX)
		return -EINVAL;
	a->kind = (enum vb_kind)k;
	for (size_t i = 0; i < json_array_size(r); i++) {
		const json_t *p = json_array_get(r, i);
		const char *c = vb_jstr(json_array_get(p, 0)), *ch = vb_jstr(json_array_get(p, 1));
		if (!json_is_array(p) || json_array_size(p) != 2 || !vb_valid_name(c) || !vb_valid_name(ch))
			return -EINVAL;
		vb_copy(a->reached[i].contact, VB_NAME_MAX, c);
		vb_copy(a->reached[i].channel, VB_NAME_MAX, ch);
		a->nreached++;
	}
	return 0;
}
