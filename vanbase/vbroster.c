/*
 * vbroster.c - channels, contacts, rota and chains from vanbase's config.
 * See vbroster.h.
 */
#include "vbroster.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rd {
	struct vbconf *c;
	struct vbroster *r;
	int problems;
};

static void bad(struct rd *d, const struct vbconf_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad(struct rd *d, const struct vbconf_entry *e, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vbconf_error(d->c, "%s: [%s] %s: %s", vbconf_where(d->c, e).s, e->section, e->key, msg);
	d->problems++;
}

/* A string the channel definitions keep (freed with the roster). */
static const char *keep(struct rd *d, const char *s)
{
	char **n = realloc(d->r->strings, (d->r->nstrings + 1) * sizeof(*n));
	char *copy = strdup(s);
	if (!n || !copy) {
		free(copy);
		if (n)
			d->r->strings = n;
		return NULL;
	}
	d->r->strings = n;
	n[d->r->nstrings++] = copy;
	return copy;
}

static void *keep_block(struct rd *d, size_t bytes)
{
	void **n = realloc(d->r->blocks, (d->r->nblocks + 1) * sizeof(*n));
	void *b = calloc(1, bytes ? bytes : 1);
	if (!n || !b) {
		free(b);
		if (n)
			d->r->blocks = n;
		return NULL;
	}
	d->r->blocks = n;
	n[d->r->nblocks++] = b;
	return b;
}

/* Split "a, b ,c" on sep into at most max trimmed words in out (each
 * < VB_NAME_MAX).  Returns the count, or -1 (too many, or a word too long
 * or empty). */
static int split_names(const char *v, char sep, char out[][VB_NAME_MAX], int max)
{
	int n = 0;
	const char *p = v;

	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (!len || len >= VB_NAME_MAX || n >= max)
			return -1;
		memcpy(out[n], p, len);
		out[n][len] = '\0';
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

/* ---- [channel.NAME] ---- */

static struct notify_channel_conf *channel_get(struct rd *d, const char *name)
{
	for (size_t i = 0; i < d->r->nchannels; i++)
		if (!strcmp(d->r->channels[i].name, name))
			return &d->r->channels[i];
	return NULL;
}

/* Command line "prog arg 'two words' {to}" -> argv (no shell: quotes group). */
static const char *const *split_argv(struct rd *d, const char *v)
{
	size_t cap = strlen(v) / 2 + 2, n = 0;
	const char **argv = keep_block(d, cap * sizeof(*argv));
	char *buf = keep_block(d, strlen(v) + 1), *o = buf;
	const char *p = v;

	if (!argv || !buf)
		return NULL;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		argv[n++] = o;
		char q = 0;
		for (; *p && (q || !isspace((unsigned char)*p)); p++) {
			if (!q && (*p == '\'' || *p == '"'))
				q = *p;
			else if (q && *p == q)
				q = 0;
			else
				*o++ = *p;
		}
		if (q)
			return NULL;   /* an unclosed quote */
		*o++ = '\0';
	}
	argv[n] = NULL;
	return n ? argv : NULL;
}

static void channel_key(struct rd *d, struct notify_channel_conf *ch, const struct vbconf_entry *e)
{
	const char *k = e->key, *v = e->value;
	int64_t ms;
	bool b;

	if (!strcmp(k, "kind")) {
		return; /* read first, see read_channels */
	} else if (!strcmp(k, "timeout") || !strcmp(k, "backoff") || !strcmp(k, "backoff_max")) {
		if (!cfg_parse_duration_ms(v, 1, &ms) || ms < 100 || ms > 3600000) {
			bad(d, e, "'%s' is not a duration from 100ms to 1h (e.g. 10s)", v);
			return;
		}
		*(k[0] == 't' ? &ch->timeout_ms : !strcmp(k, "backoff") ? &ch->backoff_ms : &ch->backoff_max_ms) = (int)ms;
	} else if (!strcmp(k, "attempts")) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 20)
			bad(d, e, "'%s' is not a number of attempts from 1 to 20", v);
		else
			ch->attempts = (int)n;
	} else if (!strcmp(k, "position")) {
		if (!cfg_parse_bool(v, &b))
			bad(d, e, "'%s' is not true or false", v);
		else
			ch->position = b;
	} else if (ch->kind == NOTIFY_WEBHOOK) {
		struct notify_webhook_conf *w = &ch->webhook;
		if (!strcmp(k, "template")) {
			int t = notify_template_from_name(v);
			if (t < 0)
				bad(d, e, "'%s' is not a template (generic, ntfy, gotify, matrix, slack, mattermost, telegram)", v);
			else
				w->tpl = (enum notify_template)t;
		} else if (!strcmp(k, "url")) {
			w->url = keep(d, v);
		} else if (!strcmp(k, "url_file")) {
			w->url_file = keep(d, v);
		} else if (!strcmp(k, "token_file")) {
			w->token_file = keep(d, v);
		} else if (!strcmp(k, "target")) {
			w->target = keep(d, v);
		} else if (!strcmp(k, "ca_file")) {
			w->ca_file = keep(d, v);
		} else if (!strncmp(k, "field.", 6) && k[6]) {
			struct notify_field *f = keep_block(d, (w->nfields + 1) * sizeof(*f));
			if (!f)
				return;
			memcpy(f, w->fields, w->nfields * sizeof(*f));
			f[w->nfields].key = keep(d, k + 6);
			f[w->nfields].value = keep(d, v);
			w->fields = f;
			w->nfields++;
		} else {
			bad(d, e, "unknown key for a webhook channel");
		}
	} else if (ch->kind == NOTIFY_EMAIL) {
		struct notify_email_conf *m = &ch->email;
		if (!strcmp(k, "url")) {
			m->url = keep(d, v);
		} else if (!strcmp(k, "tls")) {
			int t = notify_tls_from_name(v);
			if (t < 0)
				bad(d, e, "'%s' is not starttls, implicit or none (none only to a loopback server)", v);
			else
				m->tls = (enum notify_tls)t;
		} else if (!strcmp(k, "from")) {
			m->from = keep(d, v);
		} else if (!strcmp(k, "to")) {
			const char **to = keep_block(d, 17 * sizeof(*to));
			char *list = to ? keep_block(d, strlen(v) + 1) : NULL;
			size_t n = 0;
			if (!list)
				return;
			strcpy(list, v);
			for (char *save = NULL, *a = strtok_r(list, ", \t", &save); a; a = strtok_r(NULL, ", \t", &save)) {
				if (n == 16 || !strchr(a, '@')) {
					bad(d, e, "'%s' is not a list of up to 16 e-mail addresses", v);
					return;
				}
				to[n++] = a;
			}
			m->to = to;
			m->nto = n;
		} else if (!strcmp(k, "user")) {
			m->user = keep(d, v);
		} else if (!strcmp(k, "password_file")) {
			m->password_file = keep(d, v);
		} else if (!strcmp(k, "ca_file")) {
			m->ca_file = keep(d, v);
		} else {
			bad(d, e, "unknown key for an email channel");
		}
	} else if (ch->kind == NOTIFY_COMMAND) {
		if (!strcmp(k, "command")) {
			if (!(ch->command.argv = split_argv(d, v)))
				bad(d, e, "'%s' is not a program and its arguments (quotes must close)", v);
		} else {
			bad(d, e, "unknown key for a command channel");
		}
	}
}

static void read_channels(struct rd *d)
{
	for (long i = vbconf_next(d->c, "channel.", 0); i >= 0; i = vbconf_next(d->c, "channel.", i + 1)) {
		const struct vbconf_entry *e = &d->c->entries[i];
		const char *name = e->section + 8;
		struct notify_channel_conf *ch = channel_get(d, name);
		if (!ch) {
			if (!vb_valid_name(name)) {
				bad(d, e, "a channel name is 1-32 of A-Z a-z 0-9 _ . -");
				continue;
			}
			/* its kind first: the other keys depend on it */
			int kind = -1;
			for (long j = i; j >= 0; j = vbconf_next(d->c, "channel.", j + 1))
				if (!strcmp(d->c->entries[j].section, e->section) && !strcmp(d->c->entries[j].key, "kind"))
					kind = notify_kind_from_name(d->c->entries[j].value);
			if (kind < 0) {
				bad(d, e, "the channel needs kind = webhook, email or command");
				kind = -2;
			}
			struct notify_channel_conf *n = realloc(d->r->channels, (d->r->nchannels + 1) * sizeof(*n));
			if (!n)
				return;
			d->r->channels = n;
			ch = &n[d->r->nchannels++];
			memset(ch, 0, sizeof(*ch));
			ch->name = keep(d, name);
			ch->kind = kind < 0 ? NOTIFY_COMMAND : (enum notify_kind)kind;
			if (kind == -2)
				continue;
		}
		channel_key(d, ch, e);
	}
}

/* ---- [contact.NAME] ---- */

static struct vb_contact *contact_get(struct rd *d, const char *name, bool make)
{
	struct vb_roster *ro = &d->r->roster;
	for (int i = 0; i < ro->ncontacts; i++)
		if (!strcmp(ro->contacts[i].name, name))
			return &ro->contacts[i];
	if (!make || ro->ncontacts >= VB_CONTACTS_MAX)
		return NULL;
	struct vb_contact *c = &ro->contacts[ro->ncontacts++];
	memset(c, 0, sizeof(*c));
	vb_copy(c->name, sizeof(c->name), name);
	return c;
}

static void read_contacts(struct rd *d)
{
	for (long i = vbconf_next(d->c, "contact.", 0); i >= 0; i = vbconf_next(d->c, "contact.", i + 1)) {
		const struct vbconf_entry *e = &d->c->entries[i];
		const char *name = e->section + 8;
		if (!vb_valid_name(name)) {
			bad(d, e, "a contact name is 1-32 of A-Z a-z 0-9 _ . -");
			continue;
		}
		struct vb_contact *c = contact_get(d, name, true);
		if (!c) {
			bad(d, e, "too many contacts (at most %d)", VB_CONTACTS_MAX);
			continue;
		}
		if (!strcmp(e->key, "test")) {
			if (!cfg_parse_bool(e->value, &c->test))
				bad(d, e, "'%s' is not true or false", e->value);
			continue;
		}
		if (!channel_get(d, e->key)) {
			bad(d, e, "no [channel.%s] is defined (a contact's keys are channels and the address on each)",
			    e->key);
			continue;
		}
		if (c->nchannels >= VB_CONTACT_CHANNELS) {
			bad(d, e, "at most %d channels per contact", VB_CONTACT_CHANNELS);
			continue;
		}
		vb_copy(c->channels[c->nchannels++], VB_NAME_MAX, e->key);
		struct vbroster_addr *a = realloc(d->r->addrs, (d->r->naddrs + 1) * sizeof(*a));
		if (!a)
			continue;
		d->r->addrs = a;
		a = &a[d->r->naddrs++];
		memset(a, 0, sizeof(*a));
		vb_copy(a->contact, sizeof(a->contact), name);
		vb_copy(a->channel, sizeof(a->channel), e->key);
		a->to = *e->value && strcmp(e->value, "-") ? strdup(e->value) : NULL;
	}
}

/* ---- [rota], [test_rota] ---- */

static int day_of(const char *s)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	for (int i = 0; i < 7; i++)
		if (!strncasecmp(s, days[i], 3))
			return i;
	return -1;
}

/* "HH:MM" at s -> minutes of the day; advances *s. */
static int hhmm(const char **s)
{
	int h, m, n = 0;
	if (sscanf(*s, "%2d:%2d%n", &h, &m, &n) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
		return -1;
	*s += n;
	return h * 60 + m;
}

static void skip_ws(const char **s)
{
	while (isspace((unsigned char)**s))
		(*s)++;
}

static bool add_slot(struct rd *d, const struct vbconf_entry *e, bool test, const char *contact, int from, int to)
{
	struct vb_roster *ro = &d->r->roster;
	struct vb_slot *v = test ? ro->test_rota : ro->rota;
	int *n = test ? &ro->ntest_rota : &ro->nrota;
	if (*n >= VB_SLOTS_MAX) {
		bad(d, e, "too many rota lines (at most %d, counting a daily line as 7)", VB_SLOTS_MAX);
		return false;
	}
	struct vb_slot *s = &v[(*n)++];
	vb_copy(s->role, sizeof(s->role), e->key);
	vb_copy(s->contact, sizeof(s->contact), contact);
	s->from_mow = from % VB_MOW;
	s->to_mow = to % VB_MOW;
	return true;
}

/* ROLE = CONTACT always | daily HH:MM-HH:MM | DAY HH:MM-DAY HH:MM */
static void read_rota(struct rd *d, const char *section, bool test)
{
	for (long i = vbconf_next(d->c, section, 0); i >= 0; i = vbconf_next(d->c, section, i + 1)) {
		const struct vbconf_entry *e = &d->c->entries[i];
		char contact[VB_NAME_MAX];
		const char *p = e->value;
		size_t n;

		if (strcmp(e->section, section))
			continue;   /* "rota" is a prefix of nothing else, but be exact */
		if (!vb_valid_name(e->key)) {
			bad(d, e, "a role is 1-32 of A-Z a-z 0-9 _ . -");
			continue;
		}
		n = strcspn(p, " \t");
		if (!n || n >= sizeof(contact)) {
			bad(d, e, "expected 'CONTACT always', 'CONTACT daily 18:00-08:00' or 'CONTACT mon 18:00-tue 08:00'");
			continue;
		}
		memcpy(contact, p, n);
		contact[n] = '\0';
		p += n;
		skip_ws(&p);
		if (!contact_get(d, contact, false)) {
			bad(d, e, "'%s' is no [contact.%s]", contact, contact);
			continue;
		}
		if (!strcasecmp(p, "always")) {
			add_slot(d, e, test, contact, 0, 0);
			continue;
		}
		bool daily = !strncasecmp(p, "daily", 5);
		int d1 = daily ? 0 : day_of(p), d2 = d1, t1, t2;
		p += daily ? 5 : (d1 >= 0 ? 3 : 0);
		skip_ws(&p);
		if (d1 < 0 || (t1 = hhmm(&p)) < 0) {
			bad(d, e, "'%s': expected always, daily HH:MM-HH:MM or DAY HH:MM-DAY HH:MM (days mon..sun)", e->value);
			continue;
		}
		skip_ws(&p);
		if (*p++ != '-') {
			bad(d, e, "'%s': expected a '-' between the start and the end", e->value);
			continue;
		}
		skip_ws(&p);
		if (!daily) {
			if ((d2 = day_of(p)) < 0) {
				bad(d, e, "'%s': the end needs a day too (mon 18:00-tue 08:00)", e->value);
				continue;
			}
			p += 3;
			skip_ws(&p);
		}
		if ((t2 = hhmm(&p)) < 0 || (skip_ws(&p), *p)) {
			bad(d, e, "'%s': the end is not HH:MM", e->value);
			continue;
		}
		if (daily) {
			if (t1 == t2) {
				bad(d, e, "'%s': a daily slot needs a start and an end that differ (or use always)", e->value);
				continue;
			}
			for (int day = 0; day < 7; day++)
				if (!add_slot(d, e, test, contact, day * 1440 + t1, day * 1440 + t2 + (t2 < t1 ? 1440 : 0)))
					break;
		} else {
			add_slot(d, e, test, contact, d1 * 1440 + t1, d2 * 1440 + t2);
		}
	}
}

/* ---- [chain.KIND] ---- */

/* step = OFFSET TARGET[,TARGET...] [via CHANNEL[,CHANNEL...]] */
static void chain_step(struct rd *d, struct vb_chain *ch, const struct vbconf_entry *e)
{
	char word[64], targets[200], via[200] = "";
	int64_t ms;
	int n = 0;

	if (sscanf(e->value, "%63s %199[^\n]%n", word, targets, &n) < 2) {
		bad(d, e, "expected 'step = OFFSET TARGET[,TARGET] [via CHANNEL[,CHANNEL]]' (e.g. step = 60s on_call via sms)");
		return;
	}
	char *v = strstr(targets, " via ");
	if (v) {
		vb_copy(via, sizeof(via), v + 5);
		*v = '\0';
	}
	if (!cfg_parse_duration_ms(word, 1, &ms)) {
		bad(d, e, "'%s' is not an offset (0s, 60s, 3m)", word);
		return;
	}
	if (ch->nsteps >= VB_STEPS_MAX) {
		bad(d, e, "at most %d steps", VB_STEPS_MAX);
		return;
	}
	struct vb_step *s = &ch->steps[ch->nsteps];
	memset(s, 0, sizeof(*s));
	s->at_ms = ms;
	char names[VB_STEP_TARGETS][VB_NAME_MAX];
	int nt = split_names(targets, ',', names, VB_STEP_TARGETS);
	if (nt < 1) {
		bad(d, e, "1 to %d targets (roles of the rota, or contacts), comma-separated", VB_STEP_TARGETS);
		return;
	}
	for (int t = 0; t < nt; t++) {
		vb_copy(s->targets[t].name, VB_NAME_MAX, names[t]);
		/* a contact by its name; anything else is a role of the rota */
		s->targets[t].role = !contact_get(d, names[t], false);
		if (s->targets[t].role) {
			bool known = false;
			for (int k = 0; k < d->r->roster.nrota && !known; k++)
				known = !strcmp(d->r->roster.rota[k].role, names[t]);
			for (int k = 0; k < d->r->roster.ntest_rota && !known; k++)
				known = !strcmp(d->r->roster.test_rota[k].role, names[t]);
			if (!known) {
				bad(d, e, "'%s' is neither a contact nor a role of [rota]", names[t]);
				return;
			}
		}
	}
	s->ntargets = nt;
	if (*via) {
		int nc = split_names(via, ',', s->channels, VB_STEP_CHANNELS);
		if (nc < 1) {
			bad(d, e, "'via' needs 1 to %d channel names", VB_STEP_CHANNELS);
			return;
		}
		for (int c = 0; c < nc; c++)
			if (!channel_get(d, s->channels[c])) {
				bad(d, e, "no [channel.%s] is defined", s->channels[c]);
				return;
			}
		s->nchannels = nc;
	}
	ch->nsteps++;
}

static void read_chains(struct rd *d)
{
	for (long i = vbconf_next(d->c, "chain.", 0); i >= 0; i = vbconf_next(d->c, "chain.", i + 1)) {
		const struct vbconf_entry *e = &d->c->entries[i];
		int k = vb_kind_of(e->section + 6);
		if (k < 0) {
			bad(d, e, "'%s' is not an alarm kind (emergency, overdue, checkin, offline, silent, "
				  "selftest_failed, drill)", e->section + 6);
			continue;
		}
		struct vb_chain *ch = &d->r->roster.chains[k];
		int64_t ms;
		bool b;
		if (!strcmp(e->key, "step")) {
			chain_step(d, ch, e);
		} else if (!strcmp(e->key, "repeat")) {
			if (!cfg_parse_duration_ms(e->value, 1, &ms))
				bad(d, e, "'%s' is not a duration (0 = no repeat, or at least 10s)", e->value);
			else
				ch->repeat_ms = ms;
		} else if (!strcmp(e->key, "repeat_last")) {
			if (!cfg_parse_bool(e->value, &b))
				bad(d, e, "'%s' is not true or false", e->value);
			else
				ch->repeat_last = b;
		} else if (!strcmp(e->key, "max_rounds")) {
			char *end;
			long n = strtol(e->value, &end, 10);
			if (*end || n < 0 || n > 1000)
				bad(d, e, "'%s' is not a number of rounds from 0 (until acknowledged) to 1000", e->value);
			else
				ch->max_rounds = (int)n;
		} else {
			bad(d, e, "unknown key (step, repeat, repeat_last, max_rounds)");
		}
	}
}

/* The core's own checks of the whole, named by config section. */
struct check_ctx {
	struct rd *d;
};

static void core_bad(void *ctx, const char *what, int index, const char *why)
{
	struct rd *d = ctx;
	const char *path = d->c->report.path ? d->c->report.path : "(config)";
	if (index >= 0)
		vbconf_error(d->c, "%s: [%s%s] entry %d: %s", path, vb_kind_of(what) >= 0 ? "chain." : "", what, index + 1,
			     why);
	else
		vbconf_error(d->c, "%s: [%s%s]: %s", path, vb_kind_of(what) >= 0 ? "chain." : "", what, why);
	d->problems++;
}

int vbroster_read(struct vbconf *c, struct vbroster *r)
{
	struct rd d = { .c = c, .r = r };

	memset(r, 0, sizeof(*r));
	read_channels(&d);
	read_contacts(&d);
	read_rota(&d, "rota", false);
	read_rota(&d, "test_rota", true);
	read_chains(&d);
	if (!d.problems)
		vb_roster_check(&r->roster, core_bad, &d);
	return d.problems;
}

const char *vbroster_to(const struct vbroster *r, const char *contact, const char *channel)
{
	for (size_t i = 0; i < r->naddrs; i++)
		if (!strcmp(r->addrs[i].contact, contact) && !strcmp(r->addrs[i].channel, channel))
			return r->addrs[i].to;
	return NULL;
}

void vbroster_fini(struct vbroster *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->naddrs; i++)
		free(r->addrs[i].to);
	free(r->addrs);
	for (size_t i = 0; i < r->nstrings; i++)
		free(r->strings[i]);
	free(r->strings);
	for (size_t i = 0; i < r->nblocks; i++)
		free(r->blocks[i]);
	free(r->blocks);
	free(r->channels);
	memset(r, 0, sizeof(*r));
}
