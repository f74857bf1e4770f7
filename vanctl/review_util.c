/*
 * review_util.c - output buffer, escapers, time, precision and geometry for
 * the manager's review.  See review_util.h.
 */
#include "review_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- buffer */

void rv_buf_free(struct rv_buf *b)
{
	if (!b)
		return;
	free(b->p);
	*b = (struct rv_buf){ 0 };
}

static bool grow(struct rv_buf *b, size_t extra)
{
	if (b->err)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void rv_putn(struct rv_buf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void rv_puts(struct rv_buf *b, const char *s)
{
	if (s)
		rv_putn(b, s, strlen(s));
}

void rv_printf(struct rv_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		rv_putn(b, small, (size_t)n);
		return;
	}
	if (!grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* --------------------------------------------------------------- escapers */

/* Decode one UTF-8 character at s (n bytes left).  Returns the code point
 * and sets *used, or -1 (malformed: *used = 1) for overlong forms,
 * surrogates, values past U+10FFFF and truncated sequences. */
static int32_t u8_next(const unsigned char *s, size_t n, size_t *used)
{
	*used = 1;
	unsigned c = s[0];
	if (c < 0x80)
		return (int32_t)c;
	size_t len;
	uint32_t cp, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (n < len)
		return -1;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*used = len;
	return (int32_t)cp;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";   /* U+FFFD */

void rv_xml(struct rv_buf *b, const char *str, int mode)
{
	if (!str)
		return;
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, run = 0;   /* run: bytes copied as they are */
	while (i < n) {
		size_t used;
		int32_t cp = u8_next(s + i, n - i, &used);
		const char *rep = NULL;
		switch (cp) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\r': rep = "&#13;"; break;
		case '\t': rep = mode == RV_ESC_ATTR ? "&#9;" : NULL; break;
		case '\n': rep = mode == RV_ESC_ATTR ? "&#10;" : NULL; break;
		default:
			if (cp < 0 || (cp < 0x20) || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
			    cp == 0xFFFE || cp == 0xFFFF)
				rep = REPLACEMENT;
			break;
		}
		if (rep) {
			rv_putn(b, str + i - run, run);
			run = 0;
			rv_puts(b, rep);
		} else {
			run += used;
		}
		i += used;
	}
	rv_putn(b, str + n - run, run);
}

char *rv_utf8_clean(const char *str)
{
	if (!str)
		return NULL;
	struct rv_buf b = { 0 };
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0;
	rv_putn(&b, "", 0);
	while (i < n) {
		size_t used;
		if (u8_next(s + i, n - i, &used) < 0)
			rv_puts(&b, REPLACEMENT);
		else
			rv_putn(&b, str + i, used);
		i += used;
	}
	if (b.err || !b.p) {
		rv_buf_free(&b);
		return NULL;
	}
	return b.p;
}

void rv_term(struct rv_buf *b, const char *str)
{
	if (!str)
		return;
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0;
	while (i < n) {
		size_t used;
		int32_t cp = u8_next(s + i, n - i, &used);
		if (cp < 0)
			rv_printf(b, "\\x%02x", s[i]);
		else if (cp == '\\')
			rv_puts(b, "\\\\");
		else if (cp == '\n')
			rv_puts(b, "\\n");
		else if (cp == '\t')
			rv_puts(b, "\\t");
		else if (cp == '\r')
			rv_puts(b, "\\r");
		else if (cp < 0x20 || cp == 0x7F)
			rv_printf(b, "\\x%02x", (unsigned)cp);
		else if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
			 (cp >= 0x2066 && cp <= 0x2069))
			rv_printf(b, "\\u%04x", (unsigned)cp);   /* C1, bidi overrides */
		else
			rv_putn(b, str + i, used);
		i += used;
	}
}

void rv_csv(struct rv_buf *b, const char *s)
{
	if (!s || !*s)
		return;
	size_t n = strlen(s);
	bool formula = strchr("=+-@\t\r", s[0]) != NULL;
	bool quote = formula || strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[n - 1] == ' ';
	if (!quote) {
		rv_putn(b, s, n);
		return;
	}
	rv_putn(b, "\"", 1);
	if (formula)
		rv_putn(b, "'", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			rv_putn(b, "\"\"", 2);
		else
			rv_putn(b, p, 1);
	}
	rv_putn(b, "\"", 1);
}

/* ------------------------------------------------------------ writing out */

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool is_db_file(const char *path, const char *db)
{
	if (!db)
		return false;
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		char name[PATH_MAX];
		if ((size_t)snprintf(name, sizeof(name), "%s%s", db, sfx[i]) >= sizeof(name))
			continue;
		if (strcmp(name, path) == 0 || same_file(name, path))
			return true;
	}
	return false;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int rv_write_out(const char *path, const struct rv_buf *b, const char *dbpath, char *err,
		 size_t errlen)
{
	const char *data = b->p ? b->p : "";
	if (b->err) {
		snprintf(err, errlen, "out of memory building the output");
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		if (fwrite(data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
			snprintf(err, errlen, "writing to standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (is_db_file(path, dbpath)) {
		snprintf(err, errlen, "%s: refusing to overwrite the database", path);
		return -1;
	}
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = mkstemp(tmp);   /* mode 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	if (write_all(fd, data, b->len) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void rv_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vanctl %s: ", cmd ? cmd : "review");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------- time */

static time_t secs_of(int64_t ms)
{
	return (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
}

char *rv_iso_utc(int64_t utc_ms, char *buf, size_t len)
{
	time_t s = secs_of(utc_ms);
	int ms = (int)(utc_ms - (int64_t)s * 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	if (ms)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

char *rv_local(int64_t utc_ms, const char *fmt, char *buf, size_t len)
{
	time_t s = secs_of(utc_ms);
	struct tm tm;
	if (!localtime_r(&s, &tm) || strftime(buf, len, fmt, &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t rv_local_day(int64_t utc_ms)
{
	time_t s = secs_of(utc_ms);
	struct tm tm;
	if (!localtime_r(&s, &tm))
		return 0;
	return days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

char *rv_tod(int64_t utc_ms, int64_t ref_ms, char *buf, size_t len)
{
	rv_local(utc_ms, "%H:%M %Z", buf, len);
	int64_t d = ref_ms ? rv_local_day(utc_ms) - rv_local_day(ref_ms) : 0;
	if (d != 0) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, " (%+" PRId64 ")", d);
	}
	return buf;
}

char *rv_window(int64_t from, int64_t to, int64_t ref_ms, char *buf, size_t len)
{
	char a[48], b[48], za[16], zb[16];
	if (!from && !to) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (!from || !to) {
		snprintf(buf, len, "%s %s", from ? "from" : "by", rv_tod(from ? from : to, ref_ms, a,
									  sizeof(a)));
		return buf;
	}
	rv_local(from, "%Z", za, sizeof(za));
	rv_local(to, "%Z", zb, sizeof(zb));
	int64_t d = ref_ms ? rv_local_day(from) - rv_local_day(ref_ms) : 0;
	if (strcmp(za, zb) == 0 && (d == 0 || rv_local_day(from) == rv_local_day(to))) {
		rv_local(from, "%H:%M", a, sizeof(a));
		snprintf(buf, len, "%s-%s", a, rv_tod(to, ref_ms, b, sizeof(b)));
	} else {
		snprintf(buf, len, "%s-%s", rv_tod(from, ref_ms, a, sizeof(a)),
			 rv_tod(to, ref_ms, b, sizeof(b)));
	}
	return buf;
}

char *rv_km(double m, char *buf, size_t len)
{
	if (!isfinite(m))
		snprintf(buf, len, "-");
	else if (m < 1000)
		snprintf(buf, len, "%.0f m", m);
	else
		snprintf(buf, len, "%.1f km", m / 1000);
	return buf;
}

char *rv_dur(int64_t ms, char *buf, size_t len)
{
	const char *sign = ms < 0 ? "-" : "";
	int64_t s = (ms < 0 ? -ms : ms) / 1000;
	if (s >= 3600)
		snprintf(buf, len, "%s%" PRId64 "h%02dm", sign, s / 3600, (int)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%s%dm%02ds", sign, (int)(s / 60), (int)(s % 60));
	else
		snprintf(buf, len, "%s%ds", s ? sign : "", (int)s);
	return buf;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Fixed-width number at s[0..n). */
static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

/* Local (or UTC with utc) civil time to UTC ms. */
static int civil_to_ms(int y, int mo, int d, int h, int mi, int se, bool utc, int64_t *out)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = se, .tm_isdst = -1 };
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

int rv_parse_date(const char *s, bool end_of_day, int64_t *utc_ms)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
	    !all_digits(s + 8, 2))
		return -1;
	int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2), h = 0, mi = 0, se = 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	bool utc = false;
	if (n == 10) {
		if (end_of_day) {
			if (++d > days_in_month(y, mo)) {
				d = 1;
				if (++mo > 12) {
					mo = 1;
					y++;
				}
			}
		}
		return civil_to_ms(y, mo, d, 0, 0, 0, false, utc_ms);
	}
	const char *t = s + 10;
	size_t m = n - 10;
	if (m > 0 && t[m - 1] == 'Z') {
		utc = true;
		m--;
	}
	if ((m != 6 && m != 9) || (t[0] != 'T' && t[0] != ' ') || !all_digits(t + 1, 2) ||
	    t[3] != ':' || !all_digits(t + 4, 2))
		return -1;
	h = num(t + 1, 2);
	mi = num(t + 4, 2);
	if (m == 9) {
		if (t[6] != ':' || !all_digits(t + 7, 2))
			return -1;
		se = num(t + 7, 2);
	}
	if (h > 23 || mi > 59 || se > 59)
		return -1;
	return civil_to_ms(y, mo, d, h, mi, se, utc, utc_ms);
}

int rv_parse_month(const char *s, int64_t *from, int64_t *to)
{
	if (!s || strlen(s) != 7 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2))
		return -1;
	int y = num(s, 4), mo = num(s + 5, 2);
	if (y < 1970 || mo < 1 || mo > 12)
		return -1;
	int64_t a, b;
	if (civil_to_ms(y, mo, 1, 0, 0, 0, false, &a) < 0 ||
	    civil_to_ms(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1, 0, 0, 0, false, &b) < 0)
		return -1;
	*from = a;
	*to = b;
	return 0;
}

const char *rv_tzname(void)
{
	static char name[128];
	const char *tz = getenv("TZ");
	if (tz && *tz) {
		if (*tz == ':')
			tz++;
		const char *z = strstr(tz, "zoneinfo/");
		snprintf(name, sizeof(name), "%s", z ? z + 9 : tz);
		return name;
	}
	FILE *f = fopen("/etc/timezone", "r");
	if (f) {
		bool ok = fgets(name, sizeof(name), f) != NULL;
		fclose(f);
		name[strcspn(name, "\r\n")] = '\0';
		if (ok && name[0])
			return name;
	}
	char link[PATH_MAX];
	ssize_t n = readlink("/etc/localtime", link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		const char *z = strstr(link, "zoneinfo/");
		if (z) {
			snprintf(name, sizeof(name), "%s", z + 9);
			return name;
		}
	}
	return "local time";
}

/* -------------------------------------------------------------- precision */

#define M_PER_DEG 111320.0

void rv_prec_exact(struct rv_prec *p)
{
	*p = (struct rv_prec){ .m = 0, .decimals = 6 };
	snprintf(p->label, sizeof(p->label), "exact");
}

int rv_parse_prec(const char *s, struct rv_prec *p)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "exact") == 0) {
		rv_prec_exact(p);
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	if (strcmp(end, "km") == 0)
		v *= 1000;
	else if (*end && strcmp(end, "m") != 0)
		return -1;
	if (!(v >= 1 && v <= 100000))
		return -1;
	p->m = v;
	double step = v / M_PER_DEG;
	int d = (int)ceil(-log10(step));
	p->decimals = d < 0 ? 0 : d > 6 ? 6 : d;
	if (v >= 1000)
		snprintf(p->label, sizeof(p->label), "%gkm", v / 1000);
	else
		snprintf(p->label, sizeof(p->label), "%gm", v);
	return 0;
}

void rv_coarsen(const struct rv_prec *p, double *lat, double *lon)
{
	if (!p || p->m <= 0 || !isfinite(*lat) || !isfinite(*lon))
		return;
	double step = p->m / M_PER_DEG;
	double la = round(*lat / step) * step;
	if (la > 90)
		la = floor(90 / step) * step;
	if (la < -90)
		la = -floor(90 / step) * step;
	double c = cos(la * M_PI / 180);
	double lo = 0;
	if (c > 1e-9) {
		double sl = step / c;
		lo = round(*lon / sl) * sl;
		if (lo > 180)
			lo -= 360;
		if (lo < -180)
			lo += 360;
	}
	*lat = la;
	*lon = lo;
}

double rv_dist_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, k = M_PI / 180;
	double dlat = (lat2 - lat1) * k, dlon = (lon2 - lon1) * k;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * k) * cos(lat2 * k) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}
