"""`python -m reference train`: the cross-framework training demo (the main job).

Trains the same MLP from the same initial parameters on NumPy (scratch), PyTorch and JAX,
through the same loop with the same batch order and the same dropout masks, then prints
per backend the final train / validation / test loss and accuracy and milliseconds per
step, and how far torch and jax ended from NumPy (parameters, and loss at every step).
"""

import argparse
import sys
from importlib import import_module

import numpy as np

from scratch.run import add_training_options, build_optimizer, describe, prepare, write_json
from scratch.train import train

BACKENDS = {"numpy": "scratch", "torch": "reference.torch", "jax": "reference.jax"}


def _backends(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {list(BACKENDS)}; got {text!r}")
    if names[0] != "numpy":
        names = ["numpy"] + [n for n in names if n != "numpy"]  # the one compared against
    return names


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m reference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train on numpy, torch and jax side by side")
    add_training_options(train_parser)
    train_parser.add_argument("--backends", type=_backends, default=["numpy", "torch", "jax"])
    train_parser.set_defaults(plot="runs/train_curves.png")
    return parser


def run_backend(name, run, args):
    module = import_module(f"{BACKENDS[name]}.train")
    backend = module.Backend(run.mlp, run.params, build_optimizer(run, BACKENDS[name]),
                             run.dataset.task)
    result = train(backend, run.splits, run.plan, args.epochs, args.patience,
                   progress=not args.no_progress, label=name)
    test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
    return result, test_loss, test_accuracy


def main(argv=None):
    args = build_parser().parse_args(argv)
    run = prepare(args)
    print(describe(args, run))
    if run.leaks:
        print(f"warning: feature rows duplicated across splits: {run.leaks}")
    results = {name: run_backend(name, run, args) for name in args.backends}

    reference_result = results["numpy"][0]
    header = (f"{'backend':<8}{'train loss':>11}{'train acc':>10}{'val loss':>10}{'val acc':>9}"
              f"{'test loss':>10}{'test acc':>9}{'ms/step':>9}  {'max |dparam|':>13}{'max |dloss|':>12}")
    print()
    print(header)
    print("-" * len(header))
    payload = {"dataset": run.dataset.name, "dtype": args.dtype,
               "steps": len(reference_result.history.step_loss), "backends": {},
               "max_abs_param_diff": {}, "max_abs_loss_diff": {}}
    for name, (result, test_loss, test_accuracy) in results.items():
        h = result.history
        best = result.best_epoch - 1
        ms = 1000 * float(np.median(h.step_seconds))
        payload["backends"][name] = {"test_accuracy": test_accuracy, "final_loss": h.step_loss[-1],
                                     "ms_per_step": ms, "test_loss": test_loss,
                                     "best_epoch": result.best_epoch}
        diffs = ""
        if name != "numpy":
            param_diff = max(float(np.max(np.abs(result.params[k] - reference_result.params[k])))
                             for k in reference_result.params)
            steps = min(len(h.step_loss), len(reference_result.history.step_loss))
            loss_diff = float(np.max(np.abs(np.subtract(h.step_loss[:steps],
                                                        reference_result.history.step_loss[:steps]))))
            payload["max_abs_param_diff"][name] = param_diff
            payload["max_abs_loss_diff"][name] = loss_diff
            diffs = f"  {param_diff:>13.2e}{loss_diff:>12.2e}"
        print(f"{name:<8}{h.train_loss[best]:>11.4f}{h.train_accuracy[best]:>10.4f}"
              f"{h.val_loss[best]:>10.4f}{h.val_accuracy[best]:>9.4f}{test_loss:>10.4f}"
              f"{test_accuracy:>9.4f}{ms:>9.3f}{diffs}")
    print(f"\nbest epoch (lowest validation loss) {reference_result.best_epoch} of "
          f"{reference_result.epochs_run}; parameters restored from it. Differences are "
          f"against numpy: parameters at the end, losses at every one of "
          f"{payload['steps']} steps.")
    if args.plot:
        from pathlib import Path
        from scratch.plots import plot_histories
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_histories({name: r[0].history for name, r in results.items()}, args.plot,
                       title=f"{run.dataset.name}: numpy (solid), torch (dashed), jax (dotted)")
        print(f"curves saved to {args.plot}")
    if args.checkpoint:
        from scratch.checkpoint import save_checkpoint
        save_checkpoint(args.checkpoint, reference_result.params,
                        {"sizes": run.mlp.sizes, "activation": run.mlp.activation,
                         "dataset": run.dataset.name})
        print(f"best numpy parameters saved to {args.checkpoint}")
    if args.json:
        write_json(args.json, payload)
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
