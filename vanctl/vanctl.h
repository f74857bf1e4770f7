/*
 * vanctl.h - what vanctl's own files share (not the review commands).
 */
#ifndef VAN_VANCTL_H
#define VAN_VANCTL_H

#include <stdio.h>

#include <jansson.h>

/* Exit codes, documented in `vanctl --help` and docs/control.md. */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,      /* the daemon refused (reason printed) */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_UNREACHABLE = 3,  /* cannot reach the daemon */
};

/* `vanctl status` for a person (s: the status result). */
void print_status(FILE *out, const json_t *s);

#endif
