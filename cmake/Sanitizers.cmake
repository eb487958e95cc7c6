# SPDX-License-Identifier: MIT
# ZEROIPC_SANITIZE=address builds with ASan+UBSan, =thread with TSan.
if(ZEROIPC_SANITIZE STREQUAL "address")
	set(ZEROIPC_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(ZEROIPC_SANITIZE STREQUAL "thread")
	set(ZEROIPC_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
	# GCC warns at every use that TSan does not model atomic_thread_fence.
	# Our fences order futex handshakes and the Map seqlock, whose key and
	# value words are themselves relaxed atomics, so TSan still sees every
	# shared access as atomic; the warning is noise.  (Clang has no such
	# warning, nor the option.)
	if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
		list(APPEND ZEROIPC_SANITIZER_FLAGS -Wno-tsan)
	endif()
elseif(ZEROIPC_SANITIZE STREQUAL "")
	set(ZEROIPC_SANITIZER_FLAGS "")
else()
	message(FATAL_ERROR "ZEROIPC_SANITIZE must be '', 'address' or 'thread'")
endif()

function(zeroipc_apply_sanitizers target)
	if(ZEROIPC_SANITIZER_FLAGS)
		target_compile_options(${target} PRIVATE ${ZEROIPC_SANITIZER_FLAGS})
		target_link_options(${target} PRIVATE ${ZEROIPC_SANITIZER_FLAGS})
	endif()
endfunction()

# ZEROIPC_SANITIZER_ENV: what a test that runs the library inside a program
# built without the sanitizer (the Python interpreter) adds to its
# environment.  ASan must be the first runtime in the process, so it is
# preloaded; leak checks are off, since the interpreter keeps its heap at
# exit on purpose.  Empty where no such run is supported: TSan cannot be
# preloaded into an uninstrumented interpreter reliably.
set(ZEROIPC_SANITIZER_ENV "")
if(ZEROIPC_SANITIZE STREQUAL "address")
	execute_process(
		COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
		OUTPUT_VARIABLE zeroipc_libasan
		OUTPUT_STRIP_TRAILING_WHITESPACE)
	if(IS_ABSOLUTE "${zeroipc_libasan}" AND EXISTS "${zeroipc_libasan}")
		set(ZEROIPC_SANITIZER_ENV
			"LD_PRELOAD=${zeroipc_libasan}" "ASAN_OPTIONS=detect_leaks=0")
	endif()
endif()
