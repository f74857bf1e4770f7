/*
 * vb_rota.c - contacts, rota, chains.  See vb_rota.h.
 */
#include "vb_rota.h"

#include <errno.h>
#include <string.h>

int vb_mow_parse(const char *s)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	if (!s || strlen(s) != 9 || s[3] != ' ' || s[6] != ':')
		return -1;
	int day = -1;
	for (int d = 0; d < 7; d++)
		if (!strncmp(s, days + 3 * d, 3))
			day = d;
	for (int i = 4; i < 9; i++)
		if (i != 6 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[4] - '0') * 10 + (s[5] - '0'), m = (s[7] - '0') * 10 + (s[8] - '0');
	if (day < 0 || h > 23 || m > 59)
		return -1;
	return day * 1440 + h * 60 + m;
}

int vb_slot_times(const char *s, int *from_mow, int *to_mow)
{
	char a[10], b[10];
	if (s && !strcmp(s, "always")) {
		*from_mow = *to_mow = 0;
		return 0;
	}
	if (!s || strlen(s) != 19 || s[9] != '-')
		return -EINVAL;
	memcpy(a, s, 9);
	a[9] = '\0';
	memcpy(b, s + 10, 9);
	b[9] = '\0';
	int f = vb_mow_parse(a), t = vb_mow_parse(b);
	if (f < 0 || t < 0 || f == t)
		return -EINVAL;
	*from_mow = f;
	*to_mow = t;
	return 0;
}

const struct vb_contact *vb_contact_find(const struct vb_roster *r, const char *name)
{
	for (int i = 0; name && i < r->ncontacts; i++)
		if (strcmp(r->contacts[i].name, name) == 0)
			return &r->contacts[i];
	return NULL;
}

static bool in_slot(const struct vb_slot *s, int mow)
{
	if (s->from_mow == s->to_mow)
		return true;
	if (s->from_mow < s->to_mow)
		return mow >= s->from_mow && mow < s->to_mow;
	return mow >= s->from_mow || mow < s->to_mow;
}

const struct vb_contact *vb_rota_who(const struct vb_roster *r, const char *role, int mow,
				     bool drill)
{
	const struct vb_slot *rota = drill ? r->test_rota : r->rota;
	int n = drill ? r->ntest_rota : r->nrota;
	if (mow < 0 || mow >= VB_MOW)
		return NULL;
	for (int i = 0; i < n; i++)
		if (strcmp(rota[i].role, role) == 0 && in_slot(&rota[i], mow)) {
			const struct vb_contact *c = vb_contact_find(r, rota[i].contact);
			/* the test rota reaches only the test roster, the live rota never */
			if (c && c->test == drill)
				return c;
		}
	return NULL;
}

const struct vb_chain *vb_chain_for(const struct vb_roster *r, enum vb_kind k)
{
	if ((unsigned)k >= VB_K__COUNT)
		return NULL;
	if (k == VB_K_DRILL && r->chains[k].nsteps == 0)
		return &r->chains[VB_K_EMERGENCY];
	return &r->chains[k];
}

bool vb_step_channel(const struct vb_step *s, const struct vb_contact *c, const char *ch)
{
	bool mine = false;
	for (int i = 0; i < c->nchannels; i++)
		if (strcmp(c->channels[i], ch) == 0)
			mine = true;
	if (!mine)
		return false;
	if (s->nchannels == 0)
		return true;
	for (int i = 0; i < s->nchannels; i++)
		if (strcmp(s->channels[i], ch) == 0)
			return true;
	return false;
}

#define BAD(what, i, why) do { n++; if (bad) bad(ctx, what, i, why); } while (0)

static int check_slots(const struct vb_roster *r, const struct vb_slot *s, int ns, bool test,
		       const char *what, void (*bad)(void *, const char *, int, const char *),
		       void *ctx)
{
	int n = 0;
	if (ns < 0 || ns > VB_SLOTS_MAX) {
		BAD(what, -1, "too many slots");
		return n;
	}
	for (int i = 0; i < ns; i++) {
		const struct vb_contact *c = vb_contact_find(r, s[i].contact);
		if (!vb_valid_name(s[i].role))
			BAD(what, i, "role must be 1-32 of A-Z a-z 0-9 _ . -");
		if (!c)
			BAD(what, i, "names no contact");
		else if (c->test != test)
			BAD(what, i, test ? "the test rota may name only test contacts"
					  : "the live rota may not name a test contact");
		if (s[i].from_mow < 0 || s[i].from_mow >= VB_MOW || s[i].to_mow < 0 ||
		    s[i].to_mow >= VB_MOW)
			BAD(what, i, "times must be minutes of the week, 0 to 10079");
	}
	return n;
}

int vb_roster_check(const struct vb_roster *r,
		    void (*bad)(void *ctx, const char *what, int index, const char *why), void *ctx)
{
	int n = 0;
	if (r->ncontacts < 0 || r->ncontacts > VB_CONTACTS_MAX) {
		BAD("contacts", -1, "too many contacts");
		return n;
	}
	for (int i = 0; i < r->ncontacts; i++) {
		const struct vb_contact *c = &r->contacts[i];
		if (!vb_valid_name(c->name))
			BAD("contacts", i, "name must be 1-32 of A-Z a-z 0-9 _ . -");
		else if (vb_contact_find(r, c->name) != c)
			BAD("contacts", i, "name used twice");
		if (c->nchannels < 1 || c->nchannels > VB_CONTACT_CHANNELS)
			BAD("contacts", i, "needs 1 to 6 channels");
		for (int k = 0; k >= 0 && k < c->nchannels && k < VB_CONTACT_CHANNELS; k++)
			if (!vb_valid_name(c->channels[k]))
				BAD("contacts", i, "channel name must be 1-32 of A-Z a-z 0-9 _ . -");
	}
	n += check_slots(r, r->rota, r->nrota, false, "rota", bad, ctx);
	n += check_slots(r, r->test_rota, r->ntest_rota, true, "test_rota", bad, ctx);
	for (int k = 0; k < VB_K__COUNT; k++) {
		const struct vb_chain *ch = &r->chains[k];
		const char *what = vb_kind_name((enum vb_kind)k);
		if (ch->nsteps < 0 || ch->nsteps > VB_STEPS_MAX) {
			BAD(what, -1, "too many steps");
			continue;
		}
		if (ch->repeat_ms < 0 || ch->max_rounds < 0)
			BAD(what, -1, "repeat must not be negative");
		if (ch->repeat_ms > 0 && ch->repeat_ms < 10000)
			BAD(what, -1, "repeat must be at least 10 s");
		for (int i = 0; i < ch->nsteps; i++) {
			const struct vb_step *s = &ch->steps[i];
			if (s->at_ms < 0 || s->at_ms > 7 * 86400000LL || (i > 0 && s->at_ms <= ch->steps[i - 1].at_ms))
				BAD(what, i, "step times must grow, from 0 to 7 days");
			if (s->ntargets < 1 || s->ntargets > VB_STEP_TARGETS)
				BAD(what, i, "a step needs 1 to 4 targets");
			if (s->nchannels < 0 || s->nchannels > VB_STEP_CHANNELS)
				BAD(what, i, "too many channels");
			for (int t = 0; t < s->ntargets && t < VB_STEP_TARGETS; t++) {
				if (!vb_valid_name(s->targets[t].name))
					BAD(what, i, "target must be 1-32 of A-Z a-z 0-9 _ . -");
				else if (!s->targets[t].role && !vb_contact_find(r, s->targets[t].name))
					BAD(what, i, "target names no contact");
			}
			for (int c = 0; c < s->nchannels && c < VB_STEP_CHANNELS; c++)
				if (!vb_valid_name(s->channels[c]))
					BAD(what, i, "channel name must be 1-32 of A-Z a-z 0-9 _ . -");
		}
	}
	return n;
}
