/*
 * app.c - the daemon's I/O shell.  See app.h.
 *
 * Everything here is plumbing: the rules live in core/.  Each resource is
 * created in app_new() in dependency order and released in reverse order in
 * app_free().
 */
#include "app.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "adapters.h"
#include "app_impl.h"
#include "core/evq.h"
#include "log.h"

#define LOC_SEQ_RESERVE 1000  /* location seq numbers reserved per kv write */

/* ---- small helpers ---- */

static json_t *jnum_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static void json_set_time(json_t *o, const struct vtime *now)
{
	char buf[40];
	json_object_set_new(o, "time", json_string(fmt_utc(now->utc_ms, buf, sizeof(buf))));
	json_object_set_new(o, "time_src", json_string(utc_src_name(now->utc_src)));
}

/* Send one message to base: location and state go live while the link is
 * up and nothing is queued before them, the retained emergency goes live at
 * once; the rest, and those that cannot go, wait in the outbox (uplink_send).
 * With supersede, a queued message replaces queued ones of the same kind and
 * topic (state: only the newest matters).  Steals payload. */
int app_queue(struct app *a, int kind, int prio, const char *sub, json_t *payload, bool retain,
	      int64_t seq, const struct vtime *now, bool supersede)
{
	char topic[256];

	snprintf(topic, sizeof(topic), "%s/%s/%s", a->conf->mqtt.prefix, a->conf->unit.id, sub);
	return app_queue_topic(a, kind, prio, topic, payload, retain, seq, now, supersede);
}

int app_queue_topic(struct app *a, int kind, int prio, const char *topic, json_t *payload, bool retain,
		    int64_t seq, const struct vtime *now, bool supersede)
{
	char *text = json_dumps(payload, JSON_COMPACT | JSON_REAL_PRECISION(10));
	int64_t id;

	json_decref(payload);
	if (!text)
		return -ENOMEM;
	struct outbox_msg m = { .prio = prio, .topic = (char *)topic, .payload = text, .qos = 1,
				.retain = retain, .seq = seq, .created_utc_ms = now->utc_ms, .kind = kind };
	unsigned flags = (supersede ? UPLINK_SUPERSEDE : 0) | (prio >= EV_EMERGENCY ? UPLINK_URGENT : 0) |
			 (kind == STORE_OUTBOX_LOCATION || kind == STORE_OUTBOX_STATE ? UPLINK_LIVE_OK : 0);
	id = a->up ? uplink_send(a->up, &m, flags) : store_outbox_queue(a->st, &m, supersede);
	/* the retained emergency is kept even on a full disk (the reserve) */
	while (id == -ENOSPC && prio >= EV_EMERGENCY && app_reserve_release(a, topic))
		id = a->up ? uplink_send(a->up, &m, flags) : store_outbox_queue(a->st, &m, supersede);
	if (id < 0) {
		log_warnx("outbox: cannot queue a message for %s: %s", topic, store_errmsg(a->st));
		/* an emergency must not wait for the disk: straight to base */
		if (prio >= EV_URGENT && uplink_publish_topic(a->up, topic, text, 1, retain) == 0)
			log_warnx("outbox: sent %s directly instead (not kept for a resend)", topic);
		free(text);
		return (int)id;
	}
	free(text);
	return 0;
}

static int queue(struct app *a, int kind, int prio, const char *sub, json_t *payload, bool retain,
		 int64_t seq, const struct vtime *now)
{
	return app_queue(a, kind, prio, sub, payload, retain, seq, now, false);
}

static int64_t next_loc_seq(struct app *a)
{
	if (a->loc_seq >= a->loc_seq_reserved) {
		/* reserve a block in the database, so a restart never reuses a number */
		char buf[32];
		a->loc_seq_reserved = a->loc_seq + LOC_SEQ_RESERVE;
		snprintf(buf, sizeof(buf), "%lld", (long long)a->loc_seq_reserved);
		if (store_kv_put(a->st, "location_seq", buf) < 0)
			log_warnx("store: cannot reserve location sequence numbers: %s", store_errmsg(a->st));
	}
	return ++a->loc_seq;
}

/* ---- the retained state snapshot ---- */

json_t *app_gps_json(struct app *a, const struct vtime *now)
{
	json_t *g = json_object();

	json_object_set_new(g, "link", json_string(a->gps && gps_connected(a->gps) ? "up" : "down"));
	if (!a->have_fix || a->fix_stale || !fix_usable(&a->fix)) {
		json_object_set_new(g, "fix", json_string(a->fix_stale ? "lost" : "none"));
	} else {
		json_object_set_new(g, "fix", json_string(a->fix.mode == FIX_3D ? "3d" : "2d"));
	}
	if (a->have_fix && fix_usable(&a->fix)) {
		json_object_set_new(g, "lat", json_real(a->fix.lat));
		json_object_set_new(g, "lon", json_real(a->fix.lon));
		json_object_set_new(g, "age_s", json_real((now->mono_ms - a->fix.mono_ms) / 1000.0));
	}
	return g;
}

/* Can the van store?  For the crew and base (docs/mqtt.md, state). */
json_t *app_storage_json(struct app *a)
{
	const char *f = store_fault(a->st);
	int64_t held = store_reserve_held(a->st);
	/* reserve_low: the disk is (nearly) full, whatever the last write did */
	return json_pack("{s:b, s:s?, s:I, s:b}", "ok", !f, "error", f, "reserve_kib", (json_int_t)(held / 1024),
			 "reserve_low", held < APP_RESERVE_BYTES);
}

json_t *app_link_json(struct app *a, const struct vtime *now)
{
	int64_t backlog = 0, oldest = 0;
	json_t *link = json_object();

	store_outbox_stats(a->st, &backlog, &oldest);
	backlog -= (int64_t)uplink_unremoved(a->up);   /* delivered, awaiting removal */
	if (backlog < 0)
		backlog = 0;
	json_object_set_new(link, "base", json_string(uplink_connected(a->up) ? "online" : "offline"));
	json_object_set_new(link, "backlog", json_integer(backlog));
	json_object_set_new(link, "oldest_s", oldest ? json_real((now->utc_ms - oldest) / 1000.0) : json_null());
	int64_t conf = uplink_last_confirmed(a->up);
	json_object_set_new(link, "last_ack_utc", conf ? json_integer(vtime_utc_of(now, conf)) : json_null());
	return link;
}

void app_publish_state(struct app *a)
{
	struct vtime now;
	json_t *s = app_snapshot(a, true);

	if (!s)
		return;
	clock_now(&a->clock, &now);
	app_queue(a, STORE_OUTBOX_STATE, EV_NORMAL, "state", s, true, 0, &now, true);
	a->state_dirty = false;
	if (a->ctl && ctl_watchers(a->ctl)) {
		json_t *m = json_pack("{s:s, s:o}", "event", "state", "state", app_snapshot(a, false));
		if (m)
			ctl_broadcast(a->ctl, m);
		json_decref(m);
	}
}

static int64_t state_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	(void)l;
	app_publish_state(a);
	return (int64_t)a->conf->mqtt.state_interval_s * 1000;
}

/* ---- GPS ---- */

static void publish_location(struct app *a, const struct vtime *now)
{
	const struct fix *f = &a->fix;
	json_t *o = json_object();
	char buf[40];

	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "seq", json_integer(next_loc_seq(a)));
	json_object_set_new(o, "unit", json_string(a->conf->unit.id));
	json_set_time(o, now);
	if (f->gps_utc_ms)
		json_object_set_new(o, "fix_time", json_string(fmt_utc(f->gps_utc_ms, buf, sizeof(buf))));
	json_object_set_new(o, "lat", json_real(f->lat));
	json_object_set_new(o, "lon", json_real(f->lon));
	json_object_set_new(o, "alt", jnum_or_null(f->alt));
	json_object_set_new(o, "speed", jnum_or_null(f->speed));
	json_object_set_new(o, "course", jnum_or_null(f->track));
	json_object_set_new(o, "eph", jnum_or_null(f->eph));
	json_object_set_new(o, "mode", json_integer(f->mode));
	json_object_set_new(o, "sats", f->sats_used >= 0 ? json_integer(f->sats_used) : json_null());
	queue(a, STORE_OUTBOX_LOCATION, EV_NORMAL, "location", o, false, 0, now);
	a->loc_published_mono = now->mono_ms;
	if (a->conf->mqtt.owntracks) {
		struct adapter_msg m = adapters_owntracks(a->conf, f, now->utc_ms);
		if (m.payload)
			app_queue_topic(a, STORE_OUTBOX_LOCATION, EV_NORMAL, m.topic, m.payload, false, 0, now, false);
	}
}

/* The core raises the rate while an emergency is active. */
static int64_t location_interval_ms(struct app *a)
{
	return a->van ? van_location_interval_ms(a->van) : (int64_t)a->conf->mqtt.location_interval_s * 1000;
}

/* session_id: the session running when the fix arrived (an epoch is judged
 * when the next one begins, maybe after a session started or ended). */
static void store_point(struct app *a, const struct fix *f, int64_t session_id, const struct vtime *now)
{
	struct route_point p = {
		.utc_ms = now->utc_ms - (now->mono_ms - f->mono_ms),
		.session_id = session_id,
		.lat = f->lat, .lon = f->lon, .alt = f->alt, .speed = f->speed, .track = f->track,
		.eph = f->eph, .mode = f->mode, .sats = f->sats_used, .utc_src = now->utc_src,
	};
	if (store_add_point(a->st, &p) < 0)
		log_warnx("store: route point not buffered: %s", store_errmsg(a->st));
}

/* Say once per episode that GPS time is not believed, and when it is. */
static void clock_judged(struct app *a, enum clock_gps_verdict v, int64_t gps_utc_ms)
{
	char g[40], k[40];

	switch (v) {
	case CLOCK_GPS_BEFORE_LKG:
	case CLOCK_GPS_TOO_FAR:
		if (a->clock_doubt == (int)v)
			return;
		a->clock_doubt = (int)v;
		log_notice("clock: GPS time %s not believed: %s the last known good time %s (%s)%s",
			   fmt_utc(gps_utc_ms, g, sizeof(g)),
			   v == CLOCK_GPS_TOO_FAR ? "more than 400 days after" : "before",
			   fmt_utc(clock_floor(&a->clock, mono_now_ms()), k, sizeof(k)),
			   a->clock.lkg_src == CLOCK_LKG_BUILD ? "from the build time" : "from what is recorded",
			   v == CLOCK_GPS_TOO_FAR ? "; a receiver week rollover? Only NTP can confirm it"
						  : "; an old or replayed track, or a receiver fault");
		break;
	case CLOCK_GPS_BELIEVED:
		log_notice("clock: GPS time %s believed%s", fmt_utc(gps_utc_ms, g, sizeof(g)),
			   a->clock.force == CLOCK_FORCE_GPS ? " (VANCTLD_CLOCK=gps)" : "");
		a->clock_doubt = 0;
		break;
	case CLOCK_GPS_AGREES:
		if (a->clock_doubt)
			log_notice("clock: GPS time %s agrees with the clock again", fmt_utc(gps_utc_ms, g, sizeof(g)));
		a->clock_doubt = 0;
		break;
	default:
		break;
	}
}

/* Rejections in a row that are worth a notice (and the notice when they end). */
#define TRACK_NOTICE_RUN 5

/* Say once per run when the route filter rejects fixes in numbers. */
static void rejections(struct app *a, enum track_verdict v, const struct fix *f)
{
	bool rejected = v >= TRACK_REJECT_INVALID; /* no fix at all is not the filter's doing */

	if (rejected) {
		a->reject_last = v;
		if (++a->reject_run == TRACK_NOTICE_RUN) {
			char g[40];
			log_notice("gps: %d fixes in a row rejected by the route filter, the last at %s (%s); "
				   "a receiver fault or a bad antenna?",
				   a->reject_run, f->gps_utc_ms ? fmt_utc(f->gps_utc_ms, g, sizeof(g)) : "no time",
				   track_verdict_name(v));
		}
	} else if (v != TRACK_REJECT_NOFIX) {
		if (a->reject_run >= TRACK_NOTICE_RUN)
			log_notice("gps: fixes accepted again after %d rejected (the last: %s)", a->reject_run,
				   track_verdict_name((enum track_verdict)a->reject_last));
		a->reject_run = 0;
	}
}

/* One epoch, on its most complete report (track_offer): judged by the
 * route filter, then the clock, then the core. */
static void on_gps_epoch(struct app *a, const struct fix *f, int64_t session_id)
{
	struct vtime now;
	char g[40];
	bool was_stale = a->fix_stale || !a->fix_now;
	enum track_verdict v = track_judge(&a->track, f);

	/* the clock follows only fixes whose time the route filter accepts as
	 * in order: not a stale report, nor a single time ahead (docs/time.md) */
	if (fix_usable(f) && !track_time_rejected(v))
		clock_judged(a, clock_gps(&a->clock, f->gps_utc_ms, f->mono_ms), f->gps_utc_ms);
	clock_now(&a->clock, &now);
	if (a->clock.step_pending && a->van)
		app_van_after(a); /* the step is recorded before what this fix causes */
	/* one line per epoch: tests account for every fix by its time and verdict */
	log_debug("gps: fix %s mode %d %.6f,%.6f speed %.1f: %s",
		  f->gps_utc_ms ? fmt_utc(f->gps_utc_ms, g, sizeof(g)) : "-", f->mode, f->lat, f->lon, f->speed,
		  track_verdict_name(v));
	rejections(a, v, f);
	if (!fix_usable(f)) {
		if (a->fix_now && !a->fix_stale)
			log_info("gps: no fix (mode %d)", f->mode);
		a->fix_now = false;
		/* keep the last usable position for emergencies, but say it is old */
		if (!a->have_fix)
			a->fix = *f;
		a->have_fix = true;
		app_van_fix(a, f, false);
		return;
	}
	if (track_is_keep(v)) {
		store_point(a, f, session_id, &now);
		a->points_kept++;
	} else {
		a->points_dropped++;
	}
	if (v == TRACK_REJECT_SPEED || v == TRACK_REJECT_INVALID || v == TRACK_REJECT_ACCURACY ||
	    track_time_rejected(v))
		return; /* a jump, a bad fix or a fix out of time is not the van's position */
	a->fix = *f;
	a->have_fix = true;
	a->fix_now = true;
	a->fix_stale = false;
	app_van_fix(a, f, false);
	if (was_stale) {
		log_info("gps: fix (%s) at %.5f,%.5f", f->mode == FIX_3D ? "3D" : "2D", f->lat, f->lon);
		app_publish_state(a);
	}
	if (now.mono_ms - a->loc_published_mono >= location_interval_ms(a) || a->loc_published_mono == 0)
		publish_location(a, &now);
}

/* hw's report as the core's fix: the two layers each own their type. */
static struct fix fix_of(const struct gps_report *g)
{
	return (struct fix){
		.mono_ms = g->mono_ms, .gps_utc_ms = g->gps_utc_ms,
		.mode = g->mode == GPS_MODE_3D ? FIX_3D : g->mode == GPS_MODE_2D ? FIX_2D
		      : g->mode == GPS_MODE_NO_FIX ? FIX_NO_FIX : FIX_NONE,
		.has_latlon = g->has_latlon, .lat = g->lat, .lon = g->lon, .alt = g->alt, .speed = g->speed,
		.track = g->track, .eph = g->eph, .epv = g->epv, .sats_used = g->sats_used,
	};
}

static void on_gps_report(void *arg, const struct gps_report *g)
{
	struct app *a = arg;
	struct fix f, report = fix_of(g);
	const struct fix *r = &report;
	int64_t sid = a->van ? van_session_id(a->van) : 0;

	if (track_offer(&a->track, r, &f)) {
		int64_t was = a->epoch_session;
		a->epoch_session = sid;
		on_gps_epoch(a, &f, was);
	} else if (a->track.pend.mono_ms == r->mono_ms) {
		a->epoch_session = sid; /* the epoch's first report */
	}
}

/* The epoch gathered is complete: no more reports are coming for now. */
static void gps_epoch_flush(struct app *a)
{
	struct fix f;

	if (track_flush(&a->track, &f))
		on_gps_epoch(a, &f, a->epoch_session);
}

/* At the end: how the route filter judged every epoch, by reason. */
static void track_summary(struct app *a)
{
	char buf[600];
	size_t n = 0;
	uint64_t epochs = 0;

	for (int v = 0; v < TRACK_VERDICTS; v++) {
		epochs += a->track.counts[v];
		if (a->track.counts[v] && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s %llu", track_verdict_name(v),
					      (unsigned long long)a->track.counts[v]);
	}
	if (epochs)
		log_info("gps: route filter: %llu epochs (%llu more reports folded in):%s",
			 (unsigned long long)epochs, (unsigned long long)a->track.merged, buf);
}

static void on_gps_stale(void *arg)
{
	struct app *a = arg;
	gps_epoch_flush(a);
	if (!a->fix_stale) {
		log_warnx("gps: no position report for %d s: fix lost", a->conf->gps.stale_after_s);
		a->fix_stale = true;
		app_van_fix(a, NULL, true);
		app_publish_state(a);
	}
}

static void on_gps_link(void *arg, bool up)
{
	struct app *a = arg;
	const char *err = gps_last_error(a->gps);

	if (!up)
		gps_epoch_flush(a); /* gpsd gone: the epoch gathered is all there is */
	if (up) {
		if (a->conf->gps.replay_file)
			log_info("gps: replay started");
		else
			log_info("gps: connected to gpsd at %s:%s", a->conf->gps.host, a->conf->gps.port);
		a->gps_err[0] = '\0';
	} else if (strcmp(err, a->gps_err)) {
		/* say it once, not at every retry */
		log_warnx("gps: %s; retrying (is gpsd running? systemctl status gpsd)", err);
		snprintf(a->gps_err, sizeof(a->gps_err), "%s", err);
	}
	app_publish_state(a);
}

static void gps_sync(struct app *a);

static void gps_fd_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct app *a = arg;
	(void)fd;
	(void)revents;
	gps_readable(a->gps, loop_now_ms(l));
	gps_sync(a);
}

static int64_t replay_exit_cb(loop_t *l, void *arg)
{
	(void)arg;
	log_info("gps: replay finished; stopping (gps.replay_exit)");
	loop_stop(l);
	return LOOP_TIMER_STOP;
}

/* The feed's deadlines (reconnect, staleness, a replay's next fix): a
 * source of the loop, asked before every sleep. */
static int64_t gps_due_at(void *arg)
{
	struct app *a = arg;
	return a->gps ? gps_deadline(a->gps) : -1;
}

static void gps_due(loop_t *l, void *arg)
{
	struct app *a = arg;
	gps_service(a->gps, loop_now_ms(l));
	gps_sync(a);
	if (gps_replay_done(a->gps))
		gps_epoch_flush(a);
	if (gps_replay_done(a->gps) && a->conf->gps.replay_exit_s > 0 && !a->replay_exiting) {
		a->replay_exiting = true;
		loop_add_timer(l, (int64_t)a->conf->gps.replay_exit_s * 1000, replay_exit_cb, a);
	}
}

/* Keep the loop's view of the gps fd current (it changes across reconnects). */
static void gps_sync(struct app *a)
{
	int fd = gps_fd(a->gps);

	if (fd != a->gps_fd) {
		if (a->gps_fd >= 0)
			loop_del_fd(a->loop, a->gps_fd);
		a->gps_fd = -1;
		if (fd >= 0 && loop_add_fd(a->loop, fd, POLLIN, gps_fd_cb, a) == 0)
			a->gps_fd = fd;
	}
}

/* ---- storage ---- */

bool app_reserve_release(struct app *a, const char *what)
{
	int64_t freed = store_reserve_release(a->st, APP_RESERVE_CHUNK);
	if (freed <= 0)
		return false;
	log_warnx("storage: the disk is full: %lld KiB of the emergency reserve given back for %s "
		  "(%lld KiB left)", (long long)(freed / 1024), what, (long long)(store_reserve_held(a->st) / 1024));
	return true;
}

void app_reserve_keep(struct app *a)
{
	int64_t held = store_reserve_held(a->st);
	if (held >= APP_RESERVE_BYTES)
		return;
	int64_t now = store_reserve_keep(a->st, APP_RESERVE_BYTES, APP_RESERVE_CHUNK, APP_RESERVE_MARGIN);
	if (now < 0) {
		errno = (int)-now;
		if (a->reserve_said != -1)   /* once, not at every flush */
			log_warn("storage: cannot keep an emergency reserve beside %s", store_path(a->st));
		a->reserve_said = -1;
	} else if (now < APP_RESERVE_BYTES && now <= held) {
		/* once per size, not at every flush */
		if (a->reserve_said != now + 1)
			log_warnx("storage: the emergency reserve holds %lld of %d KiB (the disk is nearly full)",
				  (long long)(now / 1024), APP_RESERVE_BYTES / 1024);
		a->reserve_said = now + 1;
	} else if (now > held) {
		log_info("storage: emergency reserve %lld KiB (%s-reserve)", (long long)(now / 1024),
			 store_path(a->st));
	}
}

static int64_t flush_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	(void)l;
	if (store_pending_points(a->st) && store_flush(a->st) < 0)
		log_warnx("store: route points not saved yet (kept in memory, retrying): %s", store_errmsg(a->st));
	if (!store_fault(a->st))
		app_reserve_keep(a);
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
				app_queue_topic(a, STORE_OUTBOX_DISCOVERY, EV_NORMAL, m[i].topic, m[i].payload, true, 0,
						&now, true);
		}
		app_publish_state(a);
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
	if (a->ctl && ctl_watchers(a->ctl)) {
		json_t *m = json_pack("{s:s, s:o}", "event", "state", "state", app_snapshot(a, false));
		if (m)
			ctl_broadcast(a->ctl, m);
		json_decref(m);
	}
	return WATCH_HEARTBEAT_MS;
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
	struct vtime now;
	const char *why = NULL;
	(void)l;

	clock_now(&a->clock, &now);
	if (van_selftest_start(a->van, VAN_SRC_AUTO, &now, &why) < 0)
		log_info("scheduled self-test skipped: %s", why ? why : "busy");
	else
		log_info("scheduled self-test of the panic path started");
	app_van_after(a);
	return (int64_t)a->conf->alarm.selftest_interval_h * 3600 * 1000;
}

/* ---- signals, watchdog ---- */

static void reload(struct app *a);

static void sig_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct app *a = arg;
	struct signalfd_siginfo si;
	(void)revents;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: shutting down", (int)si.ssi_signo);
			sd_notify(0, "STOPPING=1");
			loop_stop(l);
			break;
		case SIGHUP:
			reload(a);
			break;
		}
	}
}

static int64_t wd_cb(loop_t *l, void *arg)
{
	struct app *a = arg;
	int64_t backlog = 0, oldest = 0;
	char status[200];
	(void)l;

	store_outbox_stats(a->st, &backlog, &oldest);
	snprintf(status, sizeof(status), "STATUS=gps %s%s, base %s, backlog %lld, points %llu kept / %llu dropped",
		 gps_connected(a->gps) ? "up" : "down", a->fix_stale ? " (no fix)" : "",
		 uplink_connected(a->up) ? "online" : "offline", (long long)backlog,
		 (unsigned long long)a->points_kept, (unsigned long long)a->points_dropped);
	sd_notify(0, "WATCHDOG=1");
	sd_notify(0, status);
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		return (int64_t)(usec / 2000);
	return 10000;
}

static void track_params_from_conf(const struct conf *c, struct track_params *p)
{
	*p = (struct track_params){
		.min_period_ms = (int64_t)c->track.min_period_s * 1000,
		.min_distance_m = c->track.min_distance_m,
		.min_heading_deg = c->track.min_heading_deg,
		.stationary_speed_mps = c->track.stationary_speed_mps,
		.stationary_period_ms = (int64_t)c->track.stationary_period_s * 1000,
		.max_eph_m = c->track.max_eph_m,
		.max_speed_mps = c->track.max_speed_mps,
	};
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
#undef NEEDS_RESTART
	/* live: intervals and filters read from a->conf at each use */
	a->conf->track = n->track;
	a->conf->mqtt.location_interval_s = n->mqtt.location_interval_s;
	a->conf->mqtt.state_interval_s = n->mqtt.state_interval_s;
	a->conf->mqtt.backlog_location_keep_s = n->mqtt.backlog_location_keep_s;
	a->conf->storage.retention_days = n->storage.retention_days;
	struct track_params tp;
	track_params_from_conf(a->conf, &tp);
	a->track.p = tp;
	log_info("reload: configuration re-read from %s", o->report.path);
	conf_fini(n);
	free(n);
}

/* ---- life cycle ---- */

static int setup_signals(struct app *a)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE); /* ignored: broken sockets show as errors */
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0)
		return -errno;
	return loop_add_fd(a->loop, a->sigfd, POLLIN, sig_cb, a);
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
	a->sigfd = -1;
	a->gps_fd = -1;
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
	app_reserve_keep(a);
	{
		int64_t lkg = 0;
		char when[40];
		if (store_newest_trusted_utc(a->st, &lkg) < 0)
			log_warnx("storage: %s (the build time is the last known good time)", store_errmsg(a->st));
		clock_init(&a->clock, clock_force_from_env(), lkg, mono_now_ms());
		log_info("clock: last known good time %s (%s)", fmt_utc(a->clock.lkg_ms, when, sizeof(when)),
			 a->clock.lkg_src == CLOCK_LKG_BUILD ? "the build time" : "recorded");
	}
	{
		char *v = NULL;
		if (store_kv_get(a->st, "location_seq", &v) == 0 && v) {
			a->loc_seq = a->loc_seq_reserved = strtoll(v, NULL, 10);
			free(v);
		}
	}
	struct track_params tp;
	track_params_from_conf(c, &tp);
	track_init(&a->track, &tp);
	if (app_van_init(a, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		goto fail;
	}

	if (c->mqtt.enabled) {
		struct uplink_callbacks ucb = { .on_command = cmd_from_base, .on_link = on_link,
						.on_delivered = app_on_delivered,
						.on_retained_emergency = app_retained_emergency };
		a->up = uplink_new(a->loop, c, a->st, &ucb, a, err, sizeof(err));
		if (!a->up) {
			log_warnx("mqtt: %s", err);
			goto fail;
		}
	}
	a->ctl = ctl_new(a->loop, c->control.socket, c->control.group, cmd_from_ctl, a, err, sizeof(err));
	if (!a->ctl) {
		log_warnx("control socket: %s", err);
		goto fail;
	}
	struct gps_params gp = {
		.host = c->gps.host, .port = c->gps.port,
		.reconnect_max_ms = (int64_t)c->gps.reconnect_max_s * 1000,
		.stale_after_ms = (int64_t)c->gps.stale_after_s * 1000,
		.replay_file = c->gps.replay_file,
	};
	struct gps_callbacks gcb = { on_gps_report, on_gps_stale, on_gps_link };
	a->gps = gps_new(&gp, &gcb, a, loop_now_ms(a->loop), err, sizeof(err));
	if (!a->gps) {
		log_warnx("gps: %s", err);
		goto fail;
	}
	if (c->gps.replay_file)
		log_notice("gps: replaying %s instead of reading gpsd", c->gps.replay_file);
	gps_sync(a);
	a->gps_src = loop_add_source(a->loop, gps_due_at, gps_due, a);
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
	gps_epoch_flush(a);
	track_summary(a);
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
	if (a->gps_fd >= 0 && a->loop)
		loop_del_fd(a->loop, a->gps_fd);
	loop_del_source(a->loop, a->gps_src);
	gps_free(a->gps);
	if (a->st && store_flush(a->st) < 0)
		log_warnx("store: could not save the last route points: %s", store_errmsg(a->st));
	if (a->st && a->clock.lkg_src == CLOCK_LKG_RECORD) {
		char v[24];
		/* the floor, not the LKG: the time since it has passed too */
		snprintf(v, sizeof(v), "%lld", (long long)clock_floor(&a->clock, mono_now_ms()));
		if (store_kv_put(a->st, "clock_lkg_utc_ms", v) < 0)
			log_warnx("store: the last known good time was not saved: %s", store_errmsg(a->st));
	}
	ctl_free(a->ctl);
	uplink_free(a->up);
	app_van_fini(a);
	store_close(a->st);
	if (a->sigfd >= 0)
		close(a->sigfd);
	loop_free(a->loop);
	conf_fini(a->conf);
	free(a->conf);
	free(a);
}
