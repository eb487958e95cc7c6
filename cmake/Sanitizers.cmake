# SPDX-License-Identifier: MIT
# ZEROIPC_SANITIZE=address builds with ASan+UBSan, =thread with TSan.
if(ZEROIPC_SANITIZE STREQUAL "address")
	set(ZEROIPC_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(ZEROIPC_SANITIZE STREQUAL "thread")
	# -Wno-tsan: GCC warns at every use that TSan does not model
	# atomic_thread_fence.  Our fences order futex handshakes and the Map
	# seqlock, whose key and value words are themselves relaxed atomics, so
	# TSan still sees every shared access as atomic; the warning is noise.
	set(ZEROIPC_SANITIZER_FLAGS -fsanitize=thread -Wno-tsan -fno-omit-frame-pointer)
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
