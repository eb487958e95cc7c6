/* SPDX-License-Identifier: MIT */
/*
 * Scenario "quickstart": the README example under a unique name.
 *
 * The writer does what examples/sensor_producer.c does: a 10 MiB segment
 * with a float Array "temperature" of 1000 elements, 23.5 at index 0.  The
 * reader opens it as the README's consumer does and expects 23.5 there and
 * zeros elsewhere.
 */
#include "interop.h"

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	zeroipc_array *temps;
	float value = 23.5f;

	IC_OK(zeroipc_memory_create(&mem, name, 10 * 1024 * 1024, NULL));
	IC_OK(zeroipc_array_create(&temps, mem, "temperature", sizeof(float),
				   1000));
	IC_OK(zeroipc_array_set(temps, 0, &value));
	zeroipc_array_close(temps);
	zeroipc_memory_close(mem);
	ic_signal_ready(fifo);
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_array *temps;
	float value;
	uint32_t i;

	IC_OK(zeroipc_memory_open(&mem, name, 0));
	IC_OK(zeroipc_array_open(&temps, mem, "temperature", sizeof(float)));
	ic_expect(zeroipc_memory_size(mem) == 10 * 1024 * 1024,
		  "segment size %llu",
		  (unsigned long long)zeroipc_memory_size(mem));
	ic_expect(zeroipc_array_capacity(temps) == 1000, "capacity %llu",
		  (unsigned long long)zeroipc_array_capacity(temps));
	for (i = 0; i < 1000; i++) {
		IC_OK(zeroipc_array_get(&value, temps, i));
		ic_expect(value == (i == 0 ? 23.5f : 0.0f),
			  "temperature[%u] = %g", i, (double)value);
	}
	printf("%.1f\n", (double)value);
	zeroipc_array_close(temps);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
