/*
 * health.c - see health.h.
 */
#include "health.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "emit.h"

void health_init(struct health *h)
{
	memset(h, 0, sizeof(*h));
}

void health_update(struct health *h, const struct health_reading *r, int64_t mono_ms)
{
	if (r->have_flags) {
		bool now = r->flags & HEALTH_UNDERVOLT_NOW;
		bool was = h->flags_known && (h->known_flags & HEALTH_UNDERVOLT_NOW);
		bool sticky_new = (r->flags & HEALTH_UNDERVOLT_SEEN) &&
				  !(h->flags_known && (h->known_flags & HEALTH_UNDERVOLT_SEEN));
		/* a dip between two readings leaves only the sticky bit */
		if ((now && !was) || (sticky_new && !now))
			h->undervolt_episodes++;
		if (r->flags & (HEALTH_THROTTLED_NOW | HEALTH_FREQ_CAPPED_NOW))
			h->throttled_seen = true;
		if (r->flags & HEALTH_TEMP_LIMIT_NOW)
			h->temp_limit_seen = true;
		h->flags_known = true;
		h->known_flags = r->flags;
	}
	if (r->have_temp && isfinite(r->temp_c) && (!h->have_max_temp || r->temp_c > h->max_temp_c)) {
		h->max_temp_c = r->temp_c;
		h->have_max_temp = true;
	}
	if (r->have_flags || r->have_temp)
		h->any = true;
	h->last = *r;
	h->have = true;
	h->at_mono = mono_ms;
}

void health_session_start(struct health *h)
{
	h->undervolt_episodes = 0;
	h->throttled_seen = h->temp_limit_seen = false;
	h->any = h->have && (h->last.have_flags || h->last.have_temp);
	h->have_max_temp = h->have && h->last.have_temp && isfinite(h->last.temp_c);
	h->max_temp_c = h->have_max_temp ? h->last.temp_c : 0;
}

static double round1(double x)
{
	return round(x * 10) / 10;
}

json_t *health_state_json(const struct health *h, int64_t now_mono)
{
	const struct health_reading *r = &h->last;
	if (!h->have || (!r->have_flags && !r->have_temp))
		return json_null();
	json_t *d = json_object();
	if (!d)
		return NULL;
	if (r->have_flags) {
		jset_bool(d, "undervoltage", r->flags & HEALTH_UNDERVOLT_NOW);
		jset_bool(d, "throttled", r->flags & (HEALTH_THROTTLED_NOW | HEALTH_FREQ_CAPPED_NOW));
		jset_bool(d, "temp_limit", r->flags & HEALTH_TEMP_LIMIT_NOW);
		jset_bool(d, "undervoltage_since_boot", r->flags & HEALTH_UNDERVOLT_SEEN);
		jset_bool(d, "throttled_since_boot", r->flags & (HEALTH_THROTTLED_SEEN | HEALTH_FREQ_CAPPED_SEEN));
	}
	if (r->have_temp && isfinite(r->temp_c))
		jset_real(d, "temp_c", round1(r->temp_c));
	jset_real(d, "age_s", (double)(now_mono - h->at_mono) / 1000.0);
	return d;
}

json_t *health_summary_json(const struct health *h)
{
	if (!h->any)
		return NULL;
	json_t *d = json_object();
	if (!d)
		return NULL;
	jset_int(d, "undervoltage_episodes", h->undervolt_episodes);
	jset_bool(d, "throttled", h->throttled_seen);
	jset_bool(d, "temp_limit", h->temp_limit_seen);
	if (h->have_max_temp)
		jset_real(d, "max_temp_c", round1(h->max_temp_c));
	return d;
}

json_t *health_save(const struct health *h)
{
	return json_pack("{s:b, s:i, s:b, s:b, s:b, s:f}", "any", h->any, "undervolt_episodes",
			 h->undervolt_episodes, "throttled_seen", h->throttled_seen, "temp_limit_seen",
			 h->temp_limit_seen, "have_max_temp", h->have_max_temp, "max_temp_c",
			 h->have_max_temp ? h->max_temp_c : 0.0);
}

int health_restore(struct health *h, const json_t *j)
{
	int any, tseen, lseen, hmax, n;
	double mx;

	if (!j || json_is_null(j))
		return 0;   /* saved by a version without it */
	if (json_unpack((json_t *)j, "{s:b, s:i, s:b, s:b, s:b, s:F}", "any", &any, "undervolt_episodes", &n,
			"throttled_seen", &tseen, "temp_limit_seen", &lseen, "have_max_temp", &hmax, "max_temp_c",
			&mx) < 0 ||
	    n < 0 || n > 1000000 || !isfinite(mx))
		return -EINVAL;
	h->any = any;
	h->undervolt_episodes = n;
	h->throttled_seen = tseen;
	h->temp_limit_seen = lseen;
	h->have_max_temp = hmax;
	h->max_temp_c = mx;
	return 0;
}
