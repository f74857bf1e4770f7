/*
 * ctl.h - the control socket: a local UNIX stream socket that speaks one
 * JSON object per line (docs/control.md).  Clients are vanctl and the crew
 * display.
 *
 * This module is generic plumbing and knows nothing of the van: it accepts
 * clients, frames lines, parses JSON, calls a handler for each request and
 * writes its reply back (with the request's "id"), and broadcasts messages
 * to the clients that asked to "watch".  Everything is non-blocking and runs
 * in the daemon's loop (loop.h): no threads, no blocking I/O, a slow or dead
 * client can never stall the daemon.
 *
 *   - framing: a line is at most CTL_LINE_MAX bytes before its '\n'; a longer
 *     line gets a bad_request reply and the connection is closed once that
 *     reply is written.  Blank lines are ignored.  Bad JSON (or no "cmd")
 *     gets a bad_request reply and the connection goes on.
 *   - back-pressure: a client whose unread replies pass CTL_WBUF_PAUSE is not
 *     read from until it reads them; a watch client whose unread data passes
 *     CTL_WBUF_MAX when a broadcast comes is dropped (it can reconnect).
 *   - access: the socket file is mode 0660, given to `group` when set; the
 *     handler gets the client's uid (SO_PEERCRED).
 *   - room: CTL_CLIENTS_MAX clients at once.  When they are all in use, the
 *     one (not a watcher) longest without a request (at least
 *     CTL_EVICT_IDLE_MS) is closed to make room; failing that a newcomer
 *     gets one of CTL_CLIENTS_SPARE spare slots, where only panic,
 *     alarm_clear, checkin, status and (CTL_SPARE_WATCHERS of them) watch
 *     are served; failing that it is told "busy" and closed (after what it
 *     sent is read, so it sees the reply, not a reset).
 *   - time: a request line must be complete within CTL_REQUEST_MS of its
 *     first byte; a client (not a watcher) idle for CTL_IDLE_MS is closed;
 *     one that reads no replies for CTL_IDLE_MS (a watcher: twice that) is
 *     closed.  Spare slots get CTL_SPARE_MS for all of these.
 */
#ifndef VAN_CTL_H
#define VAN_CTL_H

#include <stddef.h>

#include <jansson.h>

#include "loop.h"

#define CTL_LINE_MAX 4096            /* bytes of one request, '\n' excluded */
#define CTL_WBUF_PAUSE (64 * 1024)   /* stop reading a client with this much unread */
#define CTL_WBUF_MAX (256 * 1024)    /* drop a watch client with this much unread */
#define CTL_CLIENTS_MAX 32
#define CTL_CLIENTS_SPARE 4          /* beyond MAX: urgent commands and the display */
#define CTL_SPARE_WATCHERS 2         /* spare slots that may watch */
#define CTL_EVICT_IDLE_MS 1000
#define CTL_IDLE_MS 30000
#define CTL_REQUEST_MS 10000
#define CTL_SPARE_MS 3000
#define CTL_SWEEP_MS 250

typedef struct ctl ctl_t;

/* Called for each request: req is a JSON object with a string "cmd" (and
 * whatever else the client sent, "id" included; borrowed: do not keep it).
 * client_uid is the peer's uid from SO_PEERCRED (-1 if unknown).
 * Returns a NEW reply object, {"ok":true,"result":...} or
 * {"ok":false,"error":CODE,"reason":TEXT}, without "id" (ctl adds it), or
 * NULL for an internal error (the client is told "internal").
 * The handler may call ctl_broadcast(). */
typedef json_t *(*ctl_handler)(void *arg, const json_t *req, int client_uid);

/* Listen on the UNIX socket at path, registered on loop l.
 *   group:  NULL or "" = leave the socket's group as created; otherwise the
 *           socket file is chowned to that group (unknown group = error).
 *   A stale socket file (a socket nobody listens on) is removed; a file that
 *   is not a socket, or a socket another process listens on, is an error.
 *   The parent directory must exist (systemd's RuntimeDirectory= makes it).
 * Returns the new ctl, or NULL with a sentence for the operator in err
 * (what failed and what to do). */
ctl_t *ctl_new(loop_t *l, const char *path, const char *group, ctl_handler h, void *arg,
	       char *err, size_t errlen);

/* Send msg (one line of compact JSON) to every watch client.  A watch
 * client that does not read (more than CTL_WBUF_MAX unread) is dropped.
 * Safe to call from inside the handler. */
void ctl_broadcast(ctl_t *c, const json_t *msg);

/* Tests: other idle and request time limits (ms) than CTL_IDLE_MS and
 * CTL_REQUEST_MS. */
void ctl_set_timeouts(ctl_t *c, int idle_ms, int request_ms);

/* Number of watch clients connected now. */
size_t ctl_watchers(const ctl_t *c);

/* Number of clients connected now (watchers included). */
size_t ctl_clients(const ctl_t *c);

/* Close every client, stop listening, unlink the socket file (if it is
 * still ours).  Accepts NULL. */
void ctl_free(ctl_t *c);

#endif
