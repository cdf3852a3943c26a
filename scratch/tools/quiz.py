"""Predict, then check: questions generated from real tensors and runs.

    python -m scratch quiz [--topic N] [--seed S] [--answers FILE]

Each question is drawn at random (a random small architecture, curvature, logits...), the
learner's answer is read first, and only then the code runs and computes the answer,
shown with its numbers. Nothing is looked up in a typed-in table: every expected answer
is what running this project's code gives.

A Question holds the prompt, `solve()` (runs the code, returns a Solution) and
`grade(answer_text, solution)`. Topics follow the lessons (python -m scratch lesson).
"""

import re
import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Solution(NamedTuple):
    expected: object  # the value the answer is graded against
    shown: str  # the expected answer and the numbers behind it


class Question(NamedTuple):
    topic: int
    prompt: str
    solve: Callable[[], Solution]
    grade: Callable[[str, Solution], bool]


# ---------------------------------------------------------------------------------------
# How answers are read: numbers, shapes, words, sets of names
# ---------------------------------------------------------------------------------------


def grade_shape(text, solution):
    return tuple(int(p) for p in re.findall(r"\d+", text)) == tuple(solution.expected)


def grade_integer(text, solution):
    digits = re.sub(r"[,_\s]", "", text)
    return bool(re.fullmatch(r"\d+", digits)) and int(digits) == solution.expected


def grade_number(tolerance):
    def grade(text, solution):
        try:
            return abs(float(text.strip()) - solution.expected) <= tolerance
        except ValueError:
            return False

    return grade


def grade_word(text, solution):
    """The first letters decide: 'c', 'conv', 'converges' all mean converges."""
    word = text.strip().lower()
    return bool(word) and solution.expected.startswith(word)


def grade_names(text, solution):
    names = {part for part in re.split(r"[\s,;/+]+", text.strip()) if part}
    return names == set(solution.expected)


# ---------------------------------------------------------------------------------------
# Question makers: each takes a Generator and returns a Question
# ---------------------------------------------------------------------------------------


def dw_shape(rng):
    from scratch.nn.mlp import MLP

    sizes = [int(rng.integers(3, 33)) for _ in range(4)]
    N = int(rng.integers(2, 65))
    mlp = MLP(sizes)
    prompt = (
        f"MLP({sizes}) = Linear -> ReLU -> Linear -> ReLU -> Linear, batch {N}. "
        f"What is the shape of dW2, the gradient of the second Linear's weight "
        f"(parameter '2.W')? (e.g. 5, 7)"
    )

    def solve():
        rng_run = np.random.default_rng(1)
        params = mlp.init(rng_run)
        X = rng_run.standard_normal((N, sizes[0]))
        Y, cache = mlp.forward(params, X)
        _, grads = mlp.backward(cache, rng_run.standard_normal(Y.shape))
        shape = grads["2.W"].shape
        return Solution(
            shape,
            f"{shape}: ran forward and backward; dW2 = A1^T dZ2 has W2's "
            f"shape (H1, H2) = ({sizes[1]}, {sizes[2]}), whatever the batch",
        )

    return Question(1, prompt, solve, grade_shape)


def cached_bytes(rng):
    from scratch.nn.linear import Linear

    D, M, N = (int(v) for v in rng.integers(2, 200, 3))
    prompt = (
        f"Linear({D}, {M}) in float32 at batch {N}: how many bytes do the arrays in its "
        f"cache (what backward needs) hold, counting each array once?"
    )

    def solve():
        layer = Linear(D, M)
        rng_run = np.random.default_rng(1)
        params = layer.init(rng_run, dtype=np.float32)
        _, cache = layer.forward(params, rng_run.standard_normal((N, D)).astype(np.float32))
        sizes = {name: value.nbytes for name, value in cache._asdict().items()}
        total = sum(sizes.values())
        return Solution(
            total,
            f"{total:,} = "
            + " + ".join(
                f"{name} {value.shape} {sizes[name]:,}" for name, value in cache._asdict().items()
            )
            + " (both are references to X and W: no copy is made)",
        )

    return Question(1, prompt, solve, grade_integer)


def learning_rate(rng):
    from scratch.optim.optimizers import SGD
    from scratch.tools.explore import run, verdict

    L = float(rng.choice([2.0, 4.0, 10.0, 20.0]))
    lr = float(np.round(rng.choice([0.3, 0.6, 0.8, 1.25, 1.5, 2.5]) * 2 / L, 4))
    prompt = (
        f"Gradient descent with lr {lr:g} on f(x) = 1/2 ({L:g} x1^2 + x2^2), 40 steps "
        f"from (1, 1): converges or diverges?"
    )

    def solve():
        losses = run(SGD(lr=lr), (L, 1.0), 40, np.ones(2))
        word = "diverges" if verdict(losses).startswith("DIVERGES") else "converges"
        return Solution(
            word,
            f"{word}: loss {losses[0]:.3g} -> {losses[-1]:.3g} after 40 steps; "
            f"|1 - lr L| = {abs(1 - lr * L):.3g} per step on the stiff "
            f"coordinate (the limit is lr < 2/L = {2 / L:g})",
        )

    return Question(5, prompt, solve, grade_word)


def softmax_shift(rng):
    from scratch.nn.softmax import Softmax

    Z = rng.integers(-24, 24, (2, 4)) / 8.0
    naive = bool(rng.integers(0, 2))
    c = 1000.0 if naive else 100.0
    how = "naive exp(Z) / sum exp(Z)" if naive else "scratch's Softmax (shifted by the max)"
    prompt = (
        f"Z = {Z.tolist()}. With {how}, is softmax(Z + {c:g}) against softmax(Z) "
        f"'same' (bit for bit), 'different', or 'nan'?"
    )

    def solve():
        with np.errstate(over="ignore", invalid="ignore"):
            if naive:

                def f(A):
                    return np.exp(A) / np.exp(A).sum(axis=-1, keepdims=True)
            else:

                def f(A):
                    return Softmax().forward({}, A)[0]

            P, P_shift = f(Z), f(Z + c)
        if np.isnan(P_shift).any():
            word = "nan"
        else:
            word = "same" if np.array_equal(P, P_shift) else "different"
        return Solution(
            word,
            f"{word}: softmax(Z)[0] = {np.array2string(P[0], precision=4)}, "
            f"softmax(Z + {c:g})[0] = {np.array2string(P_shift[0], precision=4)}"
            + (
                " (exp overflows past 709.78)"
                if naive
                else " (Z + c - max(Z + c) = Z - max Z exactly on a grid of 1/8)"
            ),
        )

    return Question(7, prompt, solve, grade_word)


def must_keep(rng):
    from scratch.nn.activations import GELU, ReLU, Sigmoid, Tanh
    from scratch.nn.linear import Linear

    choice = int(rng.integers(0, 5))
    layer = [Linear(4, 3), ReLU(), Sigmoid(), Tanh(), GELU()][choice]
    candidates = ["X", "W", "b", "Y"] if isinstance(layer, Linear) else ["X", "Y"]
    prompt = (
        f"{layer!r}: which of {', '.join(candidates)} must it keep for backward "
        f"(X input, Y output)? Answer the names, e.g. X, Y"
    )

    def solve():
        rng_run = np.random.default_rng(1)
        params = layer.init(rng_run) if isinstance(layer, Linear) else {}
        X = rng_run.standard_normal((5, 4))
        Y, cache = layer.forward(params, X)
        arrays = {"X": X, "Y": Y, **params}
        kept = [
            name
            for name in candidates
            if any(isinstance(v, np.ndarray) and np.shares_memory(v, arrays[name]) for v in cache)
        ]
        return Solution(
            kept,
            f"{', '.join(kept)}: its cache holds "
            f"{', '.join(cache._fields)} (ran forward and compared the cache's "
            f"arrays with X, Y and the parameters)",
        )

    return Question(6, prompt, solve, grade_names)


def ce_gradient(rng):
    from scratch.nn.losses import SoftmaxCrossEntropy

    C = int(rng.integers(3, 6))
    Z = np.round(rng.normal(0, 2, (1, C)), 1)
    k = int(rng.integers(0, C))
    prompt = (
        f"Cross-entropy, one example, logits {Z[0].tolist()}, correct class {k}: what is "
        f"dL/dz_{k}? (two decimals)"
    )

    def solve():
        loss = SoftmaxCrossEntropy()
        L, cache = loss.forward(Z, np.array([k]))
        dZ = loss.backward(cache)
        value = float(dZ[0, k])
        return Solution(
            value,
            f"{value:.4f} = p_{k} - 1 with p = softmax(Z) = "
            f"{np.array2string(cache.P[0], precision=4)}; loss {float(L):.4f}",
        )

    return Question(8, prompt, solve, grade_number(0.01))


def activation_gradient(rng):
    from scratch.nn.activations import GELU, ReLU, Sigmoid

    layer = [ReLU(), Sigmoid(), GELU()][int(rng.integers(0, 3))]
    x = float(rng.choice([-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 2.0]))
    prompt = f"{layer!r}: what is its derivative at x = {x:g}? (two decimals)"

    def solve():
        X = np.array([[x]])
        _, cache = layer.forward({}, X)
        value = float(layer.backward(cache, np.ones_like(X))[0][0, 0])
        return Solution(value, f"{value:.4f}: backward of an upstream gradient of 1 at x = {x:g}")

    return Question(3, prompt, solve, grade_number(0.01))


def perceptron(rng):
    from scratch.data.datasets import make_toy
    from scratch.nn.perceptron import Perceptron

    name = ["xor", "blobs"][int(rng.integers(0, 2))]
    n, seed = int(rng.integers(40, 120)), int(rng.integers(0, 1000))
    prompt = (
        f"A perceptron on the '{name}' toy set ({n} points, seed {seed}), at most 50 "
        f"epochs: does it converge? (yes/no)"
    )

    def solve():
        data = make_toy(name, n=n, seed=seed)
        fit = Perceptron(max_epochs=50).fit(data.X, np.where(data.y == 1, 1, -1))
        word = "yes" if fit.converged else "no"
        plural = "" if fit.mistakes == 1 else "s"
        return Solution(word, f"{word}: {fit.mistakes} mistake{plural} in {fit.epochs} epochs")

    return Question(2, prompt, solve, grade_word)


def loss_choice(rng):
    from scratch.lessons.l04_losses import logit_gradients

    wrong = float(rng.choice([2.0, 4.0, 6.0]))
    prompt = (
        f"Logits [{wrong:g}, 0, 0], correct class 1 (confidently wrong): which loss gives "
        f"the larger gradient on the correct logit, 'ce' (cross-entropy) or 'mse' "
        f"(MSE on softmax probabilities against one-hot)?"
    )

    def solve():
        dZ_ce, dZ_mse = logit_gradients(np.array([[wrong, 0.0, 0.0]]), np.array([1]))
        word = "ce" if abs(dZ_ce[0, 1]) > abs(dZ_mse[0, 1]) else "mse"
        return Solution(word, f"{word}: cross-entropy {dZ_ce[0, 1]:.4f}, MSE {dZ_mse[0, 1]:.2e}")

    return Question(4, prompt, solve, grade_word)


def scaler_range(rng):
    from scratch.data.datasets import make_toy
    from scratch.data.splits import Standardizer, split

    seed = int(rng.integers(0, 1000))
    fit_on = ["the training rows", "all rows"][int(rng.integers(0, 2))]
    prompt = (
        f"Toy 'moons' (200 points, seed {seed}) split 70/15/15; a min-max scaler fit on "
        f"{fit_on}. Does any scaled test value fall outside [0, 1]? (yes/no)"
    )

    def solve():
        data = make_toy("moons", n=200, seed=seed)
        splits = split(data, seed=seed)
        if fit_on == "all rows":
            low, high = data.X.min(axis=0), data.X.max(axis=0)
            scaler = Standardizer(low, high - low, "minmax")
        else:
            scaler = Standardizer.fit(splits.train, method="minmax")
        test = scaler.transform(splits.test.X)
        outside = int(np.sum((test < 0) | (test > 1)))
        word = "yes" if outside else "no"
        return Solution(
            word,
            f"{word}: {outside} of {test.size} test values outside [0, 1]"
            + (" (the test rows set the range themselves: a leak)" if fit_on == "all rows" else ""),
        )

    return Question(9, prompt, solve, grade_word)


def validation_turn(rng):
    from scratch.lessons._common import toy_splits, train_mlp
    from scratch.optim.optimizers import Adam

    noise = float(rng.choice([0.05, 0.3]))
    seed = int(rng.integers(0, 1000))
    prompt = (
        f"MLP [2, 64, 64, 2], no regularisation, Adam 0.01, batch 16, trained 40 epochs on "
        f"'moons' (300 points, noise {noise:g}, seed {seed}). Is the epoch of lowest "
        f"validation loss earlier than epoch 35? (yes/no)"
    )

    def solve():
        splits = toy_splits("moons", n=300, seed=seed, noise=noise)
        result, _, _ = train_mlp(
            splits, [2, 64, 64, 2], Adam(lr=0.01), epochs=40, batch_size=16, seed=seed
        )
        h, best = result.history, result.best_epoch - 1
        word = "yes" if result.best_epoch < 35 else "no"
        return Solution(
            word,
            f"{word}: lowest validation loss {h.val_loss[best]:.4f} at epoch "
            f"{result.best_epoch}, {h.val_loss[-1]:.4f} at epoch 40; training "
            f"loss {h.train_loss[best]:.4f} -> {h.train_loss[-1]:.4f}",
        )

    return Question(10, prompt, solve, grade_word)


MAKERS = {
    1: [dw_shape, cached_bytes],
    2: [perceptron],
    3: [activation_gradient],
    4: [loss_choice],
    5: [learning_rate],
    6: [must_keep],
    7: [softmax_shift],
    8: [ce_gradient],
    9: [scaler_range],
    10: [validation_turn],
}


def make_questions(topic=None, seed=None, count=None):
    """One question per topic (all topics), or `count` (default 3) for one topic."""
    rng = np.random.default_rng(seed)
    if topic is None:
        return [
            makers[int(rng.integers(0, len(makers)))](rng) for _, makers in sorted(MAKERS.items())
        ]
    if topic not in MAKERS:
        raise ValueError(f"quiz expects --topic in {sorted(MAKERS)}; got {topic}")
    makers = MAKERS[topic]
    return [makers[i % len(makers)](rng) for i in range(count or 3)]


def session(questions, read_answer, write=print):
    """Ask each question, read the answer, then run the code and grade. Returns the score."""
    score = 0
    for number, question in enumerate(questions, start=1):
        write(f"\nQ{number} (topic {question.topic}). {question.prompt}")
        answer = read_answer()
        if answer is None:
            answer = ""
        write(f"  your answer: {answer.strip() or '(none)'}")
        solution = question.solve()
        correct = question.grade(answer, solution)
        score += correct
        write(f"  {'right' if correct else 'wrong'}; computed: {solution.shown}")
    write(f"\nscore: {score} / {len(questions)}")
    return score


def answer_reader(path=None, stdin=None):
    """input() at a terminal; otherwise the lines of --answers FILE, or of stdin."""
    stdin = stdin or sys.stdin
    if path is None and stdin.isatty():

        def read():
            try:
                return input("  > ")
            except EOFError:
                return None

        return read
    if path is not None:
        with open(path) as f:
            lines = f.read().splitlines()
    else:
        lines = stdin.read().splitlines()
    iterator = iter(lines)
    return lambda: next(iterator, None)
