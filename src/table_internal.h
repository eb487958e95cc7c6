/* SPDX-License-Identifier: MIT */
/* table_internal.h - adding a region that is initialised before it is seen. */
#ifndef ZEROIPC_TABLE_INTERNAL_H
#define ZEROIPC_TABLE_INTERNAL_H

#include "internal.h"

/*
 * Initialise a freshly reserved, zeroed region of `size` bytes at `region`.
 * Runs under the table lock, before the entry is published, so no process
 * can open a structure whose header is not yet written.  Returns 0 or a
 * status that aborts the add (the table stays unchanged).
 */
typedef int (*zeroipc__region_init)(unsigned char *region, uint64_t size,
				    void *arg);

/* zeroipc_table_add() with an initialiser; `init` may be NULL. */
int zeroipc__table_add_init(uint64_t *offset_out, zeroipc_memory *mem,
			    const char *name, uint64_t size,
			    zeroipc__region_init init, void *init_arg);

/*
 * The checks zeroipc_table_add() makes before it adds anything: a valid
 * name and a writable mapping.  For creators that must pass them before
 * they add a companion entry.  Returns 0, ENAME or EREADONLY.
 */
int zeroipc__table_check_add(const zeroipc_memory *mem, const char *name);

#endif /* ZEROIPC_TABLE_INTERNAL_H */
