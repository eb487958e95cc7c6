/* SPDX-License-Identifier: MIT */
/* zeroipc.h - the one header users include. */
#ifndef ZEROIPC_H
#define ZEROIPC_H

#include "zeroipc/version.h"
#include "zeroipc/common.h"
#include "zeroipc/memory.h"
#include "zeroipc/table.h"
#include "zeroipc/array.h"
#include "zeroipc/pool.h"
#include "zeroipc/stack.h"
#include "zeroipc/ring.h"
#include "zeroipc/queue.h"
#include "zeroipc/map.h"
#include "zeroipc/set.h"

#endif /* ZEROIPC_H */
