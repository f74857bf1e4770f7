/*
 * vbconf.h - vanbase's configuration: one INI file read by the project's
 * table-driven reader (controller/cfg.h), so every problem is reported as
 * FILE:LINE, `vanbase --check-config` reports them all and `--config-doc`
 * prints the reference (docs/escalation.md).
 *
 * Plain keys are in the table.  The people and the escalation are sections
 * of their own, one per thing, kept as entries (section, key, value, line)
 * for the modules that own them to read with FILE:LINE errors:
 *   [fleet]         the vans watched: UNIT = NAME, one line each
 *   [contact.NAME]  a person on call and where they are reached
 *   [channel.NAME]  a way to reach them (webhook, email, command)
 *   [chain.KIND]    the escalation steps for one kind of alarm
 *   [rota]          who is on call when
 *   [test_rota]     who is on call for drills (the test roster)
 */
#ifndef VB_CONF_H
#define VB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cfg.h"
#include "mqttlink.h"

#define VBCONF_DEFAULT_PATH "/etc/vanbase/vanbase.conf"

struct vbconf_entry {
	char *section;   /* "contact.sam", "rota", ... */
	char *key;
	char *value;
	int line;
};

struct vbconf {
	struct {
		char *name;              /* shown in notifications: "Northside outreach base" */
		char *timezone;          /* the rota's local time (TZ name); NULL = the system's */
	} base;
	struct {
		struct mqttlink_conf link;
		char *van_prefix;        /* the vans' first topic level (their mqtt.prefix) */
		char *prefix;            /* vanbase's own topics: PREFIX/availability, PREFIX/alarms, ... */
		int heartbeat_s;         /* the alarm list again this often (a console's proof of life) */
	} mqtt;
	struct {
		char *db;
		int retention_days;
	} storage;
	struct {
		char *socket;
		char *group;
	} control;
	struct {
		char *url;               /* the base console, for links in notifications */
	} console;
	struct {
		int due_grace_s;         /* a van's due time this far past on base's clock: overdue */
		int silent_after_s;      /* no message from a van in a session this long: silent */
		int settle_s;            /* a retained state is judged after this (clock offset) */
	} rules;

	struct vbconf_entry *entries; /* the [contact.*] [channel.*] [chain.*] [rota] keys, in file order */
	size_t nentries;
	struct cfg_report report;
};

/* Defaults of every key.  Returns 0 or -ENOMEM. */
int vbconf_defaults(struct vbconf *c);
/* Read path into c.  Returns the number of errors this read added. */
int vbconf_load(struct vbconf *c, const char *path);
/* Set one key from the command line, reported as where:. */
int vbconf_set(struct vbconf *c, const char *where, const char *section, const char *key, const char *value);
/* Cross-field checks; returns the number of errors in total. */
int vbconf_check(struct vbconf *c);
/* Append an error / a warning. */
void vbconf_error(struct vbconf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The entries whose section starts with prefix ("contact."), in order:
 * call with i = 0, then the returned index + 1; -1 at the end. */
long vbconf_next(const struct vbconf *c, const char *prefix, long i);
/* "FILE:LINE" of an entry. */
struct cfg_where vbconf_where(const struct vbconf *c, const struct vbconf_entry *e);
void vbconf_print_doc(FILE *out);
void vbconf_fini(struct vbconf *c);

#endif
