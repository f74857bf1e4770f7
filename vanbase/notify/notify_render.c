/*
 * notify_render.c - the pure half of the channels: what each webhook
 * template sends (method, URL, headers, JSON body built with jansson), the
 * e-mail message (RFC 5322), the hook's JSON.  No I/O, no clock: times come
 * in as arguments, so unit tests check every shape byte for byte.
 */
#include "notify_impl.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool nt_with_pos(const struct nt_chan *c, const struct nt_msg *m)
{
	return c->position && m->has_pos;
}

/* A growing string. */
struct str {
	char *p;
	size_t len, cap;
	bool oom;
};

static void str_addn(struct str *s, const char *p, size_t n)
{
	if (s->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 128;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *q = realloc(s->p, cap);
		if (!q) {
			s->oom = true;
			return;
		}
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void str_add(struct str *s, const char *p) { str_addn(s, p, strlen(p)); }

static void str_addf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void str_addf(struct str *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	str_addn(s, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static char *str_done(struct str *s)
{
	if (s->oom) {
		free(s->p);
		return NULL;
	}
	if (!s->p)
		return strdup("");
	return s->p;
}

static const char *recipient(const struct nt_chan *c, const struct nt_msg *m)
{
	return m->to && *m->to ? m->to : c->target ? c->target : "";
}

static void pos_str(const struct nt_chan *c, const struct nt_msg *m, char *buf, size_t len,
		    bool lat)
{
	if (!nt_with_pos(c, m))
		buf[0] = '\0';
	else
		snprintf(buf, len, "%.6f", lat ? m->lat : m->lon);
}

char *nt_plain(const struct nt_chan *c, const struct nt_msg *m, bool with_subject, const char *eol)
{
	struct str s = { 0 };

	if (with_subject) {
		str_add(&s, m->subject);
		str_add(&s, eol);
	}
	/* normalise the text's line ends to eol */
	for (const char *p = m->text ? m->text : ""; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			str_add(&s, eol);
		else
			str_addn(&s, p, 1);
	}
	if (m->text && *m->text)
		str_add(&s, eol);
	if (nt_with_pos(c, m))
		str_addf(&s, "Position: %.6f,%.6f https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=17/%.6f/%.6f%s",
			 m->lat, m->lon, m->lat, m->lon, m->lat, m->lon, eol);
	if (m->link && *m->link) {
		str_add(&s, m->link);
		str_add(&s, eol);
	}
	return str_done(&s);
}

char *nt_expand(const char *tpl, const struct nt_chan *c, const struct nt_msg *m)
{
	struct str s = { 0 };
	char lat[32], lon[32], pos[80];

	pos_str(c, m, lat, sizeof(lat), true);
	pos_str(c, m, lon, sizeof(lon), false);
	if (*lat)
		snprintf(pos, sizeof(pos), "%s,%s", lat, lon);
	else
		pos[0] = '\0';
	for (const char *p = tpl; *p; ) {
		if (p[0] == '{' && p[1] == '{') {
			str_add(&s, "{");
			p += 2;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			str_add(&s, "}");
			p += 2;
			continue;
		}
		const char *end = p[0] == '{' ? strchr(p, '}') : NULL;
		if (!end) {
			str_addn(&s, p, 1);
			p++;
			continue;
		}
		size_t n = (size_t)(end - p - 1);
		const char *name = p + 1, *val = NULL;
#define IS(k) (n == strlen(k) && !strncmp(name, k, n))
		if (IS("id"))
			val = m->id;
		else if (IS("alarm"))
			val = m->alarm_id ? m->alarm_id : "";
		else if (IS("kind"))
			val = notify_msg_name(m->kind);
		else if (IS("subject"))
			val = m->subject;
		else if (IS("text"))
			val = m->text ? m->text : "";
		else if (IS("to"))
			val = recipient(c, m);
		else if (IS("lat"))
			val = lat;
		else if (IS("lon"))
			val = lon;
		else if (IS("position"))
			val = pos;
		else if (IS("link"))
			val = m->link ? m->link : "";
#undef IS
		if (val) {
			str_add(&s, val);
			p = end + 1;
		} else {        /* not ours: keep it as it is */
			str_addn(&s, p, 1);
			p++;
		}
	}
	return str_done(&s);
}

/* json_object_set_new that tolerates a NULL value (then the object is bad). */
static bool jset(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return false;
	return json_object_set_new(o, k, v) == 0;
}

static bool jstr(json_t *o, const char *k, const char *v)
{
	return jset(o, k, json_string(v ? v : ""));
}

static char *jdump(json_t *o, bool ok)
{
	char *r = ok ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	return r;
}

char *nt_msg_json(const struct nt_chan *c, const struct nt_msg *m)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (!o)
		return NULL;
	ok = ok && jstr(o, "id", m->id);
	ok = ok && jstr(o, "alarm", m->alarm_id);
	ok = ok && jstr(o, "kind", notify_msg_name(m->kind));
	ok = ok && jstr(o, "subject", m->subject);
	ok = ok && jstr(o, "text", m->text);
	ok = ok && jstr(o, "to", recipient(c, m));
	if (m->link && *m->link)
		ok = ok && jstr(o, "link", m->link);
	if (nt_with_pos(c, m)) {
		ok = ok && jset(o, "lat", json_real(m->lat));
		ok = ok && jset(o, "lon", json_real(m->lon));
	}
	return jdump(o, ok);
}

/* Percent-encode a path segment (RFC 3986 unreserved kept). */
static void str_add_pct(struct str *s, const char *p)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			str_addn(s, p, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			str_addn(s, e, 3);
		}
	}
}

/* url without trailing slashes, then suffix */
static char *url_join(const char *base, const char *suffix)
{
	struct str s = { 0 };
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	str_addn(&s, base, n);
	str_add(&s, suffix);
	return str_done(&s);
}

static int add_header(struct nt_http *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_header(struct nt_http *h, const char *fmt, ...)
{
	char **n = realloc(h->headers, (h->nheaders + 1) * sizeof(*n));
	va_list ap;

	if (!n)
		return -1;
	h->headers = n;
	va_start(ap, fmt);
	int r = vasprintf(&h->headers[h->nheaders], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	h->nheaders++;
	return 0;
}

void nt_http_clear(struct nt_http *h)
{
	if (!h)
		return;
	free(h->url);
	for (size_t i = 0; i < h->nheaders; i++)
		free(h->headers[i]);
	free(h->headers);
	free(h->body);
	memset(h, 0, sizeof(*h));
}

/* ntfy priorities: 5 urgent .. 1 min; Gotify: 0..10 */
static int ntfy_prio(enum notify_msg k)
{
	return k == NOTIFY_MSG_RAISE || k == NOTIFY_MSG_REPEAT ? 5 : k == NOTIFY_MSG_ALL_CLEAR ? 3 : 2;
}

static int gotify_prio(enum notify_msg k)
{
	return k == NOTIFY_MSG_RAISE || k == NOTIFY_MSG_REPEAT ? 10 : k == NOTIFY_MSG_ALL_CLEAR ? 5 : 2;
}

static const char *ntfy_tag(enum notify_msg k)
{
	switch (k) {
	case NOTIFY_MSG_RAISE:
	case NOTIFY_MSG_REPEAT: return "rotating_light";
	case NOTIFY_MSG_ALL_CLEAR: return "white_check_mark";
	case NOTIFY_MSG_DRILL: return "test_tube";
	}
	return "bell";
}

static json_t *build_generic(const struct nt_chan *c, const struct nt_msg *m)
{
	if (!c->nfields) {
		char *s = nt_msg_json(c, m);
		json_t *o = s ? json_loads(s, 0, NULL) : NULL;
		free(s);
		return o;
	}
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (size_t i = 0; i < c->nfields; i++) {
		char *v = nt_expand(c->fields[i].value, c, m);
		bool ok = v && jstr(o, c->fields[i].key, v);
		free(v);
		if (!ok) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int nt_web_build(const struct nt_chan *c, const struct nt_msg *m, struct nt_http *out,
		 char *err, size_t errlen)
{
	struct nt_http h = { .method = "POST" };
	json_t *o = NULL;
	char *plain = NULL;
	bool ok = true;
	const char *to = recipient(c, m);

	switch (c->tpl) {
	case NOTIFY_TPL_GENERIC:
		h.url = strdup(c->url);
		o = build_generic(c, m);
		ok = o != NULL;
		if (ok && c->token)
			ok = add_header(&h, "Authorization: Bearer %s", c->token) == 0;
		ok = ok && add_header(&h, "Idempotency-Key: %s", m->id) == 0;
		break;
	case NOTIFY_TPL_NTFY:
		if (!*to) {
			snprintf(err, errlen, "no ntfy topic (target)");
			goto fail;
		}
		h.url = strdup(c->url);
		plain = nt_plain(c, m, false, "\n");
		o = json_object();
		ok = o && plain;
		ok = ok && jstr(o, "topic", to);
		ok = ok && jstr(o, "title", m->subject);
		ok = ok && jstr(o, "message", *plain ? plain : m->subject);
		ok = ok && jset(o, "priority", json_integer(ntfy_prio(m->kind)));
		ok = ok && jset(o, "tags", json_pack("[s]", ntfy_tag(m->kind)));
		if (ok && m->link && *m->link)
			ok = jstr(o, "click", m->link);
		if (ok && c->token)
			ok = add_header(&h, "Authorization: Bearer %s", c->token) == 0;
		break;
	case NOTIFY_TPL_GOTIFY:
		if (!c->token) {
			snprintf(err, errlen, "no Gotify application token (token_file)");
			goto fail;
		}
		h.url = url_join(c->url, "/message");
		plain = nt_plain(c, m, false, "\n");
		o = json_object();
		ok = o && plain;
		ok = ok && jstr(o, "title", m->subject);
		ok = ok && jstr(o, "message", *plain ? plain : m->subject);
		ok = ok && jset(o, "priority", json_integer(gotify_prio(m->kind)));
		if (ok && m->link && *m->link)
			ok = jset(o, "extras", json_pack("{s:{s:{s:s}}}", "client::notification",
							 "click", "url", m->link));
		ok = ok && add_header(&h, "X-Gotify-Key: %s", c->token) == 0;
		break;
	case NOTIFY_TPL_MATRIX: {
		if (!c->token || !*to) {
			snprintf(err, errlen, "Matrix needs an access token (token_file) and a room (target)");
			goto fail;
		}
		struct str u = { 0 };
		size_t n = strlen(c->url);
		while (n > 0 && c->url[n - 1] == '/')
			n--;
		str_addn(&u, c->url, n);
		str_add(&u, "/_matrix/client/v3/rooms/");
		str_add_pct(&u, to);
		str_add(&u, "/send/m.room.message/");
		str_add_pct(&u, m->id);
		h.url = str_done(&u);
		h.method = "PUT";
		plain = nt_plain(c, m, true, "\n");
		o = json_object();
		ok = o && plain;
		ok = ok && jstr(o, "msgtype", m->kind == NOTIFY_MSG_DRILL ? "m.notice" : "m.text");
		ok = ok && jstr(o, "body", plain);
		ok = ok && add_header(&h, "Authorization: Bearer %s", c->token) == 0;
		break;
	}
	case NOTIFY_TPL_SLACK:
		h.url = strdup(c->url);
		plain = nt_plain(c, m, true, "\n");
		o = json_object();
		ok = o && plain && jstr(o, "text", plain);
		break;
	case NOTIFY_TPL_TELEGRAM: {
		if (!c->token || !*to) {
			snprintf(err, errlen, "Telegram needs a bot token (token_file) and a chat id (target)");
			goto fail;
		}
		struct str u = { 0 };
		size_t n = strlen(c->url);
		while (n > 0 && c->url[n - 1] == '/')
			n--;
		str_addn(&u, c->url, n);
		str_add(&u, "/bot");
		str_add(&u, c->token);
		str_add(&u, "/sendMessage");
		h.url = str_done(&u);
		plain = nt_plain(c, m, true, "\n");
		o = json_object();
		ok = o && plain;
		ok = ok && jstr(o, "chat_id", to);
		ok = ok && jstr(o, "text", plain);
		ok = ok && jset(o, "disable_web_page_preview", json_true());
		break;
	}
	}
	ok = ok && h.url;
	ok = ok && add_header(&h, "Content-Type: application/json") == 0;
	h.body = ok ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!h.body) {
		snprintf(err, errlen, "out of memory building the request");
		goto fail;
	}
	json_decref(o);
	free(plain);
	*out = h;
	return 0;
fail:
	json_decref(o);
	free(plain);
	nt_http_clear(&h);
	return -1;
}

void nt_mail_date(int64_t wall_ms, char *buf, size_t len)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	/* names by table: strftime's %a/%b follow the locale */
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
		 mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool is_ascii(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return false;
	return true;
}

static void str_add_b64(struct str *s, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char e[4] = { t[(v >> 18) & 63], t[(v >> 12) & 63],
			      i + 1 < n ? t[(v >> 6) & 63] : '=', i + 2 < n ? t[v & 63] : '=' };
		str_addn(s, e, 4);
	}
}

/* A header value on one line: CR and LF (header injection) become spaces;
 * non-ASCII as an RFC 2047 encoded word. */
static void str_add_hdr(struct str *s, const char *v)
{
	char *one = strdup(v);

	if (!one) {
		s->oom = true;
		return;
	}
	for (char *p = one; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (is_ascii(one)) {
		str_add(s, one);
	} else {
		/* encoded words of at most 45 bytes each (60 in base64), not
		 * splitting a UTF-8 sequence */
		const unsigned char *p = (const unsigned char *)one;
		size_t n = strlen(one);
		bool first = true;
		while (n > 0) {
			size_t k = n < 45 ? n : 45;
			while (k < n && k > 0 && (p[k] & 0xC0) == 0x80)
				k--;
			if (!first)
				str_add(s, "\r\n ");
			str_add(s, "=?UTF-8?B?");
			str_add_b64(s, p, k);
			str_add(s, "?=");
			p += k;
			n -= k;
			first = false;
		}
	}
	free(one);
}

char *nt_mail_build(const struct nt_chan *c, const struct nt_msg *m, const char *const *to,
		    size_t nto, int64_t wall_ms)
{
	struct str s = { 0 };
	char date[64];
	const char *dom = strrchr(c->from, '@');
	char *body = nt_plain(c, m, false, "\r\n");

	if (!body)
		return NULL;
	nt_mail_date(wall_ms, date, sizeof(date));
	str_addf(&s, "Date: %s\r\n", date);
	str_add(&s, "From: ");
	str_add_hdr(&s, c->from);
	str_add(&s, "\r\nTo: ");
	for (size_t i = 0; i < nto; i++) {
		if (i)
			str_add(&s, ",\r\n ");
		str_add_hdr(&s, to[i]);
	}
	str_add(&s, "\r\nSubject: ");
	str_add_hdr(&s, m->subject);
	/* the same notification id gives the same Message-ID: a mail system
	 * (and a person's client) can drop a resent copy */
	str_add(&s, "\r\nMessage-ID: <");
	str_add(&s, m->id);
	str_add(&s, ".vanbase@");
	str_add(&s, dom && dom[1] ? dom + 1 : "vanbase.invalid");
	str_add(&s, ">\r\n");
	str_add(&s, "MIME-Version: 1.0\r\n");
	str_add(&s, "Content-Type: text/plain; charset=UTF-8\r\n");
	str_add(&s, "Auto-Submitted: auto-generated\r\n");
	str_add(&s, "X-Vanbase-Alarm: ");
	str_add_hdr(&s, m->alarm_id ? m->alarm_id : "");
	str_addf(&s, "\r\nX-Vanbase-Kind: %s\r\n", notify_msg_name(m->kind));
	if (m->kind == NOTIFY_MSG_RAISE || m->kind == NOTIFY_MSG_REPEAT)
		str_add(&s, "Importance: high\r\nX-Priority: 1\r\n");
	if (is_ascii(body)) {
		str_add(&s, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		str_add(&s, body);
	} else {
		/* 8-bit text needs 8BITMIME on every hop: base64 needs nothing */
		str_add(&s, "Content-Transfer-Encoding: base64\r\n\r\n");
		size_t n = strlen(body);
		for (size_t i = 0; i < n; i += 57) {
			str_add_b64(&s, (const unsigned char *)body + i, n - i < 57 ? n - i : 57);
			str_add(&s, "\r\n");
		}
	}
	free(body);
	return str_done(&s);
}
