/*
 * gpio.c - the common part of hw/gpio's backends (the config keys and role
 * names are in gpio_conf.c): dispatch to the backend, and the logic every
 * backend's raw edges go through:
 *
 * Debounce (software; the gpiod 2.x backend lets the kernel do it instead):
 *   a raw edge starts (or extends) a "bout"; the line settles when no edge
 *   came for debounce_ms.  If the level then differs from the last stable
 *   level, one transition is reported, stamped with the FIRST edge of the
 *   bout (when the contact really moved).  Chatter of any length inside a
 *   bout gives exactly one transition, or none if it ends where it began.
 *
 * Hold (hold_ms > 0, inputs): a line that settles active is reported active
 *   only once it has stayed active hold_ms after that first edge; the event
 *   then carries the original edge's ts (so it is delivered late, out of ts
 *   order with events in between).  Released before that: nothing at all
 *   is reported.  The release after a reported hold is reported as usual.
 *
 * Order: settled events are queued sorted by ts.  An event is held back
 *   while another line has a bout that began before it (so beam A then beam
 *   B come out as A, B even if A bounced longer), but at most order_wait_ms
 *   (the longest debounce + GPIO_ORDER_SLACK_MS) after it settled, so a
 *   line chattering for ever cannot stall a panic press.
 *
 * Nothing sleeps: gpio_deadline() says when gpio_service() must run next.
 */
#include "hw/gpio.h"
#include "hw/gpio_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *gpio_gpiod_api(void)
{
#ifdef VAN_HAVE_GPIOD
	return gpio__gpiod_api;
#else
	return "none (built without libgpiod)";
#endif
}

/* ---- messages shared by the backends ----------------------------------- */

int gpio__fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -e;
}

int gpio__chip_error(char *err, size_t errlen, int e, const struct gpio_line *l, const char *path)
{
	const char *chip = l->chip ? l->chip : GPIO_CHIP_DEFAULT;

	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENOTTY:
		return gpio__fail(err, errlen, ENOENT,
				  "[line.%s]: GPIO chip '%s' not found; `gpiodetect` lists the chips "
				  "(name [label] (lines)): set chip = to one of those names or labels",
				  l->name, chip);
	case EACCES:
	case EPERM:
		return gpio__fail(err, errlen, EACCES,
				  "[line.%s]: permission denied opening %s (chip '%s'); add the "
				  "service user to the gpio group (usermod -aG gpio USER, or "
				  "SupplementaryGroups=gpio in the systemd unit) and allow the device "
				  "(DeviceAllow=%s rw), then restart", l->name,
				  path ? path : "the GPIO chip", chip, path ? path : "/dev/gpiochipN");
	default:
		return gpio__fail(err, errlen, e, "[line.%s]: cannot open GPIO chip '%s': %s",
				  l->name, chip, strerror(e));
	}
}

int gpio__request_error(char *err, size_t errlen, int e, const struct gpio_line *l,
			const char *chipname, const char *holder)
{
	switch (e) {
	case EBUSY:
		if (holder && *holder)
			return gpio__fail(err, errlen, EBUSY,
					  "[line.%s]: line %d on %s is held by another program (\"%s\"; "
					  "see gpioinfo %s); stop that program or choose another line",
					  l->name, l->offset, chipname, holder, chipname);
		return gpio__fail(err, errlen, EBUSY,
				  "[line.%s]: line %d on %s is held by another program (see gpioinfo "
				  "%s); stop that program or choose another line",
				  l->name, l->offset, chipname, chipname);
	case EACCES:
	case EPERM:
		return gpio__fail(err, errlen, EACCES,
				  "[line.%s]: permission denied requesting line %d on %s; add the "
				  "service user to the gpio group (usermod -aG gpio USER, or "
				  "SupplementaryGroups=gpio in the systemd unit), then restart",
				  l->name, l->offset, chipname);
	case EINVAL:
		return gpio__fail(err, errlen, EINVAL,
				  "[line.%s]: the kernel refused the settings for line %d on %s "
				  "(bias = or debounce_ms = not supported by this chip or kernel?): %s",
				  l->name, l->offset, chipname, strerror(e));
	default:
		return gpio__fail(err, errlen, e, "[line.%s]: requesting line %d on %s failed: %s",
				  l->name, l->offset, chipname, strerror(e));
	}
}

int gpio__offset_error(char *err, size_t errlen, const struct gpio_line *l,
		       const char *chipname, const char *chiplabel, unsigned int nlines)
{
	return gpio__fail(err, errlen, EINVAL,
			  "[line.%s]: offset %d is out of range: %s [%s] has %u lines (0..%u); "
			  "check offset = (on the Pi's header the BCM GPIO number) and chip =",
			  l->name, l->offset, chipname, chiplabel ? chiplabel : "", nlines,
			  nlines ? nlines - 1 : 0);
}

int gpio__lookup_errno(int e, char *path, size_t plen)
{
	struct dirent *d;
	DIR *dir;

	if (e != ENOENT && e != ENODEV)
		return e;
	dir = opendir("/dev");
	if (!dir)
		return e;
	while ((d = readdir(dir)) != NULL) {
		char p[300];

		if (strncmp(d->d_name, "gpiochip", 8) != 0)
			continue;
		snprintf(p, sizeof(p), "/dev/%s", d->d_name);
		if (access(p, R_OK | W_OK) != 0 && (errno == EACCES || errno == EPERM)) {
			if (path && plen)
				snprintf(path, plen, "%s", p);
			e = EACCES;
			break;
		}
	}
	closedir(dir);
	return e;
}

int64_t gpio__kernel_ts_us(int64_t ts_ns, int64_t now_ms)
{
	int64_t ms = ts_ns / 1000000;

	if (ms > now_ms + GPIO_TS_FUTURE_MS || ms < now_ms - GPIO_TS_PAST_MS)
		return now_ms * 1000;
	return ts_ns / 1000;
}

/* ---- the state machine ------------------------------------------------- */

static void enqueue(gpio_t *g, size_t idx, bool active, int64_t ts, int64_t ts_us, int64_t at)
{
	struct gpio_qev *e;
	size_t pos;

	if (g->qlen == g->qcap) {
		size_t ncap = g->qcap ? g->qcap * 2 : 32;
		struct gpio_qev *nq = NULL;

		if (ncap <= GPIO_QUEUE_MAX)
			nq = realloc(g->q, ncap * sizeof(*nq));
		if (nq) {
			g->q = nq;
			g->qcap = ncap;
		} else {
			/* full: drop the oldest event that is not a panic, else this one */
			size_t k;

			for (k = 0; k < g->qlen; k++)
				if (g->q[k].ev.role != GPIO_ROLE_PANIC)
					break;
			g->dropped++;
			if (k == g->qlen && g->lines[idx].role != GPIO_ROLE_PANIC)
				return;
			if (k == g->qlen)
				k = 0;
			memmove(&g->q[k], &g->q[k + 1], (g->qlen - k - 1) * sizeof(*g->q));
			g->qlen--;
		}
	}
	pos = g->qlen;
	while (pos > 0 && g->q[pos - 1].ev.ts_ms > ts)
		pos--;
	memmove(&g->q[pos + 1], &g->q[pos], (g->qlen - pos) * sizeof(*g->q));
	e = &g->q[pos];
	e->ev.line = idx;
	e->ev.role = g->lines[idx].role;
	e->ev.active = active;
	e->ev.ts_ms = ts;
	e->ev.ts_us = ts_us;
	e->ready_at = at;
	g->qlen++;
}

/* The debounced level of line idx changed at ts (settled at at). */
static void stable_change(gpio_t *g, size_t idx, int64_t ts, int64_t ts_us, int64_t at)
{
	struct gpio_line *l = &g->lines[idx];

	if (l->hold_ms > 0) {
		if (l->stable) {
			l->holding = true;
			l->hold_ts = ts;
			l->hold_us = ts_us;
			l->hold_at = ts + l->hold_ms;
		} else if (l->holding) {
			l->holding = false;       /* let go too early: nothing happened */
		} else if (l->reported) {
			l->reported = false;
			enqueue(g, idx, false, ts, ts_us, at);
		}
		return;
	}
	l->reported = l->stable;
	enqueue(g, idx, l->stable, ts, ts_us, at);
}

/* Run everything due at or before t, in time order. */
static void advance(gpio_t *g, int64_t t)
{
	for (;;) {
		int64_t best = INT64_MAX;
		size_t bi = 0;
		int kind = 0;            /* 1 settle, 2 hold, 3 script */

		for (size_t i = 0; i < g->nlines; i++) {
			struct gpio_line *l = &g->lines[i];

			if (l->pending && l->settle_at < best) {
				best = l->settle_at;
				bi = i;
				kind = 1;
			}
			if (l->holding && l->hold_at < best) {
				best = l->hold_at;
				bi = i;
				kind = 2;
			}
		}
		if (g->ops && g->ops->next_at) {
			int64_t n = g->ops->next_at(g);

			/* deadlines first on a tie: stable for exactly debounce_ms counts */
			if (n >= 0 && n < best) {
				best = n;
				kind = 3;
			}
		}
		if (kind == 0 || best > t)
			break;
		if (best > g->t_proc)
			g->t_proc = best;
		if (kind == 1) {
			struct gpio_line *l = &g->lines[bi];

			l->pending = false;
			if (l->raw != l->stable) {
				l->stable = l->raw;
				stable_change(g, bi, l->change_ts, l->change_us, best);
			}
		} else if (kind == 2) {
			struct gpio_line *l = &g->lines[bi];

			l->holding = false;
			l->reported = true;
			enqueue(g, bi, true, l->hold_ts, l->hold_us, best);
		} else {
			g->ops->fire(g);
		}
	}
	if (t > g->t_proc)
		g->t_proc = t;
}

void gpio__edge_now(gpio_t *g, size_t idx, bool active, int64_t ts_us)
{
	struct gpio_line *l;
	int64_t ts = gpio__ms_of_us(ts_us);

	if (idx >= g->nlines)
		return;
	l = &g->lines[idx];
	if (l->output)
		return;
	if (ts < g->t_proc) {
		ts = g->t_proc;
		ts_us = ts * 1000;
	}
	if (g->trace)
		g->trace(g->trace_ctx, idx, active, ts);
	if (!l->pending) {
		l->pending = true;
		l->change_ts = ts;
		l->change_us = ts_us;
	}
	l->raw = active;
	l->settle_at = ts + l->sw_debounce_ms;
}

void gpio__edge(gpio_t *g, size_t idx, bool active, int64_t ts_us)
{
	advance(g, gpio__ms_of_us(ts_us));
	gpio__edge_now(g, idx, active, ts_us);
}

void gpio__init_level(gpio_t *g, size_t idx, bool active)
{
	struct gpio_line *l = &g->lines[idx];

	l->raw = l->stable = l->reported = active;
}

long gpio__find_input(gpio_t *g, const char *name_or_role)
{
	enum gpio_role r;

	for (size_t i = 0; i < g->nlines; i++)
		if (!g->lines[i].output && strcmp(g->lines[i].name, name_or_role) == 0)
			return (long)i;
	r = gpio_role_from_name(name_or_role);
	if (r == GPIO_ROLE_NONE)
		return -1;
	for (size_t i = 0; i < g->nlines; i++)
		if (!g->lines[i].output && g->lines[i].role == r)
			return (long)i;
	return -1;
}

/* May the queue's first event go out at now? */
static bool head_ready(gpio_t *g, int64_t now)
{
	const struct gpio_qev *e = &g->q[0];

	if (now >= e->ready_at + g->order_wait_ms)
		return true;
	for (size_t i = 0; i < g->nlines; i++)
		if (g->lines[i].pending && g->lines[i].change_ts < e->ev.ts_ms)
			return false;
	return true;
}

static int drain(gpio_t *g, int64_t now, struct gpio_event *ev, size_t max)
{
	size_t n = 0;

	while (n < max && g->qlen > 0 && head_ready(g, now)) {
		ev[n++] = g->q[0].ev;
		memmove(&g->q[0], &g->q[1], (g->qlen - 1) * sizeof(*g->q));
		g->qlen--;
	}
	return (int)n;
}

/* ---- the "none" backend ------------------------------------------------ */

static int none_open(gpio_t *g, const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen)
{
	(void)g; (void)gc; (void)now_ms; (void)err; (void)errlen;
	return 0;
}

static int none_set(gpio_t *g, size_t idx, bool on)
{
	(void)g; (void)idx; (void)on;
	return 0;
}

static const struct gpio_ops none_ops = {
	.name = "none",
	.open = none_open,
	.set = none_set,
};

/* ---- the interface ----------------------------------------------------- */

struct first_problem {
	char *err;
	size_t errlen;
	int n;
};

static void first_problem(void *ctx, int lineno, const char *msg)
{
	struct first_problem *fp = ctx;

	(void)lineno;
	if (fp->n++ == 0 && fp->err && fp->errlen)
		snprintf(fp->err, fp->errlen, "%s", msg);
}

static int open_lines(const struct gpio_conf *gc, int64_t now_ms, gpio_t **out, char *err, size_t errlen)
{
	struct first_problem fp = { err, errlen, 0 };
	int maxdeb = 0, r;
	gpio_t *g;

	if (err && errlen)
		err[0] = '\0';
	if (gpio_conf_check(gc, first_problem, &fp) > 0)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return gpio__fail(err, errlen, ENOMEM, "out of memory");
	g->t_proc = now_ms;
	g->consumer = strdup(gc->consumer ? gc->consumer : "vanctld");
	g->lines = calloc(gc->nlines ? gc->nlines : 1, sizeof(*g->lines));
	if (!g->consumer || !g->lines) {
		r = gpio__fail(err, errlen, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < gc->nlines; i++) {
		const struct gpio_line_conf *c = &gc->lines[i];
		struct gpio_line *l = &g->lines[i];

		g->nlines++;
		l->name = strdup(c->name);
		l->chip = strdup(c->chip ? c->chip : GPIO_CHIP_DEFAULT);
		if (!l->name || !l->chip) {
			r = gpio__fail(err, errlen, ENOMEM, "out of memory");
			goto fail;
		}
		l->role = c->role;
		l->output = gpio_role_is_output(c->role);
		l->covert = c->covert;
		l->active_low = c->active_low;
		l->bias = c->bias;
		l->offset = c->offset;
		l->lineno = c->lineno;
		l->hold_ms = l->output ? 0 : c->hold_ms;
		if (l->output)
			l->debounce_ms = 0;
		else if (c->debounce_ms == GPIO_DEBOUNCE_UNSET)
			l->debounce_ms = GPIO_DEBOUNCE_DEFAULT_MS;
		else
			l->debounce_ms = c->debounce_ms < 0 ? 0 : c->debounce_ms;
		l->sw_debounce_ms = l->debounce_ms;
		l->bk_fd = -1;
		if (l->debounce_ms > maxdeb)
			maxdeb = l->debounce_ms;
	}
	g->order_wait_ms = (int64_t)maxdeb + GPIO_ORDER_SLACK_MS;

	switch (gc->backend) {
	case GPIO_BACKEND_NONE:
		g->ops = &none_ops;
		break;
	case GPIO_BACKEND_SIM:
		g->ops = &gpio__sim_ops;
		break;
	case GPIO_BACKEND_GPIOD:
#ifdef VAN_HAVE_GPIOD
		g->ops = &gpio__gpiod_ops;
		break;
#else
		r = gpio__fail(err, errlen, ENOTSUP,
			       "[gpio] backend = gpiod, but vanctld was built without libgpiod "
			       "(install libgpiod-dev and rebuild, or use backend = sim or none)");
		goto fail;
#endif
	default:
		r = gpio__fail(err, errlen, EINVAL, "[gpio]: unknown backend %d", (int)gc->backend);
		goto fail;
	}
	r = g->ops->open(g, gc, now_ms, err, errlen);
	if (r < 0)
		goto fail;
	*out = g;
	return 0;
fail:
	gpio_close(g);
	return r < 0 ? r : -EIO;
}

gpio_t *gpio_open(const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen)
{
	gpio_t *g = NULL;
	int r = open_lines(gc, now_ms, &g, err, errlen);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return g;
}

void gpio_close(gpio_t *g)
{
	if (!g)
		return;
	if (g->ops && g->ops->close)
		g->ops->close(g);
	for (size_t i = 0; i < g->nlines; i++) {
		free(g->lines[i].name);
		free(g->lines[i].chip);
	}
	free(g->lines);
	free(g->consumer);
	free(g->q);
	free(g);
}

size_t gpio_fds(gpio_t *g, int *fds, size_t max)
{
	if (!g || !g->ops->fds)
		return 0;
	return g->ops->fds(g, fds, max);
}

int gpio_read(gpio_t *g, int fd, int64_t now_ms, struct gpio_event *ev, size_t max)
{
	int r;

	if (!g)
		return -EINVAL;
	if (!g->ops->read)
		return -EBADF;
	r = g->ops->read(g, fd, now_ms);
	if (r < 0)
		return r;
	if (now_ms < g->t_proc)
		now_ms = g->t_proc;
	advance(g, now_ms);
	return drain(g, now_ms, ev, max);
}

int64_t gpio_deadline(gpio_t *g)
{
	int64_t d = -1;

#define EARLIER(t) do { if (d < 0 || (t) < d) d = (t); } while (0)
	if (!g)
		return -1;
	for (size_t i = 0; i < g->nlines; i++) {
		if (g->lines[i].pending)
			EARLIER(g->lines[i].settle_at);
		if (g->lines[i].holding)
			EARLIER(g->lines[i].hold_at);
	}
	if (g->ops->next_at) {
		int64_t n = g->ops->next_at(g);

		if (n >= 0)
			EARLIER(n);
	}
	if (g->qlen > 0) {
		/* at the latest when the ordering wait runs out; at once if no
		 * earlier bout holds it back (a time already past) */
		if (head_ready(g, INT64_MIN / 2))
			EARLIER(g->q[0].ev.ts_ms < g->q[0].ready_at ? g->q[0].ev.ts_ms : g->q[0].ready_at);
		else
			EARLIER(g->q[0].ready_at + g->order_wait_ms);
	}
#undef EARLIER
	return d;
}

int gpio_service(gpio_t *g, int64_t now_ms, struct gpio_event *ev, size_t max)
{
	if (!g)
		return -EINVAL;
	if (now_ms < g->t_proc)
		now_ms = g->t_proc;
	advance(g, now_ms);
	return drain(g, now_ms, ev, max);
}

int gpio_get(gpio_t *g, size_t idx, bool *active)
{
	if (!g || idx >= g->nlines)
		return -EINVAL;
	*active = g->lines[idx].output ? g->lines[idx].out_on : g->lines[idx].reported;
	return 0;
}

int gpio_set(gpio_t *g, enum gpio_role role, bool on)
{
	int ret = 0;

	if (!g || !gpio_role_is_output(role))
		return -EINVAL;
	for (size_t i = 0; i < g->nlines; i++) {
		struct gpio_line *l = &g->lines[i];
		int r;

		if (l->role != role)
			continue;
		r = g->ops->set ? g->ops->set(g, i, on) : 0;
		if (r < 0)
			ret = r;
		else
			l->out_on = on;
	}
	return ret;
}

int gpio_get_output(gpio_t *g, enum gpio_role role, bool *on)
{
	if (!g || !gpio_role_is_output(role))
		return -EINVAL;
	for (size_t i = 0; i < g->nlines; i++)
		if (g->lines[i].role == role) {
			*on = g->lines[i].out_on;
			return 0;
		}
	return -ENOENT;
}

int gpio_sim_inject_at(gpio_t *g, const char *name_or_role, bool active, int64_t stamp_us)
{
	int64_t now_ms = gpio__ms_of_us(stamp_us);
	long idx;

	if (!g || !name_or_role)
		return -EINVAL;
	if (!g->ops->inject)
		return -ENOTSUP;
	idx = gpio__find_input(g, name_or_role);
	if (idx < 0)
		return -ENOENT;
	/* a time not yet reached: a step for gpio_service to apply then */
	if (now_ms > g->t_proc)
		return g->ops->inject(g, (size_t)idx, active, stamp_us);
	gpio__edge(g, (size_t)idx, active, stamp_us);
	return 0;
}

int gpio_sim_inject(gpio_t *g, const char *name_or_role, bool active, int64_t now_ms)
{
	return gpio_sim_inject_at(g, name_or_role, active, now_ms * 1000);
}

void gpio_set_trace(gpio_t *g, void (*fn)(void *ctx, size_t line, bool active, int64_t ts_ms),
		    void *ctx)
{
	if (!g)
		return;
	g->trace = fn;
	g->trace_ctx = ctx;
}

uint64_t gpio_dropped(gpio_t *g)
{
	return g ? g->dropped : 0;
}
