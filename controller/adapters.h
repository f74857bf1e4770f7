/*
 * adapters.h - optional messages in other tools' formats, so base can use
 * what it already has (both off by default, see docs/mqtt.md):
 *   - Home Assistant MQTT discovery: a device with a device tracker, an
 *     occupancy sensor, session and alarm binary sensors, and availability;
 *   - OwnTracks-format location on owntracks/UNIT/van.
 * Pure formatting: the caller queues what these return.
 */
#ifndef VAN_ADAPTERS_H
#define VAN_ADAPTERS_H

#include <stddef.h>

#include <jansson.h>

#include "conf.h"
#include "core/fix.h"

struct adapter_msg {
	char topic[256];
	json_t *payload;   /* owned by the caller once returned */
};

/* Home Assistant discovery configs (retained).  Fills up to max messages;
 * returns the count. */
size_t adapters_ha_discovery(const struct conf *c, struct adapter_msg *out, size_t max);

/* OwnTracks location for fix f taken at utc_ms; NULL payload if the fix is
 * not usable. */
struct adapter_msg adapters_owntracks(const struct conf *c, const struct fix *f, int64_t utc_ms);

#endif
