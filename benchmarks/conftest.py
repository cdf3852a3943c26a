"""Shared by the benchmark suites: cross-backend results (computed once per case), and
the machine facts that the report prints (BLAS library and kernel, thread counts, CPU)."""

import os
import platform
import re

import numpy as np
import pytest

_results = {}


def pytest_configure(config):
    # every backend in this process allocates through glibc's malloc: keep freed memory
    # for all three alike, as the command lines do (scratch/allocator.py says why)
    from scratch.allocator import keep_freed_memory

    keep_freed_memory()


def results_for(kind, size, dtype, builder):
    """{backend: result dict} for one case on all three backends, computed once."""
    key = (kind, size, dtype)
    if key not in _results:
        from benchmarks.cases import BACKENDS

        _results[key] = {b: builder(b, size, dtype).result() for b in BACKENDS}
    return _results[key]


def assert_agrees(label, ours, theirs, dtype):
    """Relative to each array's largest entry: float64 1e-10, float32 1e-4 (a 2048-term
    float32 dot product carries ~sqrt(2048) * 6e-8 ~ 3e-6 of rounding, with headroom)."""
    tol = 1e-10 if dtype == "float64" else 1e-4
    assert sorted(ours) == sorted(theirs), label
    for name in ours:
        a, b = np.asarray(ours[name], np.float64), np.asarray(theirs[name], np.float64)
        assert a.shape == b.shape, f"{label} {name}: {a.shape} vs {b.shape}"
        scale = max(float(np.max(np.abs(b))), 1e-30)
        err = float(np.max(np.abs(a - b))) / scale
        assert err <= tol, f"{label} {name}: max deviation {err:.2e} of scale > {tol:g}"


def blas_info():
    from threadpoolctl import threadpool_info

    return [
        {
            k: v
            for k, v in lib.items()
            if k
            in (
                "user_api",
                "internal_api",
                "prefix",
                "version",
                "architecture",
                "num_threads",
                "threading_layer",
            )
        }
        for lib in threadpool_info()
    ]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_summary():
    """One line of the facts that decide these timings, for reports made outside pytest."""
    from scratch.allocator import allocator_state

    kernels = ", ".join(
        f"{lib['internal_api']} {lib.get('architecture', '-')} ({lib['num_threads']} threads)"
        for lib in blas_info()
        if lib["user_api"] == "blas"
    )
    return (
        f"machine: {cpu_model()}, {os.cpu_count()} cores; numpy {np.__version__}; BLAS {kernels}; "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
        f"allocator: {allocator_state()}"
    )


def pytest_benchmark_update_machine_info(config, machine_info):
    import jax
    import torch

    from scratch.allocator import allocator_state

    machine_info["tiny_mlp"] = {
        "cpu_model": cpu_model(),
        "allocator": allocator_state(),
        "cores": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "jax": jax.__version__,
        "blas": blas_info(),
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        # the build settings name the BLAS torch links (MKL for the CPU wheel)
        "torch_blas": re.findall(r"(?:BLAS_INFO|LAPACK_INFO)=\w+", torch.__config__.show()),
        "jax_backend": jax.default_backend(),
        "jax_threads": "XLA:CPU uses its own Eigen thread pool, one thread per core "
        f"({os.cpu_count()}); XLA_FLAGS={os.environ.get('XLA_FLAGS', '(unset)')}",
    }


@pytest.fixture
def record(benchmark):
    def _record(kind, backend, size, dtype, flops):
        benchmark.group = f"{kind} {size} {dtype}"
        benchmark.extra_info.update(
            {
                "kind": kind,
                "backend": backend,
                "size": str(size),
                "dtype": dtype,
                "flops": int(flops),
            }
        )

    return _record
