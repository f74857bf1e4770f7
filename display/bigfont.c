/*
 * bigfont.c - large figures for the display: a 3x5 cell font scaled by
 * (sx, sy), drawn with the full block U+2588 when the locale is UTF-8, else
 * with reverse-video spaces (the same solid block on any terminal, the
 * Linux console without a Unicode font included).
 */
#include <curses.h>
#include <string.h>

#include "display.h"

static const char *glyph(char c)
{
	/* 5 rows of 3 cells, row after row */
	switch (c) {
	case '0': return "####.##.##.####";
	case '1': return ".#.##..#..#.###";
	case '2': return "###..#####..###";
	case '3': return "###..####..####";
	case '4': return "#.##.####..#..#";
	case '5': return "####..###..####";
	case '6': return "####..####.####";
	case '7': return "###..#..#..#..#";
	case '8': return "####.#####.####";
	case '9': return "####.####..####";
	case '/': return "..#..#.#.#..#..";
	case '-': return "......###......";
	default: return "...............";
	}
}

int bigfont_width(const char *text, int sx)
{
	int n = (int)strlen(text);
	return n ? n * 3 * sx + (n - 1) * sx : 0;
}

void bigfont_draw(int y, int x, const char *text, int sx, int sy, int attr, int color_pair, bool utf8)
{
	int maxy, maxx;
	getmaxyx(stdscr, maxy, maxx);
	for (const char *p = text; *p; p++) {
		const char *g = glyph(*p);
		for (int r = 0; r < 5; r++) {
			for (int c = 0; c < 3; c++) {
				if (g[r * 3 + c] != '#')
					continue;
				for (int dy = 0; dy < sy; dy++) {
					int yy = y + r * sy + dy;
					if (yy < 0 || yy >= maxy)
						continue;
					for (int dx = 0; dx < sx; dx++) {
						int xx = x + c * sx + dx;
						if (xx < 0 || xx >= maxx)
							continue;
						if (utf8) {
							attr_set((attr_t)attr, (short)color_pair, NULL);
							mvaddstr(yy, xx, "\xe2\x96\x88");
						} else {
							attr_set((attr_t)attr | A_REVERSE, (short)color_pair, NULL);
							mvaddch(yy, xx, ' ');
						}
					}
				}
			}
		}
		x += 4 * sx;
	}
	attr_set(A_NORMAL, 0, NULL);
}
