/*
 * conf.h - vanctld configuration: one INI file, parsed by inih, checked
 * against a table of keys (type, range, default, documentation).
 *
 * Every problem is collected as "FILE:LINE: what is wrong" and parsing goes
 * on, so one run of `vanctld --check-config` reports them all.  A second pass
 * (conf_check) does cross-field checks.  docs/config.md is generated from the
 * same table (`vanctld --config-doc`), so the two cannot drift apart.
 */
#ifndef VAN_CONF_H
#define VAN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "mqttlink.h"
#include "hw/gpio.h"

#define CONF_DEFAULT_PATH "/etc/vanctld/vanctld.conf"

struct conf_unit {
	char *id;             /* unit id: topic component, [A-Za-z0-9_-]{1,32} */
	char *name;           /* human name shown at base */
};

struct conf_gps {
	char *host;
	char *port;
	int stale_after_s;    /* no report for this long = fix lost */
	int reconnect_max_s;  /* backoff ceiling */
	char *replay_file;    /* play a recorded NMEA track instead of gpsd */
	int replay_exit_s;    /* stop this long after the last replayed fix; 0 = run on */
};

struct conf_track {          /* route acquisition filter, see core/track.h */
	int min_period_s;
	double min_distance_m;
	double min_heading_deg;
	double stationary_speed_mps;
	int stationary_period_s;
	double max_eph_m;
	double max_speed_mps;
	int flush_interval_s;  /* route points are committed at least this often */
};

struct conf_mqtt {
	bool enabled;
	struct mqttlink_conf link; /* the connection: mqttlink.h */
	char *prefix;
	int location_interval_s;
	int emergency_location_interval_s;
	int state_interval_s;
	int location_expiry_s; /* MQTT 5 message expiry of location messages */
	int backlog_location_keep_s; /* offline location backlog thinned to 1 per N s */
	bool homeassistant;
	char *homeassistant_prefix;
	bool owntracks;
};

struct conf_storage {
	char *db;
	int retention_days;
};

struct conf_control {
	char *socket;
	char *group;
};

struct conf_occupancy {
	int capacity;
	int per_crew;
	int door_window_s;      /* beams count for this long after doors close */
	int beam_gap_max_ms;    /* outer->inner must follow within this */
	int beam_stuck_s;       /* a beam broken this long is a fault */
	int mute_s;             /* crew mute of the over-limit buzzer */
};

struct conf_session {
	int default_length_min;
	int checkin_interval_min;
	int checkin_interval_lone_min;
	int checkin_interval_risk_min;
	int checkin_reminder_s;
	int checkin_grace_s;
	int overdue_grace_min;
	int overdue_repeat_min;
	double stop_speed_mps;
	int stop_after_s;
	double door_moving_speed_mps;
	char *incident_types;   /* comma-separated list */
	char *plans_dir;
	char *button_plan;      /* plan a session started by the button follows */
	bool base_may_start;
};

struct conf_alarm {
	int repeat_s;           /* re-send to base until acknowledged */
	int selftest_interval_h;/* 0 = off */
	int selftest_timeout_s;
	char *duress_code;      /* check-in/end code that raises a covert emergency */
	char *cue;              /* "alarm", "light" or "none": the van's cue for a visible panic */
};

struct conf_health {
	char *throttled_file;   /* the Raspberry Pi firmware's get_throttled flags */
	char *temp_file;        /* a thermal zone, millidegrees Celsius */
	int interval_s;         /* 0 = not read */
};

struct conf {
	char *path;
	struct conf_unit unit;
	struct conf_gps gps;
	struct conf_track track;
	struct conf_mqtt mqtt;
	struct conf_storage storage;
	struct conf_control control;
	struct conf_occupancy occ;
	struct conf_session session;
	struct conf_alarm alarm;
	struct conf_health health;
	struct gpio_conf gpio;  /* [gpio] and [line.NAME] sections, see hw/gpio.h */

	/* what reading found: errors and warnings as "FILE:LINE: message", and
	 * the line where each key was set (see cfg.h) */
	struct cfg_report report;
};

/* Fill c with the defaults of every key (no file read). Returns 0 or -ENOMEM. */
int conf_defaults(struct conf *c);

/* Read FILE into c (which must hold defaults).  Problems are appended to
 * c->report.errors as "FILE:LINE: message".  Returns the number of errors (0 = ok),
 * or -ENOMEM. */
int conf_load(struct conf *c, const char *path);

/* Cross-field checks after load and overrides; appends errors.  Returns the
 * number of errors found in total. */
int conf_check(struct conf *c);

/* Set one key by section/name from a string (used for command-line
 * overrides), as if it stood at where:0.  Returns 0 or -1 (error appended). */
int conf_set(struct conf *c, const char *where, const char *section,
	     const char *key, const char *value);

/* Append an error, printf-style.  Control bytes in the message (from the
 * file) are escaped as \xNN. */
void conf_error(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a warning (the file is accepted), printf-style. */
void conf_warn(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct van_params;
/* The core's parameters (core/van.h) from c.  conf_check() runs the core's
 * own check on them, so what it accepts van_new() accepts. */
void conf_van_params(const struct conf *c, struct van_params *p);

/* Key i of the table (0 <= i < conf_nkeys()): if it has a numeric range,
 * its section, name and bounds (as a bare number in the file: the key's own
 * unit) and true. */
size_t conf_nkeys(void);
bool conf_key_range(size_t i, const char **section, const char **name, double *min, double *max);

/* Print the documentation table of all keys as Markdown. */
void conf_print_doc(FILE *out);

/* Free everything c owns (not c itself).  Accepts a zeroed struct. */
void conf_fini(struct conf *c);

#endif
