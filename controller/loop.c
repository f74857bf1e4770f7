/*
 * loop.c - poll() + timerfd event loop.  See loop.h.
 */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct loop_fd {
	int fd;
	short events;
	loop_fd_cb cb;
	void *arg;
	bool dead;
	uint64_t gen;           /* which registration: an fd number reused in one pass is another */
};

struct loop_source {
	int64_t id;
	loop_deadline_fn next;
	loop_run_fn run;
	void *arg;
	bool dead;
};

struct loop_timer {
	int64_t id;
	int64_t deadline;
	loop_timer_cb cb;
	void *arg;
	bool dead;
};

struct loop {
	struct loop_fd *fds;
	size_t nfds, capfds;
	struct loop_timer *timers;
	size_t ntimers, captimers;
	int64_t next_id;
	int tfd;
	int64_t now;
	bool running;
	bool in_dispatch;
	struct pollfd *pfd;
	uint64_t *pgen;         /* the registration each pfd[] entry was polled for */
	size_t cappfd;
	struct loop_source *sources;
	size_t nsources, capsources;
	uint64_t next_gen;
	int sigfd;              /* loop_add_signals, -1 if none */
	loop_signal_cb sig_cb;
	void *sig_arg;
};

static int64_t clock_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct {
	bool on;
	int64_t mono;        /* the simulated CLOCK_MONOTONIC */
	int64_t wall_off;    /* simulated CLOCK_REALTIME - mono */
} vclock;

void loop_virtual_time(void)
{
	vclock.mono = clock_ms(CLOCK_MONOTONIC);
	vclock.wall_off = clock_ms(CLOCK_REALTIME) - vclock.mono;
	vclock.on = true;
}

bool loop_is_virtual(void) { return vclock.on; }

int64_t mono_now_ms(void) { return vclock.on ? vclock.mono : clock_ms(CLOCK_MONOTONIC); }
int64_t mono_now_us(void)
{
	struct timespec ts;

	if (vclock.on)
		return vclock.mono * 1000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
int64_t wall_now_ms(void) { return vclock.on ? vclock.mono + vclock.wall_off : clock_ms(CLOCK_REALTIME); }

int64_t loop_now_ms(loop_t *l)
{
	return l->running ? l->now : mono_now_ms();
}

loop_t *loop_new(void)
{
	loop_t *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sigfd = -1;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0) {
		int e = errno;
		free(l);
		errno = e;
		return NULL;
	}
	l->next_id = 1;
	return l;
}

void loop_free(loop_t *l)
{
	if (!l)
		return;
	close(l->tfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->fds);
	free(l->timers);
	free(l->sources);
	free(l->pfd);
	free(l->pgen);
	free(l);
}

static struct loop_fd *find_fd(loop_t *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd && !l->fds[i].dead)
			return &l->fds[i];
	return NULL;
}

int loop_add_fd(loop_t *l, int fd, short events, loop_fd_cb cb, void *arg)
{
	if (fd < 0 || !cb)
		return -EINVAL;
	if (find_fd(l, fd))
		return -EEXIST;
	if (l->nfds == l->capfds) {
		size_t cap = l->capfds ? l->capfds * 2 : 8;
		struct loop_fd *n = realloc(l->fds, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->fds = n;
		l->capfds = cap;
	}
	l->fds[l->nfds++] = (struct loop_fd){ fd, events, cb, arg, false, ++l->next_gen };
	return 0;
}

int loop_mod_fd(loop_t *l, int fd, short events)
{
	struct loop_fd *f = find_fd(l, fd);

	if (!f)
		return -ENOENT;
	f->events = events;
	return 0;
}

void loop_del_fd(loop_t *l, int fd)
{
	struct loop_fd *f = find_fd(l, fd);

	if (f)
		f->dead = true; /* reaped after dispatch, so indexes stay valid */
}

int64_t loop_add_timer(loop_t *l, int64_t after_ms, loop_timer_cb cb, void *arg)
{
	if (!cb || after_ms < 0)
		return -EINVAL;
	if (l->ntimers == l->captimers) {
		size_t cap = l->captimers ? l->captimers * 2 : 8;
		struct loop_timer *n = realloc(l->timers, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->timers = n;
		l->captimers = cap;
	}
	int64_t id = l->next_id++;
	l->timers[l->ntimers++] = (struct loop_timer){ id, loop_now_ms(l) + after_ms, cb, arg, false };
	return id;
}

static struct loop_timer *find_timer(loop_t *l, int64_t id)
{
	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].id == id && !l->timers[i].dead)
			return &l->timers[i];
	return NULL;
}

int loop_reset_timer(loop_t *l, int64_t id, int64_t after_ms)
{
	struct loop_timer *t = find_timer(l, id);

	if (!t)
		return -ENOENT;
	t->deadline = loop_now_ms(l) + (after_ms < 0 ? 0 : after_ms);
	return 0;
}

void loop_del_timer(loop_t *l, int64_t id)
{
	struct loop_timer *t = find_timer(l, id);

	if (t)
		t->dead = true;
}

void loop_timer_at(loop_t *l, int64_t *id, int64_t deadline_ms, loop_timer_cb cb, void *arg)
{
	if (*id) {
		loop_del_timer(l, *id);
		*id = 0;
	}
	if (deadline_ms >= 0) {
		int64_t after = deadline_ms - loop_now_ms(l);
		int64_t t = loop_add_timer(l, after < 0 ? 0 : after, cb, arg);
		*id = t > 0 ? t : 0;
	}
}

int64_t loop_add_source(loop_t *l, loop_deadline_fn next, loop_run_fn run, void *arg)
{
	if (!next || !run)
		return -EINVAL;
	if (l->nsources == l->capsources) {
		size_t cap = l->capsources ? l->capsources * 2 : 8;
		struct loop_source *n = realloc(l->sources, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->sources = n;
		l->capsources = cap;
	}
	int64_t id = l->next_id++;
	l->sources[l->nsources++] = (struct loop_source){ id, next, run, arg, false };
	return id;
}

void loop_del_source(loop_t *l, int64_t id)
{
	for (size_t i = 0; i < l->nsources; i++)
		if (l->sources[i].id == id)
			l->sources[i].dead = true;
}

/* Run the sources whose deadline has passed (once each per pass: what they
 * change is asked again before the loop sleeps). */
static void run_sources(loop_t *l)
{
	size_t n = l->nsources;
	for (size_t i = 0; i < n && l->running; i++) {
		struct loop_source s = l->sources[i];   /* a copy: run() may add sources */
		if (s.dead)
			continue;
		int64_t d = s.next(s.arg);
		if (d >= 0 && d <= l->now)
			s.run(l, s.arg);
	}
}

/* The earliest deadline of the timers and the sources, or INT64_MAX. */
static int64_t earliest_deadline(loop_t *l)
{
	int64_t earliest = INT64_MAX;
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].dead && l->timers[i].deadline < earliest)
			earliest = l->timers[i].deadline;
	for (size_t i = 0; i < l->nsources; i++) {
		if (l->sources[i].dead)
			continue;
		int64_t d = l->sources[i].next(l->sources[i].arg);
		if (d >= 0 && d < earliest)
			earliest = d;
	}
	return earliest;
}

void loop_stop(loop_t *l) { l->running = false; }

static void reap(loop_t *l)
{
	size_t j = 0;

	for (size_t i = 0; i < l->nfds; i++)
		if (!l->fds[i].dead)
			l->fds[j++] = l->fds[i];
	l->nfds = j;
	j = 0;
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].dead)
			l->timers[j++] = l->timers[i];
	l->ntimers = j;
	j = 0;
	for (size_t i = 0; i < l->nsources; i++)
		if (!l->sources[i].dead)
			l->sources[j++] = l->sources[i];
	l->nsources = j;
}

/* Arm the timerfd for the earliest live deadline (or disarm). */
static void arm(loop_t *l)
{
	struct itimerspec its;
	int64_t earliest = earliest_deadline(l);

	memset(&its, 0, sizeof(its));
	if (earliest != INT64_MAX) {
		/* relative, not TFD_TIMER_ABSTIME: the kernel's absolute monotonic
		 * time is not ours under an LD_PRELOAD clock shifter (faketime, as
		 * the suite's time-travel runs use).  Now is truncated to the ms,
		 * so the timer fires late by under 1 ms, never early. */
		int64_t in = earliest - clock_ms(CLOCK_MONOTONIC);
		if (in > 0) {
			its.it_value.tv_sec = in / 1000;
			its.it_value.tv_nsec = (in % 1000) * 1000000;
		} else {
			its.it_value.tv_nsec = 1; /* due: at once (0 would disarm) */
		}
	}
	timerfd_settime(l->tfd, 0, &its, NULL);
}

static void run_timers(loop_t *l)
{
	/* Only timers due now; ones added by callbacks wait for the next pass. */
	size_t n = l->ntimers;

	for (size_t i = 0; i < n && l->running; i++) {
		struct loop_timer *t = &l->timers[i];
		if (t->dead || t->deadline > l->now)
			continue;
		int64_t id = t->id;
		int64_t next = t->cb(l, t->arg);
		t = find_timer(l, id); /* array may have been reallocated */
		if (!t)
			continue;
		if (next == LOOP_TIMER_STOP)
			t->dead = true;
		else
			t->deadline = l->now + (next < 0 ? 0 : next);
	}
}

int loop_run(loop_t *l)
{
	l->running = true;
	l->now = mono_now_ms();
	while (l->running) {
		reap(l);
		l->now = mono_now_ms();
		run_sources(l);
		if (!l->running)
			break;
		reap(l);
		if (!vclock.on)
			arm(l);
		size_t n = l->nfds + 1;
		if (n > l->cappfd) {
			struct pollfd *p = realloc(l->pfd, n * sizeof(*p));
			if (!p)
				return -ENOMEM;
			l->pfd = p;
			uint64_t *g = realloc(l->pgen, n * sizeof(*g));
			if (!g)
				return -ENOMEM;
			l->pgen = g;
			l->cappfd = n;
		}
		/* virtual time moves by itself below: no timerfd */
		l->pfd[0] = (struct pollfd){ .fd = vclock.on ? -1 : l->tfd, .events = POLLIN };
		for (size_t i = 0; i < l->nfds; i++) {
			l->pfd[i + 1] = (struct pollfd){ .fd = l->fds[i].fd, .events = l->fds[i].events };
			l->pgen[i + 1] = l->fds[i].gen;
		}
		size_t polled = l->nfds;
		int ready = poll(l->pfd, polled + 1, vclock.on ? 0 : -1);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			l->running = false;
			return -errno;
		}
		if (vclock.on && ready == 0) {
			/* nothing to read or write: jump to the earliest deadline */
			int64_t next = earliest_deadline(l);
			if (next != INT64_MAX && next > vclock.mono)
				vclock.mono = next;
		}
		l->now = mono_now_ms();
		if (l->pfd[0].revents) {
			uint64_t exp;
			(void)!read(l->tfd, &exp, sizeof(exp));
		}
		run_timers(l);
		for (size_t i = 0; i < polled && l->running; i++) {
			short re = l->pfd[i + 1].revents;
			if (!re)
				continue;
			/* look up by fd: callbacks may have added fds (realloc);
			 * and only the registration that was polled: a callback
			 * may have closed this fd and another taken its number */
			struct loop_fd *f = find_fd(l, l->pfd[i + 1].fd);
			if (f && f->gen == l->pgen[i + 1])
				f->cb(l, f->fd, re, f->arg);
		}
	}
	return 0;
}

static void signal_ready(loop_t *l, int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;
	(void)revents;
	(void)arg;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		l->sig_cb(l, (int)si.ssi_signo, l->sig_arg);
}

int loop_add_signals(loop_t *l, const int *signos, size_t n, loop_signal_cb cb, void *arg)
{
	sigset_t set;

	if (l->sigfd >= 0)
		return -EBUSY;
	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, signos[i]);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE); /* blocked and never read: ignored */
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -errno;
	l->sig_cb = cb;
	l->sig_arg = arg;
	int rc = loop_add_fd(l, l->sigfd, POLLIN, signal_ready, NULL);
	if (rc < 0) {
		close(l->sigfd);
		l->sigfd = -1;
	}
	return rc;
}
