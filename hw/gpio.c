/*
 * gpio.c - the common part of hw/gpio: the [gpio] and [line.NAME] config
 * keys and their cross-checks, role names, dispatch to the backend, and the
 * logic every backend's raw edges go through:
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

/* ---- roles ------------------------------------------------------------- */

static const char *const role_names[GPIO_ROLE__COUNT] = {
	[GPIO_ROLE_NONE] = "none",
	[GPIO_ROLE_DOOR] = "door",
	[GPIO_ROLE_BEAM_OUTER] = "beam_outer",
	[GPIO_ROLE_BEAM_INNER] = "beam_inner",
	[GPIO_ROLE_SEAT] = "seat",
	[GPIO_ROLE_BTN_CHECKIN] = "checkin",
	[GPIO_ROLE_BTN_PLUS] = "plus",
	[GPIO_ROLE_BTN_MINUS] = "minus",
	[GPIO_ROLE_BTN_EMPTY] = "empty",
	[GPIO_ROLE_BTN_SESSION] = "session",
	[GPIO_ROLE_BTN_RESET] = "reset",
	[GPIO_ROLE_BTN_MUTE] = "mute",
	[GPIO_ROLE_PANIC] = "panic",
	[GPIO_ROLE_OUT_ENTRY_LIGHT] = "entry_light",
	[GPIO_ROLE_OUT_BUZZER] = "buzzer",
	[GPIO_ROLE_OUT_ALARM_LIGHT] = "alarm_light",
};

#define ROLE_LIST "door, beam_outer, beam_inner, seat, checkin, plus, minus, empty, " \
	"session, reset, mute, panic, entry_light, buzzer, alarm_light"

const char *gpio_role_name(enum gpio_role r)
{
	if ((int)r < 0 || r >= GPIO_ROLE__COUNT)
		return "?";
	return role_names[r];
}

enum gpio_role gpio_role_from_name(const char *s)
{
	if (!s)
		return GPIO_ROLE_NONE;
	for (int r = GPIO_ROLE_NONE + 1; r < GPIO_ROLE__COUNT; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (enum gpio_role)r;
	return GPIO_ROLE_NONE;
}

bool gpio_role_is_output(enum gpio_role r)
{
	return r >= GPIO_ROLE_OUT_ENTRY_LIGHT && r < GPIO_ROLE__COUNT;
}

bool gpio_role_is_input(enum gpio_role r)
{
	return r > GPIO_ROLE_NONE && r < GPIO_ROLE_OUT_ENTRY_LIGHT;
}

const char *gpio_backend_name(enum gpio_backend b)
{
	switch (b) {
	case GPIO_BACKEND_NONE: return "none";
	case GPIO_BACKEND_SIM: return "sim";
	case GPIO_BACKEND_GPIOD: return "gpiod";
	}
	return "?";
}

const char *gpio_gpiod_api(void)
{
#ifdef VAN_HAVE_GPIOD
	return gpio__gpiod_api;
#else
	return "none (built without libgpiod)";
#endif
}

/* ---- config ------------------------------------------------------------ */

static int errmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int errmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static int set_str(char **dst, const char *v, char *err, size_t errlen)
{
	char *c = strdup(v);

	if (!c)
		return errmsg(err, errlen, "out of memory");
	free(*dst);
	*dst = c;
	return 0;
}

/* The line of section [line.name], created (with defaults) if new. */
static struct gpio_line_conf *line_get(struct gpio_conf *gc, const char *name, int lineno,
				       char *err, size_t errlen)
{
	struct gpio_line_conf *l, *nl;

	for (size_t i = 0; i < gc->nlines; i++)
		if (strcmp(gc->lines[i].name, name) == 0)
			return &gc->lines[i];
	if (!name_ok(name)) {
		errmsg(err, errlen, "invalid line name '%s' in [line.%s]: use 1 to 32 letters, "
		       "digits, '_' or '-'", name, name);
		/* keep it, so that later keys of the section do not repeat this */
	}
	nl = realloc(gc->lines, (gc->nlines + 1) * sizeof(*nl));
	if (!nl) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	gc->lines = nl;
	l = &gc->lines[gc->nlines];
	memset(l, 0, sizeof(*l));
	l->name = strdup(name);
	if (!l->name) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	l->role = GPIO_ROLE_NONE;
	l->offset = -1;
	l->bias = GPIO_BIAS_AS_IS;
	l->debounce_ms = GPIO_DEBOUNCE_UNSET;
	l->lineno = lineno;
	gc->nlines++;
	return l;
}

int gpio_conf_line_section(struct gpio_conf *gc, const char *name, int lineno,
			   char *err, size_t errlen)
{
	size_t before = gc->nlines;
	struct gpio_line_conf *l;

	if (err && errlen)
		err[0] = '\0';
	l = line_get(gc, name, lineno, err, errlen);
	if (!l)
		return -1;
	if (gc->nlines > before && !name_ok(name))
		return -1;
	return 0;
}

int gpio_conf_line_key(struct gpio_conf *gc, const char *name, const char *key,
		       const char *value, int lineno, char *err, size_t errlen)
{
	size_t before = gc->nlines;
	struct gpio_line_conf *l;
	bool b;
	int v;

	if (err && errlen)
		err[0] = '\0';
	l = line_get(gc, name, lineno, err, errlen);
	if (!l)
		return -1;
	if (gc->nlines > before && !name_ok(name))
		return -1;
	if (!value)
		value = "";

	if (strcmp(key, "role") == 0) {
		enum gpio_role r = gpio_role_from_name(value);

		if (r == GPIO_ROLE_NONE)
			return errmsg(err, errlen, "unknown role '%s' (one of: " ROLE_LIST ")", value);
		l->role = r;
	} else if (strcmp(key, "chip") == 0) {
		if (!*value)
			return errmsg(err, errlen, "chip is empty (a gpiochip name such as gpiochip0, "
				      "its label, its number or a /dev path)");
		return set_str(&l->chip, value, err, errlen);
	} else if (strcmp(key, "offset") == 0) {
		if (!parse_int(value, 0, GPIO_OFFSET_MAX, &v))
			return errmsg(err, errlen, "offset must be a line number 0..%d, not '%s' "
				      "(on the Pi's header: the BCM GPIO number)", GPIO_OFFSET_MAX, value);
		l->offset = v;
	} else if (strcmp(key, "active_low") == 0) {
		if (!parse_bool(value, &b))
			return errmsg(err, errlen, "active_low must be true or false (yes/no, on/off, "
				      "1/0), not '%s'", value);
		l->active_low = b;
	} else if (strcmp(key, "bias") == 0) {
		if (strcmp(value, "as-is") == 0)
			l->bias = GPIO_BIAS_AS_IS;
		else if (strcmp(value, "disabled") == 0)
			l->bias = GPIO_BIAS_DISABLED;
		else if (strcmp(value, "pull-up") == 0)
			l->bias = GPIO_BIAS_PULL_UP;
		else if (strcmp(value, "pull-down") == 0)
			l->bias = GPIO_BIAS_PULL_DOWN;
		else
			return errmsg(err, errlen, "bias must be as-is, disabled, pull-up or pull-down, "
				      "not '%s'", value);
	} else if (strcmp(key, "debounce_ms") == 0) {
		if (!parse_int(value, 0, GPIO_DEBOUNCE_MAX_MS, &v))
			return errmsg(err, errlen, "debounce_ms must be 0..%d, not '%s'",
				      GPIO_DEBOUNCE_MAX_MS, value);
		l->debounce_ms = v;
	} else if (strcmp(key, "covert") == 0) {
		if (!parse_bool(value, &b))
			return errmsg(err, errlen, "covert must be true or false (yes/no, on/off, 1/0), "
				      "not '%s'", value);
		l->covert = b;
	} else if (strcmp(key, "hold_ms") == 0) {
		if (!parse_int(value, 0, GPIO_HOLD_MAX_MS, &v))
			return errmsg(err, errlen, "hold_ms must be 0..%d, not '%s'",
				      GPIO_HOLD_MAX_MS, value);
		l->hold_ms = v;
	} else {
		return errmsg(err, errlen, "unknown key '%s' in [line.%s] (known: role, chip, offset, "
			      "active_low, bias, debounce_ms, covert, hold_ms)", key, name);
	}
	return 0;
}

int gpio_conf_key(struct gpio_conf *gc, const char *key, const char *value,
		  char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!value)
		value = "";
	if (strcmp(key, "backend") == 0) {
		if (strcmp(value, "none") == 0)
			gc->backend = GPIO_BACKEND_NONE;
		else if (strcmp(value, "sim") == 0)
			gc->backend = GPIO_BACKEND_SIM;
		else if (strcmp(value, "gpiod") == 0)
			gc->backend = GPIO_BACKEND_GPIOD;
		else
			return errmsg(err, errlen, "backend must be none, sim or gpiod, not '%s'", value);
	} else if (strcmp(key, "consumer") == 0) {
		size_t n = strlen(value);

		if (n == 0 || n > 31)
			return errmsg(err, errlen, "consumer must be 1 to 31 characters (the label "
				      "gpioinfo shows), not '%s'", value);
		for (size_t i = 0; i < n; i++)
			if (!isgraph((unsigned char)value[i]))
				return errmsg(err, errlen, "consumer '%s' must be printable characters "
					      "without spaces", value);
		return set_str(&gc->consumer, value, err, errlen);
	} else if (strcmp(key, "sim_script") == 0) {
		if (!*value)
			return errmsg(err, errlen, "sim_script is empty (a file of scripted input events)");
		return set_str(&gc->sim_script, value, err, errlen);
	} else {
		return errmsg(err, errlen, "unknown key '%s' in [gpio] (known: backend, consumer, "
			      "sim_script)", key);
	}
	return 0;
}

/* "gpiochip0" and "/dev/gpiochip0" are the same chip. */
static const char *chip_norm(const char *c)
{
	if (!c || !*c)
		return GPIO_CHIP_DEFAULT;
	if (strncmp(c, "/dev/", 5) == 0)
		return c + 5;
	return c;
}

int gpio_conf_check(const struct gpio_conf *gc,
		    void (*report)(void *ctx, int lineno, const char *msg), void *ctx)
{
	char msg[512];
	int n = 0;

#define PROBLEM(ln, ...) do { \
		snprintf(msg, sizeof(msg), __VA_ARGS__); \
		if (report) \
			report(ctx, (ln), msg); \
		n++; \
	} while (0)

	for (size_t i = 0; i < gc->nlines; i++) {
		const struct gpio_line_conf *l = &gc->lines[i];

		if (l->role == GPIO_ROLE_NONE) {
			PROBLEM(l->lineno, "[line.%s] has no role (role = " ROLE_LIST ")", l->name);
			continue;
		}
		if (l->covert && l->role != GPIO_ROLE_PANIC)
			PROBLEM(l->lineno, "[line.%s]: covert applies only to role = panic, not %s",
				l->name, gpio_role_name(l->role));
		if (gpio_role_is_output(l->role) && (l->debounce_ms > 0 || l->hold_ms > 0))
			PROBLEM(l->lineno, "[line.%s] is an output (%s): debounce_ms and hold_ms mean "
				"nothing there; remove them", l->name, gpio_role_name(l->role));
		if (gc->backend == GPIO_BACKEND_GPIOD && l->offset < 0)
			PROBLEM(l->lineno, "[line.%s] has no offset (the line's number on its chip; on "
				"the Pi's header the BCM GPIO number, see docs/wiring.md)", l->name);
		if (l->offset < 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct gpio_line_conf *o = &gc->lines[j];

			if (o->offset == l->offset && strcmp(chip_norm(o->chip), chip_norm(l->chip)) == 0) {
				PROBLEM(l->lineno, "[line.%s] uses line %d of %s, which [line.%s] (line %d) "
					"already uses", l->name, l->offset, chip_norm(l->chip), o->name,
					o->lineno);
				break;
			}
		}
	}
#undef PROBLEM
	return n;
}

void gpio_conf_fini(struct gpio_conf *gc)
{
	if (!gc)
		return;
	for (size_t i = 0; i < gc->nlines; i++) {
		free(gc->lines[i].name);
		free(gc->lines[i].chip);
	}
	free(gc->lines);
	free(gc->consumer);
	free(gc->sim_script);
	gc->lines = NULL;
	gc->nlines = 0;
	gc->consumer = NULL;
	gc->sim_script = NULL;
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

int64_t gpio__kernel_ts_ms(int64_t ts_ns, int64_t now_ms)
{
	int64_t ms = ts_ns / 1000000;

	if (ms > now_ms + GPIO_TS_FUTURE_MS || ms < now_ms - GPIO_TS_PAST_MS)
		return now_ms;
	return ms;
}

/* ---- the state machine ------------------------------------------------- */

static void enqueue(gpio_t *g, size_t idx, bool active, int64_t ts, int64_t at)
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
	e->ready_at = at;
	g->qlen++;
}

/* The debounced level of line idx changed at ts (settled at at). */
static void stable_change(gpio_t *g, size_t idx, int64_t ts, int64_t at)
{
	struct gpio_line *l = &g->lines[idx];

	if (l->hold_ms > 0) {
		if (l->stable) {
			l->holding = true;
			l->hold_ts = ts;
			l->hold_at = ts + l->hold_ms;
		} else if (l->holding) {
			l->holding = false;       /* let go too early: nothing happened */
		} else if (l->reported) {
			l->reported = false;
			enqueue(g, idx, false, ts, at);
		}
		return;
	}
	l->reported = l->stable;
	enqueue(g, idx, l->stable, ts, at);
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
				stable_change(g, bi, l->change_ts, best);
			}
		} else if (kind == 2) {
			struct gpio_line *l = &g->lines[bi];

			l->holding = false;
			l->reported = true;
			enqueue(g, bi, true, l->hold_ts, best);
		} else {
			g->ops->fire(g);
		}
	}
	if (t > g->t_proc)
		g->t_proc = t;
}

void gpio__edge_now(gpio_t *g, size_t idx, bool active, int64_t ts)
{
	struct gpio_line *l;

	if (idx >= g->nlines)
		return;
	l = &g->lines[idx];
	if (l->output)
		return;
	if (ts < g->t_proc)
		ts = g->t_proc;
	if (g->trace)
		g->trace(g->trace_ctx, idx, active, ts);
	if (!l->pending) {
		l->pending = true;
		l->change_ts = ts;
	}
	l->raw = active;
	l->settle_at = ts + l->sw_debounce_ms;
}

void gpio__edge(gpio_t *g, size_t idx, bool active, int64_t ts)
{
	advance(g, ts);
	gpio__edge_now(g, idx, active, ts);
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

int gpio_open(const struct gpio_conf *gc, int64_t now_ms, gpio_t **out, char *err, size_t errlen)
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

int gpio_sim_inject(gpio_t *g, const char *name_or_role, bool active, int64_t now_ms)
{
	long idx;

	if (!g || !name_or_role)
		return -EINVAL;
	if (g->ops != &gpio__sim_ops)
		return -ENOTSUP;
	idx = gpio__find_input(g, name_or_role);
	if (idx < 0)
		return -ENOENT;
	/* a time not yet reached: a step for gpio_service to apply then */
	if (now_ms > g->t_proc)
		return gpio__sim_schedule(g, (size_t)idx, active, now_ms);
	gpio__edge(g, (size_t)idx, active, now_ms);
	return 0;
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
