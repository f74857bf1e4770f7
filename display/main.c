/*
 * main.c - vandisplay: the crew's full-screen display and keys.
 *
 * A `watch` client of vanctld's control socket (docs/control.md): it gets a
 * state snapshot on every change (and every few seconds) and draws it; keys
 * send commands on the same connection.  When the daemon is not there it
 * says so on the screen and retries with backoff (0.5 s doubling to 5 s),
 * so it recovers by itself when vanctld restarts.  One poll() over the
 * terminal and the socket; a wake-up at least every second for the clock.
 *
 * Usage: vandisplay [--socket PATH] [-c CONFIG]
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "conf.h"
#include "display.h"
#include "fmt.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 5000
#define MSG_MS 8000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

int64_t disp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(struct disp *d, enum msg_kind k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct disp *d, enum msg_kind k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->msg_kind = k;
	d->msg_until_ms = disp_now_ms() + MSG_MS;
}

/* ---- incident categories: the config's, else the defaults ---- */

static void load_types(struct disp *d, const char *conf_path)
{
	struct conf c;
	memset(&c, 0, sizeof(c));
	if (conf_defaults(&c) == 0) {
		const char *p = conf_path ? conf_path : CONF_DEFAULT_PATH;
		if (access(p, R_OK) == 0)
			conf_load(&c, p);
		const char *list = c.session.incident_types ? c.session.incident_types : "other";
		char *copy = strdup(list), *save = NULL;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && d->ntypes < DISP_TYPES_MAX;
		     t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			size_t n = strlen(t);
			while (n && t[n - 1] == ' ')
				t[--n] = 0;
			if (n)
				d->types[d->ntypes++] = strdup(t);
		}
		free(copy);
	}
	conf_fini(&c);
	if (!d->ntypes)
		d->types[d->ntypes++] = strdup("other");
}

/* ---- the connection ---- */

static void disconnect(struct disp *d, const char *why)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->connected)
		d->lost_mono_ms = disp_now_ms();
	d->connected = false;
	d->backoff_ms = BACKOFF_MIN_MS;
	d->next_try_ms = disp_now_ms() + d->backoff_ms;
	d->lb->len = 0;
	json_decref(d->state);
	d->state = NULL;
	d->dlg = DLG_NONE;
	memset(d->pending, 0, sizeof(d->pending));
	snprintf(d->conn_err, sizeof(d->conn_err), "%s", why);
}

/* Send one request; returns its id, or 0 if it could not be sent. */
static int send_req(struct disp *d, json_t *req, const char *what)
{
	if (!d->connected || !req) {
		json_decref(req);
		if (what)
			say(d, MSG_ERR, "%s: not sent - vanctld is not running", what);
		return 0;
	}
	int id = ++d->next_id;
	json_object_set_new(req, "id", json_integer(id));
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return 0;
	size_t n = strlen(text);
	text[n] = '\n';
	ssize_t w = send(d->fd, text, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(text);
	if (w != (ssize_t)(n + 1)) {
		/* a line is far below the socket buffer: a short write means trouble */
		disconnect(d, w < 0 ? strerror(errno) : "short write to vanctld");
		return 0;
	}
	if (what) {
		for (int i = 0; i < DISP_PENDING; i++) {
			if (!d->pending[i].id) {
				d->pending[i].id = id;
				snprintf(d->pending[i].what, sizeof(d->pending[i].what), "%s", what);
				break;
			}
		}
		say(d, MSG_INFO, "%s ...", what);
	}
	return id;
}

static void try_connect(struct disp *d)
{
	char err[300];
	d->attempts++;
	int fd = ctlc_connect(d->path, true, err, sizeof(err));
	if (fd < 0) {
		snprintf(d->conn_err, sizeof(d->conn_err), "%s", err);
		d->next_try_ms = disp_now_ms() + d->backoff_ms;
		d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->backoff_ms * 2;
		return;
	}
	d->fd = fd;
	d->connected = true;
	d->attempts = 0;
	d->conn_err[0] = 0;
	d->lb->len = 0;
	d->last_rx_mono_ms = disp_now_ms();
	send_req(d, json_pack("{s:s}", "cmd", "watch"), NULL);
	if (d->connected)
		send_req(d, json_pack("{s:s}", "cmd", "status"), NULL);
	if (d->connected && d->lost_mono_ms)
		say(d, MSG_OK, "vanctld is back");
}

static void take_state(struct disp *d, const json_t *st)
{
	if (!json_is_object(st))
		return;
	json_decref(d->state);
	d->state = json_deep_copy(st);
	/* belt and braces: never keep a covert emergency (the daemon leaves it out) */
	if (d->state && jpath_bool(d->state, "emergency.covert", false))
		json_object_set_new(d->state, "emergency", json_null());
	d->state_mono_ms = disp_now_ms();
	const char *unit = jpath_str(st, "unit", NULL), *name = jpath_str(st, "name", NULL);
	if (unit && name && strcmp(unit, name))
		snprintf(d->title, sizeof(d->title), "%s | %s", unit, name);
	else if (unit)
		snprintf(d->title, sizeof(d->title), "%s", unit);
}

static void on_event(struct disp *d, const char *type, const json_t *data)
{
	if (!type || jpath_bool(data, "covert", false))
		return;                   /* never show anything covert */
	if (!strcmp(type, "checkin.requested"))
		say(d, MSG_ERR, "BASE ASKS FOR A CHECK-IN%s%s%s - press c",
		    jpath_str(data, "by", NULL) ? " (" : "", jpath_str(data, "by", ""),
		    jpath_str(data, "by", NULL) ? ")" : "");
	/* emergency.acknowledged: not a message line (it would outlive the
	 * emergency); the emergency block turns green and says it, for as long
	 * as the emergency is active */
	else if (!strcmp(type, "selftest.passed"))
		say(d, MSG_OK, "Emergency path self-test passed");
	else if (!strcmp(type, "selftest.failed"))
		say(d, MSG_ERR, "EMERGENCY PATH SELF-TEST FAILED - tell base");
	else if (!strcmp(type, "checkin.reminder"))
		say(d, MSG_INFO, "Check-in due soon - press c");
	else if (!strcmp(type, "session.end_due"))
		say(d, MSG_INFO, "Planned end soon - end the session (s) or extend it");
	else if (!strcmp(type, "occupancy.end_discrepancy"))
		say(d, MSG_ERR, "The count is not zero at the end - anyone still aboard? (e = empty)");
}

static void on_message(struct disp *d, json_t *m)
{
	const char *ev = json_string_value(json_object_get(m, "event"));
	if (ev) {
		if (!strcmp(ev, "state"))
			take_state(d, json_object_get(m, "state"));
		else if (!strcmp(ev, "event"))
			on_event(d, json_string_value(json_object_get(m, "type")), json_object_get(m, "data"));
		return;
	}
	json_t *idj = json_object_get(m, "id");
	int id = json_is_integer(idj) ? (int)json_integer_value(idj) : 0;
	bool ok = json_is_true(json_object_get(m, "ok"));
	const char *reason = json_string_value(json_object_get(m, "reason"));
	json_t *res = json_object_get(m, "result");
	/* watch and status replies carry the snapshot */
	if (ok && json_is_object(res) && json_object_get(res, "occupancy"))
		take_state(d, res);
	for (int i = 0; i < DISP_PENDING; i++) {
		if (!d->pending[i].id || d->pending[i].id != id)
			continue;
		if (ok)
			say(d, MSG_OK, "%s: %s", d->pending[i].what, reason && *reason ? reason : "done");
		else
			say(d, MSG_ERR, "%s refused: %s", d->pending[i].what, reason ? reason : "no reason given");
		d->pending[i].id = 0;
	}
	if (!ok && !id)
		say(d, MSG_ERR, "vanctld: %s", reason ? reason : "error");
}

static void read_socket(struct disp *d)
{
	for (int rounds = 0; rounds < 8 && d->connected; rounds++) {
		int r = ctlc_lines_read(d->lb, d->fd);
		if (r == -EAGAIN || r == -EINTR)
			break;
		if (r <= 0) {
			disconnect(d, r == 0 ? "vanctld closed the connection" : strerror(-r));
			return;
		}
		d->last_rx_mono_ms = disp_now_ms();
		json_t *m;
		while (d->connected && (m = ctlc_lines_next(d->lb))) {
			on_message(d, m);
			json_decref(m);
		}
	}
}

/* ---- keys ---- */

static bool session_running(const struct disp *d)
{
	const char *s = jpath_str(d->state, "session.state", "idle");
	return !strcmp(s, "active") || !strcmp(s, "overdue");
}

static void send_incident(struct disp *d)
{
	json_t *req = json_pack("{s:s, s:s}", "cmd", "incident", "type", d->types[d->dlg_sel]);
	if (d->note_len)
		json_object_set_new(req, "note", json_string(d->note));
	send_req(d, req, "Incident (no names)");
	d->dlg = DLG_NONE;
}

static void key_dialog(struct disp *d, int ch)
{
	bool esc = ch == 27;
	bool enter = ch == '\n' || ch == '\r' || ch == KEY_ENTER;
	switch (d->dlg) {
	case DLG_START:
		if (ch == '+' || ch == '=' || ch == KEY_UP || ch == KEY_RIGHT)
			d->dlg_crew = d->dlg_crew < 20 ? d->dlg_crew + 1 : 20;
		else if (ch == '-' || ch == KEY_DOWN || ch == KEY_LEFT)
			d->dlg_crew = d->dlg_crew > 1 ? d->dlg_crew - 1 : 1;
		else if (ch >= '1' && ch <= '9')
			d->dlg_crew = ch - '0';
		else if (ch == '0' && d->dlg_carry > 0) {
			d->dlg_keep = 0;
			d->msg[0] = 0;
		} else if ((ch == 'k' || ch == 'K') && d->dlg_carry > 0) {
			d->dlg_keep = 1;
			d->msg[0] = 0;
		}
		else if ((enter || ch == 'y') && d->dlg_carry > 0 && d->dlg_keep < 0) {
			say(d, MSG_ERR, "First: is anyone still aboard? 0 = nobody, start at 0   k = keep %d",
			    d->dlg_carry);
		} else if (enter || ch == 'y') {
			/* the count is zeroed before the session starts, so the new
			 * session's figures start clean (a session's corrections are
			 * its own) */
			if (d->dlg_carry > 0 && d->dlg_keep == 0)
				send_req(d, json_pack("{s:s, s:b}", "cmd", "occupancy", "empty", 1), "Van empty");
			send_req(d, json_pack("{s:s, s:i, s:b}", "cmd", "session_start", "crew", d->dlg_crew,
					      "lone", d->dlg_crew == 1), "Session start");
			d->dlg = DLG_NONE;
		} else if (esc || ch == 'n' || ch == 's')
			d->dlg = DLG_NONE;
		break;
	case DLG_END:
		if (ch == 'y' || ch == 'Y') {
			send_req(d, json_pack("{s:s}", "cmd", "session_end"), "Session end");
			d->dlg = DLG_NONE;
		} else if (esc || ch == 'n' || ch == 'N' || ch == 's')
			d->dlg = DLG_NONE;
		break;
	case DLG_EMPTY:
		if (ch == 'y' || ch == 'Y') {
			send_req(d, json_pack("{s:s, s:b}", "cmd", "occupancy", "empty", 1), "Van empty");
			d->dlg = DLG_NONE;
		} else if (esc || ch == 'n' || ch == 'N' || ch == 'e')
			d->dlg = DLG_NONE;
		break;
	case DLG_INCIDENT:
		if (ch == KEY_UP && d->dlg_sel > 0)
			d->dlg_sel--;
		else if (ch == KEY_DOWN && d->dlg_sel + 1 < (int)d->ntypes)
			d->dlg_sel++;
		else if (ch >= '1' && ch <= '9' && ch - '1' < (int)d->ntypes) {
			d->dlg_sel = ch - '1';
			d->dlg = DLG_NOTE;
		} else if (enter)
			d->dlg = DLG_NOTE;
		else if (esc || ch == 'i')
			d->dlg = DLG_NONE;
		if (d->dlg == DLG_NOTE) {
			d->note_len = 0;
			d->note[0] = 0;
		}
		break;
	case DLG_NOTE:
		if (enter)
			send_incident(d);
		else if (esc)
			d->dlg = DLG_INCIDENT;
		else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && d->note_len)
			d->note[--d->note_len] = 0;
		else if (ch >= 32 && ch < 127 && d->note_len < DISP_NOTE_MAX) {
			d->note[d->note_len++] = (char)ch;
			d->note[d->note_len] = 0;
		}
		break;
	case DLG_HELP:
		d->dlg = DLG_NONE;
		break;
	case DLG_NONE:
		break;
	}
}

static void key(struct disp *d, int ch)
{
	if (ch == KEY_RESIZE)
		return;                   /* ncurses has resized stdscr: just redraw */
	if (d->dlg != DLG_NONE) {
		key_dialog(d, ch);
		return;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		d->quit = true;
		break;
	case 'c':
	case 'C':
		send_req(d, json_pack("{s:s}", "cmd", "checkin"), "Check-in");
		break;
	case '+':
	case '=':
		send_req(d, json_pack("{s:s, s:i}", "cmd", "occupancy", "delta", 1), "Count +1");
		break;
	case '-':
	case '_':
		send_req(d, json_pack("{s:s, s:i}", "cmd", "occupancy", "delta", -1), "Count -1");
		break;
	case 'm':
	case 'M':
		send_req(d, json_pack("{s:s}", "cmd", "mute"), "Mute");
		break;
	case 'e':
	case 'E':
		if (d->connected)
			d->dlg = DLG_EMPTY;
		break;
	case 'i':
	case 'I':
		if (d->connected) {
			d->dlg = DLG_INCIDENT;
			d->dlg_sel = 0;
		}
		break;
	case 's':
	case 'S':
		if (!d->connected || !d->state)
			break;
		if (session_running(d)) {
			d->dlg = DLG_END;
		} else {
			int64_t crew = jpath_int(d->state, "session.crew", 2);
			int64_t left = jpath_int(d->state, "occupancy.occupancy", 0);
			d->dlg_crew = crew >= 1 && crew <= 20 ? (int)crew : 2;
			d->dlg_carry = left > 0 ? (int)(left > 999 ? 999 : left) : 0;
			d->dlg_keep = -1;
			d->dlg = DLG_START;
		}
		break;
	case '?':
	case 'h':
	case 'H':
		d->dlg = DLG_HELP;
		break;
	default:
		break;
	}
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out, "Usage: vandisplay [--socket PATH] [-c CONFIG]\n"
		     "The van crew's full-screen display (a client of vanctld's control socket).\n"
		     "Keys: c check-in, + / - count, e empty, m mute, i incident, s session start/end,\n"
		     "? keys, q quit (the display only).  docs/display.md describes the screen.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' }, { "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *conf_path = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'c': conf_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	struct disp *d = calloc(1, sizeof(*d));
	if (!d || !(d->lb = calloc(1, sizeof(*d->lb)))) {
		fprintf(stderr, "vandisplay: out of memory\n");
		return 1;
	}
	char warn[300];
	ctlc_socket_path(sock, conf_path, d->path, sizeof(d->path), warn, sizeof(warn));
	if (*warn)
		fprintf(stderr, "vandisplay: %s\n", warn);
	load_types(d, conf_path);
	d->fd = -1;
	d->backoff_ms = BACKOFF_MIN_MS;

	setlocale(LC_ALL, "");
	d->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	set_escdelay(25);
	if (!initscr()) {
		fprintf(stderr, "vandisplay: cannot set up the terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	screen_init_colors();

	try_connect(d);
	int64_t last_draw_s = -1;
	bool dirty = true;
	while (!d->quit && !got_signal) {
		int64_t now = disp_now_ms();
		if (!d->connected && now >= d->next_try_ms) {
			try_connect(d);
			dirty = true;
		}
		/* a frame every second (clocks), and at once after anything happened */
		if (dirty || now / 1000 != last_draw_s) {
			screen_draw(d, now);
			last_draw_s = now / 1000;
			dirty = false;
		}
		int timeout = (int)(1000 - now % 1000);
		if (!d->connected && d->next_try_ms - now < timeout)
			timeout = d->next_try_ms > now ? (int)(d->next_try_ms - now) : 0;
		struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = d->fd, .events = POLLIN } };
		int r = poll(p, d->connected ? 2 : 1, timeout);
		if (r < 0 && errno != EINTR)
			break;
		/* keys (and KEY_RESIZE, which a SIGWINCH interrupting poll() leaves for getch) */
		int k;
		while ((k = getch()) != ERR) {
			key(d, k);
			dirty = true;
		}
		if (r > 0 && d->connected && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			read_socket(d);
			dirty = true;
		}
		if (r > 0 && (p[0].revents & (POLLHUP | POLLERR)))
			break;                    /* the terminal went away */
	}
	endwin();
	if (d->fd >= 0)
		close(d->fd);
	json_decref(d->state);
	for (size_t i = 0; i < d->ntypes; i++)
		free(d->types[i]);
	free(d->lb);
	free(d);
	return 0;
}
