/*
 * cmd.c - commands from the control socket (vanctl, the crew display) and
 * from base (MQTT), through one path into the core, so a button, vanctl and
 * base behave the same.  All outside input is validated here: known command,
 * known fields with the right types and ranges, size, unit id (base); a bad
 * command is answered with a reason and nothing else happens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "core/plan.h"
#include "log.h"
#include "loop.h"
#include "planfile.h"

#define CMD_BASE_MAX_BYTES 2048
/* A base command's "time" may be this far from the van's clock, either way
 * (docs/mqtt.md, "Repeats and stale commands"). */
#define CMD_BASE_WINDOW_MS (120 * 1000)


struct args {
	const json_t *o;
	const char *bad;        /* first problem, for the reply */
	char buf[160];
};

static json_t *reply_ok(const char *reason, json_t *result)
{
	json_t *r = json_pack("{s:b}", "ok", 1);
	if (reason)
		json_object_set_new(r, "reason", json_string(reason));
	if (result)
		json_object_set_new(r, "result", result);
	return r;
}

static json_t *reply_err(const char *code, const char *reason)
{
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", code, "reason", reason ? reason : code);
}

/* Map a core return code to a reply. */
static json_t *reply_rc(int rc, const char *why, const char *enoent_code)
{
	if (rc >= 0)
		return reply_ok(why, NULL);
	switch (rc) {
	case -ENOENT: return reply_err(enoent_code, why);
	case -EALREADY: return reply_err("already", why);
	case -EBUSY: return reply_err("busy", why);
	case -EINVAL: case -ERANGE: return reply_err("invalid_argument", why);
	case -ENOTSUP: case -EPERM: return reply_err("not_allowed", why);
	default: return reply_err("internal", why);
	}
}

/* The command took effect, but the store refused its record (a full disk):
 * an incident exists only as its record, so that is an error; otherwise the
 * reply says the change is not saved.  Takes r. */
static json_t *not_stored(json_t *r, const char *name, struct cmd_env *env)
{
	char why[400];
	const char *was = json_string_value(json_object_get(r, "reason"));

	if (!strcmp(name, "incident")) {
		json_decref(r);
		snprintf(why, sizeof(why), "the incident was NOT saved (the van's storage failed: %s); note it down",
			 store_errmsg(env->st));
		return reply_err("not_stored", why);
	}
	snprintf(why, sizeof(why), "%s%sbut NOT saved (the van's storage failed: %s)", was ? was : "done",
		 was ? "; " : ", ", store_errmsg(env->st));
	json_object_set_new(r, "reason", json_string(why));
	return r;
}

/* Every field of the request must be one the command knows. */
static bool only_fields(struct args *ar, const char *const *allowed)
{
	const char *key;
	json_t *v;
	static const char *common[] = { "cmd", "id", "time", "v", "unit", NULL };

	json_object_foreach((json_t *)ar->o, key, v) {
		bool ok = false;
		for (const char *const *p = common; *p && !ok; p++)
			ok = !strcmp(key, *p);
		for (const char *const *p = allowed; p && *p && !ok; p++)
			ok = !strcmp(key, *p);
		if (!ok) {
			/* cut on a character, never inside one: the reply must be UTF-8 */
			size_t n = strlen(key);
			if (n > 40) {
				n = 40;
				while (n > 0 && ((unsigned char)key[n] & 0xc0) == 0x80)
					n--;
			}
			snprintf(ar->buf, sizeof(ar->buf), "unknown field '%.*s'%s", (int)n, key,
				 key[n] ? "..." : "");
			ar->bad = ar->buf;
			return false;
		}
	}
	return true;
}

/* Integer field: absent -> *out unchanged, returns true. */
static bool get_int(struct args *ar, const char *key, long min, long max, long *out)
{
	json_t *v = json_object_get(ar->o, key);
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(ar->buf, sizeof(ar->buf), "'%s' must be a whole number from %ld to %ld", key, min, max);
		ar->bad = ar->buf;
		return false;
	}
	*out = (long)json_integer_value(v);
	return true;
}

static bool get_bool(struct args *ar, const char *key, bool *out)
{
	json_t *v = json_object_get(ar->o, key);
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		snprintf(ar->buf, sizeof(ar->buf), "'%s' must be true or false", key);
		ar->bad = ar->buf;
		return false;
	}
	*out = json_is_true(v);
	return true;
}

static bool get_str(struct args *ar, const char *key, size_t maxlen, const char **out)
{
	json_t *v = json_object_get(ar->o, key);
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) > maxlen || strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(ar->buf, sizeof(ar->buf), "'%s' must be text of at most %zu bytes", key, maxlen);
		ar->bad = ar->buf;
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* "HH:MM" (local time, the next such time) or ISO 8601 UTC
 * ("2026-11-24T23:30:00Z", seconds optional) -> utc ms.  0 if bad. */
static int64_t parse_until(const char *s, const struct vtime *now)
{
	struct tm tm;
	int h, m;
	char tail;

	if (sscanf(s, "%d:%d%c", &h, &m, &tail) == 2 && h >= 0 && h < 24 && m >= 0 && m < 60) {
		time_t t = (time_t)(now->utc_ms / 1000);
		localtime_r(&t, &tm);
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		time_t when = mktime(&tm);
		if (when <= t)
			when += 86400;
		return (int64_t)when * 1000;
	}
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		return 0;
	if (*end == ':') {
		end = strptime(end, ":%S", &tm);
		if (!end)
			return 0;
	}
	if (strcmp(end, "Z"))
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* ---- the commands ---- */

typedef json_t *(*cmd_fn)(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now);

static json_t *c_status(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	(void)now;
	if (!only_fields(ar, NULL))
		return reply_err("invalid_argument", ar->bad);
	return reply_ok(NULL, env->snapshot(env->arg, src == VAN_SRC_BASE));
}

static json_t *c_session_start(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "crew", "lone", "until", "plan", NULL };
	long crew = 0;
	bool lone = false;
	const char *until = NULL, *plan = NULL, *why = NULL;
	int64_t end = 0;

	if (!only_fields(ar, f) || !get_int(ar, "crew", 1, 20, &crew) || !get_bool(ar, "lone", &lone) ||
	    !get_str(ar, "until", 40, &until) || !get_str(ar, "plan", 64, &plan))
		return reply_err("invalid_argument", ar->bad);
	if (until && !(end = parse_until(until, now)))
		return reply_err("invalid_argument", "'until' must be HH:MM or an ISO 8601 UTC time like 2026-11-24T23:30Z");
	if (!plan) {
		int rc = van_session_start(env->van, (int)crew, lone, end, NULL, src, now, &why);
		return reply_rc(rc, why, "not_found");
	}

	/* the whole plan is read and checked before the session starts:
	 * never a session with a half-read plan */
	struct plan_def *def = calloc(1, sizeof(*def));
	struct plan_errs errs = { 0 };
	char reason[300];
	struct plan_tz tz = planfile_tz(now->utc_ms);
	if (!def)
		return reply_err("internal", "out of memory");
	if (planfile_load_named(env->conf->session.plans_dir, plan, def, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("plan: %s", errs.v[i]);
		snprintf(reason, sizeof(reason), "plan '%s' cannot be used: %s%s", plan,
			 errs.n ? errs.v[0] : "unreadable", errs.n > 1 ? " (and more: see the log)" : "");
		plan_errs_free(&errs);
		free(def);
		return reply_err(errs.n ? "invalid_argument" : "not_found", reason);
	}
	if (!end) {
		int64_t pe = plan_local_utc(def, now->utc_ms, tz, def->end);
		if (pe > now->utc_ms + 60000)
			end = pe;
	}
	int rc = van_session_start(env->van, (int)crew, lone, end, plan, src, now, &why);
	if (rc == 0 && van_plan_start(env->van, def, tz, now, &why) < 0) {
		log_warnx("plan: %s not followed: %s", plan, why);
		snprintf(reason, sizeof(reason), "session started, but the plan is not followed: %s", why);
		free(def);
		return reply_ok(reason, NULL);
	}
	free(def);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_plan_change(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "change", "location", "reason", NULL };
	const char *change = NULL, *loc = NULL, *reason = NULL, *why = NULL;

	if (!only_fields(ar, f) || !get_str(ar, "change", 16, &change) || !get_str(ar, "location", 47, &loc) ||
	    !get_str(ar, "reason", 32, &reason))
		return reply_err("invalid_argument", ar->bad);
	if (!change || (strcmp(change, "skip") && strcmp(change, "add_stop")))
		return reply_err("invalid_argument", "'change' must be skip or add_stop");
	if (!reason)
		return reply_err("invalid_argument", "'reason' is required: " PLAN_REASONS);
	int rc = !strcmp(change, "skip") ? van_plan_skip(env->van, loc, reason, src, now, &why)
					 : van_plan_add_stop(env->van, reason, src, now, &why);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_session_end(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "code", NULL };
	const char *code = NULL, *why = NULL;

	if (!only_fields(ar, f) || !get_str(ar, "code", 64, &code))
		return reply_err("invalid_argument", ar->bad);
	int rc = van_session_end(env->van, code, src, now, &why);
	return reply_rc(rc, why, "no_session");
}

static json_t *c_session_extend(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "minutes", "until", NULL };
	long minutes = 0;
	const char *until = NULL, *why = NULL;
	int64_t end = 0;

	if (!only_fields(ar, f) || !get_int(ar, "minutes", 1, 600, &minutes) || !get_str(ar, "until", 40, &until))
		return reply_err("invalid_argument", ar->bad);
	if (!minutes == !until)
		return reply_err("invalid_argument", "give either 'minutes' or 'until'");
	if (until && !(end = parse_until(until, now)))
		return reply_err("invalid_argument", "'until' must be HH:MM or an ISO 8601 UTC time");
	int rc = van_session_extend(env->van, end, (int)minutes, src, now, &why);
	return reply_rc(rc, why, "no_session");
}

static json_t *c_checkin(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "code", NULL };
	const char *code = NULL, *why = NULL;

	if (!only_fields(ar, f) || !get_str(ar, "code", 64, &code))
		return reply_err("invalid_argument", ar->bad);
	int rc = van_checkin(env->van, code, src, now, &why);
	return reply_rc(rc, why, "no_session");
}

static json_t *c_crew(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "crew", NULL };
	long crew = 0;
	const char *why = NULL;

	if (!only_fields(ar, f) || !get_int(ar, "crew", 1, 20, &crew))
		return reply_err("invalid_argument", ar->bad);
	if (!crew)
		return reply_err("invalid_argument", "'crew' is required");
	int rc = van_set_crew(env->van, (int)crew, src, now, &why);
	return reply_rc(rc, why, "no_session");
}

static json_t *c_occupancy(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "delta", "set", "empty", NULL };
	long delta = 0, set = -1;
	bool empty = false;
	const char *why = NULL;

	if (!only_fields(ar, f) || !get_int(ar, "delta", -100, 100, &delta) || !get_int(ar, "set", 0, 1000, &set) ||
	    !get_bool(ar, "empty", &empty))
		return reply_err("invalid_argument", ar->bad);
	if ((delta != 0) + (set >= 0) + empty != 1)
		return reply_err("invalid_argument", "give one of 'delta' (not 0), 'set' or 'empty'");
	int rc = empty ? van_empty(env->van, src, now, &why)
	       : set >= 0 ? van_occupancy_set(env->van, (int)set, src, now, &why)
			  : van_occupancy_adjust(env->van, (int)delta, src, now, &why);
	return reply_rc(rc, why, "no_session");
}

static json_t *c_mute(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	const char *why = NULL;
	if (!only_fields(ar, NULL))
		return reply_err("invalid_argument", ar->bad);
	int rc = van_mute(env->van, src, now, &why);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_incident(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "type", "note", NULL };
	const char *type = NULL, *note = NULL, *why = NULL;

	if (!only_fields(ar, f) || !get_str(ar, "type", 32, &type) || !get_str(ar, "note", 200, &note))
		return reply_err("invalid_argument", ar->bad);
	if (!type)
		return reply_err("invalid_argument", "'type' is required");
	int rc = van_incident(env->van, type, note, src, now, &why);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_panic(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "covert", "test", NULL };
	bool covert = false, test = false;
	const char *why = NULL;

	if (!only_fields(ar, f) || !get_bool(ar, "covert", &covert) || !get_bool(ar, "test", &test))
		return reply_err("invalid_argument", ar->bad);
	int rc = test ? van_selftest_start(env->van, src, now, &why)
		      : van_panic(env->van, src, covert, now->mono_ms, now, &why);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_alarm_clear(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	const char *why = NULL;
	if (!only_fields(ar, NULL))
		return reply_err("invalid_argument", ar->bad);
	int rc = van_alarm_clear(env->van, src, now, &why);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_sim(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "line", "value", "ms", NULL };
	const char *line = NULL, *value = NULL;
	long ms = 200;
	(void)src;
	(void)now;

	if (!only_fields(ar, f) || !get_str(ar, "line", 64, &line) || !get_str(ar, "value", 8, &value) ||
	    !get_int(ar, "ms", 1, 60000, &ms))
		return reply_err("invalid_argument", ar->bad);
	if (!line || !value || (strcmp(value, "on") && strcmp(value, "off") && strcmp(value, "pulse")))
		return reply_err("invalid_argument", "give 'line' and 'value' (on, off or pulse)");
	if (!env->gpio)
		return reply_err("not_allowed", "no inputs are configured ([gpio] backend = sim)");
	/* stamped now, to the us, as a kernel stamps an edge (stage timing) */
	int64_t at_us = mono_now_us();
	int rc = gpio_sim_inject_at(env->gpio, line, strcmp(value, "off") != 0, at_us);
	if (rc == 0 && !strcmp(value, "pulse"))
		rc = gpio_sim_inject(env->gpio, line, false, at_us / 1000 + ms);
	if (rc == -ENOENT)
		return reply_err("not_found", "no input line or role of that name");
	if (rc == -ENOTSUP)
		return reply_err("not_allowed", "inputs can only be simulated with [gpio] backend = sim");
	return rc < 0 ? reply_err("internal", strerror(-rc)) : reply_ok("done", NULL);
}

static json_t *c_watch(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	(void)ar;
	(void)src;
	(void)now;
	return reply_ok(NULL, env->snapshot(env->arg, false));
}

/* base only */
static json_t *c_ack(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "by", "emergency", NULL };
	const char *by = NULL, *why = NULL;
	json_int_t id = 0;
	(void)src;

	if (!only_fields(ar, f) || !get_str(ar, "by", 47, &by))
		return reply_err("invalid_argument", ar->bad);
	json_t *e = json_object_get(ar->o, "emergency");
	if (e && !json_is_integer(e))
		return reply_err("invalid_argument", "'emergency' must be the emergency's id (a whole number)");
	id = e ? json_integer_value(e) : 0;
	if (!by || !*by)
		return reply_err("invalid_argument", "'by' (the operator's name) is required");
	int rc = van_emergency_ack(env->van, id, by, now, &why);
	return reply_rc(rc, why, "not_found");
}

static json_t *c_checkin_request(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "by", NULL };
	const char *by = NULL, *why = NULL;
	(void)src;

	if (!only_fields(ar, f) || !get_str(ar, "by", 47, &by))
		return reply_err("invalid_argument", ar->bad);
	int rc = van_request_checkin(env->van, by ? by : "base", now, &why);
	return reply_rc(rc, why, "no_session");
}

static json_t *c_replay(struct cmd_env *env, struct args *ar, enum van_source src, const struct vtime *now)
{
	static const char *f[] = { "from_seq", NULL };
	json_t *v = json_object_get(ar->o, "from_seq");
	int64_t n = 0;
	(void)src;
	(void)now;

	if (!only_fields(ar, f))
		return reply_err("invalid_argument", ar->bad);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return reply_err("invalid_argument", "'from_seq' must be a sequence number (1 or more)");
	if (store_replay_from(env->st, json_integer_value(v), &n) < 0)
		return reply_err("internal", store_errmsg(env->st));
	uplink_kick(env->up);
	return reply_ok("replay queued", json_pack("{s:I}", "requeued", (json_int_t)n));
}

enum { FROM_CTL = 1, FROM_BASE = 2 };

static const struct cmd {
	const char *name;
	cmd_fn fn;
	int from;
} cmds[] = {
	{ "status", c_status, FROM_CTL | FROM_BASE },
	{ "session_start", c_session_start, FROM_CTL | FROM_BASE },
	{ "session_end", c_session_end, FROM_CTL | FROM_BASE },
	{ "session_extend", c_session_extend, FROM_CTL },
	{ "checkin", c_checkin, FROM_CTL },
	{ "crew", c_crew, FROM_CTL },
	{ "occupancy", c_occupancy, FROM_CTL },
	{ "mute", c_mute, FROM_CTL },
	{ "incident", c_incident, FROM_CTL },
	{ "plan_change", c_plan_change, FROM_CTL },
	{ "panic", c_panic, FROM_CTL },
	{ "alarm_clear", c_alarm_clear, FROM_CTL },
	{ "sim", c_sim, FROM_CTL },
	{ "watch", c_watch, FROM_CTL },
	{ "ack", c_ack, FROM_BASE },
	{ "checkin_request", c_checkin_request, FROM_BASE },
	{ "replay", c_replay, FROM_BASE },
};

json_t *cmd_run(struct cmd_env *env, const char *name, const json_t *args, enum van_source src)
{
	struct args ar = { .o = args };
	struct vtime now;
	int from = src == VAN_SRC_BASE ? FROM_BASE : FROM_CTL;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, name))
			continue;
		if (!(cmds[i].from & from))
			return reply_err("not_allowed", from == FROM_BASE ? "base may not send this command"
									  : "only base sends this command");
		if (src == VAN_SRC_BASE && (!strcmp(name, "session_start") || !strcmp(name, "session_end")) &&
		    !env->conf->session.base_may_start)
			return reply_err("not_allowed", "this van does not let base start or end sessions "
							"(session.base_may_start)");
		clock_now(env->clock, &now);
		uint64_t unstored = *env->events_unstored;
		json_t *r = cmds[i].fn(env, &ar, src, &now);
		env->after(env->arg);
		if (*env->events_unstored != unstored && json_is_true(json_object_get(r, "ok")))
			r = not_stored(r, name, env);
		return r;
	}
	return reply_err("unknown_command", "unknown command");
}

json_t *cmd_from_ctl(void *arg, const json_t *req, int client_uid)
{
	const char *name = json_string_value(json_object_get(req, "cmd"));
	(void)client_uid;

	if (!name)
		return reply_err("bad_request", "a request needs \"cmd\"");
	return cmd_run(arg, name, req, VAN_SRC_VANCTL);
}

/* A name base may use: 1-32 of a-z and '_' (docs/mqtt.md). */
static bool valid_cmd_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && *s != '_')
			return false;
	return true;
}

/* A command's "time": UTC ms (a whole number) or ISO 8601 UTC text
 * ("2026-11-24T21:02:17.053Z", fraction optional).  0 if neither. */
static int64_t parse_cmd_time(const json_t *t)
{
	if (json_is_integer(t))
		return json_integer_value(t) > 0 ? (int64_t)json_integer_value(t) : 0;
	const char *s = json_string_value(t);
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	int64_t ms = 0;
	if (!end)
		return 0;
	if (*end == '.') {
		int digits = 0;
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*end - '0');
		if (!digits)
			return 0;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(end, "Z"))
		return 0;
	int64_t t_s = (int64_t)timegm(&tm);
	return t_s > 0 ? t_s * 1000 + ms : 0;
}

/* Has this command (id and time) been seen?  Remembers it if not. */
static bool seen_before(struct cmd_env *env, const json_t *id, int64_t time_ms, const struct vtime *now)
{
	char key[72];

	if (json_is_integer(id))
		snprintf(key, sizeof(key), "n:%lld", (long long)json_integer_value(id));
	else
		snprintf(key, sizeof(key), "s:%s", json_string_value(id));
	for (size_t i = 0; i < CMD_SEEN; i++)
		if (env->seen[i].id[0] && !strcmp(env->seen[i].id, key) && env->seen[i].time_ms == time_ms)
			return true;
	struct cmd_seen *e = &env->seen[env->seen_next];
	env->seen_next = (env->seen_next + 1) % CMD_SEEN;
	snprintf(e->id, sizeof(e->id), "%s", key);
	e->time_ms = time_ms;
	e->mono_ms = now->mono_ms;
	return false;
}

/* The checks every base command passes before it runs: its id and time
 * (a repeat or a stale one is refused), its name.  NULL = run it. */
static json_t *base_checks(struct cmd_env *env, const char *name, const json_t *req, const json_t *id,
			   const struct vtime *now)
{
	const json_t *t = json_object_get(req, "time");
	int64_t time_ms = 0;
	char why[300], b1[40], b2[40];

	if (!valid_cmd_name(name))
		return reply_err("unknown_command",
				 "bad command name: a command is 1-32 lowercase letters a-z and '_' (docs/mqtt.md)");
	if (t && !(time_ms = parse_cmd_time(t)))
		return reply_err("bad_request", "'time' must be UTC milliseconds or ISO 8601 UTC "
						"like 2026-11-24T21:02:17.053Z");
	if (time_ms && now->utc_src != UTC_SRC_SYSTEM_UNSYNCED &&
	    (time_ms < now->utc_ms - CMD_BASE_WINDOW_MS || time_ms > now->utc_ms + CMD_BASE_WINDOW_MS)) {
		snprintf(why, sizeof(why), "stale: sent at %s, more than %d s from the van's time (%s); "
			 "not carried out (send it again if it still applies)",
			 fmt_utc(time_ms, b1, sizeof(b1)), CMD_BASE_WINDOW_MS / 1000, fmt_utc(now->utc_ms, b2, sizeof(b2)));
		return reply_err("stale", why);
	}
	if (id && seen_before(env, id, time_ms, now))
		return reply_err("already", "a repeat of a command already received (same 'id' and 'time'): "
					    "not carried out again");
	return NULL;
}

void cmd_from_base(void *arg, const char *name, const char *payload, size_t len)
{
	struct cmd_env *env = arg;
	json_t *req = NULL, *r = NULL;
	json_error_t jerr;
	json_t *id = NULL;
	char buf[40];
	struct vtime now;

	clock_now(env->clock, &now);
	if (len > CMD_BASE_MAX_BYTES) {
		r = reply_err("bad_request", "command too large");
	} else if (!(req = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object(req)) {
		char why[200];
		snprintf(why, sizeof(why), "not a JSON object (%s)", req ? "wrong type" : jerr.text);
		r = reply_err("bad_request", why);
	} else {
		json_t *v = json_object_get(req, "v");
		const char *unit = json_string_value(json_object_get(req, "unit"));
		id = json_object_get(req, "id");
		if (id && !(json_is_string(id) && json_string_length(id) <= 64 &&
			    strlen(json_string_value(id)) == json_string_length(id)) && !json_is_integer(id)) {
			id = NULL;
			r = reply_err("bad_request", "'id' must be text (at most 64 bytes) or a whole number");
		} else if (v && !(json_is_integer(v) && json_integer_value(v) == 1)) {
			r = reply_err("bad_request", "unsupported version 'v' (this van speaks 1)");
		} else if (!unit || strcmp(unit, env->conf->unit.id)) {
			r = reply_err("bad_request", "'unit' must name this van");
		} else if (!(r = base_checks(env, name, req, id, &now))) {
			r = cmd_run(env, name, req, VAN_SRC_BASE);
		}
	}
	if (!r)
		r = reply_err("internal", "out of memory");
	json_object_set_new(r, "v", json_integer(1));
	json_object_set_new(r, "unit", json_string(env->conf->unit.id));
	/* the name as it came (MQTT topics are UTF-8), null if too long to echo */
	json_object_set_new(r, "command", strlen(name) <= 64 ? json_string(name) : json_null());
	json_object_set(r, "id", id ? id : json_null());
	clock_now(env->clock, &now);
	json_object_set_new(r, "time", json_string(fmt_utc(now.utc_ms, buf, sizeof(buf))));
	if (!json_is_true(json_object_get(r, "ok")))
		log_warnx("base: rejected command '%.64s': %s", name, json_string_value(json_object_get(r, "reason")));
	else
		log_info("base: command '%s' done", name);
	char *text = json_dumps(r, JSON_COMPACT);
	if (text && uplink_publish_now(env->up, "reply", text, 1, false) < 0)
		log_warnx("base: reply to '%.64s' not sent: link down", name);
	free(text);
	json_decref(r);
	json_decref(req);
}
