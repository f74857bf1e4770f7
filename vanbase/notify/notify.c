/*
 * notify.c - the channels and the life of one send: attempt, timeout,
 * retry after a doubling wait (bounded), result.  Transports live in
 * notify_curl.c (webhooks, e-mail) and notify_cmd.c (hooks); templates in
 * notify_render.c.  See notify.h for the contract.
 */
#include "notify_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static int curl_users; /* notify_new() calls alive: curl_global_* once */

static const char *const kind_names[] = { "webhook", "email", "command" };
static const char *const tpl_names[] = { "generic", "ntfy", "gotify", "matrix", "slack", "telegram" };
static const char *const msg_names[] = { "raise", "repeat", "all_clear", "drill" };
static const char *const tls_names[] = { "starttls", "implicit", "none" };

#define NAME_OF(tab, i) ((size_t)(i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")

static int name_find(const char *const *tab, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(tab[i], s))
			return (int)i;
	return -1;
}

const char *notify_kind_name(enum notify_kind k) { return NAME_OF(kind_names, k); }
const char *notify_template_name(enum notify_template t) { return NAME_OF(tpl_names, t); }
const char *notify_msg_name(enum notify_msg m) { return NAME_OF(msg_names, m); }
const char *notify_tls_name(enum notify_tls t) { return NAME_OF(tls_names, t); }

int notify_kind_from_name(const char *s) { return name_find(kind_names, 3, s); }
int notify_tls_from_name(const char *s) { return name_find(tls_names, 3, s); }

int notify_template_from_name(const char *s)
{
	if (s && !strcmp(s, "mattermost"))
		return NOTIFY_TPL_SLACK;
	return name_find(tpl_names, 6, s);
}

/* ---- channels ---- */

static bool addr_ok(const char *a);

/* Read a secret: the file's first line, without its line end.  Refuses an
 * empty one.  Returns malloc'd or NULL with err set. */
static char *read_secret(const char *path, const char *chan, const char *what, char *err,
			 size_t errlen)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "channel %s: %s %s: %s", chan, what, path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)))
		log_warnx("channel %s: %s %s can be read or written by others: chmod o-rw it", chan,
			  what, path);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "channel %s: %s %s: %s", chan, what, path, strerror(e));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0]) {
		snprintf(err, errlen, "channel %s: %s %s is empty", chan, what, path);
		return NULL;
	}
	char *r = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (!r)
		snprintf(err, errlen, "channel %s: out of memory", chan);
	return r;
}

static void chan_clear(struct nt_chan *c)
{
	free(c->name);
	free(c->url);
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c->target);
	for (size_t i = 0; i < c->nfields; i++) {
		free((char *)c->fields[i].key);
		free((char *)c->fields[i].value);
	}
	free(c->fields);
	free(c->ca_file);
	free(c->from);
	for (size_t i = 0; i < c->nto; i++)
		free(c->to[i]);
	free(c->to);
	free(c->user);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	if (c->argv)
		for (char **a = c->argv; *a; a++)
			free(*a);
	free(c->argv);
	memset(c, 0, sizeof(*c));
}

/* strdup of NULL is NULL; sets *oom on failure */
static char *dup_opt(const char *s, bool *oom)
{
	char *r = s ? strdup(s) : NULL;

	if (s && !r)
		*oom = true;
	return r;
}

static bool host_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool r = false;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		r = !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]") || !strcmp(host, "localhost");
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

static bool url_scheme_is(const char *url, const char *const *schemes)
{
	for (; *schemes; schemes++) {
		size_t n = strlen(*schemes);
		if (!strncasecmp(url, *schemes, n) && !strncmp(url + n, "://", 3))
			return true;
	}
	return false;
}

static int chan_init(struct nt_chan *c, const struct notify_channel_conf *in, char *err, size_t errlen)
{
	bool oom = false;
	const char *nm = in->name ? in->name : "";

	memset(c, 0, sizeof(*c));
	if (!*nm) {
		snprintf(err, errlen, "a channel without a name");
		return -1;
	}
	c->name = dup_opt(nm, &oom);
	c->kind = in->kind;
	c->timeout_ms = in->timeout_ms > 0 ? in->timeout_ms : 10000;
	c->attempts = in->attempts > 0 ? in->attempts : 10;
	c->backoff_ms = in->backoff_ms > 0 ? in->backoff_ms : 2000;
	c->backoff_max_ms = in->backoff_max_ms > 0 ? in->backoff_max_ms : 60000;
	c->position = in->position;
	if (c->attempts > 20) {
		snprintf(err, errlen, "channel %s: attempts %d: at most 20", nm, c->attempts);
		goto fail;
	}
	switch (in->kind) {
	case NOTIFY_WEBHOOK: {
		const struct notify_webhook_conf *w = &in->webhook;
		static const char *const http[] = { "http", "https", NULL };
		if ((int)w->tpl < 0 || w->tpl > NOTIFY_TPL_TELEGRAM) {
			snprintf(err, errlen, "channel %s: unknown template", nm);
			goto fail;
		}
		c->tpl = w->tpl;
		if (w->url_file) {
			c->url = read_secret(w->url_file, nm, "url_file", err, errlen);
			if (!c->url)
				goto fail;
		} else if (w->url) {
			c->url = dup_opt(w->url, &oom);
		} else if (w->tpl == NOTIFY_TPL_TELEGRAM) {
			c->url = dup_opt("https://api.telegram.org", &oom);
		} else {
			snprintf(err, errlen, "channel %s: no url (or url_file)", nm);
			goto fail;
		}
		if (c->url && !url_scheme_is(c->url, http)) {
			snprintf(err, errlen, "channel %s: the url must be http:// or https://", nm);
			goto fail;
		}
		if (w->token_file) {
			c->token = read_secret(w->token_file, nm, "token_file", err, errlen);
			if (!c->token)
				goto fail;
		}
		if ((w->tpl == NOTIFY_TPL_GOTIFY || w->tpl == NOTIFY_TPL_MATRIX ||
		     w->tpl == NOTIFY_TPL_TELEGRAM) && !c->token) {
			snprintf(err, errlen, "channel %s: template %s needs a token_file", nm,
				 notify_template_name(w->tpl));
			goto fail;
		}
		c->target = dup_opt(w->target, &oom);
		if (w->nfields) {
			c->fields = calloc(w->nfields, sizeof(*c->fields));
			oom = oom || !c->fields;
			for (size_t i = 0; c->fields && i < w->nfields; i++) {
				c->fields[i].key = dup_opt(w->fields[i].key ? w->fields[i].key : "", &oom);
				c->fields[i].value = dup_opt(w->fields[i].value ? w->fields[i].value : "", &oom);
				c->nfields++;
			}
		}
		c->ca_file = dup_opt(w->ca_file, &oom);
		break;
	}
	case NOTIFY_EMAIL: {
		const struct notify_email_conf *e = &in->email;
		static const char *const smtp[] = { "smtp", NULL }, *const smtps[] = { "smtps", NULL };
		if (!e->url || !addr_ok(e->from)) {
			snprintf(err, errlen, "channel %s: e-mail needs url and a from address (local@domain)", nm);
			goto fail;
		}
		for (size_t i = 0; i < e->nto; i++)
			if (!addr_ok(e->to[i])) {
				snprintf(err, errlen, "channel %s: to: not an address: %s", nm,
					 e->to[i] ? e->to[i] : "(null)");
				goto fail;
			}
		c->tls = e->tls;
		if ((e->tls == NOTIFY_TLS_IMPLICIT && !url_scheme_is(e->url, smtps)) ||
		    (e->tls != NOTIFY_TLS_IMPLICIT && !url_scheme_is(e->url, smtp))) {
			snprintf(err, errlen, "channel %s: tls %s wants an %s URL", nm,
				 notify_tls_name(e->tls), e->tls == NOTIFY_TLS_IMPLICIT ? "smtps://" : "smtp://");
			goto fail;
		}
		if (e->tls == NOTIFY_TLS_NONE_LOOPBACK && !host_is_loopback(e->url)) {
			snprintf(err, errlen, "channel %s: e-mail without TLS only to a server on this machine "
				 "(127.0.0.1, ::1, localhost)", nm);
			goto fail;
		}
		c->url = dup_opt(e->url, &oom);
		c->from = dup_opt(e->from, &oom);
		if (e->nto) {
			c->to = calloc(e->nto, sizeof(*c->to));
			oom = oom || !c->to;
			for (size_t i = 0; c->to && i < e->nto; i++) {
				c->to[i] = dup_opt(e->to[i] ? e->to[i] : "", &oom);
				c->nto++;
			}
		}
		c->user = dup_opt(e->user, &oom);
		if (e->user) {
			if (!e->password_file) {
				snprintf(err, errlen, "channel %s: user without password_file", nm);
				goto fail;
			}
			c->password = read_secret(e->password_file, nm, "password_file", err, errlen);
			if (!c->password)
				goto fail;
		}
		c->ca_file = dup_opt(e->ca_file, &oom);
		break;
	}
	case NOTIFY_COMMAND: {
		size_t n = 0;
		while (in->command.argv && in->command.argv[n])
			n++;
		if (!n) {
			snprintf(err, errlen, "channel %s: a command hook needs a program", nm);
			goto fail;
		}
		c->argv = calloc(n + 1, sizeof(*c->argv));
		oom = oom || !c->argv;
		for (size_t i = 0; c->argv && i < n; i++)
			c->argv[i] = dup_opt(in->command.argv[i], &oom);
		break;
	}
	default:
		snprintf(err, errlen, "channel %s: unknown kind", nm);
		goto fail;
	}
	if (oom) {
		snprintf(err, errlen, "channel %s: out of memory", nm);
		goto fail;
	}
	return 0;
fail:
	chan_clear(c);
	return -1;
}

static struct nt_chan *chan_find(const struct notify *n, const char *name)
{
	for (size_t i = 0; name && i < n->nch; i++)
		if (!strcmp(n->ch[i].name, name))
			return &n->ch[i];
	return NULL;
}

bool notify_has_channel(const struct notify *n, const char *channel)
{
	return chan_find(n, channel) != NULL;
}

struct notify *notify_new(loop_t *loop, const struct notify_channel_conf *ch, size_t nch,
			  char *err, size_t errlen)
{
	struct notify *n = calloc(1, sizeof(*n));
	struct sigaction sa;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		curl_users--;
		free(n);
		snprintf(err, errlen, "libcurl would not initialise");
		return NULL;
	}
	n->loop = loop;
	n->next_id = 1;
	n->ch = calloc(nch ? nch : 1, sizeof(*n->ch));
	if (!n->ch) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nch; i++) {
		if (chan_find(n, ch[i].name)) {
			snprintf(err, errlen, "channel %s: defined twice", ch[i].name);
			goto fail;
		}
		if (chan_init(&n->ch[i], &ch[i], err, errlen) < 0)
			goto fail;
		n->nch++;
	}
	if (nt_curl_init(n) < 0) {
		snprintf(err, errlen, "libcurl: cannot make a multi handle");
		goto fail;
	}
	/* a hook that exits without reading its stdin must not kill us */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	return n;
fail:
	notify_free(n);
	return NULL;
}

static void msg_clear(struct nt_msg *m)
{
	free(m->id);
	free(m->alarm_id);
	free(m->subject);
	free(m->text);
	free(m->link);
	free(m->to);
	memset(m, 0, sizeof(*m));
}

static void send_stop(struct nt_send *s)
{
	if (s->running) {
		if (s->c->kind == NOTIFY_COMMAND)
			nt_cmd_stop(s);
		else
			nt_curl_stop(s);
		s->running = false;
	}
	loop_timer_at(s->n->loop, &s->timer, -1, NULL, NULL);
}

static void send_unlink(struct nt_send *s)
{
	for (struct nt_send **pp = &s->n->sends; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->next = NULL;
}

static void send_free(struct nt_send *s)
{
	msg_clear(&s->m);
	nt_buf_free(&s->resp);
	nt_buf_free(&s->out);
	nt_buf_free(&s->errout);
	free(s);
}

static void send_unlink_free(struct nt_send *s)
{
	send_unlink(s);
	send_free(s);
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	while (n->sends) {
		send_stop(n->sends);
		send_unlink_free(n->sends);
	}
	nt_curl_fini(n);
	for (size_t i = 0; i < n->nch; i++)
		chan_clear(&n->ch[i]);
	free(n->ch);
	free(n);
	if (--curl_users == 0)
		curl_global_cleanup();
}

void notify_on_attempt(struct notify *n, notify_attempt_cb cb, void *arg)
{
	n->on_attempt = cb;
	n->on_attempt_arg = arg;
}

size_t notify_pending(const struct notify *n)
{
	size_t k = 0;

	for (const struct nt_send *s = n->sends; s; s = s->next)
		k++;
	return k;
}

/* ---- one send ---- */

static int64_t attempt_timer(loop_t *l, void *arg);

static struct notify_result result_of(const struct nt_send *s, bool ok, bool cancelled)
{
	struct notify_result r = {
		.send_id = s->id,
		.channel = s->c->name,
		.id = s->m.id,
		.ok = ok,
		.cancelled = cancelled,
		.kind = s->c->kind,
		.code = s->code,
		.attempts = s->attempt,
		.elapsed_ms = loop_now_ms(s->n->loop) - s->t_send,
		.error = ok ? "" : s->error,
	};
	return r;
}

static void observe(struct nt_send *s, bool ok, int64_t retry_in)
{
	if (s->n->on_attempt) {
		struct notify_result r = result_of(s, ok, false);
		s->n->on_attempt(&r, retry_in, s->n->on_attempt_arg);
	}
}

static void finish(struct nt_send *s, bool ok, bool cancelled)
{
	struct notify_result r = result_of(s, ok, cancelled);
	notify_done_cb cb = s->done;
	void *arg = s->arg;

	send_stop(s);
	/* out of the list first: the callback may cancel, send, count */
	send_unlink(s);
	if (cb)
		cb(&r, arg);
	send_free(s);
}

static void start_attempt(struct nt_send *s)
{
	int r;

	s->attempt++;
	s->t_attempt = loop_now_ms(s->n->loop);
	s->code = 0;
	s->error[0] = '\0';
	s->running = true;
	log_debug("notify %s [%s]: attempt %d/%d", s->c->name, s->m.id, s->attempt, s->c->attempts);
	r = s->c->kind == NOTIFY_COMMAND ? nt_cmd_start(s) : nt_curl_start(s);
	if (r < 0) {
		s->running = false;
		/* could not even start (out of fds, fork failed): retry later */
		nt_attempt_done(s, false, 0, true, s->error[0] ? s->error : "could not start");
	}
}

static int64_t attempt_timer(loop_t *l, void *arg)
{
	struct nt_send *s = arg;

	(void)l;
	s->timer = 0;
	start_attempt(s);
	return LOOP_TIMER_STOP;
}

static int64_t backoff_of(const struct nt_chan *c, int attempt)
{
	int64_t w = c->backoff_ms;

	for (int i = 1; i < attempt && w < c->backoff_max_ms; i++)
		w *= 2;
	return w < c->backoff_max_ms ? w : c->backoff_max_ms;
}

static void code_text(const struct nt_send *s, int code, char *buf, size_t len)
{
	switch (s->c->kind) {
	case NOTIFY_WEBHOOK:
		snprintf(buf, len, code ? "HTTP %d" : "no HTTP response", code);
		break;
	case NOTIFY_EMAIL:
		snprintf(buf, len, code ? "SMTP %d" : "no SMTP reply", code);
		break;
	case NOTIFY_COMMAND:
		if (code >= 0)
			snprintf(buf, len, "exit %d", code);
		else
			snprintf(buf, len, "signal %d", -code);
		break;
	}
}

void nt_attempt_done(struct nt_send *s, bool ok, int code, bool retry, const char *error)
{
	int64_t took = loop_now_ms(s->n->loop) - s->t_attempt;
	char ct[40];

	s->running = false;
	s->code = code;
	code_text(s, code, ct, sizeof(ct));
	if (ok) {
		log_info("notify %s [%s]: attempt %d/%d delivered: %s in %lld ms", s->c->name, s->m.id,
			 s->attempt, s->c->attempts, ct, (long long)took);
		observe(s, true, -1);
		finish(s, true, false);
		return;
	}
	char why[sizeof(s->error)];   /* error may be s->error itself */
	snprintf(why, sizeof(why), "%s", error && *error ? error : "failed");
	memcpy(s->error, why, sizeof(why));
	if (retry && s->attempt < s->c->attempts) {
		int64_t w = backoff_of(s->c, s->attempt);
		log_warnx("notify %s [%s]: attempt %d/%d failed: %s (%s) after %lld ms; retry in %lld ms",
			  s->c->name, s->m.id, s->attempt, s->c->attempts, s->error, ct, (long long)took,
			  (long long)w);
		observe(s, false, w);
		loop_timer_at(s->n->loop, &s->timer, loop_now_ms(s->n->loop) + w, attempt_timer, s);
		return;
	}
	log_warnx("notify %s [%s]: attempt %d/%d failed: %s (%s) after %lld ms; giving up%s",
		  s->c->name, s->m.id, s->attempt, s->c->attempts, s->error, ct, (long long)took,
		  retry ? "" : " (permanent error)");
	observe(s, false, -1);
	finish(s, false, false);
}

/* An address for MAIL FROM / RCPT TO: local@domain, nothing that could end
 * the SMTP command or the angle brackets. */
static bool addr_ok(const char *a)
{
	const char *at = a ? strchr(a, '@') : NULL;

	if (!at || at == a || !at[1] || strlen(a) > 254)
		return false;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '<' || *p == '>' || *p == 0x7f)
			return false;
	return true;
}

static bool id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 1 || n > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

int64_t notify_send(struct notify *n, const char *channel, const struct notify_req *req,
		    notify_done_cb done, void *arg)
{
	struct nt_chan *c = chan_find(n, channel);
	struct nt_send *s;
	bool oom = false;

	if (!c)
		return -ENOENT;
	if (!req || !id_ok(req->id) || !req->subject || !*req->subject ||
	    (unsigned)req->kind > NOTIFY_MSG_DRILL)
		return -EINVAL;
	if (c->kind == NOTIFY_EMAIL && req->to && *req->to && !addr_ok(req->to))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n = n;
	s->c = c;
	s->done = done;
	s->arg = arg;
	s->pid = -1;
	s->pidfd = s->in_fd = s->out_fd = s->err_fd = -1;
	s->m.id = dup_opt(req->id, &oom);
	s->m.alarm_id = dup_opt(req->alarm_id ? req->alarm_id : "", &oom);
	s->m.kind = req->kind;
	s->m.subject = dup_opt(req->subject, &oom);
	s->m.text = dup_opt(req->text ? req->text : "", &oom);
	s->m.link = dup_opt(req->link, &oom);
	s->m.to = dup_opt(req->to, &oom);
	s->m.has_pos = req->has_pos;
	s->m.lat = req->lat;
	s->m.lon = req->lon;
	s->t_send = loop_now_ms(n->loop);
	s->id = n->next_id++;
	s->next = n->sends;
	n->sends = s;
	if (oom) {
		send_unlink_free(s);
		return -ENOMEM;
	}
	/* the first attempt from the loop: the callback never runs inside
	 * notify_send(), whatever happens */
	loop_timer_at(n->loop, &s->timer, s->t_send, attempt_timer, s);
	if (!s->timer) {
		send_unlink_free(s);
		return -ENOMEM;
	}
	return s->id;
}

void notify_cancel(struct notify *n, int64_t send_id, bool report)
{
	for (struct nt_send *s = n->sends; s; s = s->next) {
		if (s->id != send_id)
			continue;
		log_info("notify %s [%s]: cancelled after %d attempt(s)", s->c->name, s->m.id, s->attempt);
		if (report) {
			snprintf(s->error, sizeof(s->error), "cancelled");
			finish(s, false, true);
		} else {
			send_stop(s);
			send_unlink_free(s);
		}
		return;
	}
}

/* ---- bounded buffers ---- */

void nt_buf_add(struct nt_buf *b, const char *p, size_t len)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	size_t k = len < room ? len : room;

	if (k) {
		if (!b->p) {
			b->p = malloc(b->cap + 1);
			if (!b->p) {
				b->dropped += len;
				return;
			}
		}
		memcpy(b->p + b->len, p, k);
		b->len += k;
		b->p[b->len] = '\0';
	}
	b->dropped += len - k;
}

void nt_buf_free(struct nt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->dropped = 0;
}
