/*
 * vb_rules.c - the alarm rules on base's clock: which conditions hold for
 * a van now, when that may change without a message, and why one ended.
 * See vb_unit.h (and its decision on one definition shared with the
 * console: tests/data/base_rules_cases.json).
 */
#include "vb_unit.h"
#include "vb_unit_impl.h"

/* ---- the rules on base's clock (Fleet.prototype.alerts) ---- */

static bool settled(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now)
{
	int64_t off;
	if (vb_unit_offset(u, p, now, &off))
		return true;
	if (u->avail != VB_AV_ONLINE)
		return true;
	return u->first_seen == VB_NEVER || now - u->first_seen >= p->settle_ms;
}

static int64_t silent_from(const struct vb_unit *u, int64_t link_up_at)
{
	int64_t last = u->last_live != VB_NEVER ? u->last_live : u->first_seen;
	if (last == VB_NEVER || link_up_at > last)
		last = link_up_at;
	return last;
}

int vb_unit_conds(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		  int64_t link_up_at, struct vb_cond *out)
{
	int n = 0;
	bool run = vb_unit_running(u);
	if (u->em_active)
		out[n++] = (struct vb_cond){ .kind = VB_K_EMERGENCY, .key = u->em_id, .covert = u->em_covert,
					     .by_van = true, .van_acked = u->em_acked,
					     .van_acked_by = u->em_acked_by, .presses = u->em_presses,
					     .since = u->em_since };
	if (run && u->avail == VB_AV_OFFLINE) {
		int64_t since = u->avail_at;
		if (u->avail_retained && u->state_van != VB_NEVER)
			since = vb_unit_past_base(u, p, u->state_van, now);
		out[n++] = (struct vb_cond){ .kind = VB_K_OFFLINE, .key = u->session_id, .by_van = false,
					     .since = since };
	} else if (run && u->avail == VB_AV_ONLINE && link_up_at != VB_NEVER) {
		int64_t last = silent_from(u, link_up_at);
		if (now - last > p->silent_after_ms)
			out[n++] = (struct vb_cond){ .kind = VB_K_SILENT, .key = u->session_id, .since = last };
	}
	bool ok = settled(u, p, now);
	int64_t due = vb_unit_to_base(u, p, u->checkin_due, now);
	bool ci_van = u->ci_missed_van != VB_NEVER || u->checkin_flagged;
	bool ci_base = ok && due != VB_NEVER && now > due + p->due_grace_ms;
	if (run && (ci_van || ci_base)) {
		int64_t key = u->checkin_due != VB_NEVER ? u->checkin_due
			      : u->ci_missed_due != VB_NEVER ? u->ci_missed_due : 0;
		int64_t since = due != VB_NEVER ? due : u->ci_missed_at;
		out[n++] = (struct vb_cond){ .kind = VB_K_CHECKIN, .key = key, .by_van = ci_van,
					     .since = since != VB_NEVER ? since : now };
	}
	int64_t end = vb_unit_to_base(u, p, u->planned_end, now);
	bool end_van = u->overdue_van != VB_NEVER || u->sess == VB_S_OVERDUE;
	bool end_base = ok && end != VB_NEVER && now > end + p->due_grace_ms;
	if (run && (end_van || end_base)) {
		int64_t key = u->planned_end != VB_NEVER ? u->planned_end
			      : u->overdue_end != VB_NEVER ? u->overdue_end : 0;
		int64_t since = end != VB_NEVER ? end : u->overdue_at;
		out[n++] = (struct vb_cond){ .kind = VB_K_OVERDUE, .key = key, .by_van = end_van,
					     .since = since != VB_NEVER ? since : now };
	}
	if (u->st_failed)
		out[n++] = (struct vb_cond){ .kind = VB_K_SELFTEST_FAILED, .key = 0,
					     .by_van = true, .since = u->st_failed_at };
	if (u->st_running && now <= u->st_since + u->st_timeout_ms + p->due_grace_ms)
		out[n++] = (struct vb_cond){ .kind = VB_K_DRILL, .key = u->st_id, .by_van = true,
					     .since = u->st_since };
	return n;
}

int64_t vb_unit_deadline(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
			 int64_t link_up_at)
{
	int64_t d = VB_NEVER;
	if (u->st_running) {
		int64_t t = u->st_since + u->st_timeout_ms + p->due_grace_ms + 1;
		if (t > now)
			d = vb_dmin(d, t);
	}
	if (!vb_unit_running(u))
		return d;
	if (u->avail == VB_AV_ONLINE && link_up_at != VB_NEVER) {
		int64_t t = silent_from(u, link_up_at) + p->silent_after_ms + 1;
		if (t > now)
			d = vb_dmin(d, t);
	}
	if (!settled(u, p, now)) {
		int64_t t = u->first_seen + p->settle_ms;
		if (t > now)
			d = vb_dmin(d, t);
	}
	/* the offset window ending can move a due time: look again then */
	for (int i = 0; i < u->nsamp; i++) {
		int64_t t = u->samp_at[i] + p->offset_window_ms + 1;
		if (t > now) {
			d = vb_dmin(d, t);
			break;
		}
	}
	int64_t dues[2] = { vb_unit_to_base(u, p, u->checkin_due, now),
			    vb_unit_to_base(u, p, u->planned_end, now) };
	for (int i = 0; i < 2; i++)
		if (dues[i] != VB_NEVER && dues[i] + p->due_grace_ms + 1 > now)
			d = vb_dmin(d, dues[i] + p->due_grace_ms + 1);
	return d;
}

const char *vb_unit_gone_why(const struct vb_unit *u, enum vb_kind k, bool link_up)
{
	bool run = vb_unit_running(u);
	switch (k) {
	case VB_K_EMERGENCY:
		return "the crew cleared the emergency";
	case VB_K_OVERDUE:
		return run ? "the session was extended" : "the session ended";
	case VB_K_CHECKIN:
		return run ? "the crew checked in" : "the session ended";
	case VB_K_OFFLINE:
		return !run ? "the session ended" : "the van is back online";
	case VB_K_SILENT:
		return !run ? "the session ended" : u->avail == VB_AV_OFFLINE ? "the van went offline"
			: !link_up ? "base lost its own broker link: silence cannot be judged"
			: "the van was heard again";
	case VB_K_SELFTEST_FAILED:
		return "a later self-test passed";
	case VB_K_DRILL:
		return u->st_running ? "the self-test timed out"
		       : u->st_result == 1 ? "the self-test passed" : "the self-test failed";
	default:
		return "resolved";
	}
}
