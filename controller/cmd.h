/*
 * cmd.h - the van's commands, from the control socket (vanctl, the crew
 * display) and from base (MQTT): validated, run through the core, answered.
 *
 * cmd.c sees only this environment, not the whole shell: the core, the
 * store (replays, the "not stored" warning), the GPIO lines (the sim
 * command), the uplink (replies to base), the clock, and two calls back
 * into the shell.  The shell fills it once everything exists.
 */
#ifndef VAN_CMD_H
#define VAN_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "core/van.h"
#include "hw/gpio.h"
#include "store.h"
#include "uplink.h"

#define CMD_SEEN 256                 /* base commands remembered against repeats */

/* A base command carried out (or refused) recently: its id and time. */
struct cmd_seen {
	char id[72];                 /* "s:TEXT" or "n:NUMBER"; "" = free */
	int64_t time_ms;             /* its "time", 0 without */
	int64_t mono_ms;             /* when it came */
};

struct cmd_env {
	const struct conf *conf;
	van_t *van;
	store_t *st;
	gpio_t *gpio;                /* NULL: no lines (the sim command is refused) */
	uplink_t *up;                /* NULL: no broker */
	struct clock_ref *clock;
	const uint64_t *events_unstored;   /* the shell's count of events the store refused */
	void (*after)(void *arg);          /* after every call into the core */
	json_t *(*snapshot)(void *arg, bool for_base);   /* the state snapshot (new) */
	void *arg;
	/* cmd.c's own */
	struct cmd_seen seen[CMD_SEEN];
	size_t seen_next;
};

/* Run one command (control socket or base).  args: the request object (may
 * hold "cmd", "id", "v", "unit": ignored here).  Returns a new reply object
 * {"ok":...}. */
json_t *cmd_run(struct cmd_env *env, const char *name, const json_t *args, enum van_source src);
/* Base: a command message on PREFIX/UNIT/cmd/NAME, validated and answered
 * on PREFIX/UNIT/reply.  arg: the struct cmd_env. */
void cmd_from_base(void *arg, const char *name, const char *payload, size_t len);
/* Control socket handler (see ctl.h).  arg: the struct cmd_env. */
json_t *cmd_from_ctl(void *arg, const json_t *req, int client_uid);

#endif
