/*
 * store_impl.h - what the parts of the store share (store.c: errors,
 * helpers, transactions, open and close, counters, kv; store_points.c,
 * store_outbox.c, store_sessions.c, store_read.c, store_reserve.c).  Not
 * for use outside controller/store*.c.
 */
#ifndef VAN_STORE_IMPL_H
#define VAN_STORE_IMPL_H

#include "store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#define BUSY_TIMEOUT_RW_MS 2000   /* the daemon's loop waits at most this */
#define BUSY_TIMEOUT_RO_MS 5000
#define JOURNAL_SIZE_LIMIT (4 * 1024 * 1024)
#define STORE_PAGE_SIZE 1024      /* of new databases */
#define CACHE_SIZE_RW (-512)      /* the daemon's page cache: 512 KiB */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Statements kept prepared for the life of the handle (see hot()). */
enum hot {
	H_BEGIN,
	H_COMMIT,
	H_POINT_INSERT,
	H_EVENT_INSERT,
	H_SEQ_RAISE,
	H_OUTBOX_INSERT,
	H_OUTBOX_SUPERSEDE,
	H_OUTBOX_PEEK,
	H_OUTBOX_DELETE,
	H_OUTBOX_DELETE_MANY,
	H_OUTBOX_STATS,
	H_KV_PUT,
	H_KV_GET,
	H_DATA_VERSION,
	H_COUNT
};



struct store {
	sqlite3 *db;
	sqlite3_stmt *hot[H_COUNT];   /* prepared on first use, finalized at close */
	char *path;
	bool readonly;
	int version;
	/* route points not yet committed: a ring, oldest at head */
	struct route_point *pts;
	size_t pts_head, pts_n, pts_cap;
	uint64_t pts_dropped;
	int64_t next_seq;        /* 0 = not read yet; see store_next_seq() */
	/* store_outbox_stats() without a scan per call: the figures as last
	 * read, kept up to date by this handle's own changes (outbox_added,
	 * outbox_removed); re-read when the oldest may have gone, after
	 * thinning, replays and purges, or when another connection committed
	 * (PRAGMA data_version moved). */
	bool ob_known;
	int64_t ob_count, ob_oldest, ob_data_version;
	char errmsg[768];
	/* The disk refused the last write (full, I/O error): store_fault().
	 * Set by sqlerr, cleared by the next write that succeeds. */
	bool fault;
	bool exclusive;          /* opened without a -shm (see open_rw) */
	char faultmsg[768];
};

extern const char *const st_hot_sql[H_COUNT];

int st_map_sqlite(sqlite3 *db, int rc);
int st_seterr(store_t *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int st_sqlerr(store_t *s, int rc, const char *what);
void st_write_ok(store_t *s);
int st_check_rw(store_t *s, const char *what);
int st_exec(store_t *s, const char *sql, const char *what);
int st_prep(store_t *s, sqlite3_stmt **st, const char *sql, const char *what);
int st_hot(store_t *s, enum hot id, sqlite3_stmt **st, const char *what);
void st_hot_done(sqlite3_stmt *st);
int st_hot_run(store_t *s, sqlite3_stmt *st, const char *what);
int st_run(store_t *s, sqlite3_stmt *st, const char *what);
void st_bind_text_or_null(sqlite3_stmt *st, int i, const char *v);
void st_bind_real_or_null(sqlite3_stmt *st, int i, double v);
double st_column_real_or_nan(sqlite3_stmt *st, int i);
bool st_valid_latlon(double lat, double lon);
bool st_valid_json_object(const char *text);
char *st_xstrdup(const char *v);
int st_tx_begin(store_t *s, bool durable, const char *what);
void st_tx_rollback(store_t *s, bool durable);
int st_tx_commit(store_t *s, bool durable, const char *what);
int st_query_int64(store_t *s, const char *sql, int64_t *v, const char *what);

/* The outbox figures must be read again (after thinning, replays, purges:
 * changes the running count does not follow). */
static inline void st_outbox_forget(store_t *s)
{
	s->ob_known = false;
}

#endif
