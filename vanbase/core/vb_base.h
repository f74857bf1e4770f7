/*
 * vb_base.h - what every part of vanbase's core shares: the time the shell
 * hands in, the "no instant" sentinel, the alarm kinds and their stable
 * names, the size limits of names and ids, and small checked readers of
 * outside JSON (a wrong type reads as absent, a huge number is refused).
 *
 * The core never reads a clock: every call gets a struct vb_time from the
 * shell.  All instants in the core are base's UTC milliseconds (not
 * monotonic): the chains' deadlines must survive a restart of vanbase (a
 * SIGKILL, a reboot of base), and base's clock is NTP-synchronised.  A step
 * of base's clock moves every deadline with it (a step forward fires what
 * fell due at once; a step back delays it): say so in docs.
 */
#ifndef VB_CORE_BASE_H
#define VB_CORE_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* An instant that is not set (no deadline, never happened). */
#define VB_NEVER INT64_MIN

#define VB_NAME_MAX 33      /* unit ids, contact, role and channel names: 1-32 bytes + NUL */
#define VB_ID_MAX 64        /* alarm ids: "UNIT-KIND-SEQ" */
#define VB_NID_MAX 160      /* notification ids: "ALARM/rRsS/CONTACT/CHANNEL" */
#define VB_WHO_MAX 48       /* who acknowledged or closed: 1-47 bytes of text */
#define VB_TEXT_MAX 400     /* a notification's text */
#define VB_NOTE_MAX 200     /* a closing note */
#define VB_MOW 10080        /* minutes in a week */

/* Base's time, from the shell with every call.  local_mow: minutes since
 * Monday 00:00 in base's local time (0..10079), the shell's localtime_r of
 * utc_ms; the core makes no time-zone calls and uses it only for the rota. */
struct vb_time {
	int64_t utc_ms;
	int local_mow;
};

/* Minute of the week from local-time fields (struct tm's tm_wday: 0 =
 * Sunday, tm_hour, tm_min), or -1 if out of range.  The shell does
 * localtime_r(); the core only counts. */
static inline int vb_mow_of(int wday, int hour, int min)
{
	if (wday < 0 || wday > 6 || hour < 0 || hour > 23 || min < 0 || min > 59)
		return -1;
	return ((wday + 6) % 7) * 1440 + hour * 60 + min;
}

/* Alarm kinds: what raised it.  Names (vb_kind_name) are stable: they are
 * in alarm ids, the store and the published alarm list. */
enum vb_kind {
	VB_K_EMERGENCY = 0,   /* a panic or duress alarm (covert is a flag) */
	VB_K_OVERDUE,         /* session overdue: reported by the van, or its planned end + grace passed on base's clock */
	VB_K_CHECKIN,         /* check-in missed: reported by the van, or due + grace passed on base's clock */
	VB_K_OFFLINE,         /* availability offline (last will) while the session ran */
	VB_K_SILENT,          /* online but nothing heard for silent_after during a session */
	VB_K_SELFTEST_FAILED, /* the van's emergency self-test was not acknowledged in time */
	VB_K_DRILL,           /* a drill: the van's self-test or `vanbase test`; runs to the test roster */
	VB_K__COUNT
};

/* "emergency", "overdue", "checkin", "offline", "silent",
 * "selftest_failed", "drill"; NULL for a bad value. */
const char *vb_kind_name(enum vb_kind k);
/* The kind of a name, or -1. */
int vb_kind_of(const char *name);

/* 1-32 bytes of [A-Za-z0-9_-]: a unit id (as the console's UNIT_RE). */
bool vb_valid_unit(const char *s);
/* 1-32 bytes of [A-Za-z0-9_.-]: contact, role and channel names (they go
 * into notification ids, split on '/'). */
bool vb_valid_name(const char *s);
/* 1-47 bytes of printable UTF-8 (no control characters): who acked/closed. */
bool vb_valid_who(const char *s);
/* Is s valid UTF-8 without control characters (C0, DEL, C1)? */
bool vb_utf8_printable(const char *s);
/* Cut an incomplete UTF-8 sequence off the end of s (after a truncation). */
void vb_utf8_trim(char *s);

/* ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff]Z" (years 1970-9999) -> ms, or
 * VB_NEVER for anything else.  No time-zone calls. */
int64_t vb_iso_ms(const char *s);
/* Base ms -> "YYYY-MM-DDTHH:MM:SSZ" (n >= 21). */
void vb_iso_fmt(char *buf, size_t n, int64_t ms);

/* Checked readers of outside JSON: a wrong type, NaN or a number out of
 * range reads as absent.  Milliseconds: integers (or integral reals) within
 * +-1e14 (about year 5000). */
int64_t vb_jms(const json_t *v);                  /* VB_NEVER if absent/bad */
bool vb_jint(const json_t *v, int64_t *out);      /* integers within +-2^53 */
bool vb_jnum(const json_t *v, double *out);       /* finite numbers */
const char *vb_jstr(const json_t *v);             /* NULL if not a string */
int vb_jbool(const json_t *v);                    /* 1, 0, or -1 if not a bool */
bool vb_jlatlon(const json_t *lat, const json_t *lon, double *la, double *lo);

/* Earliest of two deadlines, VB_NEVER meaning none. */
static inline int64_t vb_dmin(int64_t a, int64_t b)
{
	if (a == VB_NEVER)
		return b;
	if (b == VB_NEVER)
		return a;
	return a < b ? a : b;
}

/* Copy src into dst (n bytes), truncated at a UTF-8 character boundary;
 * NULL copies "". */
void vb_copy(char *dst, size_t n, const char *src);

#endif
