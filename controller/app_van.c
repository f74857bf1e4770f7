/*
 * app_van.c - the van's I/O around the core (app_van.h): GPIO inputs into
 * the core, the core's decisions out (events -> SQLite + outbox, outputs ->
 * GPIO, state -> base and the crew display), and the core's state kept
 * across restarts.
 */
#include "app_van.h"

#include <errno.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evq.h"
#include "core/health.h"
#include "core/plan.h"
#include "health_read.h"
#include "log.h"
#include "planfile.h"

#define OUT_TICK_MS 250  /* pattern resolution: beeps and blinks */

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

struct vanio {
	const struct conf *conf;
	loop_t *loop;
	store_t *st;
	struct clock_ref *clock;     /* the shell's: read, its steps recorded */
	struct publisher *pub;       /* everything for base */
	const struct gpsfeed *gps;   /* the current fix, read only (NULL: none yet) */
	ctl_t *ctl;                  /* the crew display's broadcasts (NULL: none yet) */

	/* the core */
	van_t *van;
	int64_t van_src;             /* the core's deadlines: a loop source */
	uint64_t events_unstored;    /* events the store refused (full disk), counted */
	struct em_stages em_next;    /* an input's emergency, decided, not yet published */
	struct em_stages em_last;    /* the last emergency published (ctl status) */
	int64_t stop_row;            /* stops row of the stop in progress, 0 = none */
	bool state_dirty;

	/* inputs and outputs */
	gpio_t *gpio;
	int gpio_fds[APP_MAX_GPIO_FDS];
	size_t ngpio_fds;
	int64_t gpio_src;            /* debounce, hold, sim script: a loop source */
	struct van_outputs out;      /* what the core wants */
	int64_t out_timer;           /* blink / beep patterns */

	/* the computer's own health (core/health.h) */
	int64_t health_timer;        /* read every health.interval */
	char health_err[160];        /* the last health problem logged (once per problem) */
	struct health_reading health_last;   /* the last reading given to the core */
};

/* ---- parameters ---- */

static bool role_to_van(enum gpio_role r, enum van_in_role *out)
{
	static const struct { enum gpio_role g; enum van_in_role v; } map[] = {
		{ GPIO_ROLE_DOOR, VAN_IN_DOOR },
		{ GPIO_ROLE_BEAM_OUTER, VAN_IN_BEAM_OUTER },
		{ GPIO_ROLE_BEAM_INNER, VAN_IN_BEAM_INNER },
		{ GPIO_ROLE_SEAT, VAN_IN_SEAT },
		{ GPIO_ROLE_BTN_CHECKIN, VAN_IN_BTN_CHECKIN },
		{ GPIO_ROLE_BTN_PLUS, VAN_IN_BTN_PLUS },
		{ GPIO_ROLE_BTN_MINUS, VAN_IN_BTN_MINUS },
		{ GPIO_ROLE_BTN_EMPTY, VAN_IN_BTN_EMPTY },
		{ GPIO_ROLE_BTN_SESSION, VAN_IN_BTN_SESSION },
		{ GPIO_ROLE_BTN_RESET, VAN_IN_BTN_RESET },
		{ GPIO_ROLE_BTN_MUTE, VAN_IN_BTN_MUTE },
		{ GPIO_ROLE_PANIC, VAN_IN_PANIC },
		{ GPIO_ROLE_POWER_FAIL, VAN_IN_POWER_FAIL },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].g == r) {
			*out = map[i].v;
			return true;
		}
	return false;
}

/* ---- persistence: the core's state across restarts ---- */

static void boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* urgent: the batch changed the emergency, which must be known after a
 * restart even on a full disk (the reserve) */
static void save(struct vanio *a, const struct vtime *now, bool urgent)
{
	char bid[64];
	json_t *w;
	char *text;

	boot_id(bid, sizeof(bid));
	w = json_pack("{s:s, s:I, s:I, s:o}", "boot_id", bid, "mono_ms", (json_int_t)now->mono_ms, "utc_ms",
		      (json_int_t)now->utc_ms, "van", van_save(a->van));
	text = w ? json_dumps(w, JSON_COMPACT) : NULL;
	json_decref(w);
	int rc = text ? store_kv_put(a->st, "van_state", text) : -ENOMEM;
	while (rc == -ENOSPC && urgent && publisher_reserve_release(a->pub, "the saved emergency"))
		rc = store_kv_put(a->st, "van_state", text);
	if (rc < 0)
		log_warnx("store: cannot save the session state (a restart now would lose timers): %s",
			  text ? store_errmsg(a->st) : "out of memory");
	free(text);
}

static void restore(struct vanio *a, const struct vtime *now)
{
	char *text = NULL, bid[64];
	json_error_t jerr;

	if (store_kv_get(a->st, "van_state", &text) < 0 || !text)
		return;
	json_t *w = json_loads(text, 0, &jerr);
	free(text);
	json_t *saved = json_object_get(w, "van");
	const char *sbid = json_string_value(json_object_get(w, "boot_id"));
	int64_t smono = json_integer_value(json_object_get(w, "mono_ms"));
	int64_t sutc = json_integer_value(json_object_get(w, "utc_ms"));
	int64_t shift = 0;

	boot_id(bid, sizeof(bid));
	if (!saved) {
		log_warnx("store: saved session state unreadable (%s); starting idle", jerr.text);
		json_decref(w);
		return;
	}
	if (!sbid || strcmp(sbid, bid)) {
		/* rebooted: CLOCK_MONOTONIC restarted.  Map the saved instants by
		 * the UTC time that passed (best effort: the clock may be wrong) */
		int64_t elapsed = now->utc_ms - sutc;
		if (elapsed < 0)
			elapsed = 0;
		shift = now->mono_ms - elapsed - smono;
	}
	if (van_restore(a->van, saved, shift, now) < 0)
		log_warnx("store: saved session state rejected; starting idle");
	else
		log_info("restored the session state saved %lld s ago%s", (long long)((now->utc_ms - sutc) / 1000),
			 shift ? " (after a reboot)" : "");
	json_decref(w);
}

/* ---- the retained state snapshot ---- */

void vanio_publish_state(struct vanio *a)
{
	struct vtime now;
	json_t *s = vanio_snapshot(a, true);

	if (!s)
		return;
	clock_now(a->clock, &now);
	publisher_queue(a->pub, STORE_OUTBOX_STATE, EV_NORMAL, "state", s, true, 0, &now, true);
	a->state_dirty = false;
	if (a->ctl && ctl_watchers(a->ctl)) {
		json_t *m = json_pack("{s:s, s:o}", "event", "state", "state", vanio_snapshot(a, false));
		if (m)
			ctl_broadcast(a->ctl, m);
		json_decref(m);
	}
}

void vanio_heartbeat(struct vanio *a)
{
	if (a->ctl && ctl_watchers(a->ctl)) {
		json_t *m = json_pack("{s:s, s:o}", "event", "state", "state", vanio_snapshot(a, false));
		if (m)
			ctl_broadcast(a->ctl, m);
		json_decref(m);
	}
}

/* ---- events: the core's decisions, stored and sent ---- */

static void derived_records(struct vanio *a, const struct van_event *e)
{
	enum ev_type t = e->t;

	if (t == EV_T_SESSION_STARTED || t == EV_T_SESSION_EXTENDED || t == EV_T_SESSION_ENDED) {
		const struct ev_session_rec *r = &e->rec.session;
		char *summary = t == EV_T_SESSION_ENDED ? json_dumps(e->data, JSON_COMPACT) : NULL;
		struct store_session ss = {
			.id = e->session_id,
			.started_utc_ms = r->started_utc_ms,
			.ended_utc_ms = r->ended_utc_ms,
			.planned_end_utc_ms = r->planned_end_utc_ms,
			.crew = r->crew,
			.lone = r->lone,
			.plan = *r->plan ? r->plan : NULL,
			.summary_json = summary,
		};
		if (ss.id && store_session_upsert(a->st, &ss) < 0)
			log_warnx("store: session record not saved: %s", store_errmsg(a->st));
		free(summary);
	} else if (t == EV_T_STOP_STARTED || t == EV_T_STOP_ENDED) {
		const struct ev_stop_rec *r = &e->rec.stop;
		struct store_stop st = {
			.session_id = e->session_id,
			.arrived_utc_ms = r->arrived_utc_ms,
			.departed_utc_ms = r->departed_utc_ms,
			.lat = r->lat,
			.lon = r->lon,
			.name = *r->name ? r->name : NULL,
			.entries = r->entries,
			.peak = r->peak,
			.door_openings = r->door_openings,
		};
		if (t == EV_T_STOP_STARTED) {
			int64_t id = store_stop_add(a->st, &st);
			a->stop_row = id > 0 ? id : 0;
		} else if (a->stop_row > 0) {
			if (store_stop_update(a->st, a->stop_row, &st) < 0)
				log_warnx("store: stop record not updated: %s", store_errmsg(a->st));
			a->stop_row = 0;
		} else if (store_stop_add(a->st, &st) < 0) {
			log_warnx("store: stop record not saved: %s", store_errmsg(a->st));
		}
	}
}

static void set_us(json_t *o, const char *k, int64_t us)
{
	if (us > 0)
		json_object_set_new(o, k, json_integer(us));
}

/* The retained emergency topic: the active emergency, or inactive.  Only
 * the core's emergency object is built (the whole snapshot follows after
 * the events, vanio_publish_state), and nothing is stored before it goes. */
static void publish_emergency(struct vanio *a, const struct vtime *now)
{
	json_t *em = van_emergency_json(a->van, now, true);
	json_t *m = json_is_object(em) ? json_incref(em) : json_pack("{s:b}", "active", 0);
	struct em_stages *sg = &a->em_next;
	struct gpsfeed_pos pos;
	char buf[40];

	json_decref(em);
	if (!m)
		return;
	json_object_set_new(m, "v", json_integer(1));
	json_object_set_new(m, "unit", json_string(a->conf->unit.id));
	json_object_set_new(m, "time", json_string(fmt_utc(now->utc_ms, buf, sizeof(buf))));
	gpsfeed_pos(a->gps, &pos);
	if (pos.have && fix_usable(&pos.fix)) {
		json_object_set_new(m, "lat", json_real(pos.fix.lat));
		json_object_set_new(m, "lon", json_real(pos.fix.lon));
		json_object_set_new(m, "fix_age_s", json_real((now->mono_ms - pos.fix.mono_ms) / 1000.0));
	}
	json_t *tm = json_object_get(m, "timing");
	if (!sg->edge_us || !json_is_object(tm)) {
		/* raised by a command or a timer, or a later change: no input stages */
		publisher_queue(a->pub, STORE_OUTBOX_OTHER, EV_EMERGENCY, "emergency", m, true, 0, now, true);
		*sg = (struct em_stages){ 0 };
		return;
	}
	/* the first message of an input's emergency */
	set_us(tm, "edge_mono_us", sg->edge_us);
	set_us(tm, "read_mono_us", sg->read_us);
	set_us(tm, "decided_mono_us", sg->decided_us);
	sg->handed_us = mono_now_us();
	set_us(tm, "handed_mono_us", sg->handed_us);
	publisher_queue(a->pub, STORE_OUTBOX_OTHER, EV_EMERGENCY, "emergency", m, true, 0, now, true);
	sg->written_us = mono_now_us();
	/* Let the broker have the CPU now: woken by our write, it often waits
	 * on this CPU's queue behind the rest of this turn (the events' commit,
	 * the state), ~0.35 ms at Nice=-10; yielding halved the time from the
	 * write to base (bench/RESULTS.md, "Panic latency"). */
	sched_yield();
	a->em_last = *sg;
	*sg = (struct em_stages){ 0 };
}

static bool is_emergency_event(const struct van_event *e)
{
	return ev_type_is_emergency(e->t);
}

static void handle_event(struct vanio *a, const struct van_event *e, const struct vtime *now)
{
	char buf[40];
	char topic[256];
	json_t *msg = json_object();
	json_t *d = e->data;
	struct gpsfeed_pos pos;
	gpsfeed_pos(a->gps, &pos);
	bool has_pos = pos.have && fix_usable(&pos.fix) && !pos.stale;
	int64_t seq = store_next_seq(a->st);

	if (seq < 0) {
		log_warnx("store: no sequence number for event %s: %s", e->type, store_errmsg(a->st));
		seq = 0;
	}
	json_object_set_new(msg, "v", json_integer(1));
	json_object_set_new(msg, "seq", json_integer(seq));
	json_object_set_new(msg, "unit", json_string(a->conf->unit.id));
	json_object_set_new(msg, "type", json_string(e->type));
	json_object_set_new(msg, "time", json_string(fmt_utc(e->utc_ms, buf, sizeof(buf))));
	json_object_set_new(msg, "time_src", json_string(utc_src_name(now->utc_src)));
	json_object_set_new(msg, "prio", json_integer(e->prio));
	json_object_set_new(msg, "session", e->session_id ? json_integer(e->session_id) : json_null());
	if (has_pos)
		json_object_set_new(msg, "pos", json_pack("{s:f, s:f, s:f}", "lat", pos.fix.lat, "lon", pos.fix.lon,
							   "age_s", (now->mono_ms - pos.fix.mono_ms) / 1000.0));
	else
		json_object_set_new(msg, "pos", json_null());
	json_object_set(msg, "data", d);

	char *payload = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(10));
	char *data = json_dumps(d, JSON_COMPACT | JSON_REAL_PRECISION(10));
	publisher_topic(a->pub, "event", topic, sizeof(topic));
	struct stored_event se = {
		.seq = seq, .utc_ms = e->utc_ms, .utc_src = now->utc_src, .type = e->type, .prio = e->prio,
		.session_id = e->session_id, .has_pos = has_pos, .lat = pos.fix.lat, .lon = pos.fix.lon,
		.data_json = data, .incident = json_is_true(json_object_get(d, "incident")),
		.category = json_string_value(json_object_get(d, "category")),
	};
	int64_t outbox_row = 0;
	/* queued for base whenever MQTT is on, even before the uplink exists:
	 * the events of the start (a restored emergency's repeat, the inputs
	 * found active) were stored without an outbox row and never reached
	 * base (the system test's power cuts found it) */
	bool queue_it = a->conf->mqtt.enabled;
	int64_t row = payload && data ? store_add_event(a->st, &se, queue_it ? topic : NULL, payload, 1, false, &outbox_row)
				      : -ENOMEM;
	/* an emergency is stored even on a full disk (the reserve), so it is
	 * known after a restart and reaches base in order */
	while (row == -ENOSPC && ev_type_is_emergency(e->t) && e->t != EV_T_SELFTEST_PASSED &&
	       e->t != EV_T_SELFTEST_FAILED && publisher_reserve_release(a->pub, e->type))
		row = store_add_event(a->st, &se, queue_it ? topic : NULL, payload, 1, false, &outbox_row);
	if (row < 0) {
		a->events_unstored++;
		log_warnx("store: event %s (seq %lld) not stored: %s", e->type, (long long)seq,
			  row == -ENOMEM ? "out of memory" : store_errmsg(a->st));
		/* an urgent event must not wait for the disk (full): straight to
		 * base, without a sequence number (it was not taken: the next
		 * stored event gets it) and marked as not stored (docs/mqtt.md) */
		json_object_set_new(msg, "seq", json_null());
		json_object_set_new(msg, "stored", json_false());
		char *direct = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(10));
		if (direct && e->prio >= EV_URGENT && publisher_direct(a->pub, topic, direct, false) == 0)
			log_warnx("store: sent %s directly to base instead", e->type);
		free(direct);
	}
	json_decref(msg);
	free(payload);
	free(data);
	/* onto the wire now (an urgent one before anything else is written) */
	if (row > 0)
		publisher_kick(a->pub);
	if (e->prio >= EV_URGENT || se.incident)
		log_notice("event %s%s", e->type, se.incident ? " (incident)" : "");
	else
		log_debug("event %s", e->type);

	derived_records(a, e);
	if (is_emergency_event(e)) {
		if (e->t == EV_T_EMERGENCY_RAISED || e->t == EV_T_EMERGENCY_TEST) {
			/* now, after the durable commit (not the batch's start time) */
			van_emergency_timing(a->van, "stored", mono_now_ms());
			/* the outbox row that carries it: its broker confirmation is timed */
			if (outbox_row > 0)
				publisher_watch_emergency(a->pub, outbox_row);
		}
	}
	/* the crew's display sees what the crew may see: never a covert alarm */
	if (a->ctl && ctl_watchers(a->ctl) && !json_is_true(json_object_get(d, "covert"))) {
		json_t *m = json_pack("{s:s, s:s, s:O}", "event", "event", "type", e->type, "data", d);
		if (m)
			ctl_broadcast(a->ctl, m);
		json_decref(m);
	}
}

/* ---- outputs: patterns from what the core wants ---- */

static bool pattern_on(int kind, int64_t t)
{
	switch (kind) {
	case 1: return true;                    /* steady */
	case 2: return (t % 1000) < 500;        /* alarm: 1 Hz */
	case 3: return (t % 10000) < 250;       /* warning chirp every 10 s */
	default: return false;
	}
}

static void apply_outputs(struct vanio *a, int64_t now)
{
	int buzz = a->out.buzzer == VAN_BUZZ_CONTINUOUS ? 1 : a->out.buzzer == VAN_BUZZ_ALARM ? 2
		 : a->out.buzzer == VAN_BUZZ_SHORT ? 3 : 0;
	int light = a->out.alarm_light == VAN_LIGHT_ON ? 1 : a->out.alarm_light == VAN_LIGHT_BLINK ? 2 : 0;

	if (!a->gpio)
		return;
	/* alarm.cue: a crew may want a quieter "sent" cue than the full alarm */
	if (buzz == 2 && strcmp(a->conf->alarm.cue, "alarm"))
		buzz = 0;
	if (!strcmp(a->conf->alarm.cue, "none"))
		light = 0;
	gpio_set(a->gpio, GPIO_ROLE_OUT_ENTRY_LIGHT, a->out.entry_light_full);
	gpio_set(a->gpio, GPIO_ROLE_OUT_BUZZER, pattern_on(buzz, now));
	gpio_set(a->gpio, GPIO_ROLE_OUT_ALARM_LIGHT, pattern_on(light, now));
}

static int64_t out_cb(loop_t *l, void *arg)
{
	struct vanio *a = arg;
	apply_outputs(a, loop_now_ms(l));
	bool patterned = a->out.buzzer == VAN_BUZZ_ALARM || a->out.buzzer == VAN_BUZZ_SHORT ||
			 a->out.alarm_light == VAN_LIGHT_BLINK;
	if (!patterned)
		a->out_timer = 0;
	return patterned ? OUT_TICK_MS : LOOP_TIMER_STOP;
}

/* ---- the core's clock ---- */

/* The core's deadlines, as a source of the loop: asked before every sleep,
 * so nothing here re-arms a timer after a call into the core. */
static int64_t van_deadline(void *arg)
{
	struct vanio *a = arg;
	int64_t d = a->van ? van_next_deadline(a->van) : VAN_NEVER;
	return d == VAN_NEVER ? -1 : d;
}

static void van_due(loop_t *l, void *arg)
{
	struct vanio *a = arg;
	struct vtime now;
	(void)l;
	clock_now(a->clock, &now);
	van_tick(a->van, &now);
	vanio_after(a);
}

/* A session started with the button follows session.button_plan. */
static void start_button_plan(struct vanio *a, const struct vtime *now)
{
	struct plan_def *def = calloc(1, sizeof(*def));
	struct plan_errs errs = { 0 };
	const char *why = NULL;
	const char *name = a->conf->session.button_plan;

	if (!def)
		return;
	if (planfile_load_named(a->conf->session.plans_dir, name, def, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("plan: %s", errs.v[i]);
		log_warnx("plan: session.button_plan '%s' cannot be used; the session runs without a plan", name);
	} else if (van_plan_start(a->van, def, planfile_tz(now->utc_ms), now, &why) < 0) {
		log_warnx("plan: %s not followed: %s", name, why);
	}
	plan_errs_free(&errs);
	free(def);
}

/* A step of the reference clock is recorded as an event (docs/time.md). */
static void clock_steps(struct vanio *a)
{
	struct clock_step s;
	char when[40];

	if (!clock_take_step(a->clock, &s))
		return;
	const char *why = s.from != s.to ? (s.to == UTC_SRC_SYSTEM_SYNCED ? "system clock synchronised"
					    : s.to == UTC_SRC_GPS		 ? "GPS time believed"
										 : "no synchronised clock")
			  : s.to == UTC_SRC_GPS ? "GPS time changed" : "system clock stepped";
	log_notice("clock: %s: the reference stepped by %+.3f s (%s -> %s) to %s", why, s.step_ms / 1000.0,
		   utc_src_name(s.from), utc_src_name(s.to), fmt_utc(s.utc_ms, when, sizeof(when)));
	struct vtime at = { .mono_ms = s.mono_ms, .utc_ms = s.utc_ms, .utc_src = s.to };
	if (van_clock_step(a->van, s.from, s.to, s.step_ms, why, &at) < 0)
		log_warnx("clock: the step could not be recorded (out of memory)");
}

void vanio_after(struct vanio *a)
{
	struct evq *q = van_evq(a->van);
	struct vtime now;
	struct van_outputs o;

	clock_now(a->clock, &now);
	clock_steps(a);
	while (q->n) {
		bool button_plan = false;
		/* The alarm first: the retained emergency goes to base live, before
		 * the events are committed to disk (an fsync each) and sent as the
		 * durable record.  It is the core's current emergency, the same
		 * whichever event of the batch changed it. */
		bool em = false;
		for (size_t i = 0; i < q->n; i++) {
			if (is_emergency_event(&q->v[i])) {
				publish_emergency(a, &now);
				em = true;
				break;
			}
		}
		/* the state first, then the events: each event's durable commit
		 * makes the state before it durable too, so after a power cut the
		 * restored state is never older than the stored events (it was: a
		 * cleared emergency came back as active) */
		save(a, &now, em);
		for (size_t i = 0; i < q->n; i++) {
			const struct van_event *e = &q->v[i];
			if (e->t == EV_T_POWER_FAILING) {
				/* the power is going: the route in memory goes to disk now,
				 * not at the next flush (a power cut loses what is not) */
				if (store_pending_points(a->st) && store_flush(a->st) < 0)
					log_warnx("store: route points not saved before the power goes: %s",
						  store_errmsg(a->st));
				log_notice("power: the power_fail input is active: the van powers down on purpose");
			}
			handle_event(a, e, &now);
			button_plan |= e->t == EV_T_SESSION_STARTED && a->conf->session.button_plan &&
				       !strcmp(json_string_value(json_object_get(e->data, "source")) ?: "", "button");
		}
		evq_clear(q);
		a->state_dirty = true;
		if (button_plan)
			start_button_plan(a, &now);  /* its events go round the loop again */
	}
	van_outputs(a->van, &now, &o);
	/* field by field: the struct has padding */
	if (o.entry_light_full != a->out.entry_light_full || o.buzzer != a->out.buzzer ||
	    o.alarm_light != a->out.alarm_light) {
		a->out = o;
		a->state_dirty = true;
		apply_outputs(a, now.mono_ms);
		if (!a->out_timer)
			a->out_timer = loop_add_timer(a->loop, OUT_TICK_MS, out_cb, a);
	}
	if (a->state_dirty)
		vanio_publish_state(a);
	if (a->em_last.written_us && !a->em_last.done_us)
		a->em_last.done_us = mono_now_us();
}

void vanio_fix(struct vanio *a, const struct fix *f)
{
	struct vtime now;

	if (!a->van)
		return;
	clock_now(a->clock, &now);
	if (!f)
		van_fix_lost(a->van, &now);
	else
		van_fix(a->van, f, &now);
	vanio_after(a);
}

/* The core raises the rate while an emergency is active. */
void vanio_position(struct vanio *a, const struct fix *f, const struct vtime *now)
{
	int64_t interval = a->van ? van_location_interval_ms(a->van) : (int64_t)a->conf->mqtt.location_interval_s * 1000;
	publisher_location(a->pub, f, now, interval);
}

int64_t vanio_session_id(const struct vanio *a)
{
	return a->van ? van_session_id(a->van) : 0;
}

void vanio_selftest(struct vanio *a)
{
	struct vtime now;
	const char *why = NULL;

	clock_now(a->clock, &now);
	if (van_selftest_start(a->van, VAN_SRC_AUTO, &now, &why) < 0)
		log_info("scheduled self-test skipped: %s", why ? why : "busy");
	else
		log_info("scheduled self-test of the panic path started");
	vanio_after(a);
}

int64_t vanio_reload(struct vanio *a)
{
	/* the rate the core keeps (it raises it during an emergency) */
	van_set_location_intervals(a->van, a->conf->mqtt.location_interval_s,
				   a->conf->mqtt.emergency_location_interval_s);
	return van_location_interval_ms(a->van);
}

/* ---- GPIO ---- */

/* An input's emergency: its stages up to the core's decision, for the
 * retained emergency's timing (publish_emergency). */
static void note_decided(struct vanio *a, const struct gpio_event *ev, size_t before, int64_t read_us)
{
	const struct evq *q = van_evq(a->van);

	if (a->em_next.decided_us)
		return;
	for (size_t k = before; k < q->n; k++)
		if (q->v[k].t == EV_T_EMERGENCY_RAISED) {
			a->em_next = (struct em_stages){ .edge_us = ev->ts_us, .read_us = read_us,
							 .decided_us = mono_now_us() };
			return;
		}
}

static void gpio_deliver(struct vanio *a, const struct gpio_event *ev, int n, int64_t read_us)
{
	struct vtime now;

	clock_now(a->clock, &now);
	for (int i = 0; i < n; i++) {
		const struct gpio_line_conf *lc = &a->conf->gpio.lines[ev[i].line];
		struct van_input in = { .line = ev[i].line, .active = ev[i].active, .covert = lc->covert,
					.edge_mono_ms = ev[i].ts_ms };
		if (!role_to_van(ev[i].role, &in.role))
			continue;
		log_debug("input %s (%s) %s", lc->name, gpio_role_name(ev[i].role), ev[i].active ? "active" : "inactive");
		size_t before = van_evq(a->van)->n;
		van_input(a->van, &in, &now);
		note_decided(a, &ev[i], before, read_us);
	}
	vanio_after(a);
}

static void gpio_fd_cb(loop_t *l, int fd, short revents, void *arg)
{
	struct vanio *a = arg;
	struct gpio_event ev[32];
	int64_t read_us = mono_now_us();
	(void)revents;
	int n = gpio_read(a->gpio, fd, loop_now_ms(l), ev, 32);
	if (n < 0) {
		errno = -n;
		log_warn("gpio: reading input events failed");
	} else if (n > 0) {
		gpio_deliver(a, ev, n, read_us);
	}
}

/* The lines' debounce, hold and scripted deadlines: a source of the loop
 * (an injection by the `sim` command is seen before the loop sleeps). */
static int64_t gpio_due_at(void *arg)
{
	struct vanio *a = arg;
	return a->gpio ? gpio_deadline(a->gpio) : -1;
}

static void gpio_due(loop_t *l, void *arg)
{
	struct vanio *a = arg;
	struct gpio_event ev[32];
	int64_t read_us = mono_now_us();
	int n = gpio_service(a->gpio, loop_now_ms(l), ev, 32);
	if (n > 0)
		gpio_deliver(a, ev, n, read_us);
}

static int open_gpio(struct vanio *a, char *err, size_t errlen)
{
	struct vtime now;
	int rc;

	if (a->conf->gpio.backend == GPIO_BACKEND_NONE)
		return 0;
	if (!(a->gpio = gpio_open(&a->conf->gpio, loop_now_ms(a->loop), err, errlen)))
		return -errno;
	a->ngpio_fds = gpio_fds(a->gpio, a->gpio_fds, APP_MAX_GPIO_FDS);
	for (size_t i = 0; i < a->ngpio_fds; i++)
		if ((rc = loop_add_fd(a->loop, a->gpio_fds[i], POLLIN, gpio_fd_cb, a)) < 0) {
			snprintf(err, errlen, "gpio: cannot watch input events: %s", strerror(-rc));
			return rc;
		}
	/* the levels at start-up: a door already open, a panic held at boot */
	clock_now(a->clock, &now);
	for (size_t i = 0; i < a->conf->gpio.nlines; i++) {
		const struct gpio_line_conf *lc = &a->conf->gpio.lines[i];
		struct van_input in = { .line = i, .covert = lc->covert, .edge_mono_ms = now.mono_ms };
		if (!role_to_van(lc->role, &in.role) || gpio_get(a->gpio, i, &in.active) < 0)
			continue;
		if (in.active)
			log_info("input %s (%s) is active at start-up", lc->name, gpio_role_name(lc->role));
		van_initial_input(a->van, &in, &now);
	}
	return 0;
}

/* ---- the computer's own health (core/health.h) ---- */

static int64_t health_cb(loop_t *l, void *arg)
{
	struct vanio *a = arg;
	struct health_reading r;
	struct vtime now;
	char err[160] = "";
	(void)l;

	if (health_read(a->conf->health.throttled_file, a->conf->health.temp_file, &r, err, sizeof(err)) < 0) {
		if (strcmp(err, a->health_err))
			log_warnx("health: %s", err);
	} else if (a->health_err[0]) {
		log_info("health: readable again");
	}
	snprintf(a->health_err, sizeof(a->health_err), "%s", err);
	/* the state goes out when a flag changed, not for every tenth of a degree */
	const uint32_t shown = HEALTH_UNDERVOLT_NOW | HEALTH_FREQ_CAPPED_NOW | HEALTH_THROTTLED_NOW |
			       HEALTH_TEMP_LIMIT_NOW | HEALTH_UNDERVOLT_SEEN | HEALTH_THROTTLED_SEEN |
			       HEALTH_FREQ_CAPPED_SEEN;
	const struct health_reading *p = &a->health_last;
	if (r.have_flags != p->have_flags || r.have_temp != p->have_temp || ((r.flags ^ p->flags) & shown))
		a->state_dirty = true;
	if (r.have_flags && (r.flags & HEALTH_UNDERVOLT_NOW) && !(p->have_flags && (p->flags & HEALTH_UNDERVOLT_NOW)))
		log_warnx("health: under-voltage now (the supply dipped: SD-card writes are at risk)");
	a->health_last = r;
	clock_now(a->clock, &now);
	van_health(a->van, &r, &now);
	vanio_after(a);
	return (int64_t)a->conf->health.interval_s * 1000;
}

/* ---- life cycle ---- */

struct vanio *vanio_new(const struct conf *c, loop_t *l, store_t *st, struct clock_ref *clock,
			struct publisher *pub, char *err, size_t errlen)
{
	struct van_params p;
	struct vtime now;
	const char *why = NULL;
	struct vanio *a = calloc(1, sizeof(*a));
	int rc = -ENOMEM;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->conf = c;
	a->loop = l;
	a->st = st;
	a->clock = clock;
	a->pub = pub;
	conf_van_params(a->conf, &p);
	if (van_params_check(&p, &why) < 0) {
		/* conf_check ran the same check with FILE:LINE: not reached */
		snprintf(err, errlen, "%s: %s", a->conf->report.path ? a->conf->report.path : "config", why);
		rc = -EINVAL;
		goto fail;
	}
	a->van = van_new(&p);
	if (!a->van) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	clock_now(a->clock, &now);
	restore(a, &now);
	if ((rc = open_gpio(a, err, errlen)) < 0)
		goto fail;
	if ((a->van_src = loop_add_source(a->loop, van_deadline, van_due, a)) < 0 ||
	    (a->gpio_src = loop_add_source(a->loop, gpio_due_at, gpio_due, a)) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	if (a->conf->health.interval_s > 0)
		a->health_timer = loop_add_timer(a->loop, 0, health_cb, a);
	vanio_after(a);
	return a;
fail:
	vanio_free(a);
	errno = -rc;
	return NULL;
}

void vanio_free(struct vanio *a)
{
	if (!a)
		return;
	if (a->health_timer)
		loop_del_timer(a->loop, a->health_timer);
	loop_del_source(a->loop, a->van_src);
	loop_del_source(a->loop, a->gpio_src);
	for (size_t i = 0; i < a->ngpio_fds; i++)
		loop_del_fd(a->loop, a->gpio_fds[i]);
	if (a->out_timer)
		loop_del_timer(a->loop, a->out_timer);
	gpio_close(a->gpio);
	van_free(a->van);
	free(a);
}

void vanio_set_gps(struct vanio *a, const struct gpsfeed *g)
{
	a->gps = g;
}

void vanio_set_ctl(struct vanio *a, ctl_t *ctl)
{
	a->ctl = ctl;
}

van_t *vanio_core(struct vanio *a)
{
	return a->van;
}

gpio_t *vanio_gpio(struct vanio *a)
{
	return a->gpio;
}

const uint64_t *vanio_events_unstored(const struct vanio *a)
{
	return &a->events_unstored;
}

json_t *vanio_snapshot(struct vanio *a, bool for_base)
{
	struct vtime now;
	json_t *s;
	char buf[40];

	clock_now(a->clock, &now);
	s = a->van ? van_state_json(a->van, &now, for_base) : json_object();
	if (!s)
		return NULL;
	json_object_set_new(s, "v", json_integer(1));
	json_object_set_new(s, "unit", json_string(a->conf->unit.id));
	json_object_set_new(s, "name", json_string(a->conf->unit.name ? a->conf->unit.name : a->conf->unit.id));
	json_object_set_new(s, "time", json_string(fmt_utc(now.utc_ms, buf, sizeof(buf))));
	if (!for_base && a->em_last.written_us) {
		/* the panic path of the last input's emergency, stage by stage */
		const struct em_stages *g = &a->em_last;
		json_object_set_new(s, "panic_path_us",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "edge", (json_int_t)g->edge_us, "read",
					      (json_int_t)g->read_us, "decided", (json_int_t)g->decided_us, "handed",
					      (json_int_t)g->handed_us, "written", (json_int_t)g->written_us, "done",
					      (json_int_t)g->done_us));
	}
	json_object_set_new(s, "time_src", json_string(utc_src_name(now.utc_src)));
	json_object_set_new(s, "gps", gpsfeed_json(a->gps, &now));
	json_object_set_new(s, "link", publisher_link_json(a->pub, &now));
	json_object_set_new(s, "storage", publisher_storage_json(a->pub));
	json_object_set_new(s, "version", json_string(VAN_VERSION));
	if (a->gpio) {
		/* what the output lines really show now (alarm.cue applied), for tests and service */
		static const struct { const char *name; enum gpio_role role; } outs[] = {
			{ "entry_light", GPIO_ROLE_OUT_ENTRY_LIGHT }, { "buzzer", GPIO_ROLE_OUT_BUZZER },
			{ "alarm_light", GPIO_ROLE_OUT_ALARM_LIGHT },
		};
		json_t *hw = json_object();
		for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
			bool on;
			if (gpio_get_output(a->gpio, outs[i].role, &on) == 0)
				json_object_set_new(hw, outs[i].name, json_boolean(on));
		}
		json_object_set_new(s, "output_lines", hw);
	}
	return s;
}

void vanio_emergency_delivered(struct vanio *a, int64_t mono_ms)
{
	van_emergency_timing(a->van, "broker", mono_ms);
	vanio_after(a);
}

/* ---- agreeing with base about the emergency ---- */

struct cleared_find {
	int64_t id;
	bool found;
};

static int cleared_cb(void *ctx, int64_t id, const struct stored_event *e, const char *payload)
{
	struct cleared_find *f = ctx;
	json_t *d = json_loads(e->data_json ? e->data_json : "{}", 0, NULL);
	(void)id;
	(void)payload;
	if (json_integer_value(json_object_get(d, "id")) == f->id)
		f->found = true;
	json_decref(d);
	return f->found ? 1 : 0;
}

/* Did this van record clearing emergency id? */
static bool cleared_here(struct vanio *a, int64_t id)
{
	struct cleared_find f = { id, false };
	struct store_event_filter flt = { .session_id = -1, .from_utc_ms = id, .to_utc_ms = INT64_MAX,
					  .type = "emergency.cleared" };
	store_events_foreach(a->st, &flt, cleared_cb, &f);
	return f.found;
}

/*
 * The broker's retained emergency for this van, after each connection.  The
 * retained topic goes out before the event is stored (docs/mqtt.md, "The
 * alarm first"): a van stopped in between (a crash, a power cut) has no
 * record of an emergency base holds as active.  Agree with base:
 *   - both the same (or both none): nothing;
 *   - the van has one, base another or none: publish the van's;
 *   - base has one the van recorded clearing: publish "cleared" again;
 *   - base has one the van has no record of: take it back (the crew sees
 *     it and clears it deliberately; base must not be told it is over when
 *     nobody in the van said so).
 */
void vanio_retained_emergency(struct vanio *a, const char *payload, size_t len)
{
	struct vtime now;
	json_error_t jerr;
	json_t *m = json_loadb(payload, len, 0, &jerr);
	int64_t mine = a->van ? van_emergency_id(a->van) : 0;
	bool active = json_is_true(json_object_get(m, "active"));
	int64_t id = json_integer_value(json_object_get(m, "id"));

	clock_now(a->clock, &now);
	if (!a->van || (!json_is_object(m) && len > 0)) {
		log_warnx("emergency: base's retained emergency is not JSON (%s); publishing the van's", jerr.text);
		if (a->van)
			publish_emergency(a, &now);
		json_decref(m);
		return;
	}
	if (!active || id <= 0) {
		if (mine) {
			log_notice("emergency: base holds no active emergency, the van has %lld: publishing it",
				   (long long)mine);
			publish_emergency(a, &now);
		}
	} else if (mine == id) {
		log_debug("emergency: base and van agree on emergency %lld", (long long)id);
	} else if (mine) {
		log_notice("emergency: base holds emergency %lld, the van has %lld: publishing the van's",
			   (long long)id, (long long)mine);
		publish_emergency(a, &now);
	} else if (cleared_here(a, id)) {
		log_notice("emergency: base still holds emergency %lld, which the crew cleared: telling base again",
			   (long long)id);
		publish_emergency(a, &now);
	} else {
		struct emergency_seen seen = { .id = id,
			.covert = json_is_true(json_object_get(m, "covert")),
			.acked = json_is_true(json_object_get(m, "acknowledged")),
			.presses = (int)json_integer_value(json_object_get(m, "presses")) };
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *by = json_string_value(json_object_get(m, "acked_by"));
		const char *why = NULL;
		snprintf(seen.source, sizeof(seen.source), "%s", src ? src : "");
		snprintf(seen.acked_by, sizeof(seen.acked_by), "%s", by ? by : "");
		if (van_emergency_adopt(a->van, &seen, &now, &why) == 0)
			log_warnx("emergency: base holds emergency %lld as active and the van had no record of it "
				  "(stopped before storing it): restored; the crew clears it when safe", (long long)id);
		else
			log_warnx("emergency: base's emergency %lld not restored: %s", (long long)id, why ? why : "?");
		vanio_after(a);
	}
	json_decref(m);
}
