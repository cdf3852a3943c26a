"""Lessons: one runnable, measured answer per topic of the learning path.

    python -m scratch lesson              the table of topics, prompts and commands
    python -m scratch lesson 7            (or: lesson softmax) run one lesson

Each lesson is one short module `lNN_<name>.py` with three functions:
    measure(seed=0) -> dict      runs real code from this project and returns its numbers
    answer(measured) -> str      the answer to the practice prompt, built from those numbers
    draw(measured, path)         (some lessons) a PNG where a picture says it better
Tests check the measured numbers against closed forms (parity_tests/numpy_only/test_lessons.py).
"""

import textwrap
from pathlib import Path
from typing import NamedTuple


class Lesson(NamedTuple):
    number: int
    name: str  # the short name accepted on the command line
    topic: str
    prompt: str  # the practice prompt the lesson answers
    module: str  # scratch.lessons.<module>


LESSONS = (
    Lesson(
        1,
        "shapes",
        "Linear layer: shapes and memory",
        "write the shape ledger for X, W, b, Y, dY, dW, db, dX",
        "l01_shapes",
    ),
    Lesson(
        2,
        "perceptron",
        "Perceptron",
        "when can a perceptron separate two classes, and when not?",
        "l02_perceptron",
    ),
    Lesson(
        3,
        "activations",
        "Activation functions",
        "compare ReLU, sigmoid and GELU failure modes",
        "l03_activations",
    ),
    Lesson(
        4, "losses", "Loss functions", "does MSE or cross-entropy fit a given target?", "l04_losses"
    ),
    Lesson(
        5,
        "learning-rate",
        "Gradient descent variants",
        "what changes when the learning rate is too large?",
        "l05_learning_rate",
    ),
    Lesson(
        6,
        "backprop",
        "Feedforward and backprop",
        "which tensors must be saved for a two-layer MLP's backward pass?",
        "l06_backprop",
    ),
    Lesson(
        7,
        "softmax",
        "Softmax stability",
        "why does subtracting the maximum logit not change the probabilities?",
        "l07_softmax",
    ),
    Lesson(
        8,
        "cross-entropy",
        "Cross-entropy",
        "what does the loss penalise when the correct class's logit is too low?",
        "l08_cross_entropy",
    ),
    Lesson(
        9,
        "leakage",
        "Train/test split and leakage",
        "name a preprocessing step that must be fit on training data only",
        "l09_leakage",
    ),
    Lesson(
        10,
        "regularisation",
        "Regularisation",
        "what does validation loss tell you that training loss cannot?",
        "l10_regularisation",
    ),
)


def find(key):
    """The Lesson for a number ("7", 7) or a name ("softmax"); ValueError otherwise."""
    text = str(key).strip().lower()
    for lesson in LESSONS:
        if text in (str(lesson.number), lesson.name):
            return lesson
    raise ValueError(
        f"lesson expects a number 1-{len(LESSONS)} or a name in "
        f"{[lesson.name for lesson in LESSONS]}; got {key!r}"
    )


def load(lesson):
    """The lesson's module. Imported by name, not from a computed string, so that the
    layering test can read what scratch/ imports; imported here, not at the top, so that
    the table prints without running any lesson's imports."""
    from scratch.lessons import (
        l01_shapes,
        l02_perceptron,
        l03_activations,
        l04_losses,
        l05_learning_rate,
        l06_backprop,
        l07_softmax,
        l08_cross_entropy,
        l09_leakage,
        l10_regularisation,
    )

    modules = {
        m.__name__.rsplit(".", 1)[-1]: m
        for m in (
            l01_shapes,
            l02_perceptron,
            l03_activations,
            l04_losses,
            l05_learning_rate,
            l06_backprop,
            l07_softmax,
            l08_cross_entropy,
            l09_leakage,
            l10_regularisation,
        )
    }
    return modules[lesson.module]


def table():
    """The ten topics, their prompts and the command that answers each."""
    lines = [f"{'#':>2}  {'topic':<34}{'command':<42}practice prompt"]
    lines.append("-" * 120)
    for lesson in LESSONS:
        command = f"python -m scratch lesson {lesson.name}"
        lines.append(f"{lesson.number:>2}  {lesson.topic:<34}{command:<42}{lesson.prompt}")
    lines.append(
        "\nA lesson runs the project's own code, prints what it measured and the answer "
        "built from it,\nand saves a PNG where a picture helps (--out DIR, default "
        "runs/lessons). Predict first: python -m scratch quiz"
    )
    return "\n".join(lines)


def run(key, out_dir="runs/lessons", plot=True, seed=0):
    """Run one lesson: (text to print, measured numbers, path of the PNG or None)."""
    lesson = find(key)
    module = load(lesson)
    measured = module.measure(seed=seed)
    text = f"Lesson {lesson.number}: {lesson.topic}\nPrompt: {lesson.prompt}\n\n"
    # the answer paragraph wrapped for a terminal; tables keep their lines
    text += "\n".join(
        textwrap.fill(line, width=100, subsequent_indent="  ")
        if line.startswith("Answer:")
        else line
        for line in module.answer(measured).splitlines()
    )
    figure = None
    if plot and hasattr(module, "draw"):
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        figure = out / f"lesson{lesson.number:02d}_{lesson.name}.png"
        module.draw(measured, figure)
        text += f"\n\nfigure saved to {figure}"
    return text, measured, figure
