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

/* One line: RMC starts (or continues) an epoch, GGA adds to it.  Returns
 * true when the line began a new epoch and the one before is complete (in
 * r->done). */
static bool take_line(struct gps_replay *r, char *line)
{
	char *f[24];

	line[strcspn(line, "\r\n")] = '\0';
	if (!checksum_ok(line)) {
		r->skipped++;
		return false;
	}
	int n = split(line, f, 24);
	if (n < 7 || strlen(f[0]) < 6) {
		r->skipped++;
		return false;
	}
	const char *kind = f[0] + 3;
	int64_t tod = tod_ms(f[1]);
	if (tod < 0) {
		r->skipped++;
		return false;
	}
	bool completed = false;
	struct replay_fix *cur = &r->cur;
	if (!strcmp(kind, "RMC") && n >= 10) {
		if (strlen(f[9]) == 6) {
			struct tm tm = { .tm_mday = atoi((char[]){ f[9][0], f[9][1], 0 }),
					 .tm_mon = atoi((char[]){ f[9][2], f[9][3], 0 }) - 1,
					 .tm_year = 100 + atoi((char[]){ f[9][4], f[9][5], 0 }) };
			r->day_ms = (int64_t)timegm(&tm) * 1000;
		}
		if (r->have && cur->utc_ms != r->day_ms + tod) {
			r->done = *cur;
			completed = true;
		}
		if (!r->have || cur->utc_ms != r->day_ms + tod) {
			memset(cur, 0, sizeof(*cur));
			cur->utc_ms = r->day_ms + tod;
			cur->alt = cur->eph = NAN;
			cur->sats = -1;
		}
		r->have = true;
		cur->valid = f[2][0] == 'A';
		cur->lat = coord(f[3], f[4], 2);
		cur->lon = coord(f[5], f[6], 3);
		cur->speed = *f[7] ? atof(f[7]) * KNOTS_TO_MPS : NAN;
		cur->track = *f[8] ? atof(f[8]) : NAN;
	} else if (!strcmp(kind, "GGA") && n >= 10 && r->have && cur->utc_ms % 86400000 == tod) {
		int q = atoi(f[6]);
		cur->valid = cur->valid && q > 0;
		cur->sats = *f[7] ? atoi(f[7]) : -1;
		cur->eph = *f[8] ? atof(f[8]) * UERE_M : NAN;
		cur->alt = *f[9] ? atof(f[9]) : NAN;
		cur->has_gga = true;
	}
	return completed;
}

/* Pace a fix by the time since the last fix in order; one out of order (a
 * stale sentence, a bad date) is due an epoch after the one before. */
static void pace(struct gps_replay *r, struct replay_fix *fx)
{
	if (!r->count) {
		fx->due_ms = 0;
		r->ref_utc = fx->utc_ms;
		r->ref_due = 0;
		r->ref_is_prev = true;
		r->step = 1000;
	} else {
		int64_t d = fx->utc_ms - r->ref_utc;
		bool in_order = d > 0 && d <= GPS_REPLAY_MAX_GAP_MS;
		if (in_order) {
			fx->due_ms = r->ref_due + d;
			if (r->ref_is_prev && d <= 10000)
				r->step = d; /* the receiver's rate, not a gap */
		} else {
			fx->due_ms = r->prev_due + r->step;
		}
		if (fx->due_ms < r->prev_due)
			fx->due_ms = r->prev_due;
		if (in_order) {
			r->ref_utc = fx->utc_ms;
			r->ref_due = fx->due_ms;
		}
		r->ref_is_prev = in_order;
	}
	r->prev_due = fx->due_ms;
	r->count++;
}

/* Read on until the next epoch is complete (or the file ends). */
static void fill(struct gps_replay *r)
{
	char line[512];

	if (r->ready || !r->fp)
		return;
	while (fgets(line, sizeof(line), r->fp)) {
		r->lineno++;
		if (take_line(r, line)) {
			r->next = r->done;
			r->ready = true;
			break;
		}
	}
	if (!r->ready && r->have) {   /* the end: the last epoch is complete */
		r->next = r->cur;
		r->have = false;
		r->ready = true;
	}
	if (r->ready)
		pace(r, &r->next);
	else {
		fclose(r->fp);
		r->fp = NULL;
	}
}

int gps_replay_open(struct gps_replay *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->fp = fopen(path, "r");
	if (!r->fp) {
		int e = errno;
		snprintf(err, errlen, "gps.replay_file %s: %s", path, strerror(e));
		return -e;
	}
	fill(r);
	if (!r->ready) {
		snprintf(err, errlen, "gps.replay_file %s: no RMC sentences with valid checksums", path);
		gps_replay_free(r);
		return -EINVAL;
	}
	return 0;
}

const struct replay_fix *gps_replay_peek(const struct gps_replay *r)
{
	return r->ready ? &r->next : NULL;
}

void gps_replay_pop(struct gps_replay *r)
{
	r->ready = false;
	fill(r);   /* the next is read now, so peeking never reads */
}

bool gps_replay_end(const struct gps_replay *r)
{
	return !r->ready;
}

void gps_replay_free(struct gps_replay *r)
{
	if (r->fp)
		fclose(r->fp);
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
