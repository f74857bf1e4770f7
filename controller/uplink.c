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
#include "resolve.h"

#define UPLINK_WINDOW 64          /* outbox messages in flight at once */
#define UPLINK_LIVE 16            /* live messages in flight at once */
#define UPLINK_MISC_MS 1000

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
	struct mosquitto *mosq;
	char *host;                   /* mqtt.host as configured */
	int port, keepalive, protocol, configured_protocol;
	/* The broker's addresses (see start_connect): a name is resolved by
	 * res, asynchronously, and its addresses are tried in turn. */
	resolver_t *res;              /* NULL when host is numeric */
	bool tls;                     /* connect by name (certificate check, SNI) */
	char **addrs;                 /* numeric, in order; NULL: resolve first */
	size_t naddrs, next_addr;     /* next_addr: the one tried now or next */
	char target[NI_MAXHOST];      /* what the last connect was given */
	bool got_connack;             /* this attempt reached the broker */
	bool attempt;                 /* a connect is out: its failure not yet counted */
	int location_expiry_s;
	bool warned_retained;         /* a retained command was logged (once per run) */
	char *prefix;                 /* PREFIX/UNIT */
	char topic[256];
	int fd;                       /* registered with the loop, -1 if none */
	bool connected, connecting;
	int64_t connected_since;
	int64_t backoff_ms, backoff_max_ms;
	int64_t retry_timer, misc_timer;
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
	int in_mosq;                  /* inside mosquitto_loop_*(): its callbacks run */
	char err[200];
	bool closing;
	int64_t last_confirmed;       /* mono ms of the last PUBACK */
};

static void watch(uplink_t *u);
static void pump(uplink_t *u);

const char *uplink_topic(uplink_t *u, const char *sub)
{
	snprintf(u->topic, sizeof(u->topic), "%s/%s", u->prefix, sub);
	return u->topic;
}

bool uplink_connected(const uplink_t *u) { return u && u->connected; }
int64_t uplink_connected_since(const uplink_t *u) { return u && u->connected ? u->connected_since : 0; }
int uplink_protocol(const uplink_t *u) { return u->protocol; }
const char *uplink_last_error(const uplink_t *u) { return u->err; }
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
		if (store_outbox_delete_many(u->st, ids, n) == 0)
			return;
		n = 0;
	}
	if (store_outbox_delete_many(u->st, u->unremoved, u->nunremoved) == 0) {
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

static int64_t retry_cb(loop_t *l, void *arg);

static void retry_in(uplink_t *u, int64_t ms)
{
	if (u->closing)
		return;
	if (u->retry_timer)
		loop_del_timer(u->loop, u->retry_timer);
	u->retry_timer = loop_add_timer(u->loop, ms, retry_cb, u);
}

static void schedule_retry(uplink_t *u)
{
	if (u->closing)
		return;
	retry_in(u, u->backoff_ms);
	log_debug("mqtt: next connection attempt in %lld ms", (long long)u->backoff_ms);
	u->backoff_ms *= 2;
	if (u->backoff_ms > u->backoff_max_ms)
		u->backoff_ms = u->backoff_max_ms;
}

static void free_addrs(uplink_t *u)
{
	for (size_t i = 0; i < u->naddrs; i++)
		free(u->addrs[i]);
	free(u->addrs);
	u->addrs = NULL;
	u->naddrs = u->next_addr = 0;
}

/* An attempt failed.  The broker was not reached at this address (no
 * CONNACK): the next address at once, without waiting; after the last one,
 * resolve again after the backoff.  A link that was up and dropped: resolve
 * again too (the name may point elsewhere now).  A broker that answered
 * (refused, or MQTT 5 not supported) is tried again at the same address.
 * Returns true if the next address is being tried now. */
static bool retry_after_failure(uplink_t *u, bool was_up, const char *why)
{
	if (u->addrs) {
		if (was_up) {
			free_addrs(u);
		} else if (!u->got_connack) {
			if (++u->next_addr < u->naddrs) {
				log_debug("mqtt: %s failed (%s); trying %s next", u->target, why,
					  u->addrs[u->next_addr]);
				retry_in(u, 0);
				return true;
			}
			free_addrs(u);
		}
	}
	schedule_retry(u);
	return false;
}

/* The link is gone (or never came): forget the window (rows stay in the
 * outbox and go again) and try later. */
static void link_down(uplink_t *u, const char *why)
{
	bool was = u->connected, attempt = u->attempt;

	if (why && *why)
		snprintf(u->err, sizeof(u->err), "%s", why);
	u->connected = false;
	u->connecting = false;
	u->attempt = false;
	u->drained = false;
	settle(u);
	clear_window(u);
	requeue_live(u);
	if (u->fd >= 0) {
		loop_del_fd(u->loop, u->fd);
		u->fd = -1;
	}
	if (was) {
		log_warnx("mqtt: lost the link to %s:%d: %s; messages wait in the outbox", u->host, u->port, u->err);
		if (u->cb.on_link)
			u->cb.on_link(u->arg, false);
	}
	if (attempt)
		retry_after_failure(u, was, u->err);
	else if (!u->retry_timer)   /* libmosquitto reports one loss twice */
		schedule_retry(u);
}

/* Hand libmosquitto one target: a numeric address (its getaddrinfo() then
 * returns at once), or the name itself with TLS (see start_connect). */
static void connect_to(uplink_t *u, const char *target)
{
	int rc;

	snprintf(u->target, sizeof(u->target), "%s", target);
	u->got_connack = false;
	if (strcmp(target, u->host))
		log_debug("mqtt: connecting to %s:%d at %s (address %zu of %zu)", u->host, u->port, target,
			  u->next_addr + 1, u->naddrs);
	else
		log_debug("mqtt: connecting to %s:%d", u->host, u->port);
	mosquitto_int_option(u->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     u->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	rc = mosquitto_connect_async(u->mosq, target, u->port, u->keepalive);
	if (u->tls)
		free_addrs(u);   /* by name: resolve again before the next attempt */
	if (rc != MOSQ_ERR_SUCCESS) {
		char why[sizeof(u->err)];
		const char *e = rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
		u->connecting = false;
		if (retry_after_failure(u, false, e))
			return;
		if (strcmp(target, u->host))
			snprintf(why, sizeof(why), "cannot connect to broker %s:%d (%s): %s", u->host, u->port,
				 target, e);
		else
			snprintf(why, sizeof(why), "cannot connect to broker %s:%d: %s", u->host, u->port, e);
		if (strcmp(why, u->err))
			log_warnx("mqtt: %s (will retry)", why);
		snprintf(u->err, sizeof(u->err), "%s", why);
		return;
	}
	u->attempt = true;
	u->connecting = true;
	watch(u);
}

static void on_resolved(void *arg, bool ok, const char *reason, char *const *addrs, size_t n);

/*
 * One connection attempt.  A numeric mqtt.host goes to libmosquitto as it
 * is.  A name is first resolved here, asynchronously (resolve.c): handed to
 * libmosquitto, its getaddrinfo() would block this loop - and the panic
 * buttons - for as long as DNS hangs, and its non-blocking connect would
 * only ever try the first address.  Each address is then tried in turn.
 *
 * With TLS (mqtt.tls_ca_file) libmosquitto checks the broker's certificate
 * against, and sends as SNI, the host string it connects to, so it must be
 * given the name: we resolve it asynchronously first and only then call
 * connect with the name.  libmosquitto resolves it again, blocking, but
 * right after a successful lookup the answer most likely comes at once
 * (from the same DNS server's cache).  That is the remaining limit: a DNS
 * server that answers us and then hangs on libmosquitto's lookup, and only
 * the first address it gets is tried.
 */
static void start_connect(uplink_t *u)
{
	if (u->closing)
		return;
	if (!u->res) {
		connect_to(u, u->host);
	} else if (u->addrs) {
		connect_to(u, u->tls ? u->host : u->addrs[u->next_addr]);
	} else if (!resolver_busy(u->res)) {
		log_debug("mqtt: resolving %s", u->host);
		if (resolver_start(u->res, u->host, on_resolved, u) < 0)
			schedule_retry(u);
	}
}

static void on_resolved(void *arg, bool ok, const char *reason, char *const *addrs, size_t n)
{
	uplink_t *u = arg;
	char list[256];
	size_t len = 0;

	if (u->closing)
		return;
	if (!ok) {
		char why[sizeof(u->err)];
		snprintf(why, sizeof(why), "cannot resolve %s: %s", u->host, reason);
		if (strcmp(why, u->err))
			log_warnx("mqtt: %s (will retry)", why);
		snprintf(u->err, sizeof(u->err), "%s", why);
		schedule_retry(u);
		return;
	}
	free_addrs(u);
	u->addrs = calloc(n, sizeof(*u->addrs));
	for (size_t i = 0; u->addrs && i < n; i++) {
		if (!(u->addrs[i] = strdup(addrs[i]))) {
			free_addrs(u);
			break;
		}
		u->naddrs++;
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", addrs[i]);
	}
	if (!u->addrs) {
		log_warnx("mqtt: cannot resolve %s: out of memory (will retry)", u->host);
		schedule_retry(u);
		return;
	}
	log_debug("mqtt: %s is %s%s", u->host, list, u->tls ? " (TLS: connecting by name)" : "");
	start_connect(u);
}

static int64_t retry_cb(loop_t *l, void *arg)
{
	uplink_t *u = arg;
	(void)l;
	u->retry_timer = 0;
	start_connect(u);
	return LOOP_TIMER_STOP;
}

/* After every libmosquitto call: (re)register its socket and write interest. */
static void fd_cb(loop_t *l, int fd, short revents, void *arg);

static void watch(uplink_t *u)
{
	int fd = mosquitto_socket(u->mosq);
	short ev = POLLIN | (mosquitto_want_write(u->mosq) ? POLLOUT : 0);

	if (fd != u->fd && u->fd >= 0) {
		loop_del_fd(u->loop, u->fd);
		u->fd = -1;
	}
	if (fd < 0)
		return;
	if (u->fd == fd)
		loop_mod_fd(u->loop, fd, ev);
	else if (loop_add_fd(u->loop, fd, ev, fd_cb, u) == 0)
		u->fd = fd;
}

static void fd_cb(loop_t *l, int fd, short revents, void *arg)
{
	uplink_t *u = arg;
	int rc = MOSQ_ERR_SUCCESS;
	(void)l;
	(void)fd;

	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		u->in_mosq++;
		rc = mosquitto_loop_read(u->mosq, 16);
		u->in_mosq--;
		if (u->nacked) {
			settle(u);
			pump(u);
		}
	}
	if (rc == MOSQ_ERR_SUCCESS && (revents & POLLOUT)) {
		u->in_mosq++;
		rc = mosquitto_loop_write(u->mosq, 16);
		u->in_mosq--;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		char why[160];
		snprintf(why, sizeof(why), "%s", rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		link_down(u, why);
		return;
	}
	watch(u);
}

static int64_t misc_cb(loop_t *l, void *arg)
{
	uplink_t *u = arg;
	(void)l;
	if (u->nunremoved)
		remove_rows(u, NULL, 0);   /* has the disk room again? */
	if (u->fd >= 0) {
		u->in_mosq++;
		int rc = mosquitto_loop_misc(u->mosq);
		u->in_mosq--;
		if (rc != MOSQ_ERR_SUCCESS && (u->connected || u->connecting))
			link_down(u, mosquitto_strerror(rc));
		else
			watch(u);
	}
	return UPLINK_MISC_MS;
}

static void on_connect(struct mosquitto *m, void *arg, int rc, int flags, const mosquitto_property *props)
{
	uplink_t *u = arg;
	(void)m;
	(void)flags;
	(void)props;

	u->connecting = false;
	u->got_connack = true;   /* the broker is at this address */
	if (rc != 0) {
		if (u->protocol == 5 && (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION || rc == CONNACK_REFUSED_PROTOCOL_VERSION)) {
			log_notice("mqtt: broker refuses MQTT 5; falling back to 3.1.1");
			u->protocol = 311;
			u->backoff_ms = 0;
		}
		char why[160];
		snprintf(why, sizeof(why), "broker %s:%d refused the connection: %s", u->host, u->port,
			 u->protocol == 5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc));
		log_warnx("mqtt: %s", why);
		mosquitto_disconnect(u->mosq);
		link_down(u, why);
		return;
	}
	u->connected = true;
	u->connected_since = loop_now_ms(u->loop);
	u->backoff_ms = 1000;
	u->err[0] = '\0';
	if (strcmp(u->target, u->host))
		log_info("mqtt: connected to %s:%d at %s (MQTT %s)", u->host, u->port, u->target,
			 u->protocol == 5 ? "5" : "3.1.1");
	else
		log_info("mqtt: connected to %s:%d (MQTT %s)", u->host, u->port, u->protocol == 5 ? "5" : "3.1.1");
	mosquitto_publish_v5(u->mosq, NULL, uplink_topic(u, "availability"), 6, "online", 1, true, NULL);
	mosquitto_subscribe_v5(u->mosq, NULL, uplink_topic(u, "cmd/+"), 1,
			       u->protocol == 5 ? MQTT_SUB_OPT_RETAIN_AS_PUBLISHED : 0, NULL);
	/* what base holds as our emergency: compared with ours (app); only its
	 * retained copy counts (sent for a new subscription with retain set) */
	if (u->cb.on_retained_emergency)
		mosquitto_subscribe_v5(u->mosq, NULL, uplink_topic(u, "emergency"), 1, 0, NULL);
	if (u->cb.on_link)
		u->cb.on_link(u->arg, true);
	pump(u);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc, const mosquitto_property *props)
{
	uplink_t *u = arg;
	(void)m;
	(void)props;
	if (u->closing)
		return;
	if (u->connected || u->connecting)
		link_down(u, rc ? mosquitto_strerror(rc) : "disconnected");
}

static void on_publish(struct mosquitto *m, void *arg, int mid, int reason, const mosquitto_property *props)
{
	uplink_t *u = arg;
	(void)m;
	(void)props;

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

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	uplink_t *u = arg;
	size_t plen = strlen(u->prefix);
	(void)m;
	(void)props;

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

	if (u->protocol == 5 && om->kind == STORE_OUTBOX_LOCATION && u->location_expiry_s > 0)
		mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, (uint32_t)u->location_expiry_s);
	rc = mosquitto_publish_v5(u->mosq, mid, om->topic, (int)strlen(om->payload), om->payload, om->qos,
				  om->retain, props);
	mosquitto_property_free_all(&props);
	return rc;
}

/* Onto the wire now, not at the next poll: an emergency must not wait
 * behind the other work of this loop iteration (the socket is non-blocking;
 * what does not fit goes when it is writable).  Not from inside one of
 * libmosquitto's callbacks (a command from base, the CONNACK): it holds its
 * callback lock there, and a write that confirms a message would take it
 * again and hang the daemon; the write then waits for POLLOUT.  Returns
 * false if the link went down. */
static bool write_now(uplink_t *u)
{
	if (!u->in_mosq && mosquitto_want_write(u->mosq)) {
		int rc = mosquitto_loop_write(u->mosq, 16);
		if (rc != MOSQ_ERR_SUCCESS) {
			link_down(u, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			return false;
		}
	}
	watch(u);
	return true;
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
		watch(u);
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
	watch(u);
	return rc == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

int uplink_publish_now(uplink_t *u, const char *sub, const char *payload, int qos, bool retain)
{
	return u ? uplink_publish_topic(u, uplink_topic(u, sub), payload, qos, retain) : -ENOTCONN;
}

static char *read_password(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char buf[512];

	if (!f) {
		snprintf(err, errlen, "mqtt.password_file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		snprintf(err, errlen, "mqtt.password_file %s is empty", path);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

uplink_t *uplink_new(loop_t *l, const struct conf *c, store_t *st, const struct uplink_callbacks *cb,
		     void *arg, char *err, size_t errlen)
{
	uplink_t *u = calloc(1, sizeof(*u));
	char idbuf[128];
	int rc;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mosquitto_lib_init();
	u->loop = l;
	u->st = st;
	u->cb = *cb;
	u->arg = arg;
	u->fd = -1;
	u->port = c->mqtt.port;
	u->keepalive = c->mqtt.keepalive_s;
	u->protocol = u->configured_protocol = c->mqtt.protocol;
	u->location_expiry_s = c->mqtt.location_expiry_s;
	u->backoff_ms = 1000;
	u->backoff_max_ms = (int64_t)c->mqtt.reconnect_max_s * 1000;
	u->host = strdup(c->mqtt.host);
	u->tls = c->mqtt.tls_ca_file != NULL;
	if (asprintf(&u->prefix, "%s/%s", c->mqtt.prefix, c->unit.id) < 0)
		u->prefix = NULL;
	if (!u->host || !u->prefix) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(idbuf, sizeof(idbuf), "%s", c->mqtt.client_id ? c->mqtt.client_id : "");
	if (!*idbuf)
		snprintf(idbuf, sizeof(idbuf), "vanctld-%s", c->unit.id);
	/* clean session: our outbox, not the broker's session, keeps messages */
	u->mosq = mosquitto_new(idbuf, true, u);
	if (!u->mosq) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto fail;
	}
	mosquitto_connect_v5_callback_set(u->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(u->mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(u->mosq, on_publish);
	mosquitto_message_v5_callback_set(u->mosq, on_message);
	mosquitto_int_option(u->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     u->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	rc = mosquitto_will_set_v5(u->mosq, uplink_topic(u, "availability"), 7, "offline", 1, true, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "cannot set the last will: %s", mosquitto_strerror(rc));
		goto fail;
	}
	if (c->mqtt.username) {
		char *pw = NULL;
		if (c->mqtt.password_file && !(pw = read_password(c->mqtt.password_file, err, errlen)))
			goto fail;
		rc = mosquitto_username_pw_set(u->mosq, c->mqtt.username, pw);
		if (pw) {
			memset(pw, 0, strlen(pw));
			free(pw);
		}
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "mqtt.username: %s", mosquitto_strerror(rc));
			goto fail;
		}
	}
	if (c->mqtt.tls_ca_file) {
		rc = mosquitto_tls_set(u->mosq, c->mqtt.tls_ca_file, NULL, c->mqtt.tls_cert_file,
				       c->mqtt.tls_key_file, NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "mqtt TLS files (ca %s, cert %s, key %s): %s", c->mqtt.tls_ca_file,
				 c->mqtt.tls_cert_file ? c->mqtt.tls_cert_file : "-",
				 c->mqtt.tls_key_file ? c->mqtt.tls_key_file : "-",
				 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			goto fail;
		}
		mosquitto_tls_insecure_set(u->mosq, c->mqtt.tls_insecure);
	}
	if (!resolve_is_numeric(u->host) && !(u->res = resolver_new(l, err, errlen)))
		goto fail;
	u->misc_timer = loop_add_timer(l, UPLINK_MISC_MS, misc_cb, u);
	start_connect(u);
	return u;
fail:
	uplink_free(u);
	return NULL;
}

void uplink_free(uplink_t *u)
{
	if (!u)
		return;
	u->closing = true;
	if (u->mosq && u->connected) {
		/* say "offline" ourselves: a clean disconnect does not fire the will */
		int mid = 0;
		if (mosquitto_publish_v5(u->mosq, &mid, uplink_topic(u, "availability"), 7, "offline", 1, true,
					 NULL) == MOSQ_ERR_SUCCESS) {
			/* shutdown only: wait up to 2 s for it to leave */
			int64_t until = mono_now_ms() + 2000;
			while (mono_now_ms() < until && mosquitto_socket(u->mosq) >= 0) {
				struct pollfd p = { mosquitto_socket(u->mosq),
						    POLLIN | (mosquitto_want_write(u->mosq) ? POLLOUT : 0), 0 };
				if (poll(&p, 1, 100) > 0) {
					if (p.revents & POLLOUT)
						mosquitto_loop_write(u->mosq, 1);
					if (p.revents & POLLIN)
						mosquitto_loop_read(u->mosq, 1);
				}
				if (!mosquitto_want_write(u->mosq))
					break;
			}
		}
		mosquitto_disconnect(u->mosq);
		mosquitto_loop_write(u->mosq, 1);
	}
	resolver_free(u->res);   /* cancels a pending lookup (on_resolved is not called) */
	free_addrs(u);
	if (u->fd >= 0)
		loop_del_fd(u->loop, u->fd);
	if (u->retry_timer)
		loop_del_timer(u->loop, u->retry_timer);
	if (u->misc_timer)
		loop_del_timer(u->loop, u->misc_timer);
	settle(u);
	clear_window(u);
	requeue_live(u);
	if (u->mosq)
		mosquitto_destroy(u->mosq);
	mosquitto_lib_cleanup();
	if (u->nunremoved)
		log_notice("mqtt: %zu delivered messages are still in the outbox (the disk is full); they go "
			   "again after the next start and base drops them by sequence number", u->nunremoved);
	free(u->unremoved);
	free(u->host);
	free(u->prefix);
	free(u);
}
