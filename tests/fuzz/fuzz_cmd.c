/*
 * fuzz_cmd.c - libFuzzer target: commands from base.  The first byte picks
 * the command name (or, past the list, the rest of a line is the name); the
 * remainder is the MQTT payload.  Runs the real validation and the real core
 * behind it, with a real SQLite store and no broker.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_impl.h"
#include "log.h"

static struct app *A;

static void setup(void)
{
	static char dir[] = "/tmp/vanfuzz.XXXXXX";
	char db[256], err[256];

	if (!mkdtemp(dir))
		abort();
	snprintf(db, sizeof(db), "%s/fuzz.db", dir);
	log_init("fuzz", false, false);
	log_set_quiet(true); /* rejections are logged: keep quiet */
	A = calloc(1, sizeof(*A));
	A->conf = calloc(1, sizeof(*A->conf));
	if (conf_defaults(A->conf) < 0 || conf_set(A->conf, "fuzz", "unit", "id", "van1") < 0 ||
	    conf_set(A->conf, "fuzz", "session", "base_may_start", "true") < 0)
		abort();
	clock_init(&A->clock, CLOCK_AUTO, 0, mono_now_ms());
	A->loop = loop_new();
	if (!A->loop || !(A->st = store_open(db, false, err, sizeof(err))) || !(A->pub = publisher_new(A->conf, A->st, err, sizeof(err))) ||
	    !(A->vio = vanio_new(A->conf, A->loop, A->st, &A->clock, A->pub, err, sizeof(err))))
		abort();
	cmd_env_fill(A);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "ack", "checkin_request", "replay", "status", "session_start",
				       "session_end", "occupancy", "panic", "Ack", "", "cmd/../x" };
	const size_t nn = sizeof(names) / sizeof(names[0]);

	if (!A)
		setup();
	if (size < 1)
		return 0;
	cmd_from_base(&A->cmd, names[data[0] % nn], (const char *)data + 1, size - 1);
	/* the control-socket path too: the same bytes as a request object */
	json_t *req = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (req) {
		json_t *r = cmd_from_ctl(&A->cmd, req, 0);
		json_decref(r);
		json_decref(req);
	}
	return 0;
}
