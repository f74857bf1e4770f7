/*
 * app.c - the daemon's life cycle.  See app.h.
 *
 * Everything in the shell is plumbing: the rules live in core/.  Each
 * concern has one owner with its own header: the publisher (app_publish.h,
 * what goes to base), the GPS feed (app_gps.h), the van's I/O around the
 * core (app_van.h), the commands (cmd.h, through struct cmd_env).  This
 * file creates them and the resources they share in app_new() in
 * dependency order, wires them together with callbacks, runs the loop, and
 * releases everything in reverse order in app_free(); it keeps the timers
 * of the whole (flush, state, watchdog, purge, heartbeat, self-test: each
 * a call into its owner), signals and reload.
 */
#include "app.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "adapters.h"
#include "app_impl.h"
#include "core/evq.h"
#include "log.h"

/* ---- storage ---- */

static int64_t flush_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	(void)l;
	if (store_pending_points(a->st) && store_flush(a->st) < 0)
		log_warnx("store: route points not saved yet (kept in memory, retrying): %s", store_errmsg(a->st));
	if (!store_fault(a->st))
		publisher_reserve_keep(a->pub);
	return (int64_t)a->conf->track.flush_interval_s * 1000;
}

/* ---- link to base ---- */

static void on_link(void *arg, bool up)
{
	struct app *a = arg;
	if (up) {
		int64_t keep = (int64_t)a->conf->mqtt.backlog_location_keep_s * 1000;
		int n = keep > 0 ? store_outbox_thin(a->st, STORE_OUTBOX_LOCATION, keep) : 0;
		if (n > 0)
			log_info("outbox: thinned the offline location backlog by %d messages", n);
		if (a->conf->mqtt.homeassistant) {
			struct adapter_msg m[8];
			struct vtime now;
			clock_now(&a->clock, &now);
			size_t k = adapters_ha_discovery(a->conf, m, 8);
			for (size_t i = 0; i < k; i++)
				publisher_queue_topic(a->pub, STORE_OUTBOX_DISCOVERY, EV_NORMAL, m[i].topic, m[i].payload,
						      true, 0, &now, true);
		}
		vanio_publish_state(a->vio);
	}
}

/* ---- the crew display's heartbeat ---- */

/* Watchers (the crew display) get the state at least this often, so a
 * silent daemon is told apart from a quiet evening (docs/control.md). */
#define WATCH_HEARTBEAT_MS 5000

static int64_t watch_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	(void)l;
	vanio_heartbeat(a->vio);
	return WATCH_HEARTBEAT_MS;
}

/* ---- the retained state, at least every mqtt.state_interval ---- */

static int64_t state_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	(void)l;
	vanio_publish_state(a->vio);
	return (int64_t)a->conf->mqtt.state_interval_s * 1000;
}

/* ---- the retention rule ---- */

/* Once a day the daemon purges what is older than storage.retention_days
 * (docs/review.md, "vanctl purge"): the route shows where outreach happens,
 * and keeping it longer breaks the promise.  Only on a trusted clock: an
 * unsynchronised one (a Pi without a real-time clock) may be years off, and
 * a purge by it could remove what is recent. */
#define PURGE_FIRST_MS (60 * 1000)
#define PURGE_RETRY_MS (10 * 60 * 1000)
#define PURGE_EVERY_MS ((int64_t)24 * 3600 * 1000)

static int64_t purge_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	struct vtime now;
	struct store_purge_result r;
	int days = a->conf->storage.retention_days;
	(void)l;

	clock_now(&a->clock, &now);
	if (now.utc_src == UTC_SRC_SYSTEM_UNSYNCED) {
		if (!a->purge_waiting)
			log_notice("retention: the purge of records older than %d days waits for a trusted "
				   "clock (NTP or believed GPS time)", days);
		a->purge_waiting = true;
		return PURGE_RETRY_MS;
	}
	a->purge_waiting = false;
	if (store_purge(a->st, days, now.utc_ms, &r) < 0) {
		log_warnx("retention: purge failed (tried again in an hour): %s", store_errmsg(a->st));
		return 6 * PURGE_RETRY_MS;
	}
	if (r.points || r.events || r.stops || r.outbox)
		log_notice("retention: purged detail older than %d days: %" PRId64 " route points (from %" PRId64
			   " sessions), %" PRId64 " events' details, %" PRId64 " stops' places, %" PRId64
			   " unsent messages",
			   days, r.points, r.sessions, r.events, r.stops, r.outbox);
	else
		log_info("retention: nothing older than %d days", days);
	return PURGE_EVERY_MS;
}

/* ---- scheduled panic-path self-test ---- */

static int64_t selftest_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	(void)l;
	vanio_selftest(a->vio);
	return (int64_t)a->conf->alarm.selftest_interval_h * 3600 * 1000;
}

/* ---- signals, watchdog ---- */

static void reload(struct app *a);

static void on_signal(loop_t *l, int signo, void *arg)
{
	struct app *a = arg;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", signo);
		sd_notify(0, "STOPPING=1");
		loop_stop(l);
		break;
	case SIGHUP:
		reload(a);
		break;
	}
}

static int64_t wd_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	int64_t backlog = 0, oldest = 0;
	uint64_t kept, dropped;
	struct gpsfeed_pos pos;
	char status[200];
	(void)l;

	store_outbox_stats(a->st, &backlog, &oldest);
	gpsfeed_pos(a->gps, &pos);
	gpsfeed_points(a->gps, &kept, &dropped);
	snprintf(status, sizeof(status), "STATUS=gps %s%s, base %s, backlog %lld, points %llu kept / %llu dropped",
		 gpsfeed_connected(a->gps) ? "up" : "down", pos.stale ? " (no fix)" : "",
		 uplink_connected(a->up) ? "online" : "offline", (long long)backlog,
		 (unsigned long long)kept, (unsigned long long)dropped);
	sd_notify(0, "WATCHDOG=1");
	sd_notify(0, status);
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		return (int64_t)(usec / 2000);
	return 10000;
}

/* SIGHUP: re-read the file; apply what can change live, name what cannot. */
static void reload(struct app *a)
{
	struct conf *n = calloc(1, sizeof(*n));
	const struct conf *o = a->conf;

	if (!n || conf_defaults(n) < 0) {
		log_warnx("reload: out of memory");
		free(n);
		return;
	}
	conf_load(n, o->report.path);
	conf_check(n);
	for (size_t i = 0; i < n->report.nwarnings; i++)
		log_warnx("reload: %s", n->report.warnings[i]);
	if (n->report.nerrors) {
		for (size_t i = 0; i < n->report.nerrors; i++)
			log_warnx("%s", n->report.errors[i]);
		log_warnx("reload: %s has %zu problem(s); keeping the running configuration", o->report.path, n->report.nerrors);
		conf_fini(n);
		free(n);
		return;
	}
#define NEEDS_RESTART(cond, what) \
	if (cond) log_notice("reload: %s changed; it takes effect after a restart", what)
	NEEDS_RESTART(strcmp(n->unit.id, o->unit.id), "unit.id");
	NEEDS_RESTART(strcmp(n->storage.db, o->storage.db), "storage.db");
	NEEDS_RESTART(strcmp(n->mqtt.link.host, o->mqtt.link.host) || n->mqtt.link.port != o->mqtt.link.port, "the broker address");
	NEEDS_RESTART(strcmp(n->gps.host, o->gps.host) || strcmp(n->gps.port, o->gps.port), "the gpsd address");
	NEEDS_RESTART(n->gpio.nlines != o->gpio.nlines || n->gpio.backend != o->gpio.backend, "the GPIO lines");
	/* the rules' parameters are the core's, fixed at its start (only the
	 * location rates change live, below) */
	NEEDS_RESTART(memcmp(&n->occ, &o->occ, sizeof(n->occ)) != 0, "[occupancy]");
	NEEDS_RESTART(n->session.default_length_min != o->session.default_length_min ||
		      n->session.checkin_interval_min != o->session.checkin_interval_min ||
		      n->session.checkin_interval_lone_min != o->session.checkin_interval_lone_min ||
		      n->session.checkin_interval_risk_min != o->session.checkin_interval_risk_min ||
		      n->session.checkin_reminder_s != o->session.checkin_reminder_s ||
		      n->session.checkin_grace_s != o->session.checkin_grace_s ||
		      n->session.overdue_grace_min != o->session.overdue_grace_min ||
		      n->session.overdue_repeat_min != o->session.overdue_repeat_min ||
		      n->session.stop_speed_mps != o->session.stop_speed_mps ||
		      n->session.stop_after_s != o->session.stop_after_s ||
		      strcmp(n->session.incident_types, o->session.incident_types), "[session]");
	NEEDS_RESTART(n->alarm.repeat_s != o->alarm.repeat_s || n->alarm.selftest_timeout_s != o->alarm.selftest_timeout_s ||
		      strcmp(n->alarm.cue, o->alarm.cue) ||
		      (n->alarm.duress_code ? !o->alarm.duress_code || strcmp(n->alarm.duress_code, o->alarm.duress_code)
					    : o->alarm.duress_code != NULL), "[alarm]");
#undef NEEDS_RESTART
	/* live: intervals and filters read from a->conf at each use */
	a->conf->track = n->track;
	a->conf->mqtt.location_interval_s = n->mqtt.location_interval_s;
	a->conf->mqtt.emergency_location_interval_s = n->mqtt.emergency_location_interval_s;
	/* the rate the core keeps (it raises it during an emergency) */
	int64_t loc_ms = a->vio ? vanio_reload(a->vio) : 0;
	a->conf->mqtt.state_interval_s = n->mqtt.state_interval_s;
	a->conf->mqtt.backlog_location_keep_s = n->mqtt.backlog_location_keep_s;
	a->conf->storage.retention_days = n->storage.retention_days;
	if (a->gps)
		gpsfeed_reload(a->gps);
	if (a->vio)
		log_info("reload: the live location goes every %lld s now", (long long)(loc_ms / 1000));
	log_info("reload: configuration re-read from %s", o->report.path);
	conf_fini(n);
	free(n);
}

/* ---- life cycle ---- */

/* SIGTERM/SIGINT stop, SIGHUP reloads; SIGPIPE is ignored (loop.h). */
static int setup_signals(struct app *a)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	return loop_add_signals(a->loop, sigs, sizeof(sigs) / sizeof(sigs[0]), on_signal, a);
}

/* ---- the commands' view of the shell (cmd.h) ---- */

static void cmd_after(void *arg)
{
	struct app *a = arg;
	vanio_after(a->vio);
}

static json_t *cmd_snapshot(void *arg, bool for_base)
{
	struct app *a = arg;
	return vanio_snapshot(a->vio, for_base);
}

void cmd_env_fill(struct app *a)
{
	struct cmd_env *e = &a->cmd;
	e->conf = a->conf;
	e->van = vanio_core(a->vio);
	e->st = a->st;
	e->gpio = vanio_gpio(a->vio);
	e->up = a->up;
	e->clock = &a->clock;
	e->events_unstored = vanio_events_unstored(a->vio);
	e->after = cmd_after;
	e->snapshot = cmd_snapshot;
	e->arg = a;
}

/* ---- the wiring: the uplink's and the GPS feed's callbacks ---- */

static void on_command(void *arg, const char *name, const char *payload, size_t len)
{
	struct app *a = arg;
	cmd_from_base(&a->cmd, name, payload, len);
}

static void on_delivered(void *arg, const struct outbox_msg *m, int64_t mono_ms)
{
	struct app *a = arg;
	if (publisher_delivered(a->pub, m))
		vanio_emergency_delivered(a->vio, mono_ms);
}

static void on_retained_emergency(void *arg, const char *payload, size_t len)
{
	struct app *a = arg;
	vanio_retained_emergency(a->vio, payload, len);
}

static void gps_fix(void *arg, const struct fix *f)
{
	struct app *a = arg;
	vanio_fix(a->vio, f);
}

static void gps_position(void *arg, const struct fix *f, const struct vtime *now)
{
	struct app *a = arg;
	vanio_position(a->vio, f, now);
}

static void gps_changed(void *arg)
{
	struct app *a = arg;
	vanio_publish_state(a->vio);
}

static void gps_clock_step(void *arg)
{
	struct app *a = arg;
	vanio_after(a->vio);
}

static int64_t gps_session(void *arg)
{
	struct app *a = arg;
	return vanio_session_id(a->vio);
}

struct app *app_new(struct conf *c)
{
	struct app *a = calloc(1, sizeof(*a));
	char err[512];
	int rc;

	if (!a) {
		log_warnx("out of memory");
		conf_fini(c);
		return NULL;
	}
	a->conf = c;
	clock_init(&a->clock, clock_force_from_env(), 0, mono_now_ms());
	a->loop = loop_new();
	if (!a->loop) {
		log_warn("cannot create the event loop");
		goto fail;
	}
	if ((rc = setup_signals(a)) < 0) {
		errno = -rc;
		log_warn("cannot set up signal handling");
		goto fail;
	}
	if (!(a->st = store_open(c->storage.db, false, err, sizeof(err)))) {
		log_warnx("storage: %s", err);
		goto fail;
	}
	if (store_fault(a->st))
		log_warnx("storage: cannot store: %s; vanctld runs on: the panic buttons work, emergencies and "
			  "urgent events go to base directly (not stored) and the rest waits in memory%s",
			  store_fault(a->st),
			  store_exclusive(a->st) ? "; vanctl cannot read the database while vanctld runs" : "");
	if (!(a->pub = publisher_new(c, a->st, err, sizeof(err)))) {
		log_warnx("%s", err);
		goto fail;
	}
	publisher_reserve_keep(a->pub);
	{
		int64_t lkg = 0;
		char when[40];
		if (store_newest_trusted_utc(a->st, &lkg) < 0)
			log_warnx("storage: %s (the build time is the last known good time)", store_errmsg(a->st));
		clock_init(&a->clock, clock_force_from_env(), lkg, mono_now_ms());
		log_info("clock: last known good time %s (%s)", fmt_utc(a->clock.lkg_ms, when, sizeof(when)),
			 a->clock.lkg_src == CLOCK_LKG_BUILD ? "the build time" : "recorded");
	}
	if (!(a->vio = vanio_new(c, a->loop, a->st, &a->clock, a->pub, err, sizeof(err)))) {
		log_warnx("%s", err);
		goto fail;
	}

	if (c->mqtt.enabled) {
		struct uplink_callbacks ucb = { .on_command = on_command, .on_link = on_link,
						.on_delivered = on_delivered,
						.on_retained_emergency = on_retained_emergency };
		a->up = uplink_new(a->loop, c, a->st, &ucb, a, err, sizeof(err));
		if (!a->up) {
			log_warnx("mqtt: %s", err);
			goto fail;
		}
		publisher_set_uplink(a->pub, a->up);
	}
	a->ctl = ctl_new(a->loop, c->control.socket, c->control.group, cmd_from_ctl, &a->cmd, err, sizeof(err));
	if (!a->ctl) {
		log_warnx("control socket: %s", err);
		goto fail;
	}
	vanio_set_ctl(a->vio, a->ctl);
	struct gpsfeed_callbacks gcb = { .fix = gps_fix, .position = gps_position, .changed = gps_changed,
					 .clock_step = gps_clock_step, .session = gps_session };
	if (!(a->gps = gpsfeed_new(c, a->loop, a->st, &a->clock, &gcb, a, err, sizeof(err)))) {
		log_warnx("gps: %s", err);
		goto fail;
	}
	vanio_set_gps(a->vio, a->gps);
	cmd_env_fill(a);   /* before the loop runs: no command comes earlier */
	a->flush_timer = loop_add_timer(a->loop, (int64_t)c->track.flush_interval_s * 1000, flush_cb, a);
	a->state_timer = loop_add_timer(a->loop, 0, state_cb, a);
	a->wd_timer = loop_add_timer(a->loop, 0, wd_cb, a);
	a->purge_timer = loop_add_timer(a->loop, PURGE_FIRST_MS, purge_cb, a);
	loop_add_timer(a->loop, WATCH_HEARTBEAT_MS, watch_cb, a);
	if (c->alarm.selftest_interval_h > 0)
		loop_add_timer(a->loop, (int64_t)c->alarm.selftest_interval_h * 3600 * 1000, selftest_cb, a);
	return a;
fail:
	app_free(a);
	return NULL;
}

int app_run(struct app *a)
{
	log_info("vanctld %s: unit %s, database %s, broker %s:%d, gpsd %s:%s", VAN_VERSION, a->conf->unit.id,
		 a->conf->storage.db, a->conf->mqtt.link.host, a->conf->mqtt.link.port, a->conf->gps.host, a->conf->gps.port);
	sd_notify(0, "READY=1");
	int rc = loop_run(a->loop);
	gpsfeed_epoch_flush(a->gps);
	gpsfeed_summary(a->gps);
	if (rc < 0) {
		errno = -rc;
		log_warn("event loop failed");
		return 1;
	}
	return a->exit_status;
}

void app_free(struct app *a)
{
	if (!a)
		return;
	gpsfeed_stop(a->gps);   /* no more reports; the last fix is still read */
	if (a->st && store_flush(a->st) < 0)
		log_warnx("store: could not save the last route points: %s", store_errmsg(a->st));
	if (a->st && a->clock.lkg_src == CLOCK_LKG_RECORD) {
		char v[24];
		/* the floor, not the LKG: the time since it has passed too */
		snprintf(v, sizeof(v), "%lld", (long long)clock_floor(&a->clock, mono_now_ms()));
		if (store_kv_put(a->st, "clock_lkg_utc_ms", v) < 0)
			log_warnx("store: the last known good time was not saved: %s", store_errmsg(a->st));
	}
	if (a->vio)
		vanio_set_ctl(a->vio, NULL);
	ctl_free(a->ctl);
	uplink_free(a->up);   /* may still confirm the emergency's message (on_delivered) */
	if (a->pub)
		publisher_set_uplink(a->pub, NULL);
	vanio_free(a->vio);
	gpsfeed_free(a->gps);
	publisher_free(a->pub);
	store_close(a->st);
	loop_free(a->loop);   /* closes the signalfd */
	conf_fini(a->conf);
	free(a->conf);
	free(a);
}
