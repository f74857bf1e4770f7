/*
 * fmt.h - small helpers shared by vanctl and the crew display: reading the
 * state snapshot by dotted path (tolerant of missing or null members) and
 * formatting durations and local clock times for people.
 */
#ifndef VAN_FMT_H
#define VAN_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The member at a dotted path ("session.checkin.due_in_s"), or NULL. */
json_t *jpath(const json_t *root, const char *path);
/* Typed reads with a default when missing, null or of another type. */
int64_t jpath_int(const json_t *root, const char *path, int64_t dflt);
double jpath_num(const json_t *root, const char *path, double dflt);
bool jpath_bool(const json_t *root, const char *path, bool dflt);
const char *jpath_str(const json_t *root, const char *path, const char *dflt);

/* "1:05:09" / "5:09" (H:MM:SS, or M:SS under an hour); negative as 0. */
char *fmt_hms(int64_t s, char *buf, size_t len);
/* "2h05m" / "5m" / "40s" */
char *fmt_short(int64_t s, char *buf, size_t len);
/* Local "HH:MM" of a UTC time in ms; "--:--" for <= 0. */
char *fmt_clock(int64_t utc_ms, char *buf, size_t len);

#endif
