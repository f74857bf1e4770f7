/*
 * log.h - logging for vanctld and vanctl, in the manner of OpenNTPD's log.c.
 *
 * Messages go to stderr with the "<N>" priority prefixes that systemd's
 * journal understands, so the same binary logs properly under systemd and
 * reads well in a terminal.  log_warn() appends strerror(errno); log_warnx()
 * does not.  fatal()/fatalx() exist for start-up only: a running daemon
 * reports errors and keeps going.
 *
 * Library-style modules (store, conf, mqtt, ...) return errors and let the
 * top level decide what to log.
 */
#ifndef VAN_LOG_H
#define VAN_LOG_H

#include <stdbool.h>

#define LOG_ATTR(f, a) __attribute__((format(printf, f, a)))

/* Set up logging.  debug: also print log_debug() messages.  prefix_priority:
 * print "<N>" journal priority prefixes (true for the daemon, false for CLI
 * tools that print to a person). */
void log_init(const char *progname, bool debug, bool prefix_priority);
void log_set_debug(bool debug);
/* Drop every message (fuzzers, benchmarks).  fatal() still prints. */
void log_set_quiet(bool quiet);
bool log_is_debug(void);

void log_warn(const char *fmt, ...) LOG_ATTR(1, 2);   /* error, with errno text */
void log_warnx(const char *fmt, ...) LOG_ATTR(1, 2);  /* error */
void log_notice(const char *fmt, ...) LOG_ATTR(1, 2); /* important, not an error */
void log_info(const char *fmt, ...) LOG_ATTR(1, 2);
void log_debug(const char *fmt, ...) LOG_ATTR(1, 2);
_Noreturn void fatal(const char *fmt, ...) LOG_ATTR(1, 2);  /* with errno text */
_Noreturn void fatalx(const char *fmt, ...) LOG_ATTR(1, 2);

#endif
