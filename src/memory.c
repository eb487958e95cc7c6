/* SPDX-License-Identifier: MIT */
/*
 * memory.c - create, open, validate and release segments.
 *
 * A new segment is built in an anonymous tmpfs file and only then linked
 * under its name, so no process can ever open a half-initialised segment and
 * exclusive creation is a single atomic link(2): the name either did not
 * exist and now names a complete segment, or creation fails with EEXISTS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"

/* Bounded retries of open-or-create against a name that keeps vanishing. */
#define OPEN_OR_CREATE_ATTEMPTS 64

static uint64_t table_end(uint32_t max_entries)
{
	return sizeof(struct zeroipc_fmt_table_header) +
	       (uint64_t)max_entries * sizeof(struct zeroipc_fmt_table_entry);
}

static int check_segment_name(const char *name)
{
	size_t len;

	if (name == NULL)
		return zeroipc__fail(ZEROIPC_ENAME, "segment name is NULL");
	len = strnlen(name, ZEROIPC_MEMORY_NAME_MAX + 1);
	if (len > ZEROIPC_MEMORY_NAME_MAX)
		return zeroipc__fail(ZEROIPC_ENAME,
				     "segment name longer than %d bytes",
				     ZEROIPC_MEMORY_NAME_MAX);
	if (name[0] != '/' || len < 2)
		return zeroipc__fail(ZEROIPC_ENAME,
				     "segment name '%s' must be '/' and a name",
				     name);
	if (strchr(name + 1, '/') != NULL)
		return zeroipc__fail(ZEROIPC_ENAME,
				     "segment name '%s' has a '/' after the first",
				     name);
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		return zeroipc__fail(ZEROIPC_ENAME,
				     "segment name '%s' is reserved", name);
	return 0;
}

static void segment_path(char *path, size_t cap, const char *name)
{
	snprintf(path, cap, "%s%s", ZEROIPC__SHM_DIR, name);
}

static int new_handle(zeroipc_memory **out, const char *name, int fd,
		      unsigned char *base, uint64_t size, uint32_t max_entries,
		      bool readonly)
{
	zeroipc_memory *mem = calloc(1, sizeof(*mem));

	if (mem == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	mem->base = base;
	mem->size = size;
	mem->max_entries = max_entries;
	mem->fd = fd;
	mem->readonly = readonly;
	snprintf(mem->name, sizeof(mem->name), "%s", name);
	*out = mem;
	return 0;
}

/*
 * Link the finished file `fd` under `path`.  Prefer an O_TMPFILE file linked
 * through /proc (nothing to clean up if we die); `tmp_path` is set when the
 * file was instead made under a temporary name.
 */
static int publish_file(int fd, const char *tmp_path, const char *path,
			const char *name)
{
	char proc_path[64];
	int rc;

	if (tmp_path != NULL) {
		rc = link(tmp_path, path);
	} else {
		snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, proc_path, AT_FDCWD, path,
			    AT_SYMLINK_FOLLOW);
	}
	if (rc != 0) {
		if (errno == EEXIST)
			return zeroipc__fail(ZEROIPC_EEXISTS,
					     "segment %s already exists", name);
		return zeroipc__fail_errno(errno, "link", name);
	}
	return 0;
}

/* Open an unnamed file in the shm directory, or a uniquely named one. */
static int open_unpublished(char *tmp_path, size_t cap, bool *named)
{
	static unsigned counter;
	int fd;

	*named = false;
	fd = open(ZEROIPC__SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* Kernels or file systems without O_TMPFILE: a dot-file nobody opens. */
	for (int attempt = 0; attempt < 100; attempt++) {
		snprintf(tmp_path, cap, "%s/.zeroipc-new-%ld-%u-%d",
			 ZEROIPC__SHM_DIR, (long)getpid(),
			 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED),
			 attempt);
		fd = open(tmp_path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
			  0600);
		if (fd >= 0) {
			*named = true;
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	return -1;
}

static void init_header(unsigned char *base, uint64_t size,
			uint32_t max_entries)
{
	struct zeroipc_fmt_table_header *h = (void *)base;

	h->magic = ZEROIPC_FMT_MAGIC;
	h->version = ZEROIPC_FMT_VERSION;
	h->entry_count = 0;
	h->max_entries = max_entries;
	h->memory_size = size;
	h->next_offset = table_end(max_entries);
}

int zeroipc_memory_create(zeroipc_memory **out, const char *name,
			  uint64_t size, const zeroipc_memory_opts *opts)
{
	char path[sizeof(ZEROIPC__SHM_DIR) + ZEROIPC_MEMORY_NAME_MAX + 1];
	char tmp_path[sizeof(path) + 64];
	uint32_t max_entries = ZEROIPC_DEFAULT_MAX_ENTRIES;
	uint32_t mode = 0600;
	unsigned char *base;
	bool named;
	int fd, rc, err;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	rc = check_segment_name(name);
	if (rc != 0)
		return rc;
	if (opts != NULL) {
		/* Read only the fields the caller's version of the struct has. */
		if (opts->size >= offsetof(zeroipc_memory_opts, max_entries) +
					  sizeof(opts->max_entries) &&
		    opts->max_entries != 0)
			max_entries = opts->max_entries;
		if (opts->size >= offsetof(zeroipc_memory_opts, mode) +
					  sizeof(opts->mode) &&
		    opts->mode != 0)
			mode = opts->mode;
	}
	if (mode & ~07777u)
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "mode %o has bits beyond 07777", mode);
	if (size < table_end(max_entries))
		return zeroipc__fail(ZEROIPC_ETOO_SMALL,
				     "size %llu cannot hold a table of %u entries "
				     "(needs %llu bytes)",
				     (unsigned long long)size, max_entries,
				     (unsigned long long)table_end(max_entries));
	if (size > (uint64_t)INT64_MAX || (uint64_t)(size_t)size != size)
		return zeroipc__fail(ZEROIPC_EINVAL, "size %llu is too large",
				     (unsigned long long)size);
	segment_path(path, sizeof(path), name);

	fd = open_unpublished(tmp_path, sizeof(tmp_path), &named);
	if (fd < 0)
		return zeroipc__fail_errno(errno, "open", ZEROIPC__SHM_DIR);
	if (fchmod(fd, (mode_t)mode) != 0) {
		rc = zeroipc__fail_errno(errno, "fchmod", name);
		goto fail_fd;
	}
	/* Reserve every page now: a full /dev/shm is an error here, not a
	 * SIGBUS in whichever process first touches the missing page. */
	err = posix_fallocate(fd, 0, (off_t)size);
	if (err != 0) {
		rc = zeroipc__fail_errno(err, "posix_fallocate", name);
		goto fail_fd;
	}
	base = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (base == MAP_FAILED) {
		rc = zeroipc__fail_errno(errno, "mmap", name);
		goto fail_fd;
	}
	init_header(base, size, max_entries);
	ZEROIPC__CRASH_POINT("memory.create.initialised");
	rc = publish_file(fd, named ? tmp_path : NULL, path, name);
	if (named)
		unlink(tmp_path);
	if (rc != 0)
		goto fail_map;
	rc = new_handle(out, name, fd, base, size, max_entries, false);
	if (rc != 0) {
		unlink(path);
		goto fail_map;
	}
	zeroipc__clear_error();
	return 0;

fail_map:
	munmap(base, (size_t)size);
fail_fd:
	if (named && rc != ZEROIPC_EEXISTS)
		unlink(tmp_path);
	close(fd);
	return rc;
}

/* Check the header and every published entry of a mapped segment. */
static int validate_mapping(const unsigned char *base, uint64_t size,
			    const char *name)
{
	const struct zeroipc_fmt_table_header *h = (const void *)base;
	const struct zeroipc_fmt_table_entry *entries;
	uint32_t count, max_entries;
	uint64_t end, next;

	if (size < sizeof(*h))
		return zeroipc__fail(ZEROIPC_EBAD_FORMAT,
				     "%s: %llu bytes is too small for a zeroipc "
				     "header", name, (unsigned long long)size);
	if (h->magic != ZEROIPC_FMT_MAGIC)
		return zeroipc__fail(ZEROIPC_EBAD_FORMAT,
				     "%s: magic 0x%08x is not zeroipc's", name,
				     h->magic);
	if (h->version != ZEROIPC_FMT_VERSION)
		return zeroipc__fail(ZEROIPC_EVERSION,
				     "%s: format version %u, this library reads %u",
				     name, h->version, ZEROIPC_FMT_VERSION);
	max_entries = h->max_entries;
	if (max_entries == 0 || table_end(max_entries) > size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: max_entries %u does not fit %llu bytes",
				     name, max_entries,
				     (unsigned long long)size);
	count = zeroipc__load_acquire_u32(&h->entry_count);
	if (count > max_entries)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: entry_count %u exceeds max_entries %u",
				     name, count, max_entries);
	next = zeroipc__load_relaxed_u64(&h->next_offset);
	if (next < table_end(max_entries) || next > size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s: next_offset %llu outside the segment",
				     name, (unsigned long long)next);
	entries = (const void *)(base + sizeof(*h));
	for (uint32_t i = 0; i < count; i++) {
		const struct zeroipc_fmt_table_entry *e = &entries[i];
		size_t len = strnlen(e->name, sizeof(e->name));

		if (len == 0 || len == sizeof(e->name))
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "%s: entry %u has no valid name",
					     name, i);
		if (e->offset < table_end(max_entries) ||
		    e->offset % ZEROIPC_FMT_ALIGN != 0 ||
		    !zeroipc__add_u64(&end, e->offset, e->size) || end > size)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "%s: entry '%.*s' region outside "
					     "the segment", name, (int)len,
					     e->name);
	}
	return 0;
}

int zeroipc_memory_open(zeroipc_memory **out, const char *name, uint32_t flags)
{
	char path[sizeof(ZEROIPC__SHM_DIR) + ZEROIPC_MEMORY_NAME_MAX + 1];
	struct zeroipc_fmt_table_header h;
	bool readonly;
	unsigned char *base;
	struct stat st;
	ssize_t got;
	int fd, rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG((flags & ~ZEROIPC_OPEN_READONLY) == 0);
	rc = check_segment_name(name);
	if (rc != 0)
		return rc;
	readonly = (flags & ZEROIPC_OPEN_READONLY) != 0;
	segment_path(path, sizeof(path), name);
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return zeroipc__fail_errno(errno, "open", name);
	if (fstat(fd, &st) != 0) {
		rc = zeroipc__fail_errno(errno, "fstat", name);
		goto fail_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = zeroipc__fail(ZEROIPC_EBAD_FORMAT,
				   "%s is not a regular shared-memory object",
				   name);
		goto fail_fd;
	}
	got = pread(fd, &h, sizeof(h), 0);
	if (got != (ssize_t)sizeof(h)) {
		rc = zeroipc__fail(ZEROIPC_EBAD_FORMAT,
				   "%s: %lld bytes is too small for a zeroipc "
				   "header", name, (long long)st.st_size);
		goto fail_fd;
	}
	/* memory_size decides how much we map: it must not exceed the object,
	 * or touching the tail would raise SIGBUS. */
	if (h.magic == ZEROIPC_FMT_MAGIC && h.version == ZEROIPC_FMT_VERSION &&
	    (h.memory_size > (uint64_t)st.st_size ||
	     h.memory_size < sizeof(h) ||
	     (uint64_t)(size_t)h.memory_size != h.memory_size)) {
		rc = zeroipc__fail(ZEROIPC_ECORRUPT,
				   "%s: memory_size %llu but the object has "
				   "%lld bytes", name,
				   (unsigned long long)h.memory_size,
				   (long long)st.st_size);
		goto fail_fd;
	}
	if (h.magic != ZEROIPC_FMT_MAGIC || h.version != ZEROIPC_FMT_VERSION) {
		/* Reuse the one validator for the exact message. */
		rc = validate_mapping((const void *)&h, sizeof(h), name);
		goto fail_fd;
	}
	base = mmap(NULL, (size_t)h.memory_size,
		    readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (base == MAP_FAILED) {
		rc = zeroipc__fail_errno(errno, "mmap", name);
		goto fail_fd;
	}
	/* Validate the mapping itself, not the earlier copy, and keep the
	 * validated size and capacity in the handle: later bounds checks never
	 * re-read fields another process could change. */
	rc = validate_mapping(base, h.memory_size, name);
	if (rc == 0) {
		uint32_t max_entries =
			((const struct zeroipc_fmt_table_header *)(void *)base)
				->max_entries;
		rc = new_handle(out, name, fd, base, h.memory_size,
				max_entries, readonly);
	}
	if (rc != 0) {
		munmap(base, (size_t)h.memory_size);
		goto fail_fd;
	}
	zeroipc__clear_error();
	return 0;

fail_fd:
	close(fd);
	return rc;
}

int zeroipc_memory_open_or_create(zeroipc_memory **out, int *created_out,
				  const char *name, uint64_t size,
				  const zeroipc_memory_opts *opts)
{
	int rc = ZEROIPC_ENOT_FOUND;

	ZEROIPC__CHECK_ARG(out != NULL);
	if (created_out != NULL)
		*created_out = 0;
	/* Creation is atomic, so whoever loses the race opens a complete
	 * segment; loop only while the name is removed between our calls. */
	for (int attempt = 0; attempt < OPEN_OR_CREATE_ATTEMPTS; attempt++) {
		rc = zeroipc_memory_open(out, name, 0);
		if (rc != ZEROIPC_ENOT_FOUND)
			return rc;
		rc = zeroipc_memory_create(out, name, size, opts);
		if (rc == 0) {
			if (created_out != NULL)
				*created_out = 1;
			return 0;
		}
		if (rc != ZEROIPC_EEXISTS)
			return rc;
	}
	return zeroipc__fail(rc, "%s: created and removed by others %d times",
			     name, OPEN_OR_CREATE_ATTEMPTS);
}

void zeroipc_memory_close(zeroipc_memory *mem)
{
	if (mem == NULL)
		return;
	munmap(mem->base, (size_t)mem->size);
	close(mem->fd);
	free(mem);
}

int zeroipc_memory_unlink(const char *name)
{
	char path[sizeof(ZEROIPC__SHM_DIR) + ZEROIPC_MEMORY_NAME_MAX + 1];
	int rc = check_segment_name(name);

	if (rc != 0)
		return rc;
	segment_path(path, sizeof(path), name);
	if (unlink(path) != 0)
		return zeroipc__fail_errno(errno, "unlink", name);
	zeroipc__clear_error();
	return 0;
}

uint64_t zeroipc_memory_size(const zeroipc_memory *mem)
{
	return mem != NULL ? mem->size : 0;
}

const char *zeroipc_memory_name(const zeroipc_memory *mem)
{
	return mem != NULL ? mem->name : "";
}

void *zeroipc_memory_base(const zeroipc_memory *mem)
{
	return mem != NULL ? mem->base : NULL;
}

int zeroipc_memory_is_readonly(const zeroipc_memory *mem)
{
	return mem != NULL && mem->readonly;
}

int zeroipc_memory_validate(const zeroipc_memory *mem)
{
	ZEROIPC__CHECK_ARG(mem != NULL);
	return validate_mapping(mem->base, mem->size, mem->name);
}
