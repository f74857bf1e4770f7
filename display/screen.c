/*
 * screen.c - draw the crew display from struct disp.
 *
 * Every frame is drawn whole into ncurses' virtual screen (erase, draw,
 * one refresh): curses sends the terminal only the cells that changed, so
 * the second ticking over rewrites a few characters and nothing flickers.
 * The layout adapts to the size (80x24 up to the Pi's 7-inch console at
 * about 100x30 and beyond): the information column takes the width its
 * longest line needs, and the big figures take the largest scale that fits
 * beside it, so no line is cut.
 *
 * Night colours: black background, amber text, dim labels, red for what is
 * wrong, green for a good link.  The colours per terminal (the Linux
 * console's palette is not xterm's) and their contrast are in palette.c.
 * An emergency is a block across the whole width under the header, bright
 * white on red until base acknowledges, then black on green.
 *
 * Time shown between two snapshots moves on locally (the snapshot's
 * seconds plus the time since it came), so the timers tick every second
 * while the daemon sends a snapshot only on a change or every few seconds.
 */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfmt.h"
#include "display.h"
#include "fmt.h"
#include "palette.h"

static enum pal_kind g_kind = PAL_BASIC;
static FILE *g_cliplog;            /* $VANDISPLAY_CLIP_LOG: text that did not fit (tests) */

void screen_init_colors(void)
{
	const char *cl = getenv("VANDISPLAY_CLIP_LOG");
	if (cl && *cl && !g_cliplog)
		g_cliplog = fopen(cl, "a");
	if (!has_colors())
		return;
	start_color();
	g_kind = pal_kind_for(termname(), COLORS);
	for (int r = 1; r < P_ROLES; r++) {
		struct pal_spec p = pal_spec(g_kind, (enum pal_role)r);
		init_pair((short)r, p.fg, p.bg);
	}
	bkgd((chtype)' ' | COLOR_PAIR(P_TEXT));
}

/* The attributes that go with a colour pair on this terminal (bold for a
 * bright foreground where the palette says so). */
static attr_t pair_attr(int pair)
{
	return has_colors() && pal_spec(g_kind, (enum pal_role)pair).bold ? A_BOLD : A_NORMAL;
}

/* Lines: the wide-character forms when the locale is UTF-8 (sent as
 * Unicode box drawing, which every UTF-8 terminal shows), else ACS. */
static bool g_utf8;

static void draw_hline(int y, int x, int n)
{
	if (g_utf8)
		mvhline_set(y, x, WACS_HLINE, n);
	else
		mvhline(y, x, ACS_HLINE, n);
}

static void draw_vline(int y, int x, int n)
{
	if (g_utf8)
		mvvline_set(y, x, WACS_VLINE, n);
	else
		mvvline(y, x, ACS_VLINE, n);
}

static void corner(int y, int x, const cchar_t *w, chtype a)
{
	if (g_utf8)
		mvadd_wch(y, x, w);
	else
		mvaddch(y, x, a);
}

/* Text at (y, x), cut at maxw cells (ASCII text: a byte is a cell).  A
 * cut is a defect (a person reads half a word): with $VANDISPLAY_CLIP_LOG
 * set, each is written there, so the tests can see every screen's cuts. */
static void put(int y, int x, int maxw, int pair, attr_t a, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void put(int y, int x, int maxw, int pair, attr_t a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (maxw > COLS - x)
		maxw = COLS - x;
	if (maxw <= 0)
		return;
	if (g_cliplog && (int)strlen(buf) > maxw) {
		fprintf(g_cliplog, "%dx%d row %d col %d: \"%s\" cut to %d\n", COLS, LINES, y, x, buf, maxw);
		fflush(g_cliplog);
	}
	attr_set(a | pair_attr(pair), (short)pair, NULL);
	mvaddnstr(y, x, buf, maxw);
	attr_set(A_NORMAL, P_TEXT, NULL);
}

/* A bar of colour pair across w cells with text in it. */
static void bar(int y, int x, int w, int pair, const char *text)
{
	if (w <= 0)
		return;
	attr_set(pair_attr(pair), (short)pair, NULL);
	mvhline(y, x, ' ', w);
	put(y, x + 1, w - 2, pair, A_NORMAL, "%s", text);
}

static int64_t since_s(const struct disp *d, int64_t now)
{
	return d->state ? (now - d->state_mono_ms) / 1000 : 0;
}

static bool running_state(const char *st)
{
	return !strcmp(st, "active") || !strcmp(st, "overdue");
}

/* Seconds since the planned end passed, or -1 while it is ahead (or no
 * session runs).  From the session's monotonic remaining_s (negative once
 * passed) or overdue_s: the daemon's overdue state comes only after the
 * grace (session.overdue_grace), the crew is told at once. */
static int64_t end_passed_s(const struct disp *d, int64_t now)
{
	const json_t *s = d->state;
	const char *st = jpath_str(s, "session.state", "idle");
	int64_t dt = since_s(d, now);
	if (!running_state(st))
		return -1;
	if (!strcmp(st, "overdue"))
		return jpath_int(s, "session.overdue_s", 0) + dt;
	int64_t rem = jpath_int(s, "session.remaining_s", 1) - dt;
	return rem <= 0 ? -rem : -1;
}

/* The visible emergency of the snapshot, or NULL (none, cleared, covert). */
static const json_t *visible_emergency(const struct disp *d)
{
	const json_t *em = jpath(d->state, "emergency");
	if (json_is_object(em) && jpath_bool(em, "active", false) && !jpath_bool(em, "covert", false))
		return em;
	return NULL;
}

/* ---- alarms: the list under the main area, most urgent first ---- */

struct alarm {
	char text[200];
	int pair;
};

static int collect_alarms(const struct disp *d, int64_t now, struct alarm *al, int max)
{
	const json_t *s = d->state;
	int n = 0;
	char t1[32];
	int64_t dt = since_s(d, now);
#define ADD(p, ...)                                                          \
	do {                                                                 \
		if (n < max) {                                               \
			snprintf(al[n].text, sizeof(al[n].text), __VA_ARGS__); \
			al[n].pair = (p);                                    \
			n++;                                                 \
		}                                                            \
	} while (0)

	if (d->connected && d->last_rx_mono_ms && now - d->last_rx_mono_ms > 15000)
		ADD(P_REDBG, "NO DATA FROM vanctld FOR %s - the daemon may be stuck",
		    fmt_hms((now - d->last_rx_mono_ms) / 1000, t1, sizeof(t1)));
	if (!s)
		return n;

	/* the emergency is not a bar: it is the block under the header (draw_emergency) */
	const char *state = jpath_str(s, "session.state", "idle");
	int64_t passed = end_passed_s(d, now);
	if (!strcmp(state, "overdue"))
		ADD(P_REDBG, "SESSION OVERDUE - planned end passed %s - end it (s) or extend it",
		    dfmt_ago(passed, t1, sizeof(t1)));
	else if (passed >= 0)
		ADD(P_REDBG, "PLANNED END PASSED %s - end the session (s) or extend it",
		    dfmt_ago(passed, t1, sizeof(t1)));
	const json_t *ck = jpath(s, "session.checkin");
	if (json_is_object(ck)) {
		int64_t due_in = jpath_int(ck, "due_in_s", 0) - dt;
		bool over = jpath_bool(ck, "overdue", false);
		if (over)
			ADD(P_REDBG, "CHECK-IN OVERDUE +%s - press c%s",
			    fmt_hms(jpath_int(ck, "overdue_s", 0) + dt, t1, sizeof(t1)),
			    jpath_bool(ck, "escalated", false) ? " - BASE HAS BEEN ALERTED" : "");
		if (jpath_bool(ck, "requested", false) && !over)
			ADD(P_AMBERBG, "BASE ASKS FOR A CHECK-IN - press c");
		else if (!over && !strcmp(jpath_str(ck, "stage", ""), "reminded"))
			ADD(P_AMBERBG, "Check-in due %s%s - press c", due_in > 0 ? "in " : "now",
			    due_in > 0 ? fmt_hms(due_in, t1, sizeof(t1)) : "");
	}
	if (jpath_bool(s, "occupancy.over", false)) {
		int64_t mu = jpath_int(s, "occupancy.muted_until_utc", 0);
		ADD(P_REDBG, "OVER THE LIMIT: %lld on board, limit %lld - %s%s",
		    (long long)jpath_int(s, "occupancy.occupancy", 0), (long long)jpath_int(s, "occupancy.limit", 0),
		    mu > 0 ? "buzzer muted until " : "m = mute the buzzer", mu > 0 ? fmt_clock(mu, t1, sizeof(t1)) : "");
	}
	if (jpath_bool(s, "door_open_while_moving", false))
		ADD(P_REDBG, "DOOR OPEN WHILE MOVING");
	const json_t *bf = jpath(s, "occupancy.beam_fault");
	if (json_is_array(bf) && json_array_size(bf))
		ADD(P_AMBERBG, "ENTRY BEAM FAULT - the count needs you: + / - at the door");
	if (jpath_bool(s, "selftest.running", false))
		ADD(P_TEXT, "Emergency path self-test running - waiting for base");
	else if (!strcmp(jpath_str(s, "selftest.last_result", ""), "failed"))
		ADD(P_RED, "SELF-TEST FAILED at %s: the emergency path to base is not working",
		    fmt_clock(jpath_int(s, "selftest.last_utc", 0), t1, sizeof(t1)));
	if (!strcmp(jpath_str(s, "link.base", "online"), "offline") && jpath_int(s, "link.backlog", 0) > 0 &&
	    jpath_num(s, "link.oldest_s", 0) + (double)dt > DFMT_BACKLOG_ALARM_S)
		ADD(P_RED, "Base has not received anything for %s",
		    fmt_hms((int64_t)jpath_num(s, "link.oldest_s", 0) + dt, t1, sizeof(t1)));
#undef ADD
	return n;
}

/* ---- the header ---- */

static void draw_header(const struct disp *d, int64_t now)
{
	char clock[16];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	const json_t *s = d->state;

	char chip[80];
	int pair = P_LABEL;
	chip[0] = 0;
	if (d->connected && s) {
		const char *st = jpath_str(s, "session.state", "idle");
		long long crew = (long long)jpath_int(s, "session.crew", 0);
		if (!strcmp(st, "overdue")) {
			snprintf(chip, sizeof(chip), " SESSION OVERDUE | crew %lld ", crew);
			pair = P_REDBG;
		} else if (!strcmp(st, "active") && end_passed_s(d, now) >= 0) {
			snprintf(chip, sizeof(chip), " PLANNED END PASSED | crew %lld ", crew);
			pair = P_REDBG;
		} else if (!strcmp(st, "active")) {
			snprintf(chip, sizeof(chip), " SESSION ON | crew %lld%s ", crew,
				 jpath_bool(s, "session.lone", false) ? " | LONE WORKING" : "");
			pair = P_TEXT;
		} else if (!strcmp(st, "ended")) {
			snprintf(chip, sizeof(chip), " SESSION ENDED ");
		} else {
			snprintf(chip, sizeof(chip), " NO SESSION ");
		}
	}
	int w = (int)strlen(chip), x = (COLS - w) / 2;
	/* the unit's name is the one thing that may be cut (it is in the config) */
	char title[100];
	int tw = (w ? x : COLS - 10) - 2;
	snprintf(title, sizeof(title), "%s", d->title[0] ? d->title : "vandisplay");
	if (tw > 0 && (int)strlen(title) > tw)
		title[tw] = 0;
	put(0, 1, tw, P_TEXT, A_NORMAL, "%s", title);
	put(0, COLS - 9, 9, P_TEXT, A_NORMAL, "%s", clock);
	if (w)
		put(0, x, w, pair, pair == P_TEXT ? A_REVERSE : A_NORMAL, "%s", chip);
	attr_set(A_NORMAL, P_LABEL, NULL);
	draw_hline(1, 0, COLS);
}

/* ---- the emergency: a block across the whole width ---- */

/* Its height: a third of a small screen's free rows, never one line. */
static int emergency_rows(void)
{
	return LINES >= 30 ? 7 : LINES >= 20 ? 5 : 3;
}

static void draw_emergency(const struct disp *d, const json_t *em, int64_t now, int top, int h)
{
	char l1[160], l2[160], l3[160], t1[32], t2[32];
	int64_t dur = jpath_int(em, "duration_s", 0) + since_s(d, now);
	bool acked = jpath_bool(em, "acknowledged", false);
	int pair = acked ? P_EMACK : P_EMERG;
	if (acked) {
		const char *by = jpath_str(em, "acked_by", NULL);
		snprintf(l1, sizeof(l1), "BASE ACKNOWLEDGED - HELP IS COMING");
		snprintf(l2, sizeof(l2), "%s%s at %s  -  emergency %s", by ? "by " : "acknowledged", by ? by : "",
			 fmt_clock(jpath_int(em, "acked_utc", 0), t1, sizeof(t1)), fmt_hms(dur, t2, sizeof(t2)));
		l3[0] = 0;
	} else {
		snprintf(l1, sizeof(l1), "EMERGENCY RAISED %s  -  %s",
			 fmt_clock(jpath_int(em, "raised_utc", 0), t1, sizeof(t1)), fmt_hms(dur, t2, sizeof(t2)));
		snprintf(l2, sizeof(l2), "WAITING FOR BASE TO ACKNOWLEDGE");
		if (strcmp(jpath_str(d->state, "link.base", "online"), "online"))
			snprintf(l3, sizeof(l3), "NO LINK TO BASE - NOT SENT YET - PHONE BASE");
		else if (jpath(em, "timing.broker"))
			snprintf(l3, sizeof(l3), "sent to base - repeated until base acknowledges");
		else
			snprintf(l3, sizeof(l3), "sending to base ...");
	}
	const char *lines[3] = { l1, l2, l3 };
	int n = l3[0] ? 3 : 2;
	attr_set(pair_attr(pair), (short)pair, NULL);
	for (int r = 0; r < h; r++)
		mvhline(top + r, 0, ' ', COLS);
	int y = top + (h - n) / 2;
	for (int i = 0; i < n; i++) {
		int len = (int)strlen(lines[i]);
		int x = (COLS - len) / 2;
		put(y + i, x > 1 ? x : 1, COLS - 2, pair, A_NORMAL, "%s", lines[i]);
	}
}

/* ---- the big count ---- */

static void count_text(const json_t *s, char *text, size_t len)
{
	int64_t occ = jpath_int(s, "occupancy.occupancy", 0), lim = jpath_int(s, "occupancy.limit", 0);
	snprintf(text, len, "%lld/%lld", (long long)(occ > 999 ? 999 : occ), (long long)(lim > 999 ? 999 : lim));
}

/* The largest scale of the big figures that fits maxw x maxh; 0 if none. */
static void count_scale(const char *text, int maxw, int maxh, int *sx, int *sy)
{
	static const int scales[][2] = { { 6, 3 }, { 5, 3 }, { 4, 3 }, { 4, 2 }, { 3, 2 }, { 2, 1 }, { 1, 1 } };
	*sx = *sy = 0;
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		if (bigfont_width(text, scales[i][0]) + 4 <= maxw && 5 * scales[i][1] + 4 <= maxh) {
			*sx = scales[i][0];
			*sy = scales[i][1];
			return;
		}
	}
}

static void draw_count(const struct disp *d, int top, int height, int width, int sx, int sy)
{
	const json_t *s = d->state;
	char text[48];
	int64_t occ = jpath_int(s, "occupancy.occupancy", 0), lim = jpath_int(s, "occupancy.limit", 0);
	bool over = jpath_bool(s, "occupancy.over", false) || (lim > 0 && occ > lim);
	bool full = !over && jpath_bool(s, "occupancy.full", false);
	bool running = !strcmp(jpath_str(s, "session.state", "idle"), "active") ||
		       !strcmp(jpath_str(s, "session.state", "idle"), "overdue");
	count_text(s, text, sizeof(text));

	/* the block (label, figures, banner) in the middle of the panel */
	int block = sx ? 5 * sy + 4 : 4;
	int y = top + (height - block) / 2;
	if (y < top)
		y = top;
	put(y, (width - 16) / 2 > 1 ? (width - 16) / 2 : 1, width, P_LABEL, A_NORMAL, "ON BOARD / LIMIT");
	int pair = over ? P_RED : running ? P_BIG : P_LABEL;
	if (sx) {
		int w = bigfont_width(text, sx);
		bigfont_draw(y + 2, (width - w) / 2, text, sx, sy, A_NORMAL, pair, d->utf8);
		y += 5 * sy + 3;
	} else {
		put(y + 2, 2, width - 2, pair, A_NORMAL, "%lld of %lld", (long long)occ, (long long)lim);
		y += 4;
	}
	char banner[80];
	int bp = P_LABEL;
	if (over) {
		snprintf(banner, sizeof(banner), "OVER LIMIT");
		bp = P_REDBG;
	} else if (full) {
		snprintf(banner, sizeof(banner), "FULL - no more entries");
		bp = P_AMBERBG;
	} else if (lim > 0) {
		snprintf(banner, sizeof(banner), "room for %lld more", (long long)(lim - occ));
	} else {
		banner[0] = 0;
	}
	if (*banner && y < top + height) {
		int w = (int)strlen(banner) + 4;
		if (w > width - 2)
			w = width - 2;
		int x = (width - w) / 2;
		if (bp == P_LABEL) {
			put(y, x + 2, w, bp, A_NORMAL, "%s", banner);
		} else {
			attr_set(pair_attr(bp), (short)bp, NULL);
			mvhline(y, x, ' ', w);
			put(y, x + 2, w - 2, bp, A_NORMAL, "%s", banner);
		}
	}
}

/* ---- the information column (or the debrief in its place) ---- */

/* The column is built as rows first, so its width can be measured before
 * anything is drawn: the big figures get what the column leaves. */
enum crow_kind { CR_KV = 0, CR_GAP, CR_TEXT, CR_BAR };
struct crow {
	enum crow_kind kind;
	const char *label;     /* CR_KV */
	char text[200];
	int pair;
	bool wrap;             /* long by nature: wrapped at spaces, not measured in full */
};
#define COL_ROWS 24
#define COL_LABEL 12          /* label width */
#define COL_WRAP_MEASURE 30   /* what a wrapped row asks of the width */

struct col {
	struct crow r[COL_ROWS];
	int n;
};

static struct crow *col_add(struct col *c, enum crow_kind k, const char *label, int pair)
{
	if (c->n >= COL_ROWS)
		return NULL;
	struct crow *r = &c->r[c->n++];
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->label = label;
	r->pair = pair;
	return r;
}

static void col_kv(struct col *c, const char *label, int pair, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void col_kv(struct col *c, const char *label, int pair, const char *fmt, ...)
{
	struct crow *r = col_add(c, CR_KV, label, pair);
	if (!r)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static void col_gap(struct col *c)
{
	col_add(c, CR_GAP, NULL, P_TEXT);
}

/* The width the column needs so that nothing is cut. */
static int col_width(const struct col *c)
{
	int w = 0;
	for (int i = 0; i < c->n; i++) {
		const struct crow *r = &c->r[i];
		int len = (int)strlen(r->text);
		if (r->wrap && len > COL_WRAP_MEASURE)
			len = COL_WRAP_MEASURE;
		if (r->kind == CR_KV)
			len += COL_LABEL;
		else if (r->kind == CR_BAR)
			len += 2;
		if (len > w)
			w = len;
	}
	return w;
}

/* Text in at most w cells per line from (*y, x), wrapped at spaces, down
 * to bottom. */
static void put_wrapped(int *y, int x, int w, int bottom, int pair, const char *text)
{
	while (*text && *y <= bottom && w > 0) {
		int n = (int)strlen(text);
		if (n > w) {
			n = w;
			while (n > 0 && text[n] != ' ')
				n--;
			if (n == 0)
				n = w;
		}
		put(*y, x, n, pair, A_NORMAL, "%.*s", n, text);
		text += n;
		while (*text == ' ')
			text++;
		(*y)++;
	}
}

static void col_draw(const struct col *c, int top, int x, int w, int bottom)
{
	int y = top;
	for (int i = 0; i < c->n && y <= bottom; i++) {
		const struct crow *r = &c->r[i];
		switch (r->kind) {
		case CR_GAP:
			y++;
			break;
		case CR_KV:
			put(y, x, COL_LABEL, P_LABEL, A_NORMAL, "%s", r->label);
			put_wrapped(&y, x + COL_LABEL, w - COL_LABEL, bottom, r->pair, r->text);
			break;
		case CR_TEXT:
			put_wrapped(&y, x, w, bottom, r->pair, r->text);
			break;
		case CR_BAR:
			put(y++, x, w, r->pair, A_NORMAL, " %s ", r->text);
			break;
		}
	}
}

static void info_rows(const struct disp *d, int64_t now, struct col *c)
{
	const json_t *s = d->state;
	char t1[32], t2[32];
	int64_t dt = since_s(d, now);
	const char *state = jpath_str(s, "session.state", "idle");
	bool running = running_state(state);

	col_gap(c);
	if (running) {
		int64_t passed = end_passed_s(d, now);
		col_kv(c, "Session", P_TEXT, "%s", fmt_hms(jpath_int(s, "session.elapsed_s", 0) + dt, t1, sizeof(t1)));
		if (passed >= 0)
			col_kv(c, "Planned end", P_RED, "%s  passed %s",
			       fmt_clock(jpath_int(s, "session.planned_end_utc", 0), t1, sizeof(t1)),
			       dfmt_ago(passed, t2, sizeof(t2)));
		else
			col_kv(c, "Planned end", P_TEXT, "%s  (in %s)",
			       fmt_clock(jpath_int(s, "session.planned_end_utc", 0), t1, sizeof(t1)),
			       fmt_hms(jpath_int(s, "session.remaining_s", 0) - dt, t2, sizeof(t2)));
	} else {
		col_kv(c, "Session", P_LABEL, "none - press s to start");
		col_gap(c);
	}

	const json_t *st = jpath(s, "stop");
	if (json_is_object(st)) {
		int64_t here = (jpath_int(s, "utc", 0) - jpath_int(st, "arrival_utc", 0)) / 1000 + dt;
		col_kv(c, "At stop", P_TEXT, "%s  (%lld in)", fmt_hms(here, t1, sizeof(t1)),
		       (long long)jpath_int(st, "entries", 0));
	} else {
		col_kv(c, "At stop", P_LABEL, "-");
	}

	const json_t *ck = jpath(s, "session.checkin");
	if (running && json_is_object(ck)) {
		int64_t due_in = jpath_int(ck, "due_in_s", 0) - dt;
		if (jpath_bool(ck, "overdue", false))
			col_kv(c, "Check-in", P_RED, "OVERDUE +%s%s", fmt_hms(jpath_int(ck, "overdue_s", 0) + dt, t1, sizeof(t1)),
			       jpath_bool(ck, "escalated", false) ? "  base alerted" : "");
		else if (due_in <= 0)
			col_kv(c, "Check-in", P_RED, "due now (%s)", fmt_clock(jpath_int(ck, "due_utc", 0), t1, sizeof(t1)));
		else
			col_kv(c, "Check-in", P_TEXT, "in %s  (%s)", fmt_hms(due_in, t1, sizeof(t1)),
			       fmt_clock(jpath_int(ck, "due_utc", 0), t2, sizeof(t2)));
	} else {
		col_kv(c, "Check-in", P_LABEL, "-");
	}
	col_gap(c);

	const char *glink = jpath_str(s, "gps.link", NULL), *fix = jpath_str(s, "gps.fix", "none");
	double age = jpath_num(s, "gps.age_s", 0);
	if (glink && !strcmp(glink, "down"))
		col_kv(c, "GPS", P_RED, "gpsd not reachable");
	else if (!strcmp(fix, "3d") || !strcmp(fix, "2d"))
		col_kv(c, "GPS", age > 10 ? P_RED : P_GREEN, "%s fix%s", !strcmp(fix, "3d") ? "3D" : "2D",
		       age > 10 ? " (old)" : "");
	else if (!strcmp(fix, "lost"))
		col_kv(c, "GPS", P_RED, "FIX LOST");
	else
		col_kv(c, "GPS", P_TEXT, "no fix yet");

	const char *base = jpath_str(s, "link.base", NULL);
	bool online = base && !strcmp(base, "online");
	if (!base)
		col_kv(c, "Base link", P_LABEL, "?");
	else if (online)
		col_kv(c, "Base link", P_GREEN, "online");
	else
		col_kv(c, "Base link", P_RED, "OFFLINE");
	char nb[100];
	double oldest = jpath_num(s, "link.oldest_s", 0) + (double)dt;
	enum dfmt_level lv = dfmt_backlog(jpath_int(s, "link.backlog", 0), oldest, online, nb, sizeof(nb));
	col_kv(c, "Not sent", lv == DFMT_ALARM ? P_RED : lv == DFMT_WARN ? P_WARN : P_LABEL, "%s", nb);
	int64_t ack = jpath_int(s, "link.last_ack_utc", 0);
	if (ack > 0) {
		int64_t ago = (jpath_int(s, "utc", 0) - ack) / 1000 + dt;
		col_kv(c, "Base ack", P_TEXT, "%s  (%s ago)", fmt_clock(ack, t1, sizeof(t1)), fmt_hms(ago, t2, sizeof(t2)));
	}
}

/* The debrief of the session that just ended, in place of the column. */
static void debrief_rows(const struct disp *d, struct col *c)
{
	const json_t *ls = jpath(d->state, "last_session");
	char t1[32], t2[32], inc[160];
	struct crow *r = col_add(c, CR_BAR, NULL, P_AMBERBG);
	if (r)
		snprintf(r->text, sizeof(r->text), "SESSION ENDED %s - DEBRIEF",
			 fmt_clock(jpath_int(ls, "ended_utc", 0), t1, sizeof(t1)));
	col_gap(c);
	col_kv(c, "Length", P_TEXT, "%s  (planned end %s)", dfmt_duration(jpath_int(ls, "duration_s", 0), t1, sizeof(t1)),
	       fmt_clock(jpath_int(ls, "planned_end_utc", 0), t2, sizeof(t2)));
	col_kv(c, "Entries", P_TEXT, "%lld  (peak %lld on board)", (long long)jpath_int(ls, "entries", 0),
	       (long long)jpath_int(ls, "peak_occupancy", 0));
	if (jpath_int(ls, "over_limit_events", 0) > 0)
		col_kv(c, "Over limit", P_RED, "%lld time(s), %s", (long long)jpath_int(ls, "over_limit_events", 0),
		       dfmt_duration(jpath_int(ls, "over_limit_s", 0), t1, sizeof(t1)));
	col_kv(c, "Check-ins", P_TEXT, "%lld  (%lld late, %lld missed)", (long long)jpath_int(ls, "checkins", 0),
	       (long long)jpath_int(ls, "checkins_late", 0), (long long)jpath_int(ls, "checkins_missed", 0));
	col_kv(c, "Stops", P_TEXT, "%lld  (%.1f km)", (long long)jpath_int(ls, "stops", 0),
	       (double)jpath_int(ls, "distance_m", 0) / 1000.0);
	size_t n = 0;
	inc[0] = 0;
	const char *k;
	json_t *v;
	json_object_foreach(jpath(ls, "incidents"), k, v) {
		if (json_is_integer(v) && json_integer_value(v) > 0 && n + 2 < sizeof(inc))
			n += (size_t)snprintf(inc + n, sizeof(inc) - n, "%s%s %lld", n ? ", " : "", k,
					      (long long)json_integer_value(v));
		if (n >= sizeof(inc))
			n = sizeof(inc) - 1;
	}
	col_kv(c, "Incidents", P_TEXT, "%s", n ? inc : "none");
	c->r[c->n - 1].wrap = true;
	int64_t left = jpath_int(ls, "occupancy_at_end", jpath_int(ls, "discrepancy", 0));
	if (left) {
		col_kv(c, "At the end", P_RED, "%lld STILL COUNTED ON BOARD - anyone there? (e = empty)", (long long)left);
		c->r[c->n - 1].wrap = true;
	}
	col_gap(c);
	col_add(c, CR_TEXT, NULL, P_LABEL);
	snprintf(c->r[c->n - 1].text, sizeof(c->r[0].text), "Debrief together.");
	col_add(c, CR_TEXT, NULL, P_LABEL);
	snprintf(c->r[c->n - 1].text, sizeof(c->r[0].text), "Incident notes: NO NAMES.");
}

/* ---- dialogs ---- */

static void box_at(int y, int x, int h, int w)
{
	attr_set(A_NORMAL, P_TEXT, NULL);
	for (int r = 0; r < h; r++)
		mvhline(y + r, x, ' ', w);
	attr_set(A_NORMAL, P_LABEL, NULL);
	draw_hline(y, x, w);
	draw_hline(y + h - 1, x, w);
	draw_vline(y, x, h);
	draw_vline(y, x + w - 1, h);
	corner(y, x, WACS_ULCORNER, ACS_ULCORNER);
	corner(y, x + w - 1, WACS_URCORNER, ACS_URCORNER);
	corner(y + h - 1, x, WACS_LLCORNER, ACS_LLCORNER);
	corner(y + h - 1, x + w - 1, WACS_LRCORNER, ACS_LRCORNER);
}

static void draw_dialog(const struct disp *d)
{
	int w = COLS - 4 < 64 ? COLS - 4 : 64;
	int h = 9;
	if (d->dlg == DLG_INCIDENT)
		h = (int)d->ntypes + 6;
	if (d->dlg == DLG_START && d->dlg_carry > 0)
		h = 13;
	if (h > LINES - 2)
		h = LINES - 2;
	int y = (LINES - h) / 2, x = (COLS - w) / 2, iw = w - 4;
	box_at(y, x, h, w);
	int r = y + 1;
	switch (d->dlg) {
	case DLG_START:
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "START A SESSION");
		r++;
		put(r, x + 2, iw, P_LABEL, A_NORMAL, "Crew on board:");
		put(r++, x + 18, iw - 16, P_AMBERBG, A_NORMAL, " %d ", d->dlg_crew);
		put(r++, x + 2, iw, d->dlg_crew == 1 ? P_RED : P_LABEL, A_NORMAL, "%s",
		    d->dlg_crew == 1 ? "LONE WORKING: shorter check-ins, live location to base" : "");
		if (d->dlg_carry > 0) {
			/* a count left from before is never carried into a session unasked */
			r++;
			put(r, x + 2, iw, P_LABEL, A_NORMAL, "Count at start:");
			if (d->dlg_keep < 0) {
				put(r++, x + 18, iw - 16, P_AMBERBG, A_NORMAL, " %d still counted - aboard? ", d->dlg_carry);
				put(r++, x + 2, iw, P_TEXT, A_NORMAL, "0  nobody aboard: start at 0");
				put(r++, x + 2, iw, P_TEXT, A_NORMAL, "k  keep %d: they are still aboard", d->dlg_carry);
			} else {
				put(r++, x + 18, iw - 16, P_TEXT, A_NORMAL, "%d  %s", d->dlg_keep ? d->dlg_carry : 0,
				    d->dlg_keep ? "(kept: still aboard)" : "(van empty)");
				put(r++, x + 2, iw, P_LABEL, A_NORMAL, "0 / k change");
				r++;
			}
		}
		r++;
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "%s",
		    d->dlg_carry > 0 && d->dlg_keep < 0 ? "+ / - change crew   0 or k first   Esc cancel"
							: "+ / - change crew   Enter start   Esc cancel");
		break;
	case DLG_END:
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "END THE SESSION NOW?");
		r++;
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "This is the end check-in: base is told the session ended.");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "The debrief summary shows next.");
		r++;
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "y  end the session      n / Esc  keep going");
		break;
	case DLG_EMPTY:
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "IS THE VAN EMPTY?");
		r++;
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "Confirm nobody but the crew is aboard:");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "the count goes to 0 (recorded as a correction).");
		r++;
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "y  yes, empty      n / Esc  cancel");
		break;
	case DLG_INCIDENT:
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "RECORD AN INCIDENT - what kind?");
		for (size_t i = 0; i < d->ntypes && r < y + h - 3; i++) {
			bool sel = (int)i == d->dlg_sel;
			put(r++, x + 4, iw - 2, sel ? P_AMBERBG : P_TEXT, A_NORMAL, " %zu  %s ", i + 1, d->types[i]);
		}
		r = y + h - 3;
		put(r++, x + 2, iw, P_RED, A_NORMAL, "No names: categories and counts only.");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "number or arrows + Enter   Esc cancel");
		break;
	case DLG_NOTE: {
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "INCIDENT: %s", d->types[d->dlg_sel]);
		r++;
		put(r++, x + 2, iw, P_RED, A_NORMAL, "NO NAMES - nothing that identifies anyone.");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "Short note (optional):");
		/* the end of the note, so the cursor's side is always visible */
		int show = iw - 2;
		const char *tail = d->note_len > (size_t)show ? d->note + d->note_len - show : d->note;
		attr_set(A_NORMAL, P_AMBERBG, NULL);
		mvhline(r, x + 2, ' ', iw);
		put(r++, x + 2, iw, P_AMBERBG, A_NORMAL, "%s_", tail);
		r++;
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "Enter save   Esc back");
		break;
	}
	case DLG_HELP:
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "KEYS");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "c check in        + / - correct the count");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "e van is empty    m mute the over-limit buzzer");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "i incident        s start / end the session");
		put(r++, x + 2, iw, P_LABEL, A_NORMAL, "q quit this display (vanctld keeps running)");
		r++;
		put(r++, x + 2, iw, P_TEXT, A_NORMAL, "any key to close");
		break;
	case DLG_NONE:
		break;
	}
}

/* ---- the whole screen ---- */

static void draw_disconnected(const struct disp *d, int64_t now)
{
	char t1[32];
	int w = COLS - 4 < 70 ? COLS - 4 : 70, x = (COLS - w) / 2, y = LINES / 2 - 4;
	if (y < 2)
		y = 2;
	bar(y, x, w, P_REDBG, "vanctld not running - reconnecting");
	y += 2;
	const char *e = d->conn_err[0] ? d->conn_err : "connecting ...";
	while (*e && y < LINES - 6) {           /* wrapped: the socket path is long */
		int n = (int)strlen(e);
		if (n > w) {
			n = w;
			while (n > w / 2 && e[n] != ' ' && e[n] != '/')
				n--;
		}
		put(y++, x, n, P_TEXT, A_NORMAL, "%.*s", n, e);
		e += n;
		while (*e == ' ')
			e++;
	}
	if (d->lost_mono_ms)
		put(y++, x, w, P_TEXT, A_NORMAL, "Lost %s ago.", fmt_hms((now - d->lost_mono_ms) / 1000, t1, sizeof(t1)));
	int64_t next = d->next_try_ms - now;
	put(y++, x, w, P_LABEL, A_NORMAL, "Attempt %d; next try in %lld s.", d->attempts,
	    (long long)(next > 0 ? (next + 999) / 1000 : 0));
	y++;
	put(y++, x, w, P_LABEL, A_NORMAL, "Buttons, alarms and the link to base need vanctld.");
	put(y++, x, w, P_LABEL, A_NORMAL, "If this lasts, phone base.");
}

void screen_draw(const struct disp *d, int64_t now)
{
	g_utf8 = d->utf8;
	erase();
	if (COLS < 40 || LINES < 12) {
		put(0, 0, COLS, P_TEXT, A_NORMAL, "window too small (%dx%d)", COLS, LINES);
		put(1, 0, COLS, d->connected ? P_TEXT : P_RED, A_NORMAL, "%s",
		    d->connected ? "connected" : "vanctld not running");
		refresh();
		return;
	}
	draw_header(d, now);

	if (!d->connected || !d->state) {
		if (!d->connected)
			draw_disconnected(d, now);
		else
			put(LINES / 2, 2, COLS - 4, P_TEXT, A_NORMAL, "waiting for the state from vanctld ...");
		put(LINES - 1, 1, COLS - 2, P_DIM, A_NORMAL, "q quit");
		refresh();
		return;
	}

	/* the emergency block under the header, across the whole width */
	const json_t *em = visible_emergency(d);
	int em_h = em ? emergency_rows() : 0;
	if (em)
		draw_emergency(d, em, now, 2, em_h);

	struct alarm al[12];
	int nal = collect_alarms(d, now, al, 12);
	int footer = LINES - 1, msgrow = LINES - 2;
	int maxal = (LINES - 4 - em_h) / 3;  /* keep most of the screen for the count */
	if (nal > maxal)
		nal = maxal;
	int al_top = msgrow - nal;           /* alarm rows: al_top .. msgrow-1 */
	int main_top = 2 + em_h, main_bottom = al_top - 2;
	int mh = main_bottom - main_top + 1;

	/* the column on the right as wide as its longest line needs; the big
	 * count on the left in what is left, at the largest scale that fits */
	static struct col col;
	col.n = 0;
	const char *state = jpath_str(d->state, "session.state", "idle");
	bool debrief = !strcmp(state, "ended") && json_is_object(jpath(d->state, "last_session"));
	if (debrief)
		debrief_rows(d, &col);
	else
		info_rows(d, now, &col);
	int need = col_width(&col) + 1;
	if (need < 36)
		need = 36;
	if (need > COLS - 23)
		need = COLS - 23;            /* the count keeps 20 cells: the column wraps */
	char text[48];
	int sx, sy, room = COLS - need - 3;
	count_text(d->state, text, sizeof(text));
	count_scale(text, room, mh, &sx, &sy);
	int lw = sx ? bigfont_width(text, sx) + 4 : 20;
	if (lw < COLS / 2 && room > lw)
		lw = room < COLS / 2 ? room : COLS / 2;
	if (lw < 20)
		lw = 20;
	draw_count(d, main_top, mh, lw, sx, sy);
	attr_set(A_NORMAL, P_LABEL, NULL);
	draw_vline(main_top, lw, mh);
	col_draw(&col, main_top, lw + 2, COLS - lw - 3, main_bottom);

	attr_set(A_NORMAL, P_LABEL, NULL);
	draw_hline(al_top - 1, 0, COLS);
	for (int i = 0; i < nal; i++)
		bar(al_top + i, 0, COLS, al[i].pair, al[i].text);

	if (d->msg[0] && now < d->msg_until_ms)
		put(msgrow, 1, COLS - 2, d->msg_kind == MSG_ERR ? P_RED : d->msg_kind == MSG_OK ? P_GREEN : P_TEXT,
		    A_NORMAL, "%s", d->msg);
	put(footer, 1, COLS - 2, P_DIM, A_NORMAL, "%s",
	    COLS >= 78 ? "c check-in  +/- count  e empty  m mute  i incident  s session  ? keys  q quit"
		       : "c chk-in +/- count e empty m mute i incid. s session q quit");
	if (d->dlg != DLG_NONE)
		draw_dialog(d);
	refresh();
}
