/*
 * display.h - vandisplay, the crew's full-screen display: what its files
 * share.
 *
 *   main.c    the loop: the connection to vanctld (a `watch` client of the
 *             control socket, reconnecting with backoff), keys and dialogs,
 *             commands sent
 *   screen.c  drawing the whole screen from struct disp into ncurses'
 *             virtual screen (one refresh per change: no flicker)
 *   bigfont.c the large figures (block characters)
 *
 * The display owns nothing of the daemon: it only reads snapshots and sends
 * commands, so a crash here never touches vanctld.  A covert emergency never
 * reaches it (the daemon's crew snapshot leaves it out) and nothing here
 * would show one: emergency objects and events marked covert are ignored.
 */
#ifndef VAN_DISPLAY_H
#define VAN_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctlclient.h"

enum dialog {
	DLG_NONE = 0,
	DLG_START,          /* session start: pick the crew */
	DLG_END,            /* session end: confirm */
	DLG_EMPTY,          /* van empty: confirm */
	DLG_INCIDENT,       /* pick a category */
	DLG_NOTE,           /* optional note (no names) */
	DLG_HELP,
};

enum msg_kind { MSG_INFO = 0, MSG_OK, MSG_ERR };

#define DISP_TYPES_MAX 16
#define DISP_NOTE_MAX 200
#define DISP_PENDING 8

struct disp {
	/* connection */
	char path[256];
	int fd;                    /* -1: not connected */
	bool connected;
	int64_t next_try_ms;       /* mono ms of the next connection attempt */
	int backoff_ms;
	int attempts;
	int64_t lost_mono_ms;      /* when the connection was lost (0 = never had one) */
	char conn_err[300];
	struct ctlc_lines *lb;
	int next_id;
	struct { int id; char what[40]; } pending[DISP_PENDING];

	/* what the daemon said */
	json_t *state;             /* the newest crew snapshot, or NULL */
	int64_t state_mono_ms;     /* when it came */
	int64_t last_rx_mono_ms;   /* anything at all from the daemon */
	char title[100];           /* "unit | name" of the last snapshot (kept while disconnected) */

	/* the crew's interaction */
	enum dialog dlg;
	int dlg_crew;
	int dlg_carry;             /* start: the count left from before (0: none) */
	int dlg_keep;              /* start: -1 not answered yet, 0 start at 0, 1 keep it */
	int dlg_sel;
	char note[DISP_NOTE_MAX + 1];
	size_t note_len;
	char *types[DISP_TYPES_MAX];
	size_t ntypes;
	char msg[200];
	enum msg_kind msg_kind;
	int64_t msg_until_ms;

	bool utf8;                 /* block characters available */
	bool quit;
};

/* main.c */
int64_t disp_now_ms(void);

/* screen.c: set up colours once after initscr; draw everything. */
void screen_init_colors(void);
void screen_draw(const struct disp *d, int64_t now_ms);

/* bigfont.c: the width in cells of text drawn at scale sx (a glyph is
 * 3*sx wide, one cell of space between glyphs), and drawing it with its
 * top-left at (y, x), 5*sy rows high, in attribute attr.  Only digits, '/',
 * '-' and ' ' are known. */
int bigfont_width(const char *text, int sx);
void bigfont_draw(int y, int x, const char *text, int sx, int sy, int attr, int color_pair, bool utf8);

#endif
