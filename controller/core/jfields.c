/*
 * jfields.c - table-driven struct <-> JSON.  See jfields.h.
 */
#include "jfields.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "emit.h"

static json_t *save_one(const char *p, const struct jfield *f)
{
	int64_t i64;
	switch (f->kind) {
	case JF_I64:
		memcpy(&i64, p, sizeof(i64));
		return json_integer((json_int_t)i64);
	case JF_MONO:
		memcpy(&i64, p, sizeof(i64));
		return i64 == VAN_NEVER ? json_null() : json_integer((json_int_t)i64);
	case JF_INT:
		if (f->size == sizeof(int32_t)) {
			int32_t v;
			memcpy(&v, p, sizeof(v));
			return json_integer(v);
		}
		memcpy(&i64, p, sizeof(i64));
		return json_integer((json_int_t)i64);
	case JF_UINT:
		if (f->size == sizeof(uint32_t)) {
			uint32_t v;
			memcpy(&v, p, sizeof(v));
			return json_integer((json_int_t)v);
		} else {
			uint64_t v;
			memcpy(&v, p, sizeof(v));
			return json_integer((json_int_t)v);
		}
	case JF_BOOL: {
		bool b;
		memcpy(&b, p, sizeof(b));
		return json_boolean(b);
	}
	case JF_DBL: {
		double d;
		memcpy(&d, p, sizeof(d));
		return isfinite(d) ? json_real(d) : json_null();
	}
	case JF_STR:
		return json_string(p);
	}
	return NULL;
}

json_t *jf_save(const void *obj, const struct jfield *f, size_t n)
{
	json_t *o = json_object();
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

static int restore_int(char *p, const struct jfield *f, const json_t *v)
{
	if (!json_is_integer(v))
		return -EINVAL;
	json_int_t x = json_integer_value(v);
	if (f->size == sizeof(int32_t)) {
		if (f->kind == JF_UINT ? (x < 0 || x > UINT32_MAX) : (x < INT32_MIN || x > INT32_MAX))
			return -EINVAL;
		if (f->kind == JF_UINT) {
			uint32_t u = (uint32_t)x;
			memcpy(p, &u, sizeof(u));
		} else {
			int32_t s = (int32_t)x;
			memcpy(p, &s, sizeof(s));
		}
		return 0;
	}
	if (f->size != sizeof(int64_t) || (f->kind == JF_UINT && x < 0))
		return -EINVAL;
	int64_t s = (int64_t)x;
	memcpy(p, &s, sizeof(s));
	return 0;
}

static int restore_one(char *p, const struct jfield *f, const json_t *v, int64_t shift)
{
	switch (f->kind) {
	case JF_MONO: {
		int64_t m = VAN_NEVER;
		if (!json_is_null(v)) {
			if (!json_is_integer(v))
				return -EINVAL;
			m = (int64_t)json_integer_value(v) + shift;
		}
		memcpy(p, &m, sizeof(m));
		return 0;
	}
	case JF_I64:
	case JF_INT:
	case JF_UINT:
		return restore_int(p, f, v);
	case JF_BOOL: {
		if (!json_is_boolean(v))
			return -EINVAL;
		bool b = json_is_true(v);
		memcpy(p, &b, sizeof(b));
		return 0;
	}
	case JF_DBL: {
		double d = NAN;
		if (json_is_number(v))
			d = json_number_value(v);
		else if (!json_is_null(v))
			return -EINVAL;
		memcpy(p, &d, sizeof(d));
		return 0;
	}
	case JF_STR: {
		if (!json_is_string(v) || f->size == 0)
			return -EINVAL;
		size_t len = strlen(json_string_value(v));
		if (len >= f->size)
			len = f->size - 1;
		memcpy(p, json_string_value(v), len);
		p[len] = '\0';
		return 0;
	}
	}
	return -EINVAL;
}

int jf_restore(void *obj, const struct jfield *f, size_t n, const json_t *j,
	       int64_t mono_shift_ms)
{
	if (!json_is_object(j))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(j, f[i].name);
		if (!v)
			continue;
		int r = restore_one((char *)obj + f[i].off, &f[i], v, mono_shift_ms);
		if (r < 0)
			return r;
	}
	return 0;
}
