"""The report's arithmetic, on a hand-made pytest-benchmark file whose ratios are known:
medians and flops in, GFLOP/s, ratios and target verdicts out."""

import json

from benchmarks import report


def bench(kind, backend, size, median, flops=2_000_000, dtype="float32"):
    return {"stats": {"median": median},
            "extra_info": {"kind": kind, "backend": backend, "size": size, "dtype": dtype,
                           "flops": flops}}


def results_file(tmp_path, benchmarks):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"benchmarks": benchmarks, "datetime": "2026-11-26",
                                "machine_info": {}}))
    return str(path)


def row(text, *first_cells):
    prefix = "| " + " | ".join(first_cells) + " |"
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, f"expected one row starting {prefix!r} in\n{text}"
    return [cell.strip() for cell in lines[0].strip("|").split("|")]


def test_tables_give_gflops_and_ratios(tmp_path):
    path = results_file(tmp_path, [bench("matmul", "numpy", "64", 2e-6),
                                   bench("matmul", "torch", "64", 4e-6),
                                   bench("matmul", "jax", "64", 1e-6)])
    _, rows = report.load(path)
    cells = row(report.tables(rows), "64", "float32")
    # 2e6 flops in 2 µs = 1000 GFLOP/s; numpy/torch = 2/4, numpy/jax = 2/1
    assert cells == ["64", "float32", "2.0 µs", "4.0 µs", "1.0 µs",
                     "1000.00", "500.00", "2000.00", "0.50", "2.00"]


def test_targets_are_judged_with_their_own_bound(tmp_path):
    medians = {  # size -> (numpy, torch, jax) in seconds
        "tiny": (1.0, 2.0, 0.9),     # slower than jax: faster-than-jax target missed
        "small": (1.0, 1.0, 1.5),    # level with torch: "faster than" is not met
        "mnist": (1.15, 2.0, 1.0),   # exactly 1.15x jax: "within 1.15x" is met
        "large": (1.0, 1.1, 0.8),    # 1.25x jax: missed
    }
    path = results_file(tmp_path, [bench("train_step", b, size, t)
                                   for size, times in medians.items()
                                   for b, t in zip(report.BACKENDS, times)])
    _, rows = report.load(path)
    text = report.targets(rows)
    verdict = {(cells[0], cells[1]): cells[3] for cells in
               (row(text, what, size) for what, size, *_ in report.TARGETS)}
    assert verdict == {
        ("faster than torch eager", "tiny"): "yes", ("faster than torch eager", "small"): "NO",
        ("faster than torch eager", "mnist"): "yes", ("faster than torch eager", "large"): "yes",
        ("faster than jax.jit", "tiny"): "NO", ("faster than jax.jit", "small"): "yes",
        ("within 1.15x of jax.jit", "mnist"): "yes", ("within 1.15x of jax.jit", "large"): "NO"}
    assert row(text, "within 1.15x of jax.jit", "large")[2] == "1.250"


def test_a_missing_backend_is_no_data_not_a_verdict(tmp_path):
    path = results_file(tmp_path, [bench("train_step", "numpy", "large", 1.0)])
    _, rows = report.load(path)
    assert row(report.targets(rows), "faster than torch eager", "large")[2:] == ["-", "no data"]


def test_a_file_without_these_benchmarks_is_an_error(tmp_path, capsys):
    assert report.main([results_file(tmp_path, [])]) == 1
    assert "holds no benchmarks from this suite" in capsys.readouterr().err
