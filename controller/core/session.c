/*
 * session.c - session lifecycle, planned end and overdue escalation.
 * See session.h.
 */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jfields.h"

const char *session_state_name(enum session_state s)
{
	switch (s) {
	case SESSION_IDLE: return "idle";
	case SESSION_ACTIVE: return "active";
	case SESSION_OVERDUE: return "overdue";
	case SESSION_ENDED: return "ended";
	}
	return "unknown";
}

void session_init(struct session *s)
{
	*s = (struct session){ .state = SESSION_IDLE };
	s->start_mono = s->planned_end_mono = s->end_mono = s->overdue_next = VAN_NEVER;
	s->ck.last_mono = s->ck.due_mono = s->ck.next_repeat = VAN_NEVER;
}

bool session_running(const struct session *s)
{
	return s->state == SESSION_ACTIVE || s->state == SESSION_OVERDUE;
}

static bool plan_ok(const char *plan)
{
	size_t n = strlen(plan);
	if (n == 0 || n >= SESSION_PLAN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)plan[i] < 0x20 || plan[i] == 0x7f)
			return false;
	return true;
}

int session_check_start(const struct session *s, const struct session_params *p, int crew,
			bool lone, int64_t planned_end_utc, const char *plan,
			const struct vtime *now, int64_t *end_mono, const char **why)
{
	const char *w = NULL;
	int64_t end = now->mono_ms + p->default_len_ms;

	if (planned_end_utc)
		end = now->mono_ms + (planned_end_utc - now->utc_ms);
	if (session_running(s))
		w = "a session is already running";
	else if (crew < 1 || crew > SESSION_CREW_MAX)
		w = "crew must be 1 to 20";
	else if (lone && crew != 1)
		w = "lone working means a crew of one";
	else if (!lone && crew == 1)
		w = "a crew of one must start in lone-working mode";
	else if (plan && !plan_ok(plan))
		w = "plan name must be 1 to 63 printable characters";
	else if (end < now->mono_ms + 60000)
		w = "planned end must be at least a minute from now";
	else if (end > now->mono_ms + p->max_len_ms)
		w = "planned end is too far ahead";
	if (w) {
		if (why)
			*why = w;
		return session_running(s) ? -EALREADY : -EINVAL;
	}
	*end_mono = end;
	return 0;
}

void session_begin(struct session *s, const struct session_params *p, int crew, bool lone,
		   int64_t end_mono, const char *plan, enum van_source src,
		   enum ck_reason r, const struct vtime *now)
{
	int64_t last = s->id;
	session_init(s);
	s->state = SESSION_ACTIVE;
	s->id = now->utc_ms > last ? now->utc_ms : last + 1;
	s->crew = crew;
	s->lone = lone;
	snprintf(s->plan, sizeof(s->plan), "%s", plan ? plan : "");
	s->started_by = (int)src;
	s->start_mono = now->mono_ms;
	s->start_utc = now->utc_ms;
	s->planned_end_mono = end_mono;
	checkin_begin(&s->ck, &p->ck, r, now);
}

static void resolved(struct session *s, const char *how, enum van_source src,
		     const struct emit *e)
{
	json_t *d = json_object();
	jset_str(d, "how", how);
	jset_str(d, "source", van_source_name(src));
	jset_int(d, "overdue_s", ms_to_s(e->now->mono_ms - s->planned_end_mono));
	emit_ev(e, EV_T_SESSION_OVERDUE_RESOLVED, EV_URGENT, d);
}

void session_finish(struct session *s, enum van_source src, const struct emit *e)
{
	if (s->state == SESSION_OVERDUE)
		resolved(s, "ended", src, e);
	s->state = SESSION_ENDED;
	s->end_mono = e->now->mono_ms;
	s->end_utc = e->now->utc_ms;
	s->overdue_next = VAN_NEVER;
	checkin_end(&s->ck);
}

int session_extend(struct session *s, const struct session_params *p, int64_t new_end_mono,
		   enum van_source src, const struct emit *e, const char **why)
{
	int64_t t = e->now->mono_ms;
	const char *w = NULL;
	if (!session_running(s))
		w = "no session is running";
	else if (new_end_mono < t + 60000)
		w = "new planned end must be at least a minute from now";
	else if (new_end_mono > s->start_mono + p->max_len_ms)
		w = "new planned end is too far ahead";
	if (w) {
		if (why)
			*why = w;
		return session_running(s) ? -EINVAL : -ENOENT;
	}
	json_t *d = json_object();
	jset_utc(d, "old_planned_end_utc", e->now, s->planned_end_mono);
	jset_utc(d, "planned_end_utc", e->now, new_end_mono);
	jset_int(d, "by_min", (new_end_mono - s->planned_end_mono) / 60000);
	jset_str(d, "source", van_source_name(src));
	if (s->state == SESSION_OVERDUE) {
		resolved(s, "extended", src, e);
		s->state = SESSION_ACTIVE;
	}
	s->planned_end_mono = new_end_mono;
	s->end_due_sent = false;
	s->overdue_next = VAN_NEVER;
	s->overdue_repeats = 0;
	s->extends++;
	emit_ev(e, EV_T_SESSION_EXTENDED, EV_NORMAL, d);
	return 0;
}

static void overdue_event(struct session *s, const struct session_params *p,
			  const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	json_t *d = json_object();
	jset_utc(d, "planned_end_utc", e->now, s->planned_end_mono);
	jset_int(d, "overdue_s", ms_to_s(t - s->planned_end_mono));
	jset_int(d, "repeat", s->overdue_repeats);
	int64_t sched = s->overdue_repeats ? s->overdue_next
					   : s->planned_end_mono + p->overdue_grace_ms;
	s->overdue_next = next_after(sched, p->overdue_repeat_ms, t);
	if (s->overdue_repeats++ == 0) {
		s->overdue_count++;
		emit_incident(e, EV_T_SESSION_OVERDUE, EV_URGENT, "overdue", d);
	} else {
		emit_ev(e, EV_T_SESSION_OVERDUE, EV_URGENT, d);
	}
}

/* The end check-in is reminded like the others, reminder_ms before. */
static int64_t end_reminder(const struct session *s, const struct session_params *p)
{
	return s->planned_end_mono - p->ck.reminder_ms;
}

void session_tick(struct session *s, const struct session_params *p, const struct emit *e)
{
	int64_t t = e->now->mono_ms;
	if (!session_running(s))
		return;
	if (!s->end_due_sent && t >= end_reminder(s, p)) {
		s->end_due_sent = true;
		json_t *d = json_object();
		jset_utc(d, "planned_end_utc", e->now, s->planned_end_mono);
		jset_int(d, "in_s", ms_to_s(s->planned_end_mono - t));
		emit_ev(e, EV_T_SESSION_END_DUE, EV_NORMAL, d);
	}
	if (s->state == SESSION_ACTIVE && t >= s->planned_end_mono + p->overdue_grace_ms) {
		s->state = SESSION_OVERDUE;
		s->overdue_repeats = 0;
		overdue_event(s, p, e);
	} else if (s->state == SESSION_OVERDUE && t >= s->overdue_next) {
		overdue_event(s, p, e);
	}
	checkin_tick(&s->ck, &p->ck, e);
}

int64_t session_deadline(const struct session *s, const struct session_params *p)
{
	if (!session_running(s))
		return VAN_NEVER;
	int64_t d;
	if (s->state == SESSION_OVERDUE)
		d = s->overdue_next;
	else if (!s->end_due_sent)
		d = end_reminder(s, p);
	else
		d = s->planned_end_mono + p->overdue_grace_ms;
	return deadline_min(d, checkin_deadline(&s->ck, &p->ck));
}

json_t *session_state_json(const struct session *s, const struct session_params *p,
			   const struct vtime *now)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	int64_t t = now->mono_ms;
	bool run = session_running(s), ended = s->state == SESSION_ENDED;
	jset_str(d, "state", session_state_name(s->state));
	if (s->state == SESSION_IDLE) {
		jset_new(d, "id", json_null());
		return d;
	}
	jset_int(d, "id", s->id);
	jset_int(d, "crew", s->crew);
	jset_bool(d, "lone", s->lone);
	jset_str(d, "plan", s->plan[0] ? s->plan : NULL);
	jset_int(d, "started_utc", s->start_utc);
	jset_str(d, "started_by", van_source_name((enum van_source)s->started_by));
	jset_utc(d, "planned_end_utc", now, s->planned_end_mono);
	jset_int(d, "elapsed_s", ms_to_s((run ? t : s->end_mono) - s->start_mono));
	jset_int(d, "remaining_s", run ? ms_to_s(s->planned_end_mono - t) : 0);
	jset_int(d, "overdue_s", s->state == SESSION_OVERDUE ? ms_to_s(t - s->planned_end_mono) : 0);
	if (ended)
		jset_int(d, "ended_utc", s->end_utc);
	jset_new(d, "checkin", run ? checkin_state_json(&s->ck, &p->ck, now) : NULL);
	return d;
}

#define F(m, k) JF(struct session, m, k)
static const struct jfield s_fields[] = {
	F(state, JF_INT), F(id, JF_I64), F(crew, JF_INT), F(lone, JF_BOOL), F(plan, JF_STR),
	F(started_by, JF_INT), F(start_mono, JF_MONO), F(start_utc, JF_I64),
	F(planned_end_mono, JF_MONO), F(end_mono, JF_MONO), F(end_utc, JF_I64),
	F(end_due_sent, JF_BOOL), F(overdue_next, JF_MONO), F(overdue_repeats, JF_INT),
	F(overdue_count, JF_UINT), F(extends, JF_UINT),
};
#undef F

json_t *session_save(const struct session *s)
{
	json_t *j = jf_save(s, s_fields, sizeof(s_fields) / sizeof(s_fields[0]));
	if (j)
		jset_new(j, "checkin", checkin_save(&s->ck));
	return j;
}

int session_restore(struct session *s, const json_t *j, int64_t shift)
{
	int r = jf_restore(s, s_fields, sizeof(s_fields) / sizeof(s_fields[0]), j, shift);
	if (r == 0)
		r = checkin_restore(&s->ck, json_object_get(j, "checkin"), shift);
	if (r < 0)
		return r;
	if ((int)s->state < SESSION_IDLE || s->state > SESSION_ENDED ||
	    s->started_by < 0 || s->started_by >= VAN_SRC__COUNT)
		return -EINVAL;
	if (session_running(s) && (s->start_mono == VAN_NEVER || s->planned_end_mono == VAN_NEVER ||
				   s->ck.stage == CK_IDLE))
		return -EINVAL;
	if (s->state == SESSION_OVERDUE && s->overdue_next == VAN_NEVER)
		return -EINVAL;
	if (s->state == SESSION_ENDED && (s->start_mono == VAN_NEVER || s->end_mono == VAN_NEVER))
		return -EINVAL;
	return 0;
}
