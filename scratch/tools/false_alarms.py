"""How often does `diagnose` cry wolf? Two measurements, printed as README tables.

    python -m scratch.tools.false_alarms matrix [--hidden 256,128]
        every shipped data set x activation x optimizer (default learning rates), healthy:
        PASS/WARN/FAIL counts per data set and per category, and which checks WARN
    python -m scratch.tools.false_alarms control [--seeds 50] [--shuffled]
        the signal control on every shipped classification set over many split seeds:
        how often it FAILs (a false alarm: these labels carry signal) and WARNs; with
        --shuffled, on labels shuffled within each split (no signal): how often it
        catches them (FAIL), and how often it misses them (PASS, at most ~1e-3 expected)

Both are measurements, not tests: parity_tests/numpy_only/test_diagnose_matrix.py holds
the matrix to "no FAIL" in CI.
"""

import argparse
import time
from collections import Counter, defaultdict

import numpy as np

from scratch.data import datasets
from scratch.nn.losses import loss_for_task
from scratch.nn.mlp import ACTIVATIONS
from scratch.optim import optimizers
from scratch.tools.diagnose import CATEGORIES, check_data, diagnose, signal_control
from scratch.training.run import OPTIMIZERS, add_training_options, build_optimizer, prepare


def prepared(dataset, activation="relu", optimizer="adam", hidden=None, seed=0):
    argv = [
        "--dataset",
        dataset,
        "--activation",
        activation,
        "--optimizer",
        optimizer,
        "--seed",
        str(seed),
    ]
    if hidden:
        argv += ["--hidden", hidden]
    return prepare(
        add_training_options(argparse.ArgumentParser(), outputs=(), loop=False).parse_args(argv)
    )


def healthy_report(run, data_findings=None):
    return diagnose(
        run.mlp,
        run.params,
        build_optimizer(run, optimizers),
        loss_for_task(run.dataset.task),
        run.splits,
        task=run.dataset.task,
        data_findings=data_findings,
    )


def matrix(hidden=None, names=datasets.NAMES):
    """{dataset: [(activation, optimizer, report)]}; the data checks run once per set."""
    results = {}
    for name in names:
        first = prepared(name, hidden=hidden)
        data = check_data(first.splits, first.dataset.task)
        results[name] = [
            (a, o, healthy_report(prepared(name, a, o, hidden), data))
            for a in sorted(ACTIVATIONS)
            for o in sorted(OPTIMIZERS)
        ]
    return results


def format_matrix(results):
    lines = [
        "| data set | runs | " + " | ".join(CATEGORIES) + " | runs with a FAIL |",
        "|---" * (3 + len(CATEGORIES)) + "|",
    ]
    warns = defaultdict(Counter)
    for name, rows in results.items():
        counts = {c: Counter() for c in CATEGORIES}
        failed = 0
        for activation, _optimizer, report in rows:
            failed += bool(report.failed)
            for f in report.findings:
                counts[f.category][f.status] += 1
                if f.status != "PASS":
                    warns[(f.category, f.check, f.status)][f"{name}/{activation}"] += 1
        cells = [f"{counts[c]['PASS']}/{counts[c]['WARN']}/{counts[c]['FAIL']}" for c in CATEGORIES]
        lines.append(f"| {name} | {len(rows)} | " + " | ".join(cells) + f" | {failed} |")
    lines.append("")
    lines.append("cells: PASS/WARN/FAIL counts of the category's findings over the runs")
    lines.append("")
    lines.append("| category | check | status | findings | where (data set/activation: count) |")
    lines.append("|---|---|---|---|---|")
    for (category, check, status), where in sorted(
        warns.items(), key=lambda kv: -sum(kv[1].values())
    ):
        top = ", ".join(f"{k}: {v}" for k, v in where.most_common(8))
        more = f" (+{len(where) - 8} more)" if len(where) > 8 else ""
        escaped = check.replace("|", "\\|")  # a | inside a cell would end it
        lines.append(f"| {category} | {escaped} | {status} | {sum(where.values())} | {top}{more} |")
    return "\n".join(lines)


def control_rates(seeds=50, shuffled=False):
    """{classification set: Counter of the signal control's statuses over split seeds}."""
    rates = {}
    for name in datasets.NAMES:
        counts = Counter()
        for seed in range(seeds):
            run = prepared(name, seed=seed)
            if run.dataset.task != "classification":
                break
            splits = run.splits
            if shuffled:  # labels that carry no signal, class shares unchanged
                rng = np.random.default_rng([seed, 2])
                splits = type(splits)(*(s._replace(y=rng.permutation(s.y)) for s in splits))
            counts[signal_control(splits, run.dataset.task, seed=seed).status] += 1
        if counts:
            rates[name] = counts
    return rates


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m scratch.tools.false_alarms",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("what", choices=["matrix", "control"])
    parser.add_argument("--hidden", default=None, help="hidden widths (default: train's)")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument(
        "--shuffled",
        action="store_true",
        help="control: shuffle the labels first (measures detection)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.what == "matrix":
        print(format_matrix(matrix(args.hidden)))
    else:
        fail = "FAIL (caught)" if args.shuffled else "FAIL (false alarms)"
        print(f"| data set | seeds | PASS | WARN | {fail} |")
        print("|---|---|---|---|---|")
        for name, counts in control_rates(args.seeds, args.shuffled).items():
            print(
                f"| {name} | {sum(counts.values())} | {counts['PASS']} | {counts['WARN']} | "
                f"{counts['FAIL']} |"
            )
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
