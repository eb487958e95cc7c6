# SPDX-License-Identifier: MIT
# Warnings for the library's own sources (not imposed on consumers).
function(zeroipc_set_warnings target)
	target_compile_options(${target} PRIVATE
		-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
		-Wpointer-arith -Wcast-align -Wformat=2 -Wundef -Werror=implicit-function-declaration)
endfunction()
