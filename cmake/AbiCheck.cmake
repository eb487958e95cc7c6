# SPDX-License-Identifier: MIT
# ABI checking support; the tests themselves are in tests/abi.
#
# abi/libzeroipc.abi is the abidw dump of the library's public types and
# functions, read from DWARF.  The library therefore always carries debug
# info, whatever the build type; -g does not change the generated code.
target_compile_options(zeroipc_objects PRIVATE -g)

find_program(ZEROIPC_READELF readelf)
find_program(ZEROIPC_ABIDW abidw)
find_program(ZEROIPC_ABIDIFF abidiff)

# `cmake --build <dir> --target abi-baseline` (or abi/update-baseline)
# rewrites abi/libzeroipc.abi from the library just built.  The dump options
# live only in tests/abi/abi_baseline.sh, so check and update cannot drift.
add_custom_target(abi-baseline
	COMMAND bash ${PROJECT_SOURCE_DIR}/tests/abi/abi_baseline.sh update
		$<TARGET_FILE:zeroipc> ${PROJECT_SOURCE_DIR}/include
		${PROJECT_SOURCE_DIR}/abi/libzeroipc.abi
	DEPENDS zeroipc
	COMMENT "Regenerating abi/libzeroipc.abi with abidw"
	VERBATIM)
