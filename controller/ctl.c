/*
 * ctl.c - the control socket.  See ctl.h and docs/control.md.
 *
 * One struct client per connection: a read buffer that holds at most one
 * line (CTL_LINE_MAX + '\n'), a growing write buffer flushed on POLLOUT.
 * A client that must go away while we are inside a handler (a broadcast
 * from the handler dropped it, say) is only marked dead: dead clients are
 * freed when no dispatch is on the stack (reap()), so no pointer we hold is
 * ever left dangling.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct client {
	struct ctl *c;
	struct client *next;
	int fd;
	int uid;
	char rbuf[CTL_LINE_MAX + 1];   /* one line and its '\n' */
	size_t rlen;
	char *wbuf;
	size_t wlen, woff, wcap;
	bool watcher;
	bool eof;        /* the peer will send no more: close once replies are out */
	bool closing;    /* close once the write buffer is empty (line too long) */
	bool dead;       /* fd closed; free at the next reap */
	bool spare;      /* in a spare slot: urgent commands and the display only */
	short events;    /* what we asked the loop for */
	int64_t last_req_ms;  /* connected, or its last request was dispatched */
	int64_t progress_ms;  /* last byte read or written */
	int64_t line_ms;      /* first byte of the unfinished request (0 = none) */
};

struct ctl {
	loop_t *loop;
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	ctl_handler h;
	void *arg;
	struct client *clients;
	size_t nclients, nwatchers;
	int depth;       /* dispatch/broadcast calls on the stack */
	int64_t sweep;   /* timer: idle and slow clients */
	int idle_ms, request_ms;
};

/* Real time, not the loop's: clients are real processes even when the
 * daemon runs on virtual time. */
static int64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- small helpers ---- */

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static json_t *error_reply(const char *code, const char *reason)
{
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", code, "reason", reason);
}

/* ---- client lifetime ---- */

static void client_kill(struct client *cl)
{
	if (cl->dead)
		return;
	loop_del_fd(cl->c->loop, cl->fd);
	close(cl->fd);
	cl->fd = -1;
	cl->dead = true;
	if (cl->watcher)
		cl->c->nwatchers--;
	cl->watcher = false;
}

/* Free dead clients, unless a dispatch is running (it may hold one). */
static void reap(struct ctl *c)
{
	if (c->depth > 0)
		return;
	struct client **pp = &c->clients;
	while (*pp) {
		struct client *cl = *pp;
		if (cl->dead) {
			*pp = cl->next;
			c->nclients--;
			free(cl->wbuf);
			free(cl);
		} else {
			pp = &cl->next;
		}
	}
}

/* Ask the loop for what we need now: POLLIN unless paused or done reading,
 * POLLOUT while there is something to write. */
static void client_arm(struct client *cl)
{
	if (cl->dead)
		return;
	size_t pending = cl->wlen - cl->woff;
	short ev = 0;
	if (!cl->eof && !cl->closing && pending < CTL_WBUF_PAUSE)
		ev |= POLLIN;
	if (pending)
		ev |= POLLOUT;
	if (!ev && !(cl->watcher && cl->eof)) {
		/* nothing to read any more and nothing to write: done (a watcher
		 * that half-closed stays: poll still reports its hang-up) */
		client_kill(cl);
		return;
	}
	if (ev != cl->events) {
		loop_mod_fd(cl->c->loop, cl->fd, ev);
		cl->events = ev;
	}
}

/* Write what we can.  Returns false if the client died. */
static bool client_flush(struct client *cl)
{
	while (!cl->dead && cl->woff < cl->wlen) {
		ssize_t n = send(cl->fd, cl->wbuf + cl->woff, cl->wlen - cl->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("control: client fd %d: write: %s", cl->fd, strerror(errno));
			client_kill(cl);
			return false;
		}
		cl->woff += (size_t)n;
		cl->progress_ms = real_ms();
	}
	if (cl->dead)
		return false;
	if (cl->woff == cl->wlen) {
		cl->woff = cl->wlen = 0;
		/* give back a big buffer a burst left behind */
		if (cl->wcap > 2 * CTL_WBUF_PAUSE) {
			free(cl->wbuf);
			cl->wbuf = NULL;
			cl->wcap = 0;
		}
	}
	return true;
}

/* Append len bytes to the client's write buffer.  Returns false (and kills
 * the client) when out of memory. */
static bool client_queue(struct client *cl, const char *s, size_t len)
{
	if (cl->dead)
		return false;
	if (cl->woff > 0 && cl->wlen + len > cl->wcap) {
		memmove(cl->wbuf, cl->wbuf + cl->woff, cl->wlen - cl->woff);
		cl->wlen -= cl->woff;
		cl->woff = 0;
	}
	if (cl->wlen + len > cl->wcap) {
		size_t cap = cl->wcap ? cl->wcap : 4096;
		while (cap < cl->wlen + len)
			cap *= 2;
		char *n = realloc(cl->wbuf, cap);
		if (!n) {
			log_warnx("control: out of memory for a client's replies; closing it");
			client_kill(cl);
			return false;
		}
		cl->wbuf = n;
		cl->wcap = cap;
	}
	memcpy(cl->wbuf + cl->wlen, s, len);
	cl->wlen += len;
	return true;
}

/* Queue msg as one line; steals msg. */
static void client_send(struct client *cl, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text) {
		static const char oom[] = "{\"ok\":false,\"error\":\"internal\",\"reason\":\"out of memory\"}\n";
		client_queue(cl, oom, sizeof(oom) - 1);
		return;
	}
	size_t n = strlen(text);
	text[n] = '\n';                 /* replaces the NUL: we pass the length */
	client_queue(cl, text, n + 1);
	free(text);
}

/* ---- requests ---- */

/* What a client in a spare slot may do: what must always get through. */
static bool spare_may(const struct ctl *c, const char *cmd)
{
	static const char *const urgent[] = { "panic", "alarm_clear", "checkin", "status" };
	for (size_t i = 0; i < sizeof(urgent) / sizeof(urgent[0]); i++)
		if (!strcmp(cmd, urgent[i]))
			return true;
	if (strcmp(cmd, "watch"))
		return false;
	size_t spare_watchers = 0;
	for (const struct client *o = c->clients; o; o = o->next)
		spare_watchers += !o->dead && o->spare && o->watcher;
	return spare_watchers < CTL_SPARE_WATCHERS;
}

static void dispatch(struct client *cl, const char *line, size_t len)
{
	struct ctl *c = cl->c;
	json_error_t jerr;
	json_t *reply = NULL, *id = NULL;
	char why[200];

	cl->last_req_ms = real_ms();
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		snprintf(why, sizeof(why), "not valid JSON: %s (column %d)", jerr.text, jerr.column);
		client_send(cl, error_reply("bad_request", why));
		return;
	}
	id = json_object_get(req, "id");
	const json_t *cmd = json_object_get(req, "cmd");
	if (!json_is_object(req)) {
		reply = error_reply("bad_request", "a request must be a JSON object");
	} else if (id && !json_is_integer(id)) {
		id = NULL;
		reply = error_reply("bad_request", "\"id\" must be an integer");
	} else if (!json_is_string(cmd) || !json_string_length(cmd)) {
		reply = error_reply("bad_request", "a request needs \"cmd\" (a command name)");
	} else if (cl->spare && !spare_may(c, json_string_value(cmd))) {
		reply = error_reply("busy", "vanctld has too many control clients; only panic, alarm_clear, "
				    "checkin, status and the display's watch are served now: try again shortly");
		json_object_set_new(reply, "retry_ms", json_integer(CTL_EVICT_IDLE_MS));
		cl->closing = true;
	} else {
		c->depth++;
		reply = c->h(c->arg, req, cl->uid);
		c->depth--;
		if (!reply)
			reply = error_reply("internal", "internal error in the daemon (see its log)");
		else if (!json_is_object(reply)) {
			json_decref(reply);
			reply = error_reply("internal", "internal error: the daemon built a bad reply");
		}
		if (!cl->dead && json_is_true(json_object_get(reply, "ok")) &&
		    strcmp(json_string_value(cmd), "watch") == 0 && !cl->watcher) {
			cl->watcher = true;
			c->nwatchers++;
		}
	}
	if (reply && id)
		json_object_set(reply, "id", id);
	json_decref(req);
	if (!cl->dead)
		client_send(cl, reply);
	else
		json_decref(reply);
}

/* Handle every complete line in the read buffer, while the client keeps
 * reading its replies. */
static void client_process(struct client *cl)
{
	size_t start = 0;

	while (!cl->dead && !cl->closing && cl->wlen - cl->woff < CTL_WBUF_PAUSE) {
		char *nl = memchr(cl->rbuf + start, '\n', cl->rlen - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (cl->rbuf + start));
		const char *line = cl->rbuf + start;
		start += len + 1;
		if (len && line[len - 1] == '\r')
			len--;
		size_t i = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			continue;            /* blank line */
		dispatch(cl, line, len);
	}
	if (cl->dead)
		return;
	if (start) {
		memmove(cl->rbuf, cl->rbuf + start, cl->rlen - start);
		cl->rlen -= start;
		/* what is left is the start of a new request (or nothing) */
		cl->line_ms = cl->rlen ? real_ms() : 0;
	}
	if (!cl->closing && cl->rlen > CTL_LINE_MAX && !memchr(cl->rbuf, '\n', cl->rlen)) {
		char why[100];
		snprintf(why, sizeof(why), "request line longer than %d bytes; closing the connection",
			 CTL_LINE_MAX);
		client_send(cl, error_reply("bad_request", why));
		cl->closing = true;
		cl->rlen = 0;
	}
}

static void client_read(struct client *cl)
{
	/* read at most a few buffers per wake-up: fairness between clients */
	for (int rounds = 0; rounds < 16 && !cl->dead && !cl->eof && !cl->closing; rounds++) {
		if (cl->wlen - cl->woff >= CTL_WBUF_PAUSE)
			break;
		size_t room = sizeof(cl->rbuf) - cl->rlen;
		if (!room)
			break;                   /* client_process closes a too-long line */
		ssize_t n = recv(cl->fd, cl->rbuf + cl->rlen, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("control: client fd %d: read: %s", cl->fd, strerror(errno));
			client_kill(cl);
			return;
		}
		if (n == 0) {
			cl->eof = true;
			/* a last line without '\n' still counts */
			if (cl->rlen && cl->rlen < sizeof(cl->rbuf))
				cl->rbuf[cl->rlen++] = '\n';
		} else {
			if (!cl->rlen)
				cl->line_ms = real_ms();
			cl->rlen += (size_t)n;
			cl->progress_ms = real_ms();
		}
		client_process(cl);
	}
}

static void client_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct client *cl = arg;
	struct ctl *c = cl->c;
	(void)l;
	(void)fd;

	if (cl->dead)
		return;
	c->depth++;
	if (revents & POLLIN)
		client_read(cl);
	if (!cl->dead && (revents & (POLLOUT | POLLHUP | POLLERR)))
		client_flush(cl);
	if (!cl->dead && (revents & (POLLERR | POLLHUP)) && !(revents & POLLIN))
		client_kill(cl);          /* peer gone, nothing left to read */
	if (!cl->dead) {
		/* replies drained: handle lines held back by back-pressure */
		if (cl->wlen - cl->woff < CTL_WBUF_PAUSE)
			client_process(cl);
		if (!cl->dead)
			client_flush(cl);
		if (!cl->dead && cl->closing && cl->woff == cl->wlen)
			client_kill(cl);
		else if (!cl->dead && cl->eof && cl->woff == cl->wlen && !cl->watcher)
			client_kill(cl);
		else
			client_arm(cl);
	}
	c->depth--;
	reap(c);
}

static size_t live_clients(const struct ctl *c)
{
	size_t n = 0;
	for (const struct client *cl = c->clients; cl; cl = cl->next)
		n += !cl->dead;
	return n;
}

/* The slots are full: close the client (not a watcher) that has gone
 * longest without a request, if that is at least CTL_EVICT_IDLE_MS: an
 * idle or slow client gives way to a new one.  true if one was closed. */
static bool evict_one(struct ctl *c)
{
	struct client *best = NULL;
	int64_t now = real_ms();
	for (struct client *cl = c->clients; cl; cl = cl->next)
		if (!cl->dead && !cl->watcher && now - cl->last_req_ms >= CTL_EVICT_IDLE_MS &&
		    (!best || cl->last_req_ms < best->last_req_ms))
			best = cl;
	if (!best)
		return false;
	log_notice("control: all %d client slots in use; closed one (uid %d) idle for %lld ms to make room",
		   CTL_CLIENTS_MAX, best->uid, (long long)(now - best->last_req_ms));
	client_kill(best);
	return true;
}

/* Tell a client we cannot serve it, and close so that it reads that (not a
 * reset): what it already sent is read first (unread data at close() is a
 * "Connection reset by peer" on its side). */
static void refuse_busy(int cfd)
{
	static const char busy[] =
		"{\"ok\":false,\"error\":\"busy\",\"reason\":\"vanctld has too many control clients; try again shortly\","
		"\"retry_ms\":1000}\n";
	char sink[4096];
	(void)!send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(cfd, SHUT_WR);
	for (int i = 0; i < 16 && recv(cfd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	close(cfd);
	log_warnx("control: too many clients (%d and %d spare); refused one", CTL_CLIENTS_MAX, CTL_CLIENTS_SPARE);
}

/* Every second: close a client that left a request unfinished too long, or
 * that sits idle (not a watcher), or that stopped reading its replies. */
static int64_t sweep_cb(loop_t *l, void *arg)
{
	struct ctl *c = arg;
	int64_t now = real_ms();
	(void)l;

	c->depth++;
	for (struct client *cl = c->clients; cl; cl = cl->next) {
		if (cl->dead)
			continue;
		int idle = cl->spare ? CTL_SPARE_MS : c->idle_ms;
		int req = cl->spare ? CTL_SPARE_MS : c->request_ms;
		size_t pending = cl->wlen - cl->woff;
		if (cl->rlen && !cl->closing && cl->line_ms && now - cl->line_ms > req) {
			char why[120];
			snprintf(why, sizeof(why), "request not finished within %d s; closing the connection",
				 (req + 999) / 1000);
			client_send(cl, error_reply("bad_request", why));
			cl->closing = true;
			cl->rlen = 0;
			log_debug("control: client fd %d (uid %d): request unfinished for %d ms; closing", cl->fd,
				  cl->uid, req);
			if (client_flush(cl) && cl->woff == cl->wlen)
				client_kill(cl);
			else
				client_arm(cl);
		} else if (pending && now - cl->progress_ms > (cl->watcher ? 2 * idle : idle)) {
			log_notice("control: closed a client (uid %d) that has not read its replies for %lld ms",
				   cl->uid, (long long)(now - cl->progress_ms));
			client_kill(cl);
		} else if (!cl->watcher && !pending && !cl->rlen && now - cl->last_req_ms > idle &&
			   now - cl->progress_ms > idle) {
			log_debug("control: client fd %d (uid %d) idle for %d ms; closing", cl->fd, cl->uid, idle);
			client_kill(cl);
		}
	}
	c->depth--;
	reap(c);
	return CTL_SWEEP_MS;
}

void ctl_set_timeouts(ctl_t *c, int idle_ms, int request_ms)
{
	if (!c)
		return;
	c->idle_ms = idle_ms;
	c->request_ms = request_ms;
}

static void accept_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	(void)revents;

	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("control: accept");
			return;
		}
		bool spare = false;
		if (live_clients(c) >= CTL_CLIENTS_MAX && !evict_one(c)) {
			if (live_clients(c) < CTL_CLIENTS_MAX + CTL_CLIENTS_SPARE) {
				spare = true;
			} else {
				refuse_busy(cfd);
				continue;
			}
		}
		struct client *cl = calloc(1, sizeof(*cl));
		if (!cl) {
			close(cfd);
			log_warnx("control: out of memory for a client");
			continue;
		}
		cl->c = c;
		cl->fd = cfd;
		cl->uid = -1;
		cl->spare = spare;
		cl->last_req_ms = cl->progress_ms = real_ms();
		struct ucred cred;
		socklen_t cl_len = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl_len) == 0)
			cl->uid = (int)cred.uid;
		cl->events = POLLIN;
		if (loop_add_fd(l, cfd, POLLIN, client_cb, cl) < 0) {
			log_warnx("control: cannot watch a new client");
			close(cfd);
			free(cl);
			continue;
		}
		cl->next = c->clients;
		c->clients = cl;
		c->nclients++;
		log_debug("control: client fd %d (uid %d) connected%s", cfd, cl->uid, spare ? " (spare slot)" : "");
	}
	reap(c);      /* clients evicted to make room */
}

/* ---- broadcast ---- */

void ctl_broadcast(ctl_t *c, const json_t *msg)
{
	if (!c || !msg || !c->nwatchers)
		return;
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text) {
		log_warnx("control: out of memory for a broadcast");
		return;
	}
	size_t n = strlen(text);
	text[n] = '\n';
	c->depth++;
	for (struct client *cl = c->clients; cl; cl = cl->next) {
		if (cl->dead || !cl->watcher)
			continue;
		if (cl->wlen - cl->woff + n + 1 > CTL_WBUF_MAX) {
			log_notice("control: dropped a watch client (uid %d) that is not reading (%zu bytes unread)",
				   cl->uid, cl->wlen - cl->woff);
			client_kill(cl);
			continue;
		}
		if (client_queue(cl, text, n + 1) && client_flush(cl))
			client_arm(cl);
	}
	c->depth--;
	free(text);
	reap(c);
}

size_t ctl_watchers(const ctl_t *c)
{
	return c ? c->nwatchers : 0;
}

size_t ctl_clients(const ctl_t *c)
{
	size_t n = 0;
	if (c)
		for (const struct client *cl = c->clients; cl; cl = cl->next)
			n += !cl->dead;
	return n;
}

/* ---- the listening socket ---- */

/* Is someone listening on the socket at path?  1 yes, 0 no (stale), -errno. */
static int socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN || e == EINPROGRESS)
		return 1;          /* listening (EAGAIN: its backlog is full) */
	if (e == ECONNREFUSED)
		return 0;
	return -e;
}

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

ctl_t *ctl_new(loop_t *l, const char *path, const char *group, ctl_handler h, void *arg,
	       char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	gid_t gid = (gid_t)-1;
	ctl_t *c = NULL;
	char *dir = NULL;
	int fd = -1;

	if (!l || !h || !path || !*path) {
		seterr(err, errlen, "control socket: no path given (set control.socket)");
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		seterr(err, errlen, "control socket path '%s' is too long (at most %zu bytes)", path,
		       sizeof(sa.sun_path) - 1);
		return NULL;
	}
	strcpy(sa.sun_path, path);

	if (group && *group) {
		char buf[4096];
		struct group gr, *res = NULL;
		int r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
		if (r || !res) {
			seterr(err, errlen,
			       "control.group '%s': no such group (create it with `groupadd %s`, or unset control.group)",
			       group, group);
			return NULL;
		}
		gid = res->gr_gid;
	}

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			seterr(err, errlen, "control socket %s: a file that is not a socket is in the way; "
			       "remove it or set another control.socket", path);
			return NULL;
		}
		int r = socket_in_use(path);
		if (r > 0) {
			seterr(err, errlen, "control socket %s: another vanctld is already running and listening "
			       "there (stop it first, or give this one another --socket)", path);
			return NULL;
		}
		if (r < 0) {
			seterr(err, errlen, "control socket %s: cannot tell whether it is in use: %s", path,
			       strerror(-r));
			return NULL;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			seterr(err, errlen, "control socket %s: cannot remove the stale socket: %s", path,
			       strerror(errno));
			return NULL;
		}
		log_info("control: removed a stale socket at %s", path);
	} else if (errno != ENOENT) {
		seterr(err, errlen, "control socket %s: %s", path, strerror(errno));
		return NULL;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		seterr(err, errlen, "control socket: socket(): %s", strerror(errno));
		return NULL;
	}
	/* no window in which the socket is wider open than 0660 */
	mode_t old = umask(0117);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (r < 0) {
		dir = dirname_of(path);
		if (e == ENOENT)
			seterr(err, errlen, "control socket %s: directory %s does not exist (systemd's "
			       "RuntimeDirectory=vanctld creates /run/vanctld; otherwise create it, or set "
			       "control.socket / --socket)", path, dir ? dir : "?");
		else if (e == EACCES)
			seterr(err, errlen, "control socket %s: no permission to create it in %s (run as the "
			       "vanctld user, or set control.socket / --socket)", path, dir ? dir : "?");
		else
			seterr(err, errlen, "control socket %s: bind: %s", path, strerror(e));
		goto fail;
	}
	if (chmod(path, 0660) < 0) {
		seterr(err, errlen, "control socket %s: chmod 0660: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		seterr(err, errlen, "control socket %s: cannot give it to group '%s': %s (the daemon's "
		       "user must be a member of that group)", path, group, strerror(errno));
		goto fail_unlink;
	}
	if (listen(fd, 16) < 0) {
		seterr(err, errlen, "control socket %s: listen: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (stat(path, &st) < 0) {
		seterr(err, errlen, "control socket %s: %s", path, strerror(errno));
		goto fail_unlink;
	}

	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		seterr(err, errlen, "control socket: out of memory");
		goto fail_unlink;
	}
	c->loop = l;
	c->fd = fd;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->h = h;
	c->arg = arg;
	c->idle_ms = CTL_IDLE_MS;
	c->request_ms = CTL_REQUEST_MS;
	c->sweep = loop_add_timer(l, CTL_SWEEP_MS, sweep_cb, c);
	if (c->sweep < 0) {
		seterr(err, errlen, "control socket: cannot add its timer: %s", strerror((int)-c->sweep));
		goto fail_unlink;
	}
	r = loop_add_fd(l, fd, POLLIN, accept_cb, c);
	if (r < 0) {
		seterr(err, errlen, "control socket: cannot watch it: %s", strerror(-r));
		goto fail_unlink;
	}
	free(dir);
	return c;

fail_unlink:
	unlink(path);
fail:
	if (c)
		free(c->path);
	free(c);
	free(dir);
	if (fd >= 0)
		close(fd);
	return NULL;
}

void ctl_free(ctl_t *c)
{
	if (!c)
		return;
	for (struct client *cl = c->clients; cl; cl = cl->next) {
		if (!cl->dead)
			client_flush(cl);    /* best effort: a last reply */
		client_kill(cl);
	}
	c->depth = 0;
	reap(c);
	loop_del_timer(c->loop, c->sweep);
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	struct stat st;
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	free(c);
}
