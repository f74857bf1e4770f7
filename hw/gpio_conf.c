/*
 * gpio_conf.c - the hardware-free part of hw/gpio: role and backend names,
 * the [gpio] and [line.NAME] config keys and their cross-checks.  Programs
 * that read the config without driving lines (vanctl, the crew display) link
 * this alone, not libgpiod.
 */
#include "hw/gpio.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	[GPIO_ROLE_POWER_FAIL] = "power_fail",
	[GPIO_ROLE_OUT_ENTRY_LIGHT] = "entry_light",
	[GPIO_ROLE_OUT_BUZZER] = "buzzer",
	[GPIO_ROLE_OUT_ALARM_LIGHT] = "alarm_light",
};

#define ROLE_LIST "door, beam_outer, beam_inner, seat, checkin, plus, minus, empty, " \
	"session, reset, mute, panic, power_fail, entry_light, buzzer, alarm_light"

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

