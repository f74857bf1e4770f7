/*
 * clock.h - which UTC to stamp records with.
 *
 * The Pi has no RTC: after a cold boot the system clock may be wrong until
 * NTP syncs, and vans are often out of coverage.  When the kernel says the
 * system clock is synchronised we use it; otherwise plausible GPS time (see
 * gps_time_plausible) anchored to CLOCK_MONOTONIC; otherwise the system
 * clock, marked unsynced.  Every record says which (enum utc_src).
 * Durations never come from here: they use CLOCK_MONOTONIC.
 */
#ifndef VAN_CLOCK_H
#define VAN_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vtime.h"

struct clock_ref {
	bool have_gps;
	int64_t gps_offset_ms;   /* utc - mono, from GPS */
	bool sys_synced;
	int64_t checked_at;      /* mono ms of the last adjtimex() */
	int force;               /* -1 auto, else an enum utc_src to use always */
};

void clock_init(struct clock_ref *c);
/* A fix with GPS time arrived at mono_ms.  Ignored if implausible. */
void clock_gps(struct clock_ref *c, int64_t gps_utc_ms, int64_t mono_ms);
/* Now, as the core wants it. */
void clock_now(struct clock_ref *c, struct vtime *out);

/* Format utc ms as ISO 8601 "2026-11-24T21:00:00.000Z" (buf >= 32). */
char *fmt_utc(int64_t utc_ms, char *buf, size_t len);

#endif
