/*
 * vb_notify_drive.c - drives vanbase/notify in the real loop for the
 * it_9x integration tests: reads a JSON spec of channels and timed sends,
 * sends each at its time (loop timers, no sleeps), prints one JSON line per
 * result on stdout, logs (notify's own log lines) on stderr, and exits when
 * every send has its result (2 on the safety deadline).
 *
 *   vb_notify_drive SPEC.json
 *
 * SPEC: {"channels": [{"name", "kind", "template", "url", "url_file",
 *         "token_file", "target", "fields": {k: v}, "ca_file", "tls", "from",
 *         "to": [...], "user", "password_file", "argv": [...], "timeout_ms",
 *         "attempts", "backoff_ms", "backoff_max_ms", "position"}],
 *        "sends": [{"at_ms", "channel", "id", "alarm", "kind", "subject",
 *         "text", "lat", "lon", "link", "to", "cancel_at_ms"}],
 *        "deadline_ms": 30000}
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "notify/notify.h"

static struct notify *nf;
static size_t left;
static int64_t t0;
static loop_t *lp;

struct snd {
	json_t *j;
	int64_t id;
	int64_t timer, cancel_timer;
};

static const char *js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void done(const struct notify_result *r, void *arg)
{
	struct snd *s = arg;
	json_t *o = json_pack("{s:s,s:s,s:b,s:b,s:i,s:i,s:I,s:I,s:s}", "channel", r->channel, "id", r->id,
			      "ok", r->ok, "cancelled", r->cancelled, "code", r->code, "attempts", r->attempts,
			      "elapsed_ms", (json_int_t)r->elapsed_ms,
			      "done_at_ms", (json_int_t)(mono_now_ms() - t0), "error", r->error);
	char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	printf("%s\n", line);
	fflush(stdout);
	free(line);
	json_decref(o);
	s->id = 0;
	if (--left == 0)
		loop_stop(lp);
}

/* every attempt, as the shell's audit trail would see it */
static void attempt(const struct notify_result *r, int64_t retry_in_ms, void *arg)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:b,s:i,s:I,s:s}", "attempt_of", r->id, "channel", r->channel,
			      "attempt", r->attempts, "ok", r->ok, "code", r->code,
			      "retry_in_ms", (json_int_t)retry_in_ms, "error", r->error);
	char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	(void)arg;
	printf("%s\n", line);
	free(line);
	json_decref(o);
}

static int64_t send_at(loop_t *l, void *arg)
{
	struct snd *s = arg;
	json_t *j = s->j;
	int kind = 0;
	const char *k = js(j, "kind");
	static const char *const kinds[] = { "raise", "repeat", "all_clear", "drill" };

	(void)l;
	s->timer = 0;
	for (int i = 0; k && i < 4; i++)
		if (!strcmp(k, kinds[i]))
			kind = i;
	struct notify_req req = {
		.id = js(j, "id"),
		.alarm_id = js(j, "alarm"),
		.kind = (enum notify_msg)kind,
		.subject = js(j, "subject"),
		.text = js(j, "text"),
		.has_pos = json_object_get(j, "lat") != NULL,
		.lat = json_number_value(json_object_get(j, "lat")),
		.lon = json_number_value(json_object_get(j, "lon")),
		.link = js(j, "link"),
		.to = js(j, "to"),
	};
	s->id = notify_send(nf, js(j, "channel"), &req, done, s);
	if (s->id < 0) {
		printf("{\"send_error\":%lld,\"id\":\"%s\"}\n", (long long)s->id, req.id ? req.id : "");
		fflush(stdout);
		s->id = 0;
		if (--left == 0)
			loop_stop(l);
	}
	return LOOP_TIMER_STOP;
}

static int64_t cancel_at(loop_t *l, void *arg)
{
	struct snd *s = arg;

	(void)l;
	s->cancel_timer = 0;
	if (s->id > 0)
		notify_cancel(nf, s->id, true);
	return LOOP_TIMER_STOP;
}

static int64_t deadline(loop_t *l, void *arg)
{
	(void)arg;
	fprintf(stderr, "vb_notify_drive: deadline passed with %zu sends open\n", left);
	loop_stop(l);
	return LOOP_TIMER_STOP;
}

static const char **strs(json_t *a, size_t *n)
{
	size_t k = json_array_size(a);
	const char **v = calloc(k + 1, sizeof(*v));

	for (size_t i = 0; v && i < k; i++)
		v[i] = json_string_value(json_array_get(a, i));
	if (n)
		*n = k;
	return v;
}

int main(int argc, char **argv)
{
	json_error_t jerr;
	char err[512];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: vb_notify_drive SPEC.json\n");
		return 64;
	}
	log_init("vb_notify_drive", getenv("VB_DEBUG") != NULL, false);
	json_t *spec = json_load_file(argv[1], 0, &jerr);
	if (!spec) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], jerr.line, jerr.text);
		return 64;
	}
	loop_t *l = loop_new();

	lp = l;
	json_t *chs = json_object_get(spec, "channels");
	size_t nch = json_array_size(chs);
	struct notify_channel_conf *cc = calloc(nch + 1, sizeof(*cc));
	struct notify_field **fields = calloc(nch + 1, sizeof(*fields));
	const char ***lists = calloc(2 * nch + 1, sizeof(*lists));

	for (size_t i = 0; i < nch; i++) {
		json_t *c = json_array_get(chs, i);
		struct notify_channel_conf *x = &cc[i];
		x->name = js(c, "name");
		x->kind = (enum notify_kind)notify_kind_from_name(js(c, "kind"));
		x->timeout_ms = (int)json_integer_value(json_object_get(c, "timeout_ms"));
		x->attempts = (int)json_integer_value(json_object_get(c, "attempts"));
		x->backoff_ms = (int)json_integer_value(json_object_get(c, "backoff_ms"));
		x->backoff_max_ms = (int)json_integer_value(json_object_get(c, "backoff_max_ms"));
		x->position = json_is_true(json_object_get(c, "position"));
		x->webhook.tpl = (enum notify_template)(js(c, "template") ?
			notify_template_from_name(js(c, "template")) : 0);
		x->webhook.url = js(c, "url");
		x->webhook.url_file = js(c, "url_file");
		x->webhook.token_file = js(c, "token_file");
		x->webhook.target = js(c, "target");
		x->webhook.ca_file = js(c, "ca_file");
		json_t *f = json_object_get(c, "fields");
		if (f) {
			const char *k;
			json_t *v;
			size_t j = 0;
			fields[i] = calloc(json_object_size(f) + 1, sizeof(**fields));
			json_object_foreach(f, k, v) {
				fields[i][j].key = k;
				fields[i][j].value = json_string_value(v);
				j++;
			}
			x->webhook.fields = fields[i];
			x->webhook.nfields = j;
		}
		x->email.url = js(c, "url");
		x->email.tls = (enum notify_tls)(js(c, "tls") ? notify_tls_from_name(js(c, "tls")) : 0);
		x->email.from = js(c, "from");
		lists[2 * i] = strs(json_object_get(c, "to"), &x->email.nto);
		x->email.to = lists[2 * i];
		x->email.user = js(c, "user");
		x->email.password_file = js(c, "password_file");
		x->email.ca_file = js(c, "ca_file");
		lists[2 * i + 1] = strs(json_object_get(c, "argv"), NULL);
		x->command.argv = lists[2 * i + 1];
	}
	nf = notify_new(l, cc, nch, err, sizeof(err));
	for (size_t i = 0; i < 2 * nch; i++)
		free(lists[i]);
	for (size_t i = 0; i < nch; i++)
		free(fields[i]);
	free(lists);
	free(fields);
	free(cc);
	if (!nf) {
		printf("{\"config_error\":\"%s\"}\n", err);
		fprintf(stderr, "config: %s\n", err);
		json_decref(spec);
		loop_free(l);
		return 3;
	}
	notify_on_attempt(nf, attempt, NULL);
	json_t *sends = json_object_get(spec, "sends");
	size_t ns = json_array_size(sends);
	struct snd *ss = calloc(ns + 1, sizeof(*ss));
	t0 = mono_now_ms();
	left = ns;
	for (size_t i = 0; i < ns; i++) {
		ss[i].j = json_array_get(sends, i);
		loop_add_timer(l, json_integer_value(json_object_get(ss[i].j, "at_ms")), send_at, &ss[i]);
		json_t *ca = json_object_get(ss[i].j, "cancel_at_ms");
		if (ca)
			loop_add_timer(l, json_integer_value(ca), cancel_at, &ss[i]);
	}
	json_int_t dl = json_integer_value(json_object_get(spec, "deadline_ms"));
	loop_add_timer(l, dl > 0 ? dl : 30000, deadline, NULL);
	if (ns)
		loop_run(l);
	if (left)
		rc = 2;
	notify_free(nf);
	loop_free(l);
	free(ss);
	json_decref(spec);
	return rc;
}
