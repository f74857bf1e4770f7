/*
 * dfmt.h - what the crew display says, as pure functions (no curses, no
 * clock): tested by tests/unit/test_display.c.
 */
#ifndef VAN_DFMT_H
#define VAN_DFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Messages for base not yet confirmed by the broker are normal traffic
 * while they are young: on a working link (loopback: milliseconds, a
 * mobile network: a few seconds) each is confirmed long before a minute,
 * and the link itself is declared lost after 1.5 keepalives (45 s with the
 * default 30 s).  The display warns (amber) only when the oldest has
 * waited DFMT_BACKLOG_WARN_S, or at once while the link is down, and in
 * red from DFMT_BACKLOG_ALARM_S (when the alarm bar "Base has not received
 * anything" also comes). */
#define DFMT_BACKLOG_WARN_S 60
#define DFMT_BACKLOG_ALARM_S 600

enum dfmt_level { DFMT_QUIET = 0, DFMT_WARN, DFMT_ALARM };

/* The "Not sent" row: its text and how loud it is. */
enum dfmt_level dfmt_backlog(int64_t backlog, double oldest_s, bool online, char *buf, size_t len);

/* How long ago something passed, for people: "just now" (under a minute),
 * "1 min ago", "14 min ago", "1h05m ago". */
char *dfmt_ago(int64_t s, char *buf, size_t len);

/* A length of time that cannot be mistaken for a time of day: "4h12m",
 * "16m24s", "40s". */
char *dfmt_duration(int64_t s, char *buf, size_t len);

#endif
