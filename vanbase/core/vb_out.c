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
