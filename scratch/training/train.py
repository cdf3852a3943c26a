"""The training loop: forward, loss, backward, update; epochs of seeded minibatches,
validation every epoch, early stopping that restores the best weights.

The loop is written once and drives a *backend*: an object with

    train_step(X, y, masks) -> loss      one update on one minibatch (training mode)
    evaluate(X, y) -> (loss, accuracy)   eval mode (dropout off), no update
    get_params() / set_params(params)    numpy dicts in scratch's layout

`Backend` below is the NumPy one; `reference.torch.training.train.Backend` and
`reference.jax.training.train.Backend` are its twins. Because the plan (batch order, dropout
masks) depends only on (seed, epoch, step), every backend given the same plan sees the
same batches and the same masks: that is what makes lockstep replays possible.
"""

import math
import time
from typing import NamedTuple

import numpy as np

from scratch.errors import Diverged, Interrupted
from scratch.nn.losses import loss_for_task
from scratch.protocol import Learner, check_positive_int


class TrainingPlan:
    """Which rows form each minibatch, and each dropout layer's keep-mask, per step."""

    def __init__(self, n_train, batch_size, seed, dropout_p=0.0, dropout_widths=None):
        self.n_train = check_positive_int("TrainingPlan", "n_train", n_train)
        self.batch_size = check_positive_int("TrainingPlan", "batch_size", batch_size)
        self.seed = seed
        self.dropout_p = dropout_p
        self.dropout_widths = dropout_widths or {}  # layer index -> width H

    def batches(self, epoch):
        """Row indices of each minibatch of `epoch`: a fresh permutation per epoch."""
        order = np.random.default_rng([self.seed, epoch]).permutation(self.n_train)
        return [order[i : i + self.batch_size] for i in range(0, self.n_train, self.batch_size)]

    def masks(self, epoch, step, batch):
        """{layer index: bool (batch, H)}, drawn from a generator keyed by the step."""
        if not self.dropout_widths:
            return {}
        rng = np.random.default_rng([self.seed, epoch, step, 1])
        return {
            index: rng.random((batch, width)) >= self.dropout_p
            for index, width in sorted(self.dropout_widths.items())
        }


def plan_for(mlp, n_train, batch_size, seed):
    """The plan for an MLP: its dropout layers' indices and widths."""
    widths = {}
    for index in mlp.dropout_indices():
        previous = mlp.layers[index - 2]  # Linear -> activation -> Dropout
        widths[index] = previous.d_out
    return TrainingPlan(n_train, batch_size, seed, mlp.dropout, widths)


class History(NamedTuple):
    train_loss: list  # per epoch, eval mode over the whole training split
    train_accuracy: list
    val_loss: list
    val_accuracy: list
    step_loss: list  # every minibatch loss, in training mode
    step_seconds: list  # wall time of every train_step


class TrainResult(NamedTuple):
    params: dict  # the best epoch's parameters when early stopping, else the last
    history: History
    best_epoch: int  # 1-based
    epochs_run: int
    stopped_early: bool
    progress: object = None  # a Progress: where the run stands, to save and carry on from


# A loss this many times the first step's (or than 1, whichever is larger) has exploded: a
# healthy run's loss falls, and even a noisy start rarely doubles it. Finite but exploded
# losses (cross-entropy of 7e5 at lr 1e6) are as hopeless as NaN, so both stop the run.
EXPLODED = 1e3
DIVERGED_ADVICE = (
    "the run diverged: try a smaller --lr (or scaled features); "
    "`python -m scratch diagnose` with the same options says what is wrong"
)


class Progress(NamedTuple):
    """Where a run stands after `epoch` completed epochs: with the backend's parameters
    (`last_params`) and optimizer state, all that train() needs to carry on exactly as if
    it had never stopped (the plan gives the same batches and masks for later epochs)."""

    epoch: int  # epochs completed
    history: History
    best_loss: float  # the best validation loss so far (inf before the first)
    best_params: dict  # its parameters (None before the first)
    best_epoch: int
    waited: int  # epochs since the best, for early stopping
    last_params: dict  # the parameters after the last step, which the optimizer state fits


def train(
    backend,
    splits,
    plan,
    epochs,
    patience=None,
    progress=False,
    label="numpy",
    explode_factor=EXPLODED,
    resume_from=None,
):
    """Run the loop; returns a TrainResult. patience=None trains all epochs (and still
    returns the best epoch's parameters, chosen on validation loss). resume_from: a Progress
    to carry on from (epochs resume_from.epoch + 1 .. epochs), the backend already holding
    its last_params and optimizer state.

    A non-finite loss, or one above explode_factor times the first step's (None: no such
    limit, for demonstrations that blow up on purpose), raises Diverged: nothing after it
    can be better. Ctrl-C raises Interrupted, a KeyboardInterrupt carrying the best
    parameters so far, for the caller to save."""
    epochs = check_positive_int("train", "epochs", epochs)
    if resume_from is not None and resume_from.epoch >= epochs:
        raise ValueError(
            f"train expects epochs beyond the {resume_from.epoch} already run; got epochs={epochs}"
        )
    if patience is not None:
        patience = check_positive_int("train", "patience", patience)
    train_set, val_set = splits.train, splits.validation
    if len(val_set.y) == 0:
        raise ValueError("train expects a non-empty validation split (it selects the best epoch)")
    history = History([], [], [], [], [], [])
    best_loss, best_params, best_epoch, waited = math.inf, None, 0, 0
    epoch = 0
    if resume_from is not None:  # carry on: copies, so that the caller's Progress stays as it was
        r = resume_from
        history = History(*(list(values) for values in r.history))
        best_loss, best_params, best_epoch, waited = (
            r.best_loss,
            r.best_params,
            r.best_epoch,
            r.waited,
        )
        epoch = r.epoch
    steps_per_epoch = math.ceil(plan.n_train / plan.batch_size)
    bar = None
    if progress:
        try:
            from tqdm import tqdm  # optional, only for the progress bar
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(
                total=(epochs - epoch) * steps_per_epoch,
                desc=f"{label:>5}",
                unit="step",
                leave=True,
            )
    start = epoch  # 0, or the epochs a resumed run has done
    try:
        for epoch in range(start + 1, epochs + 1):
            val_loss = _epoch(
                backend, train_set, val_set, plan, epoch, history, bar, label, explode_factor
            )
            if val_loss < best_loss:
                best_loss, best_params, best_epoch, waited = (
                    val_loss,
                    backend.get_params(),
                    epoch,
                    0,
                )
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    break
    except KeyboardInterrupt:
        raise Interrupted(best_params, best_epoch, epoch) from None
    finally:
        if bar is not None:
            bar.close()
    stopped_early = epoch < epochs
    last_params = backend.get_params()
    position = Progress(epoch, history, best_loss, best_params, best_epoch, waited, last_params)
    backend.set_params(best_params)
    return TrainResult(best_params, history, best_epoch, epoch, stopped_early, position)


def _epoch(backend, train_set, val_set, plan, epoch, history, bar, label, explode_factor):
    """One epoch of updates, then the evaluation; returns the validation loss."""
    for step, rows in enumerate(plan.batches(epoch)):
        masks = plan.masks(epoch, step, len(rows))
        start = time.perf_counter()
        loss = backend.train_step(train_set.X[rows], train_set.y[rows], masks)
        history.step_seconds.append(time.perf_counter() - start)
        history.step_loss.append(float(loss))
        if not math.isfinite(history.step_loss[-1]):
            raise Diverged(
                f"{label}: the training loss became {history.step_loss[-1]} in "
                f"epoch {epoch}, step {step + 1}; {DIVERGED_ADVICE}"
            )
        if explode_factor is not None and history.step_loss[-1] > explode_factor * max(
            history.step_loss[0], 1.0
        ):
            raise Diverged(
                f"{label}: the training loss exploded to {history.step_loss[-1]:.3g} in "
                f"epoch {epoch}, step {step + 1}, more than {explode_factor:g} times the "
                f"first step's {history.step_loss[0]:.3g}; {DIVERGED_ADVICE}"
            )
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss):.4f}", epoch=epoch)
    for name, subset in (("train", train_set), ("val", val_set)):
        loss, accuracy = backend.evaluate(subset.X, subset.y)
        getattr(history, f"{name}_loss").append(float(loss))
        getattr(history, f"{name}_accuracy").append(float(accuracy))
    if not math.isfinite(history.val_loss[-1]):
        raise Diverged(
            f"{label}: the validation loss became {history.val_loss[-1]} after "
            f"epoch {epoch}; {DIVERGED_ADVICE}"
        )
    return history.val_loss[-1]


def accuracy_of(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))


class Backend(Learner):
    """The NumPy backend: scratch MLP, loss and optimizer."""

    def __init__(self, mlp, params, optimizer, task="classification"):
        self.mlp, self.optimizer, self.task = mlp, optimizer, task
        self.loss = loss_for_task(task)
        self.params = {k: v.copy() for k, v in params.items()}
        self.state = optimizer.init(self.params)

    def _targets(self, y, like):
        return y if self.task == "classification" else y.reshape(-1, 1).astype(like.dtype)

    def train_step(self, X, y, masks):
        Y, cache = self.mlp.forward(self.params, X, training=True, masks=masks)
        L, loss_cache = self.loss.forward(Y, self._targets(y, Y))
        _, grads = self.mlp.backward(cache, self.loss.backward(loss_cache), input_grad=False)
        # the backend owns its parameters and optimizer state: update them in place
        self.params, self.state = self.optimizer.update(
            grads, self.state, self.params, inplace=True
        )
        return L

    def evaluate(self, X, y):
        Y, _ = self.mlp.forward(self.params, X)
        L, _ = self.loss.forward(Y, self._targets(y, Y))
        return L, (accuracy_of(Y, y) if self.task == "classification" else math.nan)

    def get_params(self):
        return {k: v.copy() for k, v in self.params.items()}

    def set_params(self, params):
        self.params = {k: v.copy() for k, v in params.items()}
