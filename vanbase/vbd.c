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

#include <jansson.h>
#include <mosquitto.h>
#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "mqttlink.h"
#include "vbstore.h"

#define VBD_PAYLOAD_MAX (256 * 1024)   /* a van's message larger than this is refused */

struct vbd {
	struct vbconf *conf;
	loop_t *loop;
	vbstore_t *st;
	mqttlink_t *link;
	struct mosquitto *mosq;
	ctl_t *ctl;
	char topic[256];
	int64_t wd_timer;
	unsigned long long refused;   /* van messages refused (bad topic, size, JSON) */
	bool warned_refused;
};

static const char *own_topic(struct vbd *d, const char *sub)
{
	snprintf(d->topic, sizeof(d->topic), "%s/%s", d->conf->mqtt.prefix, sub);
	return d->topic;
}

/* ---- what base sees: the alarm list, retained ---- */

static void publish_alarms(struct vbd *d)
{
	json_t *list = vbstore_alarms_json(d->st, true, 200, false);
	if (!list) {
		log_warnx("vanbase: cannot read the alarms to publish: %s", vbstore_errmsg(d->st));
		return;
	}
	json_t *msg = json_pack("{s:s,s:o}", "vanbase", d->conf->base.name, "alarms", list);
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (text && mqttlink_connected(d->link)) {
		mosquitto_publish_v5(d->mosq, NULL, own_topic(d, "alarms"), (int)strlen(text), text, 1, true, NULL);
		mqttlink_flush(d->link);
	}
	free(text);
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
	for (const char *p = u; p < slash; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	snprintf(unit, ulen, "%.*s", (int)(slash - u), u);
	*sub = slash + 1;
	return true;
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
	log_debug("vanbase: %s %s (%d bytes%s)", unit, sub, msg->payloadlen, msg->retain ? ", retained" : "");
	/* the core's rules take it from here (wired with vanbase/core) */
}

static void base_command(struct vbd *d, const struct mosquitto_message *msg)
{
	if (msg->retain) {
		log_warnx("vanbase: ignored a RETAINED command on %s (commands must not be retained)", msg->topic);
		return;
	}
	log_debug("vanbase: command on %s (%d bytes)", msg->topic, msg->payloadlen);
	(void)d;
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
	publish_alarms(d);
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
		return reply_ok(json_pack("{s:s,s:b,s:s,s:I}", "vanbase", d->conf->base.name, "broker",
					  mqttlink_connected(d->link), "broker_error", mqttlink_last_error(d->link),
					  "refused", (json_int_t)d->refused));
	}
	return reply_err("unknown_command", "commands: alarms, status");
}

/* ---- life cycle ---- */

static void on_signal(loop_t *l, int signo, void *arg)
{
	(void)arg;
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

	snprintf(status, sizeof(status), "STATUS=broker %s", mqttlink_connected(d->link) ? "online" : "offline");
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
	if (vbstore_open(c->storage.db, &d->st, err, errlen) < 0)
		goto fail;
	if (!(d->ctl = ctl_new(d->loop, c->control.socket, c->control.group, on_request, d, err, errlen)))
		goto fail;
	snprintf(avail, sizeof(avail), "%s/availability", c->mqtt.prefix);
	snprintf(cid, sizeof(cid), "%s", c->mqtt.link.client_id ? c->mqtt.link.client_id : c->mqtt.prefix);
	struct mqttlink_conf lc = c->mqtt.link;
	lc.client_id = cid;
	lc.clean_session = false;   /* the broker queues what the vans send while vanbase restarts */
	lc.availability_topic = avail;
	const struct mqttlink_callbacks cb = { .on_up = on_up, .on_message = on_message };
	if (!(d->link = mqttlink_new(d->loop, &lc, &cb, d, err, errlen)))
		goto fail;
	d->mosq = mqttlink_mosq(d->link);
	d->wd_timer = loop_add_timer(d->loop, 0, wd_cb, d);
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
	ctl_free(d->ctl);
	vbstore_close(d->st);
	if (d->wd_timer)
		loop_del_timer(d->loop, d->wd_timer);
	loop_free(d->loop);
	free(d);
}
