/*
 * gpio_gpiod_v2.c - the gpiod backend for libgpiod 2.x (Debian 13 /
 * Raspberry Pi OS trixie).  Built instead of gpio_gpiod_v1.c when
 * pkg-config finds libgpiod >= 2 (see hw/CMakeLists.txt).
 *
 * All lines of one chip go in ONE request (one fd, events in kernel order),
 * each with its own settings: inputs with both-edge detection, bias,
 * active-low and the kernel's debounce (debounce_ms; the kernel stamps a
 * debounced edge when it settles, so with debounce the ts is the settle
 * time, not the first bounce as with the software debounce of the 1.6
 * backend); outputs driven inactive at request.  If the kernel refuses the
 * debounce setting, the request is repeated without it and gpio.c debounces
 * in software instead.  Edge stamps are CLOCK_MONOTONIC (the default event
 * clock).  After a drain the lines' levels are read back: a level lost to a
 * full kernel buffer is fed as an edge at now.
 */
#include "hw/gpio.h"
#include "hw/gpio_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char gpio__gpiod_api[] = "libgpiod 2.x";

struct v2_chip {
	char *spec;                 /* as configured (first one seen) */
	char *name;                 /* gpiochipN */
	char *label;
	unsigned int nlines;
	struct gpiod_chip *chip;
	struct gpiod_line_request *req;
	int fd;                     /* event fd, -1 if no inputs */
	unsigned int *offsets;
	size_t *idx;                /* line index in g->lines, by position */
	size_t n;
};

struct v2 {
	struct v2_chip **chips;     /* pointers: lines keep theirs in bk */
	size_t nchips;
	struct gpiod_edge_event_buffer *buf;
};

#define V2_EVBUF 64
#define V2_READ_ROUNDS 8

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Open the chip spec names: a /dev path, a number, a gpiochipN name or a
 * label.  NULL with *e set if none. */
static struct gpiod_chip *open_spec(const char *spec, char *path, size_t plen, int *e)
{
	struct gpiod_chip *c;
	char denied[300] = "";
	struct dirent *d;
	DIR *dir;

	if (spec[0] == '/')
		snprintf(path, plen, "%s", spec);
	else if (all_digits(spec))
		snprintf(path, plen, "/dev/gpiochip%s", spec);
	else
		snprintf(path, plen, "/dev/%s", spec);
	if (spec[0] == '/' || all_digits(spec) || strncmp(spec, "gpiochip", 8) == 0) {
		c = gpiod_chip_open(path);
		if (c)
			return c;
		*e = errno ? errno : ENOENT;
		if (*e != ENOENT || spec[0] == '/' || all_digits(spec))
			return NULL;
	}
	/* by label */
	dir = opendir("/dev");
	if (!dir) {
		*e = errno;
		return NULL;
	}
	while ((d = readdir(dir)) != NULL) {
		struct gpiod_chip_info *info;
		bool match;

		if (strncmp(d->d_name, "gpiochip", 8) != 0)
			continue;
		snprintf(path, plen, "/dev/%s", d->d_name);
		if (!gpiod_is_gpiochip_device(path))
			continue;
		c = gpiod_chip_open(path);
		if (!c) {
			if ((errno == EACCES || errno == EPERM) && !denied[0])
				snprintf(denied, sizeof(denied), "%s", path);
			continue;
		}
		info = gpiod_chip_get_info(c);
		match = info && strcmp(gpiod_chip_info_get_label(info), spec) == 0;
		if (info)
			gpiod_chip_info_free(info);
		if (match) {
			closedir(dir);
			return c;
		}
		gpiod_chip_close(c);
	}
	closedir(dir);
	/* a label can only be matched on chips we may open */
	snprintf(path, plen, "%s", denied[0] ? denied : "/dev/gpiochip*");
	*e = denied[0] ? EACCES : ENOENT;
	return NULL;
}

static void chip_free(struct v2_chip *c)
{
	if (!c)
		return;
	if (c->req)
		gpiod_line_request_release(c->req);
	if (c->chip)
		gpiod_chip_close(c->chip);
	free(c->spec);
	free(c->name);
	free(c->label);
	free(c->offsets);
	free(c->idx);
	free(c);
}

static void v2_close(gpio_t *g)
{
	struct v2 *v = g->bk;

	if (!v)
		return;
	for (size_t i = 0; i < v->nchips; i++)
		chip_free(v->chips[i]);
	free(v->chips);
	if (v->buf)
		gpiod_edge_event_buffer_free(v->buf);
	free(v);
	g->bk = NULL;
}

/* The chip of line l, opened and added on first use. */
static struct v2_chip *get_chip(struct v2 *v, const struct gpio_line *l, char *err, size_t errlen,
				int *r)
{
	struct gpiod_chip_info *info;
	struct v2_chip **nc, *c;
	struct gpiod_chip *gc;
	char path[300];
	int e = 0;

	for (size_t i = 0; i < v->nchips; i++)
		if (strcmp(v->chips[i]->spec, l->chip) == 0)
			return v->chips[i];
	errno = 0;
	gc = open_spec(l->chip, path, sizeof(path), &e);
	if (!gc) {
		*r = gpio__chip_error(err, errlen, e, l, path);
		return NULL;
	}
	info = gpiod_chip_get_info(gc);
	if (!info) {
		*r = gpio__chip_error(err, errlen, errno ? errno : EIO, l, path);
		gpiod_chip_close(gc);
		return NULL;
	}
	/* the same chip under another spelling (label vs name)? */
	for (size_t i = 0; i < v->nchips; i++)
		if (strcmp(v->chips[i]->name, gpiod_chip_info_get_name(info)) == 0) {
			gpiod_chip_info_free(info);
			gpiod_chip_close(gc);
			return v->chips[i];
		}
	nc = realloc(v->chips, (v->nchips + 1) * sizeof(*nc));
	c = calloc(1, sizeof(*c));
	if (nc)
		v->chips = nc;
	if (!nc || !c) {
		free(c);
		gpiod_chip_info_free(info);
		gpiod_chip_close(gc);
		*r = gpio__fail(err, errlen, ENOMEM, "out of memory");
		return NULL;
	}
	v->chips[v->nchips++] = c;
	c->fd = -1;
	c->chip = gc;
	c->spec = strdup(l->chip);
	c->name = strdup(gpiod_chip_info_get_name(info));
	c->label = strdup(gpiod_chip_info_get_label(info));
	c->nlines = (unsigned int)gpiod_chip_info_get_num_lines(info);
	gpiod_chip_info_free(info);
	if (!c->spec || !c->name || !c->label) {
		*r = gpio__fail(err, errlen, ENOMEM, "out of memory");
		return NULL;
	}
	return c;
}

static enum gpiod_line_bias v2_bias(enum gpio_bias b)
{
	switch (b) {
	case GPIO_BIAS_DISABLED: return GPIOD_LINE_BIAS_DISABLED;
	case GPIO_BIAS_PULL_UP: return GPIOD_LINE_BIAS_PULL_UP;
	case GPIO_BIAS_PULL_DOWN: return GPIOD_LINE_BIAS_PULL_DOWN;
	case GPIO_BIAS_AS_IS: break;
	}
	return GPIOD_LINE_BIAS_AS_IS;
}

/* Request all lines of chip c; with kdeb, inputs get the kernel debounce. */
static struct gpiod_line_request *request(gpio_t *g, struct v2_chip *c, bool kdeb)
{
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *req = NULL;
	int e = ENOMEM;

	if (!lc || !rc)
		goto out;
	gpiod_request_config_set_consumer(rc, g->consumer);
	for (size_t k = 0; k < c->n; k++) {
		const struct gpio_line *l = &g->lines[c->idx[k]];
		struct gpiod_line_settings *s = gpiod_line_settings_new();
		int r = 0;

		if (!s)
			goto out;
		gpiod_line_settings_set_active_low(s, l->active_low);
		r |= gpiod_line_settings_set_bias(s, v2_bias(l->bias));
		if (l->output) {
			r |= gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
			r |= gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_INACTIVE);
		} else {
			r |= gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT);
			r |= gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH);
			r |= gpiod_line_settings_set_event_clock(s, GPIOD_LINE_CLOCK_MONOTONIC);
			if (kdeb && l->debounce_ms > 0)
				gpiod_line_settings_set_debounce_period_us(s,
					(unsigned long)l->debounce_ms * 1000UL);
		}
		if (r == 0)
			r = gpiod_line_config_add_line_settings(lc, &c->offsets[k], 1, s);
		e = errno;
		gpiod_line_settings_free(s);
		if (r != 0)
			goto out;
	}
	req = gpiod_chip_request_lines(c->chip, rc, lc);
	e = errno;
out:
	if (lc)
		gpiod_line_config_free(lc);
	if (rc)
		gpiod_request_config_free(rc);
	errno = e;
	return req;
}

/* Why did the request of chip c fail with e?  Names the busy line if any. */
static int request_error(gpio_t *g, struct v2_chip *c, int e, char *err, size_t errlen)
{
	if (e == EBUSY) {
		for (size_t k = 0; k < c->n; k++) {
			struct gpiod_line_info *li = gpiod_chip_get_line_info(c->chip, c->offsets[k]);

			if (!li)
				continue;
			if (gpiod_line_info_is_used(li)) {
				int r = gpio__request_error(err, errlen, EBUSY, &g->lines[c->idx[k]], c->name,
							    gpiod_line_info_get_consumer(li));

				gpiod_line_info_free(li);
				return r;
			}
			gpiod_line_info_free(li);
		}
	}
	return gpio__request_error(err, errlen, e, &g->lines[c->idx[0]], c->name, NULL);
}

static int v2_open(gpio_t *g, const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen)
{
	struct v2 *v = calloc(1, sizeof(*v));
	int r = 0;

	(void)gc;
	(void)now_ms;
	if (!v)
		return gpio__fail(err, errlen, ENOMEM, "out of memory");
	g->bk = v;
	v->buf = gpiod_edge_event_buffer_new(V2_EVBUF);
	if (!v->buf)
		return gpio__fail(err, errlen, ENOMEM, "out of memory");

	/* group the lines by chip, checking ranges and duplicates */
	for (size_t i = 0; i < g->nlines; i++) {
		struct gpio_line *l = &g->lines[i];
		struct v2_chip *c = get_chip(v, l, err, errlen, &r);
		unsigned int *no;
		size_t *ni;

		if (!c)
			return r;
		if (l->offset < 0 || (unsigned int)l->offset >= c->nlines)
			return gpio__offset_error(err, errlen, l, c->name, c->label, c->nlines);
		for (size_t k = 0; k < c->n; k++)
			if (c->offsets[k] == (unsigned int)l->offset) {
				const struct gpio_line *o = &g->lines[c->idx[k]];

				return gpio__fail(err, errlen, EINVAL,
						  "[line.%s]: line %d on %s is also configured as [line.%s] "
						  "(chip '%s' and '%s' are the same chip)", l->name, l->offset,
						  c->name, o->name, o->chip, l->chip);
			}
		no = realloc(c->offsets, (c->n + 1) * sizeof(*no));
		if (no)
			c->offsets = no;
		ni = realloc(c->idx, (c->n + 1) * sizeof(*ni));
		if (ni)
			c->idx = ni;
		if (!no || !ni)
			return gpio__fail(err, errlen, ENOMEM, "out of memory");
		c->offsets[c->n] = (unsigned int)l->offset;
		c->idx[c->n] = i;
		c->n++;
		l->bk = c;
		l->bk_num = (unsigned int)l->offset;
	}

	for (size_t ci = 0; ci < v->nchips; ci++) {
		struct v2_chip *c = v->chips[ci];
		bool inputs = false, kdeb = false;

		for (size_t k = 0; k < c->n; k++) {
			const struct gpio_line *l = &g->lines[c->idx[k]];

			inputs |= !l->output;
			kdeb |= !l->output && l->debounce_ms > 0;
		}
		c->req = request(g, c, kdeb);
		if (!c->req && errno == EINVAL && kdeb) {
			kdeb = false;                     /* no kernel debounce here */
			c->req = request(g, c, false);
		}
		if (!c->req)
			return request_error(g, c, errno ? errno : EIO, err, errlen);
		if (kdeb)
			for (size_t k = 0; k < c->n; k++)
				g->lines[c->idx[k]].sw_debounce_ms = 0;
		if (!inputs)
			continue;
		c->fd = gpiod_line_request_get_fd(c->req);
		if (c->fd < 0 || fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0)
			return request_error(g, c, errno ? errno : EIO, err, errlen);
		for (size_t k = 0; k < c->n; k++) {
			size_t i = c->idx[k];
			enum gpiod_line_value val;

			if (g->lines[i].output)
				continue;
			val = gpiod_line_request_get_value(c->req, c->offsets[k]);
			if (val == GPIOD_LINE_VALUE_ERROR)
				return request_error(g, c, errno ? errno : EIO, err, errlen);
			gpio__init_level(g, i, val == GPIOD_LINE_VALUE_ACTIVE);
		}
	}
	return 0;
}

static size_t v2_fds(gpio_t *g, int *fds, size_t max)
{
	struct v2 *v = g->bk;
	size_t n = 0;

	for (size_t i = 0; i < v->nchips && n < max; i++)
		if (v->chips[i]->fd >= 0)
			fds[n++] = v->chips[i]->fd;
	return n;
}

static long find_idx(const struct v2_chip *c, unsigned int offset)
{
	for (size_t k = 0; k < c->n; k++)
		if (c->offsets[k] == offset)
			return (long)k;
	return -1;
}

static int v2_read(gpio_t *g, int fd, int64_t now_ms)
{
	struct v2 *v = g->bk;
	struct v2_chip *c = NULL;
	int64_t tmax = now_ms * 1000;   /* us, as the stamps */

	for (size_t i = 0; i < v->nchips; i++)
		if (v->chips[i]->fd == fd && fd >= 0)
			c = v->chips[i];
	if (!c)
		return -EBADF;
	for (int round = 0; round < V2_READ_ROUNDS; round++) {
		int n = gpiod_line_request_read_edge_events(c->req, v->buf, V2_EVBUF);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			return -errno;
		}
		for (int j = 0; j < n; j++) {
			struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(v->buf, (unsigned long)j);
			long k = find_idx(c, gpiod_edge_event_get_line_offset(ev));
			int64_t ts;

			if (k < 0)
				continue;
			ts = gpio__kernel_ts_us((int64_t)gpiod_edge_event_get_timestamp_ns(ev), now_ms);
			if (ts > tmax)
				tmax = ts;
			gpio__edge(g, c->idx[k],
				   gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE, ts);
		}
		if (n < V2_EVBUF)
			break;
	}
	/* a level lost to a full kernel buffer: take the line's level now */
	for (size_t k = 0; k < c->n; k++) {
		struct gpio_line *l = &g->lines[c->idx[k]];
		enum gpiod_line_value val;

		if (l->output)
			continue;
		val = gpiod_line_request_get_value(c->req, c->offsets[k]);
		if (val != GPIOD_LINE_VALUE_ERROR && (val == GPIOD_LINE_VALUE_ACTIVE) != l->raw)
			gpio__edge(g, c->idx[k], val == GPIOD_LINE_VALUE_ACTIVE, tmax);
	}
	return 0;
}

static int v2_set(gpio_t *g, size_t idx, bool on)
{
	struct v2_chip *c = g->lines[idx].bk;

	if (!c || !c->req)
		return -ENODEV;
	if (gpiod_line_request_set_value(c->req, g->lines[idx].bk_num,
					 on ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0)
		return -errno;
	return 0;
}

const struct gpio_ops gpio__gpiod_ops = {
	.name = "gpiod",
	.open = v2_open,
	.close = v2_close,
	.fds = v2_fds,
	.read = v2_read,
	.set = v2_set,
};
