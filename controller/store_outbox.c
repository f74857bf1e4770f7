/*
 * store_outbox.c - events and the outbox: what goes to base, in order, and its figures (store.h).
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>

/* ---- the outbox's figures (store_outbox_stats) ------------------------- */

/* After this handle committed a new outbox row. */
static void outbox_added(store_t *s, int64_t created_utc_ms)
{
	if (!s->ob_known)
		return;
	if (s->ob_count++ == 0 || created_utc_ms < s->ob_oldest)
		s->ob_oldest = created_utc_ms;
}

/* Rows a DELETE ... RETURNING created_utc_ms removed. */
struct ob_gone {
	int64_t n, oldest;
};

/* Step a DELETE ... RETURNING created_utc_ms to its end, adding its rows to
 * *g.  Returns 0 or <0 (recorded); the caller st_hot_done()s st. */
static int outbox_delete_step(store_t *s, sqlite3_stmt *st, struct ob_gone *g, const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(st, 0);
		if (g->n++ == 0 || c < g->oldest)
			g->oldest = c;
	}
	return rc == SQLITE_DONE ? 0 : st_sqlerr(s, rc, what);
}

/* After this handle committed the removal of rows: the count follows; the
 * oldest time too unless it may have gone (then re-read). */
static void outbox_removed(store_t *s, const struct ob_gone *g)
{
	if (!s->ob_known || g->n == 0)
		return;
	if (g->n > s->ob_count)
		s->ob_known = false;
	else if ((s->ob_count -= g->n) == 0)
		s->ob_oldest = 0;
	else if (g->oldest <= s->ob_oldest)
		s->ob_known = false;
}

/* One outbox row; the caller commits and then calls outbox_added(). */
static int64_t outbox_insert(store_t *s, int kind, int prio, const char *topic,
			     const char *payload, int qos, bool retain, int64_t seq,
			     int64_t created_utc_ms, const char *what)
{
	sqlite3_stmt *st;
	int rc = st_hot(s, H_OUTBOX_INSERT, &st, what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int(st, 2, prio);
	sqlite3_bind_text(st, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, qos);
	sqlite3_bind_int(st, 6, retain);
	sqlite3_bind_int64(st, 7, seq);
	sqlite3_bind_int64(st, 8, created_utc_ms);
	if ((rc = st_hot_run(s, st, what)) < 0)
		return rc;
	return sqlite3_last_insert_rowid(s->db);
}

/* ---- events ------------------------------------------------------------ */

int64_t store_add_event(store_t *s, const struct stored_event *e,
			const char *topic, const char *payload, int qos, bool retain, int64_t *outbox_id)
{
	int64_t oid = 0;
	if (outbox_id)
		*outbox_id = 0;
	static const char what[] = "storing an event";
	sqlite3_stmt *st;
	int rc;
	if (!s || !e)
		return -EINVAL;
	if ((rc = st_check_rw(s, what)) < 0)
		return rc;
	if (e->seq <= 0 || !e->type || !*e->type)
		return st_seterr(s, -EINVAL, "%s: %s: needs a sequence number > 0 and a type",
			      s->path, what);
	if (!st_valid_json_object(e->data_json))
		return st_seterr(s, -EINVAL, "%s: %s %s: data is not a JSON object", s->path, what,
			      e->type);
	if (e->has_pos && !st_valid_latlon(e->lat, e->lon))
		return st_seterr(s, -EINVAL, "%s: %s %s: invalid position", s->path, what, e->type);
	if (topic && (!*topic || !payload || qos < 0 || qos > 2))
		return st_seterr(s, -EINVAL, "%s: %s %s: needs a topic, a payload and qos 0..2",
			      s->path, what, e->type);

	if ((rc = st_tx_begin(s, true, what)) < 0)
		return rc;
	if ((rc = st_hot(s, H_EVENT_INSERT, &st, what)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->utc_ms);
	sqlite3_bind_int(st, 3, e->utc_src);
	sqlite3_bind_text(st, 4, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, e->prio);
	sqlite3_bind_int64(st, 6, e->session_id);
	if (e->has_pos) {
		sqlite3_bind_double(st, 7, e->lat);
		sqlite3_bind_double(st, 8, e->lon);
	}
	sqlite3_bind_text(st, 9, e->data_json ? e->data_json : "{}", -1, SQLITE_STATIC);
	st_bind_text_or_null(st, 10, topic);
	st_bind_text_or_null(st, 11, payload);
	sqlite3_bind_int(st, 12, topic ? qos : 1);
	sqlite3_bind_int(st, 13, topic && retain);
	sqlite3_bind_int(st, 14, e->incident);
	st_bind_text_or_null(st, 15, e->category);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE) {
			rc = st_seterr(s, -EEXIST, "%s: %s %s: sequence number %" PRId64
				    " is already stored", s->path, what, e->type, e->seq);
		} else {
			rc = st_sqlerr(s, rc, what);
		}
		st_hot_done(st);
		goto fail;
	}
	st_hot_done(st);
	int64_t id = sqlite3_last_insert_rowid(s->db);

	/* the counter moves with the event it numbers: gapless across crashes */
	if ((rc = st_hot(s, H_SEQ_RAISE, &st, what)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, e->seq);
	if ((rc = st_hot_run(s, st, what)) < 0)
		goto fail;

	if (topic) {
		oid = outbox_insert(s, STORE_OUTBOX_EVENT, e->prio, topic, payload, qos,
				    retain, e->seq, e->utc_ms, "queueing an event");
		if (oid < 0) {
			rc = (int)oid;
			goto fail;
		}
	}
	if ((rc = st_tx_commit(s, true, what)) < 0)
		return rc;
	if (topic)
		outbox_added(s, e->utc_ms);
	if (e->seq >= s->next_seq)
		s->next_seq = e->seq + 1;
	if (outbox_id)
		*outbox_id = oid;
	return id;
fail:
	st_tx_rollback(s, true);
	return rc;
}

/* ---- outbox ------------------------------------------------------------ */

static int outbox_check(store_t *s, const char *topic, const char *payload, int qos,
			const char *what)
{
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	if (!topic || !*topic || !payload || qos < 0 || qos > 2)
		return st_seterr(s, -EINVAL, "%s: %s: needs a topic, a payload and qos 0..2",
			      s->path, what);
	return 0;
}

int64_t store_outbox_add(store_t *s, int kind, int prio, const char *topic, const char *payload,
			 int qos, bool retain, int64_t seq, int64_t created_utc_ms)
{
	static const char what[] = "queueing a message";
	if (!s)
		return -EINVAL;
	int rc = outbox_check(s, topic, payload, qos, what);
	if (rc < 0)
		return rc;
	/* one statement: atomic without an explicit transaction */
	int64_t id = outbox_insert(s, kind, prio, topic, payload, qos, retain, seq, created_utc_ms,
				   what);
	if (id > 0)
		outbox_added(s, created_utc_ms);
	return id;
}

int64_t store_outbox_replace(store_t *s, int kind, int prio, const char *topic,
			     const char *payload, int qos, bool retain, int64_t seq,
			     int64_t created_utc_ms)
{
	static const char what[] = "queueing a message";
	sqlite3_stmt *st;
	struct ob_gone gone = { 0, 0 };
	int64_t id;
	if (!s)
		return -EINVAL;
	int rc = outbox_check(s, topic, payload, qos, what);
	if (rc < 0)
		return rc;
	if ((rc = st_tx_begin(s, false, what)) < 0)
		return rc;
	if ((rc = st_hot(s, H_OUTBOX_SUPERSEDE, &st, what)) < 0)
		goto fail;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
	rc = outbox_delete_step(s, st, &gone, what);
	st_hot_done(st);
	if (rc < 0)
		goto fail;
	id = outbox_insert(s, kind, prio, topic, payload, qos, retain, seq, created_utc_ms, what);
	if (id < 0) {
		rc = (int)id;
		goto fail;
	}
	if ((rc = st_tx_commit(s, false, what)) < 0)
		return rc;
	outbox_removed(s, &gone);
	outbox_added(s, created_utc_ms);
	return id;
fail:
	st_tx_rollback(s, false);
	return rc;
}

void store_outbox_msg_free(struct outbox_msg *m)
{
	if (!m)
		return;
	free(m->topic);
	free(m->payload);
	m->topic = NULL;
	m->payload = NULL;
}

static bool id_in(int64_t id, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

int64_t store_outbox_queue(store_t *s, const struct outbox_msg *m, bool supersede)
{
	if (!m)
		return -EINVAL;
	return (supersede ? store_outbox_replace : store_outbox_add)(s, m->kind, m->prio, m->topic, m->payload,
								     m->qos, m->retain, m->seq, m->created_utc_ms);
}

int store_outbox_peek(store_t *s, struct outbox_msg *out, size_t max,
		      const int64_t *inflight_ids, size_t ninflight)
{
	static const char what[] = "reading the outbox";
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;
	if (!s || (max && !out) || (ninflight && !inflight_ids))
		return -EINVAL;
	if (max == 0)
		return 0;
	if (max > INT32_MAX)
		max = INT32_MAX;
	if ((rc = st_hot(s, H_OUTBOX_PEEK, &st, what)) < 0)
		return rc;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id_in(id, inflight_ids, ninflight))
			continue;
		struct outbox_msg *m = &out[n];
		memset(m, 0, sizeof(*m));
		m->id = id;
		m->prio = sqlite3_column_int(st, 1);
		m->topic = st_xstrdup((const char *)sqlite3_column_text(st, 2));
		m->payload = st_xstrdup((const char *)sqlite3_column_text(st, 3));
		m->qos = sqlite3_column_int(st, 4);
		m->retain = sqlite3_column_int(st, 5) != 0;
		m->seq = sqlite3_column_int64(st, 6);
		m->created_utc_ms = sqlite3_column_int64(st, 7);
		m->kind = sqlite3_column_int(st, 8);
		n++;
		if (!m->topic || !m->payload) {
			rc = st_seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
			goto fail;
		}
	}
	if (n < max && rc != SQLITE_DONE) {
		rc = st_sqlerr(s, rc, what);
		goto fail;
	}
	st_hot_done(st);
	return (int)n;
fail:
	st_hot_done(st);
	for (size_t i = 0; i < n; i++)
		store_outbox_msg_free(&out[i]);
	return rc;
}

/* Delete ids[0..n) (n >= 1) in one statement (the ids as a JSON array for
 * json_each when n > 1).  Returns how many rows went, or <0. */
static int outbox_delete(store_t *s, const int64_t *ids, size_t n, const char *what)
{
	sqlite3_stmt *st;
	struct ob_gone gone = { 0, 0 };
	char *list = NULL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	if (n > 1) {
		size_t cap = n * 21 + 3, len = 0;
		if (!(list = malloc(cap)))
			return st_seterr(s, -ENOMEM, "%s: %s: out of memory", s->path, what);
		list[len++] = '[';
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(list + len, cap - len, "%s%" PRId64, i ? "," : "", ids[i]);
		snprintf(list + len, cap - len, "]");
	}
	if ((rc = st_hot(s, n > 1 ? H_OUTBOX_DELETE_MANY : H_OUTBOX_DELETE, &st, what)) < 0) {
		free(list);
		return rc;
	}
	if (n > 1)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, ids[0]);
	rc = outbox_delete_step(s, st, &gone, what);
	st_hot_done(st);
	free(list);
	if (rc < 0)
		return rc;
	st_write_ok(s);
	outbox_removed(s, &gone);
	return (int)gone.n;
}

int store_outbox_delete(store_t *s, int64_t id)
{
	if (!s)
		return -EINVAL;
	int rc = outbox_delete(s, &id, 1, "removing a sent message");
	return rc < 0 ? rc : 0;
}

int store_outbox_delete_many(store_t *s, const int64_t *ids, size_t n)
{
	static const char what[] = "removing sent messages";
	if (!s)
		return -EINVAL;
	if (n && !ids)
		return st_seterr(s, -EINVAL, "%s: %s: no ids", s->path, what);
	if (n > INT32_MAX)
		return st_seterr(s, -EINVAL, "%s: %s: too many at once (%zu)", s->path, what, n);
	if (n == 0)
		return st_check_rw(s, what);
	return outbox_delete(s, ids, n, what);
}

/* PRAGMA data_version: changes when another connection commits. */
static int data_version(store_t *s, int64_t *v, const char *what)
{
	sqlite3_stmt *st;
	int rc = st_hot(s, H_DATA_VERSION, &st, what);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = st_sqlerr(s, rc, what);
	}
	st_hot_done(st);
	return rc;
}

int store_outbox_stats(store_t *s, int64_t *count, int64_t *oldest_utc_ms)
{
	static const char what[] = "reading the outbox";
	sqlite3_stmt *st;
	int64_t dv = 0;
	if (!s)
		return -EINVAL;
	/* Read data_version first: a commit by another connection after it and
	 * before the count is then seen again at the next call. */
	int rc = data_version(s, &dv, what);
	if (rc < 0)
		return rc;
	if (!s->ob_known || dv != s->ob_data_version) {
		s->ob_known = false;
		if ((rc = st_hot(s, H_OUTBOX_STATS, &st, what)) < 0)
			return rc;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			s->ob_count = sqlite3_column_int64(st, 0);
			s->ob_oldest = sqlite3_column_int64(st, 1);
			s->ob_data_version = dv;
			s->ob_known = true;
			rc = 0;
		} else {
			rc = st_sqlerr(s, rc, what);
		}
		st_hot_done(st);
		if (rc < 0)
			return rc;
	}
	if (count)
		*count = s->ob_count;
	if (oldest_utc_ms)
		*oldest_utc_ms = s->ob_oldest;
	return 0;
}

int store_outbox_thin(store_t *s, int kind, int64_t keep_every_ms)
{
	static const char what[] = "thinning the outbox";
	sqlite3_stmt *st;
	if (!s)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	if (keep_every_ms <= 0)
		return st_seterr(s, -EINVAL, "%s: %s: the period must be > 0", s->path, what);
	rc = st_prep(s, &st, "DELETE FROM outbox WHERE id IN (SELECT id FROM ("
		  "  SELECT id, row_number() OVER (PARTITION BY prio, created_utc_ms / ?2"
		  "    ORDER BY created_utc_ms DESC, id DESC) AS rn"
		  "  FROM outbox WHERE kind = ?1) WHERE rn > 1)", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, keep_every_ms);
	if ((rc = st_run(s, st, what)) < 0)
		return rc;
	rc = sqlite3_changes(s->db);
	if (rc)
		st_outbox_forget(s);
	return rc;
}

int store_replay_from(store_t *s, int64_t seq, int64_t *requeued)
{
	static const char what[] = "re-queueing events for a replay";
	sqlite3_stmt *st;
	if (!s)
		return -EINVAL;
	int rc = st_check_rw(s, what);
	if (rc < 0)
		return rc;
	rc = st_prep(s, &st, "INSERT INTO outbox(kind, prio, topic, payload, qos, retain, seq, "
		  "created_utc_ms) SELECT ?2, ?3, e.topic, e.payload, e.qos, 0, e.seq, e.utc_ms "
		  "FROM events e WHERE e.seq >= ?1 AND e.topic IS NOT NULL AND e.payload IS NOT NULL "
		  "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = ?2 AND o.seq = e.seq) "
		  "ORDER BY e.seq", what);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, STORE_OUTBOX_EVENT);
	sqlite3_bind_int(st, 3, STORE_PRIO_REPLAY);
	if ((rc = st_run(s, st, what)) < 0)
		return rc;
	int64_t n = sqlite3_changes(s->db);
	if (n)
		st_outbox_forget(s);
	if (requeued)
		*requeued = n;
	return 0;
}

