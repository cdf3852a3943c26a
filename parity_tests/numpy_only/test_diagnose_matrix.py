"""The false-alarm matrix: `diagnose` on healthy runs — every shipped data set x every
activation x every optimizer at its default learning rate — must not FAIL anywhere.

Short runs: the network is narrower than train's default (64,32 instead of 256,128) so
that the 270 runs fit CI; the data, scaling, activations, optimizers, learning rates,
dropout and every check and threshold are the defaults. The data checks (which depend
on neither model nor optimizer) run once per data set. The WARNs these runs get are
listed in the README (python -m scratch.tools.false_alarms matrix).
"""

import contextlib
import functools

import pytest

from scratch.data import datasets
from scratch.nn.mlp import ACTIVATIONS
from scratch.tools.diagnose import check_data, format_report
from scratch.tools.false_alarms import healthy_report, prepared
from scratch.training.run import OPTIMIZERS

HIDDEN = "64,32"

try:  # one BLAS thread: these matrices are small, and threads only contend on 2 cores
    from threadpoolctl import threadpool_limits
except ImportError:  # the numpy-only environment has no threadpoolctl
    threadpool_limits = None


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        yield


@functools.cache
def data_findings(dataset):
    run = prepared(dataset, hidden=HIDDEN)
    return tuple(check_data(run.splits, run.dataset.task))


CASES = [(d, a, o) for d in datasets.NAMES for a in sorted(ACTIVATIONS) for o in sorted(OPTIMIZERS)]


def test_the_matrix_covers_nine_data_sets_five_activations_six_optimizers():
    assert (len(datasets.NAMES), len(ACTIVATIONS), len(OPTIMIZERS)) == (9, 5, 6)
    assert len(CASES) == 270


@pytest.mark.parametrize(
    "dataset, activation, optimizer", CASES, ids=["-".join(case) for case in CASES]
)
def test_healthy_run_has_no_fail(dataset, activation, optimizer):
    run = prepared(dataset, activation, optimizer, hidden=HIDDEN)
    report = healthy_report(run, list(data_findings(dataset)))
    # every category was examined (a category skipped would pass vacuously)
    assert {f.category for f in report.findings} == {"data", "loss", "gradients", "updates"}
    assert not any(f.check == "not run" for f in report.findings)
    assert report.failed == [], format_report(report)
