/*
 * plan_def.c - a plan as data: the file format's rules (every problem
 * reported, nothing filled unless all is well), the way back to JSON, and
 * the timeline arithmetic (midnight).  See plan.h and docs/plans.md.
 */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const reasons[] = { "police", "safety", "no_service_users", "vehicle",
				       "traffic", "other" };

bool plan_reason_valid(const char *reason)
{
	if (!reason)
		return false;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reason, reasons[i]) == 0)
			return true;
	return false;
}

bool plan_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= PLAN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

const char *plan_hhmm(int tod, char *buf, size_t n)
{
	if (tod < 0 || tod >= 1440)
		snprintf(buf, n, "%s", "");
	else
		snprintf(buf, n, "%02d:%02d", tod / 60, tod % 60);
	return buf;
}

#define DAY_MS 86400000LL

int64_t plan_start_utc(const struct plan_def *d, int64_t utc_ms, int utc_offset_s)
{
	int64_t local = utc_ms + (int64_t)utc_offset_s * 1000;
	int64_t tod = ((local % DAY_MS) + DAY_MS) % DAY_MS;
	int64_t diff = (int64_t)d->start * 60000 - tod;
	if (diff > DAY_MS / 2)
		diff -= DAY_MS;
	else if (diff <= -DAY_MS / 2)
		diff += DAY_MS;
	return utc_ms + diff;
}

int64_t plan_end_utc(const struct plan_def *d, int64_t utc_ms, int utc_offset_s)
{
	return plan_start_utc(d, utc_ms, utc_offset_s) + (int64_t)plan_tl(d, d->end) * 60000;
}

/* ----------------------------------------------------------- checking */

struct chk {
	plan_err_fn *err;
	void *ctx;
	int n;
};

__attribute__((format(printf, 3, 4)))
static void bad(struct chk *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->n++;
	if (c->err)
		c->err(c->ctx, path, msg);
}

/* "prefix.key" (or "key" when prefix is empty) into buf. */
static const char *kp(char *buf, size_t n, const char *prefix, const char *key)
{
	snprintf(buf, n, "%s%s%s", prefix, *prefix ? "." : "", key);
	return buf;
}

/* Unknown keys of o (allowed: NULL-terminated list). */
static void unknown_keys(struct chk *c, const json_t *o, const char *prefix,
			 const char *const *allowed)
{
	const char *key;
	const json_t *v;
	char path[160];
	json_object_foreach((json_t *)o, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			bad(c, kp(path, sizeof(path), prefix, key), "unknown key");
	}
}

/* o[key]; NULL when missing, reported as missing when required. */
static const json_t *member(struct chk *c, const json_t *o, const char *prefix, const char *key,
			    bool required)
{
	char path[160];
	const json_t *v = json_object_get(o, key);
	if (!v && required)
		bad(c, kp(path, sizeof(path), prefix, key), "missing");
	return v;
}

/* An integer min..max; missing -> def (required: an error).  Returns false
 * on a problem (reported). */
static bool get_int(struct chk *c, const json_t *o, const char *prefix, const char *key,
		    bool required, int min, int max, int def, int *out)
{
	char path[160];
	const json_t *v = member(c, o, prefix, key, required);
	*out = def;
	if (!v)
		return !required;
	if (!json_is_integer(v)) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be a whole number (%d-%d)", min,
		    max);
		return false;
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be %d-%d", min, max);
		return false;
	}
	*out = (int)x;
	return true;
}

static bool get_real(struct chk *c, const json_t *o, const char *prefix, const char *key,
		     double min, double max, double *out)
{
	char path[160];
	const json_t *v = member(c, o, prefix, key, true);
	*out = NAN;
	if (!v)
		return false;
	if (!json_is_number(v)) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be a number (degrees)");
		return false;
	}
	double x = json_number_value(v);
	if (!(x >= min && x <= max)) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be between %g and %g", min, max);
		return false;
	}
	*out = x;
	return true;
}

static bool get_bool(struct chk *c, const json_t *o, const char *prefix, const char *key,
		     bool def, bool *out)
{
	char path[160];
	const json_t *v = json_object_get(o, key);
	*out = def;
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be true or false");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/* A string of 1..max-1 bytes without control characters.  missing: def
 * (NULL = required). */
static bool get_text(struct chk *c, const json_t *o, const char *prefix, const char *key,
		     const char *def, bool allow_empty, char *out, size_t max)
{
	char path[160];
	const json_t *v = member(c, o, prefix, key, !def);
	snprintf(out, max, "%s", def ? def : "");
	if (!v)
		return def != NULL;
	if (!json_is_string(v)) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be a string");
		return false;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if ((n == 0 && !allow_empty) || n >= max) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be %s1-%zu bytes long",
		    allow_empty ? "0 or " : "", max - 1);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f) {
			bad(c, kp(path, sizeof(path), prefix, key),
			    "must not contain control characters");
			return false;
		}
	}
	if (n && (s[0] == ' ' || s[n - 1] == ' ')) {
		bad(c, kp(path, sizeof(path), prefix, key),
		    "must not begin or end with a space");
		return false;
	}
	memcpy(out, s, n + 1);
	return true;
}

/* "HH:MM" -> minute of the day.  Missing: PLAN_NO_TIME (required: error). */
static bool get_time(struct chk *c, const json_t *o, const char *prefix, const char *key,
		     bool required, int *out)
{
	char path[160];
	const json_t *v = member(c, o, prefix, key, required);
	*out = PLAN_NO_TIME;
	if (!v)
		return !required;
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	if (!s || strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9') {
		bad(c, kp(path, sizeof(path), prefix, key),
		    "must be a local time \"HH:MM\" (24-hour clock)");
		return false;
	}
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59) {
		bad(c, kp(path, sizeof(path), prefix, key), "must be a time 00:00-23:59");
		return false;
	}
	*out = h * 60 + m;
	return true;
}

static const char *const top_keys[] = {
	"version", "description", "start", "end", "base", "corridor_m", "off_corridor_min",
	"unplanned_stop_min", "checkin_grace_min", "checkin_repeat_min", "arrive_fixes",
	"locations", NULL
};
static const char *const loc_keys[] = { "name", "lat", "lon", "radius_m", "earliest",
					"latest", "dwell_min", "checkin", NULL };
static const char *const base_keys[] = { "name", "lat", "lon", "radius_m", NULL };

/* One location (or the base) into *l.  Returns true if every field of it
 * is fine. */
static bool get_loc(struct chk *c, const json_t *o, const char *prefix, bool base,
		    struct plan_loc *l)
{
	*l = (struct plan_loc){ .earliest = PLAN_NO_TIME, .latest = PLAN_NO_TIME };
	if (!json_is_object(o)) {
		bad(c, prefix, "must be an object");
		return false;
	}
	int n0 = c->n;
	unknown_keys(c, o, prefix, base ? base_keys : loc_keys);
	get_text(c, o, prefix, "name", base ? "base" : NULL, false, l->name, sizeof(l->name));
	get_real(c, o, prefix, "lat", -90, 90, &l->lat);
	get_real(c, o, prefix, "lon", -180, 180, &l->lon);
	get_int(c, o, prefix, "radius_m", false, 20, 2000, base ? 150 : 100, &l->radius_m);
	if (!base) {
		get_time(c, o, prefix, "earliest", false, &l->earliest);
		get_time(c, o, prefix, "latest", false, &l->latest);
		get_int(c, o, prefix, "dwell_min", false, 1, 480, 0, &l->dwell_min);
		get_bool(c, o, prefix, "checkin", false, &l->checkin);
	}
	return c->n == n0;
}

/* "locations[i].key" into buf. */
static const char *lp(char *buf, size_t n, size_t i, const char *key)
{
	snprintf(buf, n, "locations[%zu].%s", i, key);
	return buf;
}

/* Cross-field rules of the locations (values already valid one by one). */
static void cross_checks(struct chk *c, const struct plan_def *d, const bool *ok, bool times)
{
	char path[64], a[8], b[8], e[8];
	int end = plan_tl(d, d->end);
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_loc *l = &d->loc[i];
		/* names: whenever both are good names (the rest may be wrong) */
		for (size_t j = 0; j < i && l->name[0]; j++)
			if (strcasecmp(d->loc[j].name, l->name) == 0) {
				bad(c, lp(path, sizeof(path), i, "name"),
				    "\"%s\" is already the name of locations[%zu]", l->name, j);
				break;
			}
		if (l->name[0] && strcasecmp(d->base.name, l->name) == 0)
			bad(c, lp(path, sizeof(path), i, "name"),
			    "\"%s\" is already the name of the base", l->name);
		if (!ok[i] || !times)
			continue;
		const int *t[2] = { &l->earliest, &l->latest };
		const char *tn[2] = { "earliest", "latest" };
		for (int k = 0; k < 2; k++)
			if (*t[k] != PLAN_NO_TIME && plan_tl(d, *t[k]) > end)
				bad(c, lp(path, sizeof(path), i, tn[k]),
				    "%s is outside the plan (start %s, end %s)",
				    plan_hhmm(*t[k], a, sizeof(a)), plan_hhmm(d->start, b, sizeof(b)),
				    plan_hhmm(d->end, e, sizeof(e)));
		if (l->earliest != PLAN_NO_TIME && l->latest != PLAN_NO_TIME &&
		    plan_tl(d, l->earliest) > plan_tl(d, l->latest))
			bad(c, lp(path, sizeof(path), i, "latest"),
			    "window inverted: latest %s is before earliest %s",
			    plan_hhmm(l->latest, a, sizeof(a)),
			    plan_hhmm(l->earliest, b, sizeof(b)));
		if (l->latest == PLAN_NO_TIME)
			continue;
		for (size_t j = 0; j < i; j++)
			if (ok[j] && d->loc[j].earliest != PLAN_NO_TIME &&
			    plan_tl(d, d->loc[j].earliest) > plan_tl(d, l->latest)) {
				bad(c, lp(path, sizeof(path), i, "latest"),
				    "%s is before the earliest arrival %s at locations[%zu] "
				    "\"%s\", which comes first in the plan",
				    plan_hhmm(l->latest, a, sizeof(a)),
				    plan_hhmm(d->loc[j].earliest, b, sizeof(b)), j, d->loc[j].name);
				break;
			}
	}
}

int plan_def_from_json(const json_t *j, const char *name, struct plan_def *out,
		       plan_err_fn *err, void *ctx)
{
	struct chk c = { .err = err, .ctx = ctx };
	struct plan_def *d = calloc(1, sizeof(*d));
	bool *ok = NULL;
	if (!d)
		return -ENOMEM;
	if (!plan_name_valid(name))
		bad(&c, "", "plan name \"%s\" must be 1-%d of A-Z a-z 0-9 _ -", name ? name : "",
		    PLAN_NAME_MAX - 1);
	else
		snprintf(d->name, sizeof(d->name), "%s", name);
	if (!json_is_object(j)) {
		bad(&c, "", "must be a JSON object");
		goto done;
	}
	unknown_keys(&c, j, "", top_keys);
	int version;
	if (get_int(&c, j, "", "version", false, 0, 1000000, PLAN_FORMAT_VERSION, &version) &&
	    version != PLAN_FORMAT_VERSION)
		bad(&c, "version", "unsupported version %d (this vanctld reads version %d)",
		    version, PLAN_FORMAT_VERSION);
	get_text(&c, j, "", "description", "", true, d->description, sizeof(d->description));
	bool times = get_time(&c, j, "", "start", true, &d->start);
	times = get_time(&c, j, "", "end", true, &d->end) && times;
	if (times && d->start == d->end) {
		bad(&c, "end", "must differ from start (a plan lasts less than 24 hours)");
		times = false;
	}
	const json_t *base = json_object_get(j, "base");
	if (!base)
		bad(&c, "base", "missing (where the van returns: name, lat, lon, radius_m)");
	else
		get_loc(&c, base, "base", true, &d->base);
	get_int(&c, j, "", "corridor_m", false, 100, 20000, 1000, &d->corridor_m);
	get_int(&c, j, "", "off_corridor_min", false, 1, 180, 10, &d->off_corridor_min);
	get_int(&c, j, "", "unplanned_stop_min", false, 1, 240, 10, &d->unplanned_stop_min);
	get_int(&c, j, "", "checkin_grace_min", false, 1, 120, 10, &d->checkin_grace_min);
	get_int(&c, j, "", "checkin_repeat_min", false, 1, 120, 15, &d->checkin_repeat_min);
	get_int(&c, j, "", "arrive_fixes", false, 1, 30, 3, &d->arrive_fixes);

	const json_t *locs = json_object_get(j, "locations");
	if (!locs) {
		bad(&c, "locations", "missing (the planned locations, in order)");
		goto done;
	}
	if (!json_is_array(locs)) {
		bad(&c, "locations", "must be an array");
		goto done;
	}
	size_t n = json_array_size(locs);
	if (n == 0)
		bad(&c, "locations", "must have at least one location");
	else if (n > PLAN_LOC_MAX)
		bad(&c, "locations", "too many locations: %zu (at most %d)", n, PLAN_LOC_MAX);
	ok = calloc(PLAN_LOC_MAX, sizeof(*ok));
	if (!ok) {
		free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char prefix[32];
		struct plan_loc l;
		snprintf(prefix, sizeof(prefix), "locations[%zu]", i);
		bool good = get_loc(&c, json_array_get(locs, i), prefix, false, &l);
		if (i < PLAN_LOC_MAX) {
			d->loc[i] = l;
			ok[i] = good;
		}
	}
	d->n = n < PLAN_LOC_MAX ? n : PLAN_LOC_MAX;
	cross_checks(&c, d, ok, times);
done:
	if (c.n == 0)
		*out = *d;
	free(ok);
	free(d);
	return c.n;
}

/* ------------------------------------------------------------- to JSON */

static int set_time(json_t *o, const char *key, int tod)
{
	char b[8];
	if (tod == PLAN_NO_TIME)
		return 0;
	return json_object_set_new(o, key, json_string(plan_hhmm(tod, b, sizeof(b))));
}

static json_t *loc_json(const struct plan_loc *l, bool base)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int r = json_object_set_new(o, "name", json_string(l->name));
	r |= json_object_set_new(o, "lat", json_real(l->lat));
	r |= json_object_set_new(o, "lon", json_real(l->lon));
	r |= json_object_set_new(o, "radius_m", json_integer(l->radius_m));
	if (!base) {
		r |= set_time(o, "earliest", l->earliest);
		r |= set_time(o, "latest", l->latest);
		if (l->dwell_min)
			r |= json_object_set_new(o, "dwell_min", json_integer(l->dwell_min));
		r |= json_object_set_new(o, "checkin", json_boolean(l->checkin));
	}
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *plan_def_to_json(const struct plan_def *d)
{
	json_t *o = json_object(), *a = json_array();
	if (!o || !a)
		goto fail;
	int r = json_object_set_new(o, "version", json_integer(PLAN_FORMAT_VERSION));
	if (d->description[0])
		r |= json_object_set_new(o, "description", json_string(d->description));
	r |= set_time(o, "start", d->start);
	r |= set_time(o, "end", d->end);
	r |= json_object_set_new(o, "base", loc_json(&d->base, true));
	r |= json_object_set_new(o, "corridor_m", json_integer(d->corridor_m));
	r |= json_object_set_new(o, "off_corridor_min", json_integer(d->off_corridor_min));
	r |= json_object_set_new(o, "unplanned_stop_min", json_integer(d->unplanned_stop_min));
	r |= json_object_set_new(o, "checkin_grace_min", json_integer(d->checkin_grace_min));
	r |= json_object_set_new(o, "checkin_repeat_min", json_integer(d->checkin_repeat_min));
	r |= json_object_set_new(o, "arrive_fixes", json_integer(d->arrive_fixes));
	for (size_t i = 0; i < d->n && i < PLAN_LOC_MAX; i++)
		r |= json_array_append_new(a, loc_json(&d->loc[i], false));
	r |= json_object_set_new(o, "locations", a);
	a = NULL;
	if (r)
		goto fail;
	return o;
fail:
	json_decref(a);
	json_decref(o);
	return NULL;
}
