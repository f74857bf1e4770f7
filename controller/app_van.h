/*
 * app_van.h - the van's I/O around the core: the GPIO inputs into the core
 * (van_t), the core's decisions out (events -> SQLite with their outbox
 * messages, outputs -> GPIO lines, the state snapshot -> base and the crew
 * display), and the core's state kept across restarts.
 *
 * Owns: the core (van_t) and its deadlines (a loop source), the GPIO lines
 * (gpio_t), their fds and deadlines (a loop source), the outputs the core
 * wants and their blink/beep patterns, the events the store refused
 * (counted), the stops row of the stop in progress, whether the state
 * changed since it was published, the panic path's stage timing
 * (the emergency decided from an input, not yet published; the last one
 * published, shown in the ctl status), and the computer's health readings
 * (health_read.h, every health.interval, given to the core).
 *
 * Sees: the config, the loop, the store (events, sessions, stops, the
 * saved state), the reference clock (read, and its steps recorded as
 * events), the publisher (app_publish.h: everything for base goes through
 * it), the GPS feed's current fix (app_gps.h, read only; set once the feed
 * exists), and the control socket (broadcasts to the crew's display; set
 * once it exists).  Nothing calls back into the life cycle: app.c wires the
 * GPS feed's, the uplink's and the commands' callbacks to the functions
 * here.
 */
#ifndef VAN_APP_VAN_H
#define VAN_APP_VAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "app_gps.h"
#include "app_publish.h"
#include "clock.h"
#include "conf.h"
#include "core/fix.h"
#include "core/van.h"
#include "ctl.h"
#include "hw/gpio.h"
#include "loop.h"
#include "store.h"

#define APP_MAX_GPIO_FDS 32

struct vanio;

/* Builds the core from the config, restores its saved state, opens the
 * GPIO lines (their levels at start-up go to the core) and runs the first
 * turn (vanio_after).  NULL with errno set and a sentence in err. */
struct vanio *vanio_new(const struct conf *c, loop_t *l, store_t *st, struct clock_ref *clock,
			struct publisher *pub, char *err, size_t errlen);
/* Accepts NULL. */
void vanio_free(struct vanio *v);

/* The GPS feed whose fix events and the snapshot carry (NULL: none). */
void vanio_set_gps(struct vanio *v, const struct gpsfeed *g);
/* The control socket the crew's display watches (NULL: none). */
void vanio_set_ctl(struct vanio *v, ctl_t *ctl);

/* After every call into the core: the clock's steps recorded, the events
 * stored and sent (the retained emergency first), the state saved, the
 * outputs driven, the state published if it changed. */
void vanio_after(struct vanio *v);

/* The GPS feed's report (struct gpsfeed_callbacks): f NULL, the fix is
 * lost.  To the core, then vanio_after. */
void vanio_fix(struct vanio *v, const struct fix *f);
/* A new position: the live location at the core's rate (raised during an
 * emergency). */
void vanio_position(struct vanio *v, const struct fix *f, const struct vtime *now);
/* The session running, 0 none. */
int64_t vanio_session_id(const struct vanio *v);

/* The state snapshot (docs/mqtt.md, state; for_base false: the crew's and
 * the status' view, with the panic path's stages).  New reference. */
json_t *vanio_snapshot(struct vanio *v, bool for_base);
/* The snapshot to base (retained) and to the crew's display. */
void vanio_publish_state(struct vanio *v);
/* The crew's display's heartbeat: the snapshot to its watchers only. */
void vanio_heartbeat(struct vanio *v);

/* The scheduled self-test of the panic path. */
void vanio_selftest(struct vanio *v);
/* The location rates re-read from the config (a reload); returns the rate
 * the core keeps now, in ms. */
int64_t vanio_reload(struct vanio *v);

/* The uplink's: the broker confirmed the newest emergency's message
 * (publisher_delivered), at mono_ms. */
void vanio_emergency_delivered(struct vanio *v, int64_t mono_ms);
/* The uplink's: the broker's retained emergency for this van after each
 * connection, agreed with the van's. */
void vanio_retained_emergency(struct vanio *v, const char *payload, size_t len);

/* For the commands' environment (cmd.h). */
van_t *vanio_core(struct vanio *v);
gpio_t *vanio_gpio(struct vanio *v);          /* NULL: no lines */
const uint64_t *vanio_events_unstored(const struct vanio *v);

#endif
