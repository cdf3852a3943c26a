"""Mutation test: the suite must notice a 0.1% slip in any line of any backward pass.

Every assignment inside a `backward` method of a scratch component module (gradients and
the intermediates they are built from) is rewritten, one at a time, as `(rhs) * 1.001`.
The mutated module is loaded on its own and each registry component from it goes through
the central-difference check; at least one must fail for each mutant.
"""

import zlib

import numpy as np
import pytest

from parity_tests.mutation import load_mutant, site_ids
from parity_tests.registry import RECORDS
from parity_tests.support import run_gradcheck
from scratch.tools.gradcheck import GradientCheckError

STEMS = sorted({r.stem for r in RECORDS})
SITES = [
    pytest.param(stem, i, id=site)
    for stem in STEMS
    for i, site in enumerate(site_ids(stem, {"backward", "_backward"}))
]


def test_there_are_sites_to_mutate():
    assert len(SITES) >= 25


@pytest.mark.parametrize("stem, index", SITES)
def test_gradient_check_catches_a_one_per_mille_slip(stem, index, monkeypatch):
    module, mutated_line = load_mutant(
        stem, {"backward", "_backward"}, index, name=f"mutant_{stem}"
    )
    caught = []
    for record in [r for r in RECORDS if r.stem == stem]:
        # make record.build() return the mutant's class instead of the real one
        monkeypatch.setattr(
            type(record),
            "build",
            lambda self, backend="numpy", kwargs=None: getattr(module, self.cls)(
                **(self.kwargs if kwargs is None else kwargs)
            ),
        )
        rng = np.random.default_rng(zlib.crc32(record.name.encode()))
        try:
            run_gradcheck(record, rng)
        except GradientCheckError:
            caught.append(record.name)
        monkeypatch.undo()
    assert caught, f"no gradient check noticed the mutation `{mutated_line}` in scratch/{stem}.py"
