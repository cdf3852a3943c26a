"""Command line for the NumPy-only tools.

    python -m scratch ledger linear --batch 32 --in 784 --out 128
    python -m scratch ledger --in 784 --hidden 128,64 --out 10 --batch 32   (whole MLP)
    python -m scratch explore learning-rate [--curvature 10 --steps 40]
    python -m scratch train [--dataset digits --hidden 128 --optimizer adam ...]
    python -m scratch train --csv table.csv --target species [--task classification]
    python -m scratch train --resume CHECKPOINT --epochs N
    python -m scratch predict CHECKPOINT (--csv FILE | --dataset NAME --split test)
    python -m scratch diagnose [train's options but --epochs/--patience/--plot/--checkpoint/
                                --no-progress] [--json PATH]
    python -m scratch lesson [N|name] [--out runs/lessons]     (the learning path)
    python -m scratch quiz [--topic N] [--seed S] [--answers FILE]

A mistake prints one line and exits with status 2 (the command line) or 1 (found while
running); Ctrl-C exits with 130. `python -m scratch COMMAND --help` lists each command's
options and defaults.
"""

import sys

import numpy as np

from scratch import GELU, Dropout, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from scratch.cli import Parser, check_memory, run_command
from scratch.errors import UsageError
from scratch.tools.ledger import format_ledger, layer_ledger, model_ledger
from scratch.training.run import (
    OPTIMIZER_SLOTS,
    add_training_options,
    check_before_work,
    hidden_sizes,
    positive_float,
    positive_int,
    probability,
)

# name -> how to build the layer from (d_in, d_out); elementwise layers ignore d_out
LAYERS = {
    "linear": lambda d_in, d_out: Linear(d_in, d_out),
    "relu": lambda d_in, d_out: ReLU(),
    "leaky_relu": lambda d_in, d_out: LeakyReLU(),
    "sigmoid": lambda d_in, d_out: Sigmoid(),
    "tanh": lambda d_in, d_out: Tanh(),
    "gelu": lambda d_in, d_out: GELU(),
    "softmax": lambda d_in, d_out: Softmax(),
    "log_softmax": lambda d_in, d_out: LogSoftmax(),
    "dropout": lambda d_in, d_out: Dropout(0.5),
}


def build_parser():
    parser = Parser(prog="python -m scratch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ledger = commands.add_parser(
        "ledger",
        help="list every tensor of one forward+backward pass",
        description="Every tensor of one forward and backward pass "
        "of one component, or of one training step of "
        "the whole MLP, with shape, dtype and bytes.",
    )
    ledger.add_argument(
        "component",
        nargs="?",
        choices=sorted(LAYERS) + ["mlp"],
        default="mlp",
        help="one component, or the whole MLP",
    )
    # None: not given (an option a component does not use is refused, not ignored)
    ledger.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=None,
        help="mlp only: hidden widths, comma separated (default: 128,64)",
    )
    ledger.add_argument(
        "--optimizer",
        choices=["sgd", "momentum", "adam"],
        default=None,
        help="mlp only: whose state to list (default: adam)",
    )
    ledger.add_argument("--batch", type=positive_int, default=32, help="rows in the batch")
    ledger.add_argument("--in", dest="d_in", type=positive_int, default=784, help="input width")
    ledger.add_argument(
        "--out",
        dest="d_out",
        type=positive_int,
        default=None,
        help="linear and mlp only: output width (default: 128); elementwise "
        "components keep their input width",
    )
    ledger.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="floating-point type of every tensor",
    )
    ledger.add_argument(
        "--dropout",
        type=probability,
        default=0.0,
        help="mlp only: dropout probability after each hidden activation "
        "(0: no dropout layers, no masks)",
    )
    ledger.add_argument(
        "--measure",
        action="store_true",
        help="mlp only: also measure one NumPy training step's peak memory "
        "(tracemalloc) and print it beside the ledger's prediction",
    )

    explore = commands.add_parser(
        "explore",
        help="demonstrations with known answers",
        description="What too large a learning rate does, on a quadratic whose answer is known.",
    )
    explore.add_argument("topic", choices=["learning-rate"], help="the demonstration")
    explore.add_argument(
        "--curvature",
        type=positive_float,
        default=10.0,
        help="largest curvature L of the quadratic (the other is 1)",
    )
    explore.add_argument(
        "--steps", type=positive_int, default=40, help="gradient steps per learning rate"
    )

    from scratch.training.predict import add_predict_options

    add_predict_options(
        commands.add_parser(
            "predict",
            help="predictions (and metrics, given labels) from a checkpoint",
            description="Per-row predictions from a checkpoint on raw features: CSV (row, "
            "prediction, one probability per class, label) or --json, with the "
            "metrics when labels are present.",
        )
    )
    train = add_training_options(
        commands.add_parser(
            "train",
            help="train the MLP with NumPy alone",
            description="Train the MLP with NumPy alone; prints the best epoch's losses and "
            "accuracies, and writes the outputs asked for.",
        )
    )
    train.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        default=None,
        help="carry on the run saved in CHECKPOINT (by --checkpoint) up to --epochs "
        "in total, bit-identical to an uninterrupted run; its options are "
        "the saved ones (default: start a new run)",
    )
    train.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="also run it as K simulated data-parallel workers (each batch cut "
        "into K shards, their gradients combined as an all-reduce would) "
        "and compare with the plain run",
    )
    add_training_options(
        commands.add_parser(
            "diagnose",
            help="why does it not train? checks of the data, loss, gradients, updates",
            description="Why does it not train? Checks of the data, the loss, the gradients and "
            "the updates, in that order; exit status 1 when one fails.",
        ),
        outputs=("json",),
        loop=False,
    )

    lesson = commands.add_parser("lesson", help="the learning path: one measured lesson per topic")
    lesson.add_argument(
        "which",
        nargs="?",
        default=None,
        help="lesson number 1-10 or name; without it, the table of lessons",
    )
    lesson.add_argument("--out", default="runs/lessons", help="folder for the lesson's PNG")
    lesson.add_argument("--no-plot", action="store_true", help="print the answer only, no PNG")
    lesson.add_argument("--seed", type=int, default=0, help="seed of the lesson's data and runs")
    quiz = commands.add_parser("quiz", help="predict, then check: questions from real runs")
    quiz.add_argument(
        "--topic",
        type=int,
        default=None,
        help="ask only about this topic (1-10); default: one question per topic",
    )
    quiz.add_argument(
        "--count", type=positive_int, default=3, help="how many questions with --topic"
    )
    quiz.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the questions (default: new ones every session)",
    )
    quiz.add_argument(
        "--answers",
        default=None,
        help="read the answers from this file, one a line (default: the terminal, "
        "or stdin when it is not a terminal)",
    )
    return parser


def main(argv=None):
    return run_command(_main, argv, prog="python -m scratch")


def _main(argv):
    args = build_parser().parse_args(argv)
    if args.command in ("train", "diagnose"):
        check_before_work(args)
    if args.command == "train":
        return train_command(args)
    if args.command == "predict":
        from scratch.training.predict import predict_command

        return predict_command(args)
    if args.command == "diagnose":
        return diagnose_command(args)
    if args.command == "lesson":
        return lesson_command(args)
    if args.command == "quiz":
        return quiz_command(args)
    if args.command == "explore":
        from scratch.tools.explore import format_study, learning_rate_study

        print(format_study(learning_rate_study(curvatures=(args.curvature, 1.0), steps=args.steps)))
        return 0
    return ledger_command(args)


def ledger_command(args):
    mlp_only = [
        option
        for option, value in (
            ("--hidden", args.hidden),
            ("--optimizer", args.optimizer),
            ("--dropout", args.dropout or None),
            ("--measure", args.measure or None),
        )
        if value is not None
    ]
    if args.component != "mlp" and mlp_only:
        raise UsageError(
            f"{mlp_only[0]}: used only by the mlp ledger; got it with component {args.component}"
        )
    if args.component not in ("mlp", "linear") and args.d_out is not None:
        raise UsageError(
            f"--out: used only by linear and mlp; got --out {args.d_out} with "
            f"{args.component}, whose output has its input's width (--in)"
        )
    args.hidden = args.hidden or [128, 64]
    args.optimizer = args.optimizer or "adam"
    args.d_out = args.d_out or 128
    itemsize = np.dtype(args.dtype).itemsize
    rng = np.random.default_rng(0)
    if args.component == "mlp":
        sizes = [args.d_in, *args.hidden, args.d_out]
        n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
        check_memory(
            (3 + OPTIMIZER_SLOTS[args.optimizer]) * n_params * itemsize
            + 4 * args.batch * sum(sizes) * itemsize,
            f"the ledger of MLP {sizes} ({n_params:,} parameters, {args.dtype})",
            "--hidden/--in/--out/--batch",
        )
        return print_model_ledger(args, rng)
    d_out = args.d_out if args.component == "linear" else args.d_in
    n_weights = (args.d_in + 1) * d_out if args.component == "linear" else 0
    check_memory(
        2 * n_weights * itemsize + 4 * args.batch * (args.d_in + d_out) * itemsize,
        f"the ledger of {args.component} ({args.d_in} -> {d_out}, batch {args.batch}, "
        f"{args.dtype})",
        "--in/--out/--batch",
    )
    layer = LAYERS[args.component](args.d_in, args.d_out)
    params = layer.init(rng, dtype=args.dtype) if isinstance(layer, Linear) else {}
    X = rng.standard_normal((args.batch, args.d_in)).astype(args.dtype)
    kwargs = {"rng": rng} if isinstance(layer, Dropout) else {}
    rows = layer_ledger(layer, params, X, rng=rng, forward_kwargs=kwargs)
    print(format_ledger(rows, title=f"{layer!r}, batch {args.batch}, {args.dtype}"))
    return 0


def train_command(args):
    from scratch.optim import optimizers
    from scratch.training.run import describe, finish_run, prepare, run_backend
    from scratch.training.train import Backend

    if args.resume:
        from scratch.training.resume import resume_command

        return resume_command(args)
    run = prepare(args)
    if args.workers:
        from scratch.training.data_parallel import check_workers

        problem = check_workers("--workers", args.workers, run.plan)
        if problem:
            raise UsageError(problem)
    print(describe(args, run))
    results = {"numpy": run_backend("numpy", Backend, optimizers, run, args)}
    if args.workers:
        from scratch.training.data_parallel import workers_backend

        name = f"numpy:{args.workers}"
        print(f"{name} is the same run as {args.workers} simulated data-parallel workers")
        results[name] = run_backend(name, workers_backend(args.workers), optimizers, run, args)
    finish_run(args, run, results)
    return 0


def diagnose_command(args):
    from scratch.nn.losses import loss_for_task
    from scratch.optim import optimizers
    from scratch.tools.diagnose import diagnose, format_report
    from scratch.training.run import build_optimizer, describe, prepare, write_json

    run = prepare(args)
    print(describe(args, run))
    loss = loss_for_task(run.dataset.task)
    report = diagnose(
        run.mlp,
        run.params,
        build_optimizer(run, optimizers),
        loss,
        run.splits,
        task=run.dataset.task,
        seed=args.seed,
        batch=args.batch_size,
    )
    print(format_report(report))
    if args.json:
        write_json(
            args.json, {"failed": report.failed, "findings": [f._asdict() for f in report.findings]}
        )
    return 1 if report.failed else 0


def lesson_command(args):
    from scratch import lessons

    if args.which is None:
        print(lessons.table())
        return 0
    try:
        lesson = lessons.find(args.which)
        if not args.no_plot and hasattr(lessons.load(lesson), "draw"):
            from pathlib import Path

            Path(args.out).mkdir(parents=True, exist_ok=True)  # before any work is done
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"error: cannot use --out {args.out} for the lesson's PNG: {error.strerror}",
            file=sys.stderr,
        )
        return 2
    print(lessons.run(args.which, out_dir=args.out, plot=not args.no_plot, seed=args.seed)[0])
    return 0


def quiz_command(args):
    from scratch.tools.quiz import MAKERS, answer_reader, make_questions, session

    if args.topic is not None and args.topic not in MAKERS:
        print(f"error: --topic expects one of {sorted(MAKERS)}; got {args.topic}", file=sys.stderr)
        return 2
    try:
        read = answer_reader(args.answers)
    except OSError as error:
        print(f"error: cannot read --answers {args.answers}: {error.strerror}", file=sys.stderr)
        return 2
    session(make_questions(args.topic, args.seed, args.count), read)
    return 0


def print_model_ledger(args, rng):
    from scratch.nn.losses import SoftmaxCrossEntropy
    from scratch.nn.mlp import MLP
    from scratch.optim.optimizers import SGD, Adam

    mlp = MLP([args.d_in, *args.hidden, args.d_out], dropout=args.dropout)
    params = mlp.init(rng, dtype=args.dtype)
    X = rng.standard_normal((args.batch, args.d_in)).astype(args.dtype)
    y = rng.integers(0, args.d_out, args.batch)
    optimizer = {"sgd": SGD(lr=0.1), "momentum": SGD(lr=0.1, momentum=0.9), "adam": Adam()}[
        args.optimizer
    ]
    rows = model_ledger(mlp, params, X, y, SoftmaxCrossEntropy(), optimizer, rng)
    print(
        format_ledger(
            rows,
            title=f"{mlp!r}, softmax cross-entropy, {args.optimizer}, "
            f"batch {args.batch}, {args.dtype}",
        )
    )
    print(
        "cached rows are what forward keeps alive for backward; (view) rows share "
        "memory with a row above and cost nothing extra"
    )
    if args.measure:
        from scratch.tools.memory import format_comparison, measure_training_step

        measured = measure_training_step(mlp, params, X, y, optimizer)
        print()
        print(
            format_comparison(
                rows, measured, title="bytes, predicted by the ledger and measured with tracemalloc"
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
