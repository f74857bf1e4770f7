/*
 * loop.h - the daemon's one event loop: file descriptors and timers.
 *
 * Single-threaded, poll()-based, in the manner of Redis' ae.c and OpenNTPD:
 * every object keeps its own deadline, the loop sleeps in poll() until an fd
 * is ready or the earliest deadline, which is armed on a timerfd
 * (CLOCK_MONOTONIC).  A timer callback returns the delay until its next run,
 * or LOOP_TIMER_STOP.  All times are CLOCK_MONOTONIC milliseconds, so a step
 * of the wall clock (NTP sync, GPS time) never moves a timer.
 */
#ifndef VAN_LOOP_H
#define VAN_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct loop loop_t;

#define LOOP_TIMER_STOP (-1)

/* Called when fd is ready; revents as from poll(). */
typedef void (*loop_fd_cb)(loop_t *l, int fd, short revents, void *arg);
/* Called at the deadline.  Returns ms until the next call, or LOOP_TIMER_STOP
 * to delete the timer. */
typedef int64_t (*loop_timer_cb)(loop_t *l, void *arg);

/* Returns NULL on failure (errno set). */
loop_t *loop_new(void);
/* Accepts NULL.  Closes only the loop's own timerfd, never registered fds. */
void loop_free(loop_t *l);

/* Watch fd for events (POLLIN/POLLOUT).  One registration per fd.
 * Returns 0 or -errno. */
int loop_add_fd(loop_t *l, int fd, short events, loop_fd_cb cb, void *arg);
/* Change the events watched for fd.  Returns 0 or -ENOENT. */
int loop_mod_fd(loop_t *l, int fd, short events);
/* Stop watching fd (safe from inside its own callback). */
void loop_del_fd(loop_t *l, int fd);

/* Run cb after_ms from now.  Returns a timer id (> 0) or -errno. */
int64_t loop_add_timer(loop_t *l, int64_t after_ms, loop_timer_cb cb, void *arg);
/* Move an existing timer's deadline to after_ms from now.  Returns 0 or -ENOENT. */
int loop_reset_timer(loop_t *l, int64_t id, int64_t after_ms);
/* Delete a timer (safe from inside callbacks; unknown ids are ignored). */
void loop_del_timer(loop_t *l, int64_t id);

/* Keep one timer at an object's deadline: delete the timer in *id (if any)
 * and, when deadline_ms >= 0, add one at that monotonic instant (now if it
 * has passed), storing its id in *id (0 when none). */
void loop_timer_at(loop_t *l, int64_t *id, int64_t deadline_ms, loop_timer_cb cb, void *arg);

/* Signals as loop events (signalfd): the signals in signos are blocked and
 * cb runs from the loop for each one that arrives.  SIGPIPE is ignored
 * while this is used (a broken socket shows as an error instead).  One per
 * loop; loop_free() closes the signalfd.  Returns 0 or -errno. */
typedef void (*loop_signal_cb)(loop_t *l, int signo, void *arg);
int loop_add_signals(loop_t *l, const int *signos, size_t n, loop_signal_cb cb, void *arg);

/* A source of deadlines (a GPS feed, the GPIO lines, the core): before the
 * loop sleeps it asks next(arg) for the source's next deadline (monotonic
 * ms, -1 for none), and calls run(l, arg) once that has passed.  Whatever
 * changed a source's state, the loop asks again before it sleeps: nothing
 * is re-armed by hand, so a forgotten re-arm cannot stall an input (as
 * OpenNTPD's nextaction, Redis' beforesleep).  next() must be cheap and
 * have no effects.  Returns an id (> 0) or -errno. */
typedef int64_t (*loop_deadline_fn)(void *arg);
typedef void (*loop_run_fn)(loop_t *l, void *arg);
int64_t loop_add_source(loop_t *l, loop_deadline_fn next, loop_run_fn run, void *arg);
/* Safe from inside callbacks; unknown ids are ignored. */
void loop_del_source(loop_t *l, int64_t id);

/* Run until loop_stop().  Returns 0, or -errno if poll() failed. */
int loop_run(loop_t *l);
void loop_stop(loop_t *l);

/* Virtual time, for replays and tests only: from now on mono_now_ms() and
 * wall_now_ms() return a simulated clock that starts at the real one and
 * only moves when the loop has nothing ready: it then jumps to the earliest
 * timer.  A 10-hour shift runs through the whole daemon in seconds.  Never
 * in production (a van's timers must follow real time). */
void loop_virtual_time(void);
bool loop_is_virtual(void);

/* CLOCK_MONOTONIC now in ms (cached per loop iteration while running). */
int64_t loop_now_ms(loop_t *l);
/* Uncached CLOCK_MONOTONIC in ms. */
int64_t mono_now_ms(void);
/* Uncached CLOCK_MONOTONIC in us: stage timing of the panic path
 * (virtual time: its ms, times 1000). */
int64_t mono_now_us(void);
/* Uncached CLOCK_REALTIME in ms since the epoch. */
int64_t wall_now_ms(void);

#endif
