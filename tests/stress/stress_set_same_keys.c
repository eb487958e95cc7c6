/* SPDX-License-Identifier: MIT */
/*
 * stress_set_same_keys.c - stress_map_same_keys.c run on a Set: processes
 * insert and erase the same keys at once; one winner per key, no duplicate.
 */
#define STRESS_SET 1
#include "stress_map_same_keys.c"
