/* SPDX-License-Identifier: MIT */
/*
 * sensor_producer - quick-start producer.
 *
 * Creates the segment /sensor_data (10 MiB) holding a float array
 * "temperature" of 1000 elements, stores 23.5 at index 0 and exits.  The
 * segment outlives this process, so another process can read it later
 * (sensor_consumer, or examples/sensor_consumer.py).
 *
 * `sensor_producer --unlink` removes the segment again.
 */
#include <stdio.h>
#include <string.h>

#include <zeroipc.h>

static int report(const char *what, int rc)
{
	fprintf(stderr, "sensor_producer: %s: %s (%s)\n", what,
		zeroipc_strerror(rc), zeroipc_last_error());
	return 1;
}

int main(int argc, char **argv)
{
	zeroipc_memory *mem;
	zeroipc_array *temps;
	float value = 23.5f;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--unlink") == 0) {
		rc = zeroipc_memory_unlink("/sensor_data");
		if (rc != ZEROIPC_OK && rc != ZEROIPC_ENOT_FOUND)
			return report("unlink /sensor_data", rc);
		return 0;
	}

	rc = zeroipc_memory_create(&mem, "/sensor_data", 10 * 1024 * 1024,
				   NULL);
	if (rc != ZEROIPC_OK)
		return report("create /sensor_data", rc);

	rc = zeroipc_array_create(&temps, mem, "temperature", sizeof(float),
				  1000);
	if (rc != ZEROIPC_OK) {
		zeroipc_memory_close(mem);
		return report("create array temperature", rc);
	}

	rc = zeroipc_array_set(temps, 0, &value);
	zeroipc_array_close(temps);
	zeroipc_memory_close(mem);
	if (rc != ZEROIPC_OK)
		return report("set temperature[0]", rc);

	printf("producer: wrote temperature[0] = %.1f to /sensor_data\n",
	       value);
	return 0;
}
