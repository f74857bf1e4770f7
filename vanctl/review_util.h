/*
 * review_util.h - internals shared by the review subcommands (vanctl/review*.c):
 *
 *  - rv_buf: a growable output buffer (a document is built whole, then
 *    written at once, so a failed report leaves no half file);
 *  - escapers for each place crew text can go: XML/HTML, a terminal, CSV;
 *  - time: ISO 8601 UTC for files, local time (TZ respected) for people,
 *    date arguments in local time;
 *  - precision: coarsening positions for a funder's copy;
 *  - the session model (rv_session): one session read from the store with
 *    its route, stops, events, occupancy series and derived figures;
 *  - the planned-against-actual comparison (rv_plan).
 *
 * Not a public API: only vanctl/review*.c and their unit tests use it.
 */
#ifndef VAN_REVIEW_UTIL_H
#define VAN_REVIEW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "store.h"

#define RV_ATTR(f, a) __attribute__((format(printf, f, a)))

/* ---------------------------------------------------------------- output */

/* A growable string.  Functions never fail loudly: on ENOMEM they set err
 * and stop appending; check err before using the result.  p is always
 * NUL-terminated once anything was appended (NULL before). */
struct rv_buf {
	char *p;
	size_t len, cap;
	int err;        /* 0 or -ENOMEM */
};

void rv_buf_free(struct rv_buf *b);          /* accepts a zeroed buffer */
void rv_putn(struct rv_buf *b, const char *s, size_t n);
void rv_puts(struct rv_buf *b, const char *s);
void rv_printf(struct rv_buf *b, const char *fmt, ...) RV_ATTR(2, 3);

/* Append s escaped for XML 1.0 and HTML, as text (mode RV_ESC_TEXT) or in
 * a quoted attribute value (RV_ESC_ATTR: tab, newline and CR also become
 * character references so they survive attribute normalisation).
 * & < > " ' are escaped everywhere.  Characters XML cannot carry at all
 * (C0 controls other than tab/LF/CR, DEL, C1 controls, U+FFFE/U+FFFF) and
 * bytes that are not well-formed UTF-8 (overlong, surrogates, > U+10FFFF,
 * truncated) become U+FFFD.  NULL appends nothing. */
enum { RV_ESC_TEXT = 0, RV_ESC_ATTR = 1 };
void rv_xml(struct rv_buf *b, const char *s, int mode);
/* Append s for a terminal: control characters (C0, DEL, C1: escape
 * sequences could repaint the screen) and malformed UTF-8 bytes become
 * visible escapes (\n, \t, \x1b); a backslash becomes \\. */
void rv_term(struct rv_buf *b, const char *s);
/* Append s as one RFC 4180 CSV field: quoted when it holds , " CR LF or
 * leading/trailing blanks, quotes doubled.  Text that a spreadsheet would
 * run as a formula (starting with = + - @ tab CR) gets a leading '. */
void rv_csv(struct rv_buf *b, const char *s);

/* A copy of s that is well-formed UTF-8: every byte of a malformed
 * sequence becomes U+FFFD (jansson refuses malformed strings).  NULL for
 * NULL or on ENOMEM; caller frees. */
char *rv_utf8_clean(const char *s);

/* Write b to path ("-" = stdout).  A file is written to a temporary name
 * beside it (mode 0600), synced and renamed over path, so a reader never
 * sees half a file.  Refuses to overwrite the database (dbpath, its -wal,
 * -shm).  Returns 0 or -1 with a message in err. */
int rv_write_out(const char *path, const struct rv_buf *b, const char *dbpath, char *err,
		 size_t errlen);

/* "vanctl CMD: message" on stderr. */
void rv_err(const char *cmd, const char *fmt, ...) RV_ATTR(2, 3);

/* ------------------------------------------------------------------ time */

/* "2026-03-14T19:00:00Z" (".123" before Z when not a whole second); buf >= 32. */
char *rv_iso_utc(int64_t utc_ms, char *buf, size_t len);
/* Local time of utc_ms formatted by strftime fmt (TZ respected). */
char *rv_local(int64_t utc_ms, const char *fmt, char *buf, size_t len);
/* Local date of utc_ms as days since 1970-01-01 (to say "+1 day"). */
int64_t rv_local_day(int64_t utc_ms);
/* Local time of day "HH:MM ZONE", with " (+1)" (days after ref_ms's
 * local date) when it falls on a later day; ref_ms 0 = never. */
char *rv_tod(int64_t utc_ms, int64_t ref_ms, char *buf, size_t len);
/* A time window "19:15-19:30 GMT" (the zone once when both ends share it,
 * else "01:30 BST-01:15 GMT"); "-" without either end. */
char *rv_window(int64_t from, int64_t to, int64_t ref_ms, char *buf, size_t len);
/* A distance for people: "12.3 km", "850 m", "-" (NaN). */
char *rv_km(double m, char *buf, size_t len);
/* A duration for people: "4h05m", "3m20s", "40s", "0s" (negative: "-"+...). */
char *rv_dur(int64_t ms, char *buf, size_t len);
/* Parse a local date or date-time: YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS],
 * or UTC with a trailing Z.  A bare date means its local midnight, or with
 * end_of_day the next day's midnight (so --until is inclusive of that
 * day).  Returns 0 or -1. */
int rv_parse_date(const char *s, bool end_of_day, int64_t *utc_ms);
/* Parse YYYY-MM: [first local midnight, first local midnight of the next
 * month).  Returns 0 or -1. */
int rv_parse_month(const char *s, int64_t *from, int64_t *to);
/* Name of the local time zone for captions: $TZ, /etc/timezone, the
 * /etc/localtime link, else "local time".  Static storage. */
const char *rv_tzname(void);

/* ------------------------------------------------------- positions, geo */

/* Precision of positions in reports and exports. */
struct rv_prec {
	double m;        /* grid size in metres; 0 = exact */
	int decimals;    /* decimal places worth printing */
	char label[24];  /* "exact", "100m", "1km", "250m" */
};
/* Parse "exact", "100m", "1km", "2.5km", or a number of metres (1..100000).
 * Returns 0 or -1. */
int rv_parse_prec(const char *s, struct rv_prec *p);
void rv_prec_exact(struct rv_prec *p);
/* Snap lat/lon to a grid of p->m metres (north-south p->m / 111320 degrees;
 * east-west the same distance at the snapped latitude).  Deterministic: the
 * same place always lands on the same grid point.  No-op for exact/NaN. */
void rv_coarsen(const struct rv_prec *p, double *lat, double *lon);
/* Great-circle distance in metres (haversine, mean Earth radius). */
double rv_dist_m(double lat1, double lon1, double lat2, double lon2);

/* ------------------------------------------------------ session model */

struct rv_point {
	int64_t t;
	double lat, lon, alt, speed, track, eph;   /* NaN = unknown */
	int mode, sats, src;
};
struct rv_stop {
	int64_t id, arr, dep;      /* dep 0 = still there */
	double lat, lon;           /* NaN = unknown or purged */
	char *name;                /* planned location label or NULL */
	int entries, peak, doors;
};
struct rv_event {
	int64_t seq, t;
	char *type;
	int prio;
	bool has_pos;
	double lat, lon;
	bool incident;
	char *category;            /* NULL = none */
	json_t *data;              /* object, never NULL */
};
/* One step of the occupancy series: from t on, occ on board, limit lim
 * (-1 = not known). */
struct rv_occ {
	int64_t t;
	int occ, lim;
};
/* The figures of a session.  Counts are -1 when not known at all (e.g. no
 * debrief summary and no detail left after a purge). */
struct rv_figs {
	bool running;              /* not ended */
	int64_t duration_ms;       /* start to end (running: to the last record) */
	double distance_m;         /* NaN = unknown */
	int64_t points;            /* route points stored */
	bool route_purged;         /* no points, and the retention purge reached the session */
	int64_t stops;
	int64_t entries;
	int64_t peak;
	int64_t limit;             /* occupancy limit last seen (-1) */
	int64_t at_end;            /* still counted on board when it ended (-1 unknown/running) */
	int64_t over_limit_s;
	int64_t ck_made, ck_missed;
	int64_t incidents;
	/* time-weighted occupancy over the session, where the series exists */
	bool occ_known;
	double occ_integral;       /* sum of occupancy x ms */
	int64_t occ_span_ms;       /* ms covered by the series */
};
struct rv_session {
	struct store_session ss;   /* strings point into ssbuf */
	char *ssbuf;
	json_t *summary;           /* the debrief (object) or NULL */
	struct rv_point *pts;
	size_t npts;
	struct rv_stop *stops;
	size_t nstops;
	struct rv_event *evs;
	size_t nevs;
	struct rv_occ *occ;
	size_t nocc;
	int64_t end_ms;            /* ended, or (running) the last record seen */
	struct rv_figs f;
	char *plan_buf;            /* ss.plan made well-formed UTF-8 */
	bool names_hidden;         /* coarse precision: names and notes left out */
	json_t *names;             /* their stand-ins: original -> "location 2" */
};
enum { RV_LOAD_POINTS = 1, RV_LOAD_STOPS = 2, RV_LOAD_EVENTS = 4, RV_LOAD_ALL = 7 };

/* Read session id with what (RV_LOAD_*; stops and events are always read
 * for the figures, points only when asked or when the distance must be
 * computed from them), coarsen every position to prec (NULL = exact; the
 * distance is computed before), derive the figures.  With a coarse prec
 * the copy must not name places either: planned-location and stop names
 * become "location N" (N its place in the plan), the plan's name
 * "(left out)", and incident notes (free text, may name a street) are
 * dropped.  Returns 0, -ENOENT (no
 * such session) or another negative errno; the message is in
 * store_errmsg() or err.  *out is zeroed first; free with rv_session_free. */
int rv_session_load(store_t *st, int64_t id, unsigned what, const struct rv_prec *prec,
		    struct rv_session *out, char *err, size_t errlen);
void rv_session_free(struct rv_session *s);
/* The route points taken between sessions (session 0) in [from, to), as a
 * session with id 0 and nothing else.  0 or <0 (err says why). */
int rv_between_load(store_t *st, int64_t from, int64_t to, const struct rv_prec *prec,
		    struct rv_session *out, char *err, size_t errlen);   /* accepts a zeroed struct */
/* Ids of the sessions started in [from, to), in start order.  *ids is
 * malloc'ed (caller frees; may be NULL with *n == 0).  Returns 0 or <0. */
int rv_session_ids(store_t *st, int64_t from, int64_t to, int64_t **ids, size_t *n);
/* Id of the session started last, or -ENOENT if none. */
int rv_last_session(store_t *st, int64_t *id);
/* data[key] as an integer (also from a real), or def. */
int64_t rv_jint(const json_t *o, const char *key, int64_t def);
/* data[key] as a string, or NULL. */
const char *rv_jstr(const json_t *o, const char *key);
/* The events' incident note (data "note"), or NULL. */
const char *rv_event_note(const struct rv_event *e);

/* ------------------------------------------------ planned against actual */

enum rv_plan_status {
	RV_PLAN_PENDING = 0,  /* not reached (session ended before, or no record) */
	RV_PLAN_VISITED,
	RV_PLAN_SKIPPED,
};
struct rv_plan_row {
	const char *name;            /* points into the session's events/stops */
	int64_t index;               /* position in the plan (1-based), 0 unknown */
	int64_t win_from, win_to;    /* arrival window, UTC ms, 0 = none */
	int64_t dwell_s;             /* planned time on site, -1 = none */
	int64_t arr, dep;            /* actual, 0 = none (the plan's: in and out of the radius) */
	int64_t stop_arr, stop_dep;  /* the matching stop's (parked), 0 = none: time on
				      * site is the stop's, as in the stops table */
	enum rv_plan_status status;
	const char *skip_reason;     /* skipped by the crew: their reason, else NULL */
	const char *passed_for;      /* skipped on the way: the location reached instead */
};
struct rv_plan {
	bool present;                /* the session ran with a plan */
	struct rv_plan_row *rows;
	size_t n;
	const struct rv_stop **unplanned;   /* stops that matched no planned location */
	size_t nunplanned;
	const struct rv_event **unplanned_ev; /* plan.unplanned_stop events with no stop row */
	size_t nunplanned_ev;
	const struct rv_stop **at_base;     /* unnamed stops within the plan's base radius:
					     * waits at base, not unplanned stops */
	size_t nat_base;
};
/* Planned against actual, from the plan events and the stops (see
 * docs/review.md, "Plans").  Points into s: free before s.  0 or -ENOMEM. */
int rv_plan_build(const struct rv_session *s, struct rv_plan *p);
void rv_plan_free(struct rv_plan *p);
/* A plan event worth listing as a deviation or change, in plain words (not
 * escaped: names are the plan author's text): plan.late, plan.unplanned_stop,
 * plan.off_corridor, plan.back_on_corridor, plan.changed,
 * plan.checkin_missed (first alert), plan.returned.  NULL for the others. */
const char *rv_plan_event_what(const struct rv_event *e, char *buf, size_t len);
/* Minutes early (<0) or late (>0) against the window; 0 inside it or
 * without a window. */
int64_t rv_plan_late_ms(const struct rv_plan_row *r);

/* ----------------------------------------------------------- subcommands */

/* Common options of the read subcommands. */
struct rv_opts {
	const char *cmd;
	const char *db;            /* resolved database path */
	struct rv_prec prec;
	bool has_since, has_until;
	int64_t since, until;      /* UTC ms, [since, until) */
	const char *out;           /* -o / --html: output file, NULL = none */
	const char *format;        /* export format */
	bool csv, json;
	int days;                  /* purge */
	bool force;
	bool between;              /* export: also the points taken between sessions */
	int nargs;
	char **args;               /* positional arguments */
};

int rv_cmd_sessions(store_t *st, const struct rv_opts *o);
int rv_cmd_report(store_t *st, const struct rv_opts *o);
int rv_cmd_export(store_t *st, const struct rv_opts *o);
int rv_cmd_summary(store_t *st, const struct rv_opts *o);

/* What an incident was, in plain words (not escaped; the note is apart):
 * "occupancy 7, over the limit of 6", "check-in due 21:30 GMT missed". */
char *rv_event_what(const struct rv_event *e, int64_t ref_ms, char *buf, size_t len);
/* A place for people: "site-1 (51.5012, -0.1235)", "51.5012, -0.1235",
 * "-" (not escaped). */
char *rv_place(const char *name, double lat, double lon, const struct rv_prec *p, char *buf,
	       size_t len);

/* The report's rows, one model for both renderers (review_rows.c): plain
 * strings, not escaped; the text report (review_report.c) and the HTML one
 * (review_html.c) each lay them out and escape them for where they go.
 * Times are times of day against the session's start. */
struct rv_stop_view {
	size_t no;                 /* 1-based place in s->stops */
	char arr[48], dep[48];     /* dep: "(still there)" in a running session,
				    * "(at the end)" when it ended there */
	char on_site[24];          /* to the departure, or to the session's end */
	char place[256];           /* rv_place() */
	int entries, peak, doors;
};
void rv_stop_view(const struct rv_session *s, const struct rv_stop *st, const struct rv_prec *prec,
		  struct rv_stop_view *v);

enum rv_against_window {
	RV_WIN_NONE = 0,           /* visited, no window to be held to */
	RV_WIN_ON_TIME,
	RV_WIN_LATE,               /* by off_by */
	RV_WIN_EARLY,              /* by off_by */
	RV_WIN_LEFT_OUT,           /* skipped by the crew, with their reason */
	RV_WIN_SKIPPED,            /* skipped on the way (passed_for: where it went instead) */
	RV_WIN_NOT_REACHED,
};
enum rv_against_dwell {
	RV_DWELL_NONE = 0,         /* no planned dwell, or not both arrived and left */
	RV_DWELL_AS_PLANNED,       /* within a minute */
	RV_DWELL_SHORT,            /* by dwell_off_by */
	RV_DWELL_LONGER,           /* by dwell_off_by */
};
struct rv_plan_view {
	int64_t no;                /* place in the plan (1-based) */
	const char *name;          /* "?" when not known */
	char win[112], arr[48];    /* arr "-" when not arrived */
	char dwell[24], on_site[24];   /* planned and actual time on site, "-" when none */
	enum rv_against_window against_window;
	char off_by[24];
	const char *skip_reason, *passed_for;
	enum rv_against_dwell against_dwell;
	char dwell_off_by[24];
};
/* Row i of p (rv_plan_build of s). */
void rv_plan_view(const struct rv_session *s, const struct rv_plan *p, size_t i,
		  struct rv_plan_view *v);

struct rv_event_view {
	char when[48];
	char what[256];            /* rv_event_what(), or rv_plan_event_what() */
	const char *category;      /* incidents: "-" when none */
	bool has_place;
	char place[128];           /* where it happened, "-" when not known */
	const char *note;          /* incidents: the crew's note, or NULL */
};
/* How base answered emergency e (emergency.raised) of s, in words: "acknowledged
 * by Sam at base after 8m45s; cleared after 12m" or "never acknowledged by
 * base; cleared after 3m10s".  "" for other events. */
char *rv_emergency_response(const struct rv_session *s, const struct rv_event *e, char *buf,
			    size_t len);
/* Incident e of s (e->incident). */
void rv_incident_view(const struct rv_session *s, const struct rv_event *e, const struct rv_prec *prec,
		      struct rv_event_view *v);
/* e as a deviation or change of plan (when and what); false when it is not
 * one (rv_plan_event_what). */
bool rv_plan_event_view(const struct rv_session *s, const struct rv_event *e, struct rv_event_view *v);

/* Build the text and HTML reports of a loaded session (for tests too). */
void rv_report_text(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o);
void rv_report_html(struct rv_buf *b, const struct rv_session *s, const struct rv_opts *o);
/* Build exports of the loaded sessions: fmt "gpx", "geojson" or "csv".
 * Returns 0 or -1 (unknown format, or out of memory). */
int rv_export_build(struct rv_buf *b, const char *fmt, struct rv_session *const *ss, size_t n,
		    const struct rv_opts *o);
/* Resolve a SESSION argument: a number or "last".  0 or 1 (message printed). */
int rv_session_arg(store_t *st, const struct rv_opts *o, const char *arg, int64_t *id);

#endif
