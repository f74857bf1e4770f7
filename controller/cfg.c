/*
 * cfg.c - table-driven INI reader: inih for the syntax, every problem as
 * FILE:LINE: message.  See cfg.h.
 */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

/* Bytes from the file may be anything: a message never carries a control
 * byte raw (an escape sequence would reach the terminal or the journal). */
static char *escape_controls(char *msg)
{
	size_t n = 0;
	for (const char *s = msg; *s; s++)
		n += ((unsigned char)*s < 0x20 || *s == 0x7f) ? 4 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out) {
		for (char *s = msg; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				*s = '?';
		return msg;
	}
	for (const char *s = msg; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			o += sprintf(o, "\\x%02x", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o = '\0';
	free(msg);
	return out;
}

static void add_msg(char ***list, size_t *count, const char *fmt, va_list ap)
{
	char *msg = NULL;
	char **n;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!msg)
		return;
	msg = escape_controls(msg);
	n = realloc(*list, (*count + 1) * sizeof(*n));
	if (!n) {
		free(msg);
		return;
	}
	*list = n;
	(*list)[(*count)++] = msg;
}

void cfg_verror(struct cfg_report *r, const char *fmt, va_list ap)
{
	add_msg(&r->errors, &r->nerrors, fmt, ap);
}

void cfg_vwarn(struct cfg_report *r, const char *fmt, va_list ap)
{
	add_msg(&r->warnings, &r->nwarnings, fmt, ap);
}

void cfg_error(struct cfg_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfg_verror(r, fmt, ap);
	va_end(ap);
}

void cfg_warn(struct cfg_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cfg_vwarn(r, fmt, ap);
	va_end(ap);
}

bool cfg_parse_bool(const char *v, bool *out)
{
	static const char *t[] = { "true", "yes", "on", "1" }, *f[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, t[i])) { *out = true; return true; }
		if (!strcasecmp(v, f[i])) { *out = false; return true; }
	}
	return false;
}

/* "90", "90s", "5m", "2h", "1d" -> seconds; *bare says no suffix was given.
 * false on garbage. */
static bool parse_duration_s(const char *v, double *out, bool *bare)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || errno || !isfinite(x))
		return false;
	while (isspace((unsigned char)*end))
		end++;
	*bare = !*end;
	if (!*end || !strcmp(end, "s")) ;
	else if (!strcmp(end, "ms")) x /= 1000.0;
	else if (!strcmp(end, "m") || !strcmp(end, "min")) x *= 60;
	else if (!strcmp(end, "h")) x *= 3600;
	else if (!strcmp(end, "d")) x *= 86400;
	else return false;
	*out = x;
	return true;
}

bool cfg_parse_duration_ms(const char *v, int bare_unit_s, int64_t *ms)
{
	double s;
	bool bare;

	if (!parse_duration_s(v, &s, &bare) || s < 0)
		return false;
	if (bare)
		s *= bare_unit_s > 0 ? bare_unit_s : 1;
	if (s > 1e13)
		return false;
	*ms = (int64_t)llround(s * 1000.0);
	return true;
}

bool cfg_split_hostport(const char *v, char *host, size_t hostlen, const char **port)
{
	const char *colon = strrchr(v, ':');

	if (!colon || colon == v || !colon[1])
		return false;
	size_t n = (size_t)(colon - v);
	if (v[0] == '[' && n > 2 && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	snprintf(host, hostlen, "%.*s", (int)n, v);
	*port = colon + 1;
	return true;
}

static const char *type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_STR: return "string";
	case CFG_INT: return "integer";
	case CFG_DBL: return "number";
	case CFG_BOOL: return "boolean";
	case CFG_DUR: return "duration";
	}
	return "?";
}

static int unit_of(const struct cfg_key *k)
{
	return k->unit_s > 0 ? k->unit_s : 1;
}

static const char *unit_word(int unit, bool plural)
{
	switch (unit) {
	case 1: return plural ? "seconds" : "s";
	case 60: return plural ? "minutes" : "min";
	case 3600: return plural ? "hours" : "h";
	case 86400: return plural ? "days" : "d";
	}
	return "?";
}

static bool has_range(const struct cfg_key *k)
{
	return (k->type == CFG_INT || k->type == CFG_DBL || k->type == CFG_DUR) && k->max > k->min && !k->choices;
}

/* Is v one of k's choices ("a|b|c")?  Numbers compare as numbers. */
static bool is_choice(const struct cfg_key *k, const char *v, double x)
{
	const char *p = k->choices;
	while (*p) {
		size_t n = strcspn(p, "|");
		if (k->type == CFG_STR) {
			if (strlen(v) == n && !strncmp(p, v, n))
				return true;
		} else if (strtod(p, NULL) == x) {
			return true;
		}
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

/* "a, b or c" from "a|b|c" into buf. */
static const char *choice_list(const struct cfg_key *k, char *buf, size_t len)
{
	size_t o = 0, count = 1, i = 0;
	for (const char *p = k->choices; *p; p++)
		count += *p == '|';
	buf[0] = '\0';
	for (const char *p = k->choices; *p && o < len;) {
		size_t n = strcspn(p, "|");
		const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
		o += (size_t)snprintf(buf + o, len - o, "%s%.*s", sep, (int)n, p);
		p += n;
		if (*p == '|')
			p++;
		i++;
	}
	return buf;
}

/* Store value into key k.  Returns NULL or a message in buf. */
static const char *set_key(void *base, const struct cfg_key *k, const char *v, char *buf, size_t buflen)
{
	void *p = (char *)base + k->off;
	char list[256];

	switch (k->type) {
	case CFG_STR: {
		if (k->choices && !is_choice(k, v, 0)) {
			snprintf(buf, buflen, "%s.%s: '%s' must be %s", k->section, k->name, v,
				 choice_list(k, list, sizeof(list)));
			return buf;
		}
		char *s = strdup(v);
		if (!s)
			return "out of memory";
		free(*(char **)p);
		*(char **)p = s;
		return NULL;
	}
	case CFG_BOOL:
		if (!cfg_parse_bool(v, (bool *)p)) {
			snprintf(buf, buflen, "%s.%s: '%s' is not a boolean (use true or false)", k->section, k->name, v);
			return buf;
		}
		return NULL;
	case CFG_INT:
	case CFG_DBL: {
		char *end;
		double x;
		errno = 0;
		x = strtod(v, &end);
		while (*end && isspace((unsigned char)*end))
			end++;
		if (end == v || *end || errno || !isfinite(x) || (k->type == CFG_INT && x != floor(x))) {
			snprintf(buf, buflen, "%s.%s: '%s' is not %s", k->section, k->name, v,
				 k->type == CFG_INT ? "a whole number" : "a number");
			return buf;
		}
		if (k->choices) {
			if (!is_choice(k, v, x)) {
				snprintf(buf, buflen, "%s.%s: %s is not %s", k->section, k->name, v,
					 choice_list(k, list, sizeof(list)));
				return buf;
			}
		} else if (has_range(k) && (x < k->min || x > k->max)) {
			snprintf(buf, buflen, "%s.%s: %s is out of range (%g to %g)", k->section, k->name, v, k->min, k->max);
			return buf;
		}
		if (k->type == CFG_INT) {
			if (x < INT_MIN || x > INT_MAX) {
				snprintf(buf, buflen, "%s.%s: %s is too large", k->section, k->name, v);
				return buf;
			}
			*(int *)p = (int)x;
		} else {
			*(double *)p = x;
		}
		return NULL;
	}
	case CFG_DUR: {
		double s;
		bool bare;
		int unit = unit_of(k);
		if (!parse_duration_s(v, &s, &bare) || s < 0) {
			snprintf(buf, buflen, "%s.%s: '%s' is not a duration (e.g. 90s, 5m, 2h)", k->section, k->name, v);
			return buf;
		}
		double val = bare ? s : s / unit;   /* bare numbers are in the key's own unit */
		if (has_range(k) && (val < k->min || val > k->max)) {
			if (unit == 1)
				snprintf(buf, buflen, "%s.%s: %s is out of range (%gs to %gs)", k->section, k->name, v,
					 k->min, k->max);
			else
				snprintf(buf, buflen, "%s.%s: %s is out of range (%g to %g %s)", k->section, k->name, v,
					 k->min, k->max, unit_word(unit, true));
			return buf;
		}
		if (val > INT_MAX) {
			snprintf(buf, buflen, "%s.%s: %s is too long", k->section, k->name, v);
			return buf;
		}
		if (val != floor(val)) {
			snprintf(buf, buflen, "%s.%s: %s is not a whole number of %s", k->section, k->name, v,
				 unit_word(unit, true));
			return buf;
		}
		*(int *)p = (int)val;
		return NULL;
	}
	}
	return "internal error: bad key type";
}

static const struct cfg_key *find_key(const struct cfg_table *t, const char *section, const char *name,
				      size_t *idx)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i].section, section) && !strcmp(t->keys[i].name, name)) {
			if (idx)
				*idx = i;
			return &t->keys[i];
		}
	return NULL;
}

static bool table_section(const struct cfg_table *t, const char *s)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i].section, s))
			return true;
	return false;
}

static bool known_section(const struct cfg_table *t, const char *s)
{
	return table_section(t, s) || (t->other_section && t->other_section(s));
}

struct parse_ctx {
	const struct cfg_table *t;
	void *base;
	struct cfg_report *r;
	void *ctx;
	const char *path;
	FILE *fp;
	char *line;           /* getline's buffer */
	size_t linecap;
	int lineno;
	bool *seen;
};

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *px = user;
	struct cfg_report *r = px->r;
	char buf[512];
	const char *err;
	size_t idx;

	if (!name) /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (!*section) {
		cfg_error(r, "%s:%d: '%s' is outside any [section]", px->path, px->lineno, name);
		return 1;
	}
	if (!table_section(px->t, section)) {
		if (px->t->other_section && px->t->other_section(section) && px->t->on_key)
			px->t->on_key(px->ctx, r, section, name, value, px->lineno);
		return 1; /* an unknown section is reported once, at its header, by reader() */
	}
	const struct cfg_key *k = find_key(px->t, section, name, &idx);
	if (!k) {
		cfg_error(r, "%s:%d: unknown key '%s' in [%s]", px->path, px->lineno, name, section);
		return 1;
	}
	if (px->seen[idx])
		cfg_error(r, "%s:%d: %s.%s is set twice", px->path, px->lineno, section, name);
	px->seen[idx] = true;
	if (r->key_lines)
		r->key_lines[idx] = px->lineno;
	if (!*value && k->type != CFG_STR) {
		cfg_error(r, "%s:%d: %s.%s has no value", px->path, px->lineno, section, name);
		return 1;
	}
	err = set_key(px->base, k, value, buf, sizeof(buf));
	if (err)
		cfg_error(r, "%s:%d: %s", px->path, px->lineno, err);
	return 1;
}

/* inih's reader: we read each physical line whole (getline: any length,
 * NUL bytes included), count lines here (the handler runs right after a line
 * is read) and report every syntax error ourselves, not only the first.
 * inih gets at most num - 1 bytes of a line; what does not fit never becomes
 * a line of its own: a long comment is cut (it is a comment), a long key line
 * is one error at its own line and inih sees a blank line instead. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *px = stream;
	ssize_t got = getline(&px->line, &px->linecap, px->fp);
	char *s = px->line;
	const char *p;

	if (got < 0)
		return NULL;
	px->lineno++;
	size_t len = (size_t)got;
	if (px->lineno == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;               /* a UTF-8 byte-order mark: editors on Windows write one */
		len -= 3;
	}
	size_t body = len;            /* without the line end */
	while (body && (s[body - 1] == '\n' || s[body - 1] == '\r'))
		body--;
	const char *nul = memchr(s, '\0', body);
	if (nul) {
		cfg_error(px->r, "%s:%d: a NUL byte (\\0) at column %zu; the line is ignored (is this a text file?)",
			  px->path, px->lineno, (size_t)(nul - s) + 1);
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	s[body] = '\0';
	for (p = s; isspace((unsigned char)*p); p++)
		;
	size_t room = (size_t)num - 2;   /* the text, its '\n' and the NUL */
	if (!*p || *p == ';' || *p == '#') {
		snprintf(str, (size_t)num, "%.*s\n", (int)(body < room ? body : room), s);
		return str;
	}
	if (body > room) {
		cfg_error(px->r, "%s:%d: line too long (%zu characters; at most %zu); the line is ignored",
			  px->path, px->lineno, body, room);
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (!end) {
			cfg_error(px->r, "%s:%d: section header without ']'", px->path, px->lineno);
		} else {
			char name[128];
			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			if (!known_section(px->t, name))
				cfg_error(px->r, "%s:%d: unknown section [%s]", px->path, px->lineno, name);
			else if (!table_section(px->t, name) && px->t->on_header)
				px->t->on_header(px->ctx, px->r, name, px->lineno);
		}
	} else if (!strchr(p, '=') && !strchr(p, ':')) {
		size_t n = strlen(p);
		cfg_error(px->r, "%s:%d: expected 'key = value', found '%.*s'", px->path, px->lineno,
			  (int)(n > 60 ? 60 : n), p);
	}
	snprintf(str, (size_t)num, "%s\n", s);
	return str;
}

int cfg_defaults(const struct cfg_table *t, void *base, struct cfg_report *r)
{
	char buf[256];

	memset(r, 0, sizeof(*r));
	r->key_lines = calloc(t->nkeys ? t->nkeys : 1, sizeof(*r->key_lines));
	if (!r->key_lines)
		return -ENOMEM;
	for (size_t i = 0; i < t->nkeys; i++) {
		if (!t->keys[i].def)
			continue;
		const char *err = set_key(base, &t->keys[i], t->keys[i].def, buf, sizeof(buf));
		if (err) {
			cfg_error(r, "internal: default of %s.%s: %s", t->keys[i].section, t->keys[i].name, err);
			return -EINVAL;
		}
	}
	return 0;
}

int cfg_load(const struct cfg_table *t, void *base, struct cfg_report *r, const char *path, void *ctx)
{
	struct parse_ctx px = { .t = t, .base = base, .r = r, .ctx = ctx, .path = path };
	size_t before = r->nerrors;

	free(r->path);
	r->path = strdup(path);
	px.seen = calloc(t->nkeys ? t->nkeys : 1, sizeof(*px.seen));
	if (!px.seen) {
		cfg_error(r, "%s: out of memory while reading", path);
		return (int)(r->nerrors - before);
	}
	px.fp = fopen(path, "r");
	if (!px.fp) {
		cfg_error(r, "%s: cannot read the config file: %s", path, strerror(errno));
		free(px.seen);
		return (int)(r->nerrors - before);
	}
	/* return value: first line with an error; all are reported already,
	 * except -2 (out of memory) */
	if (ini_parse_stream(reader, &px, handler, &px) == -2)
		cfg_error(r, "%s: out of memory while reading", path);
	if (ferror(px.fp))
		cfg_error(r, "%s: error reading the config file: %s", path, strerror(errno));
	fclose(px.fp);
	free(px.line);
	free(px.seen);
	return (int)(r->nerrors - before);
}

int cfg_set(const struct cfg_table *t, void *base, struct cfg_report *r, const char *where,
	    const char *section, const char *name, const char *value)
{
	char buf[512];
	const struct cfg_key *k = find_key(t, section, name, NULL);
	const char *err;

	if (!k) {
		cfg_error(r, "%s: unknown key %s.%s", where, section, name);
		return -1;
	}
	err = set_key(base, k, value, buf, sizeof(buf));
	if (err) {
		cfg_error(r, "%s: %s", where, err);
		return -1;
	}
	return 0;
}

struct cfg_where cfg_where(const struct cfg_table *t, const struct cfg_report *r, const char *section,
			   const char *name)
{
	struct cfg_where w;
	const char *p = r->path ? r->path : "(config)";
	size_t idx;
	int line = r->key_lines && find_key(t, section, name, &idx) ? r->key_lines[idx] : 0;

	if (line > 0)
		snprintf(w.s, sizeof(w.s), "%s:%d", p, line);
	else
		snprintf(w.s, sizeof(w.s), "%s", p);
	return w;
}

bool cfg_key_range(const struct cfg_table *t, size_t i, const char **section, const char **name,
		   double *min, double *max)
{
	if (i >= t->nkeys || !has_range(&t->keys[i]))
		return false;
	*section = t->keys[i].section;
	*name = t->keys[i].name;
	*min = t->keys[i].min;
	*max = t->keys[i].max;
	return true;
}

void cfg_print_doc(const struct cfg_table *t, FILE *out, const char *generator)
{
	const char *sec = "";
	char list[256];

	fprintf(out, "<!-- generated by `%s`; a unit test checks it is current -->\n", generator);
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct cfg_key *k = &t->keys[i];
		int unit = unit_of(k);
		if (strcmp(sec, k->section)) {
			sec = k->section;
			fprintf(out, "\n### [%s]\n\n| key | type | range | default | meaning |\n|---|---|---|---|---|\n", sec);
		}
		fprintf(out, "| `%s` | %s | ", k->name, type_name(k->type));
		if (has_range(k))
			fprintf(out, "%g-%g%s%s", k->min, k->max, k->type == CFG_DUR ? " " : "",
				k->type == CFG_DUR ? unit_word(unit, false) : "");
		else if (k->choices)
			fputs(choice_list(k, list, sizeof(list)), out);
		fputs(" | ", out);
		if (k->def)
			fprintf(out, "`%s`", k->def);
		else
			fputs("(none)", out);
		fprintf(out, " | %s", k->doc);
		if (k->type == CFG_DUR)
			fprintf(out, " A bare number is in %s.", unit_word(unit, true));
		fputs(" |\n", out);
	}
}

void cfg_free(const struct cfg_table *t, void *base, struct cfg_report *r)
{
	if (base)
		for (size_t i = 0; i < t->nkeys; i++)
			if (t->keys[i].type == CFG_STR) {
				char **s = (char **)((char *)base + t->keys[i].off);
				free(*s);
				*s = NULL;
			}
	if (!r)
		return;
	for (size_t i = 0; i < r->nerrors; i++)
		free(r->errors[i]);
	free(r->errors);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->path);
	free(r->key_lines);
	memset(r, 0, sizeof(*r));
}
