/*
 * app_impl.h - the daemon shell's shared state, for app.c (life cycle,
 * signals, reload), app_gps.c (the GPS feed), app_publish.c (what goes to
 * base), app_van.c (inputs, outputs, the core's events and state) and cmd.c
 * (commands from the control socket and from base).  Not a public API.
 */
#ifndef VAN_APP_IMPL_H
#define VAN_APP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "conf.h"
#include "core/fix.h"
#include "core/health.h"
#include "core/track.h"
#include "core/van.h"
#include "ctl.h"
#include "hw/gpio.h"
#include "hw/gps.h"
#include "loop.h"
#include "store.h"
#include "uplink.h"

#define APP_MAX_GPIO_FDS 32
/* The emergency reserve beside the database (store_reserve_*): what it
 * holds, given back a chunk at a time to an emergency's write on a full
 * disk, grown again while the disk keeps the margin free. */
#define APP_RESERVE_BYTES (256 * 1024)
#define APP_RESERVE_CHUNK (64 * 1024)
#define APP_RESERVE_MARGIN (512 * 1024)


/* The panic path's stages in CLOCK_MONOTONIC us (docs/mqtt.md, the
 * retained emergency's timing; bench/panic-latency.sh reports them):
 * the input's edge (the kernel's or the sim's stamp), the loop reading it,
 * the core's decision, the message handed to libmosquitto, and the
 * publish returned with the message written to the socket.  0: unknown
 * (an emergency raised by a command or a timer has no edge). */
struct em_stages {
	int64_t edge_us, read_us, decided_us, handed_us, written_us;
	int64_t done_us;   /* the rest of that turn's work done (events stored, state sent) */
};

struct app {
	struct conf *conf;
	loop_t *loop;
	store_t *st;
	uplink_t *up;
	ctl_t *ctl;
	gps_t *gps;
	int gps_fd;
	int64_t gps_src;          /* the feed's deadlines: a loop source */
	char gps_err[160];           /* last gps error logged */
	bool replay_exiting;
	struct clock_ref clock;
	int clock_doubt;             /* enum clock_gps_verdict logged for this episode, 0 none */
	struct track_filter track;
	int reject_run;              /* route filter rejections in a row (notice at TRACK_NOTICE_RUN) */
	int reject_last;             /* the last rejection's verdict */
	int64_t epoch_session;       /* session running when the epoch gathered began */

	/* the core */
	van_t *van;
	int64_t van_src;          /* the core's deadlines: a loop source */
	uint64_t events_unstored;    /* events the store refused (full disk), counted */
	int64_t em_outbox_id;        /* outbox row of the newest emergency event */
	struct em_stages em_next;    /* an input's emergency, decided, not yet published */
	struct em_stages em_last;    /* the last emergency published (ctl status) */
	int64_t reserve_said;        /* 1 + the reserve size last warned about, -1 an error, 0 none */
	int64_t stop_row;            /* stops row of the stop in progress, 0 = none */
	bool state_dirty;

	/* inputs and outputs */
	gpio_t *gpio;
	int gpio_fds[APP_MAX_GPIO_FDS];
	size_t ngpio_fds;
	int64_t gpio_src;         /* debounce, hold, sim script: a loop source */
	struct van_outputs out;      /* what the core wants */
	int64_t health_timer;        /* the computer's health, read every health.interval */
	char health_err[160];        /* the last health problem logged (once per problem) */
	struct health_reading health_last;   /* the last reading given to the core */
	int64_t out_timer;           /* blink / beep patterns */

	struct fix fix;              /* newest report (kept whatever the filter says) */
	bool have_fix, fix_stale;
	bool fix_now;                /* the newest report was a usable fix */
	int64_t loc_published_mono;  /* last live location queued for base */
	int64_t loc_seq, loc_seq_reserved;

	int64_t flush_timer, state_timer, wd_timer, purge_timer;
	bool purge_waiting;             /* the retention purge waits for a trusted clock */
	int exit_status;
	uint64_t points_kept, points_dropped;

	/* the commands' view of the shell (cmd.h): filled in app_new */
	struct cmd_env cmd;
};

/* app_publish.c: what goes to base */
int app_queue(struct app *a, int kind, int prio, const char *sub, json_t *payload, bool retain,
	      int64_t seq, const struct vtime *now, bool supersede);
int app_queue_topic(struct app *a, int kind, int prio, const char *topic, json_t *payload, bool retain,
		    int64_t seq, const struct vtime *now, bool supersede);
void app_publish_state(struct app *a);
int64_t app_state_cb(loop_t *l, void *arg);   /* the periodic state (a loop timer) */
void app_publish_location(struct app *a, const struct vtime *now);
json_t *app_gps_json(struct app *a, const struct vtime *now);
json_t *app_link_json(struct app *a, const struct vtime *now);
json_t *app_storage_json(struct app *a);

/* app_gps.c: the GPS feed */
int app_gps_start(struct app *a, char *err, size_t errlen);
void app_gps_stop(struct app *a);
/* The epoch gathered is complete (the feed stops): judge it now. */
void app_gps_epoch_flush(struct app *a);
/* The route filter's figures, logged at exit. */
void app_gps_summary(struct app *a);

/* app.c: life cycle; the commands' environment (cmd.h) from the shell */
void cmd_env_fill(struct app *a);
void app_retained_emergency(void *arg, const char *payload, size_t len);
/* An emergency's write failed (a full disk): give a chunk of the reserve
 * back to the disk.  True if it did (retry the write), false if the
 * reserve is empty or the disk was not what refused it. */
bool app_reserve_release(struct app *a, const char *what);
/* Grow the reserve back towards APP_RESERVE_BYTES where the disk has room. */
void app_reserve_keep(struct app *a);

/* app_van.c */
int app_van_init(struct app *a, char *err, size_t errlen);
void app_van_fini(struct app *a);
/* After every call into the core: drain events, apply outputs, save, rearm. */
void app_van_after(struct app *a);
void app_van_fix(struct app *a, const struct fix *f, bool lost);
json_t *app_snapshot(struct app *a, bool for_base);
void app_on_delivered(void *arg, const struct outbox_msg *m, int64_t mono_ms);


#endif
