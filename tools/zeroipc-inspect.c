/* SPDX-License-Identifier: MIT */
/*
 * zeroipc-inspect - look into zeroipc segments from the command line.
 *
 *   zeroipc-inspect list [--json]
 *   zeroipc-inspect show SEGMENT [ENTRY] [--json] [--all] [--bytes N]
 *                        [--as KIND]
 *   zeroipc-inspect monitor SEGMENT ENTRY [--interval MS] [--count N]
 *                           [--as KIND]
 *   zeroipc-inspect dump SEGMENT [--offset N] [--size N] [--entry NAME]
 *
 * Segments are opened read-only: the tool never changes a byte.  The
 * library validates the table on open; everything the tool reads beyond
 * that (structure headers) is checked against the entry it lies in
 * (inspect_kinds.c).  docs/zeroipc-inspect.md is the manual.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "inspect.h"

/* Where POSIX shared memory objects live on Linux (SPECIFICATION.md 3). */
#define SHM_DIR "/dev/shm"

/* Bytes of element data `show` prints unless told otherwise. */
#define DEFAULT_SHOW_BYTES 256u
/* Bytes `dump` prints without --size (and without --entry). */
#define DEFAULT_DUMP_BYTES 256u

static const char *progname = "zeroipc-inspect";

static const char usage_text[] =
	"usage: zeroipc-inspect COMMAND [ARGS]\n"
	"\n"
	"  list [--json]                 zeroipc segments in " SHM_DIR "\n"
	"  show SEGMENT [--json]         header and table, with each entry's "
	"kind\n"
	"  show SEGMENT ENTRY [--json] [--all | --bytes N] [--as KIND]\n"
	"                                one structure: header, validate(), "
	"data\n"
	"  monitor SEGMENT ENTRY [--interval MS] [--count N] [--as KIND]\n"
	"                                one line of counters per interval\n"
	"  dump SEGMENT [--offset N] [--size N] [--entry NAME]\n"
	"                                hexdump of a byte range\n"
	"\n"
	"  --help, --version\n"
	"\n"
	"SEGMENT is a shared memory name (\"/sensor_data\"; the slash may be "
	"left out).\n"
	"Numbers are decimal or 0x-prefixed hex.  KIND is one of array, queue, "
	"stack,\n"
	"ring, map, set, pool, wait.\n"
	"Exit status: 0 ok, 1 runtime error (not found, corrupt), 2 usage "
	"error.\n"
	"See docs/zeroipc-inspect.md.\n";

/* One line on stderr, then exit. */
__attribute__((format(printf, 2, 3), noreturn)) static void
die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* A usage error names the problem and where help is, on one line. */
#define usage_error(...) die(INSPECT_EXIT_USAGE, __VA_ARGS__)

/*
 * Strict number: decimal or 0x hex, nothing else (no sign, no octal, no
 * trailing text, no overflow).
 */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10, digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s != '\0'; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + d;
	}
	if (digits == 0)
		return -1;
	*out = v;
	return 0;
}

/* Command-line options of every command; each command says which it takes. */
struct opts {
	const char *pos[3];
	int npos;
	int json;
	int all;
	int have_bytes;
	uint64_t bytes;
	int as; /* forced kind, or -1 */
	uint64_t interval_ms;
	uint64_t count;
	int have_offset;
	uint64_t offset;
	int have_size;
	uint64_t size;
	const char *entry;
};

enum {
	OPT_JSON = 1u << 0,
	OPT_ALL = 1u << 1,
	OPT_BYTES = 1u << 2,
	OPT_AS = 1u << 3,
	OPT_INTERVAL = 1u << 4,
	OPT_COUNT = 1u << 5,
	OPT_OFFSET = 1u << 6,
	OPT_SIZE = 1u << 7,
	OPT_ENTRY = 1u << 8,
};

static const struct {
	const char *name;
	unsigned bit;
	int takes_value;
} option_table[] = {
	{"json", OPT_JSON, 0},         {"all", OPT_ALL, 0},
	{"bytes", OPT_BYTES, 1},       {"as", OPT_AS, 1},
	{"interval", OPT_INTERVAL, 1}, {"count", OPT_COUNT, 1},
	{"offset", OPT_OFFSET, 1},     {"size", OPT_SIZE, 1},
	{"entry", OPT_ENTRY, 1},
};

static uint64_t number_arg(const char *opt, const char *value)
{
	uint64_t v;

	if (parse_u64(value, &v) != 0)
		usage_error("--%s: '%s' is not a number (decimal or 0x hex)",
			    opt, value);
	return v;
}

/*
 * Options may come before, between or after the positional arguments;
 * "--" ends them.  `allowed` is the command's set.
 */
static void parse_opts(struct opts *o, const char *cmd, int argc, char **argv,
		       unsigned allowed, int min_pos, int max_pos)
{
	int i, only_pos = 0;
	size_t k;

	memset(o, 0, sizeof(*o));
	o->as = -1;
	o->interval_ms = 1000;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *value = NULL, *eq;
		char name[32];
		size_t len;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (o->npos == max_pos)
				usage_error("%s: unexpected argument '%s'", cmd,
					    a);
			o->pos[o->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			exit(INSPECT_EXIT_OK);
		}
		if (a[1] != '-')
			usage_error("%s: unknown option '%s'", cmd, a);
		eq = strchr(a + 2, '=');
		len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		if (len >= sizeof(name))
			usage_error("%s: unknown option '%s'", cmd, a);
		memcpy(name, a + 2, len);
		name[len] = '\0';
		for (k = 0; k < sizeof(option_table) / sizeof(option_table[0]);
		     k++)
			if (strcmp(name, option_table[k].name) == 0)
				break;
		if (k == sizeof(option_table) / sizeof(option_table[0]) ||
		    !(allowed & option_table[k].bit))
			usage_error("%s: unknown option '--%s'", cmd, name);
		if (option_table[k].takes_value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				usage_error("%s: --%s needs a value", cmd,
					    name);
		} else if (eq) {
			usage_error("%s: --%s takes no value", cmd, name);
		}
		switch (option_table[k].bit) {
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_ALL:
			o->all = 1;
			break;
		case OPT_BYTES:
			o->have_bytes = 1;
			o->bytes = number_arg(name, value);
			break;
		case OPT_AS:
			o->as = inspect_kind_parse(value);
			if (o->as < 0)
				usage_error("--as: unknown kind '%s' (array, "
					    "queue, stack, ring, map, set, "
					    "pool, wait)",
					    value);
			break;
		case OPT_INTERVAL:
			o->interval_ms = number_arg(name, value);
			if (o->interval_ms == 0 || o->interval_ms > 3600000)
				usage_error("--interval: %s ms is not in "
					    "1..3600000",
					    value);
			break;
		case OPT_COUNT:
			o->count = number_arg(name, value);
			if (o->count == 0)
				usage_error("--count: must be at least 1");
			break;
		case OPT_OFFSET:
			o->have_offset = 1;
			o->offset = number_arg(name, value);
			break;
		case OPT_SIZE:
			o->have_size = 1;
			o->size = number_arg(name, value);
			if (o->size == 0)
				usage_error("--size: must be at least 1");
			break;
		case OPT_ENTRY:
			o->entry = value;
			break;
		}
	}
	if (o->npos < min_pos)
		usage_error("%s: missing %s (see --help)", cmd,
			    o->npos == 0 ? "SEGMENT" : "ENTRY");
	if (o->all && o->have_bytes)
		usage_error("%s: --all and --bytes exclude each other", cmd);
}

/* "sensor_data" -> "/sensor_data"; the library checks the rest. */
static const char *segment_name(char *buf, size_t len, const char *arg)
{
	if (arg[0] == '/')
		return arg;
	snprintf(buf, len, "/%s", arg);
	return buf;
}

/* Exit status for a library failure: bad names are the caller's fault. */
static int failure_status(int rc)
{
	return rc == ZEROIPC_ENAME || rc == ZEROIPC_EINVAL
		       ? INSPECT_EXIT_USAGE
		       : INSPECT_EXIT_RUNTIME;
}

static zeroipc_memory *open_segment(const char *arg)
{
	char buf[ZEROIPC_MEMORY_NAME_MAX + 2];
	const char *name = segment_name(buf, sizeof(buf), arg);
	zeroipc_memory *mem;
	int rc;

	rc = zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY);
	if (rc != ZEROIPC_OK)
		die(failure_status(rc), "%s: %s (%s)", name,
		    zeroipc_strerror(rc), zeroipc_last_error());
	return mem;
}

static void find_entry(zeroipc_table_entry *e, zeroipc_memory *mem,
		       const char *name)
{
	int rc = zeroipc_table_find(e, mem, name);

	if (rc == ZEROIPC_OK)
		return;
	if (rc == ZEROIPC_ENOT_FOUND)
		die(INSPECT_EXIT_RUNTIME, "%s: no entry named '%s'",
		    zeroipc_memory_name(mem), name);
	die(failure_status(rc), "%s: entry '%s': %s (%s)",
	    zeroipc_memory_name(mem), name, zeroipc_strerror(rc),
	    zeroipc_last_error());
}

/* The raw 32-byte header; the mapping holds at least memory_size >= 32. */
static void read_header(struct zeroipc_fmt_table_header *h,
			const zeroipc_memory *mem)
{
	memcpy(h, zeroipc_memory_base(mem), sizeof(*h));
}

/* ---- list ---- */

struct listed {
	char name[ZEROIPC_MEMORY_NAME_MAX + 2];
	uint64_t size;
	uint32_t version;
	uint32_t entries;
	uint32_t max_entries;
	int have_free;
	uint64_t free_bytes;
	int status;
	char message[256];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Look at one file of SHM_DIR.  Returns 1 and fills *l for a zeroipc
 * segment (magic present), 0 for anything else.  Never follows links and
 * never blocks on a FIFO; files that vanish meanwhile are skipped.
 */
static int look_at(struct listed *l, int dirfd, const char *file)
{
	struct zeroipc_fmt_table_header h;
	zeroipc_memory *mem;
	struct stat st;
	ssize_t got;
	int fd, rc;

	fd = openat(dirfd, file,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ELOOP && errno != ENXIO) {
			fprintf(stderr, "%s: %s/", progname, SHM_DIR);
			inspect_print_safe(stderr, file);
			fprintf(stderr, ": cannot read: %s\n", strerror(errno));
		}
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < sizeof(h)) {
		close(fd);
		return 0;
	}
	got = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (got != (ssize_t)sizeof(h) || h.magic != ZEROIPC_FMT_MAGIC)
		return 0;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "/%s", file);
	l->size = (uint64_t)st.st_size;
	l->version = h.version;
	l->entries = h.entry_count;
	l->max_entries = h.max_entries;
	/* The raw header says what the file claims; a successful open
	 * says what the library accepts, and its numbers win. */
	rc = zeroipc_memory_open(&mem, l->name, ZEROIPC_OPEN_READONLY);
	l->status = rc;
	if (rc != ZEROIPC_OK) {
		snprintf(l->message, sizeof(l->message), "%s",
			 zeroipc_last_error());
		return 1;
	}
	l->size = zeroipc_memory_size(mem);
	l->entries = zeroipc_table_count(mem);
	l->max_entries = zeroipc_table_capacity(mem);
	l->have_free = 1;
	l->free_bytes = zeroipc_table_free_bytes(mem);
	zeroipc_memory_close(mem);
	return 1;
}

static int cmd_list(int argc, char **argv)
{
	struct opts o;
	struct dirent *d;
	struct listed l;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int first = 1;
	DIR *dir;

	parse_opts(&o, "list", argc, argv, OPT_JSON, 0, 0);
	dir = opendir(SHM_DIR);
	if (dir == NULL)
		die(INSPECT_EXIT_RUNTIME, "%s: %s", SHM_DIR, strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **grown;

			cap = cap ? 2 * cap : 64;
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL)
				die(INSPECT_EXIT_RUNTIME, "out of memory");
			names = grown;
		}
		names[n] = strdup(d->d_name);
		if (names[n] == NULL)
			die(INSPECT_EXIT_RUNTIME, "out of memory");
		n++;
	}
	/* Sorted, so two runs over the same segments print the same. */
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);

	if (o.json)
		printf("{\"shm_dir\":\"%s\",\"segments\":[", SHM_DIR);
	else
		printf("%-24s %12s %7s %11s %12s %s\n", "NAME", "SIZE",
		       "VERSION", "ENTRIES", "FREE", "STATUS");
	for (i = 0; i < n; i++) {
		if (!look_at(&l, dirfd(dir), names[i]))
			continue;
		if (o.json) {
			printf("%s{\"name\":", first ? "" : ",");
			inspect_json_string(stdout, l.name);
			printf(",\"size\":%" PRIu64 ",\"version\":%" PRIu32
			       ",\"entry_count\":%" PRIu32
			       ",\"max_entries\":%" PRIu32 ",\"free\":",
			       l.size, l.version, l.entries, l.max_entries);
			if (l.have_free)
				printf("%" PRIu64, l.free_bytes);
			else
				printf("null");
			printf(",\"status\":\"%s\",\"error\":",
			       zeroipc_status_name(l.status));
			inspect_json_string(stdout, l.message);
			printf("}");
		} else {
			char entries[32], free_bytes[24];

			inspect_print_safe(stdout, l.name);
			printf("%*s",
			       strlen(l.name) < 24 ? (int)(24 - strlen(l.name))
						   : 0,
			       "");
			snprintf(entries, sizeof(entries),
				 "%" PRIu32 "/%" PRIu32, l.entries,
				 l.max_entries);
			if (l.have_free)
				snprintf(free_bytes, sizeof(free_bytes),
					 "%" PRIu64, l.free_bytes);
			else
				snprintf(free_bytes, sizeof(free_bytes), "-");
			printf(" %12" PRIu64 " %7" PRIu32 " %11s %12s %s",
			       l.size, l.version, entries, free_bytes,
			       l.status == ZEROIPC_OK
				       ? "ok"
				       : zeroipc_status_name(l.status));
			if (l.status != ZEROIPC_OK) {
				printf(" (");
				inspect_print_safe(stdout, l.message);
				printf(")");
			}
			printf("\n");
		}
		first = 0;
	}
	if (o.json)
		printf("]}\n");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return INSPECT_EXIT_OK;
}

/* ---- show ---- */

static void json_fields(const struct inspect_decoded *d)
{
	unsigned i;

	printf("{");
	for (i = 0; i < d->nfields; i++) {
		printf("%s\"%s\":", i ? "," : "", d->fields[i].name);
		if (d->fields[i].is_signed)
			printf("%" PRId64, d->fields[i].s);
		else
			printf("%" PRIu64, d->fields[i].u);
	}
	printf("}");
}

static void text_fields(const struct inspect_decoded *d)
{
	unsigned i;

	for (i = 0; i < d->nfields; i++) {
		if (d->fields[i].is_signed)
			printf("  %-15s %" PRId64 "\n", d->fields[i].name,
			       d->fields[i].s);
		else
			printf("  %-15s %" PRIu64 "\n", d->fields[i].name,
			       d->fields[i].u);
	}
}

/* Kinds that fit the bytes, as a JSON array. */
static void json_candidates(const struct inspect_ident *id)
{
	unsigned mask = id->valid_mask ? id->valid_mask : id->shape_mask;
	int k, first = 1;

	if (!id->ambiguous && id->kind != INSPECT_UNKNOWN)
		mask = 1u << id->kind;
	printf("[");
	for (k = INSPECT_ARRAY; k < INSPECT_KIND_COUNT; k++) {
		if (mask & (1u << k)) {
			printf("%s\"%s\"", first ? "" : ",",
			       inspect_kind_name((enum inspect_kind)k));
			first = 0;
		}
	}
	printf("]");
}

static const char *kind_label(const struct inspect_ident *id)
{
	return id->ambiguous ? "ambiguous" : inspect_kind_name(id->kind);
}

/* An identified kind whose bytes the validator (or shape check) refused. */
static int ident_corrupt(const struct inspect_ident *id)
{
	return !id->ambiguous && id->kind != INSPECT_UNKNOWN &&
	       id->verdict.status != ZEROIPC_OK;
}

static int show_segment(zeroipc_memory *mem, const struct opts *o)
{
	struct zeroipc_fmt_table_header h;
	uint32_t count = zeroipc_table_count(mem), i;
	char desc[512];
	int status = INSPECT_EXIT_OK;

	read_header(&h, mem);
	if (o->json) {
		printf("{\"segment\":");
		inspect_json_string(stdout, zeroipc_memory_name(mem));
		printf(",\"header\":{\"magic\":%" PRIu32 ",\"version\":%" PRIu32
		       ",\"memory_size\":%" PRIu64 ",\"max_entries\":%" PRIu32
		       ",\"entry_count\":%" PRIu32 ",\"next_offset\":%" PRIu64
		       ",\"free\":%" PRIu64 "},\"entries\":[",
		       h.magic, h.version, zeroipc_memory_size(mem),
		       zeroipc_table_capacity(mem), count, h.next_offset,
		       zeroipc_table_free_bytes(mem));
	} else {
		printf("segment ");
		inspect_print_safe(stdout, zeroipc_memory_name(mem));
		printf("\n  %-12s 0x%08" PRIx32 "\n", "magic", h.magic);
		printf("  %-12s %" PRIu32 "\n", "version", h.version);
		printf("  %-12s %" PRIu64 "\n", "memory_size",
		       zeroipc_memory_size(mem));
		printf("  %-12s %" PRIu32 "\n", "max_entries",
		       zeroipc_table_capacity(mem));
		printf("  %-12s %" PRIu32 "\n", "entry_count", count);
		printf("  %-12s %" PRIu64 "\n", "next_offset", h.next_offset);
		printf("  %-12s %" PRIu64 "\n", "free",
		       zeroipc_table_free_bytes(mem));
		printf("entries:\n  %3s  %-31s %12s %12s  %s\n", "#", "NAME",
		       "OFFSET", "SIZE", "KIND");
	}
	for (i = 0; i < count; i++) {
		struct inspect_ident id;
		zeroipc_table_entry e;
		int rc = zeroipc_table_entry_at(&e, mem, i);

		if (rc != ZEROIPC_OK) {
			/* Open checked every entry; one that fails now was
			 * rewritten since.  Report it and go on. */
			fprintf(stderr, "%s: entry %" PRIu32 ": %s (%s)\n",
				progname, i, zeroipc_strerror(rc),
				zeroipc_last_error());
			status = INSPECT_EXIT_RUNTIME;
			continue;
		}
		inspect_identify(&id, mem, &e, -1);
		inspect_describe(desc, sizeof(desc), &id, mem, &e);
		if (ident_corrupt(&id))
			status = INSPECT_EXIT_RUNTIME;
		if (o->json) {
			printf("%s{\"index\":%" PRIu32 ",\"name\":",
			       i ? "," : "", i);
			inspect_json_string(stdout, e.name);
			printf(",\"offset\":%" PRIu64 ",\"size\":%" PRIu64
			       ",\"kind\":\"%s\",\"candidates\":",
			       e.offset, e.size, kind_label(&id));
			json_candidates(&id);
			printf(",\"by_companion\":%s,\"fields\":",
			       id.by_companion ? "true" : "false");
			if (id.kind != INSPECT_UNKNOWN && !id.ambiguous)
				json_fields(&id.dec);
			else
				printf("{}");
			printf(",\"valid\":%s,\"error\":",
			       ident_corrupt(&id) ? "false" : "true");
			inspect_json_string(stdout, id.verdict.message);
			printf(",\"description\":");
			inspect_json_string(stdout, desc);
			printf("}");
		} else {
			printf("  %3" PRIu32 "  ", i);
			inspect_print_safe(stdout, e.name);
			printf("%*s %12" PRIu64 " %12" PRIu64 "  ",
			       strlen(e.name) < 31 ? (int)(31 - strlen(e.name))
						   : 0,
			       "", e.offset, e.size);
			inspect_print_safe(stdout, desc);
			printf("\n");
		}
	}
	if (o->json)
		printf("]}\n");
	return status;
}

/* Element bytes to print: all with --all, else --bytes or the default. */
static uint64_t shown_bytes(const struct opts *o, uint64_t len)
{
	uint64_t limit = o->have_bytes ? o->bytes : DEFAULT_SHOW_BYTES;

	return o->all || len < limit ? len : limit;
}

static int show_entry(zeroipc_memory *mem, const char *name,
		      const struct opts *o)
{
	struct inspect_ident id;
	zeroipc_table_entry e;
	const unsigned char *data;
	uint64_t data_off, data_len, n;
	const char *how;
	char desc[512];
	int k;

	find_entry(&e, mem, name);
	inspect_identify(&id, mem, &e, o->as);
	inspect_describe(desc, sizeof(desc), &id, mem, &e);
	if (o->as >= 0)
		how = "--as";
	else if (id.by_companion)
		how = "companion";
	else if (id.kind == INSPECT_WAIT)
		how = "name";
	else if (id.kind != INSPECT_UNKNOWN || id.ambiguous)
		how = "header";
	else
		how = "none";

	/* Data to dump: the structure's elements when the header was
	 * understood, else the entry's raw bytes. */
	if (id.kind != INSPECT_UNKNOWN && !id.ambiguous && id.dec.shape_ok) {
		data_off = id.dec.data_off;
		data_len = id.dec.data_len;
	} else {
		data_off = 0;
		data_len = e.size;
	}
	n = shown_bytes(o, data_len);
	data = inspect_entry_bytes(mem, &e, data_off);

	if (o->json) {
		printf("{\"segment\":");
		inspect_json_string(stdout, zeroipc_memory_name(mem));
		printf(",\"entry\":{\"name\":");
		inspect_json_string(stdout, e.name);
		printf(",\"offset\":%" PRIu64 ",\"size\":%" PRIu64
		       "},\"kind\":\"%s\",\"identified_by\":\"%s\""
		       ",\"candidates\":",
		       e.offset, e.size, kind_label(&id), how);
		json_candidates(&id);
		printf(",\"description\":");
		inspect_json_string(stdout, desc);
		printf(",\"fields\":");
		if (id.kind != INSPECT_UNKNOWN && !id.ambiguous)
			json_fields(&id.dec);
		else
			printf("{}");
		printf(",\"problem\":");
		if (id.kind != INSPECT_UNKNOWN && !id.ambiguous &&
		    !id.dec.shape_ok)
			inspect_json_string(stdout, id.dec.problem);
		else
			printf("null");
		printf(",\"validate\":{\"ok\":%s,\"status\":\"%s\","
		       "\"message\":",
		       ident_corrupt(&id) ? "false" : "true",
		       zeroipc_status_name(id.verdict.status));
		inspect_json_string(stdout, id.verdict.message);
		printf("},\"data\":{\"offset\":%" PRIu64 ",\"length\":%" PRIu64
		       ",\"elem_size\":%" PRIu64 ",\"shown\":%" PRIu64
		       ",\"hex\":\"",
		       e.offset + data_off, data_len, id.dec.elem_size, n);
		inspect_hex_string(stdout, data, n);
		printf("\"}}\n");
		return ident_corrupt(&id) ? INSPECT_EXIT_RUNTIME
					  : INSPECT_EXIT_OK;
	}

	printf("entry ");
	inspect_print_safe(stdout, e.name);
	printf(" in ");
	inspect_print_safe(stdout, zeroipc_memory_name(mem));
	printf("\n  %-15s %" PRIu64 "\n  %-15s %" PRIu64 "\n", "offset",
	       e.offset, "size", e.size);
	printf("  %-15s ", "kind");
	inspect_print_safe(stdout, desc);
	printf("\n  %-15s %s\n", "identified by", how);
	if (id.ambiguous) {
		/* Show the header under every reading that fits. */
		unsigned mask = id.valid_mask ? id.valid_mask : id.shape_mask;

		for (k = INSPECT_ARRAY; k <= INSPECT_POOL; k++) {
			struct inspect_decoded dec;

			if (!(mask & (1u << k)))
				continue;
			inspect_decode(&dec, mem, &e, (enum inspect_kind)k);
			printf("header as %s:\n", inspect_kind_name(dec.kind));
			text_fields(&dec);
		}
	} else if (id.kind != INSPECT_UNKNOWN) {
		printf("header:\n");
		text_fields(&id.dec);
		if (!id.dec.shape_ok)
			printf("  %-15s %s\n", "problem", id.dec.problem);
		if (id.verdict.status == ZEROIPC_OK) {
			printf("validate: ok\n");
		} else {
			/* The detail may quote names from the segment. */
			printf("validate: %s: ",
			       zeroipc_status_name(id.verdict.status));
			inspect_print_safe(stdout, id.verdict.message);
			printf("\n");
		}
	}
	if (id.dec.elem_size != 0 && data_off == id.dec.data_off &&
	    id.kind != INSPECT_UNKNOWN && !id.ambiguous)
		printf("data: %" PRIu64 " of %" PRIu64
		       " bytes (elements of %" PRIu64 ") at offset %" PRIu64
		       " (0x%" PRIx64 ")\n",
		       n, data_len, id.dec.elem_size, e.offset + data_off,
		       e.offset + data_off);
	else
		printf("data: %" PRIu64 " of %" PRIu64
		       " bytes (raw entry) at offset %" PRIu64 " (0x%" PRIx64
		       ")\n",
		       n, data_len, e.offset + data_off, e.offset + data_off);
	inspect_hexdump(stdout, data, n, e.offset + data_off);
	return ident_corrupt(&id) ? INSPECT_EXIT_RUNTIME : INSPECT_EXIT_OK;
}

static int cmd_show(int argc, char **argv)
{
	struct opts o;
	zeroipc_memory *mem;
	int status;

	parse_opts(&o, "show", argc, argv,
		   OPT_JSON | OPT_ALL | OPT_BYTES | OPT_AS, 1, 2);
	if (o.npos < 2 && (o.all || o.have_bytes || o.as >= 0))
		usage_error("show: --all, --bytes and --as need an ENTRY");
	mem = open_segment(o.pos[0]);
	if (o.npos == 2)
		status = show_entry(mem, o.pos[1], &o);
	else
		status = show_segment(mem, &o);
	zeroipc_memory_close(mem);
	return status;
}

/* ---- monitor ---- */

/* A counter whose change per interval is worth a rate. */
struct counter {
	const char *field; /* inspect_decoded field it reads */
	const char *label; /* what its increase means */
	int wraps32;       /* free-running u32: difference modulo 2^32 */
};

struct monitor_view {
	enum inspect_kind kind;
	const char *shown[4];
	struct counter counters[2];
};

static const struct monitor_view views[] = {
	{INSPECT_QUEUE,
	 {"head", "tail", "size", NULL},
	 {{"tail", "pushes", 1}, {"head", "pops", 1}}},
	{INSPECT_RING,
	 {"write_pos", "read_pos", "used_bytes", NULL},
	 {{"write_pos", "written_bytes", 0}, {"read_pos", "read_bytes", 0}}},
	{INSPECT_STACK,
	 {"top", "count", NULL, NULL},
	 {{"count", "count_change", 0}, {NULL, NULL, 0}}},
	{INSPECT_MAP,
	 {"size", NULL, NULL, NULL},
	 {{"size", "size_change", 0}, {NULL, NULL, 0}}},
	{INSPECT_SET,
	 {"size", NULL, NULL, NULL},
	 {{"size", "size_change", 0}, {NULL, NULL, 0}}},
	{INSPECT_POOL,
	 {"in_use", NULL, NULL, NULL},
	 {{"in_use", "in_use_change", 0}, {NULL, NULL, 0}}},
};

static const struct inspect_field *field(const struct inspect_decoded *d,
					 const char *name)
{
	unsigned i;

	for (i = 0; i < d->nfields; i++)
		if (strcmp(d->fields[i].name, name) == 0)
			return &d->fields[i];
	return NULL;
}

static int64_t field_value(const struct inspect_field *f)
{
	return f->is_signed ? f->s : (int64_t)f->u;
}

/*
 * FNV-1a over the entry's bytes: cheap enough for an interval, and any
 * change of a byte changes it with overwhelming likelihood.
 */
static uint64_t checksum(const unsigned char *p, uint64_t len)
{
	uint64_t h = ZEROIPC_FMT_MAP_FNV_OFFSET, i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * ZEROIPC_FMT_MAP_FNV_PRIME;
	return h;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The fields a view shows (all of them without a view), as name=value. */
static void print_fields(const struct monitor_view *view,
			 const struct inspect_decoded *cur)
{
	unsigned i, j;

	for (i = 0; i < cur->nfields; i++) {
		const struct inspect_field *f = &cur->fields[i];
		int wanted = view == NULL;

		for (j = 0; view != NULL && j < 4 && view->shown[j]; j++)
			wanted |= strcmp(view->shown[j], f->name) == 0;
		if (!wanted)
			continue;
		if (f->is_signed)
			printf(" %s=%" PRId64, f->name, f->s);
		else
			printf(" %s=%" PRIu64, f->name, f->u);
	}
}

/*
 * Each counter's change since the previous sample (none on the first
 * line: prev is NULL) and its rate over dt seconds.
 */
static void print_counters(const struct monitor_view *view,
			   const struct inspect_decoded *cur,
			   const struct inspect_decoded *prev, double dt)
{
	unsigned i;

	for (i = 0; i < 2 && view->counters[i].field != NULL; i++) {
		const struct counter *c = &view->counters[i];
		const struct inspect_field *a = field(cur, c->field);
		const struct inspect_field *b =
			prev != NULL ? field(prev, c->field) : NULL;
		int64_t delta = 0;

		if (a != NULL && b != NULL && c->wraps32)
			delta = (int64_t)(uint32_t)(a->u - b->u);
		else if (a != NULL && b != NULL)
			delta = field_value(a) - field_value(b);
		printf(" %s=%+" PRId64 " %s/s=%.1f", c->label, delta, c->label,
		       prev != NULL && dt > 0 ? (double)delta / dt : 0.0);
	}
}

static int cmd_monitor(int argc, char **argv)
{
	const struct monitor_view *view = NULL;
	struct inspect_decoded prev, cur;
	struct inspect_ident id;
	zeroipc_table_entry e;
	zeroipc_memory *mem;
	struct opts o;
	sigset_t stop;
	uint64_t line, sum, prev_sum = 0;
	double start, t, prev_t = 0;
	size_t v;
	int s;

	parse_opts(&o, "monitor", argc, argv, OPT_INTERVAL | OPT_COUNT | OPT_AS,
		   2, 2);
	mem = open_segment(o.pos[0]);
	find_entry(&e, mem, o.pos[1]);
	inspect_identify(&id, mem, &e, o.as);
	for (v = 0; v < sizeof(views) / sizeof(views[0]); v++)
		if (!id.ambiguous && views[v].kind == id.kind)
			view = &views[v];

	/* SIGINT and SIGTERM are taken synchronously by sigtimedwait()
	 * between samples, so a signal ends the loop cleanly whenever it
	 * comes, and the wait is a plain display pause, not a poll. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	memset(&prev, 0, sizeof(prev));
	start = now_seconds();
	for (line = 0;; line++) {
		struct timespec wait;

		t = now_seconds() - start;
		printf("t=%.3f", t);
		if (view != NULL || id.kind == INSPECT_WAIT) {
			/* Decoded afresh each time: the header is re-read
			 * and re-checked against the entry. */
			inspect_decode(&cur, mem, &e, id.kind);
			print_fields(view, &cur);
			if (view != NULL)
				print_counters(view, &cur, line ? &prev : NULL,
					       t - prev_t);
			if (!cur.shape_ok)
				printf(" problem=\"%s\"", cur.problem);
			prev = cur;
		} else {
			/* Arrays and unknown bytes: only "did it change". */
			sum = checksum(inspect_entry_bytes(mem, &e, 0), e.size);
			printf(" checksum=0x%016" PRIx64 " changed=%s", sum,
			       line && sum != prev_sum ? "yes" : "no");
			prev_sum = sum;
		}
		printf("\n");
		fflush(stdout);
		prev_t = t;
		if (o.count != 0 && line + 1 == o.count)
			break;
		wait.tv_sec = (time_t)(o.interval_ms / 1000);
		wait.tv_nsec = (long)(o.interval_ms % 1000) * 1000000L;
		do {
			s = sigtimedwait(&stop, NULL, &wait);
		} while (s < 0 && errno == EINTR);
		if (s > 0)
			break;
	}
	zeroipc_memory_close(mem);
	return INSPECT_EXIT_OK;
}

/* ---- dump ---- */

static int cmd_dump(int argc, char **argv)
{
	zeroipc_table_entry e;
	zeroipc_memory *mem;
	struct opts o;
	uint64_t base = 0, limit, offset, size;
	const char *what = "segment";

	parse_opts(&o, "dump", argc, argv, OPT_OFFSET | OPT_SIZE | OPT_ENTRY, 1,
		   1);
	mem = open_segment(o.pos[0]);
	limit = zeroipc_memory_size(mem);
	if (o.entry != NULL) {
		find_entry(&e, mem, o.entry);
		base = e.offset;
		limit = e.size;
		what = "entry";
	}
	offset = o.have_offset ? o.offset : 0;
	if (offset >= limit)
		die(INSPECT_EXIT_USAGE,
		    "offset %" PRIu64 " is past the end of the %s (%" PRIu64
		    " bytes)",
		    offset, what, limit);
	if (o.have_size)
		size = o.size;
	else if (o.entry != NULL)
		size = limit - offset;
	else
		size = limit - offset < DEFAULT_DUMP_BYTES ? limit - offset
							   : DEFAULT_DUMP_BYTES;
	if (size > limit - offset)
		die(INSPECT_EXIT_USAGE,
		    "range %" PRIu64 "+%" PRIu64 " runs past the end of the %s "
		    "(%" PRIu64 " bytes)",
		    offset, size, what, limit);
	inspect_hexdump(stdout,
			(const unsigned char *)zeroipc_memory_base(mem) + base +
				offset,
			size, base + offset);
	zeroipc_memory_close(mem);
	return INSPECT_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int status;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return INSPECT_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return INSPECT_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("zeroipc-inspect (libzeroipc %s, format %" PRIu32 ")\n",
		       zeroipc_version_string(), zeroipc_format_version());
		return INSPECT_EXIT_OK;
	}
	if (strcmp(cmd, "list") == 0)
		status = cmd_list(argc - 2, argv + 2);
	else if (strcmp(cmd, "show") == 0)
		status = cmd_show(argc - 2, argv + 2);
	else if (strcmp(cmd, "monitor") == 0)
		status = cmd_monitor(argc - 2, argv + 2);
	else if (strcmp(cmd, "dump") == 0)
		status = cmd_dump(argc - 2, argv + 2);
	else
		usage_error("unknown command '%s' (see --help)", cmd);
	/* A write error (a full disk, a closed pipe) is a failure too. */
	if (fflush(stdout) != 0 || ferror(stdout))
		die(INSPECT_EXIT_RUNTIME, "writing output: %s",
		    strerror(errno));
	return status;
}
