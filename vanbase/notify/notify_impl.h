/*
 * notify_impl.h - what the files of vanbase/notify/ share; not for users.
 *
 *   notify.c        channels, the send state machine: attempts, timeouts,
 *                   retries with backoff, logging, results
 *   notify_render.c pure builders: webhook requests per template, the
 *                   RFC 5322 message, the hook's JSON (unit-tested alone)
 *   notify_curl.c   webhooks and e-mail on one libcurl multi handle,
 *                   driven by the loop (socket and timer callbacks)
 *   notify_cmd.c    command hooks: fork/exec, pipes, pidfd, kill at timeout
 */
#ifndef VB_NOTIFY_IMPL_H
#define VB_NOTIFY_IMPL_H

#include <curl/curl.h>
#include <sys/types.h>

#include "notify.h"

/* A channel: the configuration copied, secrets read. */
struct nt_chan {
	char *name;
	enum notify_kind kind;
	int timeout_ms, attempts, backoff_ms, backoff_max_ms;
	bool position;
	/* webhook */
	enum notify_template tpl;
	char *url;              /* webhook URL (from url or url_file); e-mail URL */
	char *token;            /* from token_file, or NULL */
	char *target;
	struct notify_field *fields;
	size_t nfields;
	char *ca_file;
	/* e-mail */
	enum notify_tls tls;
	char *from;
	char **to;
	size_t nto;
	char *user;
	char *password;
	/* command */
	char **argv;            /* NULL-terminated */
};

/* A notification, copied from struct notify_req. */
struct nt_msg {
	char *id, *alarm_id, *subject, *text, *link, *to;
	enum notify_msg kind;
	bool has_pos;
	double lat, lon;
};

/* A webhook request as built from a template. */
struct nt_http {
	const char *method;     /* "POST" or "PUT" */
	char *url;
	char **headers;         /* "Name: value" */
	size_t nheaders;
	char *body;
};

/* notify_render.c */
/* Whether the position goes out: the alarm has one and the channel may carry it. */
bool nt_with_pos(const struct nt_chan *c, const struct nt_msg *m);
/* The plain-text body shared by chat templates and e-mail: text, then the
 * position line, then the link; with_subject puts the subject first.
 * eol: "\n" or "\r\n".  Returns malloc'd text or NULL. */
char *nt_plain(const struct nt_chan *c, const struct nt_msg *m, bool with_subject, const char *eol);
/* Expand {id} {alarm} ... (see notify_field).  Returns malloc'd or NULL. */
char *nt_expand(const char *tpl, const struct nt_chan *c, const struct nt_msg *m);
/* The alarm as one JSON object (the hook's stdin, the generic default). */
char *nt_msg_json(const struct nt_chan *c, const struct nt_msg *m);
/* Build a webhook request.  Returns 0, or -1 with a message in err. */
int nt_web_build(const struct nt_chan *c, const struct nt_msg *m, struct nt_http *out,
		 char *err, size_t errlen);
void nt_http_clear(struct nt_http *h);
/* The e-mail (RFC 5322, CRLF line ends) dated wall_ms; recipients: to[]. */
char *nt_mail_build(const struct nt_chan *c, const struct nt_msg *m, const char *const *to,
		    size_t nto, int64_t wall_ms);
/* RFC 5322 date of wall_ms (UTC), e.g. "Thu, 03 Dec 2026 13:19:06 +0000". */
void nt_mail_date(int64_t wall_ms, char *buf, size_t len);

/* One send on its way: state shared by notify.c and the transports. */
struct nt_buf {
	char *p;
	size_t len, cap;        /* cap: the bound; more is counted in dropped */
	size_t dropped;
};

struct nt_send {
	struct notify *n;
	struct nt_send *next;
	int64_t id;
	struct nt_chan *c;
	struct nt_msg m;
	notify_done_cb done;
	void *arg;
	int attempt;            /* attempts started */
	int64_t t_send, t_attempt;
	int64_t timer;          /* retry wait, or the hook's timeout */
	bool running;           /* an attempt is in flight */
	/* curl */
	CURL *easy;
	struct curl_slist *hdrs, *rcpt;
	char *body;
	size_t body_len, body_off;
	char errbuf[CURL_ERROR_SIZE];
	struct nt_buf resp;
	/* command */
	pid_t pid;
	int pidfd, in_fd, out_fd, err_fd;
	size_t in_off;
	struct nt_buf out, errout;
	bool killed;
	int64_t reap_timer;     /* no pidfd (valgrind, Linux < 5.3): poll waitpid */
	/* the result so far */
	int code;
	char error[256];
};

struct notify {
	loop_t *loop;
	struct nt_chan *ch;
	size_t nch;
	struct nt_send *sends;
	int64_t next_id;
	CURLM *multi;
	int64_t curl_timer;
	notify_attempt_cb on_attempt;
	void *on_attempt_arg;
};

/* notify.c: an attempt ended.  ok; code as in notify_result; retry: worth
 * another attempt; error: why (NULL when ok). */
void nt_attempt_done(struct nt_send *s, bool ok, int code, bool retry, const char *error);

/* notify_curl.c */
int nt_curl_init(struct notify *n);
void nt_curl_fini(struct notify *n);
/* Start the webhook or e-mail attempt.  Returns 0, or -1 with s->error set. */
int nt_curl_start(struct nt_send *s);
/* Abort the transfer in flight (no result). */
void nt_curl_stop(struct nt_send *s);

/* notify_cmd.c */
int nt_cmd_start(struct nt_send *s);
/* Kill the hook's process group and reap it (no result). */
void nt_cmd_stop(struct nt_send *s);

void nt_buf_add(struct nt_buf *b, const char *p, size_t len);
void nt_buf_free(struct nt_buf *b);

#endif
