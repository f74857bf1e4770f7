/*
 * checkin.c - check-in stages and the risk-dependent interval.
 * See checkin.h.
 */
#include "checkin.h"

#include <errno.h>

#include "jfields.h"

const char *ck_reason_name(enum ck_reason r)
{
	switch (r) {
	case CK_NORMAL: return "normal";
	case CK_LONE: return "lone";
	case CK_RISK: return "risk";
	case CK__COUNT: break;
	}
	return "unknown";
}

const char *ck_stage_name(enum ck_stage s)
{
	switch (s) {
	case CK_IDLE: return "idle";
	case CK_WAIT: return "waiting";
	case CK_REMINDED: return "reminded";
	case CK_LATE: return "late";
	case CK_MISSED: return "missed";
	}
	return "unknown";
}

static int64_t interval(const struct ck_params *p, enum ck_reason r)
{
	return p->interval_ms[r];
}

void checkin_begin(struct checkin *c, const struct ck_params *p, enum ck_reason r,
		   const struct vtime *now)
{
	*c = (struct checkin){ .stage = CK_WAIT, .reason = r, .made = 1 };
	c->last_mono = now->mono_ms;
	c->last_utc = now->utc_ms;
	c->due_mono = now->mono_ms + interval(p, r);
	c->next_repeat = VAN_NEVER;
}

void checkin_done(struct checkin *c, const struct ck_params *p, const struct vtime *now,
		  json_t *data)
{
	int64_t t = now->mono_ms;
	const char *was = c->stage == CK_MISSED ? "missed" : c->stage == CK_LATE ? "late" : "on_time";
	int64_t late = t > c->due_mono ? t - c->due_mono : 0;

	c->stage = CK_WAIT;
	c->last_mono = t;
	c->last_utc = now->utc_ms;
	c->due_mono = t + interval(p, c->reason);
	c->next_repeat = VAN_NEVER;
	c->repeats = 0;
	c->requested = false;
	c->made++;
	if (data) {
		jset_str(data, "was", was);
		jset_int(data, "late_s", ms_to_s(late));
		jset_utc(data, "next_due_utc", now, c->due_mono);
		jset_int(data, "interval_min", interval(p, c->reason) / 60000);
		jset_str(data, "reason", ck_reason_name(c->reason));
	}
}

void checkin_end(struct checkin *c)
{
	if (c->stage != CK_IDLE)
		c->made++;
	c->stage = CK_IDLE;
	c->due_mono = c->next_repeat = VAN_NEVER;
}

static void due_event(const struct checkin *c, const struct ck_params *p, enum ev_type type,
		      const struct emit *e)
{
	json_t *d = json_object();
	jset_str(d, "reason", ck_reason_name(c->reason));
	jset_int(d, "interval_min", interval(p, c->reason) / 60000);
	jset_utc(d, "due_utc", e->now, c->due_mono);
	if (c->requested)
		jset_bool(d, "requested", true);
	emit_ev(e, type, EV_NORMAL, d);
}

void checkin_set_reason(struct checkin *c, const struct ck_params *p, enum ck_reason r,
			const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	if (r == c->reason)
		return;
	c->reason = r;
	if (c->stage != CK_WAIT && c->stage != CK_REMINDED)
		return;   /* already due: only a check-in resolves it */
	int64_t due = c->last_mono + interval(p, r);
	if (due < c->due_mono) {
		if (due < t + p->reminder_ms)
			due = t + p->reminder_ms;
		if (due > c->due_mono)
			due = c->due_mono;
	} else if (c->requested) {
		due = c->due_mono;
	}
	if (due == c->due_mono)
		return;
	c->due_mono = due;
	c->stage = t >= due - p->reminder_ms ? c->stage : CK_WAIT;
	due_event(c, p, EV_T_CHECKIN_INTERVAL_CHANGED, e);
}

void checkin_request(struct checkin *c, const struct ck_params *p, const char *by,
		     const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	c->requested = true;
	if (c->stage == CK_WAIT || c->stage == CK_REMINDED) {
		if (c->due_mono > t + p->reminder_ms)
			c->due_mono = t + p->reminder_ms;
		c->stage = CK_REMINDED;   /* the request is the reminder */
	}
	json_t *d = json_object();
	jset_str(d, "by", by);
	jset_utc(d, "due_utc", e->now, c->due_mono);
	emit_ev(e, EV_T_CHECKIN_REQUESTED, EV_NORMAL, d);
}

int64_t checkin_deadline(const struct checkin *c, const struct ck_params *p)
{
	switch (c->stage) {
	case CK_WAIT: return c->due_mono - p->reminder_ms;
	case CK_REMINDED: return c->due_mono;
	case CK_LATE: return c->due_mono + p->grace_ms;
	case CK_MISSED: return c->next_repeat;
	case CK_IDLE: break;
	}
	return VAN_NEVER;
}

static void missed(struct checkin *c, const struct ck_params *p, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	json_t *d = json_object();
	jset_utc(d, "due_utc", e->now, c->due_mono);
	jset_utc(d, "last_checkin_utc", e->now, c->last_mono);
	jset_int(d, "late_s", ms_to_s(t - c->due_mono));
	jset_int(d, "repeat", c->repeats);
	jset_str(d, "reason", ck_reason_name(c->reason));
	if (c->repeats == 0) {
		c->missed++;
		c->next_repeat = next_after(c->due_mono + p->grace_ms, p->repeat_ms, t);
		emit_incident(e, EV_T_CHECKIN_MISSED, EV_URGENT, "checkin_missed", d);
	} else {
		c->next_repeat = next_after(c->next_repeat, p->repeat_ms, t);
		emit_ev(e, EV_T_CHECKIN_MISSED, EV_URGENT, d);
	}
	c->repeats++;
}

void checkin_tick(struct checkin *c, const struct ck_params *p, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	for (int64_t d; (d = checkin_deadline(c, p)) != VAN_NEVER && d <= t;) {
		switch (c->stage) {
		case CK_WAIT:
			c->stage = CK_REMINDED;
			due_event(c, p, EV_T_CHECKIN_REMINDER, e);
			break;
		case CK_REMINDED:
			c->stage = CK_LATE;
			c->late++;
			due_event(c, p, EV_T_CHECKIN_LATE, e);
			break;
		case CK_LATE:
			c->stage = CK_MISSED;
			c->repeats = 0;
			missed(c, p, e);
			break;
		case CK_MISSED:
			missed(c, p, e);
			break;
		case CK_IDLE:
			return;
		}
	}
}

json_t *checkin_state_json(const struct checkin *c, const struct ck_params *p,
			   const struct vtime *now)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	int64_t t = now->mono_ms;
	jset_str(d, "stage", ck_stage_name(c->stage));
	jset_str(d, "reason", ck_reason_name(c->reason));
	jset_int(d, "interval_min", interval(p, c->reason) / 60000);
	jset_utc(d, "last_utc", now, c->stage == CK_IDLE ? VAN_NEVER : c->last_mono);
	jset_utc(d, "due_utc", now, c->stage == CK_IDLE ? VAN_NEVER : c->due_mono);
	jset_int(d, "due_in_s", c->stage == CK_IDLE || t >= c->due_mono ? 0 : (c->due_mono - t) / 1000);
	jset_bool(d, "overdue", c->stage == CK_LATE || c->stage == CK_MISSED);
	jset_int(d, "overdue_s", c->stage == CK_LATE || c->stage == CK_MISSED ?
		 ms_to_s(t - c->due_mono) : 0);
	jset_bool(d, "escalated", c->stage == CK_MISSED);
	jset_bool(d, "requested", c->requested);
	jset_int(d, "made", c->made);
	jset_int(d, "missed", c->missed);
	return d;
}

#define F(m, k) JF(struct checkin, m, k)
static const struct jfield ck_fields[] = {
	F(stage, JF_INT), F(reason, JF_INT), F(last_mono, JF_MONO), F(last_utc, JF_I64),
	F(due_mono, JF_MONO), F(next_repeat, JF_MONO), F(repeats, JF_INT), F(requested, JF_BOOL),
	F(made, JF_UINT), F(late, JF_UINT), F(missed, JF_UINT),
};
#undef F

json_t *checkin_save(const struct checkin *c)
{
	return jf_save(c, ck_fields, sizeof(ck_fields) / sizeof(ck_fields[0]));
}

int checkin_restore(struct checkin *c, const json_t *j, int64_t shift)
{
	int r = jf_restore(c, ck_fields, sizeof(ck_fields) / sizeof(ck_fields[0]), j, shift);
	if (r < 0)
		return r;
	if ((int)c->stage < CK_IDLE || c->stage > CK_MISSED || (int)c->reason < 0 ||
	    c->reason >= CK__COUNT)
		return -EINVAL;
	if (c->stage != CK_IDLE && (c->due_mono == VAN_NEVER || c->last_mono == VAN_NEVER))
		return -EINVAL;
	if (c->stage == CK_MISSED && c->next_repeat == VAN_NEVER)
		return -EINVAL;
	return 0;
}
