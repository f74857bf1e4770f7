/*
 * conf.c - configuration: a table of keys, inih for the syntax, every error
 * as FILE:LINE: message.  See conf.h.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "core/van.h"

enum conf_type { T_STR, T_INT, T_DBL, T_BOOL, T_DUR };

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t off;          /* offset in struct conf */
	double min, max;     /* numeric bounds (inclusive) */
	const char *def;     /* default, as text (NULL = none) */
	const char *doc;
};

#define K(sec, nm, ty, field, mn, mx, df, dc) \
	{ sec, nm, ty, offsetof(struct conf, field), mn, mx, df, dc }

/* The one list of every plain key.  docs/config.md is generated from it. */
static const struct conf_key keys[] = {
	K("unit", "id", T_STR, unit.id, 0, 0, NULL,
	  "Unit id, used in MQTT topics and records: 1-32 of A-Z a-z 0-9 _ -. Required."),
	K("unit", "name", T_STR, unit.name, 0, 0, NULL, "Human-readable name shown at base (defaults to the id)."),

	K("gps", "host", T_STR, gps.host, 0, 0, "localhost", "gpsd host."),
	K("gps", "port", T_STR, gps.port, 0, 0, "2947", "gpsd port."),
	K("gps", "stale_after", T_DUR, gps.stale_after_s, 1, 600, "5",
	  "No position report for this long means the fix is lost (never silently reused)."),
	K("gps", "reconnect_max", T_DUR, gps.reconnect_max_s, 1, 3600, "30",
	  "Longest wait between attempts to reach gpsd (backoff doubles from 1 s)."),
	K("gps", "replay_file", T_STR, gps.replay_file, 0, 0, NULL,
	  "Play this recorded NMEA file (RMC and GGA) instead of reading gpsd: demos, tests, benchmarks. Never in a van."),
	K("gps", "replay_exit", T_DUR, gps.replay_exit_s, 0, 86400, "0",
	  "With replay_file: stop the daemon this long after the last replayed fix (0 = keep running)."),

	K("track", "min_period", T_DUR, track.min_period_s, 0, 3600, "5",
	  "Store a route point at most this often while moving."),
	K("track", "min_distance", T_DBL, track.min_distance_m, 0, 10000, "10",
	  "Store a point only when the van has moved at least this far (m) from the last stored one..."),
	K("track", "min_heading", T_DBL, track.min_heading_deg, 0, 180, "15",
	  "...or turned by at least this many degrees (keeps corners in the route)."),
	K("track", "stationary_speed", T_DBL, track.stationary_speed_mps, 0, 10, "1.0",
	  "Below this speed (m/s) the van counts as stationary."),
	K("track", "stationary_period", T_DUR, track.stationary_period_s, 1, 86400, "120",
	  "While stationary, store a point at most this often (a parked van writes little)."),
	K("track", "max_eph", T_DBL, track.max_eph_m, 1, 10000, "50",
	  "Reject fixes whose horizontal error estimate (m) is worse than this."),
	K("track", "max_speed", T_DBL, track.max_speed_mps, 1, 1000, "70",
	  "Reject fixes implying a speed (m/s) above this from the last kept point: GPS jumps."),
	K("track", "flush_interval", T_DUR, track.flush_interval_s, 1, 300, "30",
	  "Route points are committed to the database at least this often (the most a power cut can lose; each commit costs about 16 KiB of writes on an SD card, so not much more often)."),

	K("mqtt", "enabled", T_BOOL, mqtt.enabled, 0, 0, "true", "Connect to the base broker."),
	K("mqtt", "host", T_STR, mqtt.host, 0, 0, "localhost", "Broker host."),
	K("mqtt", "port", T_INT, mqtt.port, 1, 65535, "1883", "Broker port (8883 is usual with TLS)."),
	K("mqtt", "prefix", T_STR, mqtt.prefix, 0, 0, "vanctld", "First topic level: topics are PREFIX/UNIT/..."),
	K("mqtt", "client_id", T_STR, mqtt.client_id, 0, 0, NULL, "MQTT client id (default: vanctld-UNIT)."),
	K("mqtt", "username", T_STR, mqtt.username, 0, 0, NULL, "Broker user name (per van)."),
	K("mqtt", "password_file", T_STR, mqtt.password_file, 0, 0, NULL,
	  "File holding the broker password (first line); kept out of the main config."),
	K("mqtt", "tls_ca_file", T_STR, mqtt.tls_ca_file, 0, 0, NULL, "CA certificate file; setting it turns TLS on."),
	K("mqtt", "tls_cert_file", T_STR, mqtt.tls_cert_file, 0, 0, NULL, "Client certificate (optional, with tls_key_file)."),
	K("mqtt", "tls_key_file", T_STR, mqtt.tls_key_file, 0, 0, NULL, "Client private key."),
	K("mqtt", "tls_insecure", T_BOOL, mqtt.tls_insecure, 0, 0, "false",
	  "Skip the broker host name check (testing only)."),
	K("mqtt", "keepalive", T_DUR, mqtt.keepalive_s, 5, 3600, "30", "MQTT keepalive."),
	K("mqtt", "reconnect_max", T_DUR, mqtt.reconnect_max_s, 1, 3600, "30",
	  "Longest wait between reconnect attempts (backoff doubles from 1 s)."),
	K("mqtt", "protocol", T_INT, mqtt.protocol, 311, 5, "5",
	  "MQTT protocol: 5, or 311 for 3.1.1 (5 falls back to 3.1.1 if the broker refuses it)."),
	K("mqtt", "location_interval", T_DUR, mqtt.location_interval_s, 1, 3600, "10",
	  "Send the live location to base at most this often."),
	K("mqtt", "emergency_location_interval", T_DUR, mqtt.emergency_location_interval_s, 1, 60, "1",
	  "Location rate while an emergency is active."),
	K("mqtt", "state_interval", T_DUR, mqtt.state_interval_s, 5, 3600, "60",
	  "Republish the retained state snapshot at least this often."),
	K("mqtt", "location_expiry", T_DUR, mqtt.location_expiry_s, 0, 86400, "300",
	  "MQTT 5 message expiry of live location messages (0 = never)."),
	K("mqtt", "backlog_location_keep", T_DUR, mqtt.backlog_location_keep_s, 0, 3600, "60",
	  "Location backlog built up while offline is thinned to one message per this period (0 = keep all). Events are never thinned."),
	K("mqtt", "homeassistant", T_BOOL, mqtt.homeassistant, 0, 0, "false", "Publish Home Assistant MQTT discovery."),
	K("mqtt", "homeassistant_prefix", T_STR, mqtt.homeassistant_prefix, 0, 0, "homeassistant", "Home Assistant discovery prefix."),
	K("mqtt", "owntracks", T_BOOL, mqtt.owntracks, 0, 0, "false", "Also publish OwnTracks-format location (owntracks/UNIT/van)."),

	K("storage", "db", T_STR, storage.db, 0, 0, "/var/lib/vanctld/vanctld.db", "SQLite database file (created mode 0600)."),
	K("storage", "retention_days", T_INT, storage.retention_days, 1, 3650, "90",
	  "Route detail older than this is purged daily."),

	K("control", "socket", T_STR, control.socket, 0, 0, "/run/vanctld/control.sock", "Control socket for vanctl and the display."),
	K("control", "group", T_STR, control.group, 0, 0, NULL, "Group allowed to use the control socket (mode 0660); default: the daemon's group."),

	K("occupancy", "capacity", T_INT, occ.capacity, 1, 50, "6", "Most service users the van may hold."),
	K("occupancy", "per_crew", T_INT, occ.per_crew, 1, 50, "3",
	  "Most service users per crew member on board. Limit = min(capacity, per_crew x crew)."),
	K("occupancy", "door_window", T_DUR, occ.door_window_s, 0, 600, "10",
	  "Beam crossings count while a door is open and this long after it closes."),
	K("occupancy", "beam_gap_max_ms", T_INT, occ.beam_gap_max_ms, 50, 10000, "1500",
	  "A crossing's second beam must follow the first within this many ms."),
	K("occupancy", "beam_stuck", T_DUR, occ.beam_stuck_s, 10, 3600, "120",
	  "A beam broken this long is reported as a fault and ignored until it clears."),
	K("occupancy", "mute", T_DUR, occ.mute_s, 1, 3600, "300", "How long the crew's mute silences the over-limit buzzer."),

	K("session", "default_length", T_DUR, session.default_length_min, 10, 1440, "4h",
	  "Planned session length when none is given at start."),
	K("session", "checkin_interval", T_DUR, session.checkin_interval_min, 1, 1440, "60m", "Check in with base this often."),
	K("session", "checkin_interval_lone", T_DUR, session.checkin_interval_lone_min, 1, 1440, "30m", "Check-in interval when lone working."),
	K("session", "checkin_interval_risk", T_DUR, session.checkin_interval_risk_min, 1, 1440, "20m",
	  "Check-in interval while risk is higher (one crew member on board with service users aboard)."),
	K("session", "checkin_reminder", T_DUR, session.checkin_reminder_s, 0, 3600, "5m", "Remind the crew this long before a check-in is due."),
	K("session", "checkin_grace", T_DUR, session.checkin_grace_s, 0, 3600, "5m",
	  "A missed check-in warns the crew at once and alerts base after this grace."),
	K("session", "overdue_grace", T_DUR, session.overdue_grace_min, 0, 1440, "15m",
	  "The session is overdue when planned end + this has passed without it ending."),
	K("session", "overdue_repeat", T_DUR, session.overdue_repeat_min, 1, 1440, "10m", "Repeat overdue alerts to base this often until resolved."),
	K("session", "stop_speed", T_DBL, session.stop_speed_mps, 0.1, 10, "1.0", "Below this speed (m/s) the van may be stopped."),
	K("session", "stop_after", T_DUR, session.stop_after_s, 5, 3600, "60", "Stationary this long starts a stop."),
	K("session", "door_moving_speed", T_DBL, session.door_moving_speed_mps, 0.1, 50, "2.0",
	  "Warn when a door is open while the van moves faster than this (m/s)."),
	K("session", "incident_types", T_STR, session.incident_types, 0, 0, "aggression,medical,police,vehicle,threat,other",
	  "Incident categories the crew can choose (comma-separated; at most 32, each at most 31 characters)."),
	K("session", "plans_dir", T_STR, session.plans_dir, 0, 0, "/etc/vanctld/plans", "Folder of route plans."),
	K("session", "button_plan", T_STR, session.button_plan, 0, 0, NULL,
	  "The plan (in plans_dir) that a session started with the session button follows; none if unset."),
	K("session", "base_may_start", T_BOOL, session.base_may_start, 0, 0, "false", "Allow base to start and end sessions by command."),

	K("alarm", "repeat", T_DUR, alarm.repeat_s, 5, 3600, "30", "Re-send an emergency to base this often until acknowledged."),
	K("alarm", "selftest_interval", T_DUR, alarm.selftest_interval_h, 0, 8760, "0",
	  "Run an end-to-end panic self-test this often (0 = only on demand)."),
	K("alarm", "selftest_timeout", T_DUR, alarm.selftest_timeout_s, 5, 3600, "60", "A self-test not acknowledged within this has failed."),
	K("alarm", "cue", T_STR, alarm.cue, 0, 0, "alarm",
	  "What the van shows when a (not covert) panic is sent: alarm (buzzer and alarm light until base acknowledges, then the light blinks), light (the alarm light only), none. Covert panics never show anything."),
	K("alarm", "duress_code", T_STR, alarm.duress_code, 0, 0, NULL,
	  "Answer that, given at check-in or session end, looks normal but raises a covert emergency (the crew's agreed exit word; at most 64 bytes)."),
};

/* Durations stored in minutes or hours use these field names; everything
 * else T_DUR is seconds.  Keeps the table readable. */
static int dur_unit_s(const struct conf_key *k)
{
	const char *n = k->name;
	if (!strcmp(k->section, "session") &&
	    (!strcmp(n, "default_length") || !strncmp(n, "checkin_interval", 16) ||
	     !strcmp(n, "overdue_grace") || !strcmp(n, "overdue_repeat")))
		return 60;
	if (!strcmp(k->section, "alarm") && !strcmp(n, "selftest_interval"))
		return 3600;
	return 1;
}

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse_ctx {
	struct conf *c;
	const char *path;
	FILE *fp;
	char *line;           /* getline's buffer */
	size_t linecap;
	int lineno;
	bool seen[NKEYS];
};

/* Bytes from the file may be anything: a message never carries a control
 * byte raw (an escape sequence would reach the terminal or the journal). */
static char *escape_controls(char *msg)
{
	size_t n = 0;
	for (const char *s = msg; *s; s++)
		n += ((unsigned char)*s < 0x20 || *s == 0x7f) ? 4 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out) {
		for (char *s = msg; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				*s = '?';
		return msg;
	}
	for (const char *s = msg; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			o += sprintf(o, "\\x%02x", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o = '\0';
	free(msg);
	return out;
}

static void add_msg(char ***list, size_t *count, const char *fmt, va_list ap)
{
	char *msg = NULL;
	char **n;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!msg)
		return;
	msg = escape_controls(msg);
	n = realloc(*list, (*count + 1) * sizeof(*n));
	if (!n) {
		free(msg);
		return;
	}
	*list = n;
	(*list)[(*count)++] = msg;
}

void conf_error(struct conf *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_msg(&c->errors, &c->nerrors, fmt, ap);
	va_end(ap);
}

void conf_warn(struct conf *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_msg(&c->warnings, &c->nwarnings, fmt, ap);
	va_end(ap);
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *t[] = { "true", "yes", "on", "1" }, *f[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, t[i])) { *out = true; return true; }
		if (!strcasecmp(v, f[i])) { *out = false; return true; }
	}
	return false;
}

/* "90", "90s", "5m", "2h", "1d" -> seconds.  false on garbage. */
static bool parse_duration_s(const char *v, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || errno || !isfinite(x))
		return false;
	while (isspace((unsigned char)*end))
		end++;
	if (!*end || !strcmp(end, "s")) ;
	else if (!strcmp(end, "ms")) x /= 1000.0;
	else if (!strcmp(end, "m") || !strcmp(end, "min")) x *= 60;
	else if (!strcmp(end, "h")) x *= 3600;
	else if (!strcmp(end, "d")) x *= 86400;
	else return false;
	*out = x;
	return true;
}

static const char *type_name(enum conf_type t)
{
	switch (t) {
	case T_STR: return "string";
	case T_INT: return "integer";
	case T_DBL: return "number";
	case T_BOOL: return "boolean";
	case T_DUR: return "duration";
	}
	return "?";
}

/* Store value into key k.  Returns NULL or a static/explanatory message in buf. */
static const char *set_key(struct conf *c, const struct conf_key *k, const char *v,
			   char *buf, size_t buflen)
{
	void *p = (char *)c + k->off;

	switch (k->type) {
	case T_STR: {
		char *s = strdup(v);
		if (!s)
			return "out of memory";
		free(*(char **)p);
		*(char **)p = s;
		return NULL;
	}
	case T_BOOL:
		if (!parse_bool(v, (bool *)p)) {
			snprintf(buf, buflen, "%s.%s: '%s' is not a boolean (use true or false)", k->section, k->name, v);
			return buf;
		}
		return NULL;
	case T_INT:
	case T_DBL: {
		char *end;
		double x;
		errno = 0;
		x = strtod(v, &end);
		while (*end && isspace((unsigned char)*end))
			end++;
		if (end == v || *end || errno || !isfinite(x) ||
		    (k->type == T_INT && x != floor(x))) {
			snprintf(buf, buflen, "%s.%s: '%s' is not %s", k->section, k->name, v,
				 k->type == T_INT ? "a whole number" : "a number");
			return buf;
		}
		if (k->type == T_INT && !strcmp(k->section, "mqtt") && !strcmp(k->name, "protocol")) {
			if (x != 5 && x != 311) {
				snprintf(buf, buflen, "mqtt.protocol: %s is not 5 or 311", v);
				return buf;
			}
		} else if (x < k->min || x > k->max) {
			snprintf(buf, buflen, "%s.%s: %s is out of range (%g to %g)", k->section, k->name, v, k->min, k->max);
			return buf;
		}
		if (k->type == T_INT)
			*(int *)p = (int)x;
		else
			*(double *)p = x;
		return NULL;
	}
	case T_DUR: {
		double s;
		int unit = dur_unit_s(k);
		if (!parse_duration_s(v, &s) || s < 0) {
			snprintf(buf, buflen, "%s.%s: '%s' is not a duration (e.g. 90s, 5m, 2h)", k->section, k->name, v);
			return buf;
		}
		/* bare numbers are in the key's own unit */
		char *end;
		strtod(v, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (!*end)
			s *= unit;
		double val = s / unit;
		if (k->max > 0 && (val < k->min || val > k->max)) {
			if (unit == 1)
				snprintf(buf, buflen, "%s.%s: %s is out of range (%gs to %gs)", k->section, k->name, v,
					 k->min, k->max);
			else
				snprintf(buf, buflen, "%s.%s: %s is out of range (%g to %g %s)", k->section, k->name, v,
					 k->min, k->max, unit == 60 ? "minutes" : "hours");
			return buf;
		}
		if (val > INT_MAX) {
			snprintf(buf, buflen, "%s.%s: %s is too long", k->section, k->name, v);
			return buf;
		}
		if (val != floor(val)) {
			snprintf(buf, buflen, "%s.%s: %s is not a whole number of %s", k->section, k->name, v,
				 unit == 1 ? "seconds" : unit == 60 ? "minutes" : "hours");
			return buf;
		}
		*(int *)p = (int)val;
		return NULL;
	}
	}
	return "internal error: bad key type";
}

static const struct conf_key *find_key(const char *section, const char *name, size_t *idx)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
			if (idx)
				*idx = i;
			return &keys[i];
		}
	return NULL;
}

static bool known_section(const char *s)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, s))
			return true;
	return !strcmp(s, "gpio") || !strncmp(s, "line.", 5);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *px = user;
	struct conf *c = px->c;
	char buf[512];
	const char *err;
	size_t idx;

	if (!name) /* a section header alone (inih calls with name NULL when INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (!*section) {
		conf_error(c, "%s:%d: '%s' is outside any [section]", px->path, px->lineno, name);
		return 1;
	}
	if (!strcmp(section, "gpio")) {
		if (gpio_conf_key(&c->gpio, name, value, buf, sizeof(buf)) < 0)
			conf_error(c, "%s:%d: gpio.%s", px->path, px->lineno, buf);
		return 1;
	}
	if (!strncmp(section, "line.", 5)) {
		if (!section[5])
			conf_error(c, "%s:%d: [line.NAME] needs a NAME", px->path, px->lineno);
		else if (gpio_conf_line_key(&c->gpio, section + 5, name, value, px->lineno, buf, sizeof(buf)) < 0)
			conf_error(c, "%s:%d: [%s] %s", px->path, px->lineno, section, buf);
		return 1;
	}
	if (!known_section(section))
		return 1; /* reported once, at its header, by reader() */
	const struct conf_key *k = find_key(section, name, &idx);
	if (!k) {
		conf_error(c, "%s:%d: unknown key '%s' in [%s]", px->path, px->lineno, name, section);
		return 1;
	}
	if (px->seen[idx])
		conf_error(c, "%s:%d: %s.%s is set twice", px->path, px->lineno, section, name);
	px->seen[idx] = true;
	if (c->key_lines)
		c->key_lines[idx] = px->lineno;
	if (!*value && k->type != T_STR) {
		conf_error(c, "%s:%d: %s.%s has no value", px->path, px->lineno, section, name);
		return 1;
	}
	err = set_key(c, k, value, buf, sizeof(buf));
	if (err)
		conf_error(c, "%s:%d: %s", px->path, px->lineno, err);
	return 1;
}

/* inih's reader: we read each physical line whole (getline: any length,
 * NUL bytes included), count lines here (the handler runs right after a line
 * is read) and report every syntax error ourselves, not only the first.
 * inih gets at most num - 1 bytes of a line; what does not fit never becomes
 * a line of its own: a long comment is cut (it is a comment), a long key line
 * is one error at its own line and inih sees a blank line instead. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *px = stream;
	ssize_t got = getline(&px->line, &px->linecap, px->fp);
	char *s = px->line;
	const char *p;

	if (got < 0)
		return NULL;
	px->lineno++;
	size_t len = (size_t)got;
	if (px->lineno == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;               /* a UTF-8 byte-order mark: editors on Windows write one */
		len -= 3;
	}
	size_t body = len;            /* without the line end */
	while (body && (s[body - 1] == '\n' || s[body - 1] == '\r'))
		body--;
	const char *nul = memchr(s, '\0', body);
	if (nul) {
		conf_error(px->c, "%s:%d: a NUL byte (\\0) at column %zu; the line is ignored (is this a text file?)",
			   px->path, px->lineno, (size_t)(nul - s) + 1);
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	s[body] = '\0';
	for (p = s; isspace((unsigned char)*p); p++)
		;
	size_t room = (size_t)num - 2;   /* the text, its '\n' and the NUL */
	if (!*p || *p == ';' || *p == '#') {
		snprintf(str, (size_t)num, "%.*s\n", (int)(body < room ? body : room), s);
		return str;
	}
	if (body > room) {
		conf_error(px->c, "%s:%d: line too long (%zu characters; at most %zu); the line is ignored",
			   px->path, px->lineno, body, room);
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (!end) {
			conf_error(px->c, "%s:%d: section header without ']'", px->path, px->lineno);
		} else {
			char name[128];
			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			if (!known_section(name)) {
				conf_error(px->c, "%s:%d: unknown section [%s]", px->path, px->lineno, name);
			} else if (!strncmp(name, "line.", 5) && name[5]) {
				/* the line exists from its header: checks name this line */
				char err[256];
				if (gpio_conf_line_section(&px->c->gpio, name + 5, px->lineno, err, sizeof(err)) < 0)
					conf_error(px->c, "%s:%d: [%s] %s", px->path, px->lineno, name, err);
			}
		}
	} else if (!strchr(p, '=') && !strchr(p, ':')) {
		size_t n = strlen(p);
		conf_error(px->c, "%s:%d: expected 'key = value', found '%.*s'", px->path, px->lineno,
			   (int)(n > 60 ? 60 : n), p);
	}
	snprintf(str, (size_t)num, "%s\n", s);
	return str;
}

int conf_defaults(struct conf *c)
{
	char buf[256];

	memset(c, 0, sizeof(*c));
	c->key_lines = calloc(NKEYS, sizeof(*c->key_lines));
	if (!c->key_lines)
		return -ENOMEM;
	for (size_t i = 0; i < NKEYS; i++) {
		if (!keys[i].def)
			continue;
		const char *err = set_key(c, &keys[i], keys[i].def, buf, sizeof(buf));
		if (err) {
			conf_error(c, "internal: default of %s.%s: %s", keys[i].section, keys[i].name, err);
			return -EINVAL;
		}
	}
	return 0;
}

int conf_load(struct conf *c, const char *path)
{
	struct parse_ctx px = { .c = c, .path = path };
	size_t before = c->nerrors;

	free(c->path);
	c->path = strdup(path);
	px.fp = fopen(path, "r");
	if (!px.fp) {
		conf_error(c, "%s: cannot read the config file: %s", path, strerror(errno));
		return (int)(c->nerrors - before);
	}
	/* return value: first line with an error; all are reported already,
	 * except -2 (out of memory) */
	if (ini_parse_stream(reader, &px, handler, &px) == -2)
		conf_error(c, "%s: out of memory while reading", path);
	if (ferror(px.fp))
		conf_error(c, "%s: error reading the config file: %s", path, strerror(errno));
	fclose(px.fp);
	free(px.line);
	return (int)(c->nerrors - before);
}

int conf_set(struct conf *c, const char *where, const char *section, const char *key, const char *value)
{
	char buf[512];
	const struct conf_key *k = find_key(section, key, NULL);
	const char *err;

	if (!k) {
		conf_error(c, "%s: unknown key %s.%s", where, section, key);
		return -1;
	}
	err = set_key(c, k, value, buf, sizeof(buf));
	if (err) {
		conf_error(c, "%s: %s", where, err);
		return -1;
	}
	return 0;
}

static void gpio_report(void *ctx, int lineno, const char *msg)
{
	struct conf *c = ctx;
	if (lineno > 0)
		conf_error(c, "%s:%d: %s", c->path ? c->path : "(config)", lineno, msg);
	else
		conf_error(c, "%s: %s", c->path ? c->path : "(config)", msg);
}

static bool valid_unit_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static bool valid_topic_part(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (*s == '+' || *s == '#' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* Line where section.key was set, 0 if it kept its default. */
static int line_of(const struct conf *c, const char *section, const char *key)
{
	size_t idx;
	return c->key_lines && find_key(section, key, &idx) ? c->key_lines[idx] : 0;
}

/* "FILE:LINE" where section.key was set; only "FILE" when the key is not in
 * the file (a default, or missing): a line number of 0 points nowhere. */
struct where {
	char s[PATH_MAX + 16];
};

static struct where where_of(const struct conf *c, const char *section, const char *key)
{
	struct where w;
	const char *p = c->path ? c->path : "(config)";
	int line = line_of(c, section, key);
	if (line > 0)
		snprintf(w.s, sizeof(w.s), "%s:%d", p, line);
	else
		snprintf(w.s, sizeof(w.s), "%s", p);
	return w;
}

/* ---- the core's parameters: one check for --check-config and the daemon ---- */

void conf_van_params(const struct conf *c, struct van_params *p)
{
	van_params_default(p);
	p->capacity = c->occ.capacity;
	p->per_crew = c->occ.per_crew;
	p->door_window_s = c->occ.door_window_s;
	p->beam_gap_max_ms = c->occ.beam_gap_max_ms;
	p->beam_stuck_s = c->occ.beam_stuck_s;
	p->mute_s = c->occ.mute_s;
	p->beams_need_door = false;
	for (size_t i = 0; i < c->gpio.nlines; i++)
		if (c->gpio.lines[i].role == GPIO_ROLE_DOOR)
			p->beams_need_door = true;
	p->default_length_min = c->session.default_length_min;
	p->checkin_interval_min = c->session.checkin_interval_min;
	p->checkin_interval_lone_min = c->session.checkin_interval_lone_min;
	p->checkin_interval_risk_min = c->session.checkin_interval_risk_min;
	p->checkin_reminder_s = c->session.checkin_reminder_s;
	p->checkin_grace_s = c->session.checkin_grace_s;
	p->overdue_grace_min = c->session.overdue_grace_min;
	p->overdue_repeat_min = c->session.overdue_repeat_min;
	p->stop_speed_mps = c->session.stop_speed_mps;
	p->stop_after_s = c->session.stop_after_s;
	p->door_moving_speed_mps = c->session.door_moving_speed_mps;
	p->incident_types = c->session.incident_types;
	p->repeat_s = c->alarm.repeat_s;
	p->selftest_timeout_s = c->alarm.selftest_timeout_s;
	p->duress_code = c->alarm.duress_code;
	p->location_interval_s = c->mqtt.location_interval_s;
	p->emergency_location_interval_s = c->mqtt.emergency_location_interval_s;
}

/* van_params member -> the key it comes from (conf_van_params above). */
static const struct { const char *field, *section, *key; } param_keys[] = {
	{ "capacity", "occupancy", "capacity" },
	{ "per_crew", "occupancy", "per_crew" },
	{ "door_window_s", "occupancy", "door_window" },
	{ "beam_gap_max_ms", "occupancy", "beam_gap_max_ms" },
	{ "beam_stuck_s", "occupancy", "beam_stuck" },
	{ "mute_s", "occupancy", "mute" },
	{ "default_length_min", "session", "default_length" },
	{ "checkin_interval_min", "session", "checkin_interval" },
	{ "checkin_interval_lone_min", "session", "checkin_interval_lone" },
	{ "checkin_interval_risk_min", "session", "checkin_interval_risk" },
	{ "checkin_reminder_s", "session", "checkin_reminder" },
	{ "checkin_grace_s", "session", "checkin_grace" },
	{ "overdue_grace_min", "session", "overdue_grace" },
	{ "overdue_repeat_min", "session", "overdue_repeat" },
	{ "stop_speed_mps", "session", "stop_speed" },
	{ "stop_after_s", "session", "stop_after" },
	{ "door_moving_speed_mps", "session", "door_moving_speed" },
	{ "incident_types", "session", "incident_types" },
	{ "repeat_s", "alarm", "repeat" },
	{ "selftest_timeout_s", "alarm", "selftest_timeout" },
	{ "duress_code", "alarm", "duress_code" },
	{ "location_interval_s", "mqtt", "location_interval" },
	{ "emergency_location_interval_s", "mqtt", "emergency_location_interval" },
};

static void core_refuses(void *ctx, const char *field, const char *why)
{
	struct conf *c = ctx;
	for (size_t i = 0; i < sizeof(param_keys) / sizeof(param_keys[0]); i++)
		if (!strcmp(param_keys[i].field, field)) {
			conf_error(c, "%s: %s.%s %s", where_of(c, param_keys[i].section, param_keys[i].key).s,
				   param_keys[i].section, param_keys[i].key, why);
			return;
		}
	/* a parameter no key sets: a default of the core itself is wrong */
	conf_error(c, "%s: internal: the core's %s %s", c->path ? c->path : "(config)", field, why);
}

size_t conf_nkeys(void)
{
	return NKEYS;
}

bool conf_key_range(size_t i, const char **section, const char **name, double *min, double *max)
{
	if (i >= NKEYS || (keys[i].type != T_INT && keys[i].type != T_DBL && keys[i].type != T_DUR) ||
	    keys[i].max <= keys[i].min)
		return false;
	*section = keys[i].section;
	*name = keys[i].name;
	/* as a bare number in the file: the key's own unit */
	*min = keys[i].min;
	*max = keys[i].max;
	return true;
}

int conf_check(struct conf *c)
{
#define AT(sec, key) where_of(c, sec, key).s

	if (!c->unit.id)
		conf_error(c, "%s: unit.id is required and is not in the file (for example: [unit] id = van1)", AT("unit", "id"));
	else if (!valid_unit_id(c->unit.id))
		conf_error(c, "%s: unit.id '%s' must be 1-32 characters of A-Z a-z 0-9 _ -", AT("unit", "id"), c->unit.id);
	if (!valid_topic_part(c->mqtt.prefix))
		conf_error(c, "%s: mqtt.prefix '%s' must be 1-64 characters without + # or control characters", AT("mqtt", "prefix"),
			   c->mqtt.prefix);
	if ((c->mqtt.tls_cert_file == NULL) != (c->mqtt.tls_key_file == NULL))
		conf_error(c, "%s: mqtt.tls_cert_file and mqtt.tls_key_file go together", AT("mqtt", c->mqtt.tls_cert_file ? "tls_cert_file" : "tls_key_file"));
	if (c->mqtt.password_file && !c->mqtt.username)
		conf_error(c, "%s: mqtt.password_file is set but mqtt.username is not", AT("mqtt", "password_file"));
	if (c->session.checkin_interval_lone_min > c->session.checkin_interval_min)
		conf_error(c, "%s: session.checkin_interval_lone (%d min) should not be longer than checkin_interval (%d min)",
			   AT("session", "checkin_interval_lone"), c->session.checkin_interval_lone_min, c->session.checkin_interval_min);
	if (c->session.checkin_reminder_s >= c->session.checkin_interval_risk_min * 60)
		conf_error(c, "%s: session.checkin_reminder must be shorter than every check-in interval", AT("session", "checkin_reminder"));
	if (strcmp(c->alarm.cue, "alarm") && strcmp(c->alarm.cue, "light") && strcmp(c->alarm.cue, "none"))
		conf_error(c, "%s: alarm.cue '%s' must be alarm, light or none", AT("alarm", "cue"), c->alarm.cue);
	if (c->track.stationary_speed_mps >= c->track.max_speed_mps)
		conf_error(c, "%s: track.stationary_speed must be below track.max_speed", AT("track", "stationary_speed"));
	if (c->mqtt.password_file) {
		struct stat st;
		if (stat(c->mqtt.password_file, &st) < 0) {
			/* a warning: the example is checked before the file is made,
			 * and whoever checks may not be the daemon's user */
			if (errno == ENOENT)
				conf_warn(c, "%s: mqtt.password_file %s does not exist (the daemon cannot connect "
					  "to the broker without it)", AT("mqtt", "password_file"), c->mqtt.password_file);
		} else if (st.st_mode & (S_IROTH | S_IWOTH)) {
			conf_warn(c, "%s: mqtt.password_file %s is %s by everyone (mode %04o); "
				  "chmod o-rw %s (the broker password is in it)", AT("mqtt", "password_file"),
				  c->mqtt.password_file, st.st_mode & S_IWOTH ? "writable" : "readable",
				  (unsigned)(st.st_mode & 07777), c->mqtt.password_file);
		}
	}
#undef AT
	/* what the core (van_new) would refuse, at the key's line */
	struct van_params vp;
	conf_van_params(c, &vp);
	van_params_check_each(&vp, core_refuses, c);
	gpio_conf_check(&c->gpio, gpio_report, c);
	return (int)c->nerrors;
}

static void print_default(FILE *out, const struct conf_key *k)
{
	if (!k->def) {
		fputs("(none)", out);
		return;
	}
	fprintf(out, "`%s`", k->def);
}

void conf_print_doc(FILE *out)
{
	const char *sec = "";

	fputs("<!-- generated by `vanctld --config-doc`; tests/unit/test_conf.c checks it is current -->\n", out);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &keys[i];
		if (strcmp(sec, k->section)) {
			sec = k->section;
			fprintf(out, "\n### [%s]\n\n| key | type | range | default | meaning |\n|---|---|---|---|---|\n", sec);
		}
		fprintf(out, "| `%s` | %s | ", k->name, type_name(k->type));
		int unit = k->type == T_DUR ? dur_unit_s(k) : 1;
		if ((k->type == T_INT || k->type == T_DBL || k->type == T_DUR) && k->max > k->min)
			fprintf(out, "%g-%g%s", k->min, k->max,
				k->type != T_DUR ? "" : unit == 1 ? " s" : unit == 60 ? " min" : " h");
		else if (!strcmp(k->name, "protocol"))
			fputs("5, 311", out);
		fputs(" | ", out);
		print_default(out, k);
		fprintf(out, " | %s", k->doc);
		if (k->type == T_DUR)
			fprintf(out, " A bare number is in %s.", unit == 1 ? "seconds" : unit == 60 ? "minutes" : "hours");
		fputs(" |\n", out);
	}
}

void conf_fini(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == T_STR) {
			free(*(char **)((char *)c + keys[i].off));
			*(char **)((char *)c + keys[i].off) = NULL;
		}
	for (size_t i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	free(c->errors);
	for (size_t i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	free(c->path);
	free(c->key_lines);
	gpio_conf_fini(&c->gpio);
	memset(c, 0, sizeof(*c));
}
