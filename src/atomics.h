/* SPDX-License-Identifier: MIT */
/*
 * atomics.h - the only way library code touches shared words atomically.
 *
 * Shared layouts in format.h are plain fixed-width fields (their bytes are
 * the format), so atomicity comes from the GCC/Clang __atomic builtins on
 * those fields.  Each wrapper names its memory order; there is no implicit
 * seq_cst.  Callers comment on what each acquire/release pairs with.
 */
#ifndef ZEROIPC_ATOMICS_H
#define ZEROIPC_ATOMICS_H

#include <stdbool.h>
#include <stdint.h>

_Static_assert(__GCC_ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(__GCC_ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define ZEROIPC__ATOMIC_OPS(bits)                                              \
	static inline uint##bits##_t zeroipc__load_relaxed_u##bits(             \
		const uint##bits##_t *p)                                        \
	{                                                                       \
		return __atomic_load_n(p, __ATOMIC_RELAXED);                    \
	}                                                                       \
	static inline uint##bits##_t zeroipc__load_acquire_u##bits(             \
		const uint##bits##_t *p)                                        \
	{                                                                       \
		return __atomic_load_n(p, __ATOMIC_ACQUIRE);                    \
	}                                                                       \
	static inline uint##bits##_t zeroipc__load_seq_cst_u##bits(             \
		const uint##bits##_t *p)                                        \
	{                                                                       \
		return __atomic_load_n(p, __ATOMIC_SEQ_CST);                    \
	}                                                                       \
	static inline void zeroipc__store_relaxed_u##bits(uint##bits##_t *p,    \
							 uint##bits##_t v)      \
	{                                                                       \
		__atomic_store_n(p, v, __ATOMIC_RELAXED);                       \
	}                                                                       \
	static inline void zeroipc__store_release_u##bits(uint##bits##_t *p,    \
							 uint##bits##_t v)      \
	{                                                                       \
		__atomic_store_n(p, v, __ATOMIC_RELEASE);                       \
	}                                                                       \
	static inline void zeroipc__store_seq_cst_u##bits(uint##bits##_t *p,    \
							 uint##bits##_t v)      \
	{                                                                       \
		__atomic_store_n(p, v, __ATOMIC_SEQ_CST);                       \
	}                                                                       \
	static inline uint##bits##_t zeroipc__fetch_add_relaxed_u##bits(        \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);              \
	}                                                                       \
	static inline uint##bits##_t zeroipc__fetch_add_acq_rel_u##bits(        \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);              \
	}                                                                       \
	static inline uint##bits##_t zeroipc__fetch_add_seq_cst_u##bits(        \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);              \
	}                                                                       \
	static inline uint##bits##_t zeroipc__fetch_sub_acq_rel_u##bits(        \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_fetch_sub(p, v, __ATOMIC_ACQ_REL);              \
	}                                                                       \
	static inline uint##bits##_t zeroipc__fetch_sub_relaxed_u##bits(        \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED);              \
	}                                                                       \
	static inline uint##bits##_t zeroipc__fetch_or_seq_cst_u##bits(         \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);               \
	}                                                                       \
	static inline uint##bits##_t zeroipc__exchange_acq_rel_u##bits(         \
		uint##bits##_t *p, uint##bits##_t v)                            \
	{                                                                       \
		return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);             \
	}                                                                       \
	/* Strong CAS; on failure *expected gets the current value. */         \
	static inline bool zeroipc__cas_acq_rel_u##bits(                        \
		uint##bits##_t *p, uint##bits##_t *expected,                    \
		uint##bits##_t desired)                                         \
	{                                                                       \
		return __atomic_compare_exchange_n(p, expected, desired, false, \
						   __ATOMIC_ACQ_REL,            \
						   __ATOMIC_ACQUIRE);           \
	}                                                                       \
	static inline bool zeroipc__cas_relaxed_u##bits(                        \
		uint##bits##_t *p, uint##bits##_t *expected,                    \
		uint##bits##_t desired)                                         \
	{                                                                       \
		return __atomic_compare_exchange_n(p, expected, desired, false, \
						   __ATOMIC_RELAXED,            \
						   __ATOMIC_RELAXED);           \
	}                                                                       \
	static inline bool zeroipc__cas_seq_cst_u##bits(                        \
		uint##bits##_t *p, uint##bits##_t *expected,                    \
		uint##bits##_t desired)                                         \
	{                                                                       \
		return __atomic_compare_exchange_n(p, expected, desired, false, \
						   __ATOMIC_SEQ_CST,            \
						   __ATOMIC_SEQ_CST);           \
	}

ZEROIPC__ATOMIC_OPS(32)
ZEROIPC__ATOMIC_OPS(64)

/* Full fence: orders a store before a later load (Dekker-style handshakes
 * such as "publish, then check whether anyone sleeps"). */
static inline void zeroipc__fence_seq_cst(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void zeroipc__fence_acquire(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static inline void zeroipc__fence_release(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Spin-wait hint to the CPU. */
static inline void zeroipc__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif /* ZEROIPC_ATOMICS_H */
