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


#include "core/van.h"
#include "mqttlink_keys.h"

#define K(sec, nm, ty, field, mn, mx, df, dc) \
	{ sec, nm, CFG_##ty, offsetof(struct conf, field), mn, mx, 0, NULL, df, dc }
/* a duration kept in minutes (60) or hours (3600): a bare number is in that unit */
#define KU(sec, nm, field, mn, mx, unit, df, dc) \
	{ sec, nm, CFG_DUR, offsetof(struct conf, field), mn, mx, unit, NULL, df, dc }
/* a value that must be one of choices, "a|b|c" */
#define KC(sec, nm, ty, field, choices, df, dc) \
	{ sec, nm, CFG_##ty, offsetof(struct conf, field), 0, 0, 0, choices, df, dc }

/* The one list of every plain key.  docs/config.md is generated from it. */
static const struct cfg_key keys[] = {
	K("unit", "id", STR, unit.id, 0, 0, NULL,
	  "Unit id, used in MQTT topics and records: 1-32 of A-Z a-z 0-9 _ -. Required."),
	K("unit", "name", STR, unit.name, 0, 0, NULL, "Human-readable name shown at base (defaults to the id)."),

	K("gps", "host", STR, gps.host, 0, 0, "localhost", "gpsd host."),
	K("gps", "port", STR, gps.port, 0, 0, "2947", "gpsd port."),
	K("gps", "stale_after", DUR, gps.stale_after_s, 1, 600, "5",
	  "No position report for this long means the fix is lost (never silently reused)."),
	K("gps", "reconnect_max", DUR, gps.reconnect_max_s, 1, 3600, "30",
	  "Longest wait between attempts to reach gpsd (backoff doubles from 1 s)."),
	K("gps", "replay_file", STR, gps.replay_file, 0, 0, NULL,
	  "Play this recorded NMEA file (RMC and GGA) instead of reading gpsd: demos, tests, benchmarks. Never in a van."),
	K("gps", "replay_exit", DUR, gps.replay_exit_s, 0, 86400, "0",
	  "With replay_file: stop the daemon this long after the last replayed fix (0 = keep running)."),

	K("track", "min_period", DUR, track.min_period_s, 0, 3600, "5",
	  "Store a route point at most this often while moving."),
	K("track", "min_distance", DBL, track.min_distance_m, 0, 10000, "10",
	  "Store a point only when the van has moved at least this far (m) from the last stored one..."),
	K("track", "min_heading", DBL, track.min_heading_deg, 0, 180, "15",
	  "...or turned by at least this many degrees (keeps corners in the route)."),
	K("track", "stationary_speed", DBL, track.stationary_speed_mps, 0, 10, "1.0",
	  "Below this speed (m/s) the van counts as stationary."),
	K("track", "stationary_period", DUR, track.stationary_period_s, 1, 86400, "120",
	  "While stationary, store a point at most this often (a parked van writes little)."),
	K("track", "max_eph", DBL, track.max_eph_m, 1, 10000, "50",
	  "Reject fixes whose horizontal error estimate (m) is worse than this."),
	K("track", "max_speed", DBL, track.max_speed_mps, 1, 1000, "70",
	  "Reject fixes implying a speed (m/s) above this from the last kept point: GPS jumps."),
	K("track", "flush_interval", DUR, track.flush_interval_s, 1, 300, "30",
	  "Route points are committed to the database at least this often (the most a power cut can lose; each commit costs about 16 KiB of writes on an SD card, so not much more often)."),

	K("mqtt", "enabled", BOOL, mqtt.enabled, 0, 0, "true", "Connect to the base broker."),
	MQTTLINK_CFG_KEYS(struct conf, mqtt.link),
	K("mqtt", "prefix", STR, mqtt.prefix, 0, 0, "vanctld", "First topic level: topics are PREFIX/UNIT/..."),
	K("mqtt", "location_interval", DUR, mqtt.location_interval_s, 1, 3600, "10",
	  "Send the live location to base at most this often."),
	K("mqtt", "emergency_location_interval", DUR, mqtt.emergency_location_interval_s, 1, 60, "1",
	  "Location rate while an emergency is active."),
	K("mqtt", "state_interval", DUR, mqtt.state_interval_s, 5, 3600, "60",
	  "Republish the retained state snapshot at least this often."),
	K("mqtt", "location_expiry", DUR, mqtt.location_expiry_s, 0, 86400, "300",
	  "MQTT 5 message expiry of live location messages (0 = never)."),
	K("mqtt", "backlog_location_keep", DUR, mqtt.backlog_location_keep_s, 0, 3600, "60",
	  "Location backlog built up while offline is thinned to one message per this period (0 = keep all). Events are never thinned."),
	K("mqtt", "homeassistant", BOOL, mqtt.homeassistant, 0, 0, "false", "Publish Home Assistant MQTT discovery."),
	K("mqtt", "homeassistant_prefix", STR, mqtt.homeassistant_prefix, 0, 0, "homeassistant", "Home Assistant discovery prefix."),
	K("mqtt", "owntracks", BOOL, mqtt.owntracks, 0, 0, "false", "Also publish OwnTracks-format location (owntracks/UNIT/van)."),

	K("storage", "db", STR, storage.db, 0, 0, "/var/lib/vanctld/vanctld.db", "SQLite database file (created mode 0600)."),
	K("storage", "retention_days", INT, storage.retention_days, 1, 3650, "90",
	  "Route detail older than this is purged daily."),

	K("control", "socket", STR, control.socket, 0, 0, "/run/vanctld/control.sock", "Control socket for vanctl and the display."),
	K("control", "group", STR, control.group, 0, 0, NULL, "Group allowed to use the control socket (mode 0660); default: the daemon's group."),

	K("occupancy", "capacity", INT, occ.capacity, 1, 50, "6", "Most service users the van may hold."),
	K("occupancy", "per_crew", INT, occ.per_crew, 1, 50, "3",
	  "Most service users per crew member on board. Limit = min(capacity, per_crew x crew)."),
	K("occupancy", "door_window", DUR, occ.door_window_s, 0, 600, "10",
	  "Beam crossings count while a door is open and this long after it closes."),
	K("occupancy", "beam_gap_max_ms", INT, occ.beam_gap_max_ms, 50, 10000, "1500",
	  "A crossing's second beam must follow the first within this many ms."),
	K("occupancy", "beam_stuck", DUR, occ.beam_stuck_s, 10, 3600, "120",
	  "A beam broken this long is reported as a fault and ignored until it clears."),
	K("occupancy", "mute", DUR, occ.mute_s, 1, 3600, "300", "How long the crew's mute silences the over-limit buzzer."),

	KU("session", "default_length", session.default_length_min, 10, 1440, 60, "4h",
	  "Planned session length when none is given at start."),
	KU("session", "checkin_interval", session.checkin_interval_min, 1, 1440, 60, "60m", "Check in with base this often."),
	KU("session", "checkin_interval_lone", session.checkin_interval_lone_min, 1, 1440, 60, "30m", "Check-in interval when lone working."),
	KU("session", "checkin_interval_risk", session.checkin_interval_risk_min, 1, 1440, 60, "20m",
	  "Check-in interval while risk is higher (one crew member on board with service users aboard)."),
	K("session", "checkin_reminder", DUR, session.checkin_reminder_s, 0, 3600, "5m", "Remind the crew this long before a check-in is due."),
	K("session", "checkin_grace", DUR, session.checkin_grace_s, 0, 3600, "5m",
	  "A missed check-in warns the crew at once and alerts base after this grace."),
	KU("session", "overdue_grace", session.overdue_grace_min, 0, 1440, 60, "15m",
	  "The session is overdue when planned end + this has passed without it ending."),
	KU("session", "overdue_repeat", session.overdue_repeat_min, 1, 1440, 60, "10m", "Repeat overdue alerts to base this often until resolved."),
	K("session", "stop_speed", DBL, session.stop_speed_mps, 0.1, 10, "1.0", "Below this speed (m/s) the van may be stopped."),
	K("session", "stop_after", DUR, session.stop_after_s, 5, 3600, "60", "Stationary this long starts a stop."),
	K("session", "door_moving_speed", DBL, session.door_moving_speed_mps, 0.1, 50, "2.0",
	  "Warn when a door is open while the van moves faster than this (m/s)."),
	K("session", "incident_types", STR, session.incident_types, 0, 0, "aggression,medical,police,vehicle,threat,other",
	  "Incident categories the crew can choose (comma-separated; at most 32, each at most 31 characters)."),
	K("session", "plans_dir", STR, session.plans_dir, 0, 0, "/etc/vanctld/plans", "Folder of route plans."),
	K("session", "button_plan", STR, session.button_plan, 0, 0, NULL,
	  "The plan (in plans_dir) that a session started with the session button follows; none if unset."),
	K("session", "base_may_start", BOOL, session.base_may_start, 0, 0, "false", "Allow base to start and end sessions by command."),

	K("alarm", "repeat", DUR, alarm.repeat_s, 5, 3600, "30", "Re-send an emergency to base this often until acknowledged."),
	KU("alarm", "selftest_interval", alarm.selftest_interval_h, 0, 8760, 3600, "0",
	  "Run an end-to-end panic self-test this often (0 = only on demand)."),
	K("alarm", "selftest_timeout", DUR, alarm.selftest_timeout_s, 5, 3600, "60", "A self-test not acknowledged within this has failed."),
	KC("alarm", "cue", STR, alarm.cue, "alarm|light|none", "alarm",
	  "What the van shows when a (not covert) panic is sent: alarm (buzzer and alarm light until base acknowledges, then the light blinks), light (the alarm light only), none. Covert panics never show anything."),
	K("alarm", "duress_code", STR, alarm.duress_code, 0, 0, NULL,
	  "Answer that, given at check-in or session end, looks normal but raises a covert emergency (the crew's agreed exit word; at most 64 bytes)."),

	K("health", "interval", DUR, health.interval_s, 0, 3600, "10",
	  "Read the computer's own health (under-voltage, throttling, temperature) this often; into the state and the session's debrief (0 = off)."),
	K("health", "throttled_file", STR, health.throttled_file, 0, 0, "/sys/devices/platform/soc/soc:firmware/get_throttled",
	  "The Raspberry Pi firmware's throttling flags (hexadecimal, as vcgencmd get_throttled). Absent on other boards: not an error."),
	K("health", "temp_file", STR, health.temp_file, 0, 0, "/sys/class/thermal/thermal_zone0/temp",
	  "The SoC temperature in millidegrees Celsius. Absent: not an error."),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* [gpio] and [line.NAME]: read by hw/gpio.c's own parser */
static bool gpio_section(const char *s)
{
	return !strcmp(s, "gpio") || !strncmp(s, "line.", 5);
}

static void gpio_header(void *ctx, struct cfg_report *r, const char *section, int lineno)
{
	struct conf *c = ctx;
	char err[256];

	/* the line exists from its header: checks name this line */
	if (!strncmp(section, "line.", 5) && section[5] &&
	    gpio_conf_line_section(&c->gpio, section + 5, lineno, err, sizeof(err)) < 0)
		cfg_error(r, "%s:%d: [%s] %s", r->path, lineno, section, err);
}

static void gpio_key(void *ctx, struct cfg_report *r, const char *section, const char *name,
		     const char *value, int lineno)
{
	struct conf *c = ctx;
	char buf[512];

	if (!strcmp(section, "gpio")) {
		if (gpio_conf_key(&c->gpio, name, value, buf, sizeof(buf)) < 0)
			cfg_error(r, "%s:%d: gpio.%s", r->path, lineno, buf);
	} else if (!section[5]) {
		cfg_error(r, "%s:%d: [line.NAME] needs a NAME", r->path, lineno);
	} else if (gpio_conf_line_key(&c->gpio, section + 5, name, value, lineno, buf, sizeof(buf)) < 0) {
		cfg_error(r, "%s:%d: [%s] %s", r->path, lineno, section, buf);
	}
}

static const struct cfg_table table = {
	.keys = keys,
	.nkeys = NKEYS,
	.other_section = gpio_section,
	.on_header = gpio_header,
	.on_key = gpio_key,
};

void conf_error(struct conf *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfg_verror(&c->report, fmt, ap);
	va_end(ap);
}

void conf_warn(struct conf *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfg_vwarn(&c->report, fmt, ap);
	va_end(ap);
}

int conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	return cfg_defaults(&table, c, &c->report);
}

int conf_load(struct conf *c, const char *path)
{
	return cfg_load(&table, c, &c->report, path, c);
}

int conf_set(struct conf *c, const char *where, const char *section, const char *key, const char *value)
{
	return cfg_set(&table, c, &c->report, where, section, key, value);
}
static void gpio_report(void *ctx, int lineno, const char *msg)
{
	struct conf *c = ctx;
	if (lineno > 0)
		conf_error(c, "%s:%d: %s", c->report.path ? c->report.path : "(config)", lineno, msg);
	else
		conf_error(c, "%s: %s", c->report.path ? c->report.path : "(config)", msg);
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

static struct cfg_where where_of(const struct conf *c, const char *section, const char *key)
{
	return cfg_where(&table, &c->report, section, key);
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
	conf_error(c, "%s: internal: the core's %s %s", c->report.path ? c->report.path : "(config)", field, why);
}

size_t conf_nkeys(void)
{
	return NKEYS;
}

bool conf_key_range(size_t i, const char **section, const char **name, double *min, double *max)
{
	return cfg_key_range(&table, i, section, name, min, max);
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
	if ((c->mqtt.link.tls_cert_file == NULL) != (c->mqtt.link.tls_key_file == NULL))
		conf_error(c, "%s: mqtt.tls_cert_file and mqtt.tls_key_file go together", AT("mqtt", c->mqtt.link.tls_cert_file ? "tls_cert_file" : "tls_key_file"));
	if (c->mqtt.link.password_file && !c->mqtt.link.username)
		conf_error(c, "%s: mqtt.password_file is set but mqtt.username is not", AT("mqtt", "password_file"));
	if (c->session.checkin_interval_lone_min > c->session.checkin_interval_min)
		conf_error(c, "%s: session.checkin_interval_lone (%d min) should not be longer than checkin_interval (%d min)",
			   AT("session", "checkin_interval_lone"), c->session.checkin_interval_lone_min, c->session.checkin_interval_min);
	if (c->session.checkin_reminder_s >= c->session.checkin_interval_risk_min * 60)
		conf_error(c, "%s: session.checkin_reminder must be shorter than every check-in interval", AT("session", "checkin_reminder"));
	if (c->track.stationary_speed_mps >= c->track.max_speed_mps)
		conf_error(c, "%s: track.stationary_speed must be below track.max_speed", AT("track", "stationary_speed"));
	if (c->mqtt.link.password_file) {
		struct stat st;
		if (stat(c->mqtt.link.password_file, &st) < 0) {
			/* a warning: the example is checked before the file is made,
			 * and whoever checks may not be the daemon's user */
			if (errno == ENOENT)
				conf_warn(c, "%s: mqtt.password_file %s does not exist (the daemon cannot connect "
					  "to the broker without it)", AT("mqtt", "password_file"), c->mqtt.link.password_file);
		} else if (st.st_mode & (S_IROTH | S_IWOTH)) {
			conf_warn(c, "%s: mqtt.password_file %s is %s by everyone (mode %04o); "
				  "chmod o-rw %s (the broker password is in it)", AT("mqtt", "password_file"),
				  c->mqtt.link.password_file, st.st_mode & S_IWOTH ? "writable" : "readable",
				  (unsigned)(st.st_mode & 07777), c->mqtt.link.password_file);
		}
	}
#undef AT
	/* what the core (van_new) would refuse, at the key's line */
	struct van_params vp;
	conf_van_params(c, &vp);
	van_params_check_each(&vp, core_refuses, c);
	gpio_conf_check(&c->gpio, gpio_report, c);
	return (int)c->report.nerrors;
}

void conf_print_doc(FILE *out)
{
	cfg_print_doc(&table, out, "vanctld --config-doc");
}

void conf_fini(struct conf *c)
{
	if (!c)
		return;
	cfg_free(&table, c, &c->report);
	gpio_conf_fini(&c->gpio);
	memset(c, 0, sizeof(*c));
}
