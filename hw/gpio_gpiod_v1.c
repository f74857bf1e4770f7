/*
 * gpio_gpiod_v1.c - the gpiod backend for libgpiod 1.6 (Debian 12 /
 * Raspberry Pi OS bookworm).  Built instead of gpio_gpiod_v2.c when
 * pkg-config finds libgpiod < 2 (see hw/CMakeLists.txt).
 *
 * Each input line is requested for both-edge events with its own active-low
 * and bias flags and has its own event fd.  The v1 uAPI has no kernel
 * debounce, so gpio.c debounces in software.  Edge stamps are the kernel's
 * (CLOCK_MONOTONIC since Linux 5.7).  When any line fd is readable, every
 * readable line is drained and the edges are fed in stamp order, so two
 * lines' edges read in one go keep their real order.  After a drain the
 * line's level is read back: if the kernel's 16-event buffer overflowed and
 * the last level was lost, it is fed as an edge at now.
 */
#include "hw/gpio.h"
#include "hw/gpio_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char gpio__gpiod_api[] = "libgpiod 1.6 (v1 API)";

struct v1_chip {
	char *spec;
	struct gpiod_chip *chip;
};

struct v1 {
	struct v1_chip *chips;
	size_t nchips;
};

struct v1_raw {
	size_t line;
	bool active;
	int64_t ts;            /* us */
	size_t seq;
};

#define V1_READ_MAX 256      /* edges taken per gpio_read call */
#define V1_MAX_INPUTS 64     /* one fd each, all polled on every read */

static const char *guess_path(const char *spec, char *buf, size_t len)
{
	if (spec[0] == '/')
		return spec;
	if (strncmp(spec, "gpiochip", 8) == 0) {
		snprintf(buf, len, "/dev/%s", spec);
		return buf;
	}
	return NULL;
}

static struct gpiod_chip *get_chip(struct v1 *v, const struct gpio_line *l, int *e)
{
	struct v1_chip *nc;
	struct gpiod_chip *c;

	for (size_t i = 0; i < v->nchips; i++)
		if (strcmp(v->chips[i].spec, l->chip) == 0)
			return v->chips[i].chip;
	errno = 0;
	c = gpiod_chip_open_lookup(l->chip);
	if (!c) {
		*e = errno ? errno : ENOENT;
		return NULL;
	}
	nc = realloc(v->chips, (v->nchips + 1) * sizeof(*nc));
	if (!nc) {
		gpiod_chip_close(c);
		*e = ENOMEM;
		return NULL;
	}
	v->chips = nc;
	nc[v->nchips].chip = c;
	nc[v->nchips].spec = strdup(l->chip);
	if (!nc[v->nchips].spec) {
		gpiod_chip_close(c);
		*e = ENOMEM;
		return NULL;
	}
	v->nchips++;
	return c;
}

static int bias_flags(enum gpio_bias b)
{
	switch (b) {
	case GPIO_BIAS_DISABLED: return GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
	case GPIO_BIAS_PULL_UP: return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
	case GPIO_BIAS_PULL_DOWN: return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
	case GPIO_BIAS_AS_IS: break;
	}
	return 0;
}

static void v1_close(gpio_t *g)
{
	struct v1 *v = g->bk;

	if (!v)
		return;
	/* closing a chip releases the lines requested through it */
	for (size_t i = 0; i < v->nchips; i++) {
		gpiod_chip_close(v->chips[i].chip);
		free(v->chips[i].spec);
	}
	free(v->chips);
	free(v);
	g->bk = NULL;
}

static int v1_open(gpio_t *g, const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen)
{
	struct v1 *v = calloc(1, sizeof(*v));
	char pbuf[64];

	(void)gc;
	(void)now_ms;
	size_t ninputs = 0;

	if (!v)
		return gpio__fail(err, errlen, ENOMEM, "out of memory");
	g->bk = v;
	for (size_t i = 0; i < g->nlines; i++)
		ninputs += !g->lines[i].output;
	if (ninputs > V1_MAX_INPUTS)
		return gpio__fail(err, errlen, EINVAL, "[gpio]: %zu input lines; this backend "
				  "(libgpiod 1.6) handles at most %d", ninputs, V1_MAX_INPUTS);
	for (size_t i = 0; i < g->nlines; i++) {
		struct gpio_line *l = &g->lines[i];
		struct gpiod_line_request_config cfg = { 0 };
		struct gpiod_chip *c;
		struct gpiod_line *line;
		unsigned int n;
		int e = 0, val;

		c = get_chip(v, l, &e);
		if (!c) {
			const char *path = guess_path(l->chip, pbuf, sizeof(pbuf));

			if (e == ENOENT) {
				e = gpio__lookup_errno(e, pbuf, sizeof(pbuf));
				if (e == EACCES)
					path = pbuf;
			}
			return gpio__chip_error(err, errlen, e, l, path);
		}
		n = gpiod_chip_num_lines(c);
		if (l->offset < 0 || (unsigned int)l->offset >= n)
			return gpio__offset_error(err, errlen, l, gpiod_chip_name(c), gpiod_chip_label(c), n);
		for (size_t j = 0; j < i; j++) {
			const struct gpio_line *o = &g->lines[j];

			if (o->offset == l->offset && strcmp((const char *)o->bk, gpiod_chip_name(c)) == 0)
				return gpio__fail(err, errlen, EINVAL,
						  "[line.%s]: line %d on %s is also configured as [line.%s] "
						  "(chip '%s' and '%s' are the same chip)", l->name, l->offset,
						  gpiod_chip_name(c), o->name, o->chip, l->chip);
		}
		line = gpiod_chip_get_line(c, (unsigned int)l->offset);
		if (!line)
			return gpio__request_error(err, errlen, errno ? errno : EINVAL, l,
						   gpiod_chip_name(c), NULL);
		cfg.consumer = g->consumer;
		cfg.flags = bias_flags(l->bias) | (l->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0);
		cfg.request_type = l->output ? GPIOD_LINE_REQUEST_DIRECTION_OUTPUT
					     : GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES;
		if (gpiod_line_request(line, &cfg, 0) < 0) {
			e = errno;
			if (e == EBUSY && gpiod_line_update(line) == 0)
				return gpio__request_error(err, errlen, e, l, gpiod_chip_name(c),
							   gpiod_line_consumer(line));
			return gpio__request_error(err, errlen, e, l, gpiod_chip_name(c), NULL);
		}
		/* the chip name stays valid while the chip is open: keep it for
		 * the duplicate check above and for messages */
		l->bk = (void *)gpiod_chip_name(c);
		l->bk_num = (unsigned int)l->offset;
		if (l->output)
			continue;
		l->bk_fd = gpiod_line_event_get_fd(line);
		if (l->bk_fd < 0 || fcntl(l->bk_fd, F_SETFL, fcntl(l->bk_fd, F_GETFL) | O_NONBLOCK) < 0)
			return gpio__request_error(err, errlen, errno ? errno : EIO, l,
						   gpiod_chip_name(c), NULL);
		val = gpiod_line_get_value(line);
		if (val < 0)
			return gpio__request_error(err, errlen, errno ? errno : EIO, l,
						   gpiod_chip_name(c), NULL);
		gpio__init_level(g, i, val == 1);
	}
	return 0;
}

/* The gpiod_line of line idx (its chip is open, so this only looks up). */
static struct gpiod_line *v1_line(gpio_t *g, size_t idx)
{
	struct v1 *v = g->bk;
	const struct gpio_line *l = &g->lines[idx];

	for (size_t i = 0; i < v->nchips; i++)
		if (strcmp(v->chips[i].spec, l->chip) == 0)
			return gpiod_chip_get_line(v->chips[i].chip, l->bk_num);
	return NULL;
}

static size_t v1_fds(gpio_t *g, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nlines && n < max; i++)
		if (g->lines[i].bk_fd >= 0)
			fds[n++] = g->lines[i].bk_fd;
	return n;
}

static int raw_cmp(const void *a, const void *b)
{
	const struct v1_raw *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int v1_read(gpio_t *g, int fd, int64_t now_ms)
{
	struct v1_raw raw[V1_READ_MAX], fix[V1_MAX_INPUTS];
	struct pollfd pfd[V1_MAX_INPUTS];
	size_t map[V1_MAX_INPUTS], np = 0, nraw = 0, nfix = 0;
	int64_t tmax = now_ms * 1000;   /* us, as the stamps */
	bool known = false;

	for (size_t i = 0; i < g->nlines && np < V1_MAX_INPUTS; i++) {
		if (g->lines[i].bk_fd < 0)
			continue;
		if (g->lines[i].bk_fd == fd)
			known = true;
		pfd[np] = (struct pollfd){ .fd = g->lines[i].bk_fd, .events = POLLIN };
		map[np++] = i;
	}
	if (!known)
		return -EBADF;
	if (poll(pfd, np, 0) < 0)
		return -errno;
	for (size_t k = 0; k < np; k++) {
		size_t idx = map[k];
		bool seen = false, last = false;
		struct gpiod_line *line;
		int val;

		if (!(pfd[k].revents & POLLIN) && pfd[k].fd != fd)
			continue;
		while (nraw < V1_READ_MAX) {
			struct gpiod_line_event evs[16];
			unsigned int want = V1_READ_MAX - nraw < 16 ? (unsigned int)(V1_READ_MAX - nraw) : 16;
			int r = gpiod_line_event_read_fd_multiple(pfd[k].fd, evs, want);

			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				return -errno;
			}
			for (int j = 0; j < r; j++) {
				int64_t ns = (int64_t)evs[j].ts.tv_sec * 1000000000 + evs[j].ts.tv_nsec;

				last = evs[j].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
				raw[nraw] = (struct v1_raw){ idx, last, gpio__kernel_ts_us(ns, now_ms), nraw };
				nraw++;
				seen = true;
			}
			if (r < (int)want)
				break;
		}
		/* a level lost to a full kernel buffer: take the line's level now */
		line = v1_line(g, idx);
		val = line ? gpiod_line_get_value(line) : -1;
		if (val >= 0 && (val == 1) != (seen ? last : g->lines[idx].raw))
			fix[nfix++] = (struct v1_raw){ idx, val == 1, 0, 0 };
	}
	qsort(raw, nraw, sizeof(*raw), raw_cmp);
	for (size_t k = 0; k < nraw; k++) {
		gpio__edge(g, raw[k].line, raw[k].active, raw[k].ts);
		if (raw[k].ts > tmax)
			tmax = raw[k].ts;
	}
	for (size_t k = 0; k < nfix; k++)
		gpio__edge(g, fix[k].line, fix[k].active, tmax);
	return 0;
}

static int v1_set(gpio_t *g, size_t idx, bool on)
{
	struct gpiod_line *line = v1_line(g, idx);

	if (!line)
		return -ENODEV;
	if (gpiod_line_set_value(line, on ? 1 : 0) < 0)
		return -errno;
	return 0;
}

const struct gpio_ops gpio__gpiod_ops = {
	.name = "gpiod",
	.open = v1_open,
	.close = v1_close,
	.fds = v1_fds,
	.read = v1_read,
	.set = v1_set,
};
