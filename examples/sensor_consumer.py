# SPDX-License-Identifier: MIT
"""Quick-start consumer in Python: read what sensor_producer wrote.

Run examples/sensor_producer (C) first; it leaves /sensor_data behind.
`./dev demo` runs both.  Needs the zeroipc package (python/) and the
library (see python/README.md).
"""
from zeroipc import Memory, Array
import numpy as np

# Open same shared memory
mem = Memory("/sensor_data")
# Read with duck typing - user specifies type
temps = Array(mem, "temperature", dtype=np.float32)
print(temps[0])  # 23.5
