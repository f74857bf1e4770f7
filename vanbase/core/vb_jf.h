/*
 * vb_jf.h - table-driven save/restore of plain structs as JSON objects
 * (the pattern of controller/core/jfields.h, on base's UTC instants: no
 * monotonic shift; VB_NEVER <-> null).  Restore treats the JSON as outside
 * input: every member's type and range is checked.
 */
#ifndef VB_CORE_JF_H
#define VB_CORE_JF_H

#include <stddef.h>

#include <jansson.h>

enum vb_jf_kind {
	VB_JF_I64,    /* int64_t; VB_NEVER <-> null */
	VB_JF_INT,    /* int */
	VB_JF_BOOL,   /* bool */
	VB_JF_DBL,    /* finite double */
	VB_JF_STR,    /* char array, NUL-terminated; too long = invalid */
};

struct vb_jf {
	const char *name;
	enum vb_jf_kind kind;
	size_t off, size;
};

#define VB_JF(type, member, kind) \
	{ #member, kind, offsetof(type, member), sizeof(((type *)0)->member) }

/* Set the members into object o (created if NULL).  NULL on ENOMEM. */
json_t *vb_jf_save(json_t *o, const void *obj, const struct vb_jf *f, size_t n);
/* Members missing from j keep their values.  0 or -EINVAL. */
int vb_jf_restore(void *obj, const struct vb_jf *f, size_t n, const json_t *j);

#endif
