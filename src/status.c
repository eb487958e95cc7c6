/* SPDX-License-Identifier: MIT */
/* status.c - status names and messages, error details, version queries. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One buffer per thread: details never race between threads. */
static _Thread_local char last_error[512];
/*
 * A detail recorded by zeroipc__fail_lazy() and not formatted yet: its
 * format (one %s) and that argument, copied.  Formatted on demand by
 * zeroipc_last_error(); NULL when last_error holds the detail.
 */
static _Thread_local const char *pending_fmt;
static _Thread_local char pending_arg[ZEROIPC_NAME_MAX + 1];

const char *zeroipc_strerror(int status)
{
	switch (status) {
#define ZEROIPC__STATUS_MESSAGE(name, value, message)                          \
	case value:                                                            \
		return message;
		ZEROIPC_STATUS_MAP(ZEROIPC__STATUS_MESSAGE)
#undef ZEROIPC__STATUS_MESSAGE
	}
	return "unknown zeroipc status";
}

const char *zeroipc_status_name(int status)
{
	switch (status) {
#define ZEROIPC__STATUS_NAME(name, value, message)                             \
	case value:                                                            \
		return #name;
		ZEROIPC_STATUS_MAP(ZEROIPC__STATUS_NAME)
#undef ZEROIPC__STATUS_NAME
	}
	return "UNKNOWN";
}

const char *zeroipc_last_error(void)
{
	if (pending_fmt != NULL) {
		/* The format is one of the library's literals with exactly
		 * one %s (checked where zeroipc__fail_lazy() is called). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(last_error, sizeof(last_error), pending_fmt,
			 pending_arg);
#pragma GCC diagnostic pop
		pending_fmt = NULL;
	}
	return last_error;
}

void zeroipc__clear_error(void)
{
	pending_fmt = NULL;
	last_error[0] = '\0';
}

int zeroipc__fail(int status, const char *fmt, ...)
{
	va_list ap;

	pending_fmt = NULL;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return status;
}

int zeroipc__fail_lazy(int status, const char *fmt, ...)
{
	const char *arg;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	arg = va_arg(ap, const char *);
	va_end(ap);
	n = strnlen(arg, sizeof(pending_arg) - 1);
	memcpy(pending_arg, arg, n);
	pending_arg[n] = '\0';
	pending_fmt = fmt;
	return status;
}

int zeroipc__fail_errno(int err, const char *what, const char *name)
{
	int status;

	switch (err) {
	case ENOENT:
		status = ZEROIPC_ENOT_FOUND;
		break;
	case EEXIST:
		status = ZEROIPC_EEXISTS;
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		status = ZEROIPC_EPERM;
		break;
	case ENAMETOOLONG:
		status = ZEROIPC_ENAME;
		break;
	case ENOSPC:
	case EFBIG:
		status = ZEROIPC_ENO_SPACE;
		break;
	case ENOMEM:
		status = ZEROIPC_ENOMEM;
		break;
	case EINVAL:
		status = ZEROIPC_EINVAL;
		break;
	default:
		status = ZEROIPC_ESYS;
		break;
	}
	return zeroipc__fail(status, "%s(%s): %s", what, name ? name : "",
			     strerror(err));
}

uint32_t zeroipc_version(void)
{
	return ZEROIPC_VERSION_NUMBER;
}

const char *zeroipc_version_string(void)
{
	return ZEROIPC_VERSION_STRING;
}

int zeroipc_version_at_least(unsigned major, unsigned minor, unsigned patch)
{
	/* Component by component: packing unbounded unsigned arguments into
	 * one number would let a minor of 256 carry into the major. */
	static const unsigned have[3] = { ZEROIPC_VERSION_MAJOR,
					  ZEROIPC_VERSION_MINOR,
					  ZEROIPC_VERSION_PATCH };
	const unsigned want[3] = { major, minor, patch };

	for (int i = 0; i < 3; i++)
		if (want[i] != have[i])
			return want[i] < have[i];
	return 1;
}

uint32_t zeroipc_format_version(void)
{
	return ZEROIPC_FMT_VERSION;
}

#ifdef ZEROIPC_CRASH_POINTS
void zeroipc__crash_point(const char *point)
{
	const char *target = getenv("ZEROIPC_CRASH_AT");
	const char *action;

	if (target == NULL || strcmp(target, point) != 0)
		return;
	action = getenv("ZEROIPC_CRASH_ACTION");
	if (action != NULL && strcmp(action, "stop") == 0)
		raise(SIGSTOP);
	else
		raise(SIGKILL);
}
#endif
