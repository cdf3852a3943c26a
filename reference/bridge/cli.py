"""The bridge's commands for `python -m reference`: export, import, handoff."""

import argparse

from scratch.data.datasets import NAMES
from scratch.nn.mlp import ACTIVATIONS
from scratch.training.run import (
    OPTIMIZERS,
    hidden_sizes,
    non_negative_float,
    positive_float,
    positive_int,
    probability,
)


def add_bridge_commands(commands):
    formatter = argparse.ArgumentDefaultsHelpFormatter
    export = commands.add_parser(
        "export",
        formatter_class=formatter,
        help="a checkpoint as plain PyTorch (.pt) or plain JAX (.npz) with its optimizer state",
        description="Write CHECKPOINT (from train --checkpoint) for plain PyTorch "
        "(torch.load(OUT, weights_only=True): nn.Sequential state_dict, torch.optim "
        "state_dict, scheduler, config) or plain JAX (an .npz of the params pytree and "
        "the optax state's leaves, with a JSON config). See README, 'Leaving for "
        "PyTorch or JAX'.",
    )
    export.add_argument("checkpoint", help="a checkpoint written by train --checkpoint")
    export.add_argument("--to", choices=["torch", "jax"], required=True, help="target framework")
    export.add_argument("out", help="output file (.pt for torch, .npz for jax), written atomically")

    imported = commands.add_parser(
        "import",
        formatter_class=formatter,
        help="an export (torch or jax) or a plain torch nn.Sequential state_dict, as a checkpoint",
        description="Read FILE (a torch export, a jax export, or a state_dict saved from a "
        "compatible nn.Sequential of nn.Linear layers) and write a scratch checkpoint.",
    )
    imported.add_argument("file", help="the .pt or .npz file")
    imported.add_argument(
        "--to",
        dest="out",
        required=True,
        metavar="CHECKPOINT",
        help="the checkpoint to write (.npz)",
    )
    imported.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="relu",
        help="for a bare state_dict: the activation between the Linear layers",
    )
    imported.add_argument(
        "--dropout",
        type=probability,
        default=None,
        help="for a bare state_dict whose Linear layers are 3 apart: the dropout "
        "probability (required then)",
    )
    imported.add_argument(
        "--task",
        choices=["classification", "regression"],
        default="classification",
        help="for a bare state_dict: the task",
    )

    handoff = commands.add_parser(
        "handoff",
        formatter_class=formatter,
        help="train k epochs in scratch, continue in plain torch and in plain jax, compare",
        description="Train the main job's model for --handoff-epoch epochs in scratch, export "
        "model and optimizer state, continue to --epochs in plain PyTorch "
        "(nn.Sequential + torch.optim) and in plain JAX (jax.jit + optax) from the "
        "exported files, and compare with scratch continuing alone.",
    )
    # the main job's model and defaults (python -m reference train)
    handoff.add_argument("--dataset", choices=NAMES, default="digits")
    handoff.add_argument("--hidden", type=hidden_sizes, default=[256, 128], help="hidden widths")
    handoff.add_argument("--dropout", type=probability, default=0.2)
    handoff.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    handoff.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="learning rate (None: the optimizer's default, as in train)",
    )
    handoff.add_argument("--weight-decay", type=non_negative_float, default=0.0)
    handoff.add_argument("--epochs", type=positive_int, default=40, help="epochs in all")
    handoff.add_argument(
        "--handoff-epoch",
        type=positive_int,
        default=20,
        help="epochs trained in scratch before the hand-off",
    )
    handoff.add_argument("--batch-size", type=positive_int, default=32)
    handoff.add_argument("--seed", type=int, default=0)
    handoff.add_argument(
        "--workdir", default="runs/handoff", help="where the checkpoint and the exports are written"
    )
    handoff.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="PATH",
        help="also write the results as JSON to PATH (stdout when no PATH)",
    )


def run_bridge_command(args):
    if args.command == "export":
        from reference.bridge.importer import export_command

        return export_command(args)
    if args.command == "import":
        from reference.bridge.importer import import_command

        return import_command(args)
    from reference.bridge.handoff import handoff_command

    return handoff_command(args)
