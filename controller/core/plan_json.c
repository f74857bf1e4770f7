/*
 * plan_json.c - the plan tracker's state snapshot and its persistence
 * (save/restore, the plan itself included).  See plan.h, docs/plans.md.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jfields.h"
#include "plan_impl.h"

/* ------------------------------------------------------------- state */

static const char *const st_names[] = { "pending", "on_site", "visited", "skipped" };

json_t *plan_state_json(const plan_t *p, const struct vtime *now)
{
	if (!p || !p->active)
		return json_null();
	json_t *o = json_object();
	if (!o)
		return NULL;
	unsigned visited = 0, skipped = 0, remaining = 0;
	for (size_t i = 0; i < p->def.n; i++) {
		visited += p->rt[i].st == LS_VISITED;
		skipped += p->rt[i].st == LS_SKIPPED;
		remaining += p->rt[i].st == LS_PENDING;
	}
	jset_str(o, "name", p->def.name);
	jset_bool(o, "anchored", p->anchored);
	jset_utc(o, "planned_end_utc", now, pl_end_mono(p));
	jset_int(o, "locations", (int64_t)p->def.n);
	jset_int(o, "visited", visited);
	jset_int(o, "skipped", skipped);
	jset_int(o, "remaining", remaining);

	json_t *at = NULL;
	if (p->onsite >= 0) {
		const struct plan_loc *l = &p->def.loc[p->onsite];
		const struct loc_rt *r = &p->rt[p->onsite];
		at = pl_ev_loc(p, p->onsite);
		jset_int(at, "arrival_utc", r->arr_utc);
		jset_int(at, "on_site_s", ms_to_s(now->mono_ms - r->arr_mono));
		if (l->dwell_min)
			jset_int(at, "dwell_s", l->dwell_min * 60LL);
		else
			jset_new(at, "dwell_s", NULL);
		jset_bool(at, "checkin", l->checkin && !r->crew_skip);
	}
	jset_new(o, "at", at);

	json_t *next = NULL;
	int ni = pl_next_idx(p);
	if (ni >= 0) {
		const struct plan_loc *l = &p->def.loc[ni];
		next = pl_ev_loc(p, ni);
		pl_ev_window(p, ni, next, now);
		int64_t due = pl_tl_mono(p, l->latest);
		if (due == VAN_NEVER)
			due = pl_tl_mono(p, l->earliest);
		jset_utc(next, "due_utc", now, due);
		jset_int(next, "due_in_s", due == VAN_NEVER ? 0 : (due - now->mono_ms) / 1000);
		jset_bool(next, "late", p->rt[ni].late_sent);
		jset_real(next, "distance_m", pl_dist_now(p, ni));
		jset_bool(next, "checkin", l->checkin);
	} else if (!p->returned) {
		next = pl_ev_loc(p, -1);
		jset_utc(next, "due_utc", now, pl_end_mono(p));
		jset_real(next, "distance_m", pl_dist_now(p, -1));
	}
	jset_new(o, "next", next);

	json_t *ck = NULL;
	for (size_t i = 0; i < p->def.n && !ck; i++) {
		const struct loc_rt *r = &p->rt[i];
		if (r->ck != CKP_PROMPTED && r->ck != CKP_MISSED)
			continue;
		ck = pl_ev_loc(p, (int)i);
		jset_utc(ck, "due_utc", now, r->ck_mono + p->def.checkin_grace_min * PL_MIN_MS);
		jset_bool(ck, "missed", r->ck == CKP_MISSED);
	}
	jset_new(o, "checkin_due", ck);

	json_t *st = json_array();
	for (size_t i = 0; st && i < p->def.n; i++)
		json_array_append_new(st, json_string(st_names[p->rt[i].st]));
	jset_new(o, "status", st);
	jset_bool(o, "off_corridor", p->off && p->c_raised);
	jset_real(o, "corridor_distance_m", p->have_pos && !p->returned ? round(p->c_dist) : NAN);
	jset_bool(o, "unplanned_stop", p->stat && p->s_raised);
	jset_bool(o, "returned", p->returned);
	return o;
}

/* ---------------------------------------------------- save and restore */

#define F(m, k) JF(struct plan, m, k)
static const struct jfield pl_fields[] = {
	F(utc_off_s, JF_INT), F(start_mono, JF_MONO), F(anchored, JF_BOOL),
	F(anchor_mono, JF_MONO), F(last_ck_mono, JF_MONO), F(have_pos, JF_BOOL), F(lat, JF_DBL),
	F(lon, JF_DBL), F(onsite, JF_INT), F(prev, JF_INT), F(cand, JF_INT), F(cand_n, JF_INT),
	F(cand_mono, JF_MONO), F(cand_utc, JF_I64), F(out_n, JF_INT), F(out_mono, JF_MONO),
	F(out_utc, JF_I64), F(at_base, JF_BOOL), F(left_base, JF_BOOL), F(returned, JF_BOOL),
	F(base_in, JF_INT), F(base_out, JF_INT), F(base_mono, JF_MONO), F(base_utc, JF_I64),
	F(stat, JF_BOOL), F(hinted, JF_BOOL), F(s_known, JF_BOOL), F(s_raised, JF_BOOL),
	F(s_explained, JF_BOOL), F(s_lat, JF_DBL), F(s_lon, JF_DBL), F(s_out, JF_INT),
	F(s_mono, JF_MONO), F(s_utc, JF_I64), F(off, JF_BOOL), F(c_raised, JF_BOOL),
	F(c_explained, JF_BOOL), F(c_n, JF_INT), F(c_mono, JF_MONO), F(c_utc, JF_I64),
	F(off_mono, JF_MONO), F(off_utc, JF_I64), F(c_dist, JF_DBL), F(c_max, JF_DBL),
	F(explain_stop, JF_MONO), F(explain_corr, JF_MONO), F(n_late, JF_UINT),
	F(n_skipped, JF_UINT), F(n_unplanned, JF_UINT), F(n_off, JF_UINT), F(n_changes, JF_UINT),
	F(n_prompts, JF_UINT), F(n_ck_missed, JF_UINT),
	/* added later: a state saved before has none of these, which restores as
	 * "no clock change" (pl_reset's values) */
	F(tz_change_utc, JF_I64), F(tz_off_after_s, JF_INT), F(tz_change_mono, JF_MONO),
};
#undef F
#define F(m, k) JF(struct loc_rt, m, k)
static const struct jfield rt_fields[] = {
	F(st, JF_INT), F(crew_skip, JF_BOOL), F(auto_skip, JF_BOOL), F(late_sent, JF_BOOL),
	F(arr_mono, JF_MONO), F(arr_utc, JF_I64), F(dep_mono, JF_MONO), F(dep_utc, JF_I64),
	F(ck, JF_INT), F(ck_mono, JF_MONO), F(ck_next, JF_MONO), F(ck_repeat, JF_INT),
};
#undef F
#define NF(t) (sizeof(t) / sizeof((t)[0]))

json_t *plan_save(const plan_t *p)
{
	if (!p || !p->active)
		return json_null();
	json_t *o = json_object(), *locs = json_array();
	json_t *def = plan_def_to_json(&p->def), *st = jf_save(p, pl_fields, NF(pl_fields));
	if (!o || !locs || !def || !st)
		goto fail;
	for (size_t i = 0; i < p->def.n; i++)
		if (json_array_append_new(locs, jf_save(&p->rt[i], rt_fields, NF(rt_fields))) < 0)
			goto fail;
	if (json_object_set_new(o, "v", json_integer(PLAN_SAVE_VERSION)) < 0 ||
	    json_object_set_new(o, "name", json_string(p->def.name)) < 0)
		goto fail;
	json_object_set_new(o, "def", def);
	json_object_set_new(o, "state", st);
	json_object_set_new(o, "locations", locs);
	return o;
fail:
	json_decref(o);
	json_decref(locs);
	json_decref(def);
	json_decref(st);
	return NULL;
}

static bool rt_ok(const struct loc_rt *r)
{
	if (r->st < LS_PENDING || r->st > LS_SKIPPED || r->ck < CKP_NONE || r->ck > CKP_DONE ||
	    r->ck_repeat < 0)
		return false;
	if ((r->st == LS_ONSITE || r->st == LS_VISITED) && r->arr_mono == VAN_NEVER)
		return false;
	if (r->st == LS_VISITED && r->dep_mono == VAN_NEVER)
		return false;
	if ((r->ck == CKP_PROMPTED || r->ck == CKP_MISSED) && r->ck_mono == VAN_NEVER)
		return false;
	if (r->ck == CKP_MISSED && r->ck_next == VAN_NEVER)
		return false;
	return true;
}

static bool idx_ok(int i, size_t n, bool none_ok)
{
	return (none_ok && i == -1) || (i >= 0 && (size_t)i < n);
}

int plan_restore(plan_t *p, const json_t *saved, int64_t mono_shift_ms)
{
	if (p->active)
		return -EALREADY;
	if (json_is_null(saved))
		return 0;
	const json_t *v = json_object_get(saved, "v");
	const json_t *locs = json_object_get(saved, "locations");
	const char *name = json_string_value(json_object_get(saved, "name"));
	if (!json_is_integer(v) || json_integer_value(v) != PLAN_SAVE_VERSION ||
	    !json_is_array(locs) || !name)
		return -EINVAL;
	plan_t *t = plan_new();
	if (!t)
		return -ENOMEM;
	pl_reset(t);
	int r = plan_def_from_json(json_object_get(saved, "def"), name, &t->def, NULL, NULL);
	if (r != 0)
		goto out;
	r = -EINVAL;
	if (json_array_size(locs) != t->def.n ||
	    jf_restore(t, pl_fields, NF(pl_fields), json_object_get(saved, "state"),
		       mono_shift_ms) < 0)
		goto out;
	for (size_t i = 0; i < t->def.n; i++)
		if (jf_restore(&t->rt[i], rt_fields, NF(rt_fields), json_array_get(locs, i),
			       mono_shift_ms) < 0 ||
		    !rt_ok(&t->rt[i]))
			goto out;
	size_t n = t->def.n;
	if (!idx_ok(t->onsite, n, true) || !idx_ok(t->prev, n, true) || !idx_ok(t->cand, n, true) ||
	    (t->onsite >= 0 && t->rt[t->onsite].st != LS_ONSITE) || t->start_mono == VAN_NEVER ||
	    (t->anchored && t->anchor_mono == VAN_NEVER) ||
	    (t->cand >= 0 && t->cand_mono == VAN_NEVER) ||
	    (t->out_n > 0 && t->out_mono == VAN_NEVER) ||
	    (t->base_in > 0 && t->base_mono == VAN_NEVER) ||
	    (t->stat && (t->s_mono == VAN_NEVER || !isfinite(t->s_lat) || !isfinite(t->s_lon))) ||
	    (t->off && t->off_mono == VAN_NEVER) || (t->c_n > 0 && t->c_mono == VAN_NEVER) ||
	    (t->have_pos && (!isfinite(t->lat) || !isfinite(t->lon))) ||
	    !plan_tz_valid((struct plan_tz){ t->utc_off_s, t->tz_change_utc, t->tz_off_after_s }) ||
	    (t->tz_change_mono != VAN_NEVER &&
	     (!t->anchored || t->tz_change_utc == PLAN_TZ_NONE)) ||
	    (t->anchored && t->tz_change_utc != PLAN_TZ_NONE && t->tz_change_mono == VAN_NEVER) ||
	    t->cand_n < 0 ||
	    t->out_n < 0 || t->base_in < 0 || t->base_out < 0 || t->s_out < 0 || t->c_n < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((t->rt[i].st == LS_ONSITE) != ((int)i == t->onsite))
			goto out;
	if (t->tz_change_utc == PLAN_TZ_NONE)
		t->tz_off_after_s = t->utc_off_s;
	if (!isfinite(t->c_dist))
		t->c_dist = 0;
	if (!isfinite(t->c_max))
		t->c_max = 0;
	t->active = true;
	*p = *t;
	r = 0;
out:
	plan_free(t);
	return r < 0 ? r : r > 0 ? -EINVAL : 0;
}
