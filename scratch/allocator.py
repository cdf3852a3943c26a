"""Keep freed memory in the process, so that a new array does not cost page faults.

NumPy takes every array's memory from the C library's malloc. glibc's malloc serves a
request of 128 KiB or more (a float64 array of 16,384 elements, a (32, 512) batch)
with a fresh mmap and hands it back to the kernel when the array is freed; memory it
keeps at the top of its heap is also handed back once more than a few times that is
free. The next array of that size is then new memory again, and the kernel must fault
in and zero each 4 KiB page the first time it is written. A training step makes the
same arrays every step, so it pays that on every step. Measured on this project's 2-core
VM (Linux 6.18, glibc 2.36): 1.9 us per page, so that two fresh 256 KiB arrays took
250 us to fill against 17 us once freed memory was kept, and erf's rule for |x| < 0.84
on 32,768 elements (fdlibm's, which scratch/nn/erf.py used then: ten fresh temporaries
of 256 KiB) took 661 us
against 140-216 us. On bare metal a page fault costs nearer 0.2 us; the pattern is the
same. (NumPy keeps its own small cache only for arrays under 1 KiB.)

keep_freed_memory() sets two of glibc's malloc parameters (mallopt(3)):
    M_MMAP_THRESHOLD = 32 MiB   requests below this come from the heap, not from mmap
    M_TRIM_THRESHOLD = 1 GiB    free memory at the top of the heap is kept, up to this
so that freed arrays are reused. The price: the process keeps its peak memory instead
of returning it (what torch's caching allocators do on purpose). The same can be set
from outside, before Python starts: MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=1073741824.

It changes the whole process, so nothing in scratch/ calls it on import: the command
lines (python -m scratch, python -m reference) and the benchmarks call it at start,
and a script of your own may. Elsewhere than glibc (macOS, Windows, musl) it does
nothing and says so.
"""

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD = -1  # the parameter numbers of glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 1024 * 1024 * 1024
# set from outside (the environment variables above), they win: we leave them alone
ENVIRONMENT = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")

_state = "not set"


def keep_freed_memory():
    """Set glibc's malloc to keep freed memory (see the module docstring). Returns what
    now holds, as one line for a report; calling it again changes nothing."""
    global _state
    if _state != "not set":
        return _state
    if any(name in os.environ for name in ENVIRONMENT):
        _state = "set by the environment: " + ", ".join(
            f"{name}={os.environ[name]}" for name in ENVIRONMENT if name in os.environ
        )
        return _state
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        _state = "unchanged: this C library has no mallopt (not glibc)"
        return _state
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success, 0 for a value the library refuses
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        _state = f"glibc malloc keeps freed memory (mmap threshold {MMAP_THRESHOLD >> 20} MiB, "
        _state += f"trim threshold {TRIM_THRESHOLD >> 20} MiB)"
    else:
        _state = "unchanged: mallopt refused the thresholds"
    return _state


def allocator_state():
    """What keep_freed_memory() has done in this process (for reports)."""
    return _state
