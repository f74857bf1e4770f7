/*
 * dfmt.c - what the crew display says.  See dfmt.h.
 */
#include "dfmt.h"

#include <stdio.h>

#include "fmt.h"

enum dfmt_level dfmt_backlog(int64_t backlog, double oldest_s, bool online, char *buf, size_t len)
{
	char t[32];
	if (backlog <= 0) {
		snprintf(buf, len, "none - all delivered");
		return DFMT_QUIET;
	}
	if (online && oldest_s < DFMT_BACKLOG_WARN_S) {
		snprintf(buf, len, "up to date");
		return DFMT_QUIET;
	}
	snprintf(buf, len, "%lld message%s, oldest %s", (long long)backlog, backlog == 1 ? "" : "s",
		 fmt_hms((int64_t)oldest_s, t, sizeof(t)));
	return oldest_s >= DFMT_BACKLOG_ALARM_S ? DFMT_ALARM : DFMT_WARN;
}

char *dfmt_ago(int64_t s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "just now");
	else if (s < 3600)
		snprintf(buf, len, "%lld min ago", (long long)(s / 60));
	else
		snprintf(buf, len, "%lldh%02lldm ago", (long long)(s / 3600), (long long)(s / 60 % 60));
	return buf;
}

char *dfmt_duration(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
	return buf;
}
