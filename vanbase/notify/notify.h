/*
 * notify.h - vanbase's notification channels: webhooks (ntfy, Gotify,
 * Matrix, Slack/Mattermost, Telegram, generic JSON), e-mail over SMTP and
 * command hooks, run inside vancommon's single-threaded poll() loop.
 *
 * One struct notify holds the configured channels.  notify_send() starts one
 * notification on one channel and returns at once; the result comes later
 * through a callback.  Each send is an independent transfer: webhooks and
 * e-mail share one libcurl multi handle driven by the loop
 * (curl_multi_socket_action), command hooks are child processes watched
 * through pidfds, so a channel that hangs or refuses connections never
 * delays another.  Every attempt has a timeout; failed attempts are retried
 * with exponential backoff up to a bounded number of attempts; each attempt
 * is logged (controller/log.h) with its result: HTTP status, SMTP reply,
 * exit status, or the transport error.
 *
 * Secrets (tokens, passwords, secret webhook URLs) are read from files named
 * in the channel definition, at notify_new(); they are never logged, and
 * request URLs (which may carry a Telegram bot token or a Slack secret) are
 * never logged either: logs name the channel.
 *
 * Requirements on the process: the loop outlives the struct notify; SIGPIPE
 * is ignored (notify_new() sets SIG_IGN when it is at SIG_DFL: a hook that
 * exits without reading its stdin must not kill the daemon); SIGCHLD is not
 * set to SIG_IGN (children are reaped through pidfds, Linux >= 5.3).
 * Virtual time (loop_virtual_time) does not suit real network transfers:
 * the virtual clock jumps to the next timeout whenever no fd is ready
 * (retry waits and backoff are fine: test_vb_notify_vtime).  Host names are
 * resolved by libcurl's own resolver (Debian's libcurl: the threaded one,
 * "AsynchDNS"), so a slow DNS server never blocks the loop.  libcurl honours
 * the usual proxy variables (https_proxy, no_proxy) of the environment.
 */
#ifndef VB_NOTIFY_H
#define VB_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

enum notify_kind {
	NOTIFY_WEBHOOK,
	NOTIFY_EMAIL,
	NOTIFY_COMMAND,
};

/* Ready payload templates of a webhook channel.  In each, "url" and
 * "target" mean (req->to, when set, overrides target):
 *   GENERIC   POST url, JSON body: the fields given in webhook.fields
 *             (each value expanded, see below), or by default
 *             {id, alarm, kind, subject, text, to, lat, lon, link};
 *             Authorization: Bearer <token> when token_file is set;
 *             Idempotency-Key: <id>.  Also for HTTP SMS gateways.
 *   NTFY      POST url (the server, e.g. https://ntfy.sh) with ntfy's JSON
 *             publish body {topic: target, title, message, priority, tags,
 *             click}; Authorization: Bearer <token> when token_file is set.
 *   GOTIFY    POST url/message, X-Gotify-Key: <app token> (token_file),
 *             {title, message, priority, extras}.
 *   MATRIX    PUT url/_matrix/client/v3/rooms/<target>/send/m.room.message/<id>
 *             (the notification id is the transaction id, so the homeserver
 *             drops a repeat), Authorization: Bearer <access token>,
 *             {msgtype: m.text, body}.
 *   SLACK     POST the incoming-webhook URL {text} (Mattermost accepts the
 *             same); the URL is the secret: give it in url_file.
 *   TELEGRAM  POST url/bot<token>/sendMessage (url defaults to
 *             https://api.telegram.org), {chat_id: target, text}.
 */
enum notify_template {
	NOTIFY_TPL_GENERIC,
	NOTIFY_TPL_NTFY,
	NOTIFY_TPL_GOTIFY,
	NOTIFY_TPL_MATRIX,
	NOTIFY_TPL_SLACK,      /* and Mattermost */
	NOTIFY_TPL_TELEGRAM,
};

/* Generic template field: the body gets "key": expand(value), a JSON string.
 * value may hold {id} {alarm} {kind} {subject} {text} {to} {lat} {lon}
 * {link} {position} ("lat,lon" or ""), {{ for a literal brace. */
struct notify_field {
	const char *key;
	const char *value;
};

struct notify_webhook_conf {
	enum notify_template tpl;
	const char *url;        /* or NULL and url_file */
	const char *url_file;   /* file holding the URL (when the URL is the secret) */
	const char *token_file; /* file holding the token (see the templates) */
	const char *target;     /* ntfy topic, Matrix room id, Telegram chat id */
	const struct notify_field *fields; /* GENERIC only; NULL: default body */
	size_t nfields;
	const char *ca_file;    /* extra CA bundle (self-signed servers); NULL: system */
};

enum notify_tls {
	NOTIFY_TLS_STARTTLS,    /* smtp://: STARTTLS required, else the attempt fails */
	NOTIFY_TLS_IMPLICIT,    /* smtps:// */
	NOTIFY_TLS_NONE_LOOPBACK, /* smtp:// without TLS: only to 127.0.0.1, ::1, localhost */
};

struct notify_email_conf {
	const char *url;        /* smtp://host[:port] or smtps://host[:port] */
	enum notify_tls tls;
	const char *from;       /* bare address: base@example.org */
	const char *const *to;  /* default recipients (req->to overrides) */
	size_t nto;
	const char *user;       /* NULL: no authentication */
	const char *password_file;
	const char *ca_file;
};

struct notify_command_conf {
	/* argv[0] is the program (a path, or looked up in PATH), NULL-terminated;
	 * no shell.  Each argument is expanded as generic fields are ({to},
	 * {subject}...).  The alarm goes to its stdin as one JSON object (see
	 * notify_req_json) followed by a newline. */
	const char *const *argv;
};

struct notify_channel_conf {
	const char *name;       /* unique; logs and notify_send() use it */
	enum notify_kind kind;
	int timeout_ms;         /* per attempt; 0: 10000 */
	int attempts;           /* total attempts, 1..20; 0: 10 (2+4+...+60 s: a 5-minute outage) */
	int backoff_ms;         /* wait before the 2nd attempt, doubling; 0: 2000 */
	int backoff_max_ms;     /* cap of the wait; 0: 60000 */
	bool position;          /* may carry the position (third parties see it) */
	struct notify_webhook_conf webhook;
	struct notify_email_conf email;
	struct notify_command_conf command;
};

enum notify_msg {
	NOTIFY_MSG_RAISE,
	NOTIFY_MSG_REPEAT,
	NOTIFY_MSG_ALL_CLEAR,
	NOTIFY_MSG_DRILL,
};

/* One notification.  notify_send() copies everything it needs. */
struct notify_req {
	const char *id;         /* unique per notification, the same on a resend:
	                         * 1..64 of [A-Za-z0-9._-]; receivers drop repeats
	                         * by it (Matrix txn id, Message-ID, Idempotency-Key) */
	const char *alarm_id;   /* the alarm it is about */
	enum notify_msg kind;
	const char *subject;    /* one line */
	const char *text;       /* short text, may hold newlines */
	bool has_pos;           /* the alarm needs the position; sent only where */
	double lat, lon;        /* the channel has .position set */
	const char *link;       /* console link, or NULL */
	const char *to;         /* recipient on this channel, or NULL for the
	                         * channel's default: e-mail address, ntfy topic,
	                         * Matrix room, Telegram chat, {to} elsewhere */
};

struct notify_result {
	int64_t send_id;        /* as notify_send() returned it */
	const char *channel;
	const char *id;         /* the request's notification id */
	bool ok;
	bool cancelled;         /* only from notify_cancel() with report = true */
	enum notify_kind kind;
	/* webhook: last HTTP status (0: no response); e-mail: last SMTP reply
	 * code (0: none); command: exit status, or -signal when killed */
	int code;
	int attempts;           /* attempts made */
	int64_t elapsed_ms;     /* from notify_send() to this result */
	const char *error;      /* why it failed ("" when ok); valid during the call */
};

typedef void (*notify_done_cb)(const struct notify_result *res, void *arg);

/* Called after every attempt of every send (before the done callback of
 * the last one), for an audit trail of each attempt: res describes that
 * attempt (attempts = its number); retry_in_ms is the wait before the next
 * attempt, or -1 when there is none (delivered, permanent error, attempts
 * used up).  Not called for cancelled sends.  It must not call
 * notify_cancel() or notify_free() (notify_send() is fine). */
typedef void (*notify_attempt_cb)(const struct notify_result *res, int64_t retry_in_ms, void *arg);

struct notify;

/* Build the channels.  Copies the configuration and reads every secret file
 * now.  On error returns NULL and writes a message naming the channel to err
 * (errlen bytes).  The first notify_new() of the process calls
 * curl_global_init(), the last notify_free() curl_global_cleanup(). */
struct notify *notify_new(loop_t *loop, const struct notify_channel_conf *ch, size_t nch,
			  char *err, size_t errlen);

/* Cancels everything in flight (no callbacks), kills running hooks' process
 * groups and reaps them.  Call before loop_free(), never from a callback.
 * Accepts NULL.  On a config reload, build the new struct notify, send new
 * work to it, and free the old one once notify_pending(old) is 0 (or at
 * once, cancelling what it still had). */
void notify_free(struct notify *n);

/* Set (or with NULL clear) the per-attempt observer. */
void notify_on_attempt(struct notify *n, notify_attempt_cb cb, void *arg);

/* Is there a channel of that name? */
bool notify_has_channel(const struct notify *n, const char *channel);

/* Start sending req on channel.  done (may be NULL) is called exactly once,
 * from the loop, never from inside notify_send().  Returns a send id > 0
 * (for notify_cancel), or -ENOENT (no such channel), -EINVAL (bad request:
 * id missing or malformed, no subject), -ENOMEM. */
int64_t notify_send(struct notify *n, const char *channel, const struct notify_req *req,
		    notify_done_cb done, void *arg);

/* Stop a send (retries, transfer, hook: its process group is killed).
 * report: call its callback with cancelled = true (from inside this call);
 * otherwise it is never called.  Unknown or finished ids are ignored. */
void notify_cancel(struct notify *n, int64_t send_id, bool report);

/* Sends not finished yet. */
size_t notify_pending(const struct notify *n);

/* Names for config tables and logs; *_from_name return -1 when unknown. */
const char *notify_kind_name(enum notify_kind k);
int notify_kind_from_name(const char *s);
const char *notify_template_name(enum notify_template t);
int notify_template_from_name(const char *s);     /* "mattermost" = SLACK */
const char *notify_msg_name(enum notify_msg m);
const char *notify_tls_name(enum notify_tls t);
int notify_tls_from_name(const char *s);

#endif
