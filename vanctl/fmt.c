/*
 * fmt.c - snapshot reading and time formatting.  See fmt.h.
 */
#include "fmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

json_t *jpath(const json_t *root, const char *path)
{
	const json_t *j = root;
	char key[64];

	while (j && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		j = json_object_get(j, key);
		path += n + (dot ? 1 : 0);
	}
	return (json_t *)j;
}

int64_t jpath_int(const json_t *root, const char *path, int64_t dflt)
{
	json_t *j = jpath(root, path);
	if (json_is_integer(j))
		return json_integer_value(j);
	if (json_is_real(j))
		return (int64_t)json_real_value(j);
	return dflt;
}

double jpath_num(const json_t *root, const char *path, double dflt)
{
	json_t *j = jpath(root, path);
	return json_is_number(j) ? json_number_value(j) : dflt;
}

bool jpath_bool(const json_t *root, const char *path, bool dflt)
{
	json_t *j = jpath(root, path);
	return json_is_boolean(j) ? json_is_true(j) : dflt;
}

const char *jpath_str(const json_t *root, const char *path, const char *dflt)
{
	json_t *j = jpath(root, path);
	return json_is_string(j) ? json_string_value(j) : dflt;
}

char *fmt_hms(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
			 (long long)(s % 60));
	else
		snprintf(buf, len, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
	return buf;
}

char *fmt_short(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
	return buf;
}

char *fmt_clock(int64_t utc_ms, char *buf, size_t len)
{
	if (utc_ms <= 0) {
		snprintf(buf, len, "--:--");
		return buf;
	}
	time_t t = (time_t)(utc_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M", &tm);
	return buf;
}
