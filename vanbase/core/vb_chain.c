/*
 * vb_chain.c - an alarm's escalation chain: when each step is due, whom it
 * reaches, and the notifications it decides.  See vb_alarm.h, vb_rota.h.
 */
#include "vb_alarm.h"

#include <stdio.h>
#include <string.h>

#define ROUNDS_LIMIT 10000000

int64_t vb_chain_time(const struct vb_chain *ch, int64_t origin, int round, int step)
{
	if (!ch || step < 0 || step >= ch->nsteps || round < 0 || round > ROUNDS_LIMIT)
		return VB_NEVER;
	const struct vb_step *last = &ch->steps[ch->nsteps - 1];
	if (round == 0)
		return origin + ch->steps[step].at_ms;
	if (ch->repeat_ms <= 0 || (ch->max_rounds > 0 && round > ch->max_rounds))
		return VB_NEVER;
	if (ch->repeat_last)
		return step == ch->nsteps - 1 ? origin + last->at_ms + round * ch->repeat_ms : VB_NEVER;
	return origin + round * (last->at_ms + ch->repeat_ms) + ch->steps[step].at_ms;
}

static void advance(const struct vb_chain *ch, int *round, int *step)
{
	if ((*round == 0 || !ch->repeat_last) && *step + 1 < ch->nsteps) {
		(*step)++;
		return;
	}
	(*round)++;
	*step = ch->repeat_last ? ch->nsteps - 1 : 0;
}

/* the latest repeat round whose first step is due at now */
static int latest_round(const struct vb_chain *ch, int64_t origin, int64_t now)
{
	if (ch->repeat_ms <= 0 || ch->nsteps == 0)
		return 0;
	const struct vb_step *last = &ch->steps[ch->nsteps - 1];
	int64_t first = ch->repeat_last ? last->at_ms : ch->steps[0].at_ms;
	int64_t period = ch->repeat_last ? ch->repeat_ms : last->at_ms + ch->repeat_ms;
	int64_t since = now - origin - first;
	if (since < 0 || period <= 0)
		return 0;
	int64_t l = since / period;
	if (ch->max_rounds > 0 && l > ch->max_rounds)
		l = ch->max_rounds;
	return l > ROUNDS_LIMIT ? ROUNDS_LIMIT : (int)l;
}

static bool was_reached(const struct vb_alarm *a, const char *contact, const char *channel)
{
	for (int i = 0; i < a->nreached; i++)
		if (!strcmp(a->reached[i].contact, contact) && !strcmp(a->reached[i].channel, channel))
			return true;
	return false;
}

static struct vb_audit *audit(const struct vb_alarm *a, int64_t now, struct vb_outq *q)
{
	struct vb_out *o = vb_outq_add(q, VB_OUT_AUDIT);
	if (!o)
		return NULL;
	struct vb_audit *r = &o->u.a;
	vb_copy(r->alarm_id, sizeof(r->alarm_id), a->id);
	vb_copy(r->unit, sizeof(r->unit), a->unit);
	r->kind = a->kind;
	r->what = VB_AU_NOTIFY;
	r->at = now;
	r->ok = true;
	return r;
}

static void notify(struct vb_alarm *a, const struct vb_contact *c, const char *channel,
		   const struct vb_unit *u, const struct vb_time *now, struct vb_outq *q)
{
	char id[VB_NID_MAX];
	snprintf(id, sizeof(id), "%s/a%dr%ds%d/%s/%s", a->id, a->arm, a->round, a->step, c->name,
		 channel);
	/* one step naming a person twice (a role and by name) sends once */
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].kind == VB_OUT_NOTIFY && !strcmp(q->v[i].u.n.id, id))
			return;
	struct vb_out *o = vb_outq_add(q, VB_OUT_NOTIFY);
	if (!o)
		return;
	struct vb_notify *n = &o->u.n;
	vb_copy(n->id, sizeof(n->id), id);
	vb_copy(n->alarm_id, sizeof(n->alarm_id), a->id);
	vb_copy(n->unit, sizeof(n->unit), a->unit);
	vb_copy(n->contact, sizeof(n->contact), c->name);
	vb_copy(n->channel, sizeof(n->channel), channel);
	n->kind = a->kind;
	n->drill = a->drill;
	n->covert = a->covert;
	n->round = a->round;
	n->step = a->step;
	n->at = now->utc_ms;
	n->fix_at = VB_NEVER;
	bool again = was_reached(a, c->name, channel);
	n->msg = again ? VB_MSG_REPEAT : VB_MSG_RAISE;
	if (!again && a->nreached < VB_REACHED_MAX) {
		vb_copy(a->reached[a->nreached].contact, VB_NAME_MAX, c->name);
		vb_copy(a->reached[a->nreached].channel, VB_NAME_MAX, channel);
		a->nreached++;
	}
	vb_text(n->text, sizeof(n->text), a, u, n->msg, now->utc_ms);
	/* the position only where the alarm needs it */
	if ((a->kind == VB_K_EMERGENCY || a->kind == VB_K_OFFLINE) && u && u->has_fix) {
		n->position = true;
		n->lat = u->lat;
		n->lon = u->lon;
		n->fix_at = u->fix_at;
		vb_pos_text(n->pos_text, sizeof(n->pos_text), u->lat, u->lon, u->fix_at, now->utc_ms);
	}
	struct vb_audit *r = audit(a, now->utc_ms, q);
	if (r) {
		vb_copy(r->notify_id, sizeof(r->notify_id), id);
		snprintf(r->detail, sizeof(r->detail), "%s to %s via %s", vb_msg_name(n->msg, n->drill),
			 c->name, channel);
	}
}

static void fire(struct vb_alarm *a, const struct vb_step *s, const struct vb_roster *r,
		 const struct vb_unit *u, const struct vb_time *now, struct vb_outq *q)
{
	for (int t = 0; t < s->ntargets; t++) {
		const struct vb_target *tg = &s->targets[t];
		const struct vb_contact *c = tg->role ? vb_rota_who(r, tg->name, now->local_mow, a->drill)
						      : vb_contact_find(r, tg->name);
		const char *why = NULL;
		if (!c)
			why = tg->role ? "nobody holds the role now" : "no such contact";
		else if (c->test != a->drill)
			why = a->drill ? "a drill reaches only the test roster"
				       : "a live alarm never goes to the test roster";
		int sent = 0;
		for (int k = 0; !why && k < c->nchannels; k++)
			if (vb_step_channel(s, c, c->channels[k])) {
				notify(a, c, c->channels[k], u, now, q);
				sent++;
			}
		if (!why && !sent)
			why = "none of the step's channels is the contact's";
		if (why) {
			struct vb_audit *au = audit(a, now->utc_ms, q);
			if (au) {
				au->ok = false;
				snprintf(au->detail, sizeof(au->detail), "step %d, %s %s: %s", a->step,
					 tg->role ? "role" : "contact", tg->name, why);
			}
		}
	}
}

void vb_alarm_run(struct vb_alarm *a, const struct vb_chain *ch, const struct vb_roster *r,
		  const struct vb_unit *u, const struct vb_time *now, struct vb_outq *q)
{
	if (a->acked || a->resolved || a->closed)
		return;
	for (int guard = 0; a->next_at != VB_NEVER && a->next_at <= now->utc_ms && guard < 1000; guard++) {
		if (a->step >= ch->nsteps) {
			a->next_at = VB_NEVER;
			break;
		}
		fire(a, &ch->steps[a->step], r, u, now, q);
		int old = a->round;
		advance(ch, &a->round, &a->step);
		if (a->round > old) {
			/* vanbase was down over several repeats: send the latest one only */
			int l = latest_round(ch, a->chain_at, now->utc_ms);
			if (l > a->round) {
				a->round = l;
				a->step = ch->repeat_last ? ch->nsteps - 1 : 0;
			}
		}
		a->next_at = vb_chain_time(ch, a->chain_at, a->round, a->step);
	}
}

void vb_alarm_rechain(struct vb_alarm *a, const struct vb_chain *ch)
{
	if (a->acked || a->resolved)
		return;
	a->next_at = vb_chain_time(ch, a->chain_at, a->round, a->step);
}
