/*
 * fixlog.c - latest fixes and odometer.  See fixlog.h.
 */
#include "fixlog.h"

#include <errno.h>
#include <math.h>

#include "emit.h"
#include "geo.h"
#include "jfields.h"

void fixlog_init(struct fixlog *f, double jitter_m)
{
	*f = (struct fixlog){ .jitter_m = jitter_m, .last_report = VAN_NEVER };
}

const struct fixpt *fixlog_last(const struct fixlog *f)
{
	if (f->n == 0)
		return NULL;
	return &f->ring[(f->head + FIXLOG_RING - 1) % FIXLOG_RING];
}

static void odometer(struct fixlog *f, const struct fixpt *p)
{
	if (!f->anchor_ok) {
		f->anchor = *p;
		f->anchor_ok = true;
		return;
	}
	double d = geo_distance_m(f->anchor.lat, f->anchor.lon, p->lat, p->lon);
	double thr = f->jitter_m;
	if (isfinite(p->eph) && 2 * p->eph > thr)
		thr = 2 * p->eph;
	if (d <= thr)
		return;
	if (!isnan(p->speed) && p->speed < FIXLOG_MOVING_MPS)
		return;   /* the receiver says we stand: a jump is multipath */
	double dt = (double)(p->mono - f->anchor.mono) / 1000.0;
	if (dt > 0 && d / dt > FIXLOG_MAX_SPEED_MPS)
		return;   /* a glitch: keep the anchor */
	f->odo_m += d;
	f->anchor = *p;
}

bool fixlog_add(struct fixlog *f, const struct fix *fx, const struct vtime *now)
{
	f->last_mode = fx->mode;
	f->last_report = now->mono_ms;
	if (!fix_usable(fx) || !isfinite(fx->lat) || !isfinite(fx->lon) ||
	    fabs(fx->lat) > 90 || fabs(fx->lon) > 180) {
		return false;
	}
	f->lost = false;
	struct fixpt p = {
		.lat = fx->lat, .lon = fx->lon, .mode = fx->mode,
		.speed = isfinite(fx->speed) && fx->speed >= 0 ? fx->speed : NAN,
		.eph = isfinite(fx->eph) && fx->eph >= 0 ? fx->eph : NAN,
		.mono = now->mono_ms, .utc = now->utc_ms,
	};
	f->ring[f->head] = p;
	f->head = (f->head + 1) % FIXLOG_RING;
	if (f->n < FIXLOG_RING)
		f->n++;
	odometer(f, &p);
	return true;
}

void fixlog_lost(struct fixlog *f)
{
	f->lost = true;
}

bool fixlog_speed(const struct fixlog *f, int64_t now, double *mps)
{
	const struct fixpt *p = fixlog_last(f);
	if (!p || f->lost || isnan(p->speed) || now - p->mono > FIXLOG_FRESH_MS)
		return false;
	*mps = p->speed;
	return true;
}

int64_t fixlog_fresh_until(const struct fixlog *f)
{
	const struct fixpt *p = fixlog_last(f);
	return p && !f->lost ? p->mono + FIXLOG_FRESH_MS + 1 : VAN_NEVER;
}

static json_t *pt_json(const struct fixpt *p, const struct vtime *now)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	jset_real(o, "lat", p->lat);
	jset_real(o, "lon", p->lon);
	jset_int(o, "mode", p->mode);
	jset_real(o, "speed_mps", p->speed);
	jset_int(o, "age_s", ms_to_s(now->mono_ms - p->mono));
	jset_utc(o, "utc", now, p->mono);
	return o;
}

json_t *fixlog_last_json(const struct fixlog *f, const struct vtime *now)
{
	const struct fixpt *p = fixlog_last(f);
	if (!p)
		return json_null();
	json_t *o = pt_json(p, now);
	if (o)
		jset_bool(o, "lost", f->lost);
	return o;
}

json_t *fixlog_ring_json(const struct fixlog *f, const struct vtime *now)
{
	json_t *a = json_array();
	for (int i = 0; a && i < f->n; i++) {
		const struct fixpt *p = &f->ring[(f->head + FIXLOG_RING - 1 - i) % FIXLOG_RING];
		json_array_append_new(a, pt_json(p, now));
	}
	return a;
}

#define P(m, k) JF(struct fixpt, m, k)
static const struct jfield pt_fields[] = {
	P(lat, JF_DBL), P(lon, JF_DBL), P(mode, JF_INT), P(speed, JF_DBL), P(eph, JF_DBL),
	P(mono, JF_MONO), P(utc, JF_I64),
};
#undef P
#define F(m, k) JF(struct fixlog, m, k)
static const struct jfield f_fields[] = {
	F(lost, JF_BOOL), F(last_mode, JF_INT), F(last_report, JF_MONO), F(odo_m, JF_DBL),
	F(anchor_ok, JF_BOOL),
};
#undef F
#define N(a) (sizeof(a) / sizeof((a)[0]))

json_t *fixlog_save(const struct fixlog *f)
{
	json_t *j = jf_save(f, f_fields, N(f_fields));
	json_t *a = json_array();
	if (!j || !a) {
		json_decref(j);
		json_decref(a);
		return NULL;
	}
	for (int i = f->n - 1; i >= 0; i--)   /* oldest first */
		json_array_append_new(a, jf_save(&f->ring[(f->head + FIXLOG_RING - 1 - i) % FIXLOG_RING],
						 pt_fields, N(pt_fields)));
	jset_new(j, "ring", a);
	jset_new(j, "anchor", jf_save(&f->anchor, pt_fields, N(pt_fields)));
	return j;
}

static bool pt_ok(const struct fixpt *p)
{
	return isfinite(p->lat) && isfinite(p->lon) && fabs(p->lat) <= 90 &&
	       fabs(p->lon) <= 180 && p->mono != VAN_NEVER;
}

int fixlog_restore(struct fixlog *f, const json_t *j, int64_t shift)
{
	double jit = f->jitter_m;
	fixlog_init(f, jit);
	int r = jf_restore(f, f_fields, N(f_fields), j, shift);
	const json_t *a = json_object_get(j, "ring");
	if (r < 0 || !json_is_array(a) || !isfinite(f->odo_m))
		return -EINVAL;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		struct fixpt p = { .lat = NAN, .lon = NAN, .mono = VAN_NEVER };
		if (jf_restore(&p, pt_fields, N(pt_fields), v, shift) < 0 || !pt_ok(&p))
			return -EINVAL;
		f->ring[f->head] = p;
		f->head = (f->head + 1) % FIXLOG_RING;
		if (f->n < FIXLOG_RING)
			f->n++;
	}
	if (f->anchor_ok) {
		f->anchor = (struct fixpt){ .lat = NAN, .lon = NAN, .mono = VAN_NEVER };
		if (jf_restore(&f->anchor, pt_fields, N(pt_fields), json_object_get(j, "anchor"),
			       shift) < 0 || !pt_ok(&f->anchor))
			return -EINVAL;
	}
	return 0;
}
