/*
 * gpio_internal.h - what hw/gpio.c shares with its backends (gpio_sim.c,
 * gpio_gpiod_v1.c or gpio_gpiod_v2.c).  Not for use outside hw/ (the unit
 * tests include it to reach the state machine).
 *
 * A backend only moves levels: it reports raw edges with gpio__edge() (or
 * gpio__edge_now() from its scripted-event hook) and initial levels with
 * gpio__init_level().  Debounce, hold times, ordering and the event queue
 * live in gpio.c, so every backend behaves the same.
 */
#ifndef VAN_HW_GPIO_INTERNAL_H
#define VAN_HW_GPIO_INTERNAL_H

#include "hw/gpio.h"

struct gpio_ops {
	const char *name;
	/* Request every line of g (g->lines is filled from the config).  Sets
	 * initial input levels with gpio__init_level().  0 or -errno with a
	 * message in err.  On failure, close() is still called. */
	int (*open)(gpio_t *g, const struct gpio_conf *gc, int64_t now_ms, char *err, size_t errlen);
	void (*close)(gpio_t *g);
	size_t (*fds)(gpio_t *g, int *fds, size_t max);
	/* fd is readable: feed its raw edges with gpio__edge().  0 or -errno. */
	int (*read)(gpio_t *g, int fd, int64_t now_ms);
	/* Drive output line idx.  0 or -errno. */
	int (*set)(gpio_t *g, size_t idx, bool on);
	/* Scripted edges (sim): time of the next one or -1; fire() applies it
	 * with gpio__edge_now().  NULL when the backend has none. */
	int64_t (*next_at)(gpio_t *g);
	void (*fire)(gpio_t *g);
	/* An edge on input idx at a time not yet reached (gpio_sim_inject):
	 * kept until gpio_service reaches it.  0 or -errno.  NULL when the
	 * backend takes no injected edges (real lines). */
	int (*inject)(gpio_t *g, size_t idx, bool active, int64_t at_us);
};

struct gpio_line {
	/* from the config (copied: the gpio_t does not keep the gpio_conf) */
	char *name;
	char *chip;
	enum gpio_role role;
	bool output;
	bool covert;
	bool active_low;
	enum gpio_bias bias;
	int offset;
	int debounce_ms;       /* configured, default resolved */
	int sw_debounce_ms;    /* applied in gpio.c (0 where the kernel debounces) */
	int hold_ms;
	int lineno;

	/* input state machine, all levels "active" (after active-low) */
	bool raw;              /* last raw level seen */
	bool stable;           /* debounced level */
	bool reported;         /* level the daemon has been told (after hold) */
	bool pending;          /* raw activity since stable, not yet settled */
	int64_t change_ts;     /* first edge of the pending bout */
	int64_t change_us;     /* ... its stamp in us (the kernel's or the sim's) */
	int64_t settle_at;     /* last edge + debounce */
	bool holding;          /* stable active, hold time not yet reached */
	int64_t hold_ts;       /* edge that started the hold */
	int64_t hold_us;
	int64_t hold_at;

	bool out_on;           /* outputs: last state driven */

	/* backend's own */
	void *bk;
	int bk_fd;
	unsigned int bk_num;
};

struct gpio_qev {
	struct gpio_event ev;
	int64_t ready_at;      /* when it was settled (for the ordering wait) */
};

struct gpio {
	const struct gpio_ops *ops;
	struct gpio_line *lines;
	size_t nlines;
	char *consumer;

	int64_t t_proc;        /* time the state machine has advanced to */
	int64_t order_wait_ms; /* longest an event waits for an earlier-started bout */

	struct gpio_qev *q;    /* settled events, sorted by ts */
	size_t qlen, qcap;
	uint64_t dropped;

	void (*trace)(void *ctx, size_t line, bool active, int64_t ts_ms);
	void *trace_ctx;

	void *bk;              /* backend's own */
};

#define GPIO_QUEUE_MAX 4096
/* how long a bout may go on before events of other lines stop waiting for
 * it (on top of the longest debounce) */
#define GPIO_ORDER_SLACK_MS 100
/* kernel stamps further than this from now_ms are not trusted (a kernel
 * older than 5.7 stamps v1 events with CLOCK_REALTIME) */
#define GPIO_TS_PAST_MS   60000
#define GPIO_TS_FUTURE_MS 1000

/* A raw edge stamped ts_us (CLOCK_MONOTONIC us): first advances the state
 * machine to its ms (settling debounce and hold deadlines and scripted
 * edges that come before it; the state machine counts whole ms, the stamp
 * is carried to gpio_event.ts_us as it is).  A time earlier than what was
 * already processed is taken as that time. */
void gpio__edge(gpio_t *g, size_t idx, bool active, int64_t ts_us);
/* The same without advancing first: for a backend's fire() hook. */
void gpio__edge_now(gpio_t *g, size_t idx, bool active, int64_t ts_us);
static inline int64_t gpio__ms_of_us(int64_t us)
{
	return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}
/* Level at open (no event; gpio_get reports it, hold times do not apply). */
void gpio__init_level(gpio_t *g, size_t idx, bool active);
/* A kernel event stamp in ns, as us, or now_ms in us if it is implausible. */
int64_t gpio__kernel_ts_us(int64_t ts_ns, int64_t now_ms);
/* First input line named name, else first input line of role name; -1. */
long gpio__find_input(gpio_t *g, const char *name_or_role);
/* snprintf into err, returning -e (e > 0) */
int gpio__fail(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* errno e of a failed chip lookup, corrected: ENOENT while some
 * /dev/gpiochip* exists that we may not open means EACCES (a label cannot
 * be matched without opening the chips); path gets that device. */
int gpio__lookup_errno(int e, char *path, size_t plen);
/* The message for a failed open of chip spec (errno e) for line l. */
int gpio__chip_error(char *err, size_t errlen, int e, const struct gpio_line *l, const char *path);
/* The message for a failed line request (errno e); holder is the consumer
 * holding it if known. */
int gpio__request_error(char *err, size_t errlen, int e, const struct gpio_line *l,
			const char *chipname, const char *holder);
/* Offset out of range: "... has N lines". */
int gpio__offset_error(char *err, size_t errlen, const struct gpio_line *l,
		       const char *chipname, const char *chiplabel, unsigned int nlines);


extern const struct gpio_ops gpio__sim_ops;
#ifdef VAN_HAVE_GPIOD
extern const struct gpio_ops gpio__gpiod_ops;
extern const char gpio__gpiod_api[];
#endif

#endif
