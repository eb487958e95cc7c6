/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a program built against the *installed* libzeroipc, by
 * tests/install with pkg-config and with find_package(zeroipc).  It includes
 * only <zeroipc.h> and does one round trip through a segment, so a wrong
 * include path, link line, SONAME or library fails here.
 *
 * Usage: consumer TAG   (TAG makes the segment name unique per variant)
 */
#define _POSIX_C_SOURCE 200809L
#include <zeroipc.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "consumer: %s: %s (%s)\n", what, zeroipc_strerror(rc),
		zeroipc_last_error());
	return 1;
}

static int round_trip(const char *name)
{
	zeroipc_memory *mem = NULL, *mem2 = NULL;
	zeroipc_array *arr = NULL, *arr2 = NULL;
	double value = 23.5, read_back = 0.0;
	int rc;

	rc = zeroipc_memory_create(&mem, name, 1 << 20, NULL);
	if (rc != ZEROIPC_OK)
		return fail("zeroipc_memory_create", rc);
	rc = zeroipc_array_create(&arr, mem, "values", sizeof(double), 16);
	if (rc == ZEROIPC_OK)
		rc = zeroipc_array_set(arr, 3, &value);
	if (rc != ZEROIPC_OK) {
		fail("zeroipc_array_create/set", rc);
		goto out;
	}

	/* Read through a second, independent mapping found by name. */
	rc = zeroipc_memory_open(&mem2, name, ZEROIPC_OPEN_READONLY);
	if (rc == ZEROIPC_OK)
		rc = zeroipc_array_open(&arr2, mem2, "values", sizeof(double));
	if (rc == ZEROIPC_OK)
		rc = zeroipc_array_get(&read_back, arr2, 3);
	if (rc != ZEROIPC_OK) {
		fail("reopen and read", rc);
		goto out;
	}
	if (read_back != value) {
		fprintf(stderr, "consumer: read %g, wrote %g\n", read_back,
			value);
		rc = ZEROIPC_ECORRUPT;
	}
out:
	zeroipc_array_close(arr2);
	zeroipc_memory_close(mem2);
	zeroipc_array_close(arr);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(name);
	return rc == ZEROIPC_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	char name[ZEROIPC_MEMORY_NAME_MAX + 1];

	/* Headers and library come from the same install: versions agree. */
	if (zeroipc_version() != ZEROIPC_VERSION_NUMBER ||
	    strcmp(zeroipc_version_string(), ZEROIPC_VERSION_STRING) != 0) {
		fprintf(stderr, "consumer: library %s, headers %s\n",
			zeroipc_version_string(), ZEROIPC_VERSION_STRING);
		return 1;
	}
	snprintf(name, sizeof(name), "/zeroipc-install-%s-%ld",
		 argc > 1 ? argv[1] : "c", (long)getpid());
	if (round_trip(name) != 0)
		return 1;
	printf("consumer (C): libzeroipc %s round trip ok\n",
	       zeroipc_version_string());
	return 0;
}
