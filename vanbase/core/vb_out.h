/*
 * vb_out.h - vanbase core's decisions: an ordered queue of notification
 * requests and audit records.  After every call into the core the shell
 * drains it (vb_outq()), in order, and clears it:
 *   - VB_OUT_NOTIFY: hand n to the channel the shell maps n.channel to.
 *     n.id is stable across restarts (it names the alarm, round, step,
 *     contact and channel): a receiver, or the shell's outbox, drops a
 *     repeat of an id it already has.
 *   - VB_OUT_AUDIT: store the record (the alarm's audit trail) and publish
 *     the alarm's new view (vb_alarm_json).
 * Store the queue and vb_save() in one transaction: then a SIGKILL loses
 * no decision and repeats none; if the save is lost, the decisions after
 * it are made again with the same ids (at-least-once).
 */
#ifndef VB_CORE_OUT_H
#define VB_CORE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vb_base.h"

enum vb_out_kind { VB_OUT_NOTIFY = 1, VB_OUT_AUDIT = 2 };

/* What a notification says.  A drill's notifications carry drill = true
 * (and say DRILL in the text): "drill" in the list of kinds. */
enum vb_msg { VB_MSG_RAISE = 0, VB_MSG_REPEAT, VB_MSG_ALL_CLEAR };

/* "raise", "repeat", "all_clear" ("drill" for a drill's raise or repeat). */
const char *vb_msg_name(enum vb_msg m, bool drill);

struct vb_notify {
	char id[VB_NID_MAX];          /* "ALARM/r0s1/CONTACT/CHANNEL", ".../clear/..." */
	char alarm_id[VB_ID_MAX];
	char unit[VB_NAME_MAX];       /* "" for a drill from `vanbase test` */
	enum vb_kind kind;
	enum vb_msg msg;
	bool drill, covert;
	int round, step;              /* -1 for an all-clear */
	char contact[VB_NAME_MAX];
	char channel[VB_NAME_MAX];
	char text[VB_TEXT_MAX];       /* the least a person needs: van, what, how long ago */
	bool position;                /* this alarm may carry the position (emergency, offline) ... */
	double lat, lon;              /* ... if the channel is configured to carry it */
	int64_t fix_at;               /* base ms of the fix */
	char pos_text[96];            /* "Position 53.79656 N, 1.55500 W (fix 12 s old)" or "" */
	int64_t at;                   /* base ms decided */
};

enum vb_audit_what {
	VB_AU_RAISED = 0,             /* detail: what */
	VB_AU_NOTIFY,                 /* a notification decided (notify_id; ok false: nobody to notify, detail why) */
	VB_AU_NOTIFIED,               /* an attempt's result, from vb_notified() (ok, detail) */
	VB_AU_ACKED,                  /* by, how */
	VB_AU_RESOLVED,               /* detail: why */
	VB_AU_CLOSED,                 /* by, detail: the note */
	VB_AU_REARMED,                /* pressed again after an ack: the chain starts over */
};

/* "raised", "notify", "notified", "acknowledged", "resolved", "closed", "rearmed". */
const char *vb_audit_name(enum vb_audit_what w);

struct vb_audit {
	char alarm_id[VB_ID_MAX];
	char unit[VB_NAME_MAX];
	enum vb_kind kind;
	enum vb_audit_what what;
	int64_t at;                   /* base ms */
	char by[VB_WHO_MAX];
	char how[24];                 /* ack: "console", "cli", "link", "van", ... */
	char notify_id[VB_NID_MAX];
	bool ok;
	char detail[VB_TEXT_MAX];
};

struct vb_out {
	enum vb_out_kind kind;
	union {
		struct vb_notify n;
		struct vb_audit a;
	} u;
};

struct vb_outq {
	struct vb_out *v;
	size_t n, cap;
};

/* JSON views for the store, webhook templates and command hooks:
 * {"id", "alarm", "unit", "kind", "msg", "drill", "covert", "round", "step",
 *  "contact", "channel", "text", "at"} plus, only if with_position and
 * n->position, "lat", "lon", "fix_at", "position" (pos_text).  The shell
 * passes with_position = the channel is configured to carry positions.
 * NULL on ENOMEM. */
json_t *vb_notify_json(const struct vb_notify *n, bool with_position);
/* {"alarm", "unit", "kind", "what", "at", "by", "how", "notify_id", "ok",
 *  "detail"} (empty strings as null).  NULL on ENOMEM. */
json_t *vb_audit_json(const struct vb_audit *a);

/* A new zeroed record at the end of q, or NULL (ENOMEM: the decision is
 * lost from the queue; the saved state still has it). */
struct vb_out *vb_outq_add(struct vb_outq *q, enum vb_out_kind kind);
void vb_outq_clear(struct vb_outq *q);
void vb_outq_fini(struct vb_outq *q);

#endif
