"""The quiz: every generated question's computed answer against a closed form read off its
prompt, the graders, and a whole session through the CLI (answers from a file and stdin)."""

import ast
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.tools.quiz import MAKERS, make_questions, session

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(6)


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def as_answer(expected):
    if isinstance(expected, (list, tuple)):
        return ", ".join(str(v) for v in expected)
    if isinstance(expected, float):
        return f"{expected:.3f}"
    return str(expected)


def questions_of(maker):
    return [maker(np.random.default_rng(seed)) for seed in SEEDS]


def test_dw_shape_is_the_weight_shape():
    for q in questions_of(MAKERS[1][0]):
        sizes = ast.literal_eval(re.search(r"MLP\((\[[^\]]*\])\)", q.prompt).group(1))
        assert q.solve().expected == (sizes[1], sizes[2])


def test_cached_bytes_are_x_and_w_in_float32():
    for q in questions_of(MAKERS[1][1]):
        D, M, N = (
            int(v)
            for v in re.search(
                r"Linear\((\d+), (\d+)\) in float32 at batch "
                r"(\d+)",
                q.prompt,
            ).groups()
        )
        assert q.solve().expected == 4 * (N * D + D * M)


def test_learning_rate_verdict_is_the_closed_form_threshold():
    verdicts = set()
    for seed in range(12):
        q = MAKERS[5][0](np.random.default_rng(seed))
        lr = float(re.search(r"lr ([\d.e-]+)", q.prompt).group(1))
        L = float(re.search(r"1/2 \(([\d.]+) x1", q.prompt).group(1))
        expected = "converges" if abs(1 - lr * L) < 1 else "diverges"
        assert q.solve().expected == expected, q.prompt
        verdicts.add(expected)
    assert verdicts == {"converges", "diverges"}  # both kinds are asked


def test_softmax_shift_same_or_nan():
    for q in questions_of(MAKERS[7][0]):
        assert q.solve().expected == ("nan" if "naive" in q.prompt else "same")


def test_must_keep_matches_each_layer_cache():
    expected = {"Linear": ["X", "W"], "ReLU": ["Y"], "Sigmoid": ["Y"], "Tanh": ["Y"], "GELU": ["X"]}
    seen = set()
    for seed in range(20):
        q = MAKERS[6][0](np.random.default_rng(seed))
        layer = q.prompt.split("(")[0]
        assert q.solve().expected == expected[layer]
        seen.add(layer)
    assert len(seen) >= 4


def test_ce_gradient_is_p_minus_one():
    for q in questions_of(MAKERS[8][0]):
        logits = np.array(ast.literal_eval(re.search(r"logits (\[[^\]]*\])", q.prompt).group(1)))
        k = int(re.search(r"correct class (\d+)", q.prompt).group(1))
        p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        np.testing.assert_allclose(q.solve().expected, p[k] - 1, rtol=1e-12, atol=1e-15)


def test_activation_gradient_closed_forms():
    for seed in range(12):
        q = MAKERS[3][0](np.random.default_rng(seed))
        x = numbers(q.prompt.split("x =")[1])[0]
        s = 1 / (1 + math.exp(-x))
        closed = {
            "ReLU": float(x > 0),
            "Sigmoid": s * (1 - s),
            "GELU": 0.5 * (1 + math.erf(x / math.sqrt(2)))
            + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi),
        }[q.prompt.split("(")[0]]
        np.testing.assert_allclose(q.solve().expected, closed, rtol=1e-10, atol=1e-14)


def test_perceptron_loss_choice_and_scaler_answers():
    for q in questions_of(MAKERS[2][0]):
        if "'xor'" in q.prompt:
            assert q.solve().expected == "no"
    for q in questions_of(MAKERS[4][0]):
        assert q.solve().expected == "ce"
    for q in questions_of(MAKERS[9][0]):
        if "all rows" in q.prompt:  # the test rows set the range: none falls outside
            assert q.solve().expected == "no"


@pytest.mark.parametrize(
    "text, expected, right",
    [
        ("(5, 7)", (5, 7), True),
        ("5 x 7", (5, 7), True),
        ("7, 5", (5, 7), False),
        ("12,345", 12345, True),
        ("12345 bytes", 12345, False),
        ("conv", "converges", True),
        ("d", "converges", False),
        ("", "converges", False),
        ("W, X", ["X", "W"], True),
        ("X", ["X", "W"], False),
        ("-0.97", -0.9702, True),
        ("-0.95", -0.9702, False),
        ("about one", -0.9702, False),
    ],
)
def test_graders(text, expected, right):
    from scratch.tools.quiz import (
        Solution,
        grade_integer,
        grade_names,
        grade_number,
        grade_shape,
        grade_word,
    )

    grader = {
        tuple: grade_shape,
        int: grade_integer,
        str: grade_word,
        list: grade_names,
        float: grade_number(0.01),
    }[type(expected)]
    assert grader(text, Solution(expected, "")) is right


def test_session_scores_right_and_missing_answers():
    questions = make_questions(topic=7, seed=3, count=2)
    right = iter([as_answer(q.solve().expected) for q in questions])
    lines = []
    assert session(questions, lambda: next(right, None), lines.append) == 2
    assert lines[-1].strip() == "score: 2 / 2"
    assert session(questions, lambda: None, lines.append) == 0  # no answer is a wrong one


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_cli_session_end_to_end(tmp_path, via):
    seed = 11
    answers = "\n".join(as_answer(q.solve().expected) for q in make_questions(seed=seed)) + "\n"
    command = [sys.executable, "-m", "scratch", "quiz", "--seed", str(seed)]
    if via == "file":
        (tmp_path / "answers.txt").write_text(answers)
        command += ["--answers", str(tmp_path / "answers.txt")]
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        input=None if via == "file" else answers,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("computed:") == len(MAKERS) == 10
    assert result.stdout.rstrip().endswith(f"score: {len(MAKERS)} / {len(MAKERS)}")


def test_cli_rejects_bad_topic_and_missing_file(tmp_path):
    for extra, message in (
        (["--topic", "42"], "--topic expects one of"),
        (["--answers", str(tmp_path / "none.txt")], "cannot read --answers"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "scratch", "quiz", *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            input="",
        )
        assert result.returncode == 2 and message in result.stderr
        assert result.stderr.count("\n") == 1
