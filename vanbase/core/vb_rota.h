/*
 * vb_rota.h - the people on call: contacts, the weekly rota, the test
 * roster for drills, and the escalation chains per alarm kind.  Plain
 * values the shell fills from its config (and again on SIGHUP); the core
 * copies them.
 *
 * Contacts: a name and the channels they can be reached on (channel names
 * the shell maps to notify/ channels, e.g. "sms", "mail", "ntfy").  A
 * contact marked test belongs to the test roster: drills reach only test
 * contacts, and live alarms never reach a test contact through the rota of
 * drills.
 *
 * Rota: weekly slots in base's local time, [from, to) in minutes of the
 * week (Monday 00:00 = 0; to < from wraps over Sunday midnight; from == to
 * = the whole week): in a slot, contact C holds role R.  The first slot
 * that matches wins, so list exceptions before the standing rule.  Roles
 * are resolved when a step fires (a step after a handover reaches whoever
 * is on call then).  The test rota is the same for drills.
 *
 * Chains: per alarm kind, steps at offset at_ms after the raise, each to
 * targets (a role, or a contact by name) on channels (none listed = every
 * channel of the contact).  After the last step, with repeat_ms > 0: the
 * whole chain again (round r starts at r * (last.at_ms + repeat_ms)), or
 * with repeat_last only the last step every repeat_ms; max_rounds (0 =
 * until acknowledged) bounds the repeats.  An acknowledgement stops the
 * chain; resolution sends an all-clear to every contact and channel that
 * was sent a notification.  A kind with no steps notifies nobody (its
 * alarms are still raised, stored and published).  Drills use the chain of
 * VB_K_DRILL, or the emergency chain if that has no steps.
 */
#ifndef VB_CORE_ROTA_H
#define VB_CORE_ROTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_base.h"

#define VB_CONTACTS_MAX 64
#define VB_CONTACT_CHANNELS 6
#define VB_SLOTS_MAX 128
#define VB_STEPS_MAX 8
#define VB_STEP_TARGETS 4
#define VB_STEP_CHANNELS 6

struct vb_contact {
	char name[VB_NAME_MAX];
	char channels[VB_CONTACT_CHANNELS][VB_NAME_MAX];
	int nchannels;
	bool test;                    /* on the test roster (drills only) */
};

struct vb_slot {
	char role[VB_NAME_MAX];
	char contact[VB_NAME_MAX];
	int from_mow, to_mow;         /* [from, to) minutes of the week, local time */
};

struct vb_target {
	char name[VB_NAME_MAX];
	bool role;                    /* true: a rota role; false: a contact */
};

struct vb_step {
	int64_t at_ms;                /* after the raise */
	struct vb_target targets[VB_STEP_TARGETS];
	int ntargets;
	char channels[VB_STEP_CHANNELS][VB_NAME_MAX];
	int nchannels;                /* 0 = all of the contact's */
};

struct vb_chain {
	struct vb_step steps[VB_STEPS_MAX];
	int nsteps;                   /* at_ms strictly increasing */
	int64_t repeat_ms;            /* 0 = no repeat */
	bool repeat_last;             /* repeat only the last step (else the whole chain) */
	int max_rounds;               /* repeats after the first round; 0 = until acknowledged */
};

struct vb_roster {
	struct vb_contact contacts[VB_CONTACTS_MAX];
	int ncontacts;
	struct vb_slot rota[VB_SLOTS_MAX];
	int nrota;
	struct vb_slot test_rota[VB_SLOTS_MAX];
	int ntest_rota;
	struct vb_chain chains[VB_K__COUNT];
};

/* Every problem of r, one call of bad per problem (what: e.g.
 * "rota[3].contact", why: a static phrase).  Returns the number found. */
int vb_roster_check(const struct vb_roster *r,
		    void (*bad)(void *ctx, const char *what, int index, const char *why), void *ctx);

/* The contact named name, or NULL. */
const struct vb_contact *vb_contact_find(const struct vb_roster *r, const char *name);

/* Who holds role at minute of week mow: the first matching slot's contact
 * (in the test rota if drill), or NULL (a gap in the rota). */
const struct vb_contact *vb_rota_who(const struct vb_roster *r, const char *role, int mow,
				     bool drill);

/* "Mon 18:00" (Mon Tue Wed Thu Fri Sat Sun, HH:MM) -> minute of the week,
 * or -1. */
int vb_mow_parse(const char *s);
/* A slot's times from "Mon 18:00-Tue 08:00" (to before from wraps over
 * Sunday midnight), or "always" (the whole week).  0 or -EINVAL. */
int vb_slot_times(const char *s, int *from_mow, int *to_mow);

/* The chain for kind k (drills fall back to the emergency chain). */
const struct vb_chain *vb_chain_for(const struct vb_roster *r, enum vb_kind k);

/* Does contact c take channel ch (one of its own, and one the step
 * names, if it names any)? */
bool vb_step_channel(const struct vb_step *s, const struct vb_contact *c, const char *ch);

#endif
