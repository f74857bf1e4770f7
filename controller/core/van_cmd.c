/*
 * van_cmd.c - the van's commands (buttons, vanctl, base), the session
 * summary and the emergency context.  See van.h for each contract.
 */
#include "van_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int fail(const char **why, const char *w, int code)
{
	if (why)
		*why = w;
	return code;
}

static int ok(const char **why, const char *w)
{
	if (why)
		*why = w;
	return 0;
}

/* Printable text: no control characters (UTF-8 bytes >= 0x80 pass). */
static bool printable(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Strict UTF-8 (no overlongs, no surrogates). */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
			return false;
		uint32_t cp = *p & (0x3f >> n);
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

json_t *van_context(const van_t *v, const struct vtime *now)
{
	json_t *c = json_object();
	if (!c)
		return NULL;
	jset_new(c, "fix", fixlog_last_json(&v->fx, now));
	jset_new(c, "track", fixlog_ring_json(&v->fx, now));
	jset_int(c, "occupancy", occ_occupancy(&v->occ));
	jset_int(c, "count", v->occ.count);
	jset_int(c, "limit", occ_limit(&v->occ));
	jset_int(c, "crew", v->occ.crew);
	jset_new(c, "doors", doors_json(&v->doors));
	int64_t since = stops_since(&v->stops);
	jset_int(c, "stop_s", since == VAN_NEVER ? 0 : ms_to_s(now->mono_ms - since));
	jset_bool(c, "stopped", since != VAN_NEVER);
	jset_str(c, "session", session_state_name(v->s.state));
	jset_bool(c, "lone", session_running(&v->s) && v->s.lone);
	jset_str(c, "utc_src", utc_src_name(now->utc_src));
	return c;
}

static void raise_em(van_t *v, const char *source, bool covert, int64_t edge,
		  const struct vtime *now)
{
	struct emit e = van_emit(v, now);
	alarm_raise(&v->alarm, &v->ap, source, covert, edge, van_context(v, now), &e);
}

/* --- sessions --- */

int van_session_start(van_t *v, int crew, bool lone, int64_t planned_end_utc, const char *plan,
		      enum van_source src, const struct vtime *now, const char **why)
{
	int64_t end;
	size_t mark = v->q.n;
	if (crew == 0)
		crew = lone ? 1 : v->p.default_crew;
	int r = session_check_start(&v->s, &v->sp, crew, lone, planned_end_utc, plan, now, &end, why);
	if (r < 0)
		return r;

	session_begin(&v->s, &v->sp, crew, lone, end, plan, src, van_risk(v, crew, lone), now);
	occ_session_begin(&v->occ, now->mono_ms);
	v->odo_at_start = v->fx.odo_m;
	v->stops_at_start = v->stops.count;
	v->ntally = 0;
	health_session_start(&v->health);
	json_decref(v->last_summary);
	v->last_summary = NULL;

	struct emit e = van_emit(v, now);
	occ_set_crew(&v->occ, crew, &e);
	json_t *d = json_object();
	jset_int(d, "crew", crew);
	jset_bool(d, "lone", lone);
	jset_utc(d, "planned_end_utc", now, end);
	jset_str(d, "plan", plan);
	jset_str(d, "source", van_source_name(src));
	jset_int(d, "count_at_start", v->occ.count);
	jset_str(d, "checkin_reason", ck_reason_name(v->s.ck.reason));
	jset_int(d, "checkin_interval_min", v->sp.ck.interval_ms[v->s.ck.reason] / 60000);
	jset_utc(d, "next_checkin_utc", now, v->s.ck.due_mono);
	jset_str(d, "utc_src", utc_src_name(now->utc_src));
	emit_ev(&e, EV_T_SESSION_STARTED, EV_URGENT, d);
	van_post(v, now, mark);   /* sets the check-in interval for the risk */
	return ok(why, "session started");
}

static json_t *summary(van_t *v, const struct vtime *now)
{
	const struct session *s = &v->s;
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_int(d, "id", s->id);
	jset_int(d, "started_utc", s->start_utc);
	jset_int(d, "ended_utc", now->utc_ms);
	jset_int(d, "duration_s", ms_to_s(now->mono_ms - s->start_mono));
	jset_utc(d, "planned_end_utc", now, s->planned_end_mono);
	jset_int(d, "crew", s->crew);
	jset_bool(d, "lone", s->lone);
	jset_str(d, "plan", s->plan[0] ? s->plan : NULL);
	jset_int(d, "distance_m", (int64_t)llround(v->fx.odo_m - v->odo_at_start));
	jset_int(d, "stops", v->stops.count - v->stops_at_start);
	occ_summary(&v->occ, now->mono_ms, d);
	jset_int(d, "checkins", s->ck.made);
	jset_int(d, "checkins_late", s->ck.late);
	jset_int(d, "checkins_missed", s->ck.missed);
	jset_bool(d, "overdue", s->overdue_count > 0);
	jset_int(d, "extensions", s->extends);
	json_t *inc = json_object();
	for (size_t i = 0; inc && i < v->ntally; i++)
		jset_int(inc, v->tally[i].cat, v->tally[i].n);
	jset_new(d, "incidents", inc);
	jset_int(d, "discrepancy", occ_occupancy(&v->occ));
	json_t *hs = health_summary_json(&v->health);
	if (hs)
		jset_new(d, "health", hs);
	return d;
}

int van_session_end(van_t *v, const char *code, enum van_source src, const struct vtime *now,
		    const char **why)
{
	size_t mark = v->q.n;
	if (!session_running(&v->s))
		return fail(why, "no session is running", -ENOENT);
	if (van_is_duress(v, code))
		raise_em(v, "duress_end", true, now->mono_ms, now);

	struct emit e = van_emit(v, now);
	int occ = occ_occupancy(&v->occ);
	if (occ != 0) {
		json_t *d = json_object();
		jset_int(d, "occupancy", occ);
		jset_int(d, "count", v->occ.count);
		jset_int(d, "seats", occ_seats(&v->occ));
		emit_ev(&e, EV_T_OCCUPANCY_END_DISCREPANCY, EV_NORMAL, d);
	}
	/* while the session still counts as running: plan.ended carries its id */
	plan_checkin_made(v->plan, src, &e);
	plan_end(v->plan, &e);
	session_finish(&v->s, src, &e);
	json_t *sum = summary(v, now);
	json_decref(v->last_summary);
	v->last_summary = json_incref(sum);
	jset_str(sum, "source", van_source_name(src));
	emit_ev(&e, EV_T_SESSION_ENDED, EV_URGENT, sum);
	van_post(v, now, mark);
	return occ ? ok(why, "session ended: the count is not zero, is someone still aboard?")
		   : ok(why, "session ended");
}

int van_session_extend(van_t *v, int64_t new_end_utc, int minutes, enum van_source src,
		       const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	if (!session_running(&v->s))
		return fail(why, "no session is running", -ENOENT);
	if (minutes < 0 || minutes > 24 * 60 || (minutes == 0 && new_end_utc <= 0))
		return fail(why, "give minutes (1..1440) or a new end time", -EINVAL);
	int64_t end = minutes ? v->s.planned_end_mono + (int64_t)minutes * 60000
			      : now->mono_ms + (new_end_utc - now->utc_ms);
	struct emit e = van_emit(v, now);
	int r = session_extend(&v->s, &v->sp, end, src, &e, why);
	if (r == 0)
		ok(why, "planned end moved");
	van_post(v, now, mark);
	return r;
}

int van_checkin(van_t *v, const char *code, enum van_source src, const struct vtime *now,
		const char **why)
{
	size_t mark = v->q.n;
	if (!session_running(&v->s))
		return fail(why, "no session is running", -ENOENT);
	if (van_is_duress(v, code))
		raise_em(v, "duress_checkin", true, now->mono_ms, now);
	struct emit e = van_emit(v, now);
	json_t *d = json_object();
	jset_str(d, "source", van_source_name(src));
	checkin_done(&v->s.ck, &v->sp.ck, now, d);
	emit_ev(&e, EV_T_CHECKIN, EV_NORMAL, d);
	plan_checkin_made(v->plan, src, &e);
	van_post(v, now, mark);
	return ok(why, "checked in");
}

int van_request_checkin(van_t *v, const char *by, const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	if (!session_running(&v->s))
		return fail(why, "no session is running", -ENOENT);
	if (by && (!*by || !printable(by, ALARM_NAME_MAX - 1) || !utf8_ok(by)))
		return fail(why, "bad operator name", -EINVAL);
	struct emit e = van_emit(v, now);
	checkin_request(&v->s.ck, &v->sp.ck, by, &e);
	van_post(v, now, mark);
	return ok(why, "check-in requested");
}

int van_set_crew(van_t *v, int crew, enum van_source src, const struct vtime *now,
		 const char **why)
{
	size_t mark = v->q.n;
	if (crew < 1 || crew > SESSION_CREW_MAX)
		return fail(why, "crew must be 1 to 20", -EINVAL);
	struct emit e = van_emit(v, now);
	int old = v->occ.crew;
	if (session_running(&v->s))
		v->s.crew = crew;
	occ_set_crew(&v->occ, crew, &e);
	json_t *d = json_object();
	jset_int(d, "crew", crew);
	jset_int(d, "old_crew", old);
	jset_int(d, "limit", occ_limit(&v->occ));
	jset_str(d, "source", van_source_name(src));
	emit_ev(&e, EV_T_SESSION_CREW_CHANGED, EV_NORMAL, d);
	van_post(v, now, mark);
	return ok(why, "crew set");
}

/* --- occupancy --- */

static int correct(van_t *v, int n, const char *kind, enum van_source src,
		   const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	struct emit e = van_emit(v, now);
	int r = occ_correct(&v->occ, n, kind, src, &e, why);
	if (r == 0)
		ok(why, "count corrected");
	van_post(v, now, mark);
	return r;
}

int van_occupancy_adjust(van_t *v, int delta, enum van_source src, const struct vtime *now,
			 const char **why)
{
	if (delta == 0 || delta < -100 || delta > 100)
		return fail(why, "adjust by -100..100, not 0", -EINVAL);
	return correct(v, v->occ.count + delta, delta > 0 ? "plus" : "minus", src, now, why);
}

int van_occupancy_set(van_t *v, int n, enum van_source src, const struct vtime *now,
		      const char **why)
{
	if (n < 0 || n > 1000)
		return fail(why, "count must be 0..1000", -EINVAL);
	return correct(v, n, "set", src, now, why);
}

int van_empty(van_t *v, enum van_source src, const struct vtime *now, const char **why)
{
	return correct(v, 0, "empty", src, now, why);
}

int van_mute(van_t *v, enum van_source src, const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	struct emit e = van_emit(v, now);
	occ_mute(&v->occ, src, &e);
	van_post(v, now, mark);
	return ok(why, "buzzer muted");
}

/* --- incidents --- */

int van_incident(van_t *v, const char *type, const char *note, enum van_source src,
		 const struct vtime *now, const char **why)
{
	size_t mark = v->q.n, i;
	for (i = 0; type && i < v->ntypes; i++)
		if (strcmp(v->types[i], type) == 0)
			break;
	if (!type || i == v->ntypes)
		return fail(why, "unknown incident type", -EINVAL);
	if (note && (strlen(note) > (size_t)v->p.note_max))
		return fail(why, "note too long", -EINVAL);
	if (note && (!printable(note, (size_t)v->p.note_max) || !utf8_ok(note)))
		return fail(why, "note must be printable UTF-8 text", -EINVAL);
	struct emit e = van_emit(v, now);
	json_t *d = json_object();
	jset_str(d, "note", note && *note ? note : NULL);
	jset_str(d, "source", van_source_name(src));
	emit_incident(&e, EV_T_INCIDENT, EV_NORMAL, type, d);
	van_post(v, now, mark);
	return ok(why, "incident recorded");
}

/* --- emergencies --- */

static const char *panic_source(enum van_source src)
{
	switch (src) {
	case VAN_SRC_BUTTON: return "panic";
	case VAN_SRC_BOOT: return "panic_at_boot";
	case VAN_SRC_VANCTL: return "vanctl";
	case VAN_SRC_BASE: return "base";
	default: return "auto";
	}
}

int van_panic(van_t *v, enum van_source src, bool covert, int64_t edge_mono_ms,
	      const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	raise_em(v, panic_source(src), covert, van_edge_ms(edge_mono_ms, now), now);
	van_post(v, now, mark);
	return ok(why, "emergency raised");
}

int van_emergency_ack(van_t *v, int64_t id, const char *by, const struct vtime *now,
		      const char **why)
{
	size_t mark = v->q.n;
	if (!by || !*by || !printable(by, ALARM_NAME_MAX - 1) || !utf8_ok(by))
		return fail(why, "operator name must be 1..47 printable characters", -EINVAL);
	struct emit e = van_emit(v, now);
	int r = alarm_ack(&v->alarm, id, by, &e, why);
	if (r == 0)
		ok(why, "acknowledged");
	van_post(v, now, mark);
	return r;
}

int van_alarm_clear(van_t *v, enum van_source src, const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	struct emit e = van_emit(v, now);
	int r = alarm_clear(&v->alarm, src, &e, why);
	if (r == 0)
		ok(why, "emergency cleared");
	van_post(v, now, mark);
	return r;
}

int van_emergency_adopt(van_t *v, const struct emergency_seen *seen, const struct vtime *now,
			const char **why)
{
	size_t mark = v->q.n;
	struct emit e = van_emit(v, now);
	int r = alarm_adopt(&v->alarm, &v->ap, seen, &e);
	if (r == 0)
		ok(why, "emergency restored");
	else if (why)
		*why = r == -EALREADY ? "an emergency is already active" : "no emergency id";
	van_post(v, now, mark);
	return r;
}

int64_t van_emergency_id(const van_t *v)
{
	return v->alarm.em.active ? v->alarm.em.id : 0;
}

int van_selftest_start(van_t *v, enum van_source src, const struct vtime *now,
		       const char **why)
{
	size_t mark = v->q.n;
	(void)src;
	struct emit e = van_emit(v, now);
	int r = alarm_selftest(&v->alarm, &v->ap, &e, why);
	if (r == 0)
		ok(why, "self-test sent");
	van_post(v, now, mark);
	return r;
}

int van_emergency_timing(van_t *v, const char *stage, int64_t mono_ms)
{
	return alarm_timing(&v->alarm, stage, mono_ms);
}

int van_clock_step(van_t *v, enum utc_src from, enum utc_src to, int64_t step_ms, const char *reason,
		   const struct vtime *now)
{
	json_t *d = json_object();
	if (!d)
		return -ENOMEM;
	jset_str(d, "from", utc_src_name(from));
	jset_str(d, "to", utc_src_name(to));
	jset_int(d, "step_ms", step_ms);
	jset_str(d, "reason", reason);
	struct emit e = van_emit(v, now);
	return emit_ev(&e, EV_T_CLOCK_STEP, EV_NORMAL, d);
}

int van_plan_start(van_t *v, const struct plan_def *def, struct plan_tz tz, const struct vtime *now,
		   const char **why)
{
	size_t mark = v->q.n;
	if (!session_running(&v->s))
		return fail(why, "no session is running", -ENOENT);
	struct emit e = van_emit(v, now);
	int r = plan_start_tz(v->plan, def, tz, &e, why);
	van_post(v, now, mark);
	return r;
}

int van_plan_skip(van_t *v, const char *name, const char *reason, enum van_source src,
		  const struct vtime *now, const char **why)
{
	size_t mark = v->q.n;
	struct emit e = van_emit(v, now);
	int r = plan_skip(v->plan, name, reason, src, &e, why);
	van_post(v, now, mark);
	return r;
}

int van_plan_add_stop(van_t *v, const char *reason, enum van_source src, const struct vtime *now,
		      const char **why)
{
	size_t mark = v->q.n;
	struct emit e = van_emit(v, now);
	int r = plan_add_stop(v->plan, reason, src, &e, why);
	van_post(v, now, mark);
	return r;
}
