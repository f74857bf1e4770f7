/*
 * beams.c - the entry beam pair decoder.  See beams.h for the rules.
 */
#include "beams.h"

#include "emit.h"

const char *beam_name(enum beam_id id)
{
	return id == BEAM_OUTER ? "outer" : "inner";
}

void beams_init(struct beams *bs, int64_t gap_ms, int64_t stuck_ms)
{
	*bs = (struct beams){ .gap_ms = gap_ms, .stuck_ms = stuck_ms };
	for (int i = 0; i < 2; i++)
		bs->b[i].on_at = bs->b[i].off_at = VAN_NEVER;
}

/* A crossing from the other beam's side into beam `to` completed n times. */
static void count(struct beams_out *o, enum beam_id to, int n)
{
	if (to == BEAM_INNER)
		o->in += n;
	else
		o->out += n;
}

/* Forget a beam's episode (its level stays). */
static void drop(struct beam *b, struct beams_out *o)
{
	if (b->pending)
		o->aborted += b->pending;
	b->pending = 0;
	b->role = BR_NONE;
	b->follows = false;
}

static bool linkable(const struct beams *bs, const struct beam *b, int64_t t)
{
	if (b->role != BR_FREE || b->ignore)
		return false;
	return b->on || (b->off_at != VAN_NEVER && t - b->off_at <= bs->gap_ms);
}

static void on_edge(struct beams *bs, enum beam_id id, int64_t t, struct beams_out *o)
{
	struct beam *me = &bs->b[id], *ot = &bs->b[!id];

	if (me->role == BR_FREE)
		drop(me, o);   /* a new episode replaces an unlinked old one */
	me->seq++;
	me->partner = 0;
	me->follows = false;
	if (linkable(bs, ot, t)) {
		/* ot's person carries on into this beam; crossings that waited
		 * on them are confirmed */
		if (ot->pending)
			count(o, id, ot->pending);
		ot->pending = 0;
		ot->role = BR_FIRST;
		ot->partner = me->seq;
		me->role = BR_SECOND;
		me->partner = ot->seq;
		return;
	}
	if (ot->role == BR_FREE && !ot->on)
		drop(ot, o);   /* too late to link: that one stepped back */
	me->role = BR_FREE;
	/* a new person behind one who is crossing towards ot */
	me->follows = ot->on && ot->role == BR_SECOND;
}

static void second_off(struct beams *bs, enum beam_id id, struct beams_out *o)
{
	struct beam *me = &bs->b[id], *ot = &bs->b[!id];

	if (ot->on && ot->seq == me->partner) {
		/* the first beam is still broken by the same person: stepped back */
		ot->role = BR_FREE;
		ot->follows = false;
		o->aborted++;
	} else if (ot->on && ot->role == BR_FREE && ot->follows) {
		/* someone is on the first beam again: the next person, or the same
		 * one coming back.  Decide when they go on or back. */
		ot->pending++;
	} else {
		count(o, id, 1);
		if (!ot->on)
			drop(ot, o);
	}
	me->role = BR_NONE;
}

static void off_edge(struct beams *bs, enum beam_id id, struct beams_out *o)
{
	struct beam *me = &bs->b[id];

	switch (me->role) {
	case BR_SECOND:
		second_off(bs, id, o);
		break;
	case BR_FREE:
		/* stays linkable for gap_ms; pending crossings wait with it */
		if (bs->gap_ms <= 0)
			drop(me, o);
		break;
	case BR_FIRST:   /* wait for the second beam to clear */
	case BR_NONE:
		break;
	}
}

/* Fault or recovery: start afresh; whatever is broken now is ignored. */
static void reset_pair(struct beams *bs, struct beams_out *o)
{
	for (int i = 0; i < 2; i++) {
		drop(&bs->b[i], o);
		bs->b[i].ignore = bs->b[i].on;
	}
}

struct beams_out beams_edge(struct beams *bs, enum beam_id id, bool on, int64_t t)
{
	struct beams_out o = { 0 };
	struct beam *me = &bs->b[id];

	if (on == me->on)
		return o;
	me->on = on;
	if (on)
		me->on_at = t;
	else
		me->off_at = t;

	if (me->faulted) {
		if (!on) {
			me->faulted = false;
			o.recovered |= 1u << id;
			reset_pair(bs, &o);
		}
		return o;
	}
	if (me->ignore || bs->b[!id].faulted) {
		me->ignore = on;
		me->role = BR_NONE;
		return o;
	}
	if (on)
		on_edge(bs, id, t, &o);
	else
		off_edge(bs, id, &o);
	return o;
}

void beams_initial(struct beams *bs, enum beam_id id, bool on, int64_t t)
{
	struct beam *b = &bs->b[id];
	if (b->on == on)
		return;
	b->on = on;
	b->ignore = on;
	b->role = BR_NONE;
	b->pending = 0;
	if (on)
		b->on_at = t;
	else
		b->off_at = t;
}

struct beams_out beams_tick(struct beams *bs, int64_t t)
{
	struct beams_out o = { 0 };
	for (int i = 0; i < 2; i++) {
		struct beam *b = &bs->b[i];
		if (b->on && !b->faulted && t - b->on_at >= bs->stuck_ms) {
			b->faulted = true;
			o.faulted |= 1u << i;
		}
	}
	if (o.faulted)
		reset_pair(bs, &o);
	return o;
}

int64_t beams_deadline(const struct beams *bs)
{
	int64_t d = VAN_NEVER;
	for (int i = 0; i < 2; i++) {
		const struct beam *b = &bs->b[i];
		if (b->on && !b->faulted)
			d = deadline_min(d, b->on_at + bs->stuck_ms);
	}
	return d;
}

bool beams_faulted(const struct beams *bs, enum beam_id id)
{
	return bs->b[id].faulted;
}

bool beams_any_fault(const struct beams *bs)
{
	return bs->b[0].faulted || bs->b[1].faulted;
}
