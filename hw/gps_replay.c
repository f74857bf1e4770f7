/*
 * gps_replay.c - a recorded NMEA track played back through the GPS layer's
 * callbacks, each epoch at its own time offset from the start.  For demos,
 * tests and benchmarks with virtual time (a 10-hour shift in seconds); the
 * van itself reads gpsd.  Only what a replay needs: RMC and GGA with valid
 * checksums, merged per epoch; everything else is skipped and counted.
 */
#include "gps_replay.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KNOTS_TO_MPS 0.514444
#define UERE_M 5.0   /* horizontal error per unit of HDOP, for eph */

static bool checksum_ok(const char *s)
{
	const char *star = strrchr(s, '*');
	unsigned sum = 0, want;

	if ((s[0] != '$' && s[0] != '!') || !star || sscanf(star + 1, "%2x", &want) != 1)
		return false;
	for (const char *p = s + 1; p < star; p++)
		sum ^= (unsigned char)*p;
	return sum == want;
}

/* Split the sentence (before '*') at commas, in place.  Returns the field count. */
static int split(char *s, char **f, int max)
{
	int n = 0;
	char *star = strrchr(s, '*');
	if (star)
		*star = '\0';
	for (char *p = s; n < max; ) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* "ddmm.mmmm" + hemisphere -> degrees; NAN if empty or bad. */
static double coord(const char *v, const char *hemi, int degdigits)
{
	if (!*v || strlen(v) < (size_t)degdigits + 2)
		return NAN;
	char deg[4] = { 0 };
	memcpy(deg, v, (size_t)degdigits);
	double d = atof(deg) + atof(v + degdigits) / 60.0;
	return (*hemi == 'S' || *hemi == 'W') ? -d : d;
}

/* hhmmss(.ss) -> ms of the day; -1 if bad */
static int64_t tod_ms(const char *v)
{
	if (strlen(v) < 6)
		return -1;
	int h = (v[0] - '0') * 10 + (v[1] - '0'), m = (v[2] - '0') * 10 + (v[3] - '0');
	double sec = atof(v + 4);
	if (h > 23 || m > 59 || sec >= 61)
		return -1;
	return (int64_t)h * 3600000 + (int64_t)m * 60000 + (int64_t)llround(sec * 1000);
}

static int push(struct gps_replay *r, const struct replay_fix *rf)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct replay_fix *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *rf;
	return 0;
}

int gps_replay_load(struct gps_replay *r, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	struct replay_fix cur = { 0 };
	bool have = false;
	int64_t day_ms = 0; /* UTC ms of midnight of the RMC date */
	int lineno = 0;

	memset(r, 0, sizeof(*r));
	if (!fp) {
		snprintf(err, errlen, "gps.replay_file %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *f[24];
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!checksum_ok(line)) {
			r->skipped++;
			continue;
		}
		int n = split(line, f, 24);
		if (n < 7 || strlen(f[0]) < 6) {
			r->skipped++;
			continue;
		}
		const char *kind = f[0] + 3;
		int64_t tod = tod_ms(f[1]);
		if (tod < 0) {
			r->skipped++;
			continue;
		}
		if (!strcmp(kind, "RMC") && n >= 10) {
			if (strlen(f[9]) == 6) {
				struct tm tm = { .tm_mday = atoi((char[]){ f[9][0], f[9][1], 0 }),
						 .tm_mon = atoi((char[]){ f[9][2], f[9][3], 0 }) - 1,
						 .tm_year = 100 + atoi((char[]){ f[9][4], f[9][5], 0 }) };
				day_ms = (int64_t)timegm(&tm) * 1000;
			}
			if (have && cur.utc_ms != day_ms + tod && push(r, &cur) < 0)
				goto oom;
			if (!have || cur.utc_ms != day_ms + tod) {
				memset(&cur, 0, sizeof(cur));
				cur.utc_ms = day_ms + tod;
				cur.alt = cur.eph = NAN;
				cur.sats = -1;
			}
			have = true;
			cur.valid = f[2][0] == 'A';
			cur.lat = coord(f[3], f[4], 2);
			cur.lon = coord(f[5], f[6], 3);
			cur.speed = *f[7] ? atof(f[7]) * KNOTS_TO_MPS : NAN;
			cur.track = *f[8] ? atof(f[8]) : NAN;
		} else if (!strcmp(kind, "GGA") && n >= 10 && have && cur.utc_ms % 86400000 == tod) {
			int q = atoi(f[6]);
			cur.valid = cur.valid && q > 0;
			cur.sats = *f[7] ? atoi(f[7]) : -1;
			cur.eph = *f[8] ? atof(f[8]) * UERE_M : NAN;
			cur.alt = *f[9] ? atof(f[9]) : NAN;
			cur.has_gga = true;
		}
	}
	if (have && push(r, &cur) < 0)
		goto oom;
	fclose(fp);
	/* pace by the time since the last fix in order; one out of order (a
	 * stale sentence, a bad date) is due an epoch after the one before */
	int64_t step = 1000;
	size_t ref = 0;
	for (size_t i = 1; i < r->n; i++) {
		int64_t d = r->v[i].utc_ms - r->v[ref].utc_ms;
		if (d > 0 && d <= GPS_REPLAY_MAX_GAP_MS) {
			r->v[i].due_ms = r->v[ref].due_ms + d;
			if (i == ref + 1 && d <= 10000)
				step = d; /* the receiver's rate, not a gap */
			ref = i;
		} else {
			r->v[i].due_ms = r->v[i - 1].due_ms + step;
		}
		if (r->v[i].due_ms < r->v[i - 1].due_ms)
			r->v[i].due_ms = r->v[i - 1].due_ms;
	}
	if (!r->n) {
		snprintf(err, errlen, "gps.replay_file %s: no RMC sentences with valid checksums", path);
		return -EINVAL;
	}
	return 0;
oom:
	fclose(fp);
	gps_replay_free(r);
	snprintf(err, errlen, "gps.replay_file %s: out of memory at line %d", path, lineno);
	return -ENOMEM;
}

void gps_replay_free(struct gps_replay *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void gps_replay_to_fix(const struct replay_fix *rf, int64_t mono_ms, struct gps_report *f)
{
	*f = (struct gps_report){
		.mono_ms = mono_ms,
		.gps_utc_ms = rf->utc_ms,
		.mode = !rf->valid ? GPS_MODE_NO_FIX : isnan(rf->alt) ? GPS_MODE_2D : GPS_MODE_3D,
		.has_latlon = rf->valid && !isnan(rf->lat) && !isnan(rf->lon),
		.lat = rf->lat, .lon = rf->lon, .alt = rf->alt, .speed = rf->speed, .track = rf->track,
		.eph = rf->eph, .epv = NAN, .sats_used = rf->sats,
	};
}
