"""The report's arithmetic, on a hand-made pytest-benchmark file whose ratios are known:
medians and flops in, GFLOP/s, ratios and target verdicts out."""

import json

from benchmarks import report


def bench(kind, backend, size, median, flops=2_000_000, dtype="float32"):
    return {
        "stats": {"median": median},
        "extra_info": {
            "kind": kind,
            "backend": backend,
            "size": size,
            "dtype": dtype,
            "flops": flops,
        },
    }


def results_file(tmp_path, benchmarks, datetime="2026-11-26", cpu=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "results.json"
    machine_info = {"tiny_mlp": {"cpu_model": cpu}} if cpu else {}
    path.write_text(
        json.dumps({"benchmarks": benchmarks, "datetime": datetime, "machine_info": machine_info})
    )
    return str(path)


def row(text, *first_cells):
    prefix = "| " + " | ".join(first_cells) + " |"
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, f"expected one row starting {prefix!r} in\n{text}"
    return [cell.strip() for cell in lines[0].strip("|").split("|")]


def test_tables_give_gflops_and_ratios(tmp_path):
    path = results_file(
        tmp_path,
        [
            bench("matmul", "numpy", "64", 2e-6),
            bench("matmul", "torch", "64", 4e-6),
            bench("matmul", "jax", "64", 1e-6),
        ],
    )
    _, rows = report.load(path)
    cells = row(report.tables(rows), "64", "float32")
    # 2e6 flops in 2 µs = 1000 GFLOP/s; numpy/torch = 2/4, numpy/jax = 2/1
    assert cells == [
        "64",
        "float32",
        "2.0 µs",
        "4.0 µs",
        "1.0 µs",
        "1000.00",
        "500.00",
        "2000.00",
        "0.50",
        "2.00",
    ]


def test_targets_are_judged_with_their_own_bound(tmp_path):
    medians = {  # size -> (numpy, torch, jax) in seconds
        "tiny": (1.0, 2.0, 0.9),  # slower than jax: faster-than-jax target missed
        "small": (1.0, 1.0, 1.5),  # level with torch: "faster than" is not met
        "mnist": (1.15, 2.0, 1.0),  # exactly 1.15x jax: "within 1.15x" is met
        "large": (1.0, 1.1, 0.8),  # 1.25x jax: missed
    }
    path = results_file(
        tmp_path,
        [
            bench("train_step", b, size, t)
            for size, times in medians.items()
            for b, t in zip(report.BACKENDS, times)
        ],
    )
    _, rows = report.load(path)
    text = report.targets(rows)
    verdict = {
        (cells[0], cells[1]): cells[3]
        for cells in (row(text, what, size) for what, size, *_ in report.TARGETS)
    }
    assert verdict == {
        ("faster than torch eager", "tiny"): "yes",
        ("faster than torch eager", "small"): "NO",
        ("faster than torch eager", "mnist"): "yes",
        ("faster than torch eager", "large"): "yes",
        ("faster than jax.jit", "tiny"): "NO",
        ("faster than jax.jit", "small"): "yes",
        ("within 1.15x of jax.jit", "mnist"): "yes",
        ("within 1.15x of jax.jit", "large"): "NO",
    }
    assert row(text, "within 1.15x of jax.jit", "large")[2] == "1.250"


def test_a_missing_backend_is_no_data_not_a_verdict(tmp_path):
    path = results_file(tmp_path, [bench("train_step", "numpy", "large", 1.0)])
    _, rows = report.load(path)
    assert row(report.targets(rows), "faster than torch eager", "large")[2:] == ["-", "no data"]


def test_a_file_without_these_benchmarks_is_an_error(tmp_path, capsys):
    assert report.main([results_file(tmp_path, [])]) == 1
    assert "no benchmarks from this suite in" in capsys.readouterr().err


def test_targets_over_runs_count_the_runs_that_meet_them(tmp_path):
    # large, numpy/torch in three runs: 0.90 (met), 1.05 (missed), 0.98 (met); numpy/jax
    # 1.10, 1.20, 1.15 against "within 1.15x": met, missed, met at the boundary
    runs = []
    for run, (numpy, torch, jax) in enumerate(
        [(0.9, 1.0, 0.9 / 1.1), (1.05, 1.0, 1.05 / 1.2), (0.98, 1.0, 0.98 / 1.15)]
    ):
        path = results_file(
            tmp_path / str(run),
            [
                bench("train_step", "numpy", "large", numpy),
                bench("train_step", "torch", "large", torch),
                bench("train_step", "jax", "large", jax),
            ],
        )
        runs.append(report.load(path)[1])
    text = report.targets_over_runs(runs)
    assert row(text, "faster than torch eager", "large")[2:] == [
        "0.900, 1.050, 0.980",
        "0.980",
        "2 of 3",
    ]
    assert row(text, "within 1.15x of jax.jit", "large")[2:] == [
        "1.100, 1.200, 1.150",
        "1.150",
        "2 of 3",
    ]
    # no run has tiny: no verdict, and a run missing from a list shows as "-"
    assert row(text, "faster than torch eager", "tiny")[2:] == ["-", "-", "no data"]
    runs[1] = {}
    assert row(report.targets_over_runs(runs), "faster than torch eager", "large")[2:] == [
        "0.900, -, 0.980",
        "0.940",
        "2 of 2",
    ]


def test_several_files_add_the_table_over_runs(tmp_path, capsys):
    paths = [
        results_file(
            tmp_path / str(run),
            [bench("train_step", b, "small", t) for b, t in zip(report.BACKENDS, times)],
            datetime=f"2026-11-26T2{run}:00",
        )
        for run, times in enumerate([(1.0, 2.0, 2.0), (1.0, 0.5, 2.0)])
    ]
    assert report.main(paths[:1]) == 0
    assert "over" not in capsys.readouterr().out  # one run: no such table
    assert report.main(paths) == 0
    out = capsys.readouterr().out
    this_run, over_runs = out.split("### train_step targets over 2 runs")
    assert row(this_run, "faster than torch eager", "small")[2:] == ["0.500", "yes"]  # 1st file
    assert row(over_runs, "faster than torch eager", "small")[2:] == [
        "0.500, 2.000",
        "1.250",
        "1 of 2",
    ]
    assert f"runs, in order: {paths[0]} (2026-11-26T20:00); {paths[1]} (2026-11-26T21:00)" in out
    assert "warning" not in out
    # the same run given twice would count twice: the report says so
    assert report.main([paths[0], paths[0]]) == 0
    assert "warning: some of these files hold the same run" in capsys.readouterr().out
    # ratios from two machines are not one distribution: the report says so
    other_cpu = results_file(
        tmp_path / "other",
        [bench("train_step", "numpy", "small", 1.0)],
        datetime="2026-11-27",
        cpu="Another CPU",
    )
    assert report.main([paths[0], other_cpu]) == 0
    assert "warning: these runs come from different CPUs: ['?', 'Another CPU']" in (
        capsys.readouterr().out
    )


def test_unreadable_or_foreign_files_are_named_in_the_error(tmp_path, capsys):
    not_json = tmp_path / "notes.txt"
    not_json.write_text("median 8.2 ms")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"results": []}')
    for path, expected in [
        (tmp_path / "missing.json", "No such file"),
        (not_json, "notes.txt is not JSON"),
        (foreign, "foreign.json is not a pytest-benchmark results file"),
    ]:
        assert report.main([str(path)]) == 1
        err = capsys.readouterr().err
        assert expected in err and str(path.name) in err, err


def test_activation_and_variant_tables_and_issue_17_targets(tmp_path):
    times = {  # (kind, size, dtype) -> (numpy, torch, jax) seconds
        ("activation", "gelu_exact small 32x256", "float32"): (1.0, 2.0, 0.5),
        ("activation", "gelu_exact large 512x1024", "float64"): (3.0, 2.0, 1.0),
        ("train_variant", "main job", "float64"): (1.0, 2.0, 1.0),  # level with jax: met
        ("train_variant", "main job gelu", "float64"): (1.31, 2.0, 1.0),  # 1.31x relu: missed
        ("train_variant", "mnist gelu", "float32"): (1.2, 2.0, 1.0),
        ("train_step", "mnist", "float32"): (1.0, 2.0, 1.0),  # mnist gelu is 1.2x: met
    }
    path = results_file(
        tmp_path,
        [
            bench(kind, b, size, t, dtype=dtype)
            for (kind, size, dtype), ts in times.items()
            for b, t in zip(report.BACKENDS, ts)
        ],
    )
    _, rows = report.load(path)
    tables = report.variant_tables(rows)
    assert row(tables, "gelu_exact", "large", "512x1024", "float64")[4:] == [
        "3.00 s",
        "2.00 s",
        "1.00 s",
        "1.50",
        "3.00",
    ]
    assert row(tables, "main job gelu", "float64")[2:] == [
        "1.31 s",
        "2.00 s",
        "1.00 s",
        "0.66",
        "1.31",
    ]
    text = report.extra_targets_table(rows)
    verdict = {
        (cells[0], cells[1]): (cells[2], cells[3])
        for cells in (
            line.strip("|").split("|")
            for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| target")
        )
    }
    verdict = {(a.strip(), b.strip()): (c.strip(), d.strip()) for (a, b), (c, d) in verdict.items()}
    assert verdict == {
        ("fwd+bwd no slower than torch eager", "gelu_exact large 512x1024 float64"): (
            "1.500",
            "NO",
        ),
        ("fwd+bwd no slower than torch eager", "gelu_exact small 32x256 float32"): ("0.500", "yes"),
        ("GELU-exact step within 1.3x of the ReLU step", "main job (float64, Adam, dropout)"): (
            "1.310",
            "NO",
        ),
        ("GELU-exact step within 1.3x of the ReLU step", "mnist (float32, SGD momentum)"): (
            "1.200",
            "yes",
        ),
        ("main job step faster than torch eager", "float64, batch 32"): ("0.500", "yes"),
        ("main job step no slower than jax.jit", "float64, batch 32"): ("1.000", "yes"),
    }
    assert "4 of 6 met" in text
    over = report.extra_targets_over_runs([rows, rows])
    assert row(over, "main job step no slower than jax.jit", "float64, batch 32")[2:] == [
        "1.00, 1.00",
        "1.000",
        "1.000",
        "2 of 2",
    ]


def test_min_statistic_replaces_the_median(tmp_path):
    entries = [bench("train_step", b, "tiny", t) for b, t in zip(report.BACKENDS, (3.0, 4.0, 6.0))]
    for entry, low in zip(entries, (1.0, 4.0, 0.5)):
        entry["stats"]["min"] = low
    path = results_file(tmp_path, entries)
    _, rows = report.load(path, "min")
    assert row(report.targets(rows), "faster than torch eager", "tiny")[2:] == ["0.250", "yes"]
    assert row(report.targets(rows), "faster than jax.jit", "tiny")[2:] == ["2.000", "NO"]
    _, rows = report.load(path)  # the median: 3/4 and 3/6
    assert row(report.targets(rows), "faster than jax.jit", "tiny")[2:] == ["0.500", "yes"]
