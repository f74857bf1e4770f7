/*
 * vbroster.h - the people and the escalation from vanbase's config: the
 * [channel.NAME], [contact.NAME], [rota], [test_rota] and [chain.KIND]
 * sections (docs/escalation.md) into the core's roster (core/vb_rota.h)
 * and the channels' definitions (notify/notify.h), with every problem as
 * FILE:LINE.  Read at start and again on SIGHUP.
 *
 *   [channel.mail]            kind = email | webhook | command, and its keys
 *   [contact.sam]             test = false; CHANNEL = address on it (e.g. mail = sam@example.org)
 *   [rota]                    ROLE = CONTACT WHEN   (WHEN: always | daily 18:00-08:00 |
 *                             mon 18:00-tue 08:00); the first matching line wins
 *   [test_rota]               the same, for drills, naming only test contacts
 *   [chain.emergency]         step = OFFSET TARGET[,TARGET...] [via CHANNEL[,CHANNEL...]]
 *                             repeat = 5m, repeat_last = false, max_rounds = 0
 */
#ifndef VB_ROSTER_H
#define VB_ROSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/vbcore.h"
#include "notify/notify.h"
#include "vbconf.h"

/* A contact's address on a channel ("to" of the request). */
struct vbroster_addr {
	char contact[VB_NAME_MAX];
	char channel[VB_NAME_MAX];
	char *to;                       /* NULL: the channel's default recipient */
};

struct vbroster {
	struct vb_roster roster;
	struct notify_channel_conf *channels;
	size_t nchannels;
	struct vbroster_addr *addrs;
	size_t naddrs;
	char **strings;                 /* what the channel definitions point into */
	size_t nstrings;
	void **blocks;                  /* argv, field and recipient arrays */
	size_t nblocks;
};

/* Fill r from c's entries.  Problems are appended to c's report (FILE:LINE).
 * Returns the number of problems (0: r is usable).  r must be zeroed or
 * freed before. */
int vbroster_read(struct vbconf *c, struct vbroster *r);
/* The address of contact on channel, NULL for the channel's default. */
const char *vbroster_to(const struct vbroster *r, const char *contact, const char *channel);
void vbroster_fini(struct vbroster *r);

#endif
