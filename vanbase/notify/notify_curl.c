/*
 * notify_curl.c - webhooks and e-mail through one libcurl multi handle in
 * the loop.  libcurl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); the loop calls curl_multi_socket_action() for a
 * ready socket or the timer, and finished transfers are collected with
 * curl_multi_info_read().  Each transfer is its own easy handle, so a
 * receiver that hangs holds only its own transfer, until its timeout.
 */
#include "notify_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define RESP_MAX 512     /* response body kept for the error text */

static void check_done(struct notify *n);

static void sock_cb_loop(loop_t *l, int fd, short revents, void *arg)
{
	struct notify *n = arg;
	int mask = 0, running;

	(void)l;
	if (revents & POLLIN)
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(n->multi, fd, mask, &running);
	check_done(n);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as libcurl asks */
static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct notify *n = userp;
	short ev = 0;

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_del_fd(n->loop, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= POLLOUT;
	if (loop_mod_fd(n->loop, s, ev) == -ENOENT && loop_add_fd(n->loop, s, ev, sock_cb_loop, n) < 0)
		return -1;
	return 0;
}

static int64_t curl_timer(loop_t *l, void *arg)
{
	struct notify *n = arg;
	int running;

	(void)l;
	n->curl_timer = 0;
	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(n);
	return LOOP_TIMER_STOP;
}

/* CURLMOPT_TIMERFUNCTION: call back in timeout_ms (-1: never) */
static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct notify *n = userp;

	(void)m;
	loop_timer_at(n->loop, &n->curl_timer,
		      timeout_ms < 0 ? -1 : loop_now_ms(n->loop) + timeout_ms, curl_timer, n);
	return 0;
}

int nt_curl_init(struct notify *n)
{
	n->multi = curl_multi_init();
	if (!n->multi)
		return -1;
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	return 0;
}

void nt_curl_fini(struct notify *n)
{
	if (n->multi)
		curl_multi_cleanup(n->multi);
	n->multi = NULL;
	loop_timer_at(n->loop, &n->curl_timer, -1, NULL, NULL);
}

static void easy_clear(struct nt_send *s)
{
	if (s->easy) {
		curl_multi_remove_handle(s->n->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	curl_slist_free_all(s->hdrs);
	curl_slist_free_all(s->rcpt);
	s->hdrs = s->rcpt = NULL;
	free(s->body);
	s->body = NULL;
	s->body_len = s->body_off = 0;
	nt_buf_free(&s->resp);
}

void nt_curl_stop(struct nt_send *s)
{
	easy_clear(s);
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct nt_send *s = arg;

	nt_buf_add(&s->resp, p, size * nmemb);
	return size * nmemb;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct nt_send *s = arg;
	size_t room = size * nitems, left = s->body_len - s->body_off;
	size_t k = left < room ? left : room;

	memcpy(buf, s->body + s->body_off, k);
	s->body_off += k;
	return k;
}

static bool add_hdr(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);

	if (!n)
		return false;
	*l = n;
	return true;
}

static void common_opts(struct nt_send *s, CURL *e)
{
	const struct nt_chan *c = s->c;

	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(e, CURLOPT_URL, c->url);
}

static int start_webhook(struct nt_send *s, CURL *e)
{
	struct nt_http h;

	if (nt_web_build(s->c, &s->m, &h, s->error, sizeof(s->error)) < 0)
		return -1;
	bool ok = true;
	for (size_t i = 0; ok && i < h.nheaders; i++)
		ok = add_hdr(&s->hdrs, h.headers[i]);
	ok = ok && add_hdr(&s->hdrs, "Expect:");
	s->body = h.body;
	s->body_len = strlen(h.body);
	h.body = NULL;
	common_opts(s, e);
	curl_easy_setopt(e, CURLOPT_URL, h.url);   /* the template's URL */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vanbase/" VAN_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)s->body_len);
	if (strcmp(h.method, "POST"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, h.method);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	nt_http_clear(&h);   /* libcurl copies the URL string */
	if (!ok)
		snprintf(s->error, sizeof(s->error), "out of memory");
	return ok ? 0 : -1;
}

static int start_email(struct nt_send *s, CURL *e)
{
	const struct nt_chan *c = s->c;
	const char *one[1];
	const char *const *to = (const char *const *)c->to;
	size_t nto = c->nto;
	char addr[320];
	bool ok = true;

	if (s->m.to && *s->m.to) {
		one[0] = s->m.to;
		to = one;
		nto = 1;
	}
	if (!nto) {
		snprintf(s->error, sizeof(s->error), "no recipient");
		return -1;
	}
	for (size_t i = 0; ok && i < nto; i++) {
		snprintf(addr, sizeof(addr), "<%s>", to[i]);
		ok = add_hdr(&s->rcpt, addr);
	}
	s->body = nt_mail_build(c, &s->m, to, nto, wall_now_ms());
	if (!ok || !s->body) {
		snprintf(s->error, sizeof(s->error), "out of memory");
		return -1;
	}
	s->body_len = strlen(s->body);
	common_opts(s, e);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (c->tls == NOTIFY_TLS_STARTTLS)
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	snprintf(addr, sizeof(addr), "<%s>", c->from);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, s->rcpt);
	if (c->user) {
		curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->password);
	}
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_INFILESIZE, (long)s->body_len);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, s);
	return 0;
}

int nt_curl_start(struct nt_send *s)
{
	CURL *e = curl_easy_init();
	int r;

	s->errbuf[0] = '\0';
	s->resp.cap = RESP_MAX;
	if (!e) {
		snprintf(s->error, sizeof(s->error), "libcurl: no easy handle");
		return -1;
	}
	s->easy = e;
	r = s->c->kind == NOTIFY_WEBHOOK ? start_webhook(s, e) : start_email(s, e);
	if (r == 0 && curl_multi_add_handle(s->n->multi, e) != CURLM_OK) {
		snprintf(s->error, sizeof(s->error), "libcurl: cannot add the transfer");
		r = -1;
	}
	if (r < 0)
		easy_clear(s);
	return r;
}

/* One line of printable text from a response body, for the log. */
static void resp_line(const struct nt_buf *b, char *out, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; b->p && i < b->len && j + 1 < len; i++) {
		unsigned char ch = (unsigned char)b->p[i];
		out[j++] = ch >= 0x20 && ch != 0x7f ? (char)ch : ' ';
	}
	out[j] = '\0';
	if (j > 120)
		strcpy(out + 117, "...");
}

/* Is a failed transfer worth another attempt? */
static bool curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:     /* the server offers no STARTTLS */
	case CURLE_PEER_FAILED_VERIFICATION:
		return false;
	default:
		return true;
	}
}

static void transfer_done(struct nt_send *s, CURLcode rc)
{
	long code = 0;
	char err[CURL_ERROR_SIZE + 128], body[128];
	bool ok, retry;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	if (s->c->kind == NOTIFY_WEBHOOK) {
		ok = rc == CURLE_OK && code >= 200 && code < 300;
		/* 4xx is our request's fault and will not change; 408 and 429 will */
		retry = rc != CURLE_OK ? curl_retryable(rc) :
			code >= 500 || code == 408 || code == 429 || code < 200;
	} else {
		ok = rc == CURLE_OK;
		/* SMTP 5yz is permanent, 4yz transient */
		retry = curl_retryable(rc) && !(code >= 500 && code < 600);
	}
	if (rc != CURLE_OK) {
		const char *what = curl_easy_strerror(rc);
		/* the error buffer has the details, often ending in the same text */
		if (!s->errbuf[0])
			snprintf(err, sizeof(err), "%s", what);
		else if (strstr(s->errbuf, what))
			snprintf(err, sizeof(err), "%s", s->errbuf);
		else
			snprintf(err, sizeof(err), "%s: %s", what, s->errbuf);
		err[strcspn(err, "\r\n")] = '\0';
		/* libcurl 7.88 says "Couldn't connect to server" for a refused
		 * connection, an unreachable network and a host that is down alike:
		 * the system's reason tells base staff which */
		long oserr = 0;
		if (curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &oserr) == CURLE_OK && oserr > 0 &&
		    !strstr(err, strerror((int)oserr))) {
			size_t len = strlen(err);
			snprintf(err + len, sizeof(err) - len, " (%s)", strerror((int)oserr));
		}
	} else if (!ok) {
		resp_line(&s->resp, body, sizeof(body));
		snprintf(err, sizeof(err), "HTTP status %ld%s%s", code, body[0] ? ": " : "", body);
	} else {
		err[0] = '\0';
	}
	easy_clear(s);
	nt_attempt_done(s, ok, (int)code, retry, ok ? NULL : err);
}

static void check_done(struct notify *n)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(n->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct nt_send *s = NULL;
		CURLcode rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (s && s->easy == msg->easy_handle)
			transfer_done(s, rc);
	}
}
