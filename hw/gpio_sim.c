/*
 * gpio_sim.c - the simulated backend: every configured line exists by name,
 * inputs start inactive, outputs only remember their state.  Input changes
 * come from a script file ([gpio] sim_script) at fixed times after
 * gpio_open, and from gpio_sim_inject() (vanctl sim ...).  They go through
 * the same debounce and hold logic as real edges (gpio.c).
 *
 * Script format, one step a line ('#' starts a comment):
 *     <seconds after start, e.g. 2.5>  <line name or role name>  on|off|pulse MS
 * A role name means the first input line with that role.  "pulse 80" is on
 * at that time and off 80 ms later.  Steps may come in any order; equal
 * times keep file order.  gpio_sim_inject() at a time not yet reached adds
 * a step the same way (vanctl's "pulse": on now, off later).
 */
#include "hw/gpio.h"
#include "hw/gpio_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_step {
	int64_t at;            /* ms, as the state machine counts */
	int64_t at_us;         /* the edge's stamp */
	size_t line;
	bool active;
	size_t seq;            /* file order, for a stable sort */
};

struct sim {
	struct sim_step *steps;
	size_t n, cap, next;
};

#define SIM_MAX_SECONDS (7 * 24 * 3600.0)
#define SIM_MAX_PULSE_MS 600000

static int add_step(struct sim *s, int64_t at_us, size_t line, bool active)
{
	int64_t at = gpio__ms_of_us(at_us);

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct sim_step *ns = realloc(s->steps, ncap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		s->steps = ns;
		s->cap = ncap;
	}
	s->steps[s->n] = (struct sim_step){ at, at_us, line, active, s->n };
	s->n++;
	return 0;
}

static int step_cmp(const void *a, const void *b)
{
	const struct sim_step *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Parse one script line (comment already stripped).  0, 1 (blank) or -1
 * with the message (without FILE:LINE) in msg. */
static int parse_line(gpio_t *g, struct sim *s, char *text, int64_t t0, char *msg, size_t msglen)
{
	char *tok[5], *save = NULL, *p, *end;
	size_t nt = 0;
	double sec;
	long idx, pulse = 0;
	bool on;
	int64_t at;

	for (p = strtok_r(text, " \t\r\n", &save); p && nt < 5; p = strtok_r(NULL, " \t\r\n", &save))
		tok[nt++] = p;
	if (nt == 0)
		return 1;
	if (nt < 3 || nt > 4) {
		snprintf(msg, msglen, "expected '<seconds> <line or role> on|off|pulse MS'");
		return -1;
	}
	errno = 0;
	sec = strtod(tok[0], &end);
	if (errno || *end || !isfinite(sec) || sec < 0 || sec > SIM_MAX_SECONDS) {
		snprintf(msg, msglen, "bad time '%s' (seconds after start, 0..%.0f)", tok[0],
			 SIM_MAX_SECONDS);
		return -1;
	}
	idx = gpio__find_input(g, tok[1]);
	if (idx < 0) {
		enum gpio_role r = gpio_role_from_name(tok[1]);

		if (r != GPIO_ROLE_NONE && gpio_role_is_output(r))
			snprintf(msg, msglen, "'%s' is an output; a script drives inputs only", tok[1]);
		else
			snprintf(msg, msglen, "no input line or role named '%s' (lines are [line.NAME] "
				 "sections)", tok[1]);
		return -1;
	}
	if (strcmp(tok[2], "on") == 0 || strcmp(tok[2], "off") == 0) {
		if (nt != 3) {
			snprintf(msg, msglen, "unexpected '%s' after %s", tok[3], tok[2]);
			return -1;
		}
		on = strcmp(tok[2], "on") == 0;
	} else if (strcmp(tok[2], "pulse") == 0) {
		if (nt != 4) {
			snprintf(msg, msglen, "pulse needs a length in ms, e.g. 'pulse 100'");
			return -1;
		}
		errno = 0;
		pulse = strtol(tok[3], &end, 10);
		if (errno || *end || pulse < 1 || pulse > SIM_MAX_PULSE_MS) {
			snprintf(msg, msglen, "bad pulse length '%s' (1..%d ms)", tok[3], SIM_MAX_PULSE_MS);
			return -1;
		}
		on = true;
	} else {
		snprintf(msg, msglen, "unknown action '%s' (on, off or pulse MS)", tok[2]);
		return -1;
	}
	at = t0 + (int64_t)(sec * 1000.0 + 0.5);
	if (add_step(s, at * 1000, (size_t)idx, on) < 0 ||
	    (pulse && add_step(s, (at + pulse) * 1000, (size_t)idx, false) < 0)) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	return 0;
}

static int load_script(gpio_t *g, struct sim *s, const char *path, int64_t t0,
		       char *err, size_t errlen)
{
	char buf[512], msg[256];
	int lineno = 0, r = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return gpio__fail(err, errlen, errno, "[gpio] sim_script %s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f)) {
		char *hash;
		size_t len = strlen(buf);

		lineno++;
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n' && !feof(f)) {
			r = gpio__fail(err, errlen, EINVAL, "%s:%d: line too long", path, lineno);
			goto out;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		if (parse_line(g, s, buf, t0, msg, sizeof(msg)) < 0) {
			r = gpio__fail(err, errlen, EINVAL, "%s:%d: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(f))
		r = gpio__fail(err, errlen, EIO, "[gpio] sim_script %s: read error", path);
	else
		qsort(s->steps, s->n, sizeof(*s->steps), step_cmp);
out:
	fclose(f);
	return r;
}

static int sim_open(gpio_t *g, const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (!s)
		return gpio__fail(err, errlen, ENOMEM, "out of memory");
	g->bk = s;
	if (gc->sim_script)
		return load_script(g, s, gc->sim_script, now_ms, err, errlen);
	return 0;
}

static void sim_close(gpio_t *g)
{
	struct sim *s = g->bk;

	if (s) {
		free(s->steps);
		free(s);
	}
	g->bk = NULL;
}

static int sim_set(gpio_t *g, size_t idx, bool on)
{
	(void)g; (void)idx; (void)on;
	return 0;            /* gpio.c remembers the state */
}

static int64_t sim_next_at(gpio_t *g)
{
	struct sim *s = g->bk;

	return s && s->next < s->n ? s->steps[s->next].at : -1;
}

static void sim_fire(gpio_t *g)
{
	struct sim *s = g->bk;
	const struct sim_step *st;

	if (!s || s->next >= s->n)
		return;
	st = &s->steps[s->next++];
	gpio__edge_now(g, st->line, st->active, st->at_us);
}

static int sim_inject(gpio_t *g, size_t idx, bool active, int64_t at_us)
{
	struct sim *s = g->bk;
	int64_t at = gpio__ms_of_us(at_us);
	size_t pos;

	if (!s)
		return -EINVAL;
	if (add_step(s, at_us, idx, active) < 0)
		return -ENOMEM;
	/* keep steps[next..n) sorted by time, after steps of the same time */
	pos = s->n - 1;
	while (pos > s->next && s->steps[pos - 1].at > at) {
		struct sim_step t = s->steps[pos - 1];

		s->steps[pos - 1] = s->steps[pos];
		s->steps[pos] = t;
		pos--;
	}
	return 0;
}

const struct gpio_ops gpio__sim_ops = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.set = sim_set,
	.next_at = sim_next_at,
	.fire = sim_fire,
	.inject = sim_inject,
};
