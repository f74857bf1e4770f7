/*
 * palette.c - the display's colours per kind of terminal.  See palette.h.
 *
 * What is chosen, and why (contrast ratios from pal_role_contrast(); 4.5 is
 * WCAG's minimum for text, checked for every bar and block by
 * tests/unit/test_display.c):
 *  - the red bars: black on red was 2.7 on the Linux console (its red is
 *    a dark #aa0000) and 3.9 on xterm-256: now bright yellow on red on the
 *    console (7.3) and on 8-colour xterms (5.4), gold on dark red with 256
 *    colours (7.4);
 *  - the amber bars: black on the console's brown is 4.0: bright yellow on
 *    brown (4.9); black on amber elsewhere (7.4 and more);
 *  - the emergency block: bright white on red, bold (7.8 on the console,
 *    7.4 with 256 colours) - the one place white is allowed at night;
 *  - base's acknowledgement: black on green (6.7 console, 7.1 with 256
 *    colours), never bold (bold black is dark grey on the console);
 *  - red text is bright (bold) red on the console (6.7; plain red is 2.7);
 *  - a warning in amber (a backlog) is bright yellow on the console, where
 *    amber text and labels are the same brown.
 * Amber text and labels stay dim on purpose (night vision; 4.0 on the
 * console): they are not what must be seen first.
 */
#include "palette.h"

#include <math.h>
#include <string.h>

enum { K = 0, R = 1, G = 2, Y = 3, W = 7 };   /* the 8 basic colours */

static const struct pal_spec specs[PAL_KINDS][P_ROLES] = {
	[PAL_CONSOLE] = {
		[P_TEXT] = { Y, K, false },    [P_LABEL] = { Y, K, false },
		[P_BIG] = { Y, K, false },     [P_RED] = { R, K, true },
		[P_REDBG] = { Y, R, true },    [P_GREEN] = { G, K, false },
		[P_AMBERBG] = { Y, Y, true },  [P_DIM] = { Y, K, false },
		[P_EMERG] = { W, R, true },    [P_EMACK] = { K, G, false },
		[P_WARN] = { Y, K, true },
	},
	[PAL_BASIC] = {
		[P_TEXT] = { Y, K, false },    [P_LABEL] = { Y, K, false },
		[P_BIG] = { Y, K, false },     [P_RED] = { R, K, true },
		[P_REDBG] = { Y, R, true },    [P_GREEN] = { G, K, false },
		[P_AMBERBG] = { K, Y, false }, [P_DIM] = { Y, K, false },
		[P_EMERG] = { W, R, true },    [P_EMACK] = { K, G, false },
		[P_WARN] = { Y, K, true },
	},
	[PAL_RICH] = {
		[P_TEXT] = { 172, K, false },      /* #d78700 on black */
		[P_LABEL] = { 136, K, false },    /* #af8700 */
		[P_BIG] = { 172, K, false },
		[P_RED] = { 196, K, false },       /* #ff0000 (#d70000 is 3.9 on black) */
		[P_REDBG] = { 220, 88, false },    /* #ffd700 on #870000 */
		[P_GREEN] = { 34, K, false },      /* #00af00 */
		[P_AMBERBG] = { K, 172, false },
		[P_DIM] = { 94, K, false },        /* #875f00 */
		[P_EMERG] = { 231, 124, true },    /* #ffffff on #af0000 */
		[P_EMACK] = { K, 34, false },      /* black on #00af00 */
		[P_WARN] = { 214, K, false },      /* #ffaf00 */
	},
};

enum pal_kind pal_kind_for(const char *term, int colors)
{
	if (colors >= 256)
		return PAL_RICH;
	if (term && !strncmp(term, "linux", 5))
		return PAL_CONSOLE;
	return PAL_BASIC;
}

struct pal_spec pal_spec(enum pal_kind k, enum pal_role r)
{
	if (k < 0 || k >= PAL_KINDS || r <= 0 || r >= P_ROLES)
		return (struct pal_spec){ Y, K, false };
	return specs[k][r];
}

/* The Linux console's default palette (drivers/tty/vt: default_red/grn/blu). */
static const unsigned console16[16] = {
	0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
	0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};
/* xterm's 16 colours (its defaults, as in 256colres.h / XTerm-col.ad). */
static const unsigned xterm16[16] = {
	0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
	0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

unsigned pal_rgb(enum pal_kind k, short c, bool bright)
{
	if (c < 0 || c > 255)
		return 0;
	if (c < 16) {
		if (bright && c < 8 && k != PAL_RICH)
			c = (short)(c + 8);
		return k == PAL_CONSOLE ? console16[c] : xterm16[c];
	}
	if (c < 232) {
		static const unsigned lv[6] = { 0, 95, 135, 175, 215, 255 };
		int i = c - 16;
		return lv[i / 36] << 16 | lv[i / 6 % 6] << 8 | lv[i % 6];
	}
	unsigned v = 8 + 10 * (unsigned)(c - 232);
	return v << 16 | v << 8 | v;
}

static double lin(unsigned v)
{
	double c = v / 255.0;
	return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double luminance(unsigned rgb)
{
	return 0.2126 * lin(rgb >> 16 & 0xff) + 0.7152 * lin(rgb >> 8 & 0xff) + 0.0722 * lin(rgb & 0xff);
}

double pal_contrast(unsigned a, unsigned b)
{
	double la = luminance(a), lb = luminance(b);
	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

double pal_role_contrast(enum pal_kind k, enum pal_role r)
{
	struct pal_spec s = pal_spec(k, r);
	return pal_contrast(pal_rgb(k, s.fg, s.bold), pal_rgb(k, s.bg, false));
}
