"""benchmarks/paired.py: the interleaving, the burst sizes and the per-round ratios, on
calls that advance a fake clock by known amounts (so every figure is exact); then one
real target end to end, with its cross-backend check."""

import pytest

from benchmarks import paired


class FakeClock:
    """A clock that only moves when a fake call says so; it records the call order."""

    def __init__(self):
        self.now = 0.0
        self.order = []

    def __call__(self):
        return self.now

    def call(self, name, seconds):
        def run():
            self.now += seconds() if callable(seconds) else seconds
            self.order.append(name)

        return run


def test_burst_sizes_fill_the_burst_from_the_fastest_single_call():
    clock = FakeClock()
    runs = {"a": clock.call("a", 0.002), "b": clock.call("b", 0.0003)}
    sizes = paired.burst_sizes(runs, burst_seconds=0.1, clock=clock)
    assert sizes == {"a": 50, "b": 333}
    # never zero calls, however slow the call
    assert paired.burst_sizes({"c": clock.call("c", 5.0)}, 0.1, clock) == {"c": 1}


def test_rounds_alternate_the_order_and_time_each_call():
    clock = FakeClock()
    runs = {"a": clock.call("a", 0.002), "b": clock.call("b", 0.001)}
    per_call = paired.interleaved(runs, {"a": 2, "b": 3}, rounds=3, clock=clock)
    assert clock.order == ["a"] * 2 + ["b"] * 3 + ["b"] * 3 + ["a"] * 2 + ["a"] * 2 + ["b"] * 3
    assert per_call["a"] == pytest.approx([0.002] * 3, rel=1e-12, abs=0)
    assert per_call["b"] == pytest.approx([0.001] * 3, rel=1e-12, abs=0)


def test_each_burst_starts_after_the_pause():
    clock = FakeClock()
    rests = []
    runs = {"a": clock.call("a", 0.002), "b": clock.call("b", 0.001)}

    def sleep(seconds):
        rests.append((seconds, list(clock.order)))

    paired.interleaved(runs, {"a": 1, "b": 1}, rounds=2, clock=clock, pause=0.3, sleep=sleep)
    assert [seconds for seconds, _ in rests] == [0.3] * 4
    # the rests fall between bursts: before a, before b, before b, before a
    assert [len(done) for _, done in rests] == [0, 1, 2, 3]


def test_a_slow_spell_cancels_within_a_round():
    # the machine runs at half speed during rounds 1 and 2: both sides slow alike, so
    # every per-round ratio is still 2, while their times alone vary 2x
    clock = FakeClock()
    speed = {"factor": 1.0}
    runs = {
        "a": clock.call("a", lambda: 0.002 * speed["factor"]),
        "b": clock.call("b", lambda: 0.001 * speed["factor"]),
    }
    per_call = {"a": [], "b": []}
    for round_index in range(4):
        speed["factor"] = 2.0 if round_index in (1, 2) else 1.0
        one = paired.interleaved(runs, {"a": 1, "b": 1}, rounds=1, clock=clock)
        for key in per_call:
            per_call[key] += one[key]
    median, q1, q3 = paired.ratio_summary(per_call["a"], per_call["b"])
    assert (median, q1, q3) == pytest.approx((2.0, 2.0, 2.0), rel=1e-12, abs=0)
    assert max(per_call["a"]) / min(per_call["a"]) == pytest.approx(2.0, rel=1e-12, abs=0)


def test_ratio_summary_median_and_quartiles():
    above = [1.0, 2.0, 3.0, 4.0, 5.0]
    below = [1.0, 1.0, 1.0, 1.0, 1.0]
    assert paired.ratio_summary(above, below) == pytest.approx((3.0, 2.0, 4.0), rel=0, abs=1e-12)
    assert paired.ratio_summary([3.0], [2.0]) == (1.5, 1.5, 1.5)


def test_judge_gives_each_target_its_verdict_from_its_own_pair():
    clock = FakeClock()
    seconds = {"numpy": 0.001, "torch": 0.002, "jax": 0.0008}

    def runs_of(group, backends):
        return {b: clock.call(f"{group[1]} {b}", seconds[b]) for b in backends}

    group = ("train_step", "tiny", "float32")
    targets = [
        paired.Target(
            "faster than torch", "tiny", group, (group, "numpy"), (group, "torch"), "<", 1
        ),
        paired.Target("faster than jax", "tiny", group, (group, "numpy"), (group, "jax"), "<", 1),
    ]
    verdicts = paired.judge(targets, rounds=3, burst_seconds=0.01, clock=clock, runs_of=runs_of)
    (_, first, met_first), (_, second, met_second) = verdicts
    assert first == pytest.approx((0.5, 0.5, 0.5), rel=1e-12, abs=0) and met_first
    assert second == pytest.approx((1.25, 1.25, 1.25), rel=1e-12, abs=0) and not met_second
    # each target's pair only: torch never runs during the jax target's rounds
    jax_rounds = clock.order[clock.order.index("tiny jax") :]
    assert "tiny torch" not in jax_rounds
    table = paired.table(verdicts, 3)
    assert "| faster than jax | tiny | 1.250 | 1.25-1.25 | NO |" in table
    assert "1 of 2 met" in table


def test_every_report_target_is_judged():
    from benchmarks import cases, report

    targets = paired.all_targets()
    activations = len(cases.ACTIVATIONS) * len(cases.ACTIVATION_SHAPES) * 2
    assert len(targets) == len(report.TARGETS) + activations + len(report.GELU_PAIRS) + 2


def test_one_real_target_end_to_end(capsys, tmp_path):
    out = tmp_path / "paired.json"
    assert (
        paired.main(
            ["--only", "sigmoid small", "--rounds", "2", "--burst-ms", "1", "--json", str(out)]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "| fwd+bwd no slower than torch eager | sigmoid small 32x256 float32 |" in printed
    assert "allocator:" in printed
    import json

    saved = json.loads(out.read_text())
    assert [t["case"] for t in saved["targets"]] == [
        "sigmoid small 32x256 float32",
        "sigmoid small 32x256 float64",
    ]


def test_bad_arguments_are_one_line_errors(capsys):
    for argv in (
        ["--rounds", "0"],
        ["--pause-ms", "-1"],
        ["--only", "no such case"],
        ["--json", "out.txt"],
    ):
        with pytest.raises(SystemExit) as stop:
            paired.main(argv)
        assert stop.value.code == 2
        assert (
            capsys.readouterr()
            .err.strip()
            .splitlines()[-1]
            .startswith("python -m benchmarks.paired: error:")
        )


def test_summary_over_runs_counts_the_runs_that_met(tmp_path, capsys):
    import json

    def run(ratio, met):
        target = {"what": "faster than jax.jit", "case": "tiny", "median": ratio, "met": met}
        return {"targets": [target]}

    paths = []
    for index, (ratio, met) in enumerate([(0.9, True), (1.1, False), (0.95, True)]):
        path = tmp_path / f"run{index}.json"
        path.write_text(json.dumps(run(ratio, met)))
        paths.append(str(path))
    assert paired.main(["--summarize", *paths]) == 0
    assert (
        "| faster than jax.jit | tiny | 0.90, 1.10, 0.95 | 0.950 | 2 of 3 |"
        in capsys.readouterr().out
    )
