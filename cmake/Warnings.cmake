# SPDX-License-Identifier: MIT
# Warnings for the library's own sources (not imposed on consumers).
# ZEROIPC_WERROR=ON (set by ./dev test for the plain build) turns them into
# errors, so a warning fails CI instead of accumulating.
option(ZEROIPC_WERROR "Treat warnings in the library's sources as errors" OFF)

function(zeroipc_set_warnings target)
	target_compile_options(${target} PRIVATE
		-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
		-Wpointer-arith -Wcast-align -Wformat=2 -Wundef -Werror=implicit-function-declaration
		$<$<BOOL:${ZEROIPC_WERROR}>:-Werror>)
endfunction()
