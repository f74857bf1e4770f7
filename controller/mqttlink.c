/*
 * mqttlink.c - one MQTT client connection in the poll loop.  See mqttlink.h.
 */
#include "mqttlink.h"

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

#define MQTTLINK_MISC_MS 1000

struct mqttlink {
	loop_t *loop;
	struct mqttlink_callbacks cb;
	void *arg;
	struct mosquitto *mosq;
	char *host;                   /* as configured */
	char *avail;                  /* availability topic, or NULL */
	int port, keepalive, protocol;
	/* The broker's addresses (see start_connect): a name is resolved by
	 * res, asynchronously, and its addresses are tried in turn. */
	resolver_t *res;              /* NULL when host is numeric */
	bool tls;                     /* connect by name (certificate check, SNI) */
	char **addrs;                 /* numeric, in order; NULL: resolve first */
	size_t naddrs, next_addr;     /* next_addr: the one tried now or next */
	char target[NI_MAXHOST];      /* what the last connect was given */
	bool got_connack;             /* this attempt reached the broker */
	bool attempt;                 /* a connect is out: its failure not yet counted */
	int fd;                       /* registered with the loop, -1 if none */
	bool connected, connecting;
	int64_t connected_since;
	int64_t backoff_ms, backoff_max_ms;
	int64_t retry_timer, misc_timer;
	int in_mosq;                  /* inside mosquitto_loop_*(): its callbacks run */
	char err[200];
	bool closing;
};

bool mqttlink_connected(const mqttlink_t *lk) { return lk && lk->connected; }
int64_t mqttlink_connected_since(const mqttlink_t *lk) { return lk && lk->connected ? lk->connected_since : 0; }
int mqttlink_protocol(const mqttlink_t *lk) { return lk->protocol; }
const char *mqttlink_last_error(const mqttlink_t *lk) { return lk->err; }
const char *mqttlink_host(const mqttlink_t *lk) { return lk->host; }
int mqttlink_port(const mqttlink_t *lk) { return lk->port; }
struct mosquitto *mqttlink_mosq(mqttlink_t *lk) { return lk->mosq; }

static void watch(mqttlink_t *lk);

static int64_t retry_cb(loop_t *l, void *arg);

static void retry_in(mqttlink_t *lk, int64_t ms)
{
	if (lk->closing)
		return;
	if (lk->retry_timer)
		loop_del_timer(lk->loop, lk->retry_timer);
	lk->retry_timer = loop_add_timer(lk->loop, ms, retry_cb, lk);
}

static void schedule_retry(mqttlink_t *lk)
{
	if (lk->closing)
		return;
	retry_in(lk, lk->backoff_ms);
	log_debug("mqtt: next connection attempt in %lld ms", (long long)lk->backoff_ms);
	lk->backoff_ms *= 2;
	if (lk->backoff_ms > lk->backoff_max_ms)
		lk->backoff_ms = lk->backoff_max_ms;
}

static void free_addrs(mqttlink_t *lk)
{
	for (size_t i = 0; i < lk->naddrs; i++)
		free(lk->addrs[i]);
	free(lk->addrs);
	lk->addrs = NULL;
	lk->naddrs = lk->next_addr = 0;
}

/* An attempt failed.  The broker was not reached at this address (no
 * CONNACK): the next address at once, without waiting; after the last one,
 * resolve again after the backoff.  A link that was up and dropped: resolve
 * again too (the name may point elsewhere now).  A broker that answered
 * (refused, or MQTT 5 not supported) is tried again at the same address.
 * Returns true if the next address is being tried now. */
static bool retry_after_failure(mqttlink_t *lk, bool was_up, const char *why)
{
	if (lk->addrs) {
		if (was_up) {
			free_addrs(lk);
		} else if (!lk->got_connack) {
			if (++lk->next_addr < lk->naddrs) {
				log_debug("mqtt: %s failed (%s); trying %s next", lk->target, why,
					  lk->addrs[lk->next_addr]);
				retry_in(lk, 0);
				return true;
			}
			free_addrs(lk);
		}
	}
	schedule_retry(lk);
	return false;
}

/* The link is gone (or never came): tell the user, try later. */
static void link_down(mqttlink_t *lk, const char *why)
{
	bool was = lk->connected, attempt = lk->attempt;

	if (why && *why)
		snprintf(lk->err, sizeof(lk->err), "%s", why);
	lk->connected = false;
	lk->connecting = false;
	lk->attempt = false;
	if (lk->fd >= 0) {
		loop_del_fd(lk->loop, lk->fd);
		lk->fd = -1;
	}
	if (lk->cb.on_down)
		lk->cb.on_down(lk->arg, was);
	if (attempt)
		retry_after_failure(lk, was, lk->err);
	else if (!lk->retry_timer)   /* libmosquitto reports one loss twice */
		schedule_retry(lk);
}

/* Hand libmosquitto one target: a numeric address (its getaddrinfo() then
 * returns at once), or the name itself with TLS (see start_connect). */
static void connect_to(mqttlink_t *lk, const char *target)
{
	int rc;

	snprintf(lk->target, sizeof(lk->target), "%s", target);
	lk->got_connack = false;
	if (strcmp(target, lk->host))
		log_debug("mqtt: connecting to %s:%d at %s (address %zu of %zu)", lk->host, lk->port, target,
			  lk->next_addr + 1, lk->naddrs);
	else
		log_debug("mqtt: connecting to %s:%d", lk->host, lk->port);
	mosquitto_int_option(lk->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     lk->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	rc = mosquitto_connect_async(lk->mosq, target, lk->port, lk->keepalive);
	if (lk->tls)
		free_addrs(lk);   /* by name: resolve again before the next attempt */
	if (rc != MOSQ_ERR_SUCCESS) {
		char why[sizeof(lk->err)];
		const char *e = rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
		lk->connecting = false;
		if (retry_after_failure(lk, false, e))
			return;
		if (strcmp(target, lk->host))
			snprintf(why, sizeof(why), "cannot connect to broker %s:%d (%s): %s", lk->host, lk->port,
				 target, e);
		else
			snprintf(why, sizeof(why), "cannot connect to broker %s:%d: %s", lk->host, lk->port, e);
		if (strcmp(why, lk->err))
			log_warnx("mqtt: %s (will retry)", why);
		snprintf(lk->err, sizeof(lk->err), "%s", why);
		return;
	}
	lk->attempt = true;
	lk->connecting = true;
	watch(lk);
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
static void start_connect(mqttlink_t *lk)
{
	if (lk->closing)
		return;
	if (!lk->res) {
		connect_to(lk, lk->host);
	} else if (lk->addrs) {
		connect_to(lk, lk->tls ? lk->host : lk->addrs[lk->next_addr]);
	} else if (!resolver_busy(lk->res)) {
		log_debug("mqtt: resolving %s", lk->host);
		if (resolver_start(lk->res, lk->host, on_resolved, lk) < 0)
			schedule_retry(lk);
	}
}

static void on_resolved(void *arg, bool ok, const char *reason, char *const *addrs, size_t n)
{
	mqttlink_t *lk = arg;
	char list[256];
	size_t len = 0;

	if (lk->closing)
		return;
	if (!ok) {
		char why[sizeof(lk->err)];
		snprintf(why, sizeof(why), "cannot resolve %s: %s", lk->host, reason);
		if (strcmp(why, lk->err))
			log_warnx("mqtt: %s (will retry)", why);
		snprintf(lk->err, sizeof(lk->err), "%s", why);
		schedule_retry(lk);
		return;
	}
	free_addrs(lk);
	lk->addrs = calloc(n, sizeof(*lk->addrs));
	for (size_t i = 0; lk->addrs && i < n; i++) {
		if (!(lk->addrs[i] = strdup(addrs[i]))) {
			free_addrs(lk);
			break;
		}
		lk->naddrs++;
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", addrs[i]);
	}
	if (!lk->addrs) {
		log_warnx("mqtt: cannot resolve %s: out of memory (will retry)", lk->host);
		schedule_retry(lk);
		return;
	}
	log_debug("mqtt: %s is %s%s", lk->host, list, lk->tls ? " (TLS: connecting by name)" : "");
	start_connect(lk);
}

static int64_t retry_cb(loop_t *l, void *arg)
{
	mqttlink_t *lk = arg;
	(void)l;
	lk->retry_timer = 0;
	start_connect(lk);
	return LOOP_TIMER_STOP;
}

/* After every libmosquitto call: (re)register its socket and write interest. */
static void fd_cb(loop_t *l, int fd, short revents, void *arg);

static void watch(mqttlink_t *lk)
{
	int fd = mosquitto_socket(lk->mosq);
	short ev = POLLIN | (mosquitto_want_write(lk->mosq) ? POLLOUT : 0);

	if (fd != lk->fd && lk->fd >= 0) {
		loop_del_fd(lk->loop, lk->fd);
		lk->fd = -1;
	}
	if (fd < 0)
		return;
	if (lk->fd == fd)
		loop_mod_fd(lk->loop, fd, ev);
	else if (loop_add_fd(lk->loop, fd, ev, fd_cb, lk) == 0)
		lk->fd = fd;
}

static void fd_cb(loop_t *l, int fd, short revents, void *arg)
{
	mqttlink_t *lk = arg;
	int rc = MOSQ_ERR_SUCCESS;
	(void)l;
	(void)fd;

	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		lk->in_mosq++;
		rc = mosquitto_loop_read(lk->mosq, 16);
		lk->in_mosq--;
		if (lk->cb.after_read && !lk->closing)
			lk->cb.after_read(lk->arg);
	}
	if (rc == MOSQ_ERR_SUCCESS && (revents & POLLOUT)) {
		lk->in_mosq++;
		rc = mosquitto_loop_write(lk->mosq, 16);
		lk->in_mosq--;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		char why[160];
		snprintf(why, sizeof(why), "%s", rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		link_down(lk, why);
		return;
	}
	watch(lk);
}

static int64_t misc_cb(loop_t *l, void *arg)
{
	mqttlink_t *lk = arg;
	(void)l;
	if (lk->cb.on_misc)
		lk->cb.on_misc(lk->arg);
	if (lk->fd >= 0) {
		lk->in_mosq++;
		int rc = mosquitto_loop_misc(lk->mosq);
		lk->in_mosq--;
		if (rc != MOSQ_ERR_SUCCESS && (lk->connected || lk->connecting))
			link_down(lk, mosquitto_strerror(rc));
		else
			watch(lk);
	}
	return MQTTLINK_MISC_MS;
}

void mqttlink_watch(mqttlink_t *lk)
{
	if (lk)
		watch(lk);
}

bool mqttlink_flush(mqttlink_t *lk)
{
	if (!lk->in_mosq && mosquitto_want_write(lk->mosq)) {
		int rc = mosquitto_loop_write(lk->mosq, 16);
		if (rc != MOSQ_ERR_SUCCESS) {
			link_down(lk, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			return false;
		}
	}
	watch(lk);
	return true;
}

static void on_connect(struct mosquitto *m, void *arg, int rc, int flags, const mosquitto_property *props)
{
	mqttlink_t *lk = arg;
	(void)m;
	(void)flags;
	(void)props;

	lk->connecting = false;
	lk->got_connack = true;   /* the broker is at this address */
	if (rc != 0) {
		if (lk->protocol == 5 && (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION || rc == CONNACK_REFUSED_PROTOCOL_VERSION)) {
			log_notice("mqtt: broker refuses MQTT 5; falling back to 3.1.1");
			lk->protocol = 311;
			lk->backoff_ms = 0;
		}
		char why[160];
		snprintf(why, sizeof(why), "broker %s:%d refused the connection: %s", lk->host, lk->port,
			 lk->protocol == 5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc));
		log_warnx("mqtt: %s", why);
		mosquitto_disconnect(lk->mosq);
		link_down(lk, why);
		return;
	}
	lk->connected = true;
	lk->connected_since = loop_now_ms(lk->loop);
	lk->backoff_ms = 1000;
	lk->err[0] = '\0';
	if (strcmp(lk->target, lk->host))
		log_info("mqtt: connected to %s:%d at %s (MQTT %s)", lk->host, lk->port, lk->target,
			 lk->protocol == 5 ? "5" : "3.1.1");
	else
		log_info("mqtt: connected to %s:%d (MQTT %s)", lk->host, lk->port, lk->protocol == 5 ? "5" : "3.1.1");
	if (lk->avail)
		mosquitto_publish_v5(lk->mosq, NULL, lk->avail, 6, "online", 1, true, NULL);
	if (lk->cb.on_up)
		lk->cb.on_up(lk->arg);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc, const mosquitto_property *props)
{
	mqttlink_t *lk = arg;
	(void)m;
	(void)props;
	if (lk->closing)
		return;
	if (lk->connected || lk->connecting)
		link_down(lk, rc ? mosquitto_strerror(rc) : "disconnected");
}

static void on_publish(struct mosquitto *m, void *arg, int mid, int reason, const mosquitto_property *props)
{
	mqttlink_t *lk = arg;
	(void)m;
	(void)props;
	if (lk->cb.on_publish)
		lk->cb.on_publish(lk->arg, mid, reason);
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	mqttlink_t *lk = arg;
	(void)m;
	(void)props;
	if (lk->cb.on_message && !lk->closing)
		lk->cb.on_message(lk->arg, msg);
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

mqttlink_t *mqttlink_new(loop_t *l, const struct mqttlink_conf *c, const struct mqttlink_callbacks *cb,
			 void *arg, char *err, size_t errlen)
{
	mqttlink_t *lk = calloc(1, sizeof(*lk));
	int rc;

	if (!lk) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mosquitto_lib_init();
	lk->loop = l;
	lk->cb = *cb;
	lk->arg = arg;
	lk->fd = -1;
	lk->port = c->port;
	lk->keepalive = c->keepalive_s;
	lk->protocol = c->protocol;
	lk->backoff_ms = 1000;
	lk->backoff_max_ms = (int64_t)c->reconnect_max_s * 1000;
	lk->host = strdup(c->host);
	lk->avail = c->availability_topic ? strdup(c->availability_topic) : NULL;
	lk->tls = c->tls_ca_file != NULL;
	if (!lk->host || (c->availability_topic && !lk->avail)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	lk->mosq = mosquitto_new(c->client_id, c->clean_session, lk);
	if (!lk->mosq) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto fail;
	}
	mosquitto_connect_v5_callback_set(lk->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(lk->mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(lk->mosq, on_publish);
	mosquitto_message_v5_callback_set(lk->mosq, on_message);
	mosquitto_int_option(lk->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     lk->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	if (lk->avail) {
		rc = mosquitto_will_set_v5(lk->mosq, lk->avail, 7, "offline", 1, true, NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "cannot set the last will: %s", mosquitto_strerror(rc));
			goto fail;
		}
	}
	if (c->username) {
		char *pw = NULL;
		if (c->password_file && !(pw = read_password(c->password_file, err, errlen)))
			goto fail;
		rc = mosquitto_username_pw_set(lk->mosq, c->username, pw);
		if (pw) {
			memset(pw, 0, strlen(pw));
			free(pw);
		}
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "mqtt.username: %s", mosquitto_strerror(rc));
			goto fail;
		}
	}
	if (c->tls_ca_file) {
		rc = mosquitto_tls_set(lk->mosq, c->tls_ca_file, NULL, c->tls_cert_file, c->tls_key_file, NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "mqtt TLS files (ca %s, cert %s, key %s): %s", c->tls_ca_file,
				 c->tls_cert_file ? c->tls_cert_file : "-", c->tls_key_file ? c->tls_key_file : "-",
				 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
			goto fail;
		}
		mosquitto_tls_insecure_set(lk->mosq, c->tls_insecure);
	}
	if (!resolve_is_numeric(lk->host) && !(lk->res = resolver_new(l, err, errlen)))
		goto fail;
	lk->misc_timer = loop_add_timer(l, MQTTLINK_MISC_MS, misc_cb, lk);
	start_connect(lk);
	return lk;
fail:
	mqttlink_free(lk);
	return NULL;
}

void mqttlink_free(mqttlink_t *lk)
{
	if (!lk)
		return;
	lk->closing = true;
	if (lk->mosq && lk->connected) {
		/* say "offline" ourselves: a clean disconnect does not fire the will */
		int mid = 0;
		if (lk->avail && mosquitto_publish_v5(lk->mosq, &mid, lk->avail, 7, "offline", 1, true, NULL) ==
				 MOSQ_ERR_SUCCESS) {
			/* shutdown only: wait up to 2 s for it to leave */
			int64_t until = mono_now_ms() + 2000;
			while (mono_now_ms() < until && mosquitto_socket(lk->mosq) >= 0) {
				struct pollfd p = { mosquitto_socket(lk->mosq),
						    POLLIN | (mosquitto_want_write(lk->mosq) ? POLLOUT : 0), 0 };
				if (poll(&p, 1, 100) > 0) {
					if (p.revents & POLLOUT)
						mosquitto_loop_write(lk->mosq, 1);
					if (p.revents & POLLIN)
						mosquitto_loop_read(lk->mosq, 1);
				}
				if (!mosquitto_want_write(lk->mosq))
					break;
			}
		}
		mosquitto_disconnect(lk->mosq);
		mosquitto_loop_write(lk->mosq, 1);
	}
	resolver_free(lk->res);   /* cancels a pending lookup (on_resolved is not called) */
	free_addrs(lk);
	if (lk->fd >= 0)
		loop_del_fd(lk->loop, lk->fd);
	if (lk->retry_timer)
		loop_del_timer(lk->loop, lk->retry_timer);
	if (lk->misc_timer)
		loop_del_timer(lk->loop, lk->misc_timer);
	if (lk->mosq)
		mosquitto_destroy(lk->mosq);
	mosquitto_lib_cleanup();
	free(lk->host);
	free(lk->avail);
	free(lk);
}
