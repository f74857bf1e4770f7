/*
 * vb_jf.c - struct <-> JSON by table.  See vb_jf.h.
 */
#include "vb_jf.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vb_base.h"

static json_t *save_one(const char *p, const struct vb_jf *f)
{
	switch (f->kind) {
	case VB_JF_I64: {
		int64_t v;
		memcpy(&v, p, sizeof(v));
		return v == VB_NEVER ? json_null() : json_integer((json_int_t)v);
	}
	case VB_JF_INT: {
		int v;
		memcpy(&v, p, sizeof(v));
		return json_integer(v);
	}
	case VB_JF_BOOL: {
		bool b;
		memcpy(&b, p, sizeof(b));
		return json_boolean(b);
	}
	case VB_JF_DBL: {
		double d;
		memcpy(&d, p, sizeof(d));
		return isfinite(d) ? json_real(d) : json_null();
	}
	case VB_JF_STR:
		return json_string(p);
	}
	return NULL;
}

json_t *vb_jf_save(json_t *o, const void *obj, const struct vb_jf *f, size_t n)
{
	if (!o)
		o = json_object();
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *v = save_one((const char *)obj + f[i].off, &f[i]);
		if (!v || json_object_set_new(o, f[i].name, v) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int restore_one(char *p, const struct vb_jf *f, const json_t *v)
{
	switch (f->kind) {
	case VB_JF_I64: {
		int64_t x = VB_NEVER;
		if (json_is_integer(v))
			x = (int64_t)json_integer_value(v);
		else if (!json_is_null(v))
			return -EINVAL;
		memcpy(p, &x, sizeof(x));
		return 0;
	}
	case VB_JF_INT: {
		if (!json_is_integer(v))
			return -EINVAL;
		json_int_t x = json_integer_value(v);
		if (x < INT32_MIN || x > INT32_MAX)
			return -EINVAL;
		int i = (int)x;
		memcpy(p, &i, sizeof(i));
		return 0;
	}
	case VB_JF_BOOL: {
		if (!json_is_boolean(v))
			return -EINVAL;
		bool b = json_is_true(v);
		memcpy(p, &b, sizeof(b));
		return 0;
	}
	case VB_JF_DBL: {
		double d = NAN;
		if (!json_is_null(v) && !vb_jnum(v, &d))
			return -EINVAL;
		memcpy(p, &d, sizeof(d));
		return 0;
	}
	case VB_JF_STR: {
		const char *s = vb_jstr(v);
		if (!s || strlen(s) >= f->size)
			return -EINVAL;
		memcpy(p, s, strlen(s) + 1);
		return 0;
	}
	}
	return -EINVAL;
}

int vb_jf_restore(void *obj, const struct vb_jf *f, size_t n, const json_t *j)
{
	if (!json_is_object(j))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(j, f[i].name);
		if (!v)
			continue;
		int r = restore_one((char *)obj + f[i].off, &f[i], v);
		if (r < 0)
			return r;
	}
	return 0;
}
