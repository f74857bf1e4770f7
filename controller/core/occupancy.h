/*
 * occupancy.h - how many service users are in the van, against the limit.
 *
 * The count is a ledger: beam crossings (in/out) plus crew corrections.  It
 * never goes below zero: an exit counted at zero is logged as noise.  Beam
 * crossings count only while the caller says the door gate is open (a door
 * open, or shortly after one closed, or no door input configured); otherwise
 * they are logged as noise.  Crew corrections (+1/-1, set N, "van empty")
 * always win and are kept with their size: the sum of their sizes per
 * session is the counting drift, a data-quality figure.
 *
 * Seat/floor switches, where fitted, give a second estimate:
 *   occupancy = max(count, seats occupied)
 * and seats above the count raise occupancy.seat_discrepancy (once per
 * increase).  The ledger itself is never changed by seats: the crew decides.
 *
 * Limit = min(capacity, per_crew x crew on board); crew 0 (unknown, e.g.
 * before the first session) means limit = capacity.  occupancy >= limit is
 * "full" (entry light), > limit is "over": buzzer (unless muted), urgent
 * event and incident "over_limit" once per over-limit episode.
 * Per session: entries, exits, peak, time at-or-over and over the limit,
 * corrections.
 */
#ifndef VAN_CORE_OCCUPANCY_H
#define VAN_CORE_OCCUPANCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "beams.h"
#include "emit.h"

#define OCC_SEATS_MAX 16

struct occ_params {
	int capacity;          /* service users the van may hold at most */
	int per_crew;          /* service users per crew member on board */
	int64_t mute_ms;       /* how long a crew mute silences the buzzer */
	int64_t gap_ms;        /* beam gap, see beams.h */
	int64_t stuck_ms;      /* beam fault threshold */
};

/* Figures of the current session (reset by occ_session_begin). */
struct occ_stats {
	int count_at_start;
	unsigned entries, exits;   /* counted beam crossings */
	unsigned noise;            /* crossings not counted (doors shut, exit at 0) */
	unsigned aborted;          /* crossings given up on the threshold */
	int peak;                  /* highest occupancy */
	unsigned corrections;      /* crew corrections, "van empty" included */
	int corr_abs, corr_net;    /* sum of |delta| (drift) and of delta */
	int64_t at_ms, over_ms;    /* closed time at-or-over / over the limit */
	unsigned over_events;      /* over-limit episodes */
};

struct occ {
	struct occ_params p;
	struct beams beams;
	int count;
	struct { size_t line; bool on; } seat[OCC_SEATS_MAX];
	size_t nseats;
	int crew;                  /* 0 = unknown */
	int64_t muted_until;       /* VAN_NEVER = not muted */
	bool at, over;             /* limit state as last evaluated */
	int64_t at_since, over_since;
	int seat_disc;             /* seats-above-count last reported */
	uint64_t entries_total;    /* since start-up: stops use differences */
	int64_t st_begin;          /* mono ms the session figures began */
	struct occ_stats st;
};

void occ_init(struct occ *o, const struct occ_params *p);

/* One beam edge at mono ms t (the edge's own time, <= e->now: the beam gap
 * and the stuck-beam timer measure edges, not their delivery).  gate_open:
 * crossings completed by this edge may count. */
void occ_beam(struct occ *o, enum beam_id id, bool on, bool gate_open, int64_t t,
	      const struct emit *e);
/* Beam level at start-up: ignored until it clears. */
void occ_beam_initial(struct occ *o, enum beam_id id, bool on, int64_t t);

/* Seat switch at input LINE occupied or not.  initial: level at start-up
 * (no discrepancy event).  -ENOSPC past OCC_SEATS_MAX seats. */
int occ_seat(struct occ *o, size_t line, bool on, bool initial, const struct emit *e);

/* Crew correction: set the count to n (>= 0), kind "plus", "minus", "set"
 * or "empty".  Returns 0, or -ERANGE when n < 0 (why says so). */
int occ_correct(struct occ *o, int n, const char *kind, enum van_source src,
		const struct emit *e, const char **why);

/* Crew on board (0 = unknown): the limit follows. */
void occ_set_crew(struct occ *o, int crew, const struct emit *e);

/* Silence the over-limit buzzer for mute_ms from now. */
void occ_mute(struct occ *o, enum van_source src, const struct emit *e);

/* Timers (beam faults, mute expiry). */
void occ_tick(struct occ *o, const struct emit *e);
/* Next timer, or VAN_NEVER. */
int64_t occ_deadline(const struct occ *o);

int occ_seats(const struct occ *o);
int occ_occupancy(const struct occ *o);
int occ_limit(const struct occ *o);
/* Buzzer should sound for over-limit now. */
bool occ_buzzing(const struct occ *o, int64_t now);

/* Start the per-session figures now. */
void occ_session_begin(struct occ *o, int64_t now);
/* Add the session figures to summary object sum (see docs/events.md). */
void occ_summary(const struct occ *o, int64_t now, json_t *sum);
/* The "occupancy" object of the state snapshot; NULL on ENOMEM. */
json_t *occ_state_json(const struct occ *o, const struct vtime *now);

/* Persistent part (count, crew, mute, limit state, figures); the beams and
 * seats are re-read from the inputs after a restart. */
json_t *occ_save(const struct occ *o);
int occ_restore(struct occ *o, const json_t *j, int64_t shift);

#endif
