/*
 * resolve.h - asynchronous host name resolution inside our poll loop
 * (c-ares).  getaddrinfo() blocks; on a van's mobile link a DNS lookup can
 * hang for 5-20 s, and the same loop serves the panic buttons.  c-ares'
 * sockets are registered with the loop (sock_state_cb) and its deadline is a
 * loop timer (ares_timeout): no threads, no blocking call.
 *
 * One lookup at a time per resolver.  Each try waits RESOLVE_TIMEOUT_MS,
 * RESOLVE_TRIES tries (c-ares doubles the wait on the second round through
 * the name servers: with one server a dead DNS is given up after ~9 s).
 *
 * Test-only: VANCTLD_DNS_SERVERS="IP:PORT[,...]" replaces the name servers of
 * /etc/resolv.conf (the integration tests point it at a local port that never
 * answers), and CARES_HOSTS=FILE replaces /etc/hosts (c-ares' own variable).
 */
#ifndef VAN_RESOLVE_H
#define VAN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

#define RESOLVE_TIMEOUT_MS 3000
#define RESOLVE_TRIES 2

typedef struct resolver resolver_t;

/* The result of a lookup: on success (ok) the numeric addresses, in the
 * order to try them (RFC 6724, as getaddrinfo sorts them), without
 * duplicates; the strings are the resolver's until the callback returns.
 * Otherwise reason says why (c-ares' message). */
typedef void (*resolve_cb)(void *arg, bool ok, const char *reason, char *const *addrs, size_t naddrs);

/* Returns NULL with a message in err. */
resolver_t *resolver_new(loop_t *l, char *err, size_t errlen);
/* Cancel what is pending (its callback is not called), close the sockets,
 * free.  Accepts NULL. */
void resolver_free(resolver_t *r);

/* Look name up (A and AAAA); cb is called from the loop when done, or at
 * once (from inside this call) when the answer is local (/etc/hosts).
 * Returns 0, or -EBUSY while a lookup is pending or from inside the callback.
 * Never free the resolver from inside its callback. */
int resolver_start(resolver_t *r, const char *name, resolve_cb cb, void *arg);
bool resolver_busy(const resolver_t *r);

/* true if host is a numeric IPv4 or IPv6 address (never a lookup). */
bool resolve_is_numeric(const char *host);

#endif
