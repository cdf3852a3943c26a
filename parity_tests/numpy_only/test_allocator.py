"""scratch/allocator.py: with freed memory kept, making the same large arrays again
costs no page faults. Counted, not timed: the minor page faults the kernel reports
(getrusage), each a 4 KiB page it had to map in and zero, in a fresh interpreter per case
(the setting is process-wide and cannot be undone)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# 20 rounds of two 4 MiB arrays alive at once, then freed: 20 * 2 * 1024 pages if
# each round's arrays are new memory, a few hundred at most if they are reused
PROGRAM = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    if sys.argv[1] == "keep":
        from scratch.allocator import keep_freed_memory
        print(keep_freed_memory(), file=sys.stderr)
    def round_():
        a = np.ones(512 * 1024)  # 4 MiB of float64
        b = a * 2
        return float(b[-1])
    round_()  # the first round maps its memory in either way
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        round_()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def page_faults(mode, env_extra=None):
    """(minor page faults of 20 rounds, what keep_freed_memory said) in a fresh process;
    the MALLOC_ variables of this process are not passed on unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(env_extra or {})
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1]), done.stderr.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_kept_memory_is_reused_without_page_faults():
    default, _ = page_faults("default")
    kept, said = page_faults("keep")
    assert "keeps freed memory" in said, said
    # 40 arrays of 1024 pages each were made (measured: ~30,000 faults by default on
    # this project's VM); kept memory was mapped in once, before the count (measured: 0)
    assert kept < 200, (kept, default)
    if default < 2_000:  # nothing to show: this malloc reuses the memory by itself
        pytest.skip(f"only {default} page faults without keep_freed_memory")
    assert default > 10 * max(kept, 1), (kept, default)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_the_environment_wins_and_is_reported():
    kept, said = page_faults("keep", {"MALLOC_MMAP_THRESHOLD_": "33554432"})
    assert said.startswith("set by the environment: MALLOC_MMAP_THRESHOLD_=33554432"), said


def test_calling_again_changes_nothing():
    from scratch.allocator import allocator_state, keep_freed_memory

    first = keep_freed_memory()
    assert keep_freed_memory() == first == allocator_state()
