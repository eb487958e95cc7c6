/* SPDX-License-Identifier: MIT */
/* zeroipc.h - the one header users include. */
#ifndef ZEROIPC_H
#define ZEROIPC_H

#include "zeroipc/version.h"
#include "zeroipc/common.h"
#include "zeroipc/memory.h"
#include "zeroipc/table.h"
#include "zeroipc/array.h"

#endif /* ZEROIPC_H */
