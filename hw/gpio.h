/*
 * gpio.h - the van's inputs and outputs, by role, behind one small interface.
 *
 * Backends (chosen by config [gpio] backend):
 *   gpiod - the Pi's GPIO through libgpiod's character-device API (1.6 or 2.x,
 *           picked at build time);
 *   sim   - the same events from a script file and from vanctl (tests, demo);
 *   none  - no inputs or outputs at all.
 *
 * The daemon polls the fds from gpio_fds(); when one is readable it calls
 * gpio_read(), and at gpio_deadline() it calls gpio_service() (software
 * debounce, hold times, scripted sim events).  Events come out debounced and
 * in order, already translated to "active" (pressed/open/broken) honouring
 * active-low.  Nothing here blocks.
 */
#ifndef VAN_HW_GPIO_H
#define VAN_HW_GPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gpio_role {
	GPIO_ROLE_NONE = 0,
	/* inputs */
	GPIO_ROLE_DOOR,          /* door contact: active = open */
	GPIO_ROLE_BEAM_OUTER,    /* entry beam A (street side): active = broken */
	GPIO_ROLE_BEAM_INNER,    /* entry beam B (inside): active = broken */
	GPIO_ROLE_SEAT,          /* seat / floor-mat switch: active = occupied */
	GPIO_ROLE_BTN_CHECKIN,
	GPIO_ROLE_BTN_PLUS,      /* occupancy +1 correction */
	GPIO_ROLE_BTN_MINUS,     /* occupancy -1 correction */
	GPIO_ROLE_BTN_EMPTY,     /* crew confirms "van empty" */
	GPIO_ROLE_BTN_SESSION,   /* session start / end */
	GPIO_ROLE_BTN_RESET,     /* alarm reset (clear emergency, held) */
	GPIO_ROLE_BTN_MUTE,      /* mute the over-limit buzzer */
	GPIO_ROLE_PANIC,         /* panic button; may be covert */
	GPIO_ROLE_POWER_FAIL,    /* ignition sense off / UPS low battery: active = power going */
	/* outputs */
	GPIO_ROLE_OUT_ENTRY_LIGHT, /* on = van full, do not enter */
	GPIO_ROLE_OUT_BUZZER,
	GPIO_ROLE_OUT_ALARM_LIGHT,
	GPIO_ROLE__COUNT
};

enum gpio_bias { GPIO_BIAS_AS_IS = 0, GPIO_BIAS_DISABLED, GPIO_BIAS_PULL_UP, GPIO_BIAS_PULL_DOWN };
enum gpio_backend { GPIO_BACKEND_NONE = 0, GPIO_BACKEND_SIM, GPIO_BACKEND_GPIOD };

/* One [line.NAME] section of the config. */
struct gpio_line_conf {
	char *name;            /* NAME from the section header */
	enum gpio_role role;
	char *chip;            /* gpiochip name ("gpiochip0"), label ("pinctrl-bcm2711") or path */
	int offset;            /* line offset on the chip, -1 = unset */
	bool active_low;
	enum gpio_bias bias;
	int debounce_ms;       /* 0 = none */
	bool covert;           /* panic only: no local sound or light */
	int hold_ms;           /* inputs: must stay active this long to count */
	int lineno;            /* where the section starts, for messages */
};

/* [gpio] section and all [line.NAME] sections. */
struct gpio_conf {
	enum gpio_backend backend;
	char *consumer;        /* label shown by gpioinfo, default "vanctld" */
	char *sim_script;      /* sim: optional script file */
	struct gpio_line_conf *lines;
	size_t nlines;
};

struct gpio_event {
	size_t line;           /* index into gpio_conf.lines */
	enum gpio_role role;
	bool active;
	int64_t ts_ms;         /* CLOCK_MONOTONIC ms of the edge (kernel stamp where available) */
	int64_t ts_us;         /* the same stamp in us (kernel: ns / 1000; sim: the injection) */
};

typedef struct gpio gpio_t;

/* Config plumbing, called by conf.c.  gpio_conf_line_key: one key of section
 * [line.NAME] at file line lineno.  gpio_conf_key: one key of [gpio].  Both
 * return 0, or -1 with a message (no FILE:LINE prefix) in err. */
int gpio_conf_line_key(struct gpio_conf *gc, const char *name, const char *key,
		       const char *value, int lineno, char *err, size_t errlen);
int gpio_conf_key(struct gpio_conf *gc, const char *key, const char *value,
		  char *err, size_t errlen);
/* Cross-checks (same line twice, missing chip/offset, ...).  Calls report()
 * once per problem with the line number it concerns.  Returns problem count. */
int gpio_conf_check(const struct gpio_conf *gc,
		    void (*report)(void *ctx, int lineno, const char *msg), void *ctx);
void gpio_conf_fini(struct gpio_conf *gc);
const char *gpio_role_name(enum gpio_role r);

/* Open the backend and request every configured line.  Returns the handle,
 * or NULL with errno set and a message in err naming the chip, line and the
 * fix. */
gpio_t *gpio_open(const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen);
void gpio_close(gpio_t *g);  /* accepts NULL; releases lines */

/* fds to poll for POLLIN; returns the count written (<= max). */
size_t gpio_fds(gpio_t *g, int *fds, size_t max);
/* Read what is ready on fd; returns events written to ev (<= max), or -errno. */
int gpio_read(gpio_t *g, int fd, int64_t now_ms, struct gpio_event *ev, size_t max);
/* Earliest monotonic ms at which gpio_service must run, or -1 for none. */
int64_t gpio_deadline(gpio_t *g);
/* Deliver events whose time has come (debounce settled, sim script). */
int gpio_service(gpio_t *g, int64_t now_ms, struct gpio_event *ev, size_t max);
/* Current (debounced) level of input line idx; 0 or -errno. */
int gpio_get(gpio_t *g, size_t idx, bool *active);
/* Drive every output line of that role. 0 or -errno. */
int gpio_set(gpio_t *g, enum gpio_role role, bool on);

/* sim backend only: inject a level change for a line name or role name, as
 * from `vanctl sim ROLE on|off`.  Returns 0, -ENOENT (no such line), -ENOTSUP
 * (not the sim backend). */
int gpio_sim_inject(gpio_t *g, const char *name_or_role, bool active, int64_t now_ms);
/* The same at a time in us (CLOCK_MONOTONIC): the edge's gpio_event.ts_us. */
int gpio_sim_inject_at(gpio_t *g, const char *name_or_role, bool active, int64_t stamp_us);

/* ---- additions (hw/gpio owner) ------------------------------------------ */

/* Timing of events (details in hw/gpio.c):
 * - debounce_ms: a change is reported once the line has been stable that
 *   long; a burst of bounces gives one event stamped with its first edge
 *   (libgpiod 2.x: the kernel debounces and stamps the settled edge).
 * - hold_ms: an input is reported active only once held that long; the
 *   event carries the press's original stamp, so it arrives late and may
 *   be older than events delivered before it.  A shorter press reports
 *   nothing.  A level already active at gpio_open is initial state
 *   (gpio_get), not an event, whatever hold_ms says.
 * - Events of different lines come out in stamp order (an event waits for
 *   another line's bout that began earlier, at most its longest debounce +
 *   100 ms).
 * - Stamps are CLOCK_MONOTONIC ms: the kernel's edge stamps for gpiod (a
 *   stamp more than 60 s old or 1 s ahead of now_ms is replaced by now_ms),
 *   the scripted or injected time for sim.
 * - gpio_sim_inject() with a now_ms later than the time gpio_service/read
 *   last reached schedules the change for then, like a script step (so a
 *   pulse is: inject on at now, inject off at now + ms); the events come
 *   from gpio_service at gpio_deadline(). */

/* debounce_ms as set by the parser when a section has no debounce_ms key:
 * inputs then get GPIO_DEBOUNCE_DEFAULT_MS, outputs none.  A struct built by
 * hand with debounce_ms = 0 means "no debounce". */
#define GPIO_DEBOUNCE_UNSET      (-1)
#define GPIO_DEBOUNCE_DEFAULT_MS 10
#define GPIO_OFFSET_MAX          1023
#define GPIO_DEBOUNCE_MAX_MS     1000
#define GPIO_HOLD_MAX_MS         10000
/* chip used by a [line.NAME] section that sets none */
#define GPIO_CHIP_DEFAULT        "gpiochip0"

/* Role by its config name ("door", "beam_outer", "checkin", "panic",
 * "entry_light", ...); GPIO_ROLE_NONE if s names no role. */
enum gpio_role gpio_role_from_name(const char *s);
bool gpio_role_is_output(enum gpio_role r);
bool gpio_role_is_input(enum gpio_role r);

/* Optional: conf.c may call this when a [line.NAME] section header is read
 * (inih's INI_CALL_HANDLER_ON_NEW_SECTION), so that lineno is the header's
 * line and an empty section is still reported ("has no role").  Without it
 * the line is created by its first key, with that key's line number.
 * Returns 0, or -1 with a message in err. */
int gpio_conf_line_section(struct gpio_conf *gc, const char *name, int lineno,
			   char *err, size_t errlen);

/* Backend names for messages: "none", "sim", "gpiod". */
const char *gpio_backend_name(enum gpio_backend b);
/* Which libgpiod API the gpiod backend was built for, e.g. "libgpiod 1.6
 * (v1 API)", "libgpiod 2.x", or "none (built without libgpiod)". */
const char *gpio_gpiod_api(void);

/* State last driven on the first output line of that role (sim and gpiod;
 * for tests and the crew display).  0, -ENOENT (no such output line) or
 * -EINVAL (not an output role). */
int gpio_get_output(gpio_t *g, enum gpio_role role, bool *on);

/* Diagnostics: fn is called for every raw edge a backend sees, before
 * debounce (level already honours active-low; ts as in gpio_event).  With
 * the gpiod 2.x backend the kernel debounces, so raw edges are already
 * debounced there.  fn = NULL turns it off. */
void gpio_set_trace(gpio_t *g, void (*fn)(void *ctx, size_t line, bool active, int64_t ts_ms),
		    void *ctx);

/* Events dropped because the daemon did not drain them (queue full; never
 * panic presses while other events can be dropped instead). */
uint64_t gpio_dropped(gpio_t *g);

#endif
