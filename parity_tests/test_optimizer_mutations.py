"""Mutation test for the optimizers: scaling any single update line by 1.001 (a bias
correction, a momentum term, a decay term, a clipping factor, a schedule's value) must
break float64 trajectory parity with torch.optim for at least one registry setting."""

import sys

import pytest

from parity_tests.mutation import load_mutant, site_ids
from parity_tests.optimizer_registry import OPTIMIZER_RECORDS
from parity_tests.support import run_trajectory, sequence_objective

TARGETS = {
    "optim.optimizers": {
        "update",
        "_step_one",
        "_lerp_",
        "clip_by_global_norm",
        "global_norm",
        "learning_rate",
    },
    "optim.schedules": {"__call__"},
}
SITES = [
    pytest.param(stem, i, id=site)
    for stem, names in TARGETS.items()
    for i, site in enumerate(site_ids(stem, names))
]


def test_there_are_sites_to_mutate():
    assert len(SITES) >= 30


@pytest.mark.parametrize("stem, index", SITES)
def test_trajectory_parity_catches_a_one_per_mille_slip(stem, index, monkeypatch):
    module, mutated_line = load_mutant(stem, TARGETS[stem], index)
    # records build scratch objects through import_module: hand them the mutant instead
    monkeypatch.setitem(sys.modules, f"scratch.{stem}", module)
    if (
        stem == "optim.schedules"
    ):  # a constant lr becomes scratch.optim.optimizers' own Constant(lr)
        monkeypatch.setattr(sys.modules["scratch.optim.optimizers"], "Constant", module.Constant)
    caught = []
    for record in [r for r in OPTIMIZER_RECORDS if "torch" not in r.unsupported]:
        try:
            run_trajectory(record, "torch", "float64", sequence_objective("float64", steps=60), 60)
        except AssertionError:
            caught.append(record.name)
            break
    assert caught, f"no trajectory noticed the mutation `{mutated_line}` in scratch/{stem}.py"
