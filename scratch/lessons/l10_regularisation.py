"""Lesson 10: what validation loss shows that training loss cannot: where fitting the
training rows stops helping on new ones.

The same MLP [2, 64, 64, 2] on noisy moons (300 points, noise 0.3; 210 train / 45
validation), Adam 0.01, batch 16, 60 epochs, through the project's training loop:
    none           no regularisation
    dropout 0.5    after each hidden activation
    weight decay   L2 1e-2 on the matrices (Adam's weight_decay, biases exempt)
    early stopping patience 10: stop 10 epochs after the best validation loss, restore it
"""

import numpy as np

from scratch.optim.optimizers import Adam, skip_vectors

CONFIGS = {  # name -> (train_mlp keyword arguments, optimizer keyword arguments)
    "none": ({}, {}),
    "dropout 0.5": ({"dropout": 0.5}, {}),
    "weight decay 1e-2": ({}, {"weight_decay": 1e-2, "decay_mask": skip_vectors}),
    "early stopping (patience 10)": ({"patience": 10}, {}),
}


def measure(seed=0, epochs=60):
    from scratch.lessons._common import toy_splits, train_mlp

    splits = toy_splits("moons", n=300, seed=seed, noise=0.3)
    runs = {}
    for name, (options, optimizer_options) in CONFIGS.items():
        result, _, _ = train_mlp(
            splits,
            [2, 64, 64, 2],
            Adam(lr=0.01, **optimizer_options),
            epochs=epochs,
            batch_size=16,
            seed=seed,
            **options,
        )
        runs[name] = result
    return {
        "runs": runs,
        "epochs": epochs,
        "patience": 10,
        "sizes": (len(splits.train.y), len(splits.validation.y)),
    }


def answer(m):
    lines = [
        f"{'':<30}{'best':>5}{'run':>5}{'train loss':>12}{'val loss':>10}{'val loss':>10}"
        f"{'val acc':>9}",
        f"{'':<30}{'epoch':>5}{'':>5}{'at the end':>12}{'at best':>10}{'at end':>10}{'at best':>9}",
    ]
    for name, r in m["runs"].items():
        h, best = r.history, r.best_epoch - 1
        lines.append(
            f"{name:<30}{r.best_epoch:>5}{r.epochs_run:>5}{h.train_loss[-1]:>12.4f}"
            f"{h.val_loss[best]:>10.4f}{h.val_loss[-1]:>10.4f}{h.val_accuracy[best]:>9.3f}"
        )
    plain = m["runs"]["none"]
    h, best = plain.history, plain.best_epoch - 1
    later_train = min(h.train_loss[best:])
    if plain.best_epoch < plain.epochs_run:
        lines.append(
            f"Without regularisation validation loss turns at epoch {plain.best_epoch} "
            f"({h.val_loss[best]:.4f}) and ends at {h.val_loss[-1]:.4f} by epoch "
            f"{plain.epochs_run}, while training loss goes on from "
            f"{h.train_loss[best]:.4f} down to {later_train:.4f}."
        )
    else:
        lines.append(
            f"Without regularisation validation loss was still falling at the last "
            f"epoch ({h.val_loss[-1]:.4f}): train longer to see it turn."
        )
    early = m["runs"]["early stopping (patience 10)"]
    lines.append(
        f"Early stopping ran {early.epochs_run} epochs and kept epoch {early.best_epoch}'s weights."
    )
    lines.append(
        "Answer: training loss only says how well the model fits the rows it learns "
        "from, and it keeps falling as the model memorises their noise; validation loss, "
        "on rows it never trains on, says when that fitting stops generalising (the epoch "
        "it turns), and which regulariser (dropout, weight decay, stopping early) keeps it "
        "low."
    )
    return "\n".join(lines)


def draw(m, path):
    from scratch.lessons._common import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, len(m["runs"]), figsize=(16, 3.8), sharey=True)
    for ax, (name, r) in zip(axes, m["runs"].items()):
        epochs = np.arange(1, r.epochs_run + 1)
        ax.plot(epochs, r.history.train_loss, label="train")
        ax.plot(epochs, r.history.val_loss, label="validation")
        ax.axvline(r.best_epoch, color="grey", linestyle=":", label=f"best epoch {r.best_epoch}")
        ax.set(title=name, xlabel="epoch", yscale="log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("loss")
    save_figure(fig, path)
