/*
 * vbcore.c - the fleet, its alarms and their chains.  See vbcore.h.
 */
#include "vbcore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vb {
	struct vb_params p;
	struct vb_roster r;
	struct vb_unit *units;
	size_t nunits, ucap;
	struct vb_alarm *alarms;
	size_t nalarms, acap;
	unsigned long long seq;       /* the last alarm number given */
	int64_t link_up_at;           /* VB_NEVER: base's broker link is down */
	int64_t last_now;             /* of the last call, for vb_next_deadline */
	struct vb_outq q;
};

static const char *dummy_why;

void vb_params_default(struct vb_params *p)
{
	memset(p, 0, sizeof(*p));
	p->rules.due_grace_ms = 60000;
	p->rules.silent_after_ms = 180000;
	p->rules.settle_ms = 15000;
	p->rules.offset_window_ms = 120000;
	p->drill_timeout_ms = 15 * 60000;
	p->keep_resolved_ms = 24 * 3600000LL;
}

static bool params_ok(const struct vb_params *p)
{
	const struct vb_rule_params *r = &p->rules;
	return r->due_grace_ms >= 0 && r->due_grace_ms <= 86400000 && r->silent_after_ms >= 10000 &&
	       r->silent_after_ms <= 86400000 && r->settle_ms >= 0 && r->settle_ms <= 3600000 &&
	       r->offset_window_ms >= 1000 && r->offset_window_ms <= 3600000 &&
	       p->drill_timeout_ms >= 10000 && p->drill_timeout_ms <= 86400000 &&
	       p->keep_resolved_ms >= 0 && p->keep_resolved_ms <= 366 * 86400000LL;
}

vb_t *vb_new(const struct vb_params *p, const struct vb_roster *r)
{
	if (!params_ok(p) || vb_roster_check(r, NULL, NULL) > 0)
		return NULL;
	vb_t *vb = calloc(1, sizeof(*vb));
	if (!vb)
		return NULL;
	vb->p = *p;
	vb->r = *r;
	vb->link_up_at = VB_NEVER;
	vb->last_now = VB_NEVER;
	return vb;
}

void vb_free(vb_t *vb)
{
	if (!vb)
		return;
	free(vb->units);
	free(vb->alarms);
	vb_outq_fini(&vb->q);
	free(vb);
}

struct vb_outq *vb_outq(vb_t *vb)
{
	return &vb->q;
}

static struct vb_unit *unit_find(const vb_t *vb, const char *id)
{
	for (size_t i = 0; id && i < vb->nunits; i++)
		if (strcmp(vb->units[i].id, id) == 0)
			return &vb->units[i];
	return NULL;
}

const struct vb_unit *vb_unit_get(const vb_t *vb, const char *unit)
{
	return unit_find(vb, unit);
}

int vb_unit_add(vb_t *vb, const char *unit)
{
	if (!vb_valid_unit(unit) || strcmp(unit, "base") == 0)
		return -EINVAL;
	if (unit_find(vb, unit))
		return -EEXIST;
	if (vb->nunits >= VB_UNITS_MAX)
		return -ENOSPC;
	if (vb->nunits == vb->ucap) {
		size_t cap = vb->ucap ? vb->ucap * 2 : 8;
		struct vb_unit *n = realloc(vb->units, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		vb->units = n;
		vb->ucap = cap;
	}
	vb_unit_init(&vb->units[vb->nunits++], unit);
	return 0;
}

static struct vb_alarm *alarm_find(const vb_t *vb, const char *id)
{
	for (size_t i = 0; id && i < vb->nalarms; i++)
		if (strcmp(vb->alarms[i].id, id) == 0)
			return &vb->alarms[i];
	return NULL;
}

size_t vb_alarm_count(const vb_t *vb)
{
	return vb->nalarms;
}

const struct vb_alarm *vb_alarm_at(const vb_t *vb, size_t i)
{
	return i < vb->nalarms ? &vb->alarms[i] : NULL;
}

const struct vb_alarm *vb_alarm_get(const vb_t *vb, const char *id)
{
	return alarm_find(vb, id);
}

static void alarm_drop(vb_t *vb, size_t i)
{
	memmove(&vb->alarms[i], &vb->alarms[i + 1], (vb->nalarms - i - 1) * sizeof(vb->alarms[0]));
	vb->nalarms--;
}

/* Keep room for `room` new alarms: the oldest resolved ones go if memory
 * is full (the shell's store keeps them). */
static void alarm_room(vb_t *vb, size_t room)
{
	for (size_t i = 0; i < vb->nalarms && vb->nalarms + room > VB_ALARMS_MAX;)
		if (vb->alarms[i].resolved && !vb->alarms[i].suppress)
			alarm_drop(vb, i);
		else
			i++;
}

/* A slot for a new alarm at the end (never moves the others but by
 * realloc), or NULL (memory full of open alarms, ENOMEM). */
static struct vb_alarm *alarm_new(vb_t *vb)
{
	if (vb->nalarms >= VB_ALARMS_MAX)
		return NULL;
	if (vb->nalarms == vb->acap) {
		size_t cap = vb->acap ? vb->acap * 2 : 16;
		struct vb_alarm *n = realloc(vb->alarms, cap * sizeof(*n));
		if (!n)
			return NULL;
		vb->alarms = n;
		vb->acap = cap;
	}
	return &vb->alarms[vb->nalarms++];
}

/* ---- the rules -> alarms ---- */

static bool live(const struct vb_alarm *a)
{
	return !a->resolved || a->suppress;
}

static void sync_unit(vb_t *vb, struct vb_unit *u, const struct vb_time *now)
{
	struct vb_cond c[VB_CONDS_MAX];
	int n = vb_unit_conds(u, &vb->p.rules, now->utc_ms, vb->link_up_at, c);
	bool matched[VB_ALARMS_MAX];
	memset(matched, 0, sizeof(matched));
	for (int k = 0; k < n; k++) {
		struct vb_alarm *a = NULL;
		for (size_t i = 0; i < vb->nalarms; i++) {
			struct vb_alarm *x = &vb->alarms[i];
			if (live(x) && !strcmp(x->unit, u->id) && x->kind == c[k].kind && x->key == c[k].key) {
				a = x;
				break;
			}
		}
		const struct vb_chain *ch = vb_chain_for(&vb->r, c[k].kind);
		if (!a) {
			a = alarm_new(vb);
			if (!a)
				continue;
			vb_alarm_raise(a, ++vb->seq, u->id, &c[k], ch, now->utc_ms, &vb->q);
		} else if (!a->resolved) {
			a->by_van = c[k].by_van;
			if (a->kind == VB_K_EMERGENCY) {
				a->covert = c[k].covert;
				if (c[k].presses > a->presses && a->acked && !c[k].van_acked)
					vb_alarm_rearm(a, ch, now->utc_ms, &vb->q);
				if (c[k].presses > a->presses)
					a->presses = c[k].presses;
			}
		}
		matched[a - vb->alarms] = true;
		if (c[k].van_acked && !a->acked && !a->resolved)
			vb_alarm_ack(a, now->utc_ms, c[k].van_acked_by && c[k].van_acked_by[0]
				     ? c[k].van_acked_by : "base", "van", &vb->q);
	}
	for (size_t i = 0; i < vb->nalarms; i++) {
		struct vb_alarm *a = &vb->alarms[i];
		if (matched[i] || !live(a) || strcmp(a->unit, u->id) != 0)
			continue;
		if (a->suppress)
			a->suppress = false;   /* closed, and now over: a new one may be raised */
		else
			vb_alarm_resolve(a, u, vb_unit_gone_why(u, a->kind, vb->link_up_at != VB_NEVER), now, &vb->q);
	}
}

static void sync(vb_t *vb, const struct vb_time *now)
{
	vb->last_now = now->utc_ms;
	alarm_room(vb, VB_CONDS_MAX);
	for (size_t i = 0; i < vb->nunits; i++)
		sync_unit(vb, &vb->units[i], now);
	for (size_t i = 0; i < vb->nalarms; i++) {
		struct vb_alarm *a = &vb->alarms[i];
		if (a->resolved)
			continue;
		const struct vb_unit *u = a->unit[0] ? unit_find(vb, a->unit) : NULL;
		if (a->drill_deadline != VB_NEVER && now->utc_ms >= a->drill_deadline && !a->acked) {
			vb_alarm_resolve(a, u, "not acknowledged in time: the drill failed", now, &vb->q);
			continue;
		}
		vb_alarm_run(a, vb_chain_for(&vb->r, a->kind), &vb->r, u, now, &vb->q);
	}
	for (size_t i = 0; i < vb->nalarms;) {
		const struct vb_alarm *a = &vb->alarms[i];
		bool stale = a->resolved && now->utc_ms - a->resolved_at > vb->p.keep_resolved_ms;
		if (!a->suppress && (a->closed || stale))
			alarm_drop(vb, i);
		else
			i++;
	}
}

int vb_message(vb_t *vb, const struct vb_time *now, const char *unit, enum vb_topic t,
	       const char *payload, size_t len, bool retained, const char **why)
{
	if (!why)
		why = &dummy_why;
	struct vb_unit *u = unit_find(vb, unit);
	int r;
	if (!u) {
		*why = "not a van of this fleet";
		r = -ENOENT;
	} else {
		r = vb_unit_message(u, &vb->p.rules, now->utc_ms, t, payload, len, retained, why);
	}
	sync(vb, now);
	return r;
}

void vb_link(vb_t *vb, const struct vb_time *now, bool up)
{
	if (up && vb->link_up_at == VB_NEVER)
		vb->link_up_at = now->utc_ms;
	else if (!up)
		vb->link_up_at = VB_NEVER;
	sync(vb, now);
}

void vb_tick(vb_t *vb, const struct vb_time *now)
{
	sync(vb, now);
}

int vb_set_roster(vb_t *vb, const struct vb_roster *r, const char **why)
{
	if (!why)
		why = &dummy_why;
	if (vb_roster_check(r, NULL, NULL) > 0) {
		*why = "the roster has problems (vb_roster_check)";
		return -EINVAL;
	}
	vb->r = *r;
	for (size_t i = 0; i < vb->nalarms; i++)
		vb_alarm_rechain(&vb->alarms[i], vb_chain_for(&vb->r, vb->alarms[i].kind));
	return 0;
}

static bool valid_how(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 23)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return true;
}

static bool valid_note(const char *s)
{
	return !s || (strlen(s) < VB_NOTE_MAX && vb_utf8_printable(s));
}

int vb_ack(vb_t *vb, const struct vb_time *now, const char *id, const char *by,
	   const char *how, const char **why)
{
	if (!why)
		why = &dummy_why;
	int r;
	struct vb_alarm *a = alarm_find(vb, id);
	if (!vb_valid_who(by) || !valid_how(how)) {
		*why = "'by' must be 1-47 printable bytes and 'how' 1-23 of a-z _";
		r = -EINVAL;
	} else if (!a) {
		*why = "no such alarm";
		r = -ENOENT;
	} else if ((r = vb_alarm_ack(a, now->utc_ms, by, how, &vb->q)) < 0) {
		*why = "already acknowledged";
	} else if (a->drill && !a->unit[0]) {
		vb_alarm_resolve(a, NULL, "acknowledged: the drill passed", now, &vb->q);
	}
	sync(vb, now);
	return r;
}

int vb_close(vb_t *vb, const struct vb_time *now, const char *id, const char *by,
	     const char *note, const char **why)
{
	if (!why)
		why = &dummy_why;
	int r;
	struct vb_alarm *a = alarm_find(vb, id);
	if (!vb_valid_who(by) || !valid_note(note)) {
		*why = "'by' must be 1-47 printable bytes and the note under 200";
		r = -EINVAL;
	} else if (!a) {
		*why = "no such alarm";
		r = -ENOENT;
	} else {
		const struct vb_unit *u = a->unit[0] ? unit_find(vb, a->unit) : NULL;
		r = vb_alarm_close(a, u, by, note, now, &vb->q);
		if (r < 0)
			*why = "already closed";
		/* no van (a drill of base, a van no longer in the fleet): no
		 * condition will come back for it, nothing to suppress */
		if (r == 0 && a->suppress && !u)
			a->suppress = false;
	}
	sync(vb, now);
	return r;
}

int vb_drill(vb_t *vb, const struct vb_time *now, const char *by, char *id_out,
	     const char **why)
{
	if (!why)
		why = &dummy_why;
	if (!vb_valid_who(by)) {
		*why = "'by' must be 1-47 printable bytes";
		return -EINVAL;
	}
	alarm_room(vb, 1);
	struct vb_alarm *a = alarm_new(vb);
	if (!a) {
		*why = "too many open alarms";
		return -ENOSPC;
	}
	struct vb_cond c = { .kind = VB_K_DRILL, .key = (int64_t)(vb->seq + 1), .since = now->utc_ms };
	vb_alarm_raise(a, ++vb->seq, "", &c, vb_chain_for(&vb->r, VB_K_DRILL), now->utc_ms, &vb->q);
	vb_copy(a->drill_by, sizeof(a->drill_by), by);
	a->drill_deadline = now->utc_ms + vb->p.drill_timeout_ms;
	if (id_out)
		vb_copy(id_out, VB_ID_MAX, a->id);
	sync(vb, now);
	return 0;
}

int vb_notified(vb_t *vb, const struct vb_time *now, const char *nid, bool ok,
		const char *detail)
{
	char id[VB_ID_MAX];
	const char *slash = nid ? strchr(nid, '/') : NULL;
	if (!slash || (size_t)(slash - nid) >= sizeof(id) || strlen(nid) >= VB_NID_MAX)
		return -ENOENT;
	memcpy(id, nid, (size_t)(slash - nid));
	id[slash - nid] = '\0';
	struct vb_alarm *a = alarm_find(vb, id);
	if (!a)
		return -ENOENT;
	if (ok)
		a->notified = true;
	struct vb_out *o = vb_outq_add(&vb->q, VB_OUT_AUDIT);
	if (o) {
		struct vb_audit *r = &o->u.a;
		vb_copy(r->alarm_id, sizeof(r->alarm_id), a->id);
		vb_copy(r->unit, sizeof(r->unit), a->unit);
		r->kind = a->kind;
		r->what = VB_AU_NOTIFIED;
		r->at = now->utc_ms;
		r->ok = ok;
		vb_copy(r->notify_id, sizeof(r->notify_id), nid);
		/* a channel's text (an SMTP reply, an HTTP body) cannot forge lines
		 * or break the JSON of the store: ASCII printable only */
		vb_copy(r->detail, sizeof(r->detail), detail);
		for (char *p = r->detail; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
	}
	sync(vb, now);
	return 0;
}

int64_t vb_next_deadline(const vb_t *vb)
{
	int64_t d = VB_NEVER;
	if (vb->last_now == VB_NEVER)
		return -1;
	for (size_t i = 0; i < vb->nunits; i++)
		d = vb_dmin(d, vb_unit_deadline(&vb->units[i], &vb->p.rules, vb->last_now, vb->link_up_at));
	for (size_t i = 0; i < vb->nalarms; i++)
		d = vb_dmin(d, vb_alarm_deadline(&vb->alarms[i]));
	return d == VB_NEVER ? -1 : d;
}

json_t *vb_alarms_json(const vb_t *vb)
{
	json_t *arr = json_array();
	json_t *o = json_pack("{s:i,s:o}", "v", 1, "alarms", arr);
	if (!o)
		return NULL;
	for (size_t i = 0; i < vb->nalarms; i++) {
		if (vb->alarms[i].closed)
			continue;
		json_t *a = vb_alarm_json(&vb->alarms[i]);
		if (!a || json_array_append_new(arr, a) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* ---- save / restore ---- */

json_t *vb_save(const vb_t *vb)
{
	json_t *units = json_array(), *alarms = json_array();
	json_t *o = json_pack("{s:i,s:I,s:o,s:o}", "v", 1, "seq", (json_int_t)vb->seq, "units",
			      units, "alarms", alarms);
	if (!o)
		return NULL;
	for (size_t i = 0; i < vb->nunits; i++)
		if (json_array_append_new(units, vb_unit_save(&vb->units[i])) < 0)
			goto fail;
	for (size_t i = 0; i < vb->nalarms; i++)
		if (json_array_append_new(alarms, vb_alarm_save(&vb->alarms[i])) < 0)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

int vb_restore(vb_t *vb, const json_t *j, const char **why)
{
	if (!why)
		why = &dummy_why;
	const json_t *v = json_object_get(j, "v"), *seq = json_object_get(j, "seq");
	const json_t *units = json_object_get(j, "units"), *alarms = json_object_get(j, "alarms");
	*why = "saved state: not version 1 with seq, units and alarms";
	if (!json_is_object(j) || !json_is_integer(v) || json_integer_value(v) != 1 ||
	    !json_is_integer(seq) || json_integer_value(seq) < 0 || !json_is_array(units) ||
	    !json_is_array(alarms) || json_array_size(alarms) > VB_ALARMS_MAX ||
	    json_array_size(units) > VB_UNITS_MAX)
		return -EINVAL;
	size_t na = json_array_size(alarms), nu = json_array_size(units);
	struct vb_alarm *as = calloc(na ? na : 1, sizeof(*as));
	struct vb_unit *us = calloc(nu ? nu : 1, sizeof(*us));
	int r = -EINVAL;
	if (!as || !us) {
		*why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nu; i++)
		if (vb_unit_restore(&us[i], json_array_get(units, i)) < 0) {
			*why = "saved state: a bad unit";
			goto out;
		}
	for (size_t i = 0; i < na; i++)
	{
		bool dup = false;
		if (vb_alarm_restore(&as[i], json_array_get(alarms, i)) < 0)
			goto bad_alarm;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(as[k].id, as[i].id);
		/* ids are UNIT-KIND-SEQ: the counter must be past every one */
		const char *dash = strrchr(as[i].id, '-');
		char *end;
		unsigned long long n = dash ? strtoull(dash + 1, &end, 10) : 0;
		if (dup || !dash || *end || n > (unsigned long long)json_integer_value(seq))
			goto bad_alarm;
		continue;
bad_alarm:
		*why = "saved state: a bad alarm";
		goto out;
	}
	/* all good: take it.  Units not in the fleet are dropped; their
	 * alarms stay (open ones keep escalating: the van may be in trouble). */
	for (size_t i = 0; i < vb->nunits; i++) {
		struct vb_unit *u = &vb->units[i];
		char id[VB_NAME_MAX];
		vb_copy(id, sizeof(id), u->id);
		vb_unit_init(u, id);
		for (size_t k = 0; k < nu; k++)
			if (!strcmp(us[k].id, id))
				*u = us[k];
	}
	free(vb->alarms);
	vb->alarms = as;
	vb->nalarms = vb->acap = na;
	if (!na) {
		free(as);
		vb->alarms = NULL;
		vb->acap = 0;
	}
	as = NULL;
	vb->seq = (unsigned long long)json_integer_value(seq);
	vb->link_up_at = VB_NEVER;
	r = 0;
out:
	free(as);
	free(us);
	return r;
}
