/*
 * app_gps.c - the GPS feed (app_gps.h): gpsd (or a replayed track) through
 * the route filter (core/track.c), one judgement per epoch, route points to
 * the store, the reference clock's GPS samples, and the fix for its user
 * (callbacks).  Its deadlines are a loop source.
 */
#include "app_gps.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/track.h"
#include "hw/gps.h"
#include "log.h"

struct gpsfeed {
	const struct conf *conf;
	loop_t *loop;
	store_t *st;
	struct clock_ref *clock;     /* the shell's; fed GPS samples here */
	struct gpsfeed_callbacks cb;
	void *arg;

	gps_t *gps;
	int gps_fd;
	int64_t gps_src;             /* the feed's deadlines: a loop source */
	char gps_err[160];           /* last gps error logged */
	bool replay_exiting;
	int clock_doubt;             /* enum clock_gps_verdict logged for this episode, 0 none */
	struct track_filter track;
	int reject_run;              /* route filter rejections in a row (notice at TRACK_NOTICE_RUN) */
	int reject_last;             /* the last rejection's verdict */
	int64_t epoch_session;       /* session running when the epoch gathered began */
	uint64_t points_kept, points_dropped;

	struct fix fix;              /* newest report (kept whatever the filter says) */
	bool have_fix, fix_stale;
	bool fix_now;                /* the newest report was a usable fix */
};

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

/* session_id: the session running when the fix arrived (an epoch is judged
 * when the next one begins, maybe after a session started or ended). */
static void store_point(struct gpsfeed *a, const struct fix *f, int64_t session_id, const struct vtime *now)
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
static void clock_judged(struct gpsfeed *a, enum clock_gps_verdict v, int64_t gps_utc_ms)
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
			   fmt_utc(clock_floor(a->clock, mono_now_ms()), k, sizeof(k)),
			   a->clock->lkg_src == CLOCK_LKG_BUILD ? "from the build time" : "from what is recorded",
			   v == CLOCK_GPS_TOO_FAR ? "; a receiver week rollover? Only NTP can confirm it"
						  : "; an old or replayed track, or a receiver fault");
		break;
	case CLOCK_GPS_BELIEVED:
		log_notice("clock: GPS time %s believed%s", fmt_utc(gps_utc_ms, g, sizeof(g)),
			   a->clock->force == CLOCK_FORCE_GPS ? " (VANCTLD_CLOCK=gps)" : "");
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
static void rejections(struct gpsfeed *a, enum track_verdict v, const struct fix *f)
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
static void on_gps_epoch(struct gpsfeed *a, const struct fix *f, int64_t session_id)
{
	struct vtime now;
	char g[40];
	bool was_stale = a->fix_stale || !a->fix_now;
	enum track_verdict v = track_judge(&a->track, f);

	/* the clock follows only fixes whose time the route filter accepts as
	 * in order: not a stale report, nor a single time ahead (docs/time.md) */
	if (fix_usable(f) && !track_time_rejected(v))
		clock_judged(a, clock_gps(a->clock, f->gps_utc_ms, f->mono_ms), f->gps_utc_ms);
	clock_now(a->clock, &now);
	if (a->clock->step_pending)
		a->cb.clock_step(a->arg); /* the step is recorded before what this fix causes */
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
		a->cb.fix(a->arg, f);
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
	a->cb.fix(a->arg, f);
	if (was_stale) {
		log_info("gps: fix (%s) at %.5f,%.5f", f->mode == FIX_3D ? "3D" : "2D", f->lat, f->lon);
		a->cb.changed(a->arg);
	}
	a->cb.position(a->arg, &a->fix, &now);
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
	struct gpsfeed *a = arg;
	struct fix f, report = fix_of(g);
	const struct fix *r = &report;
	int64_t sid = a->cb.session(a->arg);

	if (track_offer(&a->track, r, &f)) {
		int64_t was = a->epoch_session;
		a->epoch_session = sid;
		on_gps_epoch(a, &f, was);
	} else if (a->track.pend.mono_ms == r->mono_ms) {
		a->epoch_session = sid; /* the epoch's first report */
	}
}

/* The epoch gathered is complete: no more reports are coming for now. */
void gpsfeed_epoch_flush(struct gpsfeed *a)
{
	struct fix f;

	if (track_flush(&a->track, &f))
		on_gps_epoch(a, &f, a->epoch_session);
}

/* At the end: how the route filter judged every epoch, by reason. */
void gpsfeed_summary(const struct gpsfeed *a)
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
	struct gpsfeed *a = arg;
	gpsfeed_epoch_flush(a);
	if (!a->fix_stale) {
		log_warnx("gps: no position report for %d s: fix lost", a->conf->gps.stale_after_s);
		a->fix_stale = true;
		a->cb.fix(a->arg, NULL);
		a->cb.changed(a->arg);
	}
}

static void on_gps_link(void *arg, bool up)
{
	struct gpsfeed *a = arg;
	const char *err = gps_last_error(a->gps);

	if (!up)
		gpsfeed_epoch_flush(a); /* gpsd gone: the epoch gathered is all there is */
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
	a->cb.changed(a->arg);
}

static void gps_sync(struct gpsfeed *a);

static void gps_fd_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct gpsfeed *a = arg;
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
	struct gpsfeed *a = arg;
	return a->gps ? gps_deadline(a->gps) : -1;
}

static void gps_due(loop_t *l, void *arg)
{
	struct gpsfeed *a = arg;
	gps_service(a->gps, loop_now_ms(l));
	gps_sync(a);
	if (gps_replay_done(a->gps))
		gpsfeed_epoch_flush(a);
	if (gps_replay_done(a->gps) && a->conf->gps.replay_exit_s > 0 && !a->replay_exiting) {
		a->replay_exiting = true;
		loop_add_timer(l, (int64_t)a->conf->gps.replay_exit_s * 1000, replay_exit_cb, a);
	}
}

/* Keep the loop's view of the gps fd current (it changes across reconnects). */
static void gps_sync(struct gpsfeed *a)
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


struct gpsfeed *gpsfeed_new(const struct conf *c, loop_t *l, store_t *st, struct clock_ref *clock,
			    const struct gpsfeed_callbacks *cb, void *arg, char *err, size_t errlen)
{
	struct gps_params gp = {
		.host = c->gps.host, .port = c->gps.port,
		.reconnect_max_ms = (int64_t)c->gps.reconnect_max_s * 1000,
		.stale_after_ms = (int64_t)c->gps.stale_after_s * 1000,
		.replay_file = c->gps.replay_file,
	};
	struct gps_callbacks gcb = { on_gps_report, on_gps_stale, on_gps_link };
	struct track_params tp;
	struct gpsfeed *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->conf = c;
	a->loop = l;
	a->st = st;
	a->clock = clock;
	a->cb = *cb;
	a->arg = arg;
	a->gps_fd = -1;
	track_params_from_conf(c, &tp);
	track_init(&a->track, &tp);
	a->gps = gps_new(&gp, &gcb, a, loop_now_ms(l), err, errlen);
	if (!a->gps) {
		int e = errno;
		gpsfeed_free(a);
		errno = e;
		return NULL;
	}
	if (c->gps.replay_file)
		log_notice("gps: replaying %s instead of reading gpsd", c->gps.replay_file);
	gps_sync(a);
	a->gps_src = loop_add_source(l, gps_due_at, gps_due, a);
	if (a->gps_src < 0) {
		snprintf(err, errlen, "out of memory");
		gpsfeed_free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void gpsfeed_stop(struct gpsfeed *a)
{
	if (!a)
		return;
	if (a->gps_fd >= 0)
		loop_del_fd(a->loop, a->gps_fd);
	a->gps_fd = -1;
	if (a->gps_src > 0)
		loop_del_source(a->loop, a->gps_src);
	a->gps_src = 0;
	gps_free(a->gps);
	a->gps = NULL;
}

void gpsfeed_free(struct gpsfeed *a)
{
	gpsfeed_stop(a);
	free(a);
}

void gpsfeed_reload(struct gpsfeed *a)
{
	struct track_params tp;
	track_params_from_conf(a->conf, &tp);
	a->track.p = tp;
}

void gpsfeed_pos(const struct gpsfeed *a, struct gpsfeed_pos *out)
{
	if (!a) {
		*out = (struct gpsfeed_pos){ .have = false };
		return;
	}
	*out = (struct gpsfeed_pos){ .fix = a->fix, .have = a->have_fix, .stale = a->fix_stale };
}

bool gpsfeed_connected(const struct gpsfeed *a)
{
	return a && a->gps && gps_connected(a->gps);
}

void gpsfeed_points(const struct gpsfeed *a, uint64_t *kept, uint64_t *dropped)
{
	*kept = a ? a->points_kept : 0;
	*dropped = a ? a->points_dropped : 0;
}

json_t *gpsfeed_json(const struct gpsfeed *a, const struct vtime *now)
{
	json_t *g = json_object();
	struct gpsfeed_pos p;

	gpsfeed_pos(a, &p);
	json_object_set_new(g, "link", json_string(gpsfeed_connected(a) ? "up" : "down"));
	if (!p.have || p.stale || !fix_usable(&p.fix)) {
		json_object_set_new(g, "fix", json_string(p.stale ? "lost" : "none"));
	} else {
		json_object_set_new(g, "fix", json_string(p.fix.mode == FIX_3D ? "3d" : "2d"));
	}
	if (p.have && fix_usable(&p.fix)) {
		json_object_set_new(g, "lat", json_real(p.fix.lat));
		json_object_set_new(g, "lon", json_real(p.fix.lon));
		json_object_set_new(g, "age_s", json_real((now->mono_ms - p.fix.mono_ms) / 1000.0));
	}
	return g;
}
