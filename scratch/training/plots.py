"""Training curves as a PNG (matplotlib is imported here only, and only when called)."""

# one line style per backend, named so that a title can say which is which
STYLES = [
    ("-", "solid"),
    ("--", "dashed"),
    (":", "dotted"),
    ("-.", "dash-dot"),
    ((0, (1, 4)), "sparse dots"),
]


def style_legend(names):
    """The style each of `names` is drawn in, e.g. numpy (solid), torch (dashed), ..."""
    return ", ".join(f"{name} ({STYLES[i % len(STYLES)][1]})" for i, name in enumerate(names))


def plot_histories(histories, path, title=""):
    """histories: {label: History}; loss and accuracy per epoch, train and validation."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    from scratch.training.outputs import write_png

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for index, (label, history) in enumerate(histories.items()):
        style = STYLES[index % len(STYLES)][0]
        epochs = range(1, len(history.train_loss) + 1)
        ax_loss.plot(
            epochs, history.train_loss, linestyle=style, color="C0", label=f"{label} train"
        )
        ax_loss.plot(
            epochs, history.val_loss, linestyle=style, color="C1", label=f"{label} validation"
        )
        ax_acc.plot(
            epochs, history.train_accuracy, linestyle=style, color="C0", label=f"{label} train"
        )
        ax_acc.plot(
            epochs, history.val_accuracy, linestyle=style, color="C1", label=f"{label} validation"
        )
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        write_png(path, fig)  # atomic: a failed save never replaces a good file
    finally:
        plt.close(fig)
    return path
