/*
 * log.c - stderr logging with systemd journal priority prefixes.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prog = "vanctld";
static bool log_debug_on;
static bool log_prefix = true;
static bool log_quiet;

/* syslog priorities, as sd-daemon.h defines SD_ERR etc. */
enum { PRI_ERR = 3, PRI_WARNING = 4, PRI_NOTICE = 5, PRI_INFO = 6, PRI_DEBUG = 7 };

void log_init(const char *progname, bool debug, bool prefix_priority)
{
	if (progname)
		log_prog = progname;
	log_debug_on = debug;
	log_prefix = prefix_priority;
}

void log_set_debug(bool debug) { log_debug_on = debug; }
void log_set_quiet(bool quiet) { log_quiet = quiet; }
bool log_is_debug(void) { return log_debug_on; }

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one
 * (a stray continuation byte, an overlong form, a surrogate, > U+10FFFF, cut
 * short).  *cp gets the code point. */
static int utf8_seq(const unsigned char *s, unsigned *cp)
{
	int n;
	unsigned c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;   /* also stops at the terminating NUL */
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Copy a formatted message into out, escaping every byte that could forge
 * or disturb a log line: a newline would start a new journal entry (with its
 * own "<N>" priority), a carriage return or an escape sequence would rewrite
 * what a terminal shows.  Control bytes become \n, \r, \t or \xNN, C1
 * controls (U+0080-U+009F) \u00NN, bytes that are not UTF-8 \xNN; valid
 * UTF-8 text is kept.  Messages carry text from outside (base's commands,
 * control socket clients, config files, plan files, the broker), so this is
 * done here, once, for every line.  Truncates on a whole character. */
static void log_escape(const char *in, char *out, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s) {
		char esc[8];
		unsigned cp = 0;
		int n = utf8_seq(s, &cp);
		const char *put = (const char *)s;
		size_t len = n > 0 ? (size_t)n : 1;

		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
			put = esc, len = 4;
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			esc[0] = '\\';
			esc[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
			put = esc, len = 2;
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", cp);
			put = esc, len = 4;
		} else if (cp >= 0x80 && cp <= 0x9f) {
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
			put = esc, len = 6;
		}
		if (o + len >= outsz)
			break;
		memcpy(out + o, put, len);
		o += len;
		s += n > 0 ? n : 1;
	}
	out[o] = '\0';
}

static void vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char raw[1024], msg[2048];

	if (log_quiet)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, msg, sizeof(msg));
	/* one fprintf per line keeps lines whole when stderr is shared */
	if (log_prefix) {
		if (errnum)
			fprintf(stderr, "<%d>%s: %s\n", pri, msg, strerror(errnum));
		else
			fprintf(stderr, "<%d>%s\n", pri, msg);
	} else {
		if (errnum)
			fprintf(stderr, "%s: %s: %s\n", log_prog, msg, strerror(errnum));
		else
			fprintf(stderr, "%s: %s\n", log_prog, msg);
	}
}

#define LOG_FN(name, pri, with_errno)                   \
	void name(const char *fmt, ...)                 \
	{                                               \
		int e = errno;                          \
		va_list ap;                             \
		va_start(ap, fmt);                      \
		vlog(pri, (with_errno) ? e : 0, fmt, ap); \
		va_end(ap);                             \
		errno = e;                              \
	}

LOG_FN(log_warn, PRI_ERR, 1)
LOG_FN(log_warnx, PRI_ERR, 0)
LOG_FN(log_notice, PRI_NOTICE, 0)
LOG_FN(log_info, PRI_INFO, 0)

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog(PRI_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	log_quiet = false;
	va_start(ap, fmt);
	vlog(PRI_ERR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	log_quiet = false;
	va_start(ap, fmt);
	vlog(PRI_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
