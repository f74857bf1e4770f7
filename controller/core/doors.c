/*
 * doors.c - door contact levels.  See doors.h.
 */
#include "doors.h"

#include <errno.h>

#include "emit.h"

void doors_init(struct doors *ds)
{
	*ds = (struct doors){ .last_close = VAN_NEVER };
}

int doors_set(struct doors *ds, size_t line, bool open, int64_t t)
{
	size_t i;
	for (i = 0; i < ds->n; i++)
		if (ds->d[i].line == line)
			break;
	if (i == ds->n) {
		if (ds->n == DOORS_MAX)
			return -ENOSPC;
		ds->d[ds->n].line = line;
		ds->d[ds->n].open = false;
		ds->n++;
	}
	if (ds->d[i].open == open)
		return 0;
	bool was_open = doors_any_open(ds);
	ds->d[i].open = open;
	if (was_open && !doors_any_open(ds))
		ds->last_close = t;
	return open ? 1 : -1;
}

bool doors_any_open(const struct doors *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		if (ds->d[i].open)
			return true;
	return false;
}

json_t *doors_json(const struct doors *ds)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ds->n; i++) {
		json_t *o = json_object();
		if (!o)
			break;
		jset_int(o, "line", (int64_t)ds->d[i].line);
		jset_bool(o, "open", ds->d[i].open);
		json_array_append_new(a, o);
	}
	return a;
}
