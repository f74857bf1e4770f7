/*
 * test_review_cli.c - review_cli: runs the review subcommands through
 * review_main() without vanctl's dispatcher, for the integration tests
 * (tests/integration/it_4x_review*.sh) and valgrind runs.
 *
 *   review_cli SUBCOMMAND [OPTIONS] [ARGS]
 */
#include "review.h"

int main(int argc, char **argv)
{
	return review_main(argc - 1, argv + 1);
}
