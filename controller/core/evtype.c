/*
 * evtype.c - the event type names.  See evtype.h.
 */
#include "evtype.h"

#include <string.h>

static const char *const names[EV_T__COUNT] = {
#define EV_NAME(e, name) [e] = name,
	EV_TYPES(EV_NAME)
#undef EV_NAME
};

const char *ev_type_name(enum ev_type t)
{
	return (unsigned)t < EV_T__COUNT ? names[t] : "?";
}

int ev_type_of(const char *name)
{
	for (int i = 0; name && i < EV_T__COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

bool ev_type_is_emergency(enum ev_type t)
{
	const char *n = ev_type_name(t);
	return !strncmp(n, "emergency.", 10) || !strncmp(n, "selftest.", 9);
}
