/* SPDX-License-Identifier: MIT */
/*
 * sensor_consumer - quick-start consumer.
 *
 * Opens /sensor_data read-only, finds the float array "temperature" by name
 * and prints element 0.  The element type is not stored in the segment: the
 * consumer states it (sizeof(float)) and the library checks that the array's
 * size agrees.
 */
#include <stdio.h>

#include <zeroipc.h>

static int report(const char *what, int rc)
{
	fprintf(stderr, "sensor_consumer: %s: %s (%s)\n", what,
		zeroipc_strerror(rc), zeroipc_last_error());
	return 1;
}

int main(void)
{
	zeroipc_memory *mem;
	zeroipc_array *temps;
	float value;
	int rc;

	rc = zeroipc_memory_open(&mem, "/sensor_data", ZEROIPC_OPEN_READONLY);
	if (rc != ZEROIPC_OK)
		return report("open /sensor_data", rc);

	rc = zeroipc_array_open(&temps, mem, "temperature", sizeof(float));
	if (rc != ZEROIPC_OK) {
		zeroipc_memory_close(mem);
		return report("open array temperature", rc);
	}

	rc = zeroipc_array_get(&value, temps, 0);
	zeroipc_array_close(temps);
	zeroipc_memory_close(mem);
	if (rc != ZEROIPC_OK)
		return report("get temperature[0]", rc);

	printf("consumer: temperature[0] = %.1f\n", value);
	return 0;
}
