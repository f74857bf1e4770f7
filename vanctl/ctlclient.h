/*
 * ctlclient.h - the client side of the control socket (docs/control.md),
 * shared by vanctl and the crew display (vandisplay): where the socket is,
 * connecting with errors a person can act on, one blocking request/reply
 * for vanctl, and a line splitter for the display's non-blocking reads.
 *
 * Nothing here keeps global state.
 */
#ifndef VAN_CTLCLIENT_H
#define VAN_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CTLC_DEFAULT_SOCKET "/run/vanctld/control.sock"

/* Which socket to use, first found of: explicit (--socket), the
 * environment variable VANCTLD_SOCKET, control.socket of the config file
 * conf_path (NULL = the default config, skipped silently if unreadable),
 * the built-in default.  Writes it to buf; returns buf.
 * If conf_path was given explicitly and cannot be read, a warning is
 * written to *warn (else *warn is ""). */
const char *ctlc_socket_path(const char *explicit_path, const char *conf_path, char *buf, size_t len,
			     char *warn, size_t warnlen);

/* Connect to the socket at path.  nonblock: the fd is O_NONBLOCK (the
 * connect itself completes at once or fails for a UNIX socket).  Returns
 * the fd, or -errno with a sentence in err:
 *   -ENOENT/-ECONNREFUSED: "vanctld is not running (no control socket at PATH)"
 *   -EACCES: "permission denied on PATH: join group G ..."
 */
int ctlc_connect(const char *path, bool nonblock, char *err, size_t errlen);

/* One request on a connected blocking fd: sends req (stolen; "id" 1 added),
 * waits up to timeout_ms for the reply with that id, skipping anything
 * else (watch events).  Returns the reply (new reference) or NULL with a
 * sentence in err (connection closed, timeout, bad reply). */
json_t *ctlc_request(int fd, json_t *req, int timeout_ms, char *err, size_t errlen);
/* The same for another daemon's socket (vanbase): its name in the messages. */
int ctlc_connect_to(const char *daemon, const char *path, bool nonblock, char *err, size_t errlen);
json_t *ctlc_request_to(const char *daemon, int fd, json_t *req, int timeout_ms, char *err, size_t errlen);

/* A line splitter for a non-blocking reader. */
struct ctlc_lines {
	char buf[65536];
	size_t len;
	bool overflow;       /* a line longer than buf was dropped */
};

/* Read what the fd has into lb.  Returns >0 bytes read, 0 on EOF, -errno
 * (-EAGAIN: nothing now). */
int ctlc_lines_read(struct ctlc_lines *lb, int fd);
/* Next complete line, parsed (new reference), or NULL if none is complete.
 * Lines that are not JSON objects are skipped. */
json_t *ctlc_lines_next(struct ctlc_lines *lb);

#endif
