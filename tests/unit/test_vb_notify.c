/*
 * test_vb_notify.c - vanbase/notify's pure half: what each webhook template
 * builds (method, URL, headers, body), the e-mail message, the hook's JSON,
 * field expansion; and notify_new()'s checks of a channel definition.
 * The transports are tested against real servers in it_90..it_93.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify_impl.h"

static struct nt_msg msg(void)
{
	struct nt_msg m = {
		.id = "n-a17-s0-p1", .alarm_id = "a17", .kind = NOTIFY_MSG_RAISE,
		.subject = "EMERGENCY: van Test van", .text = "Panic pressed 2 min ago.\nCall base.",
		.has_pos = true, .lat = 51.5, .lon = -0.125,
		.link = "https://base.example.org/#van=test",
	};
	return m;
}

static json_t *body_of(const struct nt_http *h)
{
	json_t *j = json_loads(h->body, 0, NULL);
	assert_non_null(j);
	return j;
}

static const char *jget(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	assert_non_null(s);
	return s;
}

static bool has_header(const struct nt_http *h, const char *line)
{
	for (size_t i = 0; i < h->nheaders; i++)
		if (!strcmp(h->headers[i], line))
			return true;
	return false;
}

static void test_matrix(void **st)
{
	(void)st;
	struct nt_chan c = { .name = "mx", .tpl = NOTIFY_TPL_MATRIX, .url = "https://matrix.example.org/",
			     .token = "syt_secret", .target = "!room:example.org" };
	struct nt_msg m = msg();
	struct nt_http h;
	char err[128];

	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	assert_string_equal(h.method, "PUT");
	/* room percent-encoded, the notification id as the transaction id */
	assert_string_equal(h.url, "https://matrix.example.org/_matrix/client/v3/rooms/%21room%3Aexample.org"
			    "/send/m.room.message/n-a17-s0-p1");
	assert_true(has_header(&h, "Authorization: Bearer syt_secret"));
	assert_true(has_header(&h, "Content-Type: application/json"));
	json_t *j = body_of(&h);
	assert_string_equal(jget(j, "msgtype"), "m.text");
	/* position withheld: the channel may not carry it */
	assert_null(strstr(jget(j, "body"), "51.5"));
	assert_non_null(strstr(jget(j, "body"), "EMERGENCY: van Test van\nPanic pressed"));
	json_decref(j);
	nt_http_clear(&h);

	c.token = NULL;
	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "token"));
}

static void test_telegram(void **st)
{
	(void)st;
	struct nt_chan c = { .name = "tg", .tpl = NOTIFY_TPL_TELEGRAM, .url = "https://api.telegram.org",
			     .token = "123:ABC", .target = "-1001", .position = true };
	struct nt_msg m = msg();
	struct nt_http h;
	char err[128];

	m.to = "4242";
	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.url, "https://api.telegram.org/bot123:ABC/sendMessage");
	json_t *j = body_of(&h);
	assert_string_equal(jget(j, "chat_id"), "4242");   /* req->to wins */
	assert_non_null(strstr(jget(j, "text"), "Position: 51.500000,-0.125000"));
	assert_non_null(strstr(jget(j, "text"), "https://base.example.org/#van=test"));
	assert_true(json_is_true(json_object_get(j, "disable_web_page_preview")));
	json_decref(j);
	nt_http_clear(&h);
}

static void test_ntfy_gotify_slack(void **st)
{
	(void)st;
	struct nt_chan c = { .name = "nt", .tpl = NOTIFY_TPL_NTFY, .url = "https://ntfy.sh",
			     .target = "van-alarms" };
	struct nt_msg m = msg();
	struct nt_http h;
	char err[128];

	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	assert_string_equal(h.url, "https://ntfy.sh");
	json_t *j = body_of(&h);
	assert_string_equal(jget(j, "topic"), "van-alarms");
	assert_string_equal(jget(j, "title"), "EMERGENCY: van Test van");
	assert_string_equal(jget(j, "click"), "https://base.example.org/#van=test");
	assert_int_equal(json_integer_value(json_object_get(j, "priority")), 5);
	json_decref(j);
	nt_http_clear(&h);

	m.kind = NOTIFY_MSG_ALL_CLEAR;
	c.tpl = NOTIFY_TPL_GOTIFY;
	c.token = "AppTok";
	c.url = "https://gotify.example.org/";
	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	assert_string_equal(h.url, "https://gotify.example.org/message");
	assert_true(has_header(&h, "X-Gotify-Key: AppTok"));
	j = body_of(&h);
	assert_int_equal(json_integer_value(json_object_get(j, "priority")), 5);
	assert_non_null(json_object_get(json_object_get(j, "extras"), "client::notification"));
	json_decref(j);
	nt_http_clear(&h);

	c.tpl = NOTIFY_TPL_SLACK;
	c.url = "https://hooks.slack.com/services/T/B/X";
	c.token = NULL;
	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	j = body_of(&h);
	assert_int_equal(json_object_size(j), 1);
	assert_non_null(strstr(jget(j, "text"), "EMERGENCY"));
	json_decref(j);
	nt_http_clear(&h);
}

static void test_generic_fields(void **st)
{
	(void)st;
	struct notify_field f[] = {
		{ "to", "{to}" },
		{ "message", "{subject}: {text} {{literal}} {unknown} at {position}" },
	};
	struct nt_chan c = { .name = "sms", .tpl = NOTIFY_TPL_GENERIC, .url = "http://127.0.0.1:1/sms",
			     .fields = f, .nfields = 2, .token = "tok", .position = true };
	struct nt_msg m = msg();
	struct nt_http h;
	char err[128];

	m.to = "+441234567890";
	m.text = "a \"quoted\" word";
	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	assert_true(has_header(&h, "Authorization: Bearer tok"));
	assert_true(has_header(&h, "Idempotency-Key: n-a17-s0-p1"));
	json_t *j = body_of(&h);   /* quotes in the text: still valid JSON */
	assert_string_equal(jget(j, "to"), "+441234567890");
	assert_string_equal(jget(j, "message"), "EMERGENCY: van Test van: a \"quoted\" word {literal} "
			    "{unknown} at 51.500000,-0.125000");
	json_decref(j);
	nt_http_clear(&h);

	/* no fields: the default body */
	c.nfields = 0;
	c.position = false;
	assert_int_equal(nt_web_build(&c, &m, &h, err, sizeof(err)), 0);
	j = body_of(&h);
	assert_string_equal(jget(j, "id"), "n-a17-s0-p1");
	assert_string_equal(jget(j, "alarm"), "a17");
	assert_string_equal(jget(j, "kind"), "raise");
	assert_null(json_object_get(j, "lat"));
	json_decref(j);
	nt_http_clear(&h);
}

static void test_mail(void **st)
{
	(void)st;
	struct nt_chan c = { .name = "mail", .kind = NOTIFY_EMAIL, .from = "base@outreach.example.org",
			     .position = true };
	struct nt_msg m = msg();
	const char *to[] = { "oncall@example.org", "manager@example.org" };
	char date[64];

	nt_mail_date(0, date, sizeof(date));
	assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 +0000");
	nt_mail_date(1796304000000LL, date, sizeof(date));   /* 2026-12-03 13:20 UTC */
	assert_string_equal(date, "Thu, 03 Dec 2026 13:20:00 +0000");

	m.subject = "EMERGENCY\r\nBcc: evil@example.org";
	char *mail = nt_mail_build(&c, &m, to, 2, 1796304000000LL);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "Date: Thu, 03 Dec 2026 13:20:00 +0000\r\n"));
	assert_non_null(strstr(mail, "From: base@outreach.example.org\r\n"));
	assert_non_null(strstr(mail, "To: oncall@example.org,\r\n manager@example.org\r\n"));
	/* no header injection: the CR LF became spaces */
	assert_non_null(strstr(mail, "Subject: EMERGENCY  Bcc: evil@example.org\r\n"));
	assert_null(strstr(mail, "\r\nBcc:"));
	assert_non_null(strstr(mail, "Message-ID: <n-a17-s0-p1.vanbase@outreach.example.org>\r\n"));
	assert_non_null(strstr(mail, "X-Vanbase-Kind: raise\r\n"));
	assert_non_null(strstr(mail, "\r\n\r\nPanic pressed 2 min ago.\r\nCall base.\r\nPosition: 51.5"));
	/* every line ends in CRLF */
	for (const char *p = mail; (p = strchr(p, '\n')); p++)
		assert_true(p > mail && p[-1] == '\r');
	free(mail);

	m.subject = "Fahrzeug \xc3\xbc""berf\xc3\xa4llig";
	m.text = "\xc3\xbc";
	mail = nt_mail_build(&c, &m, to, 1, 0);
	assert_non_null(strstr(mail, "Subject: =?UTF-8?B?RmFocnpldWcgw7xiZXJmw6RsbGln?=\r\n"));
	assert_non_null(strstr(mail, "Content-Transfer-Encoding: base64\r\n"));
	free(mail);
}

static void test_hook_json(void **st)
{
	(void)st;
	struct nt_chan c = { .name = "hook", .kind = NOTIFY_COMMAND, .position = true };
	struct nt_msg m = msg();
	char *s = nt_msg_json(&c, &m);
	json_t *j = json_loads(s, 0, NULL);

	assert_non_null(j);
	assert_string_equal(jget(j, "id"), "n-a17-s0-p1");
	assert_string_equal(jget(j, "kind"), "raise");
	assert_true(json_real_value(json_object_get(j, "lat")) == 51.5);
	json_decref(j);
	free(s);
	char *a = nt_expand("--to={to} {id}", &c, &m);
	assert_string_equal(a, "--to= n-a17-s0-p1");
	free(a);
}

static void test_new_checks(void **st)
{
	(void)st;
	loop_t *l = loop_new();
	char err[256], tok[] = "/tmp/test_vb_notify.XXXXXX";
	int fd = mkstemp(tok);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);

	struct notify_channel_conf tg = { .name = "tg", .kind = NOTIFY_WEBHOOK,
		.webhook = { .tpl = NOTIFY_TPL_TELEGRAM, .target = "1" } };
	assert_null(notify_new(l, &tg, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "channel tg"));
	assert_non_null(strstr(err, "token_file"));
	tg.webhook.token_file = "/nonexistent/token";
	assert_null(notify_new(l, &tg, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/token"));
	tg.webhook.token_file = tok;

	const char *to[] = { "a@example.org" };
	struct notify_channel_conf ch[2] = { tg, { .name = "mail", .kind = NOTIFY_EMAIL,
		.email = { .url = "smtp://mail.example.org", .tls = NOTIFY_TLS_NONE_LOOPBACK,
			   .from = "b@example.org", .to = to, .nto = 1 } } };
	assert_null(notify_new(l, ch, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "without TLS"));
	ch[1].email.url = "smtp://127.0.0.1:25";
	struct notify *n = notify_new(l, ch, 2, err, sizeof(err));
	assert_non_null(n);
	const char *bad[] = { "a@example.org> SIZE=1" };
	ch[1].email.to = bad;
	assert_null(notify_new(l, ch, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "not an address"));
	ch[1].email.to = to;
	ch[1].name = "tg";
	assert_null(notify_new(l, ch, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "twice"));

	struct notify_req req = { .id = "bad id with spaces", .subject = "s" };
	assert_int_equal(notify_send(n, "tg", &req, NULL, NULL), -EINVAL);
	req.id = "ok-1";
	assert_int_equal(notify_send(n, "nope", &req, NULL, NULL), -ENOENT);
	/* no SMTP command injection through a recipient */
	req.to = "x@example.org>\r\nRCPT TO:<y@example.org";
	assert_int_equal(notify_send(n, "mail", &req, NULL, NULL), -EINVAL);
	req.to = NULL;
	int64_t id = notify_send(n, "tg", &req, NULL, NULL);
	assert_true(id > 0);
	assert_int_equal(notify_pending(n), 1);
	notify_cancel(n, id, false);
	assert_int_equal(notify_pending(n), 0);
	assert_int_equal(notify_template_from_name("mattermost"), NOTIFY_TPL_SLACK);
	notify_free(n);
	loop_free(l);
	unlink(tok);
}

/* The done callback may cancel its own send (a no-op), send again and count. */
struct reentry {
	struct notify *n;
	loop_t *l;
	int calls;
	int64_t last;
};

static void reentry_done(const struct notify_result *r, void *arg)
{
	struct reentry *x = arg;

	x->calls++;
	assert_false(r->ok);
	assert_int_equal(r->send_id, x->last);
	notify_cancel(x->n, r->send_id, true);   /* finished: ignored */
	assert_int_equal(notify_pending(x->n), 0);
	if (x->calls == 1) {
		struct notify_req req = { .id = "again", .subject = "s" };
		x->last = notify_send(x->n, "refused", &req, reentry_done, x);
		assert_true(x->last > 0);
	} else {
		loop_stop(x->l);
	}
}

static void test_callback_reentry(void **st)
{
	(void)st;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);   /* never listens */
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	struct notify_channel_conf ch = { .name = "refused", .kind = NOTIFY_WEBHOOK, .attempts = 1,
		.webhook = { .tpl = NOTIFY_TPL_GENERIC, .url = url } };
	struct reentry x = { .l = loop_new() };
	x.n = notify_new(x.l, &ch, 1, err, sizeof(err));
	assert_non_null(x.n);
	struct notify_req req = { .id = "first", .subject = "s" };
	x.last = notify_send(x.n, "refused", &req, reentry_done, &x);
	assert_int_equal(x.calls, 0);   /* never from inside notify_send() */
	loop_run(x.l);
	assert_int_equal(x.calls, 2);
	notify_free(x.n);
	loop_free(x.l);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_telegram),
		cmocka_unit_test(test_ntfy_gotify_slack),
		cmocka_unit_test(test_generic_fields),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_hook_json),
		cmocka_unit_test(test_new_checks),
		cmocka_unit_test(test_callback_reentry),
	};
	log_init("test_vb_notify", false, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
