/* SPDX-License-Identifier: MIT */
/*
 * table.c - the registry of named regions.
 *
 * Protocol (SPECIFICATION.md, "Table"): adders serialise on an open file
 * description lock over byte 0 of the segment's file; the kernel drops it if
 * the holder dies, so a crashed adder blocks nobody.  Under the lock an adder
 * checks for the name, reserves space, zeroes and initialises the region,
 * writes the entry, advances next_offset and only then publishes the entry
 * by a release store of entry_count.  Lookups take no lock: they load
 * entry_count with acquire and read only entries below it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"
#include "table_internal.h"

static struct zeroipc_fmt_table_entry *entries(const zeroipc_memory *mem)
{
	return (void *)(mem->base + sizeof(struct zeroipc_fmt_table_header));
}

static uint64_t table_end(const zeroipc_memory *mem)
{
	return sizeof(struct zeroipc_fmt_table_header) +
	       (uint64_t)mem->max_entries *
		       sizeof(struct zeroipc_fmt_table_entry);
}

/* Published entries, never more than the table this handle validated. */
static uint32_t published_count(const zeroipc_memory *mem)
{
	/* Pairs with the release store of entry_count in add_locked(): every
	 * entry below the count we read is completely written. */
	uint32_t count = zeroipc__load_acquire_u32(&zeroipc__header(mem)->entry_count);

	return count < mem->max_entries ? count : mem->max_entries;
}

int zeroipc__check_entry_name(const char *name)
{
	size_t len;

	if (name == NULL)
		return zeroipc__fail(ZEROIPC_ENAME, "structure name is NULL");
	len = strnlen(name, ZEROIPC_NAME_MAX + 1);
	if (len == 0)
		return zeroipc__fail(ZEROIPC_ENAME, "structure name is empty");
	if (len > ZEROIPC_NAME_MAX)
		return zeroipc__fail(ZEROIPC_ENAME,
				     "structure name '%.40s...' is longer than "
				     "%d bytes", name, ZEROIPC_NAME_MAX);
	return 0;
}

/* Copy out entry `i` after checking it lies inside the mapping. */
static int read_entry(zeroipc_table_entry *out, const zeroipc_memory *mem,
		      uint32_t i)
{
	const struct zeroipc_fmt_table_entry *e = &entries(mem)[i];
	size_t len = strnlen(e->name, sizeof(e->name));
	uint64_t offset = e->offset, size = e->size, end;

	if (len == 0 || len == sizeof(e->name))
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: table entry %u has no valid name",
				     mem->name, i);
	if (offset < table_end(mem) || offset % ZEROIPC_FMT_ALIGN != 0 ||
	    !zeroipc__add_u64(&end, offset, size) || end > mem->size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: entry '%.*s' region [%llu, +%llu) is "
				     "outside the segment", mem->name, (int)len,
				     e->name, (unsigned long long)offset,
				     (unsigned long long)size);
	if (out != NULL) {
		memcpy(out->name, e->name, len);
		memset(out->name + len, 0, sizeof(out->name) - len);
		out->offset = offset;
		out->size = size;
	}
	return 0;
}

/* Index of `name` among the first `count` entries, or -1. */
static int64_t find_index(const zeroipc_memory *mem, const char *name,
			  uint32_t count)
{
	size_t len = strlen(name);

	for (uint32_t i = 0; i < count; i++) {
		const struct zeroipc_fmt_table_entry *e = &entries(mem)[i];

		if (memcmp(e->name, name, len) == 0 && e->name[len] == '\0')
			return i;
	}
	return -1;
}

int zeroipc__table_lookup(uint64_t *offset_out, uint64_t *size_out,
			  const zeroipc_memory *mem, const char *name)
{
	zeroipc_table_entry entry;
	int64_t i;
	int rc;

	rc = zeroipc__check_entry_name(name);
	if (rc != 0)
		return rc;
	i = find_index(mem, name, published_count(mem));
	if (i < 0)
		return zeroipc__fail(ZEROIPC_ENOT_FOUND, "%s: no entry '%s'",
				     mem->name, name);
	rc = read_entry(&entry, mem, (uint32_t)i);
	if (rc != 0)
		return rc;
	*offset_out = entry.offset;
	*size_out = entry.size;
	return 0;
}

int zeroipc__table_lookup_header(uint64_t *offset_out, uint64_t *size_out,
				 const zeroipc_memory *mem, const char *what,
				 const char *name, uint64_t header_size)
{
	int rc = zeroipc__table_lookup(offset_out, size_out, mem, name);

	if (rc != 0)
		return rc;
	if (*size_out < header_size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': entry of %llu bytes has no "
				     "header", what, name,
				     (unsigned long long)*size_out);
	return 0;
}

int zeroipc__elem_size_mismatch(const char *what, const char *name,
				uint64_t stored, uint64_t wanted)
{
	return zeroipc__fail(ZEROIPC_ESIZE_MISMATCH,
			     "%s '%s' holds %llu-byte elements, not %llu",
			     what, name, (unsigned long long)stored,
			     (unsigned long long)wanted);
}

/*
 * Take the table lock on a fresh open file description of the segment's
 * file.  OFD locks belong to the description, so a handle's own descriptor
 * would be shared with forked children and sibling threads and exclude none
 * of them; a new description per add excludes everyone.
 */
static int lock_table(int *lock_fd_out, const zeroipc_memory *mem)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			      .l_start = 0, .l_len = 1 };
	char proc_path[64];
	int fd;

	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", mem->fd);
	fd = open(proc_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return zeroipc__fail_errno(errno, "open", proc_path);
	while (fcntl(fd, F_OFD_SETLKW, &lock) != 0) {
		if (errno != EINTR) {
			int err = errno;

			close(fd);
			return zeroipc__fail_errno(err, "fcntl(F_OFD_SETLKW)",
						   mem->name);
		}
	}
	*lock_fd_out = fd;
	return 0;
}

static void unlock_table(int lock_fd)
{
	/* Closing the last descriptor of the description drops the lock. */
	close(lock_fd);
}

static int add_locked(uint64_t *offset_out, zeroipc_memory *mem,
		      const char *name, uint64_t size,
		      zeroipc__region_init init, void *init_arg)
{
	struct zeroipc_fmt_table_header *h = zeroipc__header(mem);
	struct zeroipc_fmt_table_entry *e;
	uint32_t count = zeroipc__load_relaxed_u32(&h->entry_count);
	uint64_t next = zeroipc__load_relaxed_u64(&h->next_offset);
	uint64_t offset, end;
	int rc;

	if (count > mem->max_entries)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: entry_count %u exceeds max_entries %u",
				     mem->name, count, mem->max_entries);
	if (find_index(mem, name, count) >= 0)
		return zeroipc__fail(ZEROIPC_EEXISTS, "%s: '%s' already exists",
				     mem->name, name);
	if (count == mem->max_entries)
		return zeroipc__fail(ZEROIPC_ETABLE_FULL,
				     "%s: all %u table entries are used",
				     mem->name, mem->max_entries);
	if (next < table_end(mem) || next > mem->size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: next_offset %llu outside the segment",
				     mem->name, (unsigned long long)next);
	offset = zeroipc__align8(next);
	if (!zeroipc__add_u64(&end, offset, size) || end > mem->size)
		return zeroipc__fail(ZEROIPC_ENO_SPACE,
				     "%s: '%s' needs %llu bytes, %llu are free",
				     mem->name, name, (unsigned long long)size,
				     (unsigned long long)(mem->size -
							  (offset < mem->size ?
							   offset : mem->size)));
	ZEROIPC__CRASH_POINT("table.add.reserved");
	/* A crashed adder may have left bytes here before publishing. */
	memset(mem->base + offset, 0, (size_t)size);
	if (init != NULL) {
		rc = init(mem->base + offset, size, init_arg);
		if (rc != 0)
			return rc;
	}
	e = &entries(mem)[count];
	memset(e->name, 0, sizeof(e->name));
	memcpy(e->name, name, strlen(name));
	e->offset = offset;
	e->size = size;
	ZEROIPC__CRASH_POINT("table.add.entry_written");
	/* Advance the bump pointer before publishing: a crash in between leaks
	 * the space, the reverse order would hand it out twice. */
	zeroipc__store_relaxed_u64(&h->next_offset, end);
	/* Pairs with the acquire load in published_count(): readers that see
	 * the new count see the entry and the initialised region. */
	zeroipc__store_release_u32(&h->entry_count, count + 1);
	ZEROIPC__CRASH_POINT("table.add.published");
	if (offset_out != NULL)
		*offset_out = offset;
	return 0;
}

int zeroipc__table_check_add(const zeroipc_memory *mem, const char *name)
{
	int rc = zeroipc__check_entry_name(name);

	if (rc != 0)
		return rc;
	if (mem->readonly)
		return zeroipc__fail(ZEROIPC_EREADONLY,
				     "%s is mapped read-only", mem->name);
	return 0;
}

int zeroipc__table_add_init(uint64_t *offset_out, zeroipc_memory *mem,
			    const char *name, uint64_t size,
			    zeroipc__region_init init, void *init_arg)
{
	int lock_fd = -1, rc;

	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(size > 0);
	rc = zeroipc__table_check_add(mem, name);
	if (rc != 0)
		return rc;
	rc = lock_table(&lock_fd, mem);
	if (rc != 0)
		return rc;
	rc = add_locked(offset_out, mem, name, size, init, init_arg);
	unlock_table(lock_fd);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

int zeroipc_table_add(uint64_t *offset_out, zeroipc_memory *mem,
		      const char *name, uint64_t size)
{
	return zeroipc__table_add_init(offset_out, mem, name, size, NULL, NULL);
}

int zeroipc_table_find(zeroipc_table_entry *out, const zeroipc_memory *mem,
		       const char *name)
{
	uint64_t offset, size;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = zeroipc__table_lookup(&offset, &size, mem, name);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, name, strlen(name));
	out->offset = offset;
	out->size = size;
	zeroipc__clear_error();
	return 0;
}

uint32_t zeroipc_table_count(const zeroipc_memory *mem)
{
	return mem != NULL ? published_count(mem) : 0;
}

uint32_t zeroipc_table_capacity(const zeroipc_memory *mem)
{
	return mem != NULL ? mem->max_entries : 0;
}

int zeroipc_table_entry_at(zeroipc_table_entry *out, const zeroipc_memory *mem,
			   uint32_t index)
{
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(mem != NULL);
	if (index >= published_count(mem))
		return zeroipc__fail(ZEROIPC_ERANGE,
				     "%s: entry %u of %u", mem->name, index,
				     published_count(mem));
	rc = read_entry(out, mem, index);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

uint64_t zeroipc_table_free_bytes(const zeroipc_memory *mem)
{
	uint64_t next;

	if (mem == NULL)
		return 0;
	next = zeroipc__load_relaxed_u64(&zeroipc__header(mem)->next_offset);
	/* Untrusted: align only a value already inside the segment, so a
	 * hostile next_offset near 2^64 cannot wrap to "all free". */
	if (next >= mem->size)
		return 0;
	next = zeroipc__align8(next);
	return next < mem->size ? mem->size - next : 0;
}
