/*
 * gps.c - gpsd client over libgps with reconnect and staleness.  See gps.h.
 */
#include "gps.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gps.h>

#include "gps_replay.h"

struct gps {
	struct gps_params p;
	char *host, *port;
	struct gps_callbacks cb;
	void *arg;
	struct gps_data_t *data;
	bool open;
	int64_t retry_at;        /* next connect attempt (when !open) */
	int64_t backoff_ms;
	int64_t last_report;     /* mono ms of the last TPV */
	bool stale;              /* on_stale reported since the last TPV */
	uint64_t reports;
	char err[160];
	bool replay;
	struct gps_replay rp;
	int64_t replay_start;
};

gps_t *gps_new(const struct gps_params *p, const struct gps_callbacks *cb, void *arg, int64_t now_ms,
	       char *err, size_t errlen)
{
	gps_t *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->data = calloc(1, sizeof(*g->data));
	g->host = strdup(p->host ? p->host : "localhost");
	g->port = strdup(p->port ? p->port : DEFAULT_GPSD_PORT);
	if (!g->data || !g->host || !g->port) {
		snprintf(err, errlen, "out of memory");
		gps_free(g);
		return NULL;
	}
	if (p->replay_file) {
		if (gps_replay_open(&g->rp, p->replay_file, err, errlen) < 0) {
			gps_free(g);
			return NULL;
		}
		g->replay = true;
		g->replay_start = now_ms;
	}
	g->p = *p;
	g->cb = *cb;
	g->arg = arg;
	g->retry_at = now_ms;
	g->backoff_ms = 1000;
	g->last_report = now_ms;
	g->stale = true; /* nothing to go stale yet */
	return g;
}

static void disconnect(gps_t *g, int64_t now_ms, const char *why)
{
	if (g->open) {
		gps_stream(g->data, WATCH_DISABLE, NULL);
		gps_close(g->data);
		g->open = false;
		snprintf(g->err, sizeof(g->err), "%s", why);
		if (g->cb.on_link)
			g->cb.on_link(g->arg, false);
	}
	g->retry_at = now_ms + g->backoff_ms;
	g->backoff_ms *= 2;
	if (g->backoff_ms > g->p.reconnect_max_ms)
		g->backoff_ms = g->p.reconnect_max_ms;
}

void gps_free(gps_t *g)
{
	if (!g)
		return;
	if (g->open && !g->replay) {
		gps_stream(g->data, WATCH_DISABLE, NULL);
		gps_close(g->data);
	}
	gps_replay_free(&g->rp);
	free(g->data);
	free(g->host);
	free(g->port);
	free(g);
}

int gps_fd(const gps_t *g) { return g->open && !g->replay ? g->data->gps_fd : -1; }
bool gps_replay_done(const gps_t *g) { return g->replay && gps_replay_end(&g->rp); }

static int64_t replay_due(const gps_t *g)
{
	return g->replay_start + gps_replay_peek(&g->rp)->due_ms;
}
bool gps_connected(const gps_t *g) { return g->open; }
const char *gps_last_error(const gps_t *g) { return g->err; }
uint64_t gps_reports(const gps_t *g) { return g->reports; }

int64_t gps_deadline(const gps_t *g)
{
	int64_t dl = g->open ? -1 : g->retry_at;

	if (g->replay)
		dl = !gps_replay_end(&g->rp) ? replay_due(g) : -1;

	/* staleness runs whether or not gpsd is there: a dead gpsd ages the fix out too */
	if (!g->stale) {
		int64_t st = g->last_report + g->p.stale_after_ms;
		if (dl < 0 || st < dl)
			dl = st;
	}
	return dl;
}

static void try_connect(gps_t *g, int64_t now_ms)
{
	memset(g->data, 0, sizeof(*g->data));
	if (gps_open(g->host, g->port, g->data) != 0) {
		snprintf(g->err, sizeof(g->err), "cannot reach gpsd at %s:%s: %s", g->host, g->port,
			 gps_errstr(errno));
		g->open = false;
		disconnect(g, now_ms, g->err);
		if (g->cb.on_link)
			g->cb.on_link(g->arg, false); /* a failed attempt: gps_last_error() says why */
		return;
	}
	g->open = true;
	if (gps_stream(g->data, WATCH_ENABLE | WATCH_JSON, NULL) != 0) {
		snprintf(g->err, sizeof(g->err), "gpsd at %s:%s refused the watch request", g->host, g->port);
		disconnect(g, now_ms, g->err);
		return;
	}
	g->backoff_ms = 1000;
	g->err[0] = '\0';
	if (g->stale)
		g->last_report = now_ms; /* a new wait for the first report */
	if (g->cb.on_link)
		g->cb.on_link(g->arg, true);
}

static void report(gps_t *g, int64_t now_ms);

static void replay_service(gps_t *g, int64_t now_ms)
{
	if (!g->open) {
		g->open = true;
		if (g->cb.on_link)
			g->cb.on_link(g->arg, true);
	}
	while (!gps_replay_end(&g->rp) && replay_due(g) <= now_ms) {
		struct gps_report f;
		gps_replay_to_fix(gps_replay_peek(&g->rp), now_ms, &f);
		gps_replay_pop(&g->rp);
		g->reports++;
		g->last_report = now_ms;
		g->stale = false;
		if (g->cb.on_report)
			g->cb.on_report(g->arg, &f);
	}
}

void gps_service(gps_t *g, int64_t now_ms)
{
	if (g->replay)
		replay_service(g, now_ms);
	else if (!g->open && now_ms >= g->retry_at)
		try_connect(g, now_ms);
	if (!g->stale && now_ms - g->last_report >= g->p.stale_after_ms) {
		g->stale = true;
		if (g->cb.on_stale)
			g->cb.on_stale(g->arg);
	}
}

static double num(double x) { return isfinite(x) ? x : NAN; }

static void report(gps_t *g, int64_t now_ms)
{
	const struct gps_fix_t *gf = &g->data->fix;
	struct gps_report f = {
		.mono_ms = now_ms,
		.mode = gf->mode >= MODE_3D ? GPS_MODE_3D : gf->mode == MODE_2D ? GPS_MODE_2D
		      : gf->mode == MODE_NO_FIX ? GPS_MODE_NO_FIX : GPS_MODE_NONE,
		.has_latlon = (g->data->set & LATLON_SET) && isfinite(gf->latitude) && isfinite(gf->longitude),
		.lat = gf->latitude,
		.lon = gf->longitude,
		.alt = num(gf->altMSL),
		.speed = (g->data->set & SPEED_SET) ? num(gf->speed) : NAN,
		.track = (g->data->set & TRACK_SET) ? num(gf->track) : NAN,
		.eph = num(gf->eph),
		.epv = num(gf->epv),
		.sats_used = g->data->satellites_used > 0 ? g->data->satellites_used : -1,
	};
	if ((g->data->set & TIME_SET) && gf->time.tv_sec > 0)
		f.gps_utc_ms = (int64_t)gf->time.tv_sec * 1000 + gf->time.tv_nsec / 1000000;
	g->reports++;
	g->last_report = now_ms;
	g->stale = false;
	if (g->cb.on_report)
		g->cb.on_report(g->arg, &f);
}

void gps_readable(gps_t *g, int64_t now_ms)
{
	if (!g->open)
		return;
	/* one gps_read() handles one line; drain what is buffered */
	do {
		g->data->set = 0;
		int n = gps_read(g->data, NULL, 0);
		if (n < 0) {
			disconnect(g, now_ms, "gpsd closed the connection");
			g->backoff_ms = 1000; /* a restart is likely: retry soon */
			g->retry_at = now_ms + 1000;
			return;
		}
		if (n == 0)
			break;
		/* a TPV sets MODE_SET; SKY, VERSION, DEVICES... do not */
		if (g->data->set & MODE_SET)
			report(g, now_ms);
	} while (g->open && gps_waiting(g->data, 0));
}
