/*
 * vb_text.c - what a notification says.  See vb_alarm.h.
 *
 * Notifications go through third parties (push services, SMS gateways,
 * mail providers), so a text carries the least that lets a person act: the
 * van's id, what happened, how long ago, the alarm's id to acknowledge.
 * Never occupancy, crew, notes or names; the position only in pos_text, for
 * the shell to add where the alarm and the channel allow it.  A covert
 * emergency says so first and plainly, and tells the reader not to call
 * the van openly: it never suggests calling the van.
 */
#include "vb_alarm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void ago(char *buf, size_t n, int64_t ms)
{
	int64_t s = ms > 0 ? (ms + 500) / 1000 : 0;
	if (s < 60)
		snprintf(buf, n, "%lld s ago", (long long)s);
	else if (s < 3600)
		snprintf(buf, n, "%lld min ago", (long long)(s / 60));
	else
		snprintf(buf, n, "%lld h %lld min ago", (long long)(s / 3600), (long long)(s / 60 % 60));
}

void vb_pos_text(char *buf, size_t n, double lat, double lon, int64_t fix_at, int64_t now)
{
	char age[32];
	ago(age, sizeof(age), fix_at == VB_NEVER ? 0 : now - fix_at);
	snprintf(buf, n, "Position %.5f %c, %.5f %c (fix %s)", fabs(lat), lat < 0 ? 'S' : 'N',
		 fabs(lon), lon < 0 ? 'W' : 'E', age);
}

static const char *what(const struct vb_alarm *a)
{
	switch (a->kind) {
	case VB_K_EMERGENCY: return a->covert ? "covert emergency" : "emergency";
	case VB_K_OVERDUE: return "session overdue";
	case VB_K_CHECKIN: return "check-in missed";
	case VB_K_OFFLINE: return "van offline during a session";
	case VB_K_SILENT: return "no news from the van";
	case VB_K_SELFTEST_FAILED: return "emergency self-test failed";
	case VB_K_DRILL: return "drill";
	default: return "alarm";
	}
}

static void body(char *buf, size_t n, const struct vb_alarm *a, const struct vb_unit *u, const char *van,
		 const char *when)
{
	const char *src = a->by_van ? "reported by the van" : "on base's clock, nothing newer from the van";
	switch (a->kind) {
	case VB_K_EMERGENCY:
		if (a->covert)
			snprintf(buf, n, "COVERT EMERGENCY: van %s raised a covert alarm %s. The crew may be "
				 "with someone they fear. Do NOT call the van openly, do not mention the "
				 "alarm: follow the duress procedure.", van, when);
		else
			snprintf(buf, n, "EMERGENCY: van %s raised an emergency %s. Act now: follow the "
				 "emergency procedure.", van, when);
		break;
	case VB_K_OVERDUE:
		snprintf(buf, n, "SESSION OVERDUE: van %s, planned end passed %s (%s). Phone the crew.",
			 van, when, src);
		break;
	case VB_K_CHECKIN:
		snprintf(buf, n, "CHECK-IN MISSED: van %s, check-in due %s (%s). Phone the crew.", van,
			 when, src);
		break;
	case VB_K_OFFLINE:
		if (u && u->power_down)
			snprintf(buf, n, "VAN POWERED DOWN during a session: van %s said its power was going "
				 "(ignition off or battery low) and went offline %s; not a crash, but it "
				 "cannot raise an alarm now. Phone the crew to confirm they are safe and "
				 "how they will keep in touch.", van, when);
		else
			snprintf(buf, n, "VAN OFFLINE during a session: van %s went offline %s; it cannot raise "
				 "an alarm now. Phone the crew; if they cannot be reached, follow the "
				 "missing-crew procedure.", van, when);
		break;
	case VB_K_SILENT:
		snprintf(buf, n, "NO NEWS from van %s during a session since %s (still online). Phone "
			 "the crew if it lasts.", van, when);
		break;
	case VB_K_SELFTEST_FAILED:
		snprintf(buf, n, "SELF-TEST FAILED: van %s's emergency test %s was not acknowledged in "
			 "time: the emergency path may be broken. Tell the project lead.", van, when);
		break;
	case VB_K_DRILL:
		if (a->unit[0])
			snprintf(buf, n, "DRILL - TEST ONLY, not a real alarm: van %s started an emergency "
				 "self-test %s.", van, when);
		else
			snprintf(buf, n, "DRILL - TEST ONLY, not a real alarm: escalation test started %s%s%s.",
				 when, a->drill_by[0] ? " by " : "", a->drill_by);
		break;
	default:
		snprintf(buf, n, "ALARM: van %s %s.", van, when);
		break;
	}
}

void vb_text(char *buf, size_t n, const struct vb_alarm *a, const struct vb_unit *u,
	     enum vb_msg m, int64_t now)
{
	char when[32], b[VB_TEXT_MAX];
	const char *van = a->unit[0] ? a->unit : "base";
	if (m == VB_MSG_ALL_CLEAR) {
		snprintf(buf, n, "%sALL CLEAR: alarm %s (%s, van %s) is resolved: %s.",
			 a->drill ? "DRILL - " : "", a->id, what(a), van,
			 a->resolved_why[0] ? a->resolved_why : "resolved");
		vb_utf8_trim(buf);
		return;
	}
	ago(when, sizeof(when), now - a->since);
	body(b, sizeof(b), a, u, van, when);
	vb_utf8_trim(b);
	/* the title first, always (a covert one says COVERT before anything else) */
	snprintf(buf, n, "%s%s Acknowledge: alarm %s.", b,
		 m == VB_MSG_REPEAT ? " Not acknowledged yet (repeat)." : "", a->id);
	vb_utf8_trim(buf);
}
