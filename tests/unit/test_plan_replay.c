/*
 * test_plan_replay.c - the plan tracker fed with the demo tracks
 * (config/demo/evening.nmea and evening-deviate.nmea, $GPRMC parsed here)
 * against the demo plan config/demo/plans/evening.json: exactly the
 * expected plan events for each, at the places and times of the ground
 * truth (*.stops.json).
 */
#include <math.h>
#include <time.h>

#include "test_harness.h"

#include "core/plan.h"

#define REPLAY_T0_MONO 7000000LL   /* the monotonic clock at the track's first fix */

static char *src_path(const char *rel)
{
	const char *dir = getenv("VAN_SOURCE_DIR");
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir ? dir : ".", rel) < 0)
		return NULL;
	return p;
}

/* ---------------------------------------------------------- NMEA RMC */

struct rmc {
	int64_t utc_ms;
	bool valid;
	double lat, lon, speed;
};

static bool nmea_checksum_ok(const char *s)
{
	const char *star = strchr(s, '*');
	if (s[0] != '$' || !star)
		return false;
	unsigned x = 0;
	for (const char *c = s + 1; c < star; c++)
		x ^= (unsigned char)*c;
	return strtoul(star + 1, NULL, 16) == x;
}

static double nmea_deg(const char *f, int deg_digits)
{
	if (!*f)
		return NAN;
	char d[4] = { 0 };
	memcpy(d, f, (size_t)deg_digits);
	return atof(d) + atof(f + deg_digits) / 60.0;
}

/* One $GPRMC line into *r.  false: not an RMC, or broken. */
static bool parse_rmc(const char *line, struct rmc *r)
{
	if (strncmp(line, "$GPRMC,", 7) != 0 || !nmea_checksum_ok(line))
		return false;
	char buf[128], *f[13] = { 0 };
	if (strlen(line) >= sizeof(buf))
		return false;
	memcpy(buf, line, strlen(line) + 1);
	char *star = strchr(buf, '*');
	if (star)
		*star = '\0';
	int n = 0;
	for (char *p = buf; n < 13 && p; n++) {
		f[n] = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
	}
	if (n < 10 || strlen(f[1]) < 6 || strlen(f[9]) != 6)
		return false;
	struct tm tm = { 0 };
	tm.tm_hour = (f[1][0] - '0') * 10 + (f[1][1] - '0');
	tm.tm_min = (f[1][2] - '0') * 10 + (f[1][3] - '0');
	tm.tm_sec = (f[1][4] - '0') * 10 + (f[1][5] - '0');
	tm.tm_mday = (f[9][0] - '0') * 10 + (f[9][1] - '0');
	tm.tm_mon = (f[9][2] - '0') * 10 + (f[9][3] - '0') - 1;
	tm.tm_year = 100 + (f[9][4] - '0') * 10 + (f[9][5] - '0');
	double frac = atof(f[1] + 6);
	r->utc_ms = (int64_t)timegm(&tm) * 1000 + (int64_t)llround(frac * 1000);
	r->valid = f[2][0] == 'A';
	if (r->valid) {
		r->lat = nmea_deg(f[3], 2) * (f[4][0] == 'S' ? -1 : 1);
		r->lon = nmea_deg(f[5], 3) * (f[6][0] == 'W' ? -1 : 1);
		r->speed = *f[7] ? atof(f[7]) * 0.514444 : NAN;
	}
	return true;
}

/* ------------------------------------------------------------ replay */

enum act_kind { ACT_SKIP, ACT_ADD_STOP };
struct act {
	int64_t utc_ms;
	enum act_kind kind;
	const char *name, *reason;
	bool done;
};

struct replay {
	plan_t *p;
	struct evq q;
	struct vtime now;
	struct emit e;
	int64_t t0_utc;
	int checkin_after_s;     /* crew checks in this long after a prompt; < 0 never */
	int64_t checkin_at;      /* utc, 0 = none pending */
	struct act *acts;
	size_t nacts;
	size_t seen;             /* events looked at for prompts */
};

static void set_time(struct replay *r, int64_t utc)
{
	r->now.mono_ms = REPLAY_T0_MONO + (utc - r->t0_utc);
	r->now.utc_ms = utc;
}

static void watch_prompts(struct replay *r)
{
	for (; r->seen < r->q.n; r->seen++)
		if (strcmp(r->q.v[r->seen].type, "plan.checkin_prompt") == 0 && r->checkin_after_s >= 0)
			r->checkin_at = r->q.v[r->seen].utc_ms + r->checkin_after_s * 1000LL;
}

/* The next scheduled thing (deadline, crew check-in, crew action) at or
 * before utc, or 0. */
static int64_t next_due(struct replay *r, int64_t utc)
{
	int64_t best = 0;
	int64_t d = plan_next_deadline(r->p);
	if (d != VAN_NEVER) {
		assert_true(d > r->now.mono_ms);
		int64_t u = r->t0_utc + (d - REPLAY_T0_MONO);
		if (u <= utc)
			best = u;
	}
	if (r->checkin_at && r->checkin_at <= utc && (!best || r->checkin_at < best))
		best = r->checkin_at;
	for (size_t i = 0; i < r->nacts; i++)
		if (!r->acts[i].done && r->acts[i].utc_ms <= utc && (!best || r->acts[i].utc_ms < best))
			best = r->acts[i].utc_ms;
	return best;
}

static void advance(struct replay *r, int64_t utc)
{
	for (;;) {
		watch_prompts(r);
		int64_t t = next_due(r, utc);
		if (!t)
			break;
		set_time(r, t);
		plan_tick(r->p, &r->e);
		if (r->checkin_at && r->checkin_at <= t) {
			r->checkin_at = 0;
			plan_checkin_made(r->p, VAN_SRC_BUTTON, &r->e);
		}
		for (size_t i = 0; i < r->nacts; i++) {
			struct act *a = &r->acts[i];
			if (a->done || a->utc_ms > t)
				continue;
			const char *why = NULL;
			int rc = a->kind == ACT_SKIP
					 ? plan_skip(r->p, a->name, a->reason, VAN_SRC_BUTTON, &r->e, &why)
					 : plan_add_stop(r->p, a->reason, VAN_SRC_BUTTON, &r->e, &why);
			if (rc)
				fprintf(stderr, "crew action: %d %s\n", rc, why ? why : "");
			assert_int_equal(rc, 0);
			a->done = true;
		}
	}
	set_time(r, utc);
}

static void load_plan(struct plan_def *d)
{
	char *path = src_path("config/demo/plans/evening.json");
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
	assert_non_null(j);
	assert_int_equal(plan_def_from_json(j, "evening", d, NULL, NULL), 0);
	json_decref(j);
	free(path);
}

/* Replay the track; the plan events as "type[:location]" in *types. */
static void replay(struct replay *r, const char *track, int checkin_after_s,
		   struct act *acts, size_t nacts)
{
	struct plan_def d;
	load_plan(&d);
	memset(r, 0, sizeof(*r));
	r->p = plan_new();
	r->checkin_after_s = checkin_after_s;
	r->acts = acts;
	r->nacts = nacts;
	r->e = (struct emit){ .q = &r->q, .now = &r->now, .sid = 1 };
	r->now.utc_src = UTC_SRC_SYSTEM_SYNCED;

	char *path = src_path(track);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512];
	bool started = false;
	size_t fixes = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		struct rmc m = { 0 };
		if (!parse_rmc(line, &m))
			continue;
		if (!started) {
			r->t0_utc = m.utc_ms;
			set_time(r, m.utc_ms);
			const char *why = NULL;
			/* Europe/London in November: UTC+0 */
			assert_int_equal(plan_start(r->p, &d, 0, &r->e, &why), 0);
			started = true;
		}
		advance(r, m.utc_ms);
		struct fix fx = { .mono_ms = r->now.mono_ms, .gps_utc_ms = m.utc_ms,
				  .mode = m.valid ? FIX_3D : FIX_NO_FIX, .has_latlon = m.valid,
				  .lat = m.lat, .lon = m.lon, .alt = NAN, .speed = m.speed,
				  .track = NAN, .eph = NAN, .epv = NAN, .sats_used = -1 };
		plan_fix(r->p, &fx, &r->e);
		fixes += m.valid;
	}
	fclose(f);
	free(path);
	assert_true(fixes > 1500);
	advance(r, r->now.utc_ms + 1000);
	plan_end(r->p, &r->e);
}

static void replay_fini(struct replay *r)
{
	plan_free(r->p);
	evq_fini(&r->q);
}

static void dump(const struct replay *r)
{
	for (size_t i = 0; i < r->q.n; i++) {
		char *s = json_dumps(r->q.v[i].data, JSON_COMPACT);
		time_t t = (time_t)(r->q.v[i].utc_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		fprintf(stderr, "  %02d:%02d:%02d %-24s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
			r->q.v[i].type, s ? s : "?");
		free(s);
	}
}

static void expect(const struct replay *r, const char *want)
{
	char got[4096];
	th_types(&r->q, 0, got, sizeof(got));
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "want: %s\ngot:  %s\n", want, got);
		dump(r);
	}
	assert_string_equal(got, want);
}

static const struct van_event *find(const struct replay *r, const char *type, const char *loc)
{
	for (size_t i = 0; i < r->q.n; i++) {
		const char *l = json_string_value(json_object_get(r->q.v[i].data, "location"));
		if (strcmp(r->q.v[i].type, type) == 0 && (!loc || (l && strcmp(l, loc) == 0)))
			return &r->q.v[i];
	}
	return NULL;
}

static int64_t iso_ms(const char *s)
{
	struct tm tm = { 0 };
	assert_non_null(s);
	assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return (int64_t)timegm(&tm) * 1000;
}

/* Arrivals and departures against the ground truth: the van reaches the
 * 100 m radius a little before it is at rest (arrival) and leaves it a
 * little after it moves off (departure). */
static void against_truth(const struct replay *r, const char *truth)
{
	char *path = src_path(truth);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	free(path);
	assert_non_null(j);
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(j, "stops"), i, s) {
		const char *site = json_string_value(json_object_get(s, "site"));
		bool planned = json_is_true(json_object_get(s, "planned"));
		const struct van_event *a = find(r, "plan.arrived", site);
		const struct van_event *d = find(r, "plan.departed", site);
		if (!planned) {
			assert_null(a);
			const struct van_event *u = find(r, "plan.unplanned_stop", NULL);
			assert_non_null(u);
			double lat = json_number_value(json_object_get(s, "lat"));
			double lon = json_number_value(json_object_get(s, "lon"));
			assert_true(fabs(json_number_value(json_object_get(u->data, "lat")) - lat) < 0.0005);
			assert_true(fabs(json_number_value(json_object_get(u->data, "lon")) - lon) < 0.0008);
			int64_t arr = iso_ms(json_string_value(json_object_get(s, "arrival")));
			int64_t since = json_integer_value(json_object_get(u->data, "since_utc"));
			assert_true(since >= arr - 15000 && since <= arr + 5000);
			continue;
		}
		assert_non_null(a);
		assert_non_null(d);
		int64_t arr = iso_ms(json_string_value(json_object_get(s, "arrival")));
		int64_t dep = iso_ms(json_string_value(json_object_get(s, "departure")));
		int64_t a_utc = json_integer_value(json_object_get(a->data, "arrival_utc"));
		int64_t d_utc = json_integer_value(json_object_get(d->data, "departure_utc"));
		if (!(a_utc >= arr - 30000 && a_utc <= arr) || !(d_utc >= dep && d_utc <= dep + 30000))
			fprintf(stderr, "%s: arrival %+lld s, departure %+lld s against the truth\n",
				site, (long long)(a_utc - arr) / 1000, (long long)(d_utc - dep) / 1000);
		assert_true(a_utc >= arr - 30000 && a_utc <= arr);
		assert_true(d_utc >= dep && d_utc <= dep + 30000);
	}
	int64_t back = iso_ms(json_string_value(json_object_get(j, "returned_base")));
	const struct van_event *ret = find(r, "plan.returned", NULL);
	assert_non_null(ret);
	int64_t ret_utc = json_integer_value(json_object_get(ret->data, "arrival_utc"));
	assert_true(ret_utc >= back - 60000 && ret_utc <= back);
	json_decref(j);
}

static void evening(void **st)
{
	(void)st;
	struct replay r;
	replay(&r, "config/demo/evening.nmea", 60, NULL, 0);
	expect(&r, "plan.started plan.arrived:S1 plan.departed:S1 plan.arrived:S2 "
		   "plan.checkin_prompt:S2 plan.checkin:S2 plan.departed:S2 plan.arrived:S3 "
		   "plan.departed:S3 plan.arrived:S4 plan.departed:S4 plan.returned:Base plan.ended");
	against_truth(&r, "config/demo/evening.stops.json");
	for (size_t i = 0; i < r.q.n; i++)
		if (strcmp(r.q.v[i].type, "plan.arrived") == 0)
			assert_string_equal(json_string_value(json_object_get(r.q.v[i].data, "timing")),
					    "on_time");
	const struct van_event *ck = find(&r, "plan.checkin", "S2");
	assert_string_equal(json_string_value(json_object_get(ck->data, "was")), "on_time");
	const struct van_event *end = find(&r, "plan.ended", NULL);
	assert_int_equal(json_integer_value(json_object_get(end->data, "visited")), 4);
	assert_true(json_is_true(json_object_get(end->data, "returned")));
	replay_fini(&r);
}

static void evening_checkin_missed(void **st)
{
	(void)st;
	struct replay r;
	replay(&r, "config/demo/evening.nmea", -1, NULL, 0);
	/* S2 prompted at arrival, missed 3 min later (still there), repeated
	 * every 5 min until the end */
	expect(&r, "plan.started plan.arrived:S1 plan.departed:S1 plan.arrived:S2 "
		   "plan.checkin_prompt:S2 plan.checkin_missed:S2 plan.departed:S2 "
		   "plan.checkin_missed:S2 plan.arrived:S3 plan.departed:S3 plan.checkin_missed:S2 "
		   "plan.arrived:S4 plan.checkin_missed:S2 plan.departed:S4 plan.returned:Base "
		   "plan.ended");
	const struct van_event *p = find(&r, "plan.checkin_prompt", "S2");
	const struct van_event *m = find(&r, "plan.checkin_missed", "S2");
	assert_int_equal(m->utc_ms - p->utc_ms, 3 * 60000);
	assert_true(json_is_true(json_object_get(m->data, "incident")));
	assert_int_equal(m->prio, EV_URGENT);
	replay_fini(&r);
}

static void deviate(void **st)
{
	(void)st;
	struct replay r;
	replay(&r, "config/demo/evening-deviate.nmea", 60, NULL, 0);
	/* S1 -> S3 leaves the corridor S1-S2 and skips S2; U1 between S3 and S4
	 * is an unplanned stop 530 m off the corridor S3-S4 */
	expect(&r, "plan.started plan.arrived:S1 plan.departed:S1 plan.off_corridor "
		   "plan.skipped:S2 plan.arrived:S3 plan.back_on_corridor plan.departed:S3 "
		   "plan.off_corridor plan.unplanned_stop plan.back_on_corridor plan.arrived:S4 "
		   "plan.departed:S4 plan.returned:Base plan.ended");
	against_truth(&r, "config/demo/evening-deviate.stops.json");
	const struct van_event *o = find(&r, "plan.off_corridor", NULL);
	assert_string_equal(json_string_value(json_object_get(o->data, "from")), "S1");
	assert_string_equal(json_string_value(json_object_get(o->data, "to")), "S2");
	const struct van_event *s3 = find(&r, "plan.arrived", "S3");
	assert_string_equal(json_string_value(json_object_get(s3->data, "timing")), "early");
	const struct van_event *sk = find(&r, "plan.skipped", "S2");
	assert_string_equal(json_string_value(json_object_get(sk->data, "arrived_at")), "S3");
	assert_null(find(&r, "plan.late", NULL));
	assert_null(find(&r, "plan.checkin_prompt", NULL));
	const struct van_event *end = find(&r, "plan.ended", NULL);
	assert_int_equal(json_integer_value(json_object_get(end->data, "skipped")), 1);
	assert_int_equal(json_integer_value(json_object_get(end->data, "unplanned_stops")), 1);
	assert_int_equal(json_integer_value(json_object_get(end->data, "off_corridor")), 2);
	replay_fini(&r);
}

static void deviate_explained(void **st)
{
	(void)st;
	/* the crew phones in: S2 skipped (police) before leaving S1 (the road
	 * to S3 runs up to 780 m from the straight line: explained too), an
	 * extra stop (safety) on the way to S4 - nothing more is raised */
	struct act acts[] = {
		{ .utc_ms = iso_ms("2026-11-24T21:07:30Z"), .kind = ACT_SKIP, .name = "S2",
		  .reason = "police" },
		{ .utc_ms = iso_ms("2026-11-24T21:16:30Z"), .kind = ACT_ADD_STOP,
		  .reason = "safety" },
	};
	struct replay r;
	replay(&r, "config/demo/evening-deviate.nmea", 60, acts, 2);
	expect(&r, "plan.started plan.arrived:S1 plan.changed:S2 plan.departed:S1 "
		   "plan.arrived:S3 plan.departed:S3 plan.changed plan.arrived:S4 plan.departed:S4 "
		   "plan.returned:Base plan.ended");
	replay_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evening),
		cmocka_unit_test(evening_checkin_missed),
		cmocka_unit_test(deviate),
		cmocka_unit_test(deviate_explained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
