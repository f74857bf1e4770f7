/*
 * vb_out.c - the decision queue.  See vb_out.h.
 */
#include "vb_out.h"

#include <stdlib.h>
#include <string.h>

const char *vb_msg_name(enum vb_msg m, bool drill)
{
	switch (m) {
	case VB_MSG_RAISE: return drill ? "drill" : "raise";
	case VB_MSG_REPEAT: return drill ? "drill" : "repeat";
	case VB_MSG_ALL_CLEAR: return "all_clear";
	}
	return "?";
}

const char *vb_audit_name(enum vb_audit_what w)
{
	static const char *const names[] = {
		"raised", "notify", "notified", "acknowledged", "resolved", "closed", "rearmed",
	};
	return (unsigned)w < sizeof(names) / sizeof(names[0]) ? names[w] : "?";
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

json_t *vb_notify_json(const struct vb_notify *n, bool with_position)
{
	json_t *o = json_pack("{s:s,s:s,s:o,s:s,s:s,s:b,s:b,s:i,s:i,s:s,s:s,s:s,s:I}", "id", n->id,
			      "alarm", n->alarm_id, "unit", str_or_null(n->unit), "kind",
			      vb_kind_name(n->kind) ? vb_kind_name(n->kind) : "?", "msg",
			      vb_msg_name(n->msg, n->drill), "drill", n->drill, "covert", n->covert,
			      "round", n->round, "step", n->step, "contact", n->contact, "channel",
			      n->channel, "text", n->text, "at", (json_int_t)n->at);
	if (o && with_position && n->position) {
		json_object_set_new(o, "lat", json_real(n->lat));
		json_object_set_new(o, "lon", json_real(n->lon));
		json_object_set_new(o, "fix_at", n->fix_at == VB_NEVER ? json_null()
				    : json_integer((json_int_t)n->fix_at));
		json_object_set_new(o, "position", json_string(n->pos_text));
	}
	return o;
}

json_t *vb_audit_json(const struct vb_audit *a)
{
	return json_pack("{s:s,s:o,s:s,s:s,s:I,s:o,s:o,s:o,s:b,s:o}", "alarm", a->alarm_id, "unit",
			 str_or_null(a->unit), "kind", vb_kind_name(a->kind) ? vb_kind_name(a->kind) : "?",
			 "what", vb_audit_name(a->what), "at", (json_int_t)a->at, "by", str_or_null(a->by),
			 "how", str_or_null(a->how), "notify_id", str_or_null(a->notify_id), "ok", a->ok,
			 "detail", str_or_null(a->detail));
}

struct vb_out *vb_outq_add(struct vb_outq *q, enum vb_out_kind kind)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct vb_out *n = realloc(q->v, cap * sizeof(*n));
		if (!n)
			return NULL;
		q->v = n;
		q->cap = cap;
	}
	struct vb_out *o = &q->v[q->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	return o;
}

void vb_outq_clear(struct vb_outq *q)
{
	q->n = 0;
}

void vb_outq_fini(struct vb_outq *q)
{
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}
