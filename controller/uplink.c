/*
 * uplink.c - MQTT link to base and the outbox pump.  See uplink.h.
 */
#include "uplink.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "log.h"
#include "mqttlink.h"

#define UPLINK_WINDOW 64          /* outbox messages in flight at once */
#define UPLINK_LIVE 16            /* live messages in flight at once */

struct inflight {
	int mid;
	int64_t id;                   /* outbox row */
	struct outbox_msg msg;        /* what was sent, for on_delivered */
};

struct uplink {
	loop_t *loop;
	store_t *st;
	struct uplink_callbacks cb;
	void *arg;
	mqttlink_t *link;             /* the connection (mqttlink.c) */
	struct mosquitto *mosq;       /* its client */
	int location_expiry_s;
	bool warned_retained;         /* a retained command was logged (once per run) */
	char *prefix;                 /* PREFIX/UNIT */
	char topic[256];
	bool connected;               /* CONNACK accepted and subscribed */
	struct inflight win[UPLINK_WINDOW];
	size_t nwin;
	struct inflight acked[UPLINK_WINDOW]; /* confirmed, row not yet deleted */
	size_t nacked;
	/* Confirmed rows whose delete failed (a full disk): remembered here
	 * until a delete succeeds, and never sent again in this run. */
	int64_t *unremoved;
	size_t nunremoved, capunremoved;
	bool remove_failing;          /* in a fault episode: said once */
	struct inflight live[UPLINK_LIVE];    /* sent live, not confirmed (id 0) */
	size_t nlive;
	bool drained;                 /* the last look found the outbox all sent */
	int64_t last_confirmed;       /* mono ms of the last PUBACK */
};

static void pump(uplink_t *u);

const char *uplink_topic(uplink_t *u, const char *sub)
{
	snprintf(u->topic, sizeof(u->topic), "%s/%s", u->prefix, sub);
	return u->topic;
}

bool uplink_connected(const uplink_t *u) { return u && u->connected; }
int64_t uplink_connected_since(const uplink_t *u) { return u && u->connected ? mqttlink_connected_since(u->link) : 0; }
int uplink_protocol(const uplink_t *u) { return mqttlink_protocol(u->link); }
const char *uplink_last_error(const uplink_t *u) { return mqttlink_last_error(u->link); }
size_t uplink_inflight(const uplink_t *u) { return u ? u->nwin + u->nlive : 0; }
int64_t uplink_last_confirmed(const uplink_t *u) { return u ? u->last_confirmed : 0; }

static void clear_window(uplink_t *u)
{
	for (size_t i = 0; i < u->nwin; i++)
		store_outbox_msg_free(&u->win[i].msg);
	u->nwin = 0;
}

/* Remember confirmed rows that could not be deleted.  Returns false when
 * there is no memory for them (they then go again: base drops them by seq). */
static bool remember_unremoved(uplink_t *u, const int64_t *ids, size_t n)
{
	if (u->nunremoved + n > u->capunremoved) {
		size_t cap = u->capunremoved ? u->capunremoved : 64;
		while (cap < u->nunremoved + n)
			cap *= 2;
		int64_t *p = realloc(u->unremoved, cap * sizeof(*p));
		if (!p)
			return false;
		u->unremoved = p;
		u->capunremoved = cap;
	}
	memcpy(u->unremoved + u->nunremoved, ids, n * sizeof(*ids));
	u->nunremoved += n;
	return true;
}

/* Delete confirmed rows: those of this read (ids[0..n)) and those kept from
 * earlier failures, in one statement.  A failure (a full disk) keeps them in
 * memory, out of the pump's reach, and is logged once per episode; the
 * first delete that works again ends the episode. */
static void remove_rows(uplink_t *u, const int64_t *ids, size_t n)
{
	size_t k = u->nunremoved;

	if (!n && !k)
		return;
	if (n && !remember_unremoved(u, ids, n)) {
		log_warnx("mqtt: out of memory: %zu delivered messages may go again", n);
		if (store_outbox_delete_many(u->st, ids, n) >= 0)
			return;
		n = 0;
	}
	if (store_outbox_delete_many(u->st, u->unremoved, u->nunremoved) >= 0) {
		if (u->remove_failing)
			log_notice("mqtt: the outbox can be written again: %zu delivered messages kept in "
				   "memory are removed from it", k);
		u->remove_failing = false;
		u->nunremoved = 0;
		return;
	}
	if (!u->remove_failing)
		log_warnx("mqtt: %zu delivered messages could not be removed from the outbox: %s; they are "
			  "kept in memory and not sent again, and removed once the disk takes it",
			  u->nunremoved, store_errmsg(u->st));
	u->remove_failing = true;
}

size_t uplink_unremoved(const uplink_t *u)
{
	return u ? u->nunremoved : 0;
}

/* Confirmed outbox rows: deleted together, in one transaction per read from
 * the socket, not one per PUBACK (a row deleted late goes again after a
 * crash: base drops it by seq). */
static void settle(uplink_t *u)
{
	struct inflight done[UPLINK_WINDOW];
	int64_t ids[UPLINK_WINDOW];
	size_t n = u->nacked;

	if (!n)
		return;
	memcpy(done, u->acked, n * sizeof(done[0]));
	u->nacked = 0;
	for (size_t i = 0; i < n; i++)
		ids[i] = done[i].id;
	remove_rows(u, ids, n);
	for (size_t i = 0; i < n; i++) {
		if (u->cb.on_delivered)
			u->cb.on_delivered(u->arg, &done[i].msg, loop_now_ms(u->loop));
		store_outbox_msg_free(&done[i].msg);
	}
}

/* Queue a message in the outbox (superseding the queued ones of its kind
 * and topic, with supersede).  Returns 0 or <0 with the store's error. */
static int enqueue(uplink_t *u, const struct outbox_msg *m, bool supersede)
{
	int64_t id = store_outbox_queue(u->st, m, supersede);
	return id < 0 ? (int)id : 0;
}

/* Live messages the broker had not confirmed when the link went (or we
 * stop): into the outbox, oldest first, so that they go again and a
 * superseding kind keeps its newest. */
static void requeue_live(uplink_t *u)
{
	for (size_t i = 0; i < u->nlive; i++) {
		struct outbox_msg *m = &u->live[i].msg;
		if (enqueue(u, m, m->kind == STORE_OUTBOX_STATE) < 0)
			log_warnx("mqtt: unconfirmed message for %s lost: cannot queue it: %s", m->topic,
				  store_errmsg(u->st));
		store_outbox_msg_free(m);
	}
	u->nlive = 0;
}

/* The link is gone (or an attempt failed): forget the window (rows stay in
 * the outbox and go again); live messages go to the outbox. */
static void on_down(void *arg, bool was_up)
{
	uplink_t *u = arg;

	u->connected = false;
	u->drained = false;
	settle(u);
	clear_window(u);
	requeue_live(u);
	if (was_up) {
		log_warnx("mqtt: lost the link to %s:%d: %s; messages wait in the outbox", mqttlink_host(u->link),
			  mqttlink_port(u->link), mqttlink_last_error(u->link));
		if (u->cb.on_link)
			u->cb.on_link(u->arg, false);
	}
}

static void on_up(void *arg)
{
	uplink_t *u = arg;

	u->connected = true;
	mosquitto_subscribe_v5(u->mosq, NULL, uplink_topic(u, "cmd/+"), 1,
			       mqttlink_protocol(u->link) == 5 ? MQTT_SUB_OPT_RETAIN_AS_PUBLISHED : 0, NULL);
	/* what base holds as our emergency: compared with ours (app); only its
	 * retained copy counts (sent for a new subscription with retain set) */
	if (u->cb.on_retained_emergency)
		mosquitto_subscribe_v5(u->mosq, NULL, uplink_topic(u, "emergency"), 1, 0, NULL);
	if (u->cb.on_link)
		u->cb.on_link(u->arg, true);
	pump(u);
}

/* After each read: the confirmations of this batch in one transaction. */
static void after_read(void *arg)
{
	uplink_t *u = arg;
	if (u->nacked) {
		settle(u);
		pump(u);
	}
}

static void on_misc(void *arg)
{
	uplink_t *u = arg;
	if (u->nunremoved)
		remove_rows(u, NULL, 0);   /* has the disk room again? */
}

static void on_publish(void *arg, int mid, int reason)
{
	uplink_t *u = arg;

	for (int pass = 0; pass < 2; pass++) {
		struct inflight *tab = pass ? u->live : u->win;
		size_t *n = pass ? &u->nlive : &u->nwin;
		for (size_t i = 0; i < *n; i++) {
			if (tab[i].mid != mid)
				continue;
			struct inflight f = tab[i];
			tab[i] = tab[--*n];
			if (reason >= 0x80) {
				/* refused by the broker (e.g. not authorised): an
				 * outbox row stays and goes again after the next
				 * reconnect; say so */
				log_warnx("mqtt: broker refused %s: %s", f.msg.topic, mosquitto_reason_string(reason));
				store_outbox_msg_free(&f.msg);
				return;
			}
			u->last_confirmed = loop_now_ms(u->loop);
			if (pass)
				store_outbox_msg_free(&f.msg);
			else
				u->acked[u->nacked++] = f;   /* settle() after this read */
			return;
		}
	}
}

static void on_message(void *arg, const struct mosquitto_message *msg)
{
	uplink_t *u = arg;
	size_t plen = strlen(u->prefix);

	if (!strncmp(msg->topic, u->prefix, plen) && !strcmp(msg->topic + plen, "/emergency")) {
		/* only the retained one (our own live publishes come back too) */
		if (msg->retain && u->cb.on_retained_emergency)
			u->cb.on_retained_emergency(u->arg, msg->payload ? msg->payload : "",
						    (size_t)msg->payloadlen);
		return;
	}
	if (strncmp(msg->topic, u->prefix, plen) || strncmp(msg->topic + plen, "/cmd/", 5))
		return;
	/* A retained command would run again at every (re)connection: an old
	 * ack acknowledging a later emergency, a replay at every restart.  It
	 * is never run, nor answered (it would be answered again each time);
	 * the log says so once per run.  (MQTT 5: subscribed with "retain as
	 * published", so one published retained while the van is connected is
	 * caught too; with 3.1.1 that one arrives unflagged and runs once.) */
	if (msg->retain) {
		if (!u->warned_retained) {
			log_warnx("mqtt: ignored a RETAINED command on %s: commands must not be retained "
				  "(remove it: mosquitto_pub -r -n -t '%s'); further ones are ignored without a word",
				  msg->topic, msg->topic);
			u->warned_retained = true;
		} else {
			log_debug("mqtt: ignored a retained command on %s", msg->topic);
		}
		return;
	}
	/* the name is checked, and a bad one answered, with the rest of the command */
	if (u->cb.on_command)
		u->cb.on_command(u->arg, msg->topic + plen + 5, msg->payload ? msg->payload : "",
				 (size_t)msg->payloadlen);
}

static bool in_window(const uplink_t *u, int64_t id)
{
	for (size_t i = 0; i < u->nwin; i++)
		if (u->win[i].id == id)
			return true;
	return false;
}

/* Hand one message to libmosquitto.  Returns a MOSQ_ERR_*. */
static int publish_msg(uplink_t *u, const struct outbox_msg *om, int *mid)
{
	mosquitto_property *props = NULL;
	int rc;

	if (mqttlink_protocol(u->link) == 5 && om->kind == STORE_OUTBOX_LOCATION && u->location_expiry_s > 0)
		mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, (uint32_t)u->location_expiry_s);
	rc = mosquitto_publish_v5(u->mosq, mid, om->topic, (int)strlen(om->payload), om->payload, om->qos,
				  om->retain, props);
	mosquitto_property_free_all(&props);
	return rc;
}

/* Onto the wire now, not at the next poll (mqttlink_flush): an emergency
 * must not wait behind the other work of this loop iteration. */
static bool write_now(uplink_t *u)
{
	return mqttlink_flush(u->link);
}

static void pump(uplink_t *u)
{
	struct outbox_msg batch[UPLINK_WINDOW];
	int64_t wids[UPLINK_WINDOW] = { 0 }, *ids = wids;
	size_t want, nex = u->nwin;

	if (!u->connected || u->nwin >= UPLINK_WINDOW)
		return;
	/* not the rows in flight, nor those confirmed but not yet removed */
	if (u->nunremoved) {
		if (!(ids = malloc((u->nwin + u->nunremoved) * sizeof(*ids)))) {
			log_warnx("mqtt: out of memory; the outbox waits");
			return;
		}
		memcpy(ids + u->nwin, u->unremoved, u->nunremoved * sizeof(*ids));
		nex += u->nunremoved;
	}
	for (size_t i = 0; i < u->nwin; i++)
		ids[i] = u->win[i].id;
	want = UPLINK_WINDOW - u->nwin;
	int n = store_outbox_peek(u->st, batch, want, ids, nex);
	if (ids != wids)
		free(ids);
	if (n < 0) {
		log_warnx("mqtt: cannot read the outbox: %s", store_errmsg(u->st));
		u->drained = false;
		return;
	}
	/* all that is queued is now on the wire: live messages may go directly */
	u->drained = (size_t)n < want;
	for (int i = 0; i < n; i++) {
		struct outbox_msg *om = &batch[i];
		int mid = 0, rc;

		if (in_window(u, om->id) || u->nwin >= UPLINK_WINDOW) {
			store_outbox_msg_free(om);
			continue;
		}
		rc = publish_msg(u, om, &mid);
		if (rc != MOSQ_ERR_SUCCESS) {
			log_warnx("mqtt: publish to %s failed: %s", om->topic, mosquitto_strerror(rc));
			for (int j = i; j < n; j++)
				store_outbox_msg_free(&batch[j]);
			u->drained = false;
			break;
		}
		u->win[u->nwin++] = (struct inflight){ mid, om->id, *om };
	}
	if (n > 0)
		write_now(u);
	else
		mqttlink_watch(u->link);
}

void uplink_kick(uplink_t *u)
{
	if (u) {
		u->drained = false;
		pump(u);
	}
}

int uplink_send(uplink_t *u, const struct outbox_msg *m, unsigned flags)
{
	if (!u || !m || !m->topic || !m->payload)
		return -EINVAL;
	if ((flags & (UPLINK_LIVE_OK | UPLINK_URGENT)) && u->connected && u->nlive < UPLINK_LIVE &&
	    ((flags & UPLINK_URGENT) || (u->drained && u->nwin == 0))) {
		struct inflight f = { .id = 0, .msg = *m };
		f.msg.id = 0;
		f.msg.topic = strdup(m->topic);
		f.msg.payload = strdup(m->payload);
		if (f.msg.topic && f.msg.payload && publish_msg(u, &f.msg, &f.mid) == MOSQ_ERR_SUCCESS) {
			u->live[u->nlive++] = f;
			write_now(u);   /* if the link goes now, it is requeued: not lost */
			return 0;
		}
		store_outbox_msg_free(&f.msg);
	}
	int rc = enqueue(u, m, flags & UPLINK_SUPERSEDE);
	if (rc == 0)
		uplink_kick(u);
	return rc;
}

int uplink_publish_topic(uplink_t *u, const char *topic, const char *payload, int qos, bool retain)
{
	if (!u || !u->connected)
		return -ENOTCONN;
	int rc = mosquitto_publish_v5(u->mosq, NULL, topic, (int)strlen(payload), payload, qos, retain, NULL);
	mqttlink_watch(u->link);
	return rc == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

int uplink_publish_now(uplink_t *u, const char *sub, const char *payload, int qos, bool retain)
{
	return u ? uplink_publish_topic(u, uplink_topic(u, sub), payload, qos, retain) : -ENOTCONN;
}

uplink_t *uplink_new(loop_t *l, const struct conf *c, store_t *st, const struct uplink_callbacks *cb,
		     void *arg, char *err, size_t errlen)
{
	uplink_t *u = calloc(1, sizeof(*u));
	char idbuf[128], avail[256];

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->loop = l;
	u->st = st;
	u->cb = *cb;
	u->arg = arg;
	u->location_expiry_s = c->mqtt.location_expiry_s;
	if (asprintf(&u->prefix, "%s/%s", c->mqtt.prefix, c->unit.id) < 0)
		u->prefix = NULL;
	if (!u->prefix) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(idbuf, sizeof(idbuf), "%s", c->mqtt.link.client_id ? c->mqtt.link.client_id : "");
	if (!*idbuf)
		snprintf(idbuf, sizeof(idbuf), "vanctld-%s", c->unit.id);
	snprintf(avail, sizeof(avail), "%s/availability", u->prefix);
	struct mqttlink_conf lc = c->mqtt.link;
	lc.client_id = idbuf;
	lc.clean_session = true;   /* our outbox, not the broker's session, keeps messages */
	lc.availability_topic = avail;
	const struct mqttlink_callbacks lcb = {
		.on_up = on_up,
		.on_down = on_down,
		.on_message = on_message,
		.on_publish = on_publish,
		.after_read = after_read,
		.on_misc = on_misc,
	};
	if (!(u->link = mqttlink_new(l, &lc, &lcb, u, err, errlen)))
		goto fail;
	u->mosq = mqttlink_mosq(u->link);
	return u;
fail:
	uplink_free(u);
	return NULL;
}

void uplink_free(uplink_t *u)
{
	if (!u)
		return;
	mqttlink_free(u->link);   /* "offline", disconnect; no callbacks from here on */
	settle(u);
	clear_window(u);
	requeue_live(u);
	if (u->nunremoved)
		log_notice("mqtt: %zu delivered messages are still in the outbox (the disk is full); they go "
			   "again after the next start and base drops them by sequence number", u->nunremoved);
	free(u->unremoved);
	free(u->prefix);
	free(u);
}
