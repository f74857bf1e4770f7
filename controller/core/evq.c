/*
 * evq.c - the core's event queue.  See evq.h.
 */
#include "evq.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "vtime.h"

int evq_push(struct evq *q, enum ev_type t, int64_t mono_ms, int64_t utc_ms,
	     enum ev_prio prio, int64_t session_id, json_t *data)
{
	if (!data)
		data = json_object();
	if (!data)
		return -ENOMEM;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct van_event *n = realloc(q->v, cap * sizeof(*n));
		if (!n) {
			json_decref(data);
			return -ENOMEM;
		}
		q->v = n;
		q->cap = cap;
	}
	struct van_event *e = &q->v[q->n++];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->type = ev_type_name(t);
	e->mono_ms = mono_ms;
	e->utc_ms = utc_ms;
	e->prio = prio;
	e->session_id = session_id;
	e->data = data;
	return 0;
}

void evq_clear(struct evq *q)
{
	for (size_t i = 0; i < q->n; i++)
		json_decref(q->v[i].data);
	q->n = 0;
}

void evq_fini(struct evq *q)
{
	evq_clear(q);
	free(q->v);
	q->v = NULL;
	q->cap = 0;
}

const char *utc_src_name(enum utc_src s)
{
	switch (s) {
	case UTC_SRC_SYSTEM_SYNCED: return "system";
	case UTC_SRC_GPS: return "gps";
	case UTC_SRC_SYSTEM_UNSYNCED: return "system-unsynced";
	}
	return "unknown";
}
