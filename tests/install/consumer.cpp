// SPDX-License-Identifier: MIT
//
// consumer.cpp - the C++ twin of consumer.c: the installed headers must be
// usable from C++ (extern "C", no C-only constructs) and link as such.
//
// Usage: consumer_cxx TAG
#include <zeroipc.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

struct memory_closer {
	void operator()(zeroipc_memory *m) const { zeroipc_memory_close(m); }
};
struct array_closer {
	void operator()(zeroipc_array *a) const { zeroipc_array_close(a); }
};
using memory_ptr = std::unique_ptr<zeroipc_memory, memory_closer>;
using array_ptr = std::unique_ptr<zeroipc_array, array_closer>;

// Unlinks the segment however the round trip ends.
struct segment_name {
	std::string name;
	~segment_name() { zeroipc_memory_unlink(name.c_str()); }
};

bool check(const char *what, int rc)
{
	if (rc == ZEROIPC_OK)
		return true;
	std::fprintf(stderr, "consumer_cxx: %s: %s (%s)\n", what,
		     zeroipc_strerror(rc), zeroipc_last_error());
	return false;
}

bool round_trip(const std::string &name)
{
	zeroipc_memory *raw_mem = nullptr;
	zeroipc_array *raw_arr = nullptr;
	const double value = 23.5;
	double read_back = 0.0;

	if (!check("zeroipc_memory_create",
		   zeroipc_memory_create(&raw_mem, name.c_str(), 1 << 20,
					 nullptr)))
		return false;
	segment_name guard{name};
	memory_ptr mem(raw_mem);

	if (!check("zeroipc_array_create",
		   zeroipc_array_create(&raw_arr, mem.get(), "values",
					sizeof(double), 16)))
		return false;
	array_ptr arr(raw_arr);
	if (!check("zeroipc_array_set",
		   zeroipc_array_set(arr.get(), 3, &value)))
		return false;

	// Read through a second, independent mapping found by name.
	if (!check("zeroipc_memory_open",
		   zeroipc_memory_open(&raw_mem, name.c_str(),
				       ZEROIPC_OPEN_READONLY)))
		return false;
	memory_ptr mem2(raw_mem);
	if (!check("zeroipc_array_open",
		   zeroipc_array_open(&raw_arr, mem2.get(), "values",
				      sizeof(double))))
		return false;
	array_ptr arr2(raw_arr);
	if (!check("zeroipc_array_get",
		   zeroipc_array_get(&read_back, arr2.get(), 3)))
		return false;
	if (read_back != value) {
		std::fprintf(stderr, "consumer_cxx: read %g, wrote %g\n",
			     read_back, value);
		return false;
	}
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	const char *lib_version = zeroipc_version_string();

	if (zeroipc_version() != ZEROIPC_VERSION_NUMBER ||
	    std::strcmp(lib_version, ZEROIPC_VERSION_STRING) != 0) {
		std::fprintf(stderr, "consumer_cxx: library %s, headers %s\n",
			     lib_version, ZEROIPC_VERSION_STRING);
		return 1;
	}
	std::string name = "/zeroipc-install-" +
			   std::string(argc > 1 ? argv[1] : "cxx") + "-" +
			   std::to_string(static_cast<long>(getpid()));
	if (!round_trip(name))
		return 1;
	std::printf("consumer (C++): libzeroipc %s round trip ok\n",
		    zeroipc_version_string());
	return 0;
}
