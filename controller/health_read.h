/*
 * health_read.h - reads the computer's own health from sysfs for the core
 * (core/health.h): the Raspberry Pi firmware's throttling flags and a
 * thermal zone.  A file that does not exist is "not available" (another
 * board, a VM), not an error; one that exists but says something else is
 * an error, with the file and what it held.
 */
#ifndef VAN_HEALTH_READ_H
#define VAN_HEALTH_READ_H

#include <stddef.h>

#include "core/health.h"

/* Fill r from the two files (either may be NULL: not read).  Returns 0, or
 * -1 with a message naming the file in err (r still holds what was read). */
int health_read(const char *throttled_file, const char *temp_file, struct health_reading *r, char *err,
		size_t errlen);

#endif
