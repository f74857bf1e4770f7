/*
 * doors.h - the van's door contacts: which are open, when the last closed.
 *
 * A van has one or more door inputs, each named by its input line index.
 * This module only keeps their levels and answers "is any open" and "when
 * did the last one close"; occupancy uses that to gate the beams, stops count
 * openings, and the van warns about a door open while moving.
 */
#ifndef VAN_CORE_DOORS_H
#define VAN_CORE_DOORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define DOORS_MAX 8

struct doors {
	struct { size_t line; bool open; } d[DOORS_MAX];
	size_t n;
	int64_t last_close;    /* mono ms the last open door closed, VAN_NEVER */
};

void doors_init(struct doors *ds);

/* Door at input line LINE is now open/closed at mono ms t.  Returns 1 when
 * it opened, -1 when it closed, 0 for no change; -ENOSPC when more than
 * DOORS_MAX door lines are used (the extra door is ignored). */
int doors_set(struct doors *ds, size_t line, bool open, int64_t t);

bool doors_any_open(const struct doors *ds);

/* [{"line": N, "open": bool}, ...] in first-seen order; NULL on ENOMEM. */
json_t *doors_json(const struct doors *ds);

#endif
