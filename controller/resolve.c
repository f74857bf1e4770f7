/*
 * resolve.c - asynchronous host name resolution with c-ares.  See resolve.h.
 */
#include "resolve.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ares.h>

#include "log.h"

struct resolver {
	loop_t *loop;
	ares_channel ch;              /* NULL when none */
	bool used;                    /* ch has served a lookup: a new one next time */
	bool busy;                    /* a lookup is pending */
	bool freeing;
	bool in_cb;                   /* inside the user's callback */
	int64_t timer;                /* at ares_timeout(), 0 if none */
	resolve_cb cb;
	void *arg;
};

static int64_t timer_cb(loop_t *l, void *arg);

/* After every call into c-ares: its next deadline on our loop. */
static void rearm(resolver_t *r)
{
	struct timeval tv;

	if (r->ch && ares_timeout(r->ch, NULL, &tv)) {
		/* rounded up: a timer that fires before the deadline only
		 * spins round once more */
		int64_t ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
		loop_timer_at(r->loop, &r->timer, loop_now_ms(r->loop) + ms, timer_cb, r);
	} else {
		loop_timer_at(r->loop, &r->timer, -1, timer_cb, r);
	}
}

static int64_t timer_cb(loop_t *l, void *arg)
{
	resolver_t *r = arg;
	(void)l;
	r->timer = 0;
	if (r->ch)
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  /* timeouts */
	rearm(r);
	return LOOP_TIMER_STOP;
}

static void fd_cb(loop_t *l, int fd, short revents, void *arg)
{
	resolver_t *r = arg;
	(void)l;
	if (!r->ch)
		return;
	ares_process_fd(r->ch, (revents & (POLLIN | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD,
			(revents & (POLLOUT | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD);
	rearm(r);
}

/* c-ares opens, watches and closes its own sockets; we only poll them. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	resolver_t *r = data;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));

	if (!ev) {
		loop_del_fd(r->loop, fd);
		return;
	}
	if (loop_mod_fd(r->loop, fd, ev) == -ENOENT) {
		int rc = loop_add_fd(r->loop, fd, ev, fd_cb, r);
		if (rc < 0)   /* the lookup then ends at its timeout */
			log_warnx("resolver: cannot watch socket %d: %s", fd, strerror(-rc));
	}
}

/* A channel reads /etc/resolv.conf and /etc/hosts when it is made: one per
 * lookup, so that name servers the mobile link brings up later are used
 * (glibc re-reads them too).  Returns an ARES_* status. */
static int open_channel(resolver_t *r)
{
	struct ares_options o;
	const char *servers = getenv("VANCTLD_DNS_SERVERS");   /* test-only, see resolve.h */
	int rc;

	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = r;
	o.timeout = RESOLVE_TIMEOUT_MS;
	o.tries = RESOLVE_TRIES;
	rc = ares_init_options(&r->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		r->ch = NULL;
		return rc;
	}
	if (servers && *servers && (rc = ares_set_servers_ports_csv(r->ch, servers)) != ARES_SUCCESS) {
		ares_destroy(r->ch);
		r->ch = NULL;
		return rc;
	}
	r->used = false;
	return ARES_SUCCESS;
}

static void close_channel(resolver_t *r)
{
	if (r->ch) {
		ares_destroy(r->ch);   /* pending callbacks: ARES_EDESTRUCTION */
		r->ch = NULL;
	}
	loop_timer_at(r->loop, &r->timer, -1, timer_cb, r);
}

resolver_t *resolver_new(loop_t *l, char *err, size_t errlen)
{
	resolver_t *r = calloc(1, sizeof(*r));
	int rc;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->loop = l;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(r);
		return NULL;
	}
	rc = open_channel(r);
	if (rc != ARES_SUCCESS) {
		const char *servers = getenv("VANCTLD_DNS_SERVERS");
		snprintf(err, errlen, "resolver%s%s: %s", servers ? " VANCTLD_DNS_SERVERS=" : "",
			 servers ? servers : "", ares_strerror(rc));
		ares_library_cleanup();
		free(r);
		return NULL;
	}
	return r;
}

void resolver_free(resolver_t *r)
{
	if (!r)
		return;
	r->freeing = true;
	close_channel(r);
	ares_library_cleanup();
	free(r);
}

bool resolver_busy(const resolver_t *r) { return r && r->busy; }

static void gai_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	resolver_t *r = arg;
	resolve_cb cb = r->cb;
	char **addrs = NULL;
	size_t n = 0, cap = 0;
	(void)timeouts;

	r->busy = false;
	r->cb = NULL;
	if (r->freeing || !cb) {
		ares_freeaddrinfo(res);
		return;
	}
	if (status != ARES_SUCCESS || !res) {
		ares_freeaddrinfo(res);
		r->in_cb = true;
		cb(r->arg, false, ares_strerror(status), NULL, 0);
		r->in_cb = false;
		return;
	}
	for (struct ares_addrinfo_node *a = res->nodes; a; a = a->ai_next)
		cap++;
	addrs = cap ? calloc(cap, sizeof(*addrs)) : NULL;
	for (struct ares_addrinfo_node *a = res->nodes; a && addrs; a = a->ai_next) {
		char host[NI_MAXHOST];
		bool dup = false;
		if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
		    getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = !strcmp(addrs[i], host);
		if (!dup && (addrs[n] = strdup(host)))
			n++;
	}
	ares_freeaddrinfo(res);
	r->in_cb = true;
	if (n)
		cb(r->arg, true, NULL, addrs, n);
	else
		cb(r->arg, false, cap && !addrs ? "out of memory" : "no IPv4 or IPv6 address", NULL, 0);
	r->in_cb = false;
	for (size_t i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
}

int resolver_start(resolver_t *r, const char *name, resolve_cb cb, void *arg)
{
	struct ares_addrinfo_hints hints;
	int rc;

	if (r->busy || r->in_cb)   /* not from the callback: ch may not be destroyed there */
		return -EBUSY;
	if (!r->ch || r->used) {
		close_channel(r);
		rc = open_channel(r);
		if (rc != ARES_SUCCESS) {
			cb(arg, false, ares_strerror(rc), NULL, 0);
			return 0;
		}
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_ENVHOSTS;   /* CARES_HOSTS, test-only: see resolve.h */
	r->used = true;
	r->busy = true;
	r->cb = cb;
	r->arg = arg;
	ares_getaddrinfo(r->ch, name, NULL, &hints, gai_cb, r);   /* may call back at once */
	rearm(r);
	return 0;
}

bool resolve_is_numeric(const char *host)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;   /* never a lookup: parses or fails at once */
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	freeaddrinfo(res);
	return true;
}
