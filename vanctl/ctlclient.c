/*
 * ctlclient.c - the client side of the control socket.  See ctlclient.h.
 */
#include "ctlclient.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

const char *ctlc_socket_path(const char *explicit_path, const char *conf_path, char *buf, size_t len,
			     char *warn, size_t warnlen)
{
	if (warn && warnlen)
		*warn = 0;
	if (explicit_path && *explicit_path) {
		snprintf(buf, len, "%s", explicit_path);
		return buf;
	}
	const char *env = getenv("VANCTLD_SOCKET");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	snprintf(buf, len, "%s", CTLC_DEFAULT_SOCKET);
	const char *cp = conf_path ? conf_path : CONF_DEFAULT_PATH;
	if (access(cp, R_OK) != 0) {
		if (conf_path && warn)
			snprintf(warn, warnlen, "cannot read %s (%s); using %s", cp, strerror(errno), buf);
		return buf;
	}
	struct conf c;
	memset(&c, 0, sizeof(c));
	if (conf_defaults(&c) == 0) {
		conf_load(&c, cp);        /* problems elsewhere in the file are the daemon's to report */
		if (c.control.socket && *c.control.socket)
			snprintf(buf, len, "%s", c.control.socket);
	}
	conf_fini(&c);
	return buf;
}

/* The group that may use path (of the socket, else of its directory). */
static void group_of(const char *path, char *out, size_t len)
{
	struct stat st;
	char dir[512];
	snprintf(out, len, "%s", "vanctl");
	if (stat(path, &st) != 0) {
		snprintf(dir, sizeof(dir), "%s", path);
		char *slash = strrchr(dir, '/');
		if (!slash)
			return;
		*slash = 0;
		if (stat(*dir ? dir : "/", &st) != 0)
			return;
	}
	struct group *g = getgrgid(st.st_gid);
	if (g)
		snprintf(out, len, "%s", g->gr_name);
}

int ctlc_connect_to(const char *daemon, const char *path, bool nonblock, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	int e = errno;
	close(fd);
	if (e == EAGAIN) {
		snprintf(err, errlen, "%s is busy (its control socket %s accepts no more connections now)", daemon, path);
	} else if (e == ENOENT || e == ENOTDIR) {
		snprintf(err, errlen, "%s is not running (no control socket at %s)", daemon, path);
	} else if (e == ECONNREFUSED) {
		snprintf(err, errlen, "%s is not running (nothing listens on %s)", daemon, path);
	} else if (e == EACCES || e == EPERM) {
		char g[64];
		struct passwd *pw = getpwuid(getuid());
		group_of(path, g, sizeof(g));
		snprintf(err, errlen, "permission denied on %s: only members of group '%s' may use it "
			 "(sudo usermod -aG %s %s, then log in again)", path, g, g, pw ? pw->pw_name : "USER");
	} else {
		snprintf(err, errlen, "cannot connect to %s at %s: %s", daemon, path, strerror(e));
	}
	return -e;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *ctlc_request_to(const char *daemon, int fd, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	if (!req) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object_set_new(req, "id", json_integer(1));
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	size_t n = strlen(text);
	text[n] = '\n';
	size_t off = 0;
	int send_err = 0;
	while (off < n + 1) {
		ssize_t w = send(fd, text + off, n + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			send_err = errno;
			break;
		}
		off += (size_t)w;
	}
	free(text);
	if (send_err && send_err != EPIPE && send_err != ECONNRESET) {
		snprintf(err, errlen, "cannot send to %s: %s", daemon, strerror(send_err));
		return NULL;
	}
	/* closed on us: it may have said why first ("busy"): read that */
	if (send_err && timeout_ms > 1000)
		timeout_ms = 1000;

	struct ctlc_lines *lb = calloc(1, sizeof(*lb));
	if (!lb) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int64_t deadline = now_ms() + timeout_ms;
	json_t *reply = NULL;
	while (!reply) {
		json_t *j;
		while ((j = ctlc_lines_next(lb))) {
			/* ours: id 1; or a refusal before the request was read ("busy", no id) */
			bool busy = !json_object_get(j, "id") && json_is_false(json_object_get(j, "ok")) &&
				    !strcmp(json_string_value(json_object_get(j, "error")) ?: "", "busy");
			if (busy || (json_is_integer(json_object_get(j, "id")) &&
				     json_integer_value(json_object_get(j, "id")) == 1 && json_object_get(j, "ok"))) {
				reply = j;
				break;
			}
			json_decref(j);    /* an event, or something else: not ours */
		}
		if (reply)
			break;
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(err, errlen, "no reply from %s within %d s", daemon, timeout_ms / 1000);
			break;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		r = ctlc_lines_read(lb, fd);
		if (r == 0 || (r < 0 && r != -EAGAIN && r != -EINTR)) {
			/* what came before the end still counts (a "busy" reply) */
			while (!reply && (j = ctlc_lines_next(lb))) {
				if (json_is_integer(json_object_get(j, "id")) ? json_integer_value(json_object_get(j, "id")) == 1
									   : json_is_string(json_object_get(j, "error")))
					reply = j;
				else
					json_decref(j);
			}
			if (reply)
				break;
			if (send_err)
				snprintf(err, errlen, "cannot send to %s: %s", daemon, strerror(send_err));
			else if (r == 0)
				snprintf(err, errlen, "%s closed the connection without a reply", daemon);
			else
				snprintf(err, errlen, "reading from %s: %s", daemon, strerror(-r));
			break;
		}
	}
	free(lb);
	return reply;
}

int ctlc_lines_read(struct ctlc_lines *lb, int fd)
{
	if (lb->len == sizeof(lb->buf)) {
		/* a line longer than the whole buffer: drop it */
		lb->len = 0;
		lb->overflow = true;
	}
	ssize_t n = recv(fd, lb->buf + lb->len, sizeof(lb->buf) - lb->len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	lb->len += (size_t)n;
	return (int)n;
}

json_t *ctlc_lines_next(struct ctlc_lines *lb)
{
	for (;;) {
		char *nl = memchr(lb->buf, '\n', lb->len);
		if (!nl)
			return NULL;
		size_t n = (size_t)(nl - lb->buf);
		json_t *j = lb->overflow ? NULL : json_loadb(lb->buf, n, 0, NULL);
		lb->overflow = false;
		memmove(lb->buf, nl + 1, lb->len - n - 1);
		lb->len -= n + 1;
		if (json_is_object(j))
			return j;
		json_decref(j);
	}
}

int ctlc_connect(const char *path, bool nonblock, char *err, size_t errlen)
{
	return ctlc_connect_to("vanctld", path, nonblock, err, errlen);
}

json_t *ctlc_request(int fd, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	return ctlc_request_to("vanctld", fd, req, timeout_ms, err, errlen);
}
