#!/usr/bin/env python3
"""display_screen.py - read a `tmux capture-pane -p -e -N` capture as cells
(character, colours, bold) and check what a person sees in colour.

    display_screen.py band FILE TEXT [--palette linux|xterm256] [--min-rows N]
                      [--full] [--bold] [--min-contrast X]
        The band of rows around the row holding TEXT whose every cell has
        the background of TEXT's first cell.  Prints rows, width, colours
        and contrast; fails unless the band is at least N rows, covers
        the whole width (--full), is bold (--bold), and its text has at
        least contrast X on the palette (the Linux console's own, or
        xterm's 256 colours).
    display_screen.py colour FILE TEXT
        Prints TEXT's first cell's colours as "fg=N bg=N bold=0|1".

tmux writes an SGR only where the attributes change, so the state carries
over from cell to cell and line to line, as on the terminal.  The width of
the pane is the longest line (-N keeps trailing spaces).
"""
import re
import sys

CONSOLE16 = [0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
             0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff]
XTERM16 = [0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
           0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff]
DEFAULT_FG, DEFAULT_BG = 7, 0


def rgb(palette, c, bright):
    if c < 16:
        if bright and c < 8 and palette == "linux":
            c += 8
        return (CONSOLE16 if palette == "linux" else XTERM16)[c]
    if c < 232:
        lv = [0, 95, 135, 175, 215, 255]
        i = c - 16
        return lv[i // 36] << 16 | lv[i // 6 % 6] << 8 | lv[i % 6]
    v = 8 + 10 * (c - 232)
    return v << 16 | v << 8 | v


def lum(x):
    def ch(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * ch(x >> 16 & 255) + 0.7152 * ch(x >> 8 & 255) + 0.0722 * ch(x & 255)


def contrast(a, b):
    la, lb = lum(a), lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def cells(path):
    """Rows of cells: (char, fg, bg, bold, reverse)."""
    st = {"fg": DEFAULT_FG, "bg": DEFAULT_BG, "bold": False, "rev": False}
    rows = []
    sgr = re.compile(r"\x1b\[([0-9;]*)m")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f.read().split("\n"):
            row = []
            i = 0
            while i < len(line):
                m = sgr.match(line, i)
                if m:
                    ps = [int(p) if p else 0 for p in m.group(1).split(";")]
                    j = 0
                    while j < len(ps):
                        p = ps[j]
                        if p == 0:
                            st.update(fg=DEFAULT_FG, bg=DEFAULT_BG, bold=False, rev=False)
                        elif p == 1:
                            st["bold"] = True
                        elif p == 22:
                            st["bold"] = False
                        elif p == 7:
                            st["rev"] = True
                        elif p == 27:
                            st["rev"] = False
                        elif 30 <= p <= 37:
                            st["fg"] = p - 30
                        elif 90 <= p <= 97:
                            st["fg"] = p - 90 + 8
                        elif p == 39:
                            st["fg"] = DEFAULT_FG
                        elif 40 <= p <= 47:
                            st["bg"] = p - 40
                        elif 100 <= p <= 107:
                            st["bg"] = p - 100 + 8
                        elif p == 49:
                            st["bg"] = DEFAULT_BG
                        elif p in (38, 48) and j + 2 < len(ps) and ps[j + 1] == 5:
                            st["fg" if p == 38 else "bg"] = ps[j + 2]
                            j += 2
                        j += 1
                    i = m.end()
                    continue
                ch = line[i]
                i += 1
                if ch == "\x1b" or ord(ch) < 32:      # SO/SI (line drawing), stray escapes
                    continue
                fg, bg = (st["bg"], st["fg"]) if st["rev"] else (st["fg"], st["bg"])
                row.append((ch, fg, bg, st["bold"], st["rev"]))
            rows.append(row)
    return rows


def find(rows, text):
    for y, row in enumerate(rows):
        s = "".join(c[0] for c in row)
        x = s.find(text)
        if x >= 0:
            return y, x
    return None, None


def main():
    args = sys.argv[1:]
    cmd, path, text = args[0], args[1], args[2]
    opts = args[3:]

    def opt(name, default=None):
        return opts[opts.index(name) + 1] if name in opts else default
    rows = cells(path)
    width = max(len(r) for r in rows)
    y, x = find(rows, text)
    if y is None:
        sys.exit("FAIL: %r is not on the screen" % text)
    c = rows[y][x]
    if cmd == "colour":
        print("fg=%d bg=%d bold=%d" % (c[1], c[2], int(c[3])))
        return
    assert cmd == "band"
    bg = c[2]

    def solid(r):
        return len(rows[r]) == width and all(cell[2] == bg for cell in rows[r])
    top = bottom = y
    full = solid(y)
    if full:
        while top > 0 and solid(top - 1):
            top -= 1
        while bottom + 1 < len(rows) and solid(bottom + 1):
            bottom += 1
    n = bottom - top + 1
    palette = opt("--palette", "xterm256")
    cr = contrast(rgb(palette, c[1], c[3]), rgb(palette, bg, False))
    print("band %r: rows %d-%d (%d), width %s of %d, fg=%d bg=%d bold=%d, contrast %.2f on %s"
          % (text, top, bottom, n, "full" if full else "partial", width, c[1], bg, int(c[3]), cr, palette))
    bad = []
    if n < int(opt("--min-rows", "1")):
        bad.append("only %d rows" % n)
    if "--full" in opts and not full:
        bad.append("not the full width")
    if "--bold" in opts and not c[3]:
        bad.append("not bold")
    if cr < float(opt("--min-contrast", "0")):
        bad.append("contrast %.2f < %s" % (cr, opt("--min-contrast")))
    if bad:
        sys.exit("FAIL: " + ", ".join(bad))


if __name__ == "__main__":
    main()
