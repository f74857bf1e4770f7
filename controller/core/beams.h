/*
 * beams.h - directional people counting from the entry beam pair.
 *
 * Two light beams cross the side door: OUTER (street side) and INNER.  A
 * person going in breaks outer, then inner, then clears outer, then inner;
 * going out is the mirror.  The decoder follows each beam's "episode" (one
 * broken period) and links an episode on one beam to a live episode on the
 * other ("first" -> "second"); the crossing completes when the second
 * episode ends after the first one has ended.  So:
 *   - outer-then-inner = one in, inner-then-outer = one out;
 *   - breaking one beam and stepping back counts nothing; reaching both and
 *     stepping back (second beam clears while the first is still broken)
 *     counts nothing;
 *   - two people close together count two as long as the inner (resp.
 *     outer) beam clears between them; a completion that is ambiguous (the
 *     next person already on the first beam) waits until that person goes
 *     on (counted) or back (dropped: it was the same person retreating);
 *   - beams further apart than a body: the second beam may break up to
 *     gap_ms after the first cleared;
 *   - someone standing in the door for long simply holds the crossing open;
 *   - a beam broken for stuck_ms is a fault: counting stops (the pair is
 *     needed for direction) until that beam clears again; a beam found broken
 *     at start-up or after a fault is ignored until it clears.
 * Known limit: a sequence in which the inner beam never clears between two
 * people is counted as one person (it is the same sequence as one person
 * shuffling on the threshold); the crew's +1 fixes it.
 *
 * Pure: edges and monotonic ms in, counts out.  Door gating, limits and
 * events are occupancy.c's business.
 */
#ifndef VAN_CORE_BEAMS_H
#define VAN_CORE_BEAMS_H

#include <stdbool.h>
#include <stdint.h>

enum beam_id { BEAM_OUTER = 0, BEAM_INNER = 1 };

enum beam_role { BR_NONE = 0, BR_FREE, BR_FIRST, BR_SECOND };

struct beam {
	bool on;               /* broken now */
	bool ignore;           /* this episode does not count (boot, fault recovery) */
	bool faulted;          /* broken for stuck_ms: counting is off */
	enum beam_role role;   /* of the current or last episode; NONE = nothing live */
	unsigned seq;          /* episode number */
	unsigned partner;      /* seq of the linked episode on the other beam */
	bool follows;          /* FREE episode begun while a crossing towards this beam's far side ran */
	int pending;           /* crossings waiting on this episode to go on (see above) */
	int64_t on_at, off_at; /* mono ms of the last edges */
};

struct beams {
	struct beam b[2];
	int64_t gap_ms, stuck_ms;
};

/* What one edge or tick decided. */
struct beams_out {
	int in, out;           /* completed crossings */
	int aborted;           /* crossings given up (stepped back) */
	unsigned faulted;      /* bit (1 << beam_id): beam became faulty */
	unsigned recovered;    /* bit: faulty beam cleared */
};

/* Reset the decoder.  gap_ms: longest time between the first beam clearing
 * and the second breaking in one crossing; stuck_ms: fault threshold. */
void beams_init(struct beams *bs, int64_t gap_ms, int64_t stuck_ms);

/* One debounced edge of beam id at mono ms t.  A repeated level is ignored. */
struct beams_out beams_edge(struct beams *bs, enum beam_id id, bool on, int64_t t);

/* The level of beam id found at start-up (or after restore): an already
 * broken beam is ignored until it clears, and may become a fault. */
void beams_initial(struct beams *bs, enum beam_id id, bool on, int64_t t);

/* Timers: report beams broken for stuck_ms as faulty. */
struct beams_out beams_tick(struct beams *bs, int64_t t);

/* Mono ms of the next fault check, or VAN_NEVER (INT64_MIN) for none. */
int64_t beams_deadline(const struct beams *bs);

/* Is beam id faulty / is any beam faulty (no counting). */
bool beams_faulted(const struct beams *bs, enum beam_id id);
bool beams_any_fault(const struct beams *bs);

const char *beam_name(enum beam_id id);

#endif
