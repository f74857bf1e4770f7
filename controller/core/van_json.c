/*
 * van_json.c - the state snapshot for base and the crew display.
 * The layout is a contract: docs/events.md, section "state".
 */
#include "van_impl.h"

#include <math.h>

static const char *buzz_name(enum van_buzz b)
{
	static const char *n[] = { "off", "short", "continuous", "alarm" };
	return (unsigned)b < 4 ? n[b] : "off";
}

static const char *light_name(enum van_light l)
{
	static const char *n[] = { "off", "on", "blink" };
	return (unsigned)l < 3 ? n[l] : "off";
}

static json_t *outputs_json(const van_t *v, const struct vtime *now)
{
	struct van_outputs o;
	van_outputs(v, now, &o);
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_bool(d, "entry_light_full", o.entry_light_full);
	jset_str(d, "buzzer", buzz_name(o.buzzer));
	jset_str(d, "alarm_light", light_name(o.alarm_light));
	return d;
}

static json_t *session_json(const van_t *v, const struct vtime *now)
{
	json_t *s = session_state_json(&v->s, &v->sp, now);
	if (!s || !session_running(&v->s))
		return s;
	jset_int(s, "distance_m", (int64_t)llround(v->fx.odo_m - v->odo_at_start));
	jset_int(s, "stops", v->stops.count - v->stops_at_start);
	json_t *inc = json_object();
	for (size_t i = 0; inc && i < v->ntally; i++)
		jset_int(inc, v->tally[i].cat, v->tally[i].n);
	jset_new(s, "incidents", inc);
	return s;
}

json_t *van_state_json(const van_t *v, const struct vtime *now, bool for_base)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_int(d, "v", VAN_STATE_VERSION);
	jset_int(d, "utc", now->utc_ms);
	jset_str(d, "utc_src", utc_src_name(now->utc_src));
	jset_new(d, "session", session_json(v, now));
	jset_new(d, "last_session", v->s.state == SESSION_ENDED && v->last_summary ?
				    json_incref(v->last_summary) : NULL);
	jset_new(d, "occupancy", occ_state_json(&v->occ, now));
	jset_new(d, "stop", stops_state_json(&v->stops, v->occ.entries_total, now));
	jset_new(d, "fix", fixlog_last_json(&v->fx, now));
	jset_new(d, "doors", doors_json(&v->doors));
	jset_bool(d, "door_open_while_moving", v->door_moving);
	jset_new(d, "emergency", alarm_state_json(&v->alarm, now, for_base));
	jset_new(d, "selftest", alarm_selftest_json(&v->alarm, now));
	jset_new(d, "health", health_state_json(&v->health, now->mono_ms));
	json_t *pw = json_object();
	jset_bool(pw, "failing", v->power_failing);
	jset_utc(pw, "since_utc", now, v->power_failing ? v->power_since_mono : VAN_NEVER);
	jset_new(d, "power", pw);
	jset_new(d, "outputs", outputs_json(v, now));
	jset_new(d, "plan", plan_state_json(v->plan, now));
	if (for_base)
		jset_int(d, "location_interval_ms", van_location_interval_ms(v));
	return d;
}

json_t *van_emergency_json(const van_t *v, const struct vtime *now, bool for_base)
{
	return alarm_state_json(&v->alarm, now, for_base);
}

void van_health(van_t *v, const struct health_reading *r, const struct vtime *now)
{
	health_update(&v->health, r, now->mono_ms);
}
