/*
 * vb_unit_save.c - a van's state as JSON and back (vb_unit_save,
 * vb_unit_restore).  The saved state is outside input on restore.
 */
#include "vb_unit.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "vb_jf.h"

#define F(m, k) VB_JF(struct vb_unit, m, k)
static const struct vb_jf unit_fields[] = {
	F(id, VB_JF_STR), F(first_seen, VB_JF_I64), F(avail, VB_JF_INT), F(avail_retained, VB_JF_BOOL),
	F(avail_at, VB_JF_I64), F(last_live, VB_JF_I64), F(have_state, VB_JF_BOOL),
	F(state_van, VB_JF_I64), F(state_at, VB_JF_I64), F(sess, VB_JF_INT), F(session_id, VB_JF_I64),
	F(checkin_due, VB_JF_I64), F(checkin_flagged, VB_JF_BOOL), F(planned_end, VB_JF_I64),
	F(has_fix, VB_JF_BOOL), F(lat, VB_JF_DBL), F(lon, VB_JF_DBL), F(fix_at, VB_JF_I64),
	F(has_off, VB_JF_BOOL), F(last_off, VB_JF_I64),
	F(em_active, VB_JF_BOOL), F(em_confirmed, VB_JF_BOOL), F(em_covert, VB_JF_BOOL),
	F(em_acked, VB_JF_BOOL), F(em_id, VB_JF_I64), F(em_since, VB_JF_I64), F(em_presses, VB_JF_INT),
	F(em_acked_by, VB_JF_STR), F(em_cleared_id, VB_JF_I64), F(em_topic_off, VB_JF_BOOL),
	F(em_topic_off_van, VB_JF_I64),
	F(ci_missed_van, VB_JF_I64), F(ci_missed_at, VB_JF_I64), F(ci_missed_due, VB_JF_I64),
	F(overdue_van, VB_JF_I64), F(overdue_at, VB_JF_I64), F(overdue_end, VB_JF_I64),
	F(st_failed, VB_JF_BOOL), F(st_failed_id, VB_JF_I64), F(st_failed_at, VB_JF_I64),
	F(st_running, VB_JF_BOOL), F(st_id, VB_JF_I64), F(st_since, VB_JF_I64),
	F(st_timeout_ms, VB_JF_I64), F(st_result, VB_JF_INT), F(seq_high, VB_JF_I64),
	F(power_down, VB_JF_BOOL), F(power_down_at, VB_JF_I64),
};
#undef F
#define NFIELDS (sizeof(unit_fields) / sizeof(unit_fields[0]))

json_t *vb_unit_save(const struct vb_unit *u)
{
	/* the offset samples are not kept: after a restart live messages tell
	 * them again within seconds; last_off stands in until then */
	json_t *o = vb_jf_save(NULL, u, unit_fields, NFIELDS);
	json_t *w = json_array();
	if (!o || !w)
		goto fail;
	for (int i = 0; i < VB_SEQ_WINDOW / 64; i++) {
		char hex[17];
		static const char digit[] = "0123456789abcdef";
		for (int k = 0; k < 16; k++)
			hex[k] = digit[(u->seq_win[i] >> (60 - 4 * k)) & 15];
		hex[16] = '\0';
		if (json_array_append_new(w, json_string(hex)) < 0)
			goto fail;
	}
	if (json_object_set_new(o, "seq_win", w) < 0) {
		w = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(w);
	json_decref(o);
	return NULL;
}

int vb_unit_restore(struct vb_unit *u, const json_t *j)
{
	const char *id = vb_jstr(json_object_get(j, "id"));
	vb_unit_init(u, id && vb_valid_unit(id) ? id : "");
	if (!id || !vb_valid_unit(id) || vb_jf_restore(u, unit_fields, NFIELDS, j) < 0)
		goto bad;
	if (u->avail < VB_AV_UNKNOWN || u->avail > VB_AV_OFFLINE || u->sess < VB_S_NONE ||
	    u->sess > VB_S_ENDED || u->seq_high < 0 || u->em_presses < 0 || u->st_result < 0 ||
	    u->st_result > 2 || (u->st_running && (u->st_since == VB_NEVER || u->st_timeout_ms < 0)))
		goto bad;
	if (u->em_cleared_id == VB_NEVER)
		u->em_cleared_id = 0;
	const json_t *w = json_object_get(j, "seq_win");
	if (w) {
		if (!json_is_array(w) || json_array_size(w) != VB_SEQ_WINDOW / 64)
			goto bad;
		for (size_t i = 0; i < VB_SEQ_WINDOW / 64; i++) {
			const char *s = vb_jstr(json_array_get(w, i));
			if (!s || strlen(s) != 16)
				goto bad;
			uint64_t x = 0;
			for (int k = 0; k < 16; k++) {
				char c = s[k];
				int dgt = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
				if (dgt < 0)
					goto bad;
				x = x << 4 | (uint64_t)dgt;
			}
			u->seq_win[i] = x;
		}
	}
	return 0;
bad:
	vb_unit_init(u, id && vb_valid_unit(id) ? id : "");
	return -EINVAL;
}
