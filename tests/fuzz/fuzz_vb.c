/*
 * fuzz_vb.c - libFuzzer target: vanbase's core fed by the broker.  The
 * input is a script of messages: each starts with a byte picking the van
 * (bit 0), the topic (bits 1-3), retained (bit 4) and a clock step (bits
 * 5-7: 0 to 7 x 37 s), then a 16-bit length and that many payload bytes.
 * Between messages the core is ticked at its deadlines; at the end its
 * state is saved, restored into a second core and both are freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/vbcore.h"

static void roster(struct vb_roster *r)
{
	memset(r, 0, sizeof(*r));
	struct vb_contact *c = &r->contacts[r->ncontacts++];
	strcpy(c->name, "on");
	strcpy(c->channels[c->nchannels++], "sms");
	c = &r->contacts[r->ncontacts++];
	strcpy(c->name, "t");
	c->test = true;
	strcpy(c->channels[c->nchannels++], "sms");
	strcpy(r->rota[r->nrota].role, "r");
	strcpy(r->rota[r->nrota++].contact, "on");
	strcpy(r->test_rota[r->ntest_rota].role, "r");
	strcpy(r->test_rota[r->ntest_rota++].contact, "t");
	for (int k = 0; k < VB_K__COUNT; k++) {
		struct vb_chain *ch = &r->chains[k];
		struct vb_step *s = &ch->steps[ch->nsteps++];
		strcpy(s->targets[0].name, "r");
		s->targets[0].role = true;
		s->ntargets = 1;
		s = &ch->steps[ch->nsteps++];
		s->at_ms = 60000;
		strcpy(s->targets[0].name, "on");
		s->ntargets = 1;
		ch->repeat_ms = 120000;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vb_roster r;
	struct vb_params p;
	vb_params_default(&p);
	roster(&r);
	vb_t *vb = vb_new(&p, &r);
	if (!vb)
		abort();
	vb_unit_add(vb, "van1");
	vb_unit_add(vb, "van2");
	struct vb_time now = { .utc_ms = 1750104000000LL, .local_mow = 1200 };
	vb_link(vb, &now, true);
	size_t i = 0;
	while (i + 3 <= size) {
		uint8_t h = data[i];
		size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		now.utc_ms += (h >> 5) * 37000;
		for (int64_t d; (d = vb_next_deadline(vb)) >= 0 && d <= now.utc_ms;) {
			struct vb_time t = { .utc_ms = d, .local_mow = now.local_mow };
			vb_tick(vb, &t);
			vb_outq_clear(vb_outq(vb));
		}
		vb_message(vb, &now, h & 1 ? "van2" : "van1", (enum vb_topic)((h >> 1) & 7),
			   (const char *)data + i, len, (h >> 4) & 1, NULL);
		struct vb_outq *q = vb_outq(vb);
		for (size_t k = 0; k < q->n; k++) {
			json_t *j = q->v[k].kind == VB_OUT_NOTIFY ? vb_notify_json(&q->v[k].u.n, true)
								  : vb_audit_json(&q->v[k].u.a);
			if (!j)
				abort();   /* every decision must be representable */
			json_decref(j);
		}
		vb_outq_clear(q);
		i += len;
	}
	json_t *s = vb_save(vb);
	if (!s)
		abort();
	vb_t *again = vb_new(&p, &r);
	vb_unit_add(again, "van1");
	vb_unit_add(again, "van2");
	if (vb_restore(again, s, NULL) < 0)
		abort();   /* what the core saved, it must take back */
	json_decref(s);
	vb_free(again);
	vb_free(vb);
	return 0;
}
