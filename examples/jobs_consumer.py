# SPDX-License-Identifier: MIT
"""A job queue between processes, consumer side (Python).

Pops the jobs examples/jobs_producer (C) pushes into the queue "jobs" of
segment /jobs (or the name given as argument) until the stop job, and
checks they came in order.  Either side may start first: the first creates
the segment and the queue.
"""
import sys

import numpy as np
from zeroipc import Exists, Memory, Queue

# The C struct job {uint32_t id; float x;}, as a NumPy record.
JOB = np.dtype([("id", np.uint32), ("x", np.float32)])
STOP = 0xFFFFFFFF

name = sys.argv[1] if len(sys.argv) > 1 else "/jobs"
mem = Memory(name, 1024 * 1024)  # open, or create if not there yet
try:
    jobs = Queue(mem, "jobs", 64, dtype=JOB)  # create ...
except Exists:
    jobs = Queue(mem, "jobs", dtype=JOB)  # ... or open the producer's

count, total = 0, 0.0
while True:
    job = jobs.pop(timeout=10.0)  # waits in the kernel; None on timeout
    if job is None:
        raise SystemExit("consumer: no job for 10 s")
    if job["id"] == STOP:
        break
    if job["id"] != count:
        raise SystemExit("consumer: job %d out of order" % job["id"])
    count += 1
    total += float(job["x"])
print("consumer: %d jobs in order, sum of x = %.1f" % (count, total))
