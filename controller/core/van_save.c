/*
 * van_save.c - persistence of the van's state across daemon restarts.
 *
 * van_save gathers each module's persistent part; van_restore parses it into
 * a scratch copy of the van and commits only if everything is valid, so a
 * corrupt save leaves the van as van_new made it.  Monotonic instants are
 * shifted by the offset the shell gives; input levels are not saved (the
 * shell re-reads them with van_initial_input).
 */
#include "van_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *van_save(const van_t *v)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_int(d, "v", VAN_SAVE_VERSION);
	jset_new(d, "occupancy", occ_save(&v->occ));
	jset_new(d, "session", session_save(&v->s));
	jset_new(d, "fix", fixlog_save(&v->fx));
	jset_new(d, "stops", stops_save(&v->stops));
	jset_new(d, "alarm", alarm_save(&v->alarm));
	jset_new(d, "health", health_save(&v->health));
	jset_real(d, "odo_at_start", v->odo_at_start);
	jset_int(d, "stops_at_start", v->stops_at_start);
	json_t *t = json_object();
	for (size_t i = 0; t && i < v->ntally; i++)
		jset_int(t, v->tally[i].cat, v->tally[i].n);
	jset_new(d, "incidents", t);
	jset_new(d, "last_summary", v->last_summary ? json_incref(v->last_summary) : NULL);
	jset_new(d, "plan", plan_save(v->plan));
	return d;
}

static int restore_tally(van_t *v, const json_t *t)
{
	const char *k;
	json_t *n;
	v->ntally = 0;
	if (!json_is_object(t))
		return -EINVAL;
	json_object_foreach((json_t *)t, k, n) {
		if (!json_is_integer(n) || json_integer_value(n) < 0 ||
		    json_integer_value(n) > 1000000 || strlen(k) >= VAN_CAT_MAX ||
		    v->ntally == VAN_TYPES_MAX)
			return -EINVAL;
		snprintf(v->tally[v->ntally].cat, VAN_CAT_MAX, "%s", k);
		v->tally[v->ntally++].n = (unsigned)json_integer_value(n);
	}
	return 0;
}

/* Parse into tmp (a copy of v's modules); nothing in v changes. */
static int parse(van_t *tmp, const json_t *j, int64_t shift)
{
	const json_t *ver = json_object_get(j, "v"), *odo = json_object_get(j, "odo_at_start");
	const json_t *sas = json_object_get(j, "stops_at_start");
	const json_t *sum = json_object_get(j, "last_summary");
	if (!json_is_object(j) || !json_is_integer(ver) || json_integer_value(ver) != VAN_SAVE_VERSION)
		return -EINVAL;
	if (occ_restore(&tmp->occ, json_object_get(j, "occupancy"), shift) < 0 ||
	    session_restore(&tmp->s, json_object_get(j, "session"), shift) < 0 ||
	    fixlog_restore(&tmp->fx, json_object_get(j, "fix"), shift) < 0 ||
	    stops_restore(&tmp->stops, json_object_get(j, "stops"), shift) < 0 ||
	    alarm_restore(&tmp->alarm, json_object_get(j, "alarm"), shift) < 0 ||
	    health_restore(&tmp->health, json_object_get(j, "health")) < 0 ||
	    restore_tally(tmp, json_object_get(j, "incidents")) < 0)
		return -EINVAL;
	if (!json_is_number(odo) || !isfinite(json_number_value(odo)) || !json_is_integer(sas) ||
	    json_integer_value(sas) < 0 || json_integer_value(sas) > UINT32_MAX)
		return -EINVAL;
	if (sum && !json_is_null(sum) && !json_is_object(sum))
		return -EINVAL;
	tmp->odo_at_start = json_number_value(odo);
	tmp->stops_at_start = (unsigned)json_integer_value(sas);
	return 0;
}

int van_restore(van_t *v, const json_t *saved, int64_t mono_shift_ms, const struct vtime *now)
{
	/* struct van holds no pointers the restore touches except last_summary,
	 * so a shallow copy serves as the scratch space */
	van_t tmp = *v;
	if (parse(&tmp, saved, mono_shift_ms) < 0)
		return -EINVAL;
	/* the plan restores into a fresh tracker: v stays unchanged on failure */
	plan_t *plan = plan_new();
	const json_t *ps = json_object_get(saved, "plan");
	if (!plan || (ps && !json_is_null(ps) && plan_restore(plan, ps, mono_shift_ms) < 0)) {
		plan_free(plan);
		return -EINVAL;
	}
	plan_free(v->plan);
	v->plan = plan;
	v->occ = tmp.occ;   /* beams and seats: tmp's are v's */
	v->s = tmp.s;
	v->fx = tmp.fx;
	v->stops = tmp.stops;
	v->alarm = tmp.alarm;
	v->health = tmp.health;
	v->odo_at_start = tmp.odo_at_start;
	v->stops_at_start = tmp.stops_at_start;
	memcpy(v->tally, tmp.tally, sizeof(v->tally));
	v->ntally = tmp.ntally;
	const json_t *sum = json_object_get(saved, "last_summary");
	json_decref(v->last_summary);
	v->last_summary = json_is_object(sum) ? json_deep_copy(sum) : NULL;
	van_post(v, now, v->q.n);
	return 0;
}
