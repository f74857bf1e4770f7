/*
 * fuzz_conf.c - libFuzzer target: the configuration parser (and the GPIO
 * line sections it hands to hw/).  Any input must give errors, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct conf c;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/vanfuzz-conf.%d", (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (conf_defaults(&c) == 0) {
		conf_load(&c, path);
		conf_check(&c);
	}
	conf_fini(&c);
	return 0;
}
