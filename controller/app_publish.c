/*
 * app_publish.c - the publisher (app_publish.h): what the van tells base,
 * in one place.  The choice between sending live and queueing in the
 * outbox (uplink_send), the location messages and their sequence numbers,
 * the newest emergency's outbox row, the emergency reserve, and the state
 * snapshot's link and storage parts.  The core's events go out through it
 * too (app_van.c).
 */
#include "app_publish.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters.h"
#include "core/evq.h"
#include "log.h"

struct publisher {
	const struct conf *conf;
	store_t *st;
	uplink_t *up;                /* NULL: no broker (or not yet) */
	int64_t loc_published_mono;  /* last live location queued for base */
	int64_t loc_seq, loc_seq_reserved;
	int64_t em_outbox_id;        /* outbox row of the newest emergency event */
	int64_t reserve_said;        /* 1 + the reserve size last warned about, -1 an error, 0 none */
};

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

struct publisher *publisher_new(const struct conf *c, store_t *st, char *err, size_t errlen)
{
	struct publisher *p = calloc(1, sizeof(*p));
	char *v = NULL;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->conf = c;
	p->st = st;
	if (store_kv_get(st, "location_seq", &v) == 0 && v) {
		p->loc_seq = p->loc_seq_reserved = strtoll(v, NULL, 10);
		free(v);
	}
	return p;
}

void publisher_set_uplink(struct publisher *p, uplink_t *up)
{
	p->up = up;
}

void publisher_free(struct publisher *p)
{
	free(p);
}

void publisher_topic(const struct publisher *p, const char *sub, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", p->conf->mqtt.prefix, p->conf->unit.id, sub);
}

/* Send one message to base (app_publish.h): live or the outbox, through
 * uplink_send. */
int publisher_queue(struct publisher *p, int kind, int prio, const char *sub, json_t *payload, bool retain,
		    int64_t seq, const struct vtime *now, bool supersede)
{
	char topic[256];

	publisher_topic(p, sub, topic, sizeof(topic));
	return publisher_queue_topic(p, kind, prio, topic, payload, retain, seq, now, supersede);
}

int publisher_queue_topic(struct publisher *p, int kind, int prio, const char *topic, json_t *payload,
			  bool retain, int64_t seq, const struct vtime *now, bool supersede)
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
	id = p->up ? uplink_send(p->up, &m, flags) : store_outbox_queue(p->st, &m, supersede);
	/* the retained emergency is kept even on a full disk (the reserve) */
	while (id == -ENOSPC && prio >= EV_EMERGENCY && publisher_reserve_release(p, topic))
		id = p->up ? uplink_send(p->up, &m, flags) : store_outbox_queue(p->st, &m, supersede);
	if (id < 0) {
		log_warnx("outbox: cannot queue a message for %s: %s", topic, store_errmsg(p->st));
		/* an emergency must not wait for the disk: straight to base */
		if (prio >= EV_URGENT && uplink_publish_topic(p->up, topic, text, 1, retain) == 0)
			log_warnx("outbox: sent %s directly instead (not kept for a resend)", topic);
		free(text);
		return (int)id;
	}
	free(text);
	return 0;
}

int publisher_direct(struct publisher *p, const char *topic, const char *text, bool retain)
{
	return uplink_publish_topic(p->up, topic, text, 1, retain);
}

void publisher_kick(struct publisher *p)
{
	uplink_kick(p->up);
}

static int queue(struct publisher *p, int kind, int prio, const char *sub, json_t *payload, bool retain,
		 int64_t seq, const struct vtime *now)
{
	return publisher_queue(p, kind, prio, sub, payload, retain, seq, now, false);
}

static int64_t next_loc_seq(struct publisher *p)
{
	if (p->loc_seq >= p->loc_seq_reserved) {
		/* reserve a block in the database, so a restart never reuses a number */
		char buf[32];
		p->loc_seq_reserved = p->loc_seq + LOC_SEQ_RESERVE;
		snprintf(buf, sizeof(buf), "%lld", (long long)p->loc_seq_reserved);
		if (store_kv_put(p->st, "location_seq", buf) < 0)
			log_warnx("store: cannot reserve location sequence numbers: %s", store_errmsg(p->st));
	}
	return ++p->loc_seq;
}

/* ---- the newest emergency's outbox row ---- */

void publisher_watch_emergency(struct publisher *p, int64_t outbox_row)
{
	p->em_outbox_id = outbox_row;
}

bool publisher_delivered(struct publisher *p, const struct outbox_msg *m)
{
	if (!p->em_outbox_id || m->id != p->em_outbox_id)
		return false;
	p->em_outbox_id = 0;
	return true;
}

/* ---- the retained state snapshot ---- */

/* Can the van store?  For the crew and base (docs/mqtt.md, state). */
json_t *publisher_storage_json(const struct publisher *p)
{
	const char *f = store_fault(p->st);
	int64_t held = store_reserve_held(p->st);
	/* reserve_low: the disk is (nearly) full, whatever the last write did */
	return json_pack("{s:b, s:s?, s:I, s:b}", "ok", !f, "error", f, "reserve_kib", (json_int_t)(held / 1024),
			 "reserve_low", held < APP_RESERVE_BYTES);
}

json_t *publisher_link_json(const struct publisher *p, const struct vtime *now)
{
	int64_t backlog = 0, oldest = 0;
	json_t *link = json_object();

	store_outbox_stats(p->st, &backlog, &oldest);
	backlog -= (int64_t)uplink_unremoved(p->up);   /* delivered, awaiting removal */
	if (backlog < 0)
		backlog = 0;
	json_object_set_new(link, "base", json_string(uplink_connected(p->up) ? "online" : "offline"));
	json_object_set_new(link, "backlog", json_integer(backlog));
	json_object_set_new(link, "oldest_s", oldest ? json_real((now->utc_ms - oldest) / 1000.0) : json_null());
	int64_t conf = uplink_last_confirmed(p->up);
	json_object_set_new(link, "last_ack_utc", conf ? json_integer(vtime_utc_of(now, conf)) : json_null());
	return link;
}

/* ---- the emergency reserve (store_reserve_*) ---- */

bool publisher_reserve_release(struct publisher *p, const char *what)
{
	int64_t freed = store_reserve_release(p->st, APP_RESERVE_CHUNK);
	if (freed <= 0)
		return false;
	log_warnx("storage: the disk is full: %lld KiB of the emergency reserve given back for %s "
		  "(%lld KiB left)", (long long)(freed / 1024), what, (long long)(store_reserve_held(p->st) / 1024));
	return true;
}

void publisher_reserve_keep(struct publisher *p)
{
	int64_t held = store_reserve_held(p->st);
	if (held >= APP_RESERVE_BYTES)
		return;
	int64_t now = store_reserve_keep(p->st, APP_RESERVE_BYTES, APP_RESERVE_CHUNK, APP_RESERVE_MARGIN);
	if (now < 0) {
		errno = (int)-now;
		if (p->reserve_said != -1)   /* once, not at every flush */
			log_warn("storage: cannot keep an emergency reserve beside %s", store_path(p->st));
		p->reserve_said = -1;
	} else if (now < APP_RESERVE_BYTES && now <= held) {
		/* once per size, not at every flush */
		if (p->reserve_said != now + 1)
			log_warnx("storage: the emergency reserve holds %lld of %d KiB (the disk is nearly full)",
				  (long long)(now / 1024), APP_RESERVE_BYTES / 1024);
		p->reserve_said = now + 1;
	} else if (now > held) {
		log_info("storage: emergency reserve %lld KiB (%s-reserve)", (long long)(now / 1024),
			 store_path(p->st));
	}
}

/* ---- the live location ---- */

void publisher_location(struct publisher *p, const struct fix *f, const struct vtime *now, int64_t interval_ms)
{
	json_t *o;
	char buf[40];

	if (now->mono_ms - p->loc_published_mono < interval_ms && p->loc_published_mono != 0)
		return;
	o = json_object();
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "seq", json_integer(next_loc_seq(p)));
	json_object_set_new(o, "unit", json_string(p->conf->unit.id));
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
	queue(p, STORE_OUTBOX_LOCATION, EV_NORMAL, "location", o, false, 0, now);
	p->loc_published_mono = now->mono_ms;
	if (p->conf->mqtt.owntracks) {
		struct adapter_msg m = adapters_owntracks(p->conf, f, now->utc_ms);
		if (m.payload)
			publisher_queue_topic(p, STORE_OUTBOX_LOCATION, EV_NORMAL, m.topic, m.payload, false, 0, now, false);
	}
}

