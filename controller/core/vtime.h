/*
 * vtime.h - the time the shell hands to the core with every call.
 *
 * The core never reads a clock.  Durations and deadlines use mono_ms
 * (CLOCK_MONOTONIC: immune to NTP or GPS steps); records carry utc_ms, and
 * utc_src says which clock it came from (the Pi has no RTC, so before NTP
 * sync the shell may take plausible GPS time instead).
 */
#ifndef VAN_CORE_VTIME_H
#define VAN_CORE_VTIME_H

#include <stdint.h>

enum utc_src {
	UTC_SRC_SYSTEM_SYNCED = 0, /* system clock, NTP-synchronised */
	UTC_SRC_GPS = 1,           /* system clock not synced: offset from plausible GPS time */
	UTC_SRC_SYSTEM_UNSYNCED = 2, /* neither known good: best effort */
};

struct vtime {
	int64_t mono_ms;
	int64_t utc_ms;
	enum utc_src utc_src;
};

/* UTC of another monotonic instant, by the offset of now. */
static inline int64_t vtime_utc_of(const struct vtime *now, int64_t mono_ms)
{
	return now->utc_ms + (mono_ms - now->mono_ms);
}

const char *utc_src_name(enum utc_src s);

#endif
