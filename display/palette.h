/*
 * palette.h - the display's colours as data: for each role (amber text,
 * the red alarm bars, the emergency block ...) the foreground, background
 * and bold for each kind of terminal, and the palettes those colour
 * numbers stand for, so that contrast can be checked (tests/unit/
 * test_display.c) instead of guessed.
 *
 * Three kinds of terminal:
 *   PAL_CONSOLE  the Linux console (TERM=linux, the Pi's own screen): 8
 *                colours, bold makes the foreground bright, backgrounds
 *                are only the 8 dark colours ("yellow" is brown #aa5500)
 *   PAL_BASIC    any other 8-colour terminal (xterm's 16-colour palette)
 *   PAL_RICH     256 colours (xterm's 256-colour palette)
 * Pure: no curses here.
 */
#ifndef VAN_PALETTE_H
#define VAN_PALETTE_H

#include <stdbool.h>

enum pal_kind { PAL_CONSOLE = 0, PAL_BASIC, PAL_RICH, PAL_KINDS };

/* The colour pairs (curses pair numbers: 0 is the terminal's default). */
enum pal_role {
	P_TEXT = 1,   /* amber on black */
	P_LABEL,      /* dim amber */
	P_BIG,        /* the big figures */
	P_RED,        /* red on black: what is wrong */
	P_REDBG,      /* the red bars: CHECK-IN OVERDUE, OVER THE LIMIT ... */
	P_GREEN,      /* green on black: online, a good fix */
	P_AMBERBG,    /* the amber bars: FULL, prompts */
	P_DIM,        /* hints */
	P_EMERG,      /* the emergency block while base has not acknowledged */
	P_EMACK,      /* the emergency block once base has acknowledged */
	P_WARN,       /* amber that must stand out from text and labels: a backlog */
	P_ROLES
};

struct pal_spec {
	short fg, bg;          /* colour numbers of the kind's palette */
	bool bold;             /* A_BOLD with it (bright foreground on the console) */
};

/* The kind for a terminal name and its number of colours. */
enum pal_kind pal_kind_for(const char *term, int colors);
/* The role's colours on a kind of terminal. */
struct pal_spec pal_spec(enum pal_kind k, enum pal_role r);
/* The colour a cell shows: fg (bright when bold on the console and the
 * basic palette) or bg, as 0xRRGGBB. */
unsigned pal_rgb(enum pal_kind k, short colour, bool bright);
/* WCAG 2 contrast ratio of two 0xRRGGBB colours (1 to 21). */
double pal_contrast(unsigned a, unsigned b);
/* The contrast of a role as seen on a kind of terminal. */
double pal_role_contrast(enum pal_kind k, enum pal_role r);

#endif
