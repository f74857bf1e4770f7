/*
 * app.h - the daemon's I/O shell: owns every resource and wires them.
 *
 * gps -> track filter -> store (route points)        -> SQLite
 *     -> live location (outbox)                      -> uplink -> base
 * gpio/control/base commands -> core (van) -> events -> store + outbox
 * signals (signalfd), timers (loop), sd_notify.
 */
#ifndef VAN_APP_H
#define VAN_APP_H

#include "conf.h"

struct app;

/* Build everything from c (which the app takes over and frees).  Returns
 * NULL after logging what failed and how to fix it. */
struct app *app_new(struct conf *c);
/* Run until SIGTERM/SIGINT.  Returns the exit status. */
int app_run(struct app *a);
/* Flush, say "offline", release everything in reverse order. */
void app_free(struct app *a);

#endif
