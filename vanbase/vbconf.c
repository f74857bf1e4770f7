/*
 * vbconf.c - vanbase's configuration table.  See vbconf.h.
 */
#include "vbconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/vb_base.h"
#include "mqttlink_keys.h"

#define K(sec, nm, ty, field, mn, mx, df, dc) \
	{ sec, nm, CFG_##ty, offsetof(struct vbconf, field), mn, mx, 0, NULL, df, dc }

/* The one list of every plain key.  docs/escalation.md is generated from it. */
static const struct cfg_key keys[] = {
	K("base", "name", STR, base.name, 0, 0, "base", "Who is sending: shown in every notification."),
	K("base", "timezone", STR, base.timezone, 0, 0, NULL,
	  "Time zone of the rota (e.g. Europe/London); default: the system's."),

	MQTTLINK_CFG_KEYS(struct vbconf, mqtt.link),
	K("mqtt", "van_prefix", STR, mqtt.van_prefix, 0, 0, "vanctld",
	  "The vans' first topic level (their mqtt.prefix): vanbase watches VAN_PREFIX/+/..."),
	K("mqtt", "prefix", STR, mqtt.prefix, 0, 0, "vanbase",
	  "vanbase's own topics: PREFIX/availability, PREFIX/alarms, PREFIX/cmd/..."),
	K("mqtt", "heartbeat", DUR, mqtt.heartbeat_s, 1, 300, "5",
	  "The alarm list is published again this often, with base's time, as a heartbeat: a console shows "
	  "vanbase as NOT RESPONDING when no fresh list came for 3 of these (a hung vanbase, its connection still open)."),

	K("storage", "db", STR, storage.db, 0, 0, "/var/lib/vanbase/vanbase.db",
	  "SQLite database of alarms, notifications and their audit trail (created mode 0600)."),
	K("storage", "retention_days", INT, storage.retention_days, 1, 3650, "400",
	  "Closed alarms and their notifications older than this are purged daily (a year's figures and a margin)."),

	K("control", "socket", STR, control.socket, 0, 0, "/run/vanbase/control.sock",
	  "Control socket for `vanbase alarms/ack/close/test`."),
	K("control", "group", STR, control.group, 0, 0, NULL,
	  "Group allowed to use the control socket (mode 0660); default: the daemon's group."),

	K("console", "url", STR, console.url, 0, 0, NULL,
	  "Address of the base console; notifications link to it (URL#van=UNIT&alarm=ID). None if unset."),

	K("rules", "due_grace", DUR, rules.due_grace_s, 0, 3600, "60",
	  "A check-in or session end due this long ago on base's clock, with nothing newer from the van, is overdue."),
	K("rules", "silent_after", DUR, rules.silent_after_s, 30, 86400, "180",
	  "No message at all from a van in a session for this long raises 'van silent'."),
	K("rules", "settle", DUR, rules.settle_s, 0, 600, "15",
	  "A retained state read at start is judged only after this (its clock offset is measured first)."),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static bool entry_section(const char *s)
{
	return !strncmp(s, "contact.", 8) || !strncmp(s, "channel.", 8) || !strncmp(s, "chain.", 6) ||
	       !strcmp(s, "rota") || !strcmp(s, "test_rota") || !strcmp(s, "fleet");
}

static void entry_header(void *ctx, struct cfg_report *r, const char *section, int lineno)
{
	(void)ctx;
	const char *dot = strchr(section, '.');
	if (dot && !dot[1])
		cfg_error(r, "%s:%d: [%s] needs a NAME after the dot", r->path, lineno, section);
}

static void entry_key(void *ctx, struct cfg_report *r, const char *section, const char *name,
		      const char *value, int lineno)
{
	struct vbconf *c = ctx;
	struct vbconf_entry *n = realloc(c->entries, (c->nentries + 1) * sizeof(*n));

	if (!n) {
		cfg_error(r, "%s:%d: out of memory", r->path, lineno);
		return;
	}
	c->entries = n;
	struct vbconf_entry *e = &n[c->nentries];
	e->section = strdup(section);
	e->key = strdup(name);
	e->value = strdup(value);
	e->line = lineno;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		cfg_error(r, "%s:%d: out of memory", r->path, lineno);
		return;
	}
	c->nentries++;
}

static const struct cfg_table table = {
	.keys = keys,
	.nkeys = NKEYS,
	.other_section = entry_section,
	.on_header = entry_header,
	.on_key = entry_key,
};

void vbconf_error(struct vbconf *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfg_verror(&c->report, fmt, ap);
	va_end(ap);
}

int vbconf_defaults(struct vbconf *c)
{
	memset(c, 0, sizeof(*c));
	return cfg_defaults(&table, c, &c->report);
}

int vbconf_load(struct vbconf *c, const char *path)
{
	return cfg_load(&table, c, &c->report, path, c);
}

int vbconf_set(struct vbconf *c, const char *where, const char *section, const char *key, const char *value)
{
	return cfg_set(&table, c, &c->report, where, section, key, value);
}

long vbconf_next(const struct vbconf *c, const char *prefix, long i)
{
	size_t n = strlen(prefix);
	for (size_t k = i < 0 ? 0 : (size_t)i; k < c->nentries; k++)
		if (!strncmp(c->entries[k].section, prefix, n))
			return (long)k;
	return -1;
}

struct cfg_where vbconf_where(const struct vbconf *c, const struct vbconf_entry *e)
{
	struct cfg_where w;
	snprintf(w.s, sizeof(w.s), "%s:%d", c->report.path ? c->report.path : "(config)", e->line);
	return w;
}

static bool valid_topic_part(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (*s == '+' || *s == '#' || *s == '/' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int vbconf_check(struct vbconf *c)
{
#define AT(sec, key) cfg_where(&table, &c->report, sec, key).s
	if (!valid_topic_part(c->mqtt.van_prefix))
		vbconf_error(c, "%s: mqtt.van_prefix '%s' must be 1-64 characters without / + # or control characters",
			     AT("mqtt", "van_prefix"), c->mqtt.van_prefix);
	if (!valid_topic_part(c->mqtt.prefix))
		vbconf_error(c, "%s: mqtt.prefix '%s' must be 1-64 characters without / + # or control characters",
			     AT("mqtt", "prefix"), c->mqtt.prefix);
	else if (!strcmp(c->mqtt.prefix, c->mqtt.van_prefix))
		vbconf_error(c, "%s: mqtt.prefix must differ from mqtt.van_prefix (vanbase's topics are not a van's)",
			     AT("mqtt", "prefix"));
	if ((c->mqtt.link.tls_cert_file == NULL) != (c->mqtt.link.tls_key_file == NULL))
		vbconf_error(c, "%s: mqtt.tls_cert_file and mqtt.tls_key_file go together",
			     AT("mqtt", c->mqtt.link.tls_cert_file ? "tls_cert_file" : "tls_key_file"));
	if (c->mqtt.link.password_file && !c->mqtt.link.username)
		vbconf_error(c, "%s: mqtt.password_file is set but mqtt.username is not", AT("mqtt", "password_file"));
	if (c->mqtt.link.password_file) {
		struct stat st;
		if (stat(c->mqtt.link.password_file, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)))
			cfg_warn(&c->report, "%s: mqtt.password_file %s is readable by everyone (mode %04o); chmod o-rw it",
				 AT("mqtt", "password_file"), c->mqtt.link.password_file, (unsigned)(st.st_mode & 07777));
	}
	if (c->console.url && strncmp(c->console.url, "https://", 8) && strncmp(c->console.url, "http://", 7))
		vbconf_error(c, "%s: console.url '%s' must start with https:// or http://", AT("console", "url"),
			     c->console.url);
	bool vans = false;
	for (long i = vbconf_next(c, "fleet", 0); i >= 0; i = vbconf_next(c, "fleet", i + 1)) {
		const struct vbconf_entry *e = &c->entries[i];
		if (strcmp(e->section, "fleet"))
			continue;
		vans = true;
		if (!vb_valid_unit(e->key))
			vbconf_error(c, "%s: [fleet] '%s' is not a unit id (1-32 of A-Z a-z 0-9 _ -, as the van's unit.id)",
				     vbconf_where(c, e).s, e->key);
	}
	if (!vans)
		vbconf_error(c, "%s: [fleet] names no van (one line per van: its unit id = its name, e.g. van1 = North van)",
			     c->report.path ? c->report.path : "(config)");
#undef AT
	return (int)c->report.nerrors;
}

void vbconf_print_doc(FILE *out)
{
	cfg_print_doc(&table, out, "vanbase --config-doc");
}

void vbconf_fini(struct vbconf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nentries; i++) {
		free(c->entries[i].section);
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	cfg_free(&table, c, &c->report);
	memset(c, 0, sizeof(*c));
}
