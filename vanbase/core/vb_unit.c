/*
 * vb_unit.c - one van as base sees it: its messages, its clock offset, seq
 * de-duplication.  See vb_unit.h; vb_rules.c has the conditions,
 * vb_unit_save.c the save.  Mirrors base/src/js/fleet.js (names in the
 * comments).
 */
#include "vb_unit.h"
#include "vb_unit_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const char *const topic_names[VB_T__COUNT] = {
	"availability", "state", "event", "emergency", "location", "reply",
};

int vb_topic_of(const char *sub)
{
	for (int t = 0; sub && t < VB_T__COUNT; t++)
		if (strcmp(sub, topic_names[t]) == 0)
			return t;
	return -1;
}

void vb_unit_init(struct vb_unit *u, const char *id)
{
	memset(u, 0, sizeof(*u));
	vb_copy(u->id, sizeof(u->id), id);
	u->first_seen = u->avail_at = u->last_live = VB_NEVER;
	u->state_van = u->state_at = u->checkin_due = u->planned_end = VB_NEVER;
	u->fix_at = VB_NEVER;
	u->lat = u->lon = NAN;
	u->last_off = 0;
	u->em_id = u->em_since = VB_NEVER;
	u->em_topic_off_van = VB_NEVER;
	u->ci_missed_van = u->ci_missed_at = u->ci_missed_due = VB_NEVER;
	u->overdue_van = u->overdue_at = u->overdue_end = VB_NEVER;
	u->st_failed_id = u->st_failed_at = VB_NEVER;
	u->st_id = u->st_since = VB_NEVER;
}

bool vb_unit_running(const struct vb_unit *u)
{
	return u->sess == VB_S_ACTIVE || u->sess == VB_S_OVERDUE;
}

/* ---- the van's clock (Fleet.prototype.offset / sampleOffset / toBase) ---- */

bool vb_unit_offset(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		    int64_t *off)
{
	bool have = false;
	int64_t best = 0;
	for (int i = 0; i < u->nsamp; i++)
		if (now - u->samp_at[i] <= p->offset_window_ms && (!have || u->samp_off[i] > best)) {
			best = u->samp_off[i];
			have = true;
		}
	if (!have && u->has_off) {
		best = u->last_off;
		have = true;
	}
	*off = best;
	return have;
}

static void sample_offset(struct vb_unit *u, const struct vb_rule_params *p, int64_t van_ms,
			  int64_t now)
{
	if (van_ms == VB_NEVER)
		return;
	int k = 0;
	for (int i = 0; i < u->nsamp; i++)
		if (now - u->samp_at[i] <= p->offset_window_ms) {
			u->samp_at[k] = u->samp_at[i];
			u->samp_off[k++] = u->samp_off[i];
		}
	u->nsamp = k;
	if (u->nsamp == VB_OFFSET_SAMPLES) {
		memmove(u->samp_at, u->samp_at + 1, sizeof(u->samp_at[0]) * (VB_OFFSET_SAMPLES - 1));
		memmove(u->samp_off, u->samp_off + 1, sizeof(u->samp_off[0]) * (VB_OFFSET_SAMPLES - 1));
		u->nsamp--;
	}
	u->samp_at[u->nsamp] = now;
	u->samp_off[u->nsamp++] = van_ms - now;
	vb_unit_offset(u, p, now, &u->last_off);
	u->has_off = true;
}

int64_t vb_unit_to_base(const struct vb_unit *u, const struct vb_rule_params *p, int64_t van_ms,
			int64_t now)
{
	int64_t off;
	if (van_ms == VB_NEVER)
		return VB_NEVER;
	vb_unit_offset(u, p, now, &off);
	return van_ms - off;
}

int64_t vb_unit_past_base(const struct vb_unit *u, const struct vb_rule_params *p, int64_t van_ms,
			 int64_t now)
{
	int64_t b = vb_unit_to_base(u, p, van_ms, now);
	return b == VB_NEVER || b > now ? now : b;
}

/* ---- seq (Fleet.prototype.on_event / sequence) ---- */

/* true if seq was seen (or is too old to tell), else marks it */
static bool seq_seen(struct vb_unit *u, int64_t seq)
{
	if (u->seq_high == 0 || seq > u->seq_high) {
		int64_t shift = u->seq_high == 0 ? VB_SEQ_WINDOW : seq - u->seq_high;
		if (shift >= VB_SEQ_WINDOW) {
			memset(u->seq_win, 0, sizeof(u->seq_win));
		} else {
			/* bit i = seq_high - i; shift the window up */
			for (int64_t s = 0; s < shift; s++) {
				for (int w = VB_SEQ_WINDOW / 64 - 1; w >= 0; w--) {
					u->seq_win[w] <<= 1;
					if (w > 0 && (u->seq_win[w - 1] >> 63))
						u->seq_win[w] |= 1;
				}
			}
		}
		u->seq_high = seq;
		u->seq_win[0] |= 1;
		return false;
	}
	int64_t i = u->seq_high - seq;
	if (i >= VB_SEQ_WINDOW)
		return true;
	uint64_t bit = 1ULL << (i % 64);
	if (u->seq_win[i / 64] & bit)
		return true;
	u->seq_win[i / 64] |= bit;
	return false;
}

/* ---- messages ---- */

static bool newer(const struct vb_unit *u, int64_t ev_van, int64_t flag_van)
{
	if (ev_van == VB_NEVER)
		return true;
	if (flag_van != VB_NEVER && ev_van < flag_van)
		return false;
	return u->state_van == VB_NEVER || ev_van >= u->state_van - 1000;
}

static void em_raise(struct vb_unit *u, const struct vb_rule_params *p, int64_t now, int64_t id,
		     const json_t *m, bool from_topic, bool from_state)
{
	if (!u->em_active || u->em_id != id) {
		u->em_active = true;
		u->em_id = id;
		u->em_confirmed = false;
		u->em_acked = false;
		u->em_acked_by[0] = '\0';
		u->em_presses = 0;
		int64_t r = vb_jms(json_object_get(m, "raised_utc"));
		u->em_since = r == VB_NEVER ? now : vb_unit_past_base(u, p, r, now);
		u->em_covert = false;
	}
	if (from_topic)
		u->em_confirmed = true;
	int c = vb_jbool(json_object_get(m, "covert"));
	if (c >= 0)
		u->em_covert = c;
	int64_t pr;
	if (vb_jint(json_object_get(m, "presses"), &pr) && pr > u->em_presses && pr < 1000000)
		u->em_presses = (int)pr;
	int a = vb_jbool(json_object_get(m, "acknowledged"));
	if (a == 1) {
		u->em_acked = true;
		const char *by = vb_jstr(json_object_get(m, "acked_by"));
		if (by && vb_valid_who(by))
			vb_copy(u->em_acked_by, sizeof(u->em_acked_by), by);
	} else if (a == 0 && !from_state) {
		u->em_acked = false;   /* again: another press resets the acknowledgement */
		u->em_acked_by[0] = '\0';
	}
	double la, lo;
	if (vb_jlatlon(json_object_get(m, "lat"), json_object_get(m, "lon"), &la, &lo)) {
		double age = 0;
		vb_jnum(json_object_get(m, "fix_age_s"), &age);
		u->has_fix = true;
		u->lat = la;
		u->lon = lo;
		u->fix_at = now - (age > 0 && age < 1e6 ? (int64_t)(age * 1000) : 0);
	}
}

static int on_availability(struct vb_unit *u, int64_t now, const char *payload, size_t len,
			   bool retained, const char **why)
{
	int av;
	if (len == 6 && memcmp(payload, "online", 6) == 0)
		av = VB_AV_ONLINE;
	else if (len == 7 && memcmp(payload, "offline", 7) == 0)
		av = VB_AV_OFFLINE;
	else if (len == 0)
		return 0;  /* a deleted retained availability */
	else {
		*why = "availability is neither \"online\" nor \"offline\"";
		return -EINVAL;
	}
	if (u->avail != av || u->avail_at == VB_NEVER)
		u->avail_at = now;
	u->avail = av;
	u->avail_retained = retained;
	/* "offline" is the broker speaking (the last will), not the van */
	if (!retained && av == VB_AV_ONLINE) {
		u->last_live = now;
		u->power_down = false;   /* back: a later offline is not that power-down's */
	}
	return 0;
}

static int sess_of(const char *s)
{
	static const char *const names[] = { "", "idle", "active", "overdue", "ended" };
	for (int i = 1; s && i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return VB_S_NONE;
}

static int on_state(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		    const json_t *s, bool retained, const char **why)
{
	int64_t van = vb_jms(json_object_get(s, "utc"));
	if (van == VB_NEVER)
		van = vb_iso_ms(vb_jstr(json_object_get(s, "time")));
	if (van == VB_NEVER) {
		*why = "state without a time (utc/time)";
		return -EINVAL;
	}
	const json_t *sess = json_object_get(s, "session");
	if (sess && !json_is_null(sess) && !json_is_object(sess)) {
		*why = "state.session is not an object";
		return -EINVAL;
	}
	if (u->state_van != VB_NEVER && van < u->state_van && !retained)
		return 0;  /* an older snapshot arriving late: keep the newer */
	if (!retained)
		sample_offset(u, p, van, now);
	u->have_state = true;
	u->state_van = van;
	u->state_at = now;
	u->sess = sess_of(vb_jstr(json_object_get(sess, "state")));
	int64_t id;
	u->session_id = vb_jint(json_object_get(sess, "id"), &id) ? id : 0;
	u->planned_end = vb_jms(json_object_get(sess, "planned_end_utc"));
	const json_t *ci = json_object_get(sess, "checkin");
	if (!json_is_object(ci))
		ci = NULL;
	u->checkin_due = vb_jms(json_object_get(ci, "due_utc"));
	const char *stage = vb_jstr(json_object_get(ci, "stage"));
	u->checkin_flagged = (stage && strcmp(stage, "missed") == 0) ||
			     vb_jbool(json_object_get(ci, "escalated")) == 1;
	if (!vb_unit_running(u)) {
		u->ci_missed_van = u->overdue_van = VB_NEVER;
	} else {
		if (ci && !u->checkin_flagged)
			u->ci_missed_van = VB_NEVER;
		if (u->sess != VB_S_OVERDUE)
			u->overdue_van = VB_NEVER;
	}
	const json_t *g = json_object_get(s, "gps");
	double la, lo, age;
	if (json_is_object(g) && vb_jlatlon(json_object_get(g, "lat"), json_object_get(g, "lon"), &la, &lo) &&
	    vb_jnum(json_object_get(g, "age_s"), &age) && age >= 0 && age < 1e9) {
		int64_t at = (retained ? vb_unit_past_base(u, p, van, now) : now) - (int64_t)(age * 1000);
		if (!u->has_fix || at > u->fix_at) {
			u->has_fix = true;
			u->lat = la;
			u->lon = lo;
			u->fix_at = at;
		}
	}
	/* the state's emergency (base view) backs up the retained emergency topic */
	const json_t *e = json_object_get(s, "emergency");
	int64_t eid;
	if (json_is_object(e) && vb_jbool(json_object_get(e, "active")) == 1 &&
	    vb_jint(json_object_get(e, "id"), &eid) && !u->em_active && eid > u->em_cleared_id &&
	    !(u->em_topic_off && u->em_topic_off_van != VB_NEVER && u->em_topic_off_van >= van))
		em_raise(u, p, now, eid, e, false, true);
	return 0;
}

static int on_location(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		       const json_t *m, bool retained, const char **why)
{
	double la, lo;
	int64_t t = vb_iso_ms(vb_jstr(json_object_get(m, "fix_time")));
	int64_t sent = vb_iso_ms(vb_jstr(json_object_get(m, "time")));
	if (!vb_jlatlon(json_object_get(m, "lat"), json_object_get(m, "lon"), &la, &lo) ||
	    (t == VB_NEVER && sent == VB_NEVER)) {
		*why = "location without a valid lat/lon/time";
		return -EINVAL;
	}
	if (t == VB_NEVER)
		t = sent;
	if (!retained)
		sample_offset(u, p, sent != VB_NEVER ? sent : t, now);
	int64_t at = vb_unit_past_base(u, p, t, now);
	if (!u->has_fix || at >= u->fix_at) {
		u->has_fix = true;
		u->lat = la;
		u->lon = lo;
		u->fix_at = at;
	}
	return 0;
}

static int on_emergency(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
			const json_t *m, const char **why)
{
	int act = vb_jbool(json_object_get(m, "active"));
	int64_t id;
	if (act == 0) {
		u->em_topic_off = true;
		u->em_topic_off_van = vb_iso_ms(vb_jstr(json_object_get(m, "time")));
		if (u->em_active) {
			if (u->em_id > u->em_cleared_id)
				u->em_cleared_id = u->em_id;
			u->em_active = false;
		}
		return 0;
	}
	if (act != 1 || !vb_jint(json_object_get(m, "id"), &id)) {
		*why = "emergency without \"active\" true/false and an id";
		return -EINVAL;
	}
	u->em_topic_off = false;
	em_raise(u, p, now, id, m, true, false);
	return 0;
}

static void on_event_apply(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
			   const char *type, int64_t van, const json_t *d, const json_t *pos)
{
	int64_t id = 0;
	bool has_id = vb_jint(json_object_get(d, "id"), &id);
	if (!strcmp(type, "emergency.raised") || !strcmp(type, "emergency.restored")) {
		if (!has_id || id <= u->em_cleared_id)
			return;  /* an old one (a replay): already cleared */
		int64_t r = vb_jms(json_object_get(d, "raised_utc"));
		if (u->em_topic_off && u->em_topic_off_van != VB_NEVER && r != VB_NEVER &&
		    u->em_topic_off_van >= r)
			return;  /* the retained topic already says it is over */
		json_t *m = json_deep_copy(d);
		if (!m)
			return;
		const json_t *fix = json_object_get(json_object_get(d, "context"), "fix");
		const json_t *src = json_is_object(fix) ? fix : pos;
		double la, lo;
		if (json_is_object(src) &&
		    vb_jlatlon(json_object_get(src, "lat"), json_object_get(src, "lon"), &la, &lo)) {
			json_object_set_new(m, "lat", json_real(la));
			json_object_set_new(m, "lon", json_real(lo));
			json_t *age = json_object_get(src, "age_s");
			if (age)
				json_object_set(m, "fix_age_s", age);
		}
		if (vb_jbool(json_object_get(d, "again")) != 1)
			json_object_del(m, "acknowledged");
		em_raise(u, p, now, id, m, false, false);
		json_decref(m);
	} else if (!strcmp(type, "emergency.acknowledged")) {
		if (u->em_active && has_id && u->em_id == id) {
			u->em_acked = true;
			const char *by = vb_jstr(json_object_get(d, "by"));
			if (by && vb_valid_who(by))
				vb_copy(u->em_acked_by, sizeof(u->em_acked_by), by);
		}
	} else if (!strcmp(type, "emergency.cleared")) {
		if (has_id) {
			if (id > u->em_cleared_id)
				u->em_cleared_id = id;
			/* the retained topic is authoritative: only one it never confirmed ends here */
			if (u->em_active && u->em_id == id && !u->em_confirmed)
				u->em_active = false;
		}
	} else if (!strcmp(type, "emergency.test")) {
		if (has_id) {
			double t = 0;
			u->st_running = true;
			u->st_id = id;
			u->st_since = now;
			u->st_timeout_ms = vb_jnum(json_object_get(d, "timeout_s"), &t) && t > 0 && t < 86400
						   ? (int64_t)(t * 1000) : 60000;
		}
	} else if (!strcmp(type, "selftest.passed") || !strcmp(type, "selftest.failed")) {
		bool failed = type[9] == 'f';
		if (u->st_running && has_id && u->st_id == id)
			u->st_running = false;
		u->st_result = failed ? 2 : 1;
		u->st_failed = failed;
		if (failed) {
			u->st_failed_id = has_id ? id : 0;
			u->st_failed_at = now;
		}
	} else if (!strcmp(type, "power.failing")) {
		u->power_down = true;   /* an offline that follows is on purpose */
		u->power_down_at = now;
	} else if (!strcmp(type, "power.restored")) {
		u->power_down = false;
	} else if (!strcmp(type, "checkin.missed")) {
		if (!newer(u, van, VB_NEVER))
			return;
		u->ci_missed_van = van == VB_NEVER ? (u->state_van == VB_NEVER ? 0 : u->state_van) : van;
		if (u->ci_missed_at == VB_NEVER || u->ci_missed_due != vb_jms(json_object_get(d, "due_utc")))
			u->ci_missed_at = now;
		u->ci_missed_due = vb_jms(json_object_get(d, "due_utc"));
	} else if (!strcmp(type, "checkin")) {
		if (u->ci_missed_van != VB_NEVER && newer(u, van, u->ci_missed_van))
			u->ci_missed_van = VB_NEVER;
	} else if (!strcmp(type, "session.overdue")) {
		if (!newer(u, van, VB_NEVER))
			return;
		u->overdue_van = van == VB_NEVER ? (u->state_van == VB_NEVER ? 0 : u->state_van) : van;
		if (u->overdue_at == VB_NEVER || u->overdue_end != vb_jms(json_object_get(d, "planned_end_utc")))
			u->overdue_at = now;
		u->overdue_end = vb_jms(json_object_get(d, "planned_end_utc"));
	} else if (!strcmp(type, "session.overdue_resolved") || !strcmp(type, "session.ended") ||
		   !strcmp(type, "session.extended")) {
		if (u->overdue_van != VB_NEVER && newer(u, van, u->overdue_van))
			u->overdue_van = VB_NEVER;
		if (type[8] == 'e' && type[9] == 'n' && u->ci_missed_van != VB_NEVER &&
		    newer(u, van, u->ci_missed_van))
			u->ci_missed_van = VB_NEVER;
	}
}

static int on_event(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		    const json_t *ev, const char **why)
{
	int64_t seq;
	const char *type = vb_jstr(json_object_get(ev, "type"));
	const json_t *jseq = json_object_get(ev, "seq");
	bool unstored = json_is_null(jseq) && vb_jbool(json_object_get(ev, "stored")) == 0;
	if (!type || !type[0] || strlen(type) > 64 ||
	    (!unstored && (!vb_jint(jseq, &seq) || seq < 1))) {
		*why = "event without a valid seq/type";
		return -EINVAL;
	}
	/* an event the van could not store ("seq": null, "stored": false) is used, never de-duplicated */
	if (!unstored && seq_seen(u, seq))
		return 0;
	const json_t *d = json_object_get(ev, "data");
	json_t *empty = NULL;
	if (!json_is_object(d))
		d = empty = json_object();
	if (!d)
		return 0;
	const json_t *pos = json_object_get(ev, "pos");
	on_event_apply(u, p, now, type, vb_iso_ms(vb_jstr(json_object_get(ev, "time"))), d,
		       json_is_object(pos) ? pos : NULL);
	json_decref(empty);
	return 0;
}

int vb_unit_message(struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		    enum vb_topic t, const char *payload, size_t len, bool retained,
		    const char **why)
{
	static const char *dummy;
	if (!why)
		why = &dummy;
	if ((unsigned)t >= VB_T__COUNT || (!payload && len)) {
		*why = "unexpected topic";
		return -EINVAL;
	}
	if (len > VB_PAYLOAD_MAX) {
		*why = "message too large";
		return -EINVAL;
	}
	if (t == VB_T_AVAILABILITY) {
		int r = on_availability(u, now, payload, len, retained, why);
		if (r == 0 && u->first_seen == VB_NEVER && len)
			u->first_seen = now;
		return r;
	}
	if (len == 0 && retained)
		return 0;  /* a deleted retained state/emergency */
	json_error_t err;
	json_t *m = json_loadb(payload ? payload : "", len, JSON_REJECT_DUPLICATES, &err);
	if (!m) {
		*why = "not JSON";
		return -EINVAL;
	}
	int r = 0;
	const json_t *v = json_object_get(m, "v"), *unit = json_object_get(m, "unit");
	if (!json_is_object(m)) {
		*why = "not a JSON object";
		r = -EINVAL;
	} else if (v && !(json_is_integer(v) && json_integer_value(v) == 1)) {
		*why = "unsupported payload version (vanbase reads v 1)";
		r = -EINVAL;
	} else if (unit && !(json_is_string(unit) && strcmp(json_string_value(unit), u->id) == 0)) {
		*why = "payload unit does not match the topic";
		r = -EINVAL;
	} else {
		switch (t) {
		case VB_T_STATE: r = on_state(u, p, now, m, retained, why); break;
		case VB_T_LOCATION: r = on_location(u, p, now, m, retained, why); break;
		case VB_T_EMERGENCY: r = on_emergency(u, p, now, m, why); break;
		case VB_T_EVENT: r = on_event(u, p, now, m, why); break;
		default: break;
		}
	}
	json_decref(m);
	if (r == 0) {
		if (u->first_seen == VB_NEVER)
			u->first_seen = now;
		if (!retained)
			u->last_live = now;
	}
	return r;
}
