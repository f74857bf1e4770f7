/*
 * health.h - the computer's own health: under-voltage, throttling and the
 * SoC's temperature, as readings in, state and debrief figures out.
 *
 * Under-voltage while the engine cranks is the cause of most SD-card
 * corruption in vehicles, so the crew, base and the manager's debrief should
 * see it.  The shell reads the Raspberry Pi firmware's flags (get_throttled)
 * and a thermal zone every few seconds and hands them here; where the files
 * do not exist (another board, a VM) a reading says so and nothing is shown.
 *
 * Flags are the firmware's bits: 0-3 "now", 16-19 "since boot" (sticky until
 * a reboot).  An under-voltage episode is a reading with bit 0 after one
 * without, or the sticky bit 16 appearing without bit 0 ever being seen (a
 * dip shorter than the reading interval).
 */
#ifndef VAN_CORE_HEALTH_H
#define VAN_CORE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define HEALTH_UNDERVOLT_NOW        0x1u
#define HEALTH_FREQ_CAPPED_NOW      0x2u
#define HEALTH_THROTTLED_NOW        0x4u
#define HEALTH_TEMP_LIMIT_NOW       0x8u
#define HEALTH_UNDERVOLT_SEEN       0x10000u
#define HEALTH_FREQ_CAPPED_SEEN     0x20000u
#define HEALTH_THROTTLED_SEEN       0x40000u
#define HEALTH_TEMP_LIMIT_SEEN      0x80000u

struct health_reading {
	bool have_flags;
	uint32_t flags;
	bool have_temp;
	double temp_c;
};

struct health {
	struct health_reading last;
	bool have;                   /* a reading was ever given */
	int64_t at_mono;             /* ... at this time */
	bool flags_known;            /* the last flags read (a reading without them */
	uint32_t known_flags;        /*   does not forget them: a garbled file) */
	/* since the session's start (the debrief) */
	bool any;                    /* a reading with something in it during the session */
	int undervolt_episodes;
	bool throttled_seen;         /* throttled or frequency capped */
	bool temp_limit_seen;
	bool have_max_temp;
	double max_temp_c;
};

void health_init(struct health *h);
/* A new reading at mono_ms. */
void health_update(struct health *h, const struct health_reading *r, int64_t mono_ms);
/* A session starts: its figures begin from zero. */
void health_session_start(struct health *h);
/* For the state: {"undervoltage":..., "throttled":..., "temp_c":..., ...},
 * or null when nothing was ever readable. */
json_t *health_state_json(const struct health *h, int64_t now_mono);
/* For the session's debrief, or NULL when nothing was readable during it. */
json_t *health_summary_json(const struct health *h);
/* The session's figures across a restart. */
json_t *health_save(const struct health *h);
int health_restore(struct health *h, const json_t *j);

#endif
