/*
 * notify_cmd.c - command hooks: run a program (argv from config, no shell)
 * in its own process group with the alarm as JSON on stdin; its stdout and
 * stderr are kept (bounded) and logged; its exit status is the result.  The
 * loop watches a pidfd for the exit, the pipes for output, and a timer for
 * the timeout, at which the whole process group is killed.  No blocking
 * wait: waitpid(WNOHANG) once the pidfd says the child has exited.
 */
#include "notify_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define OUT_MAX 4096     /* stdout and stderr kept for the log, each */

extern char **environ;

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static void close_fd(struct nt_send *s, int *fd)
{
	if (*fd >= 0) {
		loop_del_fd(s->n->loop, *fd);
		close(*fd);
		*fd = -1;
	}
}

static void drain(struct nt_send *s, int *fd, struct nt_buf *b)
{
	char buf[4096];

	while (*fd >= 0) {
		ssize_t r = read(*fd, buf, sizeof(buf));
		if (r > 0) {
			nt_buf_add(b, buf, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		close_fd(s, fd);   /* EOF or error */
	}
}

static void out_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct nt_send *s = arg;

	(void)l;
	(void)revents;
	if (fd == s->out_fd)
		drain(s, &s->out_fd, &s->out);
	else if (fd == s->err_fd)
		drain(s, &s->err_fd, &s->errout);
}

static void in_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct nt_send *s = arg;
	size_t len = s->body_len;

	(void)l;
	(void)fd;
	/* revents are not trusted: when a timer closes an fd and a new one gets
	 * its number in the same loop iteration, the loop hands the old fd's
	 * revents (a POLLHUP) to the new one's callback.  The write itself
	 * says whether the hook closed its stdin (EPIPE). */
	(void)revents;
	while (s->in_off < len) {
		ssize_t w = write(s->in_fd, s->body + s->in_off, len - s->in_off);
		if (w > 0) {
			s->in_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		break;   /* EPIPE: the hook does not read it; its business */
	}
	close_fd(s, &s->in_fd);   /* EOF for the hook */
}

/* Log captured output, one line per log message, non-printables as '?'. */
static void log_output(const struct nt_send *s, const char *what, const struct nt_buf *b)
{
	if (!b->len)
		return;
	char *p = b->p;
	while (p && *p) {
		size_t n = strcspn(p, "\n");
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
				p[i] = '?';
		log_info("notify %s [%s]: hook %s: %.*s", s->c->name, s->m.id, what, (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	if (b->dropped)
		log_info("notify %s [%s]: hook %s: (%zu more bytes not kept)", s->c->name, s->m.id, what,
			 b->dropped);
}

static void cmd_cleanup(struct nt_send *s)
{
	close_fd(s, &s->in_fd);
	close_fd(s, &s->out_fd);
	close_fd(s, &s->err_fd);
	close_fd(s, &s->pidfd);
	free(s->body);
	s->body = NULL;
	s->body_len = s->in_off = 0;
	nt_buf_free(&s->out);
	nt_buf_free(&s->errout);
	loop_timer_at(s->n->loop, &s->timer, -1, NULL, NULL);
	loop_timer_at(s->n->loop, &s->reap_timer, -1, NULL, NULL);
	s->pid = -1;
}

/* Has the hook exited?  Then log its output and end the attempt (which may
 * free s) and return true. */
static bool child_exited(struct nt_send *s)
{
	int st;
	char err[256];
	bool ok = false;
	int code;

	pid_t r = waitpid(s->pid, &st, WNOHANG);
	if (r == 0)
		return false;   /* not yet */
	if (r < 0) {
		/* someone else reaped it (SIGCHLD at SIG_IGN?): no status */
		snprintf(err, sizeof(err), "lost the hook's exit status: %s", strerror(errno));
		code = -1;
	} else if (WIFEXITED(st)) {
		code = WEXITSTATUS(st);
		ok = code == 0;
		snprintf(err, sizeof(err), code == 127 ? "exit status 127 (program not found?)" :
			 "exit status %d", code);
	} else {
		code = -WTERMSIG(st);
		snprintf(err, sizeof(err), s->killed ? "killed at its timeout (%d ms)" : "killed by signal %d",
			 s->killed ? s->c->timeout_ms : WTERMSIG(st));
	}
	/* the exit came after every write it made: read what is left */
	drain(s, &s->out_fd, &s->out);
	drain(s, &s->err_fd, &s->errout);
	log_output(s, "stdout", &s->out);
	log_output(s, "stderr", &s->errout);
	s->killed = false;
	cmd_cleanup(s);
	nt_attempt_done(s, ok, code, true, ok ? NULL : err);
	return true;
}

static void exit_cb(loop_t *l, int fd, short revents, void *arg)
{
	(void)l;
	(void)fd;
	(void)revents;
	child_exited(arg);
}

#define REAP_POLL_MS 50

/* Without a pidfd: look for the exit every REAP_POLL_MS (never blocks). */
static int64_t reap_poll(loop_t *l, void *arg)
{
	(void)l;
	/* once it has exited, s may be gone: touch nothing */
	return child_exited(arg) ? LOOP_TIMER_STOP : REAP_POLL_MS;
}

static int64_t timeout_cb(loop_t *l, void *arg)
{
	struct nt_send *s = arg;

	(void)l;
	s->timer = 0;
	if (s->pid > 0) {
		log_warnx("notify %s [%s]: hook pid %d still running at its timeout (%d ms): killing its process group",
			  s->c->name, s->m.id, (int)s->pid, s->c->timeout_ms);
		s->killed = true;
		kill(-s->pid, SIGKILL);
	}
	return LOOP_TIMER_STOP;   /* the exit comes through the pidfd */
}

/* In the child: never returns. */
static void child(int in, int out, int err, char **argv)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);   /* ignored dispositions survive exec */
	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	/* nothing else of ours reaches the hook: sockets of libcurl or the
	 * broker connection need not be close-on-exec */
	if (close_range(3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	execvp(argv[0], argv);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int nt_cmd_start(struct nt_send *s)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	size_t argc = 0;
	char **argv = NULL;
	int e;

	s->out.cap = s->errout.cap = OUT_MAX;
	s->body = nt_msg_json(s->c, &s->m);
	if (!s->body)
		goto oom;
	/* the JSON and a newline, for hooks that read a line */
	{
		size_t n = strlen(s->body);
		char *b = realloc(s->body, n + 2);
		if (!b)
			goto oom;
		b[n] = '\n';
		b[n + 1] = '\0';
		s->body = b;
		s->body_len = n + 1;
		s->in_off = 0;
	}
	while (s->c->argv[argc])
		argc++;
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv)
		goto oom;
	for (size_t i = 0; i < argc; i++)
		if (!(argv[i] = nt_expand(s->c->argv[i], s->c, &s->m)))
			goto oom;
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		e = errno;
		snprintf(s->error, sizeof(s->error), "pipe: %s", strerror(e));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		e = errno;
		snprintf(s->error, sizeof(s->error), "fork: %s", strerror(e));
		goto fail;
	}
	if (pid == 0)
		child(pin[0], pout[1], perr[1], argv);
	setpgid(pid, pid);   /* both sides: no race with a kill at timeout */
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	s->pid = pid;
	s->in_fd = pin[1];
	s->out_fd = pout[0];
	s->err_fd = perr[0];
	fcntl(s->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
	s->pidfd = pidfd_open_(pid);
	if (s->pidfd < 0) {
		/* valgrind (3.19 knows no pidfd_open) or an old kernel: poll */
		log_debug("notify %s [%s]: pidfd_open: %s; polling for the hook's exit", s->c->name,
			  s->m.id, strerror(errno));
		s->reap_timer = loop_add_timer(s->n->loop, REAP_POLL_MS, reap_poll, s);
		if (s->reap_timer < 0)
			s->reap_timer = 0;
	}
	if ((s->pidfd >= 0 && loop_add_fd(s->n->loop, s->pidfd, POLLIN, exit_cb, s) < 0) ||
	    (s->pidfd < 0 && !s->reap_timer) ||
	    loop_add_fd(s->n->loop, s->in_fd, POLLOUT, in_cb, s) < 0 ||
	    loop_add_fd(s->n->loop, s->out_fd, POLLIN, out_cb, s) < 0 ||
	    loop_add_fd(s->n->loop, s->err_fd, POLLIN, out_cb, s) < 0) {
		snprintf(s->error, sizeof(s->error), "loop: cannot watch the hook");
		nt_cmd_stop(s);
		goto fail_argv;
	}
	loop_timer_at(s->n->loop, &s->timer, loop_now_ms(s->n->loop) + s->c->timeout_ms, timeout_cb, s);
	log_debug("notify %s [%s]: hook %s started, pid %d", s->c->name, s->m.id, argv[0], (int)pid);
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return 0;
oom:
	snprintf(s->error, sizeof(s->error), "out of memory");
fail:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	cmd_cleanup(s);
fail_argv:
	for (size_t i = 0; argv && i < argc; i++)
		free(argv[i]);
	free(argv);
	return -1;
}

void nt_cmd_stop(struct nt_send *s)
{
	if (s->pid > 0) {
		kill(-s->pid, SIGKILL);
		/* SIGKILLed: the wait is over at once (teardown and cancel only) */
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	cmd_cleanup(s);
}
