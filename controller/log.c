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

static void vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char msg[1024];

	if (log_quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
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
