"""`python -m benchmarks.report RESULTS.json [MORE.json ...] [--plot PNG]`: tables and a
plot from pytest-benchmark JSON files written by the suites in this folder.

Per kind (matmul, linear, train_step): median time per backend, GFLOP/s, and the ratios
numpy/torch and numpy/jax (below 1: numpy is faster). Then the training-step targets,
each met or not in this run, and the machine: CPU, cores, the BLAS library and the
kernel it chose, thread counts, and the OpenBLAS variables. All of that is from the
first file.

The activation suite (forward + backward of each activation and loss) and the training-step
variants (GELU, tanh, sigmoid, Adam, the main job's configuration) get their own tables
and targets (issue 17), shown when the file holds them.

Given more files (further runs of the same suites), the report adds each target's ratio
in every run and how many runs met it. One run decides a target only when the two
backends are far apart: at parity, run-to-run drift of a few percent flips "faster".
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict

BACKENDS = ("numpy", "torch", "jax")


def load(path, stat="median"):
    """(the file's JSON, rows); benchmarks without this suite's extra_info are skipped.
    `stat` is the statistic each time is taken as: "median" (the default) or "min", the
    least disturbed by other load on a shared machine.
    OSError if the file cannot be read, ValueError if it is not pytest-benchmark JSON."""
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ValueError(
            f"{path} is not a pytest-benchmark results file "
            f"(no 'benchmarks' list; write one with --benchmark-json)"
        )
    rows = defaultdict(dict)  # (kind, size, dtype) -> backend -> (median seconds, flops)
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if not {"kind", "backend", "size", "dtype", "flops"} <= info.keys():
            continue  # another suite's benchmark
        key = (info["kind"], info["size"], info["dtype"])
        rows[key][info["backend"]] = (bench["stats"][stat], info["flops"])
    return data, rows


def _size_order(size):
    order = {"tiny": 0, "small": 1, "mnist": 2, "large": 3}
    return order.get(size, int(size) if size.isdigit() else 99)


def format_time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def tables(rows):
    out = []
    for kind in ("matmul", "linear", "train_step"):
        keys = sorted((k for k in rows if k[0] == kind), key=lambda k: (k[2], _size_order(k[1])))
        if not keys:
            continue
        title = {
            "matmul": "X @ W, square n",
            "linear": "Linear forward + backward (3 matmuls), batch n",
            "train_step": "training step: forward, softmax CE, backward, SGD momentum",
        }[kind]
        out.append(f"### {kind}: {title}\n")
        out.append(
            "| size | dtype | numpy | torch | jax | numpy GFLOP/s | torch GFLOP/s | "
            "jax GFLOP/s | numpy/torch | numpy/jax |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for key in keys:
            per = rows[key]
            cells = [key[1], key[2]]
            cells += [format_time(per[b][0]) if b in per else "-" for b in BACKENDS]
            cells += [f"{per[b][1] / per[b][0] / 1e9:.2f}" if b in per else "-" for b in BACKENDS]
            for other in ("torch", "jax"):
                cells.append(
                    f"{per['numpy'][0] / per[other][0]:.2f}"
                    if "numpy" in per and other in per
                    else "-"
                )
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


# The scratch training step's targets (issue 5), as ratios of medians from one run:
# (what, size, the other backend, the ratio numpy/other must be below or at most this)
TARGETS = (
    [
        ("faster than torch eager", size, "torch", "<", 1.0)
        for size in ("tiny", "small", "mnist", "large")
    ]
    + [("faster than jax.jit", size, "jax", "<", 1.0) for size in ("tiny", "small")]
    + [("within 1.15x of jax.jit", size, "jax", "<=", 1.15) for size in ("mnist", "large")]
)


def train_step_ratio(rows, size, other):
    """numpy's median training-step time over `other`'s, or None without both."""
    per = rows.get(("train_step", size, "float32"), {})
    return per["numpy"][0] / per[other][0] if "numpy" in per and other in per else None


def meets(ratio, relation, bound):
    return ratio < bound if relation == "<" else ratio <= bound


def targets(rows):
    """A table of the training-step targets: the ratio in this run and whether it meets
    the target ("no data" when a backend's result is missing from the file)."""
    out = [
        "### train_step targets (float32, this run)",
        "",
        "| target | size | numpy/other | met |",
        "|---|---|---|---|",
    ]
    for what, size, other, relation, bound in TARGETS:
        ratio = train_step_ratio(rows, size, other)
        if ratio is None:
            out.append(f"| {what} | {size} | - | no data |")
        else:
            met = "yes" if meets(ratio, relation, bound) else "NO"
            out.append(f"| {what} | {size} | {ratio:.3f} | {met} |")
    return "\n".join(out) + "\n"


def targets_over_runs(runs):
    """The training-step targets judged in each of several runs (a list of `rows` from
    load): the ratio per run in file order, their median, and in how many runs the
    target was met. A run without both backends' results counts as no data."""
    out = [
        f"### train_step targets over {len(runs)} runs (float32)",
        "",
        "| target | size | numpy/other per run | median | met in |",
        "|---|---|---|---|---|",
    ]
    for what, size, other, relation, bound in TARGETS:
        ratios = [train_step_ratio(rows, size, other) for rows in runs]  # None: no data
        present = [r for r in ratios if r is not None]
        if not present:
            out.append(f"| {what} | {size} | - | - | no data |")
            continue
        met = sum(meets(r, relation, bound) for r in present)
        listed = ", ".join("-" if r is None else f"{r:.3f}" for r in ratios)
        out.append(
            f"| {what} | {size} | {listed} | {statistics.median(present):.3f} | "
            f"{met} of {len(present)} |"
        )
    return "\n".join(out) + "\n"


# -- issue 17: activations, losses and training-step variants --------------------------------


def _ratio(per, other):
    return per["numpy"][0] / per[other][0] if "numpy" in per and other in per else None


def variant_tables(rows):
    """Median times and ratios for the activation suite and the training-step variants."""
    out = []
    keys = sorted((k for k in rows if k[0] == "activation"), key=lambda k: (k[1], k[2]))
    if keys:
        out += [
            "### activation: forward + backward of one activation or loss, (N, H) input",
            "",
            "| component | size | N x H | dtype | numpy | torch | jax | numpy/torch | numpy/jax |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for key in keys:
            per = rows[key]
            cells = key[1].split() + [key[2]]
            cells += [format_time(per[b][0]) if b in per else "-" for b in BACKENDS]
            cells += [
                f"{r:.2f}" if r is not None else "-"
                for r in (_ratio(per, "torch"), _ratio(per, "jax"))
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    keys = [k for k in rows if k[0] == "train_variant"]
    if keys:
        out += [
            "### train_variant: one training step (forward, softmax CE, backward, update)",
            "",
            "| variant | dtype | numpy | torch | jax | numpy/torch | numpy/jax |",
            "|---|---|---|---|---|---|---|",
        ]
        for key in keys:
            per = rows[key]
            cells = [key[1], key[2]]
            cells += [format_time(per[b][0]) if b in per else "-" for b in BACKENDS]
            cells += [
                f"{r:.2f}" if r is not None else "-"
                for r in (_ratio(per, "torch"), _ratio(per, "jax"))
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


MAIN_JOB = ("train_variant", "main job", "float64")
# (the GELU variant, the ReLU step it is held to): the same configuration but the activation
GELU_PAIRS = [
    (("train_variant", "main job gelu", "float64"), MAIN_JOB, "main job (float64, Adam, dropout)"),
    (
        ("train_variant", "mnist gelu", "float32"),
        ("train_step", "mnist", "float32"),
        "mnist (float32, SGD momentum)",
    ),
]


def extra_targets(rows):
    """Issue 17's targets found in one run's rows: [(what, case, ratio or None, relation,
    bound)]. Each activation and loss row present; the GELU steps and the main job when
    either of their rows is present (a missing partner shows as no data)."""
    out = []
    for key in sorted((k for k in rows if k[0] == "activation"), key=lambda k: (k[1], k[2])):
        out.append(
            (
                "fwd+bwd no slower than torch eager",
                f"{key[1]} {key[2]}",
                _ratio(rows[key], "torch"),
                "<=",
                1.0,
            )
        )
    for gelu, relu, case in GELU_PAIRS:
        if gelu in rows or (relu in rows and relu[0] == "train_variant"):
            ratio = (
                rows[gelu]["numpy"][0] / rows[relu]["numpy"][0]
                if "numpy" in rows.get(gelu, {}) and "numpy" in rows.get(relu, {})
                else None
            )
            out.append(("GELU-exact step within 1.3x of the ReLU step", case, ratio, "<=", 1.3))
    if MAIN_JOB in rows:
        out.append(
            (
                "main job step faster than torch eager",
                "float64, batch 32",
                _ratio(rows[MAIN_JOB], "torch"),
                "<",
                1.0,
            )
        )
        out.append(
            (
                "main job step no slower than jax.jit",
                "float64, batch 32",
                _ratio(rows[MAIN_JOB], "jax"),
                "<=",
                1.0,
            )
        )
    return out


def extra_targets_table(rows):
    out = [
        "### issue 17 targets (this run)",
        "",
        "| target | case | ratio | met |",
        "|---|---|---|---|",
    ]
    for what, case, ratio, relation, bound in extra_targets(rows):
        if ratio is None:
            out.append(f"| {what} | {case} | - | no data |")
        else:
            out.append(
                f"| {what} | {case} | {ratio:.3f} | "
                f"{'yes' if meets(ratio, relation, bound) else 'NO'} |"
            )
    met = sum(1 for *_, r, rel, b in extra_targets(rows) if r is not None and meets(r, rel, b))
    out.append(f"\n{met} of {len(extra_targets(rows))} met")
    return "\n".join(out) + "\n"


def extra_targets_over_runs(runs):
    """Issue 17's targets in each of several runs: ratio per run, median, runs met."""
    per_target = {}  # (what, case, relation, bound) -> [ratio or None per run]
    for index, rows in enumerate(runs):
        for what, case, ratio, relation, bound in extra_targets(rows):
            per_target.setdefault((what, case, relation, bound), [None] * len(runs))[index] = ratio
    out = [
        f"### issue 17 targets over {len(runs)} runs",
        "",
        "| target | case | ratio per run | median | min | met in |",
        "|---|---|---|---|---|---|",
    ]
    for (what, case, relation, bound), ratios in per_target.items():
        present = [r for r in ratios if r is not None]
        if not present:
            out.append(f"| {what} | {case} | - | - | - | no data |")
            continue
        met = sum(meets(r, relation, bound) for r in present)
        listed = ", ".join("-" if r is None else f"{r:.2f}" for r in ratios)
        out.append(
            f"| {what} | {case} | {listed} | {statistics.median(present):.3f} | "
            f"{min(present):.3f} | {met} of {len(present)} |"
        )
    return "\n".join(out) + "\n"


def cpu_model(data):
    info = data.get("machine_info", {})  # ours (conftest), else pytest-benchmark's own
    return info.get("tiny_mlp", {}).get("cpu_model", info.get("cpu", {}).get("brand_raw", "?"))


def machine(data):
    info = data.get("machine_info", {})
    ours = info.get("tiny_mlp", {})
    lines = ["### machine", ""]
    lines.append(
        f"- CPU: {cpu_model(data)}, "
        f"{ours.get('cores', '?')} cores; Python {info.get('python_version', '?')}"
    )
    lines.append(
        f"- numpy {ours.get('numpy', '?')}, torch {ours.get('torch', '?')}, "
        f"jax {ours.get('jax', '?')} ({ours.get('jax_backend', '?')})"
    )
    lines.append(
        f"- OPENBLAS_CORETYPE={ours.get('OPENBLAS_CORETYPE', '?')}, "
        f"OPENBLAS_L2_SIZE={ours.get('OPENBLAS_L2_SIZE', '?')}"
    )
    for lib in ours.get("blas", []):
        lines.append(
            f"- {lib.get('user_api')}: {lib.get('internal_api')} {lib.get('version')} "
            f"({lib.get('prefix')}), kernel {lib.get('architecture', '-')}, "
            f"{lib.get('num_threads')} threads"
        )
    lines.append(
        f"- torch: {ours.get('torch_threads', '?')} intra-op threads, "
        f"{ours.get('torch_interop_threads', '?')} inter-op; "
        + "; ".join(ours.get("torch_blas", []))
    )
    lines.append(f"- jax: {ours.get('jax_threads', '?')}")
    lines.append(f"- allocator: {ours.get('allocator', '(not recorded)')}")
    lines.append(f"- run: {data.get('datetime', '?')}")
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, dtype in zip(axes[:2], ("float32", "float64")):
        for backend, style in zip(BACKENDS, ("-o", "--s", ":^")):
            keys = sorted(
                (k for k in rows if k[0] == "matmul" and k[2] == dtype and backend in rows[k]),
                key=lambda k: int(k[1]),
            )
            ax.plot(
                [int(k[1]) for k in keys],
                [rows[k][backend][1] / rows[k][backend][0] / 1e9 for k in keys],
                style,
                label=backend,
            )
        ax.set(xscale="log", xlabel="n", ylabel="GFLOP/s", title=f"X @ W, {dtype}")
        ax.grid(alpha=0.3)
        ax.legend()
    keys = sorted((k for k in rows if k[0] == "train_step"), key=lambda k: _size_order(k[1]))
    width = 0.25
    for i, backend in enumerate(BACKENDS):
        xs = [j + (i - 1) * width for j in range(len(keys))]
        axes[2].bar(
            xs,
            [rows[k][backend][0] * 1e6 if backend in rows[k] else 0 for k in keys],
            width,
            label=backend,
        )
    axes[2].set(
        xticks=range(len(keys)),
        xticklabels=[k[1] for k in keys],
        yscale="log",
        ylabel="µs per step (median)",
        title="training step, float32",
    )
    axes[2].legend()
    axes[2].grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument(
        "results",
        nargs="+",
        help="pytest-benchmark JSON (--benchmark-json); more than one file: "
        "the targets are also judged in every run",
    )
    parser.add_argument("--plot", default=None, help="write a PNG plot here (first file)")
    parser.add_argument(
        "--stat",
        choices=["median", "min"],
        default="median",
        help="time statistic for tables and targets (default median; min is "
        "the least disturbed by other load)",
    )
    args = parser.parse_args(argv)
    try:
        loaded = [load(path, args.stat) for path in args.results]
    except (OSError, ValueError) as error:
        print(f"python -m benchmarks.report: {error}", file=sys.stderr)
        return 1
    empty = [path for path, (_, rows) in zip(args.results, loaded) if not rows]
    if empty:
        print(f"no benchmarks from this suite in {', '.join(empty)}", file=sys.stderr)
        return 1
    data, rows = loaded[0]
    if args.stat != "median":
        print(f"(times and ratios below use each case's {args.stat} time, not its median)\n")
    print(tables(rows))
    print(variant_tables(rows))
    print(targets(rows))
    if extra_targets(rows):
        print(extra_targets_table(rows))
    if len(loaded) > 1:
        print(targets_over_runs([rows for _, rows in loaded]))
        if any(extra_targets(rows) for _, rows in loaded):
            print(extra_targets_over_runs([rows for _, rows in loaded]))
        print(
            "runs, in order: "
            + "; ".join(
                f"{path} ({run.get('datetime', '?')})"
                for path, (run, _) in zip(args.results, loaded)
            )
        )
        stamps = [run.get("datetime") for run, _ in loaded]
        if len(set(stamps)) < len(stamps):  # counted twice, it would count as two runs
            print("warning: some of these files hold the same run (same datetime)")
        cpus = {cpu_model(run) for run, _ in loaded}
        if len(cpus) > 1:  # ratios from different machines are not one distribution
            print(f"warning: these runs come from different CPUs: {sorted(cpus)}")
        print()
    print(machine(data))
    if args.plot:
        plot(rows, args.plot)
        print(f"\nplot saved to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
