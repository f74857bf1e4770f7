/*
 * clock.c - which UTC to stamp records with.  See clock.h and docs/time.md.
 */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "loop.h"

#ifndef VAN_BUILD_EPOCH
#define VAN_BUILD_EPOCH 1767225600 /* 2026-01-01 */
#endif

int64_t clock_build_ms(void)
{
	return (int64_t)VAN_BUILD_EPOCH * 1000;
}

enum clock_force clock_force_from_env(void)
{
	const char *f = getenv("VANCTLD_CLOCK");

	if (f && !strcmp(f, "system"))
		return CLOCK_FORCE_SYSTEM;
	if (f && !strcmp(f, "gps"))
		return CLOCK_FORCE_GPS;
	if (f && !strcmp(f, "unsynced"))
		return CLOCK_FORCE_UNSYNCED;
	return CLOCK_AUTO;
}

void clock_init(struct clock_ref *c, enum clock_force force, int64_t lkg_ms, int64_t mono_ms)
{
	int64_t build = clock_build_ms();

	*c = (struct clock_ref){ .force = force, .checked_at = INT64_MIN / 2, .lkg_mono = mono_ms };
	c->lkg_ms = lkg_ms > build ? lkg_ms : build;
	c->lkg_src = lkg_ms > build ? CLOCK_LKG_RECORD : CLOCK_LKG_BUILD;
}

static const char *const verdict_names[] = {
	[CLOCK_GPS_NO_TIME] = "no time",       [CLOCK_GPS_AGREES] = "agrees",
	[CLOCK_GPS_DUPLICATE] = "duplicate",   [CLOCK_GPS_COUNTING] = "counting",
	[CLOCK_GPS_BELIEVED] = "believed",     [CLOCK_GPS_BEFORE_LKG] = "before the last known good time",
	[CLOCK_GPS_TOO_FAR] = "too far ahead",
};

const char *clock_gps_verdict_name(enum clock_gps_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v] : "?";
}

int64_t clock_floor(const struct clock_ref *c, int64_t mono_ms)
{
	return c->lkg_ms + (mono_ms - c->lkg_mono);
}

static bool near(int64_t a, int64_t b)
{
	return llabs(a - b) <= CLOCK_GPS_DRIFT_MS;
}

enum clock_gps_verdict clock_gps(struct clock_ref *c, int64_t gps_utc_ms, int64_t mono_ms)
{
	if (!gps_utc_ms)
		return CLOCK_GPS_NO_TIME;
	/* gpsd sends several reports per epoch: one fix time counts once */
	if (gps_utc_ms == c->last_fix_utc)
		return CLOCK_GPS_DUPLICATE;
	c->last_fix_utc = gps_utc_ms;

	int64_t off = gps_utc_ms - mono_ms;
	if (c->force == CLOCK_FORCE_GPS && !c->have_gps) {
		/* a replay: its own times are the truth from its first report */
		c->gps_offset_ms = off;
		c->have_gps = true;
		return CLOCK_GPS_BELIEVED;
	}
	if (c->force != CLOCK_FORCE_GPS) {
		/* a rejected report leaves a count in progress alone: junk between
		 * good reports must not stop them being believed */
		int64_t floor = clock_floor(c, mono_ms);
		if (gps_utc_ms < floor - CLOCK_LKG_SLACK_MS)
			return CLOCK_GPS_BEFORE_LKG;
		if (gps_utc_ms > floor + CLOCK_GPS_HORIZON_MS)
			return CLOCK_GPS_TOO_FAR;
	}
	if (c->have_gps && near(off, c->gps_offset_ms)) {
		c->cand_n = 0; /* one odd report before this one was only that */
		return CLOCK_GPS_AGREES;
	}
	if (c->cand_n > 0 && near(off, c->cand_offset_ms)) {
		c->cand_n++;
	} else {
		c->cand_offset_ms = off;
		c->cand_n = 1;
		c->cand_mono = mono_ms;
	}
	/* a burst of buffered fixes after a stall arrives at one instant with
	 * times that look behind: agreeing reports must arrive over a while */
	if (c->cand_n < CLOCK_GPS_AGREE || mono_ms - c->cand_mono < CLOCK_GPS_SPAN_MS)
		return CLOCK_GPS_COUNTING;
	c->gps_offset_ms = c->cand_offset_ms;
	c->have_gps = true;
	c->cand_n = 0;
	return CLOCK_GPS_BELIEVED;
}

void clock_now_at(struct clock_ref *c, int64_t mono_ms, int64_t wall_ms, bool sys_synced, struct vtime *out)
{
	out->mono_ms = mono_ms;
	if (c->force == CLOCK_FORCE_SYSTEM || (c->force == CLOCK_AUTO && sys_synced)) {
		out->utc_ms = wall_ms;
		out->utc_src = UTC_SRC_SYSTEM_SYNCED;
	} else if (c->have_gps) {
		out->utc_ms = mono_ms + c->gps_offset_ms;
		out->utc_src = UTC_SRC_GPS;
	} else {
		out->utc_ms = wall_ms;
		out->utc_src = UTC_SRC_SYSTEM_UNSYNCED;
		/* a clock without RTC may start at 1970 or at a saved time older
		 * than what is recorded: never stamp before the LKG */
		int64_t floor = clock_floor(c, mono_ms);
		if ((c->force == CLOCK_AUTO || c->force == CLOCK_FORCE_UNSYNCED) && wall_ms < floor)
			out->utc_ms = floor;
	}
	if (out->utc_src != UTC_SRC_SYSTEM_UNSYNCED) {
		c->lkg_ms = out->utc_ms;
		c->lkg_mono = mono_ms;
		c->lkg_src = CLOCK_LKG_RECORD;
	}
	if (c->have_prev) {
		int64_t expect = c->prev_utc + (mono_ms - c->prev_mono);
		int64_t d = out->utc_ms - expect;
		if (!near(d, 0)) {
			if (c->step_pending) {
				c->step.step_ms += d;
			} else {
				c->step = (struct clock_step){ .from = c->prev_src, .step_ms = d };
				c->step_pending = true;
			}
			c->step.to = out->utc_src;
			c->step.mono_ms = mono_ms;
			c->step.utc_ms = out->utc_ms;
		}
	}
	c->have_prev = true;
	c->prev_mono = mono_ms;
	c->prev_utc = out->utc_ms;
	c->prev_src = out->utc_src;
}

bool clock_take_step(struct clock_ref *c, struct clock_step *s)
{
	if (!c->step_pending)
		return false;
	*s = c->step;
	c->step_pending = false;
	return true;
}

bool clock_system_synced(void)
{
	struct timex tx = { 0 };
	int st = adjtimex(&tx);
	return st >= 0 && st != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

void clock_now(struct clock_ref *c, struct vtime *out)
{
	int64_t mono = mono_now_ms();

	if (c->force == CLOCK_AUTO && mono - c->checked_at >= CLOCK_RECHECK_MS) {
		c->sys_synced = clock_system_synced();
		c->checked_at = mono;
	}
	clock_now_at(c, mono, wall_now_ms(), c->sys_synced, out);
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
