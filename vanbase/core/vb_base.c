/*
 * vb_base.c - names, checked JSON readers and UTC dates.  See vb_base.h.
 */
#include "vb_base.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[VB_K__COUNT] = {
	"emergency", "overdue", "checkin", "offline", "silent", "selftest_failed", "drill",
};

const char *vb_kind_name(enum vb_kind k)
{
	return (unsigned)k < VB_K__COUNT ? kind_names[k] : NULL;
}

int vb_kind_of(const char *name)
{
	for (int k = 0; name && k < VB_K__COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

static bool valid_chars(const char *s, const char *extra)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c)))
			return false;
	}
	return true;
}

bool vb_valid_unit(const char *s)
{
	return valid_chars(s, "_-");
}

bool vb_valid_name(const char *s)
{
	return valid_chars(s, "_.-");
}

bool vb_utf8_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!len || c < 0x20 || c == 0x7f || c == 0xc0 || c == 0xc1 || c > 0xf4)
			return false;
		uint32_t cp = len == 1 ? c : c & (0x7f >> len);
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		p += len;
	}
	return true;
}

void vb_utf8_trim(char *s)
{
	size_t n = strlen(s), i = n;
	/* back over continuation bytes to the last lead byte */
	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return;
	unsigned c = (unsigned char)s[i - 1];
	size_t want = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
	if (n - (i - 1) < want)
		s[i - 1] = '\0';
}

bool vb_valid_who(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	return n >= 1 && n < VB_WHO_MAX && vb_utf8_printable(s);
}

void vb_copy(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	size_t l = src ? strlen(src) : 0;
	if (l >= n)
		l = n - 1;
	if (l)
		memcpy(dst, src, l);
	dst[l] = '\0';
	if (src && l < strlen(src))
		vb_utf8_trim(dst);
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t vb_iso_ms(const char *s)
{
	if (!s || strlen(s) < 20 || strlen(s) > 40)
		return VB_NEVER;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return VB_NEVER;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    se < 0 || se > 60)
		return VB_NEVER;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
		return VB_NEVER;
	const char *p = s + 19;
	int ms = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
		if (n < 1 || n > 9)
			return VB_NEVER;
		for (int i = 0; i < 3; i++)
			ms = ms * 10 + (i < n ? p[i] - '0' : 0);
		p += n;
	}
	if (strcmp(p, "Z") != 0)
		return VB_NEVER;
	int64_t days = days_from_civil(y, mo, d);
	return ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + ms;
}

void vb_iso_fmt(char *buf, size_t n, int64_t ms)
{
	int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t z = (s >= 0 ? s : s - 86399) / 86400;
	int64_t sod = s - z * 86400;
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m,
		 (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60));
}

#define MS_LIMIT 100000000000000LL   /* 1e14 ms: about year 5138 */
#define INT_LIMIT 9007199254740992LL /* 2^53 */

int64_t vb_jms(const json_t *v)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		return x >= -MS_LIMIT && x <= MS_LIMIT ? (int64_t)x : VB_NEVER;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v);
		if (isfinite(x) && x >= -(double)MS_LIMIT && x <= (double)MS_LIMIT && floor(x) == x)
			return (int64_t)x;
	}
	return VB_NEVER;
}

bool vb_jint(const json_t *v, int64_t *out)
{
	if (!json_is_integer(v))
		return false;
	json_int_t x = json_integer_value(v);
	if (x < -INT_LIMIT || x > INT_LIMIT)
		return false;
	*out = (int64_t)x;
	return true;
}

bool vb_jnum(const json_t *v, double *out)
{
	if (!json_is_number(v))
		return false;
	double x = json_number_value(v);
	if (!isfinite(x))
		return false;
	*out = x;
	return true;
}

const char *vb_jstr(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int vb_jbool(const json_t *v)
{
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

bool vb_jlatlon(const json_t *lat, const json_t *lon, double *la, double *lo)
{
	double a, b;
	if (!vb_jnum(lat, &a) || !vb_jnum(lon, &b) || a < -90 || a > 90 || b < -180 || b > 180)
		return false;
	*la = a;
	*lo = b;
	return true;
}
