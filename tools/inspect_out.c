/* SPDX-License-Identifier: MIT */
/*
 * inspect_out.c - zeroipc-inspect's output helpers: hexdump, JSON strings,
 * and names made safe for a terminal.  Names come from shared memory or
 * from /dev/shm and may hold any byte.
 */
#include <string.h>

#include "inspect.h"

static void hex_line(FILE *out, const unsigned char *p, unsigned n,
		     uint64_t label)
{
	unsigned i;

	fprintf(out, "%08llx ", (unsigned long long)label);
	for (i = 0; i < 16; i++) {
		if (i == 8)
			fputc(' ', out);
		if (i < n)
			fprintf(out, " %02x", p[i]);
		else
			fputs("   ", out);
	}
	fputs("  |", out);
	for (i = 0; i < n; i++)
		fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', out);
	fputs("|\n", out);
}

void inspect_hexdump(FILE *out, const unsigned char *p, uint64_t len,
		     uint64_t label)
{
	uint64_t off = 0;
	int squeezing = 0;

	while (off < len) {
		unsigned n = len - off < 16 ? (unsigned)(len - off) : 16;

		/* A full line equal to the one before it: print one "*" for
		 * the whole run, as hexdump -C does, so a mostly zero
		 * structure stays readable. */
		if (off >= 16 && n == 16 &&
		    memcmp(p + off, p + off - 16, 16) == 0) {
			if (!squeezing)
				fputs("*\n", out);
			squeezing = 1;
		} else {
			squeezing = 0;
			hex_line(out, p + off, n, label + off);
		}
		off += n;
	}
	fprintf(out, "%08llx\n", (unsigned long long)(label + len));
}

void inspect_json_string(FILE *out, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	fputc('"', out);
	for (; *c != '\0'; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			/* Bytes above 0x7f are escaped one by one (as
			 * U+0080..U+00FF): a name need not be UTF-8, and JSON
			 * output must stay valid whatever it holds. */
			if (*c < 0x20 || *c >= 0x7f)
				fprintf(out, "\\u%04x", *c);
			else
				fputc(*c, out);
		}
	}
	fputc('"', out);
}

void inspect_print_safe(FILE *out, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	for (; *c != '\0'; c++) {
		if (*c < 0x20 || *c >= 0x7f || *c == '\\')
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
}

void inspect_hex_string(FILE *out, const unsigned char *p, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
}
