/*
 * jfields.h - table-driven save/restore of plain structs as JSON objects.
 *
 * The van's persistent state (van_save/van_restore) is a handful of plain
 * structs.  Rather than hand-write two functions per struct, each module
 * lists its persistent members once in a table of struct jfield; jf_save and
 * jf_restore walk it.  Monotonic instants (JF_MONO) are shifted on restore by
 * the offset the shell computed (a reboot restarts CLOCK_MONOTONIC) and
 * VAN_NEVER is stored as null.  Restore validates every type: the saved
 * state comes from a file and is treated as outside input.
 */
#ifndef VAN_CORE_JFIELDS_H
#define VAN_CORE_JFIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum jf_kind {
	JF_I64,    /* int64_t */
	JF_MONO,   /* int64_t monotonic instant: shifted on restore, VAN_NEVER <-> null */
	JF_INT,    /* int or enum (by size: 4 or 8 bytes) */
	JF_UINT,   /* unsigned (4 or 8 bytes) */
	JF_BOOL,   /* bool */
	JF_DBL,    /* double, NaN <-> null */
	JF_STR,    /* char array, NUL-terminated, truncated to fit */
};

struct jfield {
	const char *name;
	enum jf_kind kind;
	size_t off, size;
};

#define JF(type, member, kind) \
	{ #member, kind, offsetof(type, member), sizeof(((type *)0)->member) }

/* A new object with the table's members of obj; NULL on ENOMEM. */
json_t *jf_save(const void *obj, const struct jfield *f, size_t n);

/* Set the table's members of obj from object j.  Members missing from j are
 * left as they are.  Returns 0, or -EINVAL when j is not an object or a
 * member has the wrong type (obj may then be partly set). */
int jf_restore(void *obj, const struct jfield *f, size_t n, const json_t *j,
	       int64_t mono_shift_ms);

#endif
