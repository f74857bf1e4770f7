/*
 * uplink.h - the link to base: one MQTT client inside our poll loop, and the
 * pump that drains the persistent outbox.
 *
 * Events are first written to the outbox in SQLite (by the caller, through
 * store_add_event); the uplink publishes outbox rows in order (emergencies
 * first) while connected and deletes them when the broker confirmed them
 * (on_publish, QoS 1), in one transaction per batch of confirmations.  Live
 * messages (location, state, the retained emergency) skip the disk while the
 * link is up and are written to the outbox only if the link drops before the
 * broker confirmed them (uplink_send).  A dropped link or a broker restart
 * loses nothing; a power cut loses no event; base may see a duplicate after a
 * reconnect and drops it by sequence number.
 *
 * libmosquitto runs inside our loop: loop_read on readable, loop_write when
 * mosquitto_want_write(), loop_misc once a second.  No mosquitto threads.
 * Connection and reconnection are asynchronous with exponential backoff.
 */
#ifndef VAN_UPLINK_H
#define VAN_UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "loop.h"
#include "store.h"

typedef struct uplink uplink_t;

struct uplink_callbacks {
	/* A command from base on PREFIX/UNIT/cmd/NAME (name validated as
	 * [a-z_]{1,32}; payload NOT validated: up to the caller). */
	void (*on_command)(void *arg, const char *name, const char *payload, size_t len);
	/* Link up (true, after CONNACK) or down. */
	void (*on_link)(void *arg, bool up);
	/* The broker's retained message on PREFIX/UNIT/emergency (sent once
	 * after each connection's subscription; what base holds). */
	void (*on_retained_emergency)(void *arg, const char *payload, size_t len);
	/* An outbox message was confirmed by the broker. */
	void (*on_delivered)(void *arg, const struct outbox_msg *m, int64_t mono_ms);
};

/* Create; connects asynchronously from the loop.  Returns NULL with a
 * message in err (bad TLS files, unreadable password file, ...). */
uplink_t *uplink_new(loop_t *l, const struct conf *c, store_t *st,
		     const struct uplink_callbacks *cb, void *arg, char *err, size_t errlen);
/* Publish "offline" (retained), wait briefly for it to go out, disconnect,
 * free.  Accepts NULL. */
void uplink_free(uplink_t *u);

/* New rows are in the outbox: publish what the window allows. */
void uplink_kick(uplink_t *u);
/* Send a message for base.  Live messages (the caller says which kinds may
 * go live: location, state, the retained emergency) are published at once,
 * without touching the disk, while the link is up and everything queued
 * before them has been sent; the broker's confirmation ends them.  One that
 * is not confirmed when the link drops or the daemon stops is written to the
 * outbox then, so it is not lost.  Everything else, and live messages when
 * they cannot go, is written to the outbox (m->id is ignored) and pumped.
 * Returns 0 (sent or queued) or <0 when it could not be queued (the store's
 * error: store_errmsg). */
#define UPLINK_LIVE_OK   1u  /* may go live when nothing is queued before it */
#define UPLINK_URGENT    2u  /* may go live even past a queued backlog */
#define UPLINK_SUPERSEDE 4u  /* queued: replaces queued ones of kind+topic */
int uplink_send(uplink_t *u, const struct outbox_msg *m, unsigned flags);
/* Publish directly, not through the outbox (replies, discovery: things
 * that only make sense now).  Returns 0 or -ENOTCONN / -EIO. */
int uplink_publish_now(uplink_t *u, const char *subtopic, const char *payload, int qos, bool retain);
/* The same with a full topic: the last resort when the outbox cannot be
 * written (disk full) and the message must not wait. */
int uplink_publish_topic(uplink_t *u, const char *topic, const char *payload, int qos, bool retain);

bool uplink_connected(const uplink_t *u);
int64_t uplink_connected_since(const uplink_t *u);  /* mono ms, 0 if down */
int uplink_protocol(const uplink_t *u);             /* 5 or 311 */
const char *uplink_last_error(const uplink_t *u);
size_t uplink_inflight(const uplink_t *u);
/* Messages the broker confirmed whose outbox rows could not be deleted yet
 * (a full disk): kept in memory, never sent again in this run, removed
 * when the disk takes it.  They still count in store_outbox_stats(). */
size_t uplink_unremoved(const uplink_t *u);
/* Monotonic ms when the broker last confirmed a message (0 = never). */
int64_t uplink_last_confirmed(const uplink_t *u);

/* Full topic for a sub-topic: PREFIX/UNIT/SUB.  Returns a static-lifetime
 * string owned by u, valid until the next call. */
const char *uplink_topic(uplink_t *u, const char *sub);

#endif
