/*
 * vbstore.h - vanbase's SQLite database: alarms with their life cycle, the
 * audit trail of every transition, the notifications sent (each attempt's
 * result), and a small key-value table for the core's saved state.
 *
 * One file, WAL, created mode 0600, `synchronous = FULL`: alarms are rare
 * and each one matters more than the write it costs.  The schema version is
 * PRAGMA user_version; a newer file than this program knows is refused.
 * Every function returns 0 (or a count / id) or a negative errno-style code,
 * with a sentence in vbstore_errmsg().
 */
#ifndef VB_STORE_H
#define VB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

typedef struct vbstore vbstore_t;

#define VBSTORE_SCHEMA_VERSION 1

struct vbstore_alarm {
	const char *id;           /* stable: the core's alarm id */
	const char *unit;
	const char *kind;         /* "emergency", "session_overdue", ... */
	const char *state;        /* raised, notified, acknowledged, resolved, closed */
	bool covert, drill;
	int64_t raised_utc_ms;    /* base's clock */
	int64_t acked_utc_ms;     /* 0 = not yet */
	const char *acked_by, *acked_how;
	int64_t resolved_utc_ms;
	const char *resolved_how;
	int64_t closed_utc_ms;
	const char *note;
	const char *detail;       /* JSON object text: what the core knows (may be NULL) */
};

struct vbstore_notification {
	const char *id;           /* stable across restarts: receivers drop repeats by it */
	const char *alarm_id;
	const char *contact, *channel;
	const char *kind;         /* raise, repeat, all_clear, drill */
	const char *state;        /* pending, sent, failed */
	int attempts;
	const char *result;       /* "HTTP 200", "SMTP 250 ...", "exit 0", or the error */
	int64_t decided_utc_ms, done_utc_ms;
	const char *request;      /* JSON object: what to send (kept until sent, for a restart) */
};

/* Open (creating) the database at path: the handle, or NULL with errno and
 * a sentence in err. */
vbstore_t *vbstore_open(const char *path, char *err, size_t errlen);
void vbstore_close(vbstore_t *s);
const char *vbstore_errmsg(const vbstore_t *s);

/* One transaction around the writes of one decision batch (the core's
 * records and its saved state together). */
int vbstore_begin(vbstore_t *s);
int vbstore_commit(vbstore_t *s);
void vbstore_rollback(vbstore_t *s);

/* Insert or update one alarm (by id). */
int vbstore_alarm_put(vbstore_t *s, const struct vbstore_alarm *a);
/* Close alarm id (when the core no longer holds it: a resolved alarm
 * leaves the core when it is closed). */
int vbstore_alarm_close(vbstore_t *s, const char *id, int64_t at_utc_ms, const char *by, const char *note);

/* One line of the audit trail: what happened to alarm_id at at_utc_ms. */
int vbstore_audit(vbstore_t *s, const char *alarm_id, int64_t at_utc_ms, const char *what, const char *who,
		  const char *detail);
/* Insert or update one notification (by id). */
int vbstore_notification_put(vbstore_t *s, const struct vbstore_notification *n);

/* Notifications decided but not yet sent or failed (a restart sends them
 * again, same ids): [{"id", "request"}], oldest first.  NULL on error. */
json_t *vbstore_pending(vbstore_t *s);

/* Small saved values (the core's state for a restart). */
int vbstore_kv_set(vbstore_t *s, const char *key, const char *value);
/* A new string (free it), or NULL when unset (or on error: see errmsg). */
char *vbstore_kv_get(vbstore_t *s, const char *key);

/* Alarms as a JSON array, newest first: open ones only (not closed), or
 * all, at most limit; each with its notifications and audit trail when
 * detail is set.  NULL on error. */
json_t *vbstore_alarms_json(vbstore_t *s, bool open_only, int limit, bool detail);

/* Delete closed alarms (with their notifications and audit) closed before
 * cutoff_utc_ms.  Returns how many alarms went, or <0. */
int vbstore_purge(vbstore_t *s, int64_t cutoff_utc_ms);

#endif
