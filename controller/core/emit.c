/*
 * emit.c - event and json plumbing for the core modules.  See emit.h.
 */
#include "emit.h"

#include <math.h>

const char *van_source_name(enum van_source s)
{
	switch (s) {
	case VAN_SRC_AUTO: return "auto";
	case VAN_SRC_BUTTON: return "button";
	case VAN_SRC_VANCTL: return "vanctl";
	case VAN_SRC_BASE: return "base";
	case VAN_SRC_BOOT: return "boot";
	case VAN_SRC__COUNT: break;
	}
	return "unknown";
}

int emit_ev(const struct emit *e, enum ev_type t, enum ev_prio prio, json_t *data)
{
	return evq_push(e->q, t, e->now->mono_ms, e->now->utc_ms, prio, e->sid, data);
}

int emit_incident(const struct emit *e, enum ev_type t, enum ev_prio prio,
		  const char *category, json_t *data)
{
	if (!data)
		data = json_object();
	if (data) {
		jset_bool(data, "incident", true);
		jset_str(data, "category", category);
	}
	return emit_ev(e, t, prio, data);
}

void jset_new(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v ? v : json_null());
}

void jset_int(json_t *o, const char *key, int64_t v)
{
	jset_new(o, key, json_integer((json_int_t)v));
}

void jset_str(json_t *o, const char *key, const char *s)
{
	jset_new(o, key, s ? json_string(s) : json_null());
}

void jset_bool(json_t *o, const char *key, bool b)
{
	jset_new(o, key, json_boolean(b));
}

void jset_real(json_t *o, const char *key, double v)
{
	jset_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

void jset_utc(json_t *o, const char *key, const struct vtime *now, int64_t mono)
{
	if (mono == VAN_NEVER)
		jset_new(o, key, json_null());
	else
		jset_int(o, key, vtime_utc_of(now, mono));
}

int64_t next_after(int64_t sched, int64_t every, int64_t now)
{
	if (every <= 0)
		every = 1000;
	if (sched > now)
		return sched + every;
	return sched + ((now - sched) / every + 1) * every;
}
