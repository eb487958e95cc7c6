# SPDX-License-Identifier: MIT
"""Scenario "quickstart": the README example under a unique name.

The writer is the README's Python producer; the reader is its consumer
(examples/sensor_consumer.py) and must find 23.5 at index 0 and zeros
elsewhere.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
import interop  # noqa: E402
from interop import expect  # noqa: E402

from zeroipc import Array, Memory  # noqa: E402


def writer(name, fifo):
    mem = Memory(name, 10 * 1024 * 1024)
    temps = Array(mem, "temperature", 1000, dtype=np.float32)
    temps[0] = 23.5
    mem.close()
    interop.signal_ready(fifo)


def reader(name):
    mem = Memory(name)
    temps = Array(mem, "temperature", dtype=np.float32)
    print(temps[0])
    expect(str(temps[0]) == "23.5", "temps[0] printed as %s" % temps[0])
    expect(mem.size == 10 * 1024 * 1024, "segment size %d" % mem.size)
    expect(len(temps) == 1000, "capacity %d" % len(temps))
    expect(not temps.data[1:].any(), "nonzero temperatures after index 0")


if __name__ == "__main__":
    interop.main(writer, reader)
