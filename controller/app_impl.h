/*
 * app_impl.h - the daemon's whole, for app.c (the life cycle) and the
 * command fuzzer (tests/fuzz/fuzz_cmd.c): the resources and the objects
 * that own each concern, wired together in app_new.  Not a public API: no
 * other file of the shell sees it.
 *
 *   the publisher (app_publish.h)  what goes to base
 *   the GPS feed (app_gps.h)       gpsd, the route filter, the fix
 *   the van's I/O (app_van.h)      the core, the GPIO lines, events, state
 *   the commands (cmd.h)           through struct cmd_env only
 */
#ifndef VAN_APP_IMPL_H
#define VAN_APP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "app_gps.h"
#include "app_publish.h"
#include "app_van.h"
#include "clock.h"
#include "cmd.h"
#include "conf.h"
#include "ctl.h"
#include "loop.h"
#include "store.h"
#include "uplink.h"

struct app {
	struct conf *conf;           /* the only writable one: reload changes it */
	loop_t *loop;
	store_t *st;
	struct clock_ref clock;      /* the reference clock, shared by the objects */
	struct publisher *pub;
	struct vanio *vio;
	uplink_t *up;
	ctl_t *ctl;
	struct gpsfeed *gps;

	int64_t flush_timer, state_timer, wd_timer, purge_timer;
	bool purge_waiting;             /* the retention purge waits for a trusted clock */
	int exit_status;

	/* the commands' view of the shell (cmd.h): filled in app_new */
	struct cmd_env cmd;
};

/* The commands' environment (cmd.h) from the objects. */
void cmd_env_fill(struct app *a);

#endif
