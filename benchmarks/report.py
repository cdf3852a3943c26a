"""`python -m benchmarks.report RESULTS.json [--plot PNG]`: tables and a plot from a
pytest-benchmark JSON file written by the suites in this folder.

Per kind (matmul, linear, train_step): median time per backend, GFLOP/s, and the ratios
numpy/torch and numpy/jax (below 1: numpy is faster). Then the training-step targets,
each met or not in this run, and the machine: CPU, cores, the BLAS library and the
kernel it chose, thread counts, and the OpenBLAS variables.
"""

import argparse
import json
import sys
from collections import defaultdict

BACKENDS = ("numpy", "torch", "jax")


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = defaultdict(dict)  # (kind, size, dtype) -> backend -> (median seconds, flops)
    for bench in data["benchmarks"]:
        info = bench["extra_info"]
        key = (info["kind"], info["size"], info["dtype"])
        rows[key][info["backend"]] = (bench["stats"]["median"], info["flops"])
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
        title = {"matmul": "X @ W, square n", "linear": "Linear forward + backward (3 matmuls), batch n",
                 "train_step": "training step: forward, softmax CE, backward, SGD momentum"}[kind]
        out.append(f"### {kind}: {title}\n")
        out.append("| size | dtype | numpy | torch | jax | numpy GFLOP/s | torch GFLOP/s | "
                   "jax GFLOP/s | numpy/torch | numpy/jax |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for key in keys:
            per = rows[key]
            cells = [key[1], key[2]]
            cells += [format_time(per[b][0]) if b in per else "-" for b in BACKENDS]
            cells += [f"{per[b][1] / per[b][0] / 1e9:.2f}" if b in per else "-" for b in BACKENDS]
            for other in ("torch", "jax"):
                cells.append(f"{per['numpy'][0] / per[other][0]:.2f}"
                             if "numpy" in per and other in per else "-")
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


# The scratch training step's targets (issue 5), as ratios of medians from one run:
# (what, size, the other backend, the ratio numpy/other must be below or at most this)
TARGETS = ([("faster than torch eager", size, "torch", "<", 1.0)
            for size in ("tiny", "small", "mnist", "large")]
           + [("faster than jax.jit", size, "jax", "<", 1.0) for size in ("tiny", "small")]
           + [("within 1.15x of jax.jit", size, "jax", "<=", 1.15) for size in ("mnist", "large")])


def targets(rows):
    """A table of the training-step targets: the ratio in this run and whether it meets
    the target ("no data" when a backend's result is missing from the file)."""
    out = ["### train_step targets (float32, this run)", "",
           "| target | size | numpy/other | met |", "|---|---|---|---|"]
    for what, size, other, relation, bound in TARGETS:
        per = rows.get(("train_step", size, "float32"), {})
        if "numpy" in per and other in per:
            ratio = per["numpy"][0] / per[other][0]
            met = ratio < bound if relation == "<" else ratio <= bound
            out.append(f"| {what} | {size} | {ratio:.3f} | {'yes' if met else 'NO'} |")
        else:
            out.append(f"| {what} | {size} | - | no data |")
    return "\n".join(out) + "\n"


def machine(data):
    info = data.get("machine_info", {})
    ours = info.get("tiny_mlp", {})
    lines = ["### machine", ""]
    lines.append(f"- CPU: {ours.get('cpu_model', info.get('cpu', {}).get('brand_raw', '?'))}, "
                 f"{ours.get('cores', '?')} cores; Python {info.get('python_version', '?')}")
    lines.append(f"- numpy {ours.get('numpy', '?')}, torch {ours.get('torch', '?')}, "
                 f"jax {ours.get('jax', '?')} ({ours.get('jax_backend', '?')})")
    lines.append(f"- OPENBLAS_CORETYPE={ours.get('OPENBLAS_CORETYPE', '?')}, "
                 f"OPENBLAS_L2_SIZE={ours.get('OPENBLAS_L2_SIZE', '?')}")
    for lib in ours.get("blas", []):
        lines.append(f"- {lib.get('user_api')}: {lib.get('internal_api')} {lib.get('version')} "
                     f"({lib.get('prefix')}), kernel {lib.get('architecture', '-')}, "
                     f"{lib.get('num_threads')} threads")
    lines.append(f"- torch: {ours.get('torch_threads', '?')} intra-op threads, "
                 f"{ours.get('torch_interop_threads', '?')} inter-op; "
                 + "; ".join(ours.get("torch_blas", [])))
    lines.append(f"- jax: {ours.get('jax_threads', '?')}")
    lines.append(f"- run: {data.get('datetime', '?')}")
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, dtype in zip(axes[:2], ("float32", "float64")):
        for backend, style in zip(BACKENDS, ("-o", "--s", ":^")):
            keys = sorted((k for k in rows if k[0] == "matmul" and k[2] == dtype
                           and backend in rows[k]), key=lambda k: int(k[1]))
            ax.plot([int(k[1]) for k in keys],
                    [rows[k][backend][1] / rows[k][backend][0] / 1e9 for k in keys],
                    style, label=backend)
        ax.set(xscale="log", xlabel="n", ylabel="GFLOP/s", title=f"X @ W, {dtype}")
        ax.grid(alpha=0.3)
        ax.legend()
    keys = sorted((k for k in rows if k[0] == "train_step"), key=lambda k: _size_order(k[1]))
    width = 0.25
    for i, backend in enumerate(BACKENDS):
        xs = [j + (i - 1) * width for j in range(len(keys))]
        axes[2].bar(xs, [rows[k][backend][0] * 1e6 if backend in rows[k] else 0 for k in keys],
                    width, label=backend)
    axes[2].set(xticks=range(len(keys)), xticklabels=[k[1] for k in keys], yscale="log",
                ylabel="µs per step (median)", title="training step, float32")
    axes[2].legend()
    axes[2].grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument("results", help="pytest-benchmark JSON (--benchmark-json)")
    parser.add_argument("--plot", default=None, help="write a PNG plot here")
    args = parser.parse_args(argv)
    data, rows = load(args.results)
    if not rows:
        print(f"{args.results} holds no benchmarks from this suite", file=sys.stderr)
        return 1
    print(tables(rows))
    print(targets(rows))
    print(machine(data))
    if args.plot:
        plot(rows, args.plot)
        print(f"\nplot saved to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
