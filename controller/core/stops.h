/*
 * stops.h - where and how long the van stood still.
 *
 * A stop candidate begins at a fix slower than stop_speed (or with no speed)
 * and lasts while later fixes stay within stop_radius of that first fix:
 * GPS drift of a parked van does not break it, whatever speed noise the
 * receiver reports, and a van crawling in traffic leaves the radius before
 * stop_after.  Once it is a stop, fixes are judged against the stop's mean
 * position.  A candidate older than stop_after
 * becomes a stop (stop.started, arrival = the candidate's start).  The stop
 * ends (stop.ended) when two fixes in a row lie outside the radius: a single
 * jump (multipath) does not end it; departure = the first of those fixes.
 * Losing the fix changes nothing (a car park without sky).
 *
 * Each stop keeps its place (mean position), arrival, departure, entries,
 * peak occupancy and door openings; openings and entries from the
 * candidate's start count (the door opens before the stop is confirmed).
 */
#ifndef VAN_CORE_STOPS_H
#define VAN_CORE_STOPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "emit.h"
#include "fixlog.h"

enum stop_state { STOP_MOVING = 0, STOP_CANDIDATE, STOP_STOPPED };

struct stops_params {
	double speed_mps;      /* slower than this may begin a stop */
	int64_t after_ms;      /* stationary this long = a stop */
	double radius_m;       /* drift tolerated around the stop's mean position */
};

struct stops {
	enum stop_state st;
	double sum_lat, sum_lon;
	int nfix;
	double a_lat, a_lon;             /* candidate's first fix */
	int64_t since_mono, since_utc;   /* candidate start = arrival */
	int outside;                     /* consecutive fixes outside the radius */
	int64_t out_mono, out_utc;       /* first of them */
	unsigned doors;                  /* door openings since since_mono */
	int peak;
	uint64_t entries_at;             /* occ entries_total at since_mono */
	unsigned count;                  /* stops since start-up */
};

void stops_init(struct stops *s);

/* A usable fix p.  entries_total/occupancy: from occupancy, for the stop's
 * figures. */
void stops_fix(struct stops *s, const struct stops_params *prm, const struct fixpt *p,
	       uint64_t entries_total, int occupancy, const struct emit *e);

/* Confirm a candidate at since + after even without new fixes. */
void stops_tick(struct stops *s, const struct stops_params *prm, uint64_t entries_total,
		const struct emit *e);
int64_t stops_deadline(const struct stops *s, const struct stops_params *prm);

void stops_door_opened(struct stops *s);
void stops_occupancy(struct stops *s, int occupancy);

/* Mono ms the current stop began, VAN_NEVER when not stopped. */
int64_t stops_since(const struct stops *s);

/* The "stop" object of the state snapshot, or null when not stopped. */
json_t *stops_state_json(const struct stops *s, uint64_t entries_total, const struct vtime *now);

json_t *stops_save(const struct stops *s);
int stops_restore(struct stops *s, const json_t *j, int64_t shift);

#endif
