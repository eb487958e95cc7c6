/* SPDX-License-Identifier: MIT */
/*
 * inspect_fixture - make or remove the segment that inspect_cli.sh runs
 * zeroipc-inspect on (contents: inspect_fixture.h).
 *
 *   inspect_fixture create NAME   create NAME and fill it; exit 0 or 1
 *   inspect_fixture unlink NAME   remove NAME if it exists; exit 0 or 1
 */
#include <stdio.h>
#include <string.h>

#include "inspect_fixture.h"

int main(int argc, char **argv)
{
	zeroipc_memory *mem;
	int rc;

	if (argc == 3 && strcmp(argv[1], "create") == 0) {
		if (fixture_create(&mem, argv[2]) != ZEROIPC_OK)
			return 1;
		zeroipc_memory_close(mem);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "unlink") == 0) {
		rc = zeroipc_memory_unlink(argv[2]);
		if (rc != ZEROIPC_OK && rc != ZEROIPC_ENOT_FOUND) {
			fprintf(stderr, "inspect_fixture: unlink %s: %s (%s)\n",
				argv[2], zeroipc_strerror(rc),
				zeroipc_last_error());
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: inspect_fixture create|unlink NAME\n");
	return 2;
}
