"""`python -m benchmarks.paired [--rounds R] [--burst-ms B] [--pause-ms P] [--only TEXT]
[--json PATH]`, or `--summarize RUN.json ...`: every target of the report
(benchmarks/report.py) judged by paired, interleaved timing.

Why: on a shared machine the speed of the whole machine drifts over seconds. Measured on
this project's VM, the same training step's numpy/jax ratio of medians ranged from
0.64 to 2.32 over ten runs a minute apart. pytest-benchmark times one backend for about
half a second, then the next, so a slow spell that falls on one of them moves their
ratio. Here each round runs the two sides of a target's ratio for a burst of calls
each (about --burst-ms), one right after the other, in an order that alternates from
round to round, and takes their ratio; a slow spell then slows both sides alike in
most rounds. Each burst starts after a rest (--pause-ms): OpenBLAS's, torch's and
XLA's worker threads spin on a core for a while after their work, and without the rest
they took a core from the other side's burst (measured at the large training step,
100 ms bursts: numpy/torch 0.69 without rest, 0.87 with 300 ms of rest, 0.87 with
500 ms bursts; quartiles 0.34-1.02 without, 0.80-0.91 with). The verdict is the
median of the per-round ratios, shown with their interquartile range. A burst's time
per call is its mean: what a run of many steps pays, slow calls included (a per-call
median leaves out a backend's slow tail).

Each case is built by the same builders as the suites (benchmarks/cases.py) and checked
against the other backends first, with the same tolerances (conftest.assert_agrees).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

from benchmarks import cases, report


class Target(NamedTuple):
    what: str  # as in the report
    case: str  # as in the report
    group: tuple  # (kind, label, dtype): the case whose backends are timed together
    numerator: tuple  # (group, backend) timed above the line
    denominator: tuple  # (group, backend) timed below it
    relation: str  # "<" or "<="
    bound: float


def all_targets():
    """The report's targets, each naming the two timings whose ratio it judges."""
    targets = []
    for what, size, other, relation, bound in report.TARGETS:
        group = ("train_step", size, "float32")
        targets.append(Target(what, size, group, (group, "numpy"), (group, other), relation, bound))
    for name in cases.ACTIVATIONS:
        for size in cases.ACTIVATION_SHAPES:
            for dtype in ("float32", "float64"):
                group = ("activation", cases.activation_label(name, size), dtype)
                targets.append(
                    Target(
                        "fwd+bwd no slower than torch eager",
                        f"{group[1]} {dtype}",
                        group,
                        (group, "numpy"),
                        (group, "torch"),
                        "<=",
                        1.0,
                    )
                )
    for gelu, relu, case in report.GELU_PAIRS:
        targets.append(
            Target(
                "GELU-exact step within 1.3x of the ReLU step",
                case,
                gelu,
                (gelu, "numpy"),
                (relu, "numpy"),
                "<=",
                1.3,
            )
        )
    main = report.MAIN_JOB
    for what, other, relation in (
        ("main job step faster than torch eager", "torch", "<"),
        ("main job step no slower than jax.jit", "jax", "<="),
    ):
        targets.append(
            Target(what, "float64, batch 32", main, (main, "numpy"), (main, other), relation, 1.0)
        )
    return targets


BUILDERS = {
    "train_step": cases.train_step_case,
    "train_variant": cases.train_variant_case,
    "activation": cases.activation_case,
}


def build(group, backend):
    kind, label, dtype = group
    return BUILDERS[kind](backend, label, dtype)


def checked_runs(group, backends):
    """{backend: the case's timed call} for one group, after the cross-backend check:
    all three backends are built and their results compared, as the suites do."""
    from benchmarks.conftest import assert_agrees

    built = {backend: build(group, backend) for backend in cases.BACKENDS}
    results = {backend: case.result() for backend, case in built.items()}
    _, label, dtype = group
    for backend in backends:
        for other in cases.BACKENDS:
            if other != backend:
                where = f"{label} {dtype} {backend} vs {other}"
                assert_agrees(where, results[backend], results[other], dtype)
    return {backend: built[backend].run for backend in backends}


def burst_sizes(runs, burst_seconds, clock=time.perf_counter):
    """Calls per burst for each timed call: enough to fill about burst_seconds, from the
    fastest of three single calls (each called once more before, to warm it)."""
    sizes = {}
    for key, run in runs.items():
        run()
        single = []
        for _ in range(3):
            start = clock()
            run()
            single.append(clock() - start)
        sizes[key] = max(1, round(burst_seconds / max(min(single), 1e-9)))
    return sizes


def interleaved(runs, sizes, rounds, clock=time.perf_counter, pause=0.0, sleep=time.sleep):
    """{key: [seconds per call in each round]}: in every round each call runs its burst,
    all of them one after another, starting one further along the list each round, with
    `pause` seconds of rest before each burst."""
    keys = list(runs)
    per_call = {key: [] for key in keys}
    for round_index in range(rounds):
        shift = round_index % len(keys)
        for key in keys[shift:] + keys[:shift]:
            sleep(pause)
            run, calls = runs[key], sizes[key]
            start = clock()
            for _ in range(calls):
                run()
            per_call[key].append((clock() - start) / calls)
    return per_call


def ratio_summary(above, below):
    """(median, first quartile, third quartile) of the per-round ratios above / below."""
    ratios = sorted(a / b for a, b in zip(above, below))
    if len(ratios) < 2:
        return ratios[0], ratios[0], ratios[0]
    q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return statistics.median(ratios), q1, q3


def judge(targets, rounds, burst_seconds, clock=time.perf_counter, runs_of=checked_runs, pause=0.0):
    """[(target, (median, q1, q3), met)] for each target, in order. Each target's two
    timings are interleaved with each other only: a third backend in between would
    disturb them (torch's OpenMP threads spin on a core for a while after their work,
    and jax's thread pool needs that core). Each case is built and checked once."""
    built = {}  # group -> {backend: run}, dropped once no later target needs it
    verdicts = []
    for index, target in enumerate(targets):
        runs = {}
        for group, backend in (target.numerator, target.denominator):
            if group not in built:
                built[group] = runs_of(group, cases.BACKENDS)
            runs[(group, backend)] = built[group][backend]
        sizes = burst_sizes(runs, burst_seconds, clock)
        per_call = interleaved(runs, sizes, rounds, clock, pause)
        summary = ratio_summary(per_call[target.numerator], per_call[target.denominator])
        verdicts.append((target, summary, report.meets(summary[0], target.relation, target.bound)))
        needed = {g for t in targets[index + 1 :] for g, _ in (t.numerator, t.denominator)}
        built = {group: value for group, value in built.items() if group in needed}
    return verdicts


def table(verdicts, rounds):
    out = [
        f"### targets by paired timing ({rounds} interleaved rounds per case)",
        "",
        "| target | case | median ratio | quartiles | met |",
        "|---|---|---|---|---|",
    ]
    for target, (median, q1, q3), met in verdicts:
        out.append(
            f"| {target.what} | {target.case} | {median:.3f} | {q1:.2f}-{q3:.2f} | "
            f"{'yes' if met else 'NO'} |"
        )
    out.append(f"\n{sum(met for *_, met in verdicts)} of {len(verdicts)} met")
    return "\n".join(out) + "\n"


def over_runs(runs):
    """The targets judged in several runs (their --json contents, in order): the median
    ratio in each run, the median of those, and in how many runs the target was met."""
    per_target = {}  # (what, case) -> [median ratio or None per run], [met per run]
    for index, run in enumerate(runs):
        for target in run["targets"]:
            ratios, mets = per_target.setdefault(
                (target["what"], target["case"]), ([None] * len(runs), [None] * len(runs))
            )
            ratios[index], mets[index] = target["median"], target["met"]
    out = [
        f"### targets by paired timing over {len(runs)} runs",
        "",
        "| target | case | median ratio per run | median | met in |",
        "|---|---|---|---|---|",
    ]
    for (what, case), (ratios, mets) in per_target.items():
        present = [r for r in ratios if r is not None]
        listed = ", ".join("-" if r is None else f"{r:.2f}" for r in ratios)
        out.append(
            f"| {what} | {case} | {listed} | {statistics.median(present):.3f} | "
            f"{sum(m for m in mets if m is not None)} of {len(present)} |"
        )
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.paired", description=__doc__)
    parser.add_argument("--rounds", type=int, default=8, help="rounds per target (default 8)")
    parser.add_argument(
        "--burst-ms", type=float, default=200.0, help="length of one burst, ms (default 200)"
    )
    parser.add_argument(
        "--pause-ms",
        type=float,
        default=300.0,
        help="rest before each burst, ms (default 300: BLAS and framework thread pools "
        "spin for up to ~0.1 s after their work, and would steal a core from the next burst)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="only targets whose kind and case ('train_step tiny', 'activation relu small "
        "32x256 float32', 'train_variant float64, batch 32') contain this text",
    )
    parser.add_argument(
        "--summarize",
        nargs="+",
        metavar="JSON",
        help="time nothing: judge the targets over earlier runs' --json files",
    )
    parser.add_argument("--json", default=None, help="also write the verdicts here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.burst_ms <= 0 or args.pause_ms < 0:
        parser.error(
            f"--rounds must be >= 1, --burst-ms > 0 and --pause-ms >= 0; "
            f"got {args.rounds}, {args.burst_ms}, {args.pause_ms}"
        )
    if args.summarize:
        try:
            runs = [json.loads(Path(path).read_text()) for path in args.summarize]
        except (OSError, ValueError) as error:
            parser.error(f"--summarize: {error}")
        print(over_runs(runs))
        return 0
    targets = [t for t in all_targets() if args.only in f"{t.group[0]} {t.case}"]
    if not targets:
        parser.error(f"no target's case contains {args.only!r}")
    if args.json:  # checked before the minutes of timing, not after
        from scratch.errors import OutputError
        from scratch.training.outputs import check_output_path

        try:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            check_output_path(args.json, "json")
        except (OutputError, OSError) as error:
            parser.error(f"--json: {error}")
    from benchmarks.conftest import machine_summary
    from scratch.allocator import keep_freed_memory

    keep_freed_memory()  # as under pytest (benchmarks/conftest.py)
    verdicts = judge(targets, args.rounds, args.burst_ms / 1000, pause=args.pause_ms / 1000)
    print(table(verdicts, args.rounds))
    print(machine_summary())
    if args.json:
        from scratch.training.outputs import write_json

        write_json(
            args.json,
            {
                "rounds": args.rounds,
                "burst_ms": args.burst_ms,
                "pause_ms": args.pause_ms,
                "machine": machine_summary(),
                "targets": [
                    {
                        "what": t.what,
                        "case": t.case,
                        "median": m,
                        "q1": q1,
                        "q3": q3,
                        "relation": t.relation,
                        "bound": t.bound,
                        "met": met,
                    }
                    for t, (m, q1, q3), met in verdicts
                ],
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
