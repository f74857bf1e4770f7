/*
 * vbd.c - the vanbase daemon's shell.  See vbd.h.
 */
#include "vbd.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <mosquitto.h>
#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "mqttlink.h"
#include "vbroster.h"
#include "vbstore.h"

#define VBD_PAYLOAD_MAX (256 * 1024)   /* a van's message larger than this is refused */

struct vbd {
	struct vbconf *conf;
	loop_t *loop;
	vbstore_t *st;
	vb_t *core;                   /* every decision (core/vbcore.h) */
	struct vbroster roster;       /* the people and channels it was given */
	struct notify *notify;        /* the channels (notify/notify.h) */
	int64_t core_timer;           /* at the core's next deadline */
	mqttlink_t *link;
	struct mosquitto *mosq;
	ctl_t *ctl;
	char topic[256];
	int64_t wd_timer, purge_timer;
	int64_t hb_timer;             /* the alarm list again, every mqtt.heartbeat */
	struct notify *retiring;      /* the channels before a reload, until their sends end */
	struct sent *sending;         /* sends whose result has not come */
	unsigned long long refused;   /* van messages refused (bad topic, size, JSON) */
	bool warned_refused;
};

static const char *own_topic(struct vbd *d, const char *sub)
{
	snprintf(d->topic, sizeof(d->topic), "%s/%s", d->conf->mqtt.prefix, sub);
	return d->topic;
}

/* ---- what base sees: the alarm list, retained ---- */

/* The list carries base's time and the heartbeat interval: published again
 * every heartbeat (hb_cb), it is the consoles' proof that vanbase's loop
 * runs.  A hung vanbase (SIGSTOP, a stuck disk) keeps its connection and
 * its "online" until the broker's keepalive runs out; its list stops
 * coming at once.  A console judges by when it received the list, never
 * by "utc" (its clock is not base's): docs/escalation.md, "Heartbeat". */
static void publish_alarms(struct vbd *d)
{
	json_t *msg = vb_alarms_json(d->core);
	if (!msg) {
		log_warnx("vanbase: out of memory building the alarm list");
		return;
	}
	json_object_set_new(msg, "vanbase", json_string(d->conf->base.name));
	json_object_set_new(msg, "utc", json_integer((json_int_t)wall_now_ms()));
	json_object_set_new(msg, "heartbeat_s", json_integer(d->conf->mqtt.heartbeat_s));
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text && mqttlink_connected(d->link)) {
		mosquitto_publish_v5(d->mosq, NULL, own_topic(d, "alarms"), (int)strlen(text), text, 1, true, NULL);
		mqttlink_flush(d->link);
	}
	free(text);
}

/* ---- base's time, and the core's decisions ---- */

static struct vb_time base_now(void)
{
	struct vb_time t = { .utc_ms = wall_now_ms() };
	time_t sec = (time_t)(t.utc_ms / 1000);
	struct tm tm;
	localtime_r(&sec, &tm);
	/* minutes since Monday 00:00, local time (tm_wday: 0 = Sunday) */
	t.local_mow = ((tm.tm_wday + 6) % 7) * 1440 + tm.tm_hour * 60 + tm.tm_min;
	return t;
}

static void arm_core_timer(struct vbd *d);

/* The channels' id rule (1-64 of [A-Za-z0-9._-]) for the core's ids
 * ("ALARM/r0s1/CONTACT/CHANNEL", up to 159 bytes): '/' becomes '.', and a
 * longer one becomes "n" and its 64-bit FNV-1a hash, the same at every
 * restart, so a receiver still drops a repeat. */
static void channel_id(const char *core_id, char *out, size_t n)
{
	size_t len = strlen(core_id);
	if (len <= 64) {
		snprintf(out, n, "%s", core_id);
		for (char *p = out; *p; p++)
			if (*p == '/')
				*p = '.';
		return;
	}
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = core_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(out, n, "n%016llx", (unsigned long long)h);
}

struct sent {
	struct vbd *d;
	struct sent *prev, *next;      /* in d->sending: freed at the end even if never answered */
	char nid[VB_NID_MAX];          /* the core's id */
	char alarm[VB_ID_MAX];
	char contact[VB_NAME_MAX], channel[VB_NAME_MAX], kind[16];
	int64_t decided;
};

static void drain(struct vbd *d);

static void sending_del(struct vbd *d, struct sent *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		d->sending = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static void on_sent(const struct notify_result *res, void *arg)
{
	struct sent *s = arg;
	struct vbd *d = s->d;
	char detail[200];
	struct vb_time now = base_now();

	if (res->kind == NOTIFY_EMAIL && res->code)
		snprintf(detail, sizeof(detail), "SMTP %d%s%s", res->code, res->ok ? "" : ": ", res->error);
	else if (res->kind == NOTIFY_WEBHOOK && res->code)
		snprintf(detail, sizeof(detail), "HTTP %d%s%s", res->code, res->ok ? "" : ": ", res->error);
	else if (res->kind == NOTIFY_COMMAND)
		snprintf(detail, sizeof(detail), "exit %d%s%s", res->code, res->ok ? "" : ": ", res->error);
	else
		snprintf(detail, sizeof(detail), "%s", res->ok ? "sent" : res->error);
	const struct vbstore_notification n = {
		.id = s->nid, .alarm_id = s->alarm, .contact = s->contact, .channel = s->channel, .kind = s->kind,
		.state = res->ok ? "sent" : "failed", .attempts = res->attempts, .result = detail,
		.decided_utc_ms = s->decided, .done_utc_ms = now.utc_ms,
	};
	if (vbstore_notification_put(d->st, &n) < 0)
		log_warnx("vanbase: %s", vbstore_errmsg(d->st));
	log_info("vanbase: notification %s to %s on %s: %s after %d attempt(s), %lld ms", s->nid, s->contact,
		 s->channel, res->ok ? "delivered" : "FAILED", res->attempts, (long long)res->elapsed_ms);
	vb_notified(d->core, &now, s->nid, res->ok, detail);
	sending_del(d, s);
	free(s);
	drain(d);
}

static void send_one(struct vbd *d, const struct vb_notify *n)
{
	char cid[80], subject[160], text[VB_TEXT_MAX + 120], link[512] = "";
	const char *unit = *n->unit ? n->unit : "(base drill)";

	if (!notify_has_channel(d->notify, n->channel)) {
		log_warnx("vanbase: notification %s: no channel %s", n->id, n->channel);
		vb_notified(d->core, &(struct vb_time){ .utc_ms = n->at }, n->id, false, "no such channel");
		return;
	}
	channel_id(n->id, cid, sizeof(cid));
	snprintf(subject, sizeof(subject), "%s%s: %s, van %s", n->drill ? "DRILL " : "",
		 n->msg == VB_MSG_ALL_CLEAR ? "All clear" : "ALARM",
		 n->covert ? "covert emergency" : vb_kind_name(n->kind), unit);
	snprintf(text, sizeof(text), "%s", n->text);
	if (d->conf->console.url)
		snprintf(link, sizeof(link), "%s#van=%s&alarm=%s", d->conf->console.url, n->unit, n->alarm_id);
	const struct notify_req req = {
		.id = cid,
		.alarm_id = n->alarm_id,
		.kind = n->drill ? NOTIFY_MSG_DRILL : n->msg == VB_MSG_RAISE ? NOTIFY_MSG_RAISE :
			n->msg == VB_MSG_REPEAT ? NOTIFY_MSG_REPEAT : NOTIFY_MSG_ALL_CLEAR,
		.subject = subject,
		.text = text,
		.has_pos = n->position,
		.lat = n->lat,
		.lon = n->lon,
		.link = *link ? link : NULL,
		.to = vbroster_to(&d->roster, n->contact, n->channel),
	};
	struct sent *s = calloc(1, sizeof(*s));
	if (!s) {
		log_warnx("vanbase: out of memory: notification %s not sent", n->id);
		return;
	}
	s->d = d;
	snprintf(s->nid, sizeof(s->nid), "%s", n->id);
	snprintf(s->alarm, sizeof(s->alarm), "%s", n->alarm_id);
	snprintf(s->contact, sizeof(s->contact), "%s", n->contact);
	snprintf(s->channel, sizeof(s->channel), "%s", n->channel);
	snprintf(s->kind, sizeof(s->kind), "%s", vb_msg_name(n->msg, n->drill));
	s->decided = n->at;
	if (notify_send(d->notify, n->channel, &req, on_sent, s) < 0) {
		log_warnx("vanbase: notification %s on %s could not start", n->id, n->channel);
		free(s);
		return;
	}
	s->next = d->sending;
	if (s->next)
		s->next->prev = s;
	d->sending = s;
}

/* A decided notification as stored until it is sent (a restart sends it). */
static char *request_json(const struct vb_notify *n)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:i,s:b,s:f,s:f,s:s,s:I}",
			      "id", n->id, "alarm", n->alarm_id, "unit", n->unit, "kind", vb_kind_name(n->kind),
			      "msg", vb_msg_name(n->msg, false), "contact", n->contact, "channel", n->channel,
			      "drill", n->drill, "covert", n->covert, "round", n->round, "step", n->step,
			      "position", n->position, "lat", n->position ? n->lat : 0.0,
			      "lon", n->position ? n->lon : 0.0, "text", n->text, "at", (json_int_t)n->at);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return text;
}

static bool request_parse(const json_t *j, struct vb_notify *n)
{
	const char *msg = json_string_value(json_object_get(j, "msg"));
	int kind = vb_kind_of(json_string_value(json_object_get(j, "kind")));
	memset(n, 0, sizeof(*n));
	if (!msg || kind < 0)
		return false;
	vb_copy(n->id, sizeof(n->id), json_string_value(json_object_get(j, "id")));
	vb_copy(n->alarm_id, sizeof(n->alarm_id), json_string_value(json_object_get(j, "alarm")));
	vb_copy(n->unit, sizeof(n->unit), json_string_value(json_object_get(j, "unit")));
	vb_copy(n->contact, sizeof(n->contact), json_string_value(json_object_get(j, "contact")));
	vb_copy(n->channel, sizeof(n->channel), json_string_value(json_object_get(j, "channel")));
	vb_copy(n->text, sizeof(n->text), json_string_value(json_object_get(j, "text")));
	n->kind = (enum vb_kind)kind;
	n->msg = !strcmp(msg, "all_clear") ? VB_MSG_ALL_CLEAR : !strcmp(msg, "repeat") ? VB_MSG_REPEAT : VB_MSG_RAISE;
	n->drill = json_is_true(json_object_get(j, "drill"));
	n->covert = json_is_true(json_object_get(j, "covert"));
	n->round = (int)json_integer_value(json_object_get(j, "round"));
	n->step = (int)json_integer_value(json_object_get(j, "step"));
	n->position = json_is_true(json_object_get(j, "position"));
	n->lat = json_number_value(json_object_get(j, "lat"));
	n->lon = json_number_value(json_object_get(j, "lon"));
	n->at = json_integer_value(json_object_get(j, "at"));
	return *n->id && *n->contact && *n->channel;
}

/* Notifications decided before a stop (or a SIGKILL) and never sent: again,
 * with the same ids (a receiver drops a repeat). */
static void resend_pending(struct vbd *d)
{
	json_t *rows = vbstore_pending(d->st);
	size_t i;
	json_t *row;
	struct vb_notify n;

	if (!rows) {
		log_warnx("vanbase: %s", vbstore_errmsg(d->st));
		return;
	}
	if (json_array_size(rows))
		log_notice("vanbase: %zu notification(s) decided before the restart were not sent; sending them now",
			   json_array_size(rows));
	json_array_foreach(rows, i, row) {
		if (request_parse(json_object_get(row, "request"), &n))
			send_one(d, &n);
		else
			log_warnx("vanbase: pending notification %s cannot be read back; not sent",
				  json_string_value(json_object_get(row, "id")));
	}
	json_decref(rows);
}

static void store_alarm(struct vbd *d, const char *id)
{
	const struct vb_alarm *a = vb_alarm_get(d->core, id);
	if (!a)
		return;
	json_t *j = vb_alarm_json(a);
	char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	const struct vbstore_alarm row = {
		.id = a->id, .unit = a->unit, .kind = vb_kind_name(a->kind),
		.state = vb_state_name(vb_alarm_state(a)), .covert = a->covert, .drill = a->drill,
		.raised_utc_ms = a->raised_at, .acked_utc_ms = a->acked ? a->acked_at : 0,
		.acked_by = a->acked ? a->acked_by : NULL, .acked_how = a->acked ? a->acked_how : NULL,
		.resolved_utc_ms = a->resolved ? a->resolved_at : 0, .resolved_how = a->resolved ? a->resolved_why : NULL,
		.closed_utc_ms = a->closed ? a->closed_at : 0, .note = a->closed && *a->note ? a->note : NULL,
		.detail = detail,
	};
	if (vbstore_alarm_put(d->st, &row) < 0)
		log_warnx("vanbase: %s", vbstore_errmsg(d->st));
	free(detail);
}

/* After every call into the core: its decisions, in order.  The records
 * and the core's saved state go to the database in one transaction first
 * (a SIGKILL then loses no decision and repeats none), then the
 * notifications go to the channels and the alarm list to the consoles. */
static void drain(struct vbd *d)
{
	struct vb_outq *q = vb_outq(d->core);
	bool audit = false;

	if (q->n) {
		json_t *save = vb_save(d->core);
		char *text = save ? json_dumps(save, JSON_COMPACT) : NULL;
		json_decref(save);
		bool tx = vbstore_begin(d->st) == 0;
		for (size_t i = 0; i < q->n; i++) {
			const struct vb_out *o = &q->v[i];
			if (o->kind == VB_OUT_NOTIFY) {
				const struct vb_notify *n = &o->u.n;
				char *req = request_json(n);
				const struct vbstore_notification row = {
					.id = n->id, .alarm_id = n->alarm_id, .contact = n->contact,
					.channel = n->channel, .kind = vb_msg_name(n->msg, n->drill), .state = "pending",
					.decided_utc_ms = n->at, .request = req,
				};
				vbstore_notification_put(d->st, &row);
				free(req);
			} else {
				const struct vb_audit *a = &o->u.a;
				vbstore_audit(d->st, a->alarm_id, a->at, vb_audit_name(a->what), *a->by ? a->by : NULL,
					      *a->detail ? a->detail : *a->notify_id ? a->notify_id : NULL);
				if (vb_alarm_get(d->core, a->alarm_id))
					store_alarm(d, a->alarm_id);
				else if (a->what == VB_AU_CLOSED &&
					 vbstore_alarm_close(d->st, a->alarm_id, a->at, a->by, a->detail) < 0)
					log_warnx("vanbase: %s", vbstore_errmsg(d->st));
				if (a->what == VB_AU_RAISED || a->what == VB_AU_ACKED || a->what == VB_AU_RESOLVED ||
				    a->what == VB_AU_CLOSED)
					log_notice("vanbase: alarm %s (%s, van %s) %s%s%s", a->alarm_id,
						   vb_kind_name(a->kind), *a->unit ? a->unit : "-", vb_audit_name(a->what),
						   *a->by ? " by " : "", a->by);
				audit = true;
			}
		}
		if (text)
			vbstore_kv_set(d->st, "core", text);
		free(text);
		if (tx && vbstore_commit(d->st) < 0) {
			log_warnx("vanbase: the decisions could not be stored: %s (they are sent anyway)",
				  vbstore_errmsg(d->st));
			vbstore_rollback(d->st);
		}
		for (size_t i = 0; i < q->n; i++)
			if (q->v[i].kind == VB_OUT_NOTIFY)
				send_one(d, &q->v[i].u.n);
		vb_outq_clear(q);
	}
	if (audit)
		publish_alarms(d);
	arm_core_timer(d);
}

static int64_t core_cb(loop_t *l, void *arg)
{
	struct vbd *d = arg;
	struct vb_time now = base_now();
	(void)l;
	d->core_timer = 0;
	vb_tick(d->core, &now);
	drain(d);
	return LOOP_TIMER_STOP;
}

/* The core's deadlines are base's UTC; the loop's timers are monotonic. */
static void arm_core_timer(struct vbd *d)
{
	int64_t at = vb_next_deadline(d->core);
	if (at < 0) {
		loop_timer_at(d->loop, &d->core_timer, -1, core_cb, d);
		return;
	}
	int64_t in = at - wall_now_ms();
	loop_timer_at(d->loop, &d->core_timer, mono_now_ms() + (in > 0 ? in : 0), core_cb, d);
}

/* ---- the fleet's messages ---- */

/* Log a refused message: the first at warning level, then once per 100. */
static void refuse(struct vbd *d, const char *topic, const char *why)
{
	d->refused++;
	if (!d->warned_refused || d->refused % 100 == 0)
		log_warnx("vanbase: refused a message on %.120s: %s (%llu refused so far)", topic, why, d->refused);
	d->warned_refused = true;
}

/* PREFIX/UNIT/SUB -> unit and sub (pointers into topic), or false. */
static bool van_topic(const struct vbd *d, const char *topic, char *unit, size_t ulen, const char **sub)
{
	size_t plen = strlen(d->conf->mqtt.van_prefix);
	if (strncmp(topic, d->conf->mqtt.van_prefix, plen) || topic[plen] != '/')
		return false;
	const char *u = topic + plen + 1, *slash = strchr(u, '/');
	if (!slash || slash == u || (size_t)(slash - u) >= ulen)
		return false;
	snprintf(unit, ulen, "%.*s", (int)(slash - u), u);
	*sub = slash + 1;
	return vb_valid_unit(unit);   /* the core's rule for unit ids */
}

static void van_message(struct vbd *d, const struct mosquitto_message *msg)
{
	char unit[40];
	const char *sub;

	if (!van_topic(d, msg->topic, unit, sizeof(unit), &sub)) {
		refuse(d, msg->topic, "not VAN_PREFIX/UNIT/TOPIC with a valid unit id");
		return;
	}
	if (msg->payloadlen > VBD_PAYLOAD_MAX) {
		refuse(d, msg->topic, "too large");
		return;
	}
	int t = vb_topic_of(sub);
	if (t < 0)
		return;   /* a topic the rules do not read */
	log_debug("vanbase: %s %s%s: %.*s", unit, sub, msg->retain ? " (retained)" : "",
		  msg->payloadlen > 160 ? 160 : msg->payloadlen, msg->payload ? (const char *)msg->payload : "");
	struct vb_time now = base_now();
	const char *why = NULL;
	int rc = vb_message(d->core, &now, unit, (enum vb_topic)t, msg->payload ? msg->payload : "",
			    (size_t)msg->payloadlen, msg->retain, &why);
	if (rc == -ENOENT)
		refuse(d, msg->topic, "the van is not in [fleet]");
	else if (rc < 0)
		refuse(d, msg->topic, why ? why : "malformed");
	drain(d);
}

static json_t *do_command(struct vbd *d, const char *cmd, const json_t *req, const char *how);

/* PREFIX/cmd/NAME from a console: {"alarm": ID, "by": NAME, "note": ...}. */
static void base_command(struct vbd *d, const struct mosquitto_message *msg)
{
	size_t plen = strlen(d->conf->mqtt.prefix) + 5;
	const char *name = msg->topic + plen;
	json_error_t jerr;

	if (msg->retain) {
		log_warnx("vanbase: ignored a RETAINED command on %s (commands must not be retained)", msg->topic);
		return;
	}
	if (strcmp(name, "ack") && strcmp(name, "close")) {
		refuse(d, msg->topic, "not a command (ack, close)");
		return;
	}
	json_t *req = msg->payloadlen <= 4096 ? json_loadb(msg->payload, (size_t)msg->payloadlen, 0, &jerr) : NULL;
	if (!json_is_object(req)) {
		refuse(d, msg->topic, "not a JSON object of at most 4 KiB");
		json_decref(req);
		return;
	}
	json_t *reply = do_command(d, name, req, "console");
	if (!json_is_true(json_object_get(reply, "ok")))
		log_warnx("vanbase: %s from a console refused: %s", name,
			  json_string_value(json_object_get(reply, "reason")));
	/* the answer, for the console that asked (PREFIX/reply, not retained) */
	json_object_set_new(reply, "command", json_string(name));
	json_t *alarm = json_object_get(req, "alarm"), *id = json_object_get(req, "id");
	if (json_is_string(alarm))
		json_object_set(reply, "alarm", alarm);
	if (json_is_string(id) || json_is_integer(id))
		json_object_set(reply, "id", id);
	json_object_del(reply, "result");
	char *text = json_dumps(reply, JSON_COMPACT);
	if (text && mqttlink_connected(d->link)) {
		mosquitto_publish_v5(d->mosq, NULL, own_topic(d, "reply"), (int)strlen(text), text, 1, false, NULL);
		mqttlink_flush(d->link);
	}
	free(text);
	json_decref(reply);
	json_decref(req);
}

static void on_message(void *arg, const struct mosquitto_message *msg)
{
	struct vbd *d = arg;
	size_t plen = strlen(d->conf->mqtt.prefix);

	if (!strncmp(msg->topic, d->conf->mqtt.prefix, plen) && !strncmp(msg->topic + plen, "/cmd/", 5))
		base_command(d, msg);
	else if (strncmp(msg->topic, d->conf->mqtt.prefix, plen) || msg->topic[plen] != '/')
		van_message(d, msg);
}

static void on_up(void *arg)
{
	struct vbd *d = arg;
	static const char *const subs[] = { "availability", "state", "event", "emergency", "reply", "location" };
	char t[200];

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(t, sizeof(t), "%s/+/%s", d->conf->mqtt.van_prefix, subs[i]);
		mosquitto_subscribe_v5(d->mosq, NULL, t, 1, 0, NULL);
	}
	mosquitto_subscribe_v5(d->mosq, NULL, own_topic(d, "cmd/+"), 1, 0, NULL);
	struct vb_time now = base_now();
	vb_link(d->core, &now, true);
	publish_alarms(d);
	drain(d);
}

static void on_down(void *arg, bool was_up)
{
	struct vbd *d = arg;
	if (was_up) {
		struct vb_time now = base_now();
		vb_link(d->core, &now, false);
		drain(d);
	}
}

/* ---- the control socket ---- */

static json_t *reply_ok(json_t *result)
{
	return json_pack("{s:b,s:o}", "ok", 1, "result", result ? result : json_null());
}

static json_t *reply_err(const char *code, const char *reason)
{
	return json_pack("{s:b,s:s,s:s}", "ok", 0, "error", code, "reason", reason);
}

static json_t *refusal(int rc, const char *why)
{
	return reply_err(rc == -ENOENT ? "not_found" : rc == -EALREADY ? "already" : "invalid_argument",
			 why ? why : strerror(-rc));
}

/* An emergency (or a van's self-test) acknowledged here: the van is told,
 * as the console's ACKNOWLEDGE does (docs/mqtt.md, cmd/ack), so the crew
 * sees "base acknowledged" - not for a covert one, which the van shows
 * nothing of anyway.  A van offline now does not get it (commands are not
 * queued for a van): its crew sees the acknowledgement when base acks
 * again; the alarm here stays acknowledged. */
static void ack_van(struct vbd *d, const char *alarm, const char *by)
{
	const struct vb_alarm *a = vb_alarm_get(d->core, alarm);
	json_t *view = a && *a->unit ? vb_alarm_json(a) : NULL;
	json_t *van_id = view ? json_object_get(view, "van_id") : NULL;
	char topic[256], id[96];

	if (!van_id || json_is_null(van_id) || (a->kind != VB_K_EMERGENCY && a->kind != VB_K_DRILL)) {
		json_decref(view);
		return;
	}
	snprintf(topic, sizeof(topic), "%s/%s/cmd/ack", d->conf->mqtt.van_prefix, a->unit);
	snprintf(id, sizeof(id), "vanbase-%s-ack-%lld", a->id, (long long)wall_now_ms());
	json_t *cmd = json_pack("{s:i,s:s,s:s,s:s,s:O,s:I}", "v", 1, "unit", a->unit, "id", id, "by", by, "emergency",
				van_id, "time", (json_int_t)wall_now_ms());
	char *text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
	if (text && mqttlink_connected(d->link)) {
		mosquitto_publish_v5(d->mosq, NULL, topic, (int)strlen(text), text, 1, false, NULL);
		mqttlink_flush(d->link);
		log_info("vanbase: told van %s that %s acknowledged its emergency", a->unit, by);
	} else {
		log_warnx("vanbase: could not tell van %s of the acknowledgement (no link to the broker)", a->unit);
	}
	free(text);
	json_decref(cmd);
	json_decref(view);
}

/* ack / close / test, from the control socket (how "cli") or a console. */
static json_t *do_command(struct vbd *d, const char *cmd, const json_t *req, const char *how)
{
	const char *alarm = json_string_value(json_object_get(req, "alarm"));
	const char *by = json_string_value(json_object_get(req, "by"));
	const char *note = json_string_value(json_object_get(req, "note"));
	const char *why = NULL;
	struct vb_time now = base_now();
	int rc;

	if (!strcmp(cmd, "test")) {
		char id[VB_ID_MAX];
		rc = vb_drill(d->core, &now, by ? by : "vanbase test", id, &why);
		drain(d);
		return rc < 0 ? refusal(rc, why) : reply_ok(json_pack("{s:s}", "alarm", id));
	}
	if (!alarm || !by)
		return reply_err("invalid_argument", "needs alarm and by");
	if (!strcmp(cmd, "ack")) {
		rc = vb_ack(d->core, &now, alarm, by, how, &why);
		if (rc == 0)
			ack_van(d, alarm, by);
	}
	else
		rc = vb_close(d->core, &now, alarm, by, note, &why);
	drain(d);
	if (rc < 0)
		return refusal(rc, why);
	const struct vb_alarm *a = vb_alarm_get(d->core, alarm);
	return reply_ok(a ? vb_alarm_json(a) : NULL);
}

static json_t *on_request(void *arg, const json_t *req, int uid)
{
	struct vbd *d = arg;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	(void)uid;

	if (!strcmp(cmd, "alarms")) {
		json_t *all = json_object_get(req, "all");
		json_t *list = vbstore_alarms_json(d->st, !json_is_true(all), 500, true);
		return list ? reply_ok(list) : reply_err("storage", vbstore_errmsg(d->st));
	}
	if (!strcmp(cmd, "status")) {
		return reply_ok(json_pack("{s:s,s:b,s:s,s:I,s:I,s:I}", "vanbase", d->conf->base.name, "broker",
					  mqttlink_connected(d->link), "broker_error", mqttlink_last_error(d->link),
					  "refused", (json_int_t)d->refused, "alarms", (json_int_t)vb_alarm_count(d->core),
					  "notifications_pending", (json_int_t)notify_pending(d->notify)));
	}
	if (!strcmp(cmd, "ack") || !strcmp(cmd, "close") || !strcmp(cmd, "test"))
		return do_command(d, cmd, req, "cli");
	return reply_err("unknown_command", "commands: alarms, status, ack, close, test");
}

/* ---- life cycle ---- */

/* SIGHUP: the people, the rota, the chains and the channels again (the
 * chains in flight go on at their place); what only a restart changes is
 * named.  A file with problems changes nothing. */
static void reload(struct vbd *d)
{
	struct vbconf *n = calloc(1, sizeof(*n));
	struct vbroster r;
	char err[512];

	memset(&r, 0, sizeof(r));
	if (!n || vbconf_defaults(n) < 0) {
		log_warnx("reload: out of memory");
		free(n);
		return;
	}
	vbconf_load(n, d->conf->report.path);
	vbconf_check(n);
	if (!n->report.nerrors)
		vbroster_read(n, &r);
	struct notify *nn = NULL;
	const char *why = NULL;
	if (!n->report.nerrors && !(nn = notify_new(d->loop, r.channels, r.nchannels, err, sizeof(err))))
		vbconf_error(n, "%s: %s", n->report.path, err);
	if (!n->report.nerrors && vb_set_roster(d->core, &r.roster, &why) < 0)
		vbconf_error(n, "%s: the roster: %s", n->report.path, why ? why : "refused");
	if (n->report.nerrors) {
		for (size_t i = 0; i < n->report.nerrors; i++)
			log_warnx("%s", n->report.errors[i]);
		log_warnx("reload: %s has %zu problem(s); keeping the running configuration", n->report.path,
			  n->report.nerrors);
		notify_free(nn);
		vbroster_fini(&r);
		vbconf_fini(n);
		free(n);
		return;
	}
#define NEEDS_RESTART(cond, what) \
	if (cond) log_notice("reload: %s changed; it takes effect after a restart", what)
	NEEDS_RESTART(strcmp(n->mqtt.link.host, d->conf->mqtt.link.host) || n->mqtt.link.port != d->conf->mqtt.link.port,
		      "the broker address");
	NEEDS_RESTART(strcmp(n->storage.db, d->conf->storage.db), "storage.db");
	NEEDS_RESTART(strcmp(n->control.socket, d->conf->control.socket), "control.socket");
	NEEDS_RESTART(n->rules.due_grace_s != d->conf->rules.due_grace_s ||
		      n->rules.silent_after_s != d->conf->rules.silent_after_s ||
		      n->rules.settle_s != d->conf->rules.settle_s, "[rules]");
#undef NEEDS_RESTART
	for (long i = vbconf_next(n, "fleet", 0); i >= 0; i = vbconf_next(n, "fleet", i + 1))
		if (!strcmp(n->entries[i].section, "fleet") && vb_unit_add(d->core, n->entries[i].key) == 0)
			log_info("reload: now watching van %s", n->entries[i].key);
	/* the old channels finish what they are sending, then go */
	notify_free(d->retiring);
	d->retiring = d->notify;
	d->notify = nn;
	vbroster_fini(&d->roster);
	d->roster = r;
	d->conf->storage.retention_days = n->storage.retention_days;
	d->conf->mqtt.heartbeat_s = n->mqtt.heartbeat_s;   /* from the next beat on */
	log_info("reload: people, rota, chains and channels re-read from %s", n->report.path);
	vbconf_fini(n);
	free(n);
	struct vb_time now = base_now();
	vb_tick(d->core, &now);
	drain(d);
}

/* The heartbeat: the alarm list again (a loop timer, so a hung loop stops it). */
static int64_t hb_cb(loop_t *l, void *arg)
{
	struct vbd *d = arg;
	(void)l;
	publish_alarms(d);
	return (int64_t)d->conf->mqtt.heartbeat_s * 1000;
}

/* Closed alarms past the retention period go, daily. */
static int64_t purge_cb(loop_t *l, void *arg)
{
	struct vbd *d = arg;
	(void)l;
	int64_t cutoff = wall_now_ms() - (int64_t)d->conf->storage.retention_days * 86400000;
	int n = vbstore_purge(d->st, cutoff);
	if (n < 0)
		log_warnx("vanbase: retention purge failed: %s", vbstore_errmsg(d->st));
	else if (n > 0)
		log_notice("vanbase: retention purge: %d closed alarm(s) older than %d days removed, with their "
			   "notifications and audit trail", n, d->conf->storage.retention_days);
	return 86400000;
}

static void on_signal(loop_t *l, int signo, void *arg)
{
	struct vbd *d = arg;
	if (signo == SIGHUP) {
		reload(d);
		return;
	}
	if (signo == SIGTERM || signo == SIGINT) {
		log_info("signal %d: shutting down", signo);
		sd_notify(0, "STOPPING=1");
		loop_stop(l);
	}
}

static int64_t wd_cb(loop_t *l, void *arg)
{
	struct vbd *d = arg;
	char status[200];
	uint64_t usec = 0;
	(void)l;

	snprintf(status, sizeof(status), "STATUS=broker %s, %zu alarm(s), %zu notification(s) in flight",
		 mqttlink_connected(d->link) ? "online" : "offline", vb_alarm_count(d->core), notify_pending(d->notify));
	if (d->retiring && notify_pending(d->retiring) == 0) {
		notify_free(d->retiring);   /* the channels of before the reload are done */
		d->retiring = NULL;
	}
	sd_notify(0, "WATCHDOG=1");
	sd_notify(0, status);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		return (int64_t)(usec / 2000);
	return 10000;
}

struct vbd *vbd_new(struct vbconf *c, char *err, size_t errlen)
{
	struct vbd *d = calloc(1, sizeof(*d));
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	char avail[200], cid[128];
	int rc;

	if (!d || !(d->loop = loop_new())) {
		snprintf(err, errlen, "out of memory");
		free(d);
		return NULL;
	}
	d->conf = c;
	if ((rc = loop_add_signals(d->loop, sigs, sizeof(sigs) / sizeof(sigs[0]), on_signal, d)) < 0) {
		snprintf(err, errlen, "cannot take signals: %s", strerror(-rc));
		goto fail;
	}
	if (c->base.timezone) {
		setenv("TZ", c->base.timezone, 1);   /* the rota's local time */
		tzset();
	}
	if (vbroster_read(c, &d->roster) > 0) {
		snprintf(err, errlen, "%s", c->report.nerrors ? c->report.errors[c->report.nerrors - 1] : "bad roster");
		goto fail;
	}
	struct vb_params p;
	vb_params_default(&p);
	p.rules.due_grace_ms = (int64_t)c->rules.due_grace_s * 1000;
	p.rules.silent_after_ms = (int64_t)c->rules.silent_after_s * 1000;
	p.rules.settle_ms = (int64_t)c->rules.settle_s * 1000;
	if (!(d->core = vb_new(&p, &d->roster.roster))) {
		snprintf(err, errlen, "the escalation core refused its parameters");
		goto fail;
	}
	if (!(d->st = vbstore_open(c->storage.db, err, errlen)))
		goto fail;
	/* the fleet first: a restore keeps the saved state of the vans watched */
	for (long i = vbconf_next(c, "fleet", 0); i >= 0; i = vbconf_next(c, "fleet", i + 1)) {
		const struct vbconf_entry *e = &c->entries[i];
		int rc2 = strcmp(e->section, "fleet") ? 0 : vb_unit_add(d->core, e->key);
		if (rc2 < 0 && rc2 != -EEXIST) {
			snprintf(err, errlen, "%s: [fleet] '%s' %s", vbconf_where(c, e).s, e->key,
				 rc2 == -EINVAL ? "is not a unit id (1-32 of A-Z a-z 0-9 _ -)" : "is one van too many");
			goto fail;
		}
	}
	char *saved = vbstore_kv_get(d->st, "core");
	if (saved) {
		json_t *j = json_loads(saved, 0, NULL);
		const char *why = NULL;
		if (!j || vb_restore(d->core, j, &why) < 0)
			log_warnx("vanbase: the saved state in %s could not be restored (%s); starting afresh",
				  c->storage.db, why ? why : "not JSON");
		else
			log_info("vanbase: %zu alarm(s) restored from %s", vb_alarm_count(d->core), c->storage.db);
		json_decref(j);
		free(saved);
	}
	if (!(d->notify = notify_new(d->loop, d->roster.channels, d->roster.nchannels, err, errlen)))
		goto fail;
	if (!(d->ctl = ctl_new(d->loop, c->control.socket, c->control.group, on_request, d, err, errlen)))
		goto fail;
	snprintf(avail, sizeof(avail), "%s/availability", c->mqtt.prefix);
	snprintf(cid, sizeof(cid), "%s", c->mqtt.link.client_id ? c->mqtt.link.client_id : c->mqtt.prefix);
	struct mqttlink_conf lc = c->mqtt.link;
	lc.client_id = cid;
	lc.clean_session = false;   /* the broker queues what the vans send while vanbase restarts */
	lc.availability_topic = avail;
	const struct mqttlink_callbacks cb = { .on_up = on_up, .on_down = on_down, .on_message = on_message };
	if (!(d->link = mqttlink_new(d->loop, &lc, &cb, d, err, errlen)))
		goto fail;
	d->mosq = mqttlink_mosq(d->link);
	d->wd_timer = loop_add_timer(d->loop, 0, wd_cb, d);
	d->purge_timer = loop_add_timer(d->loop, 60000, purge_cb, d);
	d->hb_timer = loop_add_timer(d->loop, (int64_t)c->mqtt.heartbeat_s * 1000, hb_cb, d);
	resend_pending(d);
	struct vb_time now = base_now();
	vb_tick(d->core, &now);   /* what fell due while vanbase was down */
	drain(d);
	return d;
fail:
	vbd_free(d);
	return NULL;
}

int vbd_run(struct vbd *d)
{
	sd_notify(0, "READY=1");
	log_info("vanbase: watching %s/+ on %s:%d", d->conf->mqtt.van_prefix, d->conf->mqtt.link.host,
		 d->conf->mqtt.link.port);
	return loop_run(d->loop) < 0 ? 1 : 0;
}

void vbd_free(struct vbd *d)
{
	if (!d)
		return;
	mqttlink_free(d->link);
	notify_free(d->notify);   /* in-flight sends go: their decisions are stored, pending */
	notify_free(d->retiring);
	while (d->sending) {
		struct sent *s = d->sending;
		d->sending = s->next;
		free(s);
	}
	ctl_free(d->ctl);
	vbstore_close(d->st);
	vb_free(d->core);
	vbroster_fini(&d->roster);
	if (d->core_timer)
		loop_del_timer(d->loop, d->core_timer);
	if (d->wd_timer)
		loop_del_timer(d->loop, d->wd_timer);
	if (d->purge_timer)
		loop_del_timer(d->loop, d->purge_timer);
	if (d->hb_timer)
		loop_del_timer(d->loop, d->hb_timer);
	loop_free(d->loop);
	free(d);
}
