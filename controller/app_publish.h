/*
 * app_publish.h - the publisher: what the van tells base, in one place.
 *
 * Owns: the choice between sending live and queueing in the outbox
 * (uplink_send, or the outbox alone without a broker), the last resort of
 * sending straight to base when the disk refuses, the location messages
 * (their pace and their sequence numbers, reserved in blocks in the
 * database so a restart never reuses one), the outbox row of the newest
 * emergency (its broker confirmation is timed), the emergency reserve's
 * bookkeeping beside the database (store_reserve_*), and the state
 * snapshot's link and storage parts.
 *
 * Sees: the config (mqtt.prefix, unit.id, the adapters' keys), the store
 * and the uplink (NULL: no broker; set once it exists).  It calls nothing
 * else of the shell: the van's I/O (app_van.h) and the life cycle (app.c)
 * call it.
 */
#ifndef VAN_APP_PUBLISH_H
#define VAN_APP_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "core/fix.h"
#include "store.h"
#include "uplink.h"

/* The emergency reserve beside the database (store_reserve_*): what it
 * holds, given back a chunk at a time to an emergency's write on a full
 * disk, grown again while the disk keeps the margin free. */
#define APP_RESERVE_BYTES (256 * 1024)
#define APP_RESERVE_CHUNK (64 * 1024)
#define APP_RESERVE_MARGIN (512 * 1024)

struct publisher;

/* Reads the location sequence numbers reserved so far from st.  NULL
 * (out of memory) with errno set and a sentence in err. */
struct publisher *publisher_new(const struct conf *c, store_t *st, char *err, size_t errlen);
/* The uplink, once it exists (NULL again before it is freed). */
void publisher_set_uplink(struct publisher *p, uplink_t *up);
/* Accepts NULL. */
void publisher_free(struct publisher *p);

/* PREFIX/UNIT/SUB into buf. */
void publisher_topic(const struct publisher *p, const char *sub, char *buf, size_t len);
/* Send one message to base: location and state go live while the link is
 * up and nothing is queued before them, the retained emergency goes live at
 * once; the rest, and those that cannot go, wait in the outbox.  With
 * supersede, a queued message replaces queued ones of the same kind and
 * topic (state: only the newest matters).  An emergency's write may take
 * from the reserve; an urgent message the disk refuses goes straight to
 * base.  Steals payload.  0 or <0 (not queued). */
int publisher_queue(struct publisher *p, int kind, int prio, const char *sub, json_t *payload, bool retain,
		    int64_t seq, const struct vtime *now, bool supersede);
int publisher_queue_topic(struct publisher *p, int kind, int prio, const char *topic, json_t *payload,
			  bool retain, int64_t seq, const struct vtime *now, bool supersede);
/* Straight to base, not kept for a resend (an urgent event the store
 * refused).  0 or <0 (no link). */
int publisher_direct(struct publisher *p, const char *topic, const char *text, bool retain);
/* New rows are in the outbox (an event stored with its message): send. */
void publisher_kick(struct publisher *p);

/* The live location from f, if interval_ms passed since the last one (or
 * none went yet); with its OwnTracks twin where mqtt.owntracks is on. */
void publisher_location(struct publisher *p, const struct fix *f, const struct vtime *now, int64_t interval_ms);

/* The outbox row carrying the newest emergency (0: none). */
void publisher_watch_emergency(struct publisher *p, int64_t outbox_row);
/* The broker confirmed m: true if it was the watched emergency's row
 * (then no longer watched). */
bool publisher_delivered(struct publisher *p, const struct outbox_msg *m);

/* An emergency's write failed (a full disk): give a chunk of the reserve
 * back to the disk.  True if it did (retry the write), false if the
 * reserve is empty or the disk was not what refused it. */
bool publisher_reserve_release(struct publisher *p, const char *what);
/* Grow the reserve back towards APP_RESERVE_BYTES where the disk has room. */
void publisher_reserve_keep(struct publisher *p);

/* The state snapshot's parts (docs/mqtt.md, state): "link", "storage". */
json_t *publisher_link_json(const struct publisher *p, const struct vtime *now);
json_t *publisher_storage_json(const struct publisher *p);

#endif
