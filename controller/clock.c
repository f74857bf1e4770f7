/*
 * clock.c - UTC source selection.  See clock.h.
 */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "hw/gps.h"
#include "loop.h"

#define CLOCK_RECHECK_MS 10000
#define CLOCK_GPS_DRIFT_MS 2000

void clock_init(struct clock_ref *c)
{
	*c = (struct clock_ref){ .checked_at = INT64_MIN / 2, .force = -1 };
	/* tests and replays: "system" pins the system clock, "gps" prefers
	 * plausible GPS time even when the system clock is synchronised */
	const char *f = getenv("VANCTLD_CLOCK");
	if (f && !strcmp(f, "system"))
		c->force = UTC_SRC_SYSTEM_SYNCED;
	else if (f && !strcmp(f, "gps"))
		c->force = UTC_SRC_GPS;
}

void clock_gps(struct clock_ref *c, int64_t gps_utc_ms, int64_t mono_ms)
{
	if (!gps_utc_ms || !gps_time_plausible(gps_utc_ms))
		return;
	int64_t off = gps_utc_ms - mono_ms;
	/* keep the anchor steady: receive latency jitters by tens of ms */
	if (!c->have_gps || llabs(off - c->gps_offset_ms) > CLOCK_GPS_DRIFT_MS) {
		c->gps_offset_ms = off;
		c->have_gps = true;
	}
}

static bool system_synced(void)
{
	struct timex tx = { 0 };
	int st = adjtimex(&tx);
	return st >= 0 && st != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

void clock_now(struct clock_ref *c, struct vtime *out)
{
	int64_t mono = mono_now_ms();

	out->mono_ms = mono;
	if (c->force == UTC_SRC_SYSTEM_SYNCED || (c->force == UTC_SRC_GPS && !c->have_gps)) {
		out->utc_ms = wall_now_ms();
		out->utc_src = c->have_gps ? UTC_SRC_SYSTEM_SYNCED : UTC_SRC_SYSTEM_UNSYNCED;
		if (c->force == UTC_SRC_SYSTEM_SYNCED)
			out->utc_src = UTC_SRC_SYSTEM_SYNCED;
		return;
	}
	if (c->force == UTC_SRC_GPS) {
		out->utc_ms = mono + c->gps_offset_ms;
		out->utc_src = UTC_SRC_GPS;
		return;
	}
	if (mono - c->checked_at >= CLOCK_RECHECK_MS) {
		c->sys_synced = system_synced();
		c->checked_at = mono;
	}
	if (c->sys_synced) {
		out->utc_ms = wall_now_ms();
		out->utc_src = UTC_SRC_SYSTEM_SYNCED;
	} else if (c->have_gps) {
		out->utc_ms = mono + c->gps_offset_ms;
		out->utc_src = UTC_SRC_GPS;
	} else {
		out->utc_ms = wall_now_ms();
		out->utc_src = UTC_SRC_SYSTEM_UNSYNCED;
	}
}

char *fmt_utc(int64_t utc_ms, char *buf, size_t len)
{
	time_t s = (time_t)(utc_ms >= 0 ? utc_ms / 1000 : (utc_ms - 999) / 1000);
	int ms = (int)(utc_ms - (int64_t)s * 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}
