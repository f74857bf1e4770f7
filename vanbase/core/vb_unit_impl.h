/*
 * vb_unit_impl.h - what vb_unit.c shares with vb_rules.c (not for the shell).
 */
#ifndef VB_CORE_UNIT_IMPL_H
#define VB_CORE_UNIT_IMPL_H

#include "vb_unit.h"

/* The van's clock offset (van - base, ms) at now: the largest sample of
 * the window, else the last known; false if never measured (off = 0). */
bool vb_unit_offset(const struct vb_unit *u, const struct vb_rule_params *p, int64_t now,
		    int64_t *off);
/* A van time that happened, on base's clock, never after now. */
int64_t vb_unit_past_base(const struct vb_unit *u, const struct vb_rule_params *p, int64_t van_ms,
			  int64_t now);

#endif
