/*
 * app_publish.c - what the van tells base, in one place: the choice
 * between sending live and queueing in the outbox (uplink_send), the
 * location messages and their sequence numbers, and the retained state
 * snapshot (with the parts of it the shell owns: GPS, link, storage).
 * The core's events go out through app_queue too (app_van.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters.h"
#include "app_impl.h"
#include "core/evq.h"
#include "log.h"

#define LOC_SEQ_RESERVE 1000  /* location seq numbers reserved per kv write */


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

/* ---- the emergency reserve (store_reserve_*) ---- */

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

/* ---- the live location ---- */

void app_publish_location(struct app *a, const struct vtime *now)
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

