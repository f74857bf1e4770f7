/*
 * test_ctl.c - the control socket (controller/ctl.c) on a real UNIX socket
 * in a temporary directory, with the real loop: framing, split and
 * pipelined requests, long lines, bad JSON, ids, the handler's errors, watch
 * and broadcast, a slow watcher dropped, permissions, a stale socket
 * removed, a second daemon refused.
 *
 * The test is its own client: it writes with plain blocking sockets and
 * turns the loop until the reply is there (run_until_readable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"

static char tmpdir[] = "/tmp/vantest.ctl.XXXXXX";
static char sockpath[200];

/* ---- the handler under test ---- */

struct fixture {
	loop_t *l;
	ctl_t *c;
	int calls;
	int last_uid;
};

static json_t *handler(void *arg, const json_t *req, int uid)
{
	struct fixture *f = arg;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	f->calls++;
	f->last_uid = uid;
	if (!strcmp(cmd, "echo"))
		return json_pack("{s:b, s:O}", "ok", 1, "result", req);
	if (!strcmp(cmd, "watch") || !strcmp(cmd, "panic"))
		return json_pack("{s:b, s:{}}", "ok", 1, "result");
	if (!strcmp(cmd, "fail"))
		return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "no_session", "reason", "no session is running");
	if (!strcmp(cmd, "null"))
		return NULL;
	if (!strcmp(cmd, "notobj"))
		return json_integer(3);
	if (!strcmp(cmd, "bcast")) {
		json_t *m = json_pack("{s:s}", "event", "inside");
		ctl_broadcast(f->c, m);
		json_decref(m);
		return json_pack("{s:b, s:n}", "ok", 1, "result");
	}
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "unknown_command", "reason", "unknown command");
}

/* ---- loop helpers ---- */

static int64_t stop_cb(loop_t *l, void *arg)
{
	(void)arg;
	loop_stop(l);
	return LOOP_TIMER_STOP;
}

static void readable_cb(loop_t *l, int fd, short re, void *arg)
{
	(void)re;
	(void)arg;
	loop_del_fd(l, fd);
	loop_stop(l);
}

/* Turn the loop for ms. */
static void spin(loop_t *l, int ms)
{
	int64_t t = loop_add_timer(l, ms, stop_cb, NULL);
	assert_true(t > 0);
	loop_run(l);
	loop_del_timer(l, t);
}

/* Turn the loop until fd (a client) is readable, or ms pass.  Returns true
 * if readable. */
static bool run_until_readable(loop_t *l, int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 0) == 1)
		return true;
	assert_int_equal(loop_add_fd(l, fd, POLLIN, readable_cb, NULL), 0);
	int64_t t = loop_add_timer(l, ms, stop_cb, NULL);
	loop_run(l);
	loop_del_timer(l, t);
	loop_del_fd(l, fd);
	spin(l, 0);           /* reap the test's registration */
	return poll(&p, 1, 0) == 1;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Per client read buffers (by fd) so that pipelined replies split anywhere. */
static char rbuf[256][8192];
static size_t rlen[256];

/* Read one line from fd (turning the loop meanwhile); returns it parsed,
 * or NULL on EOF/timeout. */
static json_t *read_reply(struct fixture *f, int fd)
{
	assert_true(fd < 256);
	for (int tries = 0; tries < 200; tries++) {
		char *nl = memchr(rbuf[fd], '\n', rlen[fd]);
		if (nl) {
			size_t n = (size_t)(nl - rbuf[fd]);
			json_error_t e;
			json_t *j = json_loadb(rbuf[fd], n, 0, &e);
			if (!j)
				fail_msg("reply is not JSON: %.*s (%s)", (int)n, rbuf[fd], e.text);
			memmove(rbuf[fd], nl + 1, rlen[fd] - n - 1);
			rlen[fd] -= n + 1;
			return j;
		}
		if (!run_until_readable(f->l, fd, 50))
			continue;
		ssize_t r = recv(fd, rbuf[fd] + rlen[fd], sizeof(rbuf[fd]) - rlen[fd], MSG_DONTWAIT);
		if (r == 0)
			return NULL;
		if (r > 0)
			rlen[fd] += (size_t)r;
	}
	return NULL;
}

static void close_client(int fd)
{
	rlen[fd] = 0;
	close(fd);
}

/* Is the server's side closed (EOF after whatever is pending)? */
static bool at_eof(struct fixture *f, int fd)
{
	for (int tries = 0; tries < 40; tries++) {
		run_until_readable(f->l, fd, 50);
		char b[4096];
		ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (r == 0)
			return true;
		if (r < 0 && errno != EAGAIN)
			return true;
	}
	return false;
}

static const char *jstr(const json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

/* ---- setup ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[300] = "";
	f->l = loop_new();
	assert_non_null(f->l);
	f->c = ctl_new(f->l, sockpath, NULL, handler, f, err, sizeof(err));
	if (!f->c)
		fail_msg("ctl_new: %s", err);
	memset(rlen, 0, sizeof(rlen));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ctl_free(f->c);
	spin(f->l, 0);
	loop_free(f->l);
	free(f);
	return 0;
}

/* ---- tests ---- */

static void test_request_reply(void **state)
{
	struct fixture *f = *state;
	int fd = connect_to(sockpath);
	assert_true(fd >= 0);
	send_str(fd, "{\"id\":7,\"cmd\":\"echo\",\"x\":\"y\"}\n");
	json_t *r = read_reply(f, fd);
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_string_equal(jstr(json_object_get(r, "result"), "x"), "y");
	assert_int_equal(f->last_uid, (int)getuid());
	json_decref(r);

	/* no id: none in the reply; CRLF and blank lines are fine */
	send_str(fd, "\n   \r\n{\"cmd\":\"fail\"}\r\n");
	r = read_reply(f, fd);
	assert_non_null(r);
	assert_null(json_object_get(r, "id"));
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(jstr(r, "error"), "no_session");
	assert_string_equal(jstr(r, "reason"), "no session is running");
	json_decref(r);
	assert_int_equal(ctl_clients(f->c), 1);
	close_client(fd);
	spin(f->l, 20);
	assert_int_equal(ctl_clients(f->c), 0);
}

static void test_split_and_pipelined(void **state)
{
	struct fixture *f = *state;
	int fd = connect_to(sockpath);
	send_str(fd, "{\"id\":1,\"cm");
	spin(f->l, 20);
	assert_int_equal(f->calls, 0);
	send_str(fd, "d\":\"echo\"}\n{\"id\":2,\"cmd\":\"echo\"}\n{\"id\":3,\"cmd\":\"fail\"}\n{\"id\":4,");
	for (int i = 1; i <= 3; i++) {
		json_t *r = read_reply(f, fd);
		assert_non_null(r);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
	send_str(fd, "\"cmd\":\"echo\"}\n");
	json_t *r = read_reply(f, fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 4);
	json_decref(r);
	assert_int_equal(f->calls, 4);
	close_client(fd);
}

static void expect_bad(struct fixture *f, int fd, const char *line, const char *code, const char *why)
{
	send_str(fd, line);
	json_t *r = read_reply(f, fd);
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(jstr(r, "error"), code);
	if (why && !strstr(jstr(r, "reason"), why))
		fail_msg("reason '%s' lacks '%s'", jstr(r, "reason"), why);
	json_decref(r);
}

static void test_bad_requests(void **state)
{
	struct fixture *f = *state;
	int fd = connect_to(sockpath);
	expect_bad(f, fd, "{nope\n", "bad_request", "not valid JSON");
	expect_bad(f, fd, "[1,2]\n", "bad_request", "JSON object");
	expect_bad(f, fd, "{\"id\":1}\n", "bad_request", "cmd");
	expect_bad(f, fd, "{\"cmd\":5}\n", "bad_request", "cmd");
	expect_bad(f, fd, "{\"cmd\":\"echo\",\"id\":\"x\"}\n", "bad_request", "id");
	expect_bad(f, fd, "{\"cmd\":\"echo\",\"cmd\":\"fail\"}\n", "bad_request", "duplicate");
	expect_bad(f, fd, "\"text\"\n", "bad_request", NULL);
	expect_bad(f, fd, "{\"id\":9,\"cmd\":\"null\"}\n", "internal", NULL);
	expect_bad(f, fd, "{\"cmd\":\"notobj\"}\n", "internal", NULL);
	expect_bad(f, fd, "{\"cmd\":\"nosuch\"}\n", "unknown_command", NULL);
	assert_int_equal(f->calls, 3);
	/* the connection still works */
	send_str(fd, "{\"id\":10,\"cmd\":\"echo\"}\n");
	json_t *r = read_reply(f, fd);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 10);
	json_decref(r);
	close_client(fd);
}

static void test_long_line(void **state)
{
	struct fixture *f = *state;
	/* exactly CTL_LINE_MAX bytes before the '\n': accepted */
	char *line = malloc(CTL_LINE_MAX + 2);
	const char *head = "{\"id\":1,\"cmd\":\"echo\",\"pad\":\"";
	size_t hl = strlen(head);
	memcpy(line, head, hl);
	memset(line + hl, 'a', CTL_LINE_MAX - hl - 2);
	memcpy(line + CTL_LINE_MAX - 2, "\"}\n", 4);
	assert_int_equal(strlen(line), CTL_LINE_MAX + 1);
	int fd = connect_to(sockpath);
	send_all(fd, line, CTL_LINE_MAX + 1);
	json_t *r = read_reply(f, fd);
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	/* one byte more: refused, then the connection is closed */
	memset(line, ' ', CTL_LINE_MAX + 1);
	line[CTL_LINE_MAX + 1] = '\n';
	send_all(fd, line, CTL_LINE_MAX + 2);
	r = read_reply(f, fd);
	assert_non_null(r);
	assert_string_equal(jstr(r, "error"), "bad_request");
	assert_non_null(strstr(jstr(r, "reason"), "longer than 4096"));
	json_decref(r);
	assert_true(at_eof(f, fd));
	close_client(fd);

	/* a huge line with no newline at all */
	fd = connect_to(sockpath);
	char *big = malloc(20000);
	memset(big, 'x', 20000);
	send_all(fd, big, 20000);
	r = read_reply(f, fd);
	assert_string_equal(jstr(r, "error"), "bad_request");
	json_decref(r);
	assert_true(at_eof(f, fd));
	close_client(fd);
	free(big);
	free(line);
	spin(f->l, 20);
	assert_int_equal(ctl_clients(f->c), 0);
}

static void test_half_close(void **state)
{
	struct fixture *f = *state;
	int fd = connect_to(sockpath);
	/* last line without '\n', then EOF: still answered, then closed */
	send_str(fd, "{\"id\":1,\"cmd\":\"echo\"}\n{\"id\":2,\"cmd\":\"echo\"}");
	shutdown(fd, SHUT_WR);
	json_t *r = read_reply(f, fd);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	r = read_reply(f, fd);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	assert_true(at_eof(f, fd));
	close_client(fd);
}

static void test_watch_broadcast(void **state)
{
	struct fixture *f = *state;
	int w = connect_to(sockpath), o = connect_to(sockpath);
	json_t *msg = json_pack("{s:s, s:i}", "event", "state", "n", 1);

	ctl_broadcast(f->c, msg);          /* nobody watches yet: nothing */
	send_str(w, "{\"id\":1,\"cmd\":\"watch\"}\n");
	json_t *r = read_reply(f, w);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	assert_int_equal(ctl_watchers(f->c), 1);
	send_str(o, "{\"id\":1,\"cmd\":\"echo\"}\n");
	json_decref(read_reply(f, o));

	ctl_broadcast(f->c, msg);
	r = read_reply(f, w);
	assert_string_equal(jstr(r, "event"), "state");
	assert_int_equal(json_integer_value(json_object_get(r, "n")), 1);
	json_decref(r);
	/* the non-watcher got nothing */
	spin(f->l, 20);
	struct pollfd p = { .fd = o, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);

	/* a broadcast from inside the handler; requests work on a watch connection */
	send_str(w, "{\"id\":2,\"cmd\":\"bcast\"}\n");
	r = read_reply(f, w);
	assert_string_equal(jstr(r, "event"), "inside");
	json_decref(r);
	r = read_reply(f, w);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);

	/* a failed watch does not make a watcher: "watch" twice counts once */
	send_str(w, "{\"id\":3,\"cmd\":\"watch\"}\n");
	json_decref(read_reply(f, w));
	assert_int_equal(ctl_watchers(f->c), 1);

	close_client(w);
	spin(f->l, 20);
	assert_int_equal(ctl_watchers(f->c), 0);
	assert_int_equal(ctl_clients(f->c), 1);
	close_client(o);
	json_decref(msg);
}

static void test_slow_watcher_dropped(void **state)
{
	struct fixture *f = *state;
	int slow = connect_to(sockpath), fast = connect_to(sockpath);
	int small = 4096;
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	send_str(slow, "{\"cmd\":\"watch\"}\n");
	send_str(fast, "{\"cmd\":\"watch\"}\n");
	json_decref(read_reply(f, slow));
	json_decref(read_reply(f, fast));
	assert_int_equal(ctl_watchers(f->c), 2);

	char pad[3000];
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	json_t *msg = json_pack("{s:s, s:s}", "event", "state", "pad", pad);
	int i;
	for (i = 0; i < 1000 && ctl_watchers(f->c) == 2; i++) {
		ctl_broadcast(f->c, msg);
		/* the fast one keeps up */
		json_t *r = read_reply(f, fast);
		assert_non_null(r);
		json_decref(r);
	}
	assert_int_equal(ctl_watchers(f->c), 1);
	assert_true(i > 10);     /* not dropped at once: the buffer took some */
	/* the slow one sees the end of its stream */
	assert_true(at_eof(f, slow));
	close_client(slow);
	ctl_broadcast(f->c, msg);
	json_t *r = read_reply(f, fast);
	assert_non_null(r);
	json_decref(r);
	json_decref(msg);
	close_client(fast);
}

static void test_backpressure(void **state)
{
	/* a client that pipelines many requests and reads nothing: the daemon
	 * stops reading it instead of buffering without end, and answers all
	 * once it reads */
	struct fixture *f = *state;
	int fd = connect_to(sockpath);
	char pad[2000];
	memset(pad, 'q', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	char line[2100];
	int n = snprintf(line, sizeof(line), "{\"cmd\":\"echo\",\"pad\":\"%s\"}\n", pad);
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int sent = 0;
	for (int round = 0; round < 400; round++) {
		ssize_t w = send(fd, line, (size_t)n, MSG_NOSIGNAL);
		if (w == n)
			sent++;
		else if (w > 0)
			fail_msg("partial write in test");
		spin(f->l, 1);
	}
	/* the socket to the daemon filled: it stopped reading */
	assert_true(f->calls < sent || sent < 400);
	fcntl(fd, F_SETFL, fl);
	int got = 0;
	while (got < sent) {
		json_t *r = read_reply(f, fd);
		assert_non_null(r);
		json_decref(r);
		got++;
	}
	assert_int_equal(f->calls, sent);
	close_client(fd);
}

static void test_permissions_and_stale(void **state)
{
	(void)state;
	struct stat st;
	char err[300];
	char p[256];
	loop_t *l = loop_new();

	/* mode 0660, the group given */
	struct group *g = getgrgid(getgid());
	assert_non_null(g);
	char gname[64];
	snprintf(gname, sizeof(gname), "%s", g->gr_name);
	snprintf(p, sizeof(p), "%s/perm.sock", tmpdir);
	ctl_t *c = ctl_new(l, p, gname, handler, NULL, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, getgid());

	/* a second daemon on the same path is refused, the first keeps it */
	ctl_t *c2 = ctl_new(l, p, NULL, handler, NULL, err, sizeof(err));
	assert_null(c2);
	assert_non_null(strstr(err, "another vanctld"));
	assert_int_equal(stat(p, &st), 0);
	int fd = connect_to(p);
	assert_true(fd >= 0);
	close(fd);
	ctl_free(c);
	assert_int_equal(stat(p, &st), -1);     /* unlinked */

	/* a stale socket (nobody listens) is removed and replaced */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	assert_int_equal(stat(p, &st), 0);
	c = ctl_new(l, p, NULL, handler, NULL, err, sizeof(err));
	if (!c)
		fail_msg("stale: %s", err);
	fd = connect_to(p);
	assert_true(fd >= 0);
	close(fd);
	ctl_free(c);

	/* not a socket: refused, left alone */
	FILE *f = fopen(p, "w");
	fputs("precious\n", f);
	fclose(f);
	assert_null(ctl_new(l, p, NULL, handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(p);

	/* unknown group: named in the error, nothing left behind */
	assert_null(ctl_new(l, p, "no-such-group-xyz", handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no-such-group-xyz"));
	assert_int_equal(stat(p, &st), -1);

	/* a missing directory: says what to do */
	snprintf(p, sizeof(p), "%s/nodir/x.sock", tmpdir);
	assert_null(ctl_new(l, p, NULL, handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "does not exist"));
	assert_non_null(strstr(err, "RuntimeDirectory"));

	/* a path too long for sun_path */
	char longp[150];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	assert_null(ctl_new(l, longp, NULL, handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
	loop_free(l);
}

static void test_free_with_clients(void **state)
{
	/* ctl_free with clients connected (one watching, one mid-line) */
	struct fixture *f = *state;
	int a = connect_to(sockpath), b = connect_to(sockpath);
	send_str(a, "{\"cmd\":\"watch\"}\n");
	json_decref(read_reply(f, a));
	send_str(b, "{\"cmd\":\"ec");
	spin(f->l, 20);
	assert_int_equal(ctl_clients(f->c), 2);
	ctl_free(f->c);
	f->c = NULL;
	assert_true(at_eof(f, a));
	assert_true(at_eof(f, b));
	assert_true(connect_to(sockpath) < 0);
	close_client(a);
	close_client(b);
}

static void test_too_many_clients(void **state)
{
	struct fixture *f = *state;
	enum { N = CTL_CLIENTS_MAX + CTL_CLIENTS_SPARE };
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(sockpath);
		assert_true(fds[i] >= 0);
		spin(f->l, 1);     /* accept: a full backlog would block connect() */
	}
	spin(f->l, 30);
	assert_int_equal(ctl_clients(f->c), N);
	int extra = connect_to(sockpath);
	assert_true(extra >= 0 && extra < 256);
	json_t *r = read_reply(f, extra);
	assert_non_null(r);
	assert_string_equal(jstr(r, "error"), "busy");
	json_decref(r);
	close_client(extra);
	for (int i = 0; i < N; i++)
		close_client(fds[i]);
	spin(f->l, 30);
	assert_int_equal(ctl_clients(f->c), 0);
}

/* Issue 18, point 10: 32 clients that connect and say nothing used to lock
 * out everyone (panic included) until they went away. */
static void test_idle_clients_give_way(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_CLIENTS_MAX];
	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		fds[i] = connect_to(sockpath);
		assert_true(fds[i] >= 0);
		spin(f->l, 1);
	}
	spin(f->l, CTL_EVICT_IDLE_MS + 100);
	assert_int_equal(ctl_clients(f->c), CTL_CLIENTS_MAX);
	for (int k = 0; k < 3; k++) {
		int p = connect_to(sockpath);
		assert_true(p >= 0 && p < 256);
		send_str(p, "{\"id\":7,\"cmd\":\"panic\"}\n");
		json_t *r = read_reply(f, p);
		assert_non_null(r);
		assert_true(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
		close_client(p);
		spin(f->l, 10);
	}
	assert_true(ctl_clients(f->c) <= CTL_CLIENTS_MAX);
	for (int i = 0; i < CTL_CLIENTS_MAX; i++)
		close_client(fds[i]);
	spin(f->l, 30);
}

/* All slots held by watchers (nothing to evict): panic and one display
 * still get in; anything else, and a client beyond the spares, is told
 * busy, and reads it (no "Connection reset by peer"). */
static void test_spare_slots(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_CLIENTS_MAX];
	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		fds[i] = connect_to(sockpath);
		assert_true(fds[i] >= 0 && fds[i] < 256);
		send_str(fds[i], "{\"cmd\":\"watch\"}\n");
		json_t *r = read_reply(f, fds[i]);
		assert_non_null(r);
		json_decref(r);
	}
	assert_int_equal(ctl_watchers(f->c), CTL_CLIENTS_MAX);
	spin(f->l, CTL_EVICT_IDLE_MS + 100);

	int p = connect_to(sockpath);
	assert_true(p >= 0 && p < 256);
	send_str(p, "{\"id\":1,\"cmd\":\"panic\"}\n");
	json_t *r = read_reply(f, p);
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	int d = connect_to(sockpath);
	assert_true(d >= 0 && d < 256);
	send_str(d, "{\"id\":2,\"cmd\":\"watch\"}\n");
	r = read_reply(f, d);
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	int e = connect_to(sockpath);
	assert_true(e >= 0 && e < 256);
	send_str(e, "{\"id\":3,\"cmd\":\"echo\"}\n");
	r = read_reply(f, e);
	assert_non_null(r);
	assert_string_equal(jstr(r, "error"), "busy");
	json_decref(r);
	assert_true(at_eof(f, e));
	close_client(e);

	/* fill the spares, then one more: busy, readable after its request */
	int s1 = connect_to(sockpath), s2 = connect_to(sockpath);
	assert_true(s1 >= 0 && s2 >= 0);
	spin(f->l, 30);
	int x = connect_to(sockpath);
	assert_true(x >= 0 && x < 256);
	send_str(x, "{\"id\":4,\"cmd\":\"status\"}\n");
	r = read_reply(f, x);
	assert_non_null(r);
	assert_string_equal(jstr(r, "error"), "busy");
	json_decref(r);
	close_client(x);
	close_client(s1);
	close_client(s2);
	close_client(p);
	close_client(d);
	for (int i = 0; i < CTL_CLIENTS_MAX; i++)
		close_client(fds[i]);
	spin(f->l, 30);
}

/* Idle clients are closed; a request left unfinished is answered and
 * closed; a watcher is not idle. */
static void test_timeouts(void **state)
{
	struct fixture *f = *state;
	ctl_set_timeouts(f->c, 300, 300);
	int idle = connect_to(sockpath), slow = connect_to(sockpath), w = connect_to(sockpath);
	assert_true(idle >= 0 && slow >= 0 && w >= 0 && slow < 256 && w < 256);
	send_str(w, "{\"cmd\":\"watch\"}\n");
	json_t *r = read_reply(f, w);
	assert_non_null(r);
	json_decref(r);
	send_str(slow, "{\"cmd\":");
	spin(f->l, 800);
	assert_true(at_eof(f, idle));
	r = read_reply(f, slow);
	assert_non_null(r);
	assert_string_equal(jstr(r, "error"), "bad_request");
	assert_non_null(strstr(jstr(r, "reason"), "not finished"));
	json_decref(r);
	assert_true(at_eof(f, slow));
	assert_int_equal(ctl_watchers(f->c), 1);
	assert_int_equal(ctl_clients(f->c), 1);
	close_client(idle);
	close_client(slow);
	close_client(w);
	spin(f->l, 30);
}

int main(void)
{
	log_init("test_ctl", false, false);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sockpath, sizeof(sockpath), "%s/control.sock", tmpdir);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_and_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_broadcast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_watcher_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_clients_give_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spare_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test(test_permissions_and_stale),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return r;
}
