"""Why does this network not train? A battery of checks, in causal order:

    data -> loss -> gradients -> updates

Each check reports PASS / WARN / FAIL with the measured value, the expected range and
what to try next. The order matters: a failure downstream is often a consequence of one
upstream (a tiny batch cannot be overfitted when its labels are noise), so a check
marked `symptom` is reported as WARN, "explained by the FAIL in <category>", whenever an
earlier category already failed. A FAIL therefore points at one category: the first
place where something is wrong.

    report = diagnose(model, params, optimizer, loss, splits)
    print(format_report(report))

`model` follows the protocol (forward(params, X, training=...) -> (Y, cache),
backward(cache, dY) -> (dX, grads)); an MLP does, and so does an MLP built from your own
layers. `check_component` checks a single component of yours by central differences;
`python -m reference check` also compares it with twins.
"""

import copy
import math
from typing import NamedTuple

import numpy as np

from scratch.nn.activations import ReLU, Sigmoid, Tanh
from scratch.tools.gradcheck import compare, noise_floor, numerical_gradient
from scratch.nn.linear import Linear
from scratch.nn.losses import MSE, SoftmaxCrossEntropy
from scratch.nn.mlp import MLP
from scratch.optim.optimizers import Adam
from scratch.data.splits import duplicates_across_splits

CATEGORIES = ("data", "loss", "gradients", "updates")


class Finding(NamedTuple):
    category: str
    check: str
    status: str         # PASS, WARN or FAIL
    value: str          # what was measured
    expected: str       # the healthy range
    advice: str         # what to try next (empty when PASS)
    symptom: bool = False  # may be a consequence of an earlier category's failure


def _finding(category, check, status, value, expected, advice="", symptom=False):
    return Finding(category, check, status, value, expected, advice if status != "PASS" else "",
                   symptom)


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------

def check_data(splits, task, control_epochs=8, seed=0):
    train = splits.train
    X, y = train.X, train.y
    found = []
    bad = int((~np.isfinite(X)).sum()) + (int((~np.isfinite(y)).sum()) if y.dtype.kind == "f" else 0)
    found.append(_finding("data", "NaN or inf values", "FAIL" if bad else "PASS", f"{bad} entries",
                          "0", "drop or impute those rows before training"))
    if bad:
        return found  # nothing below is meaningful on non-finite data
    std = X.std(axis=0)  # (D,)
    constant = int((std == 0).sum())
    found.append(_finding("data", "constant features", "WARN" if constant else "PASS",
                          f"{constant} of {X.shape[1]}", "0",
                          "constant features carry no information: drop them"))
    varying = std[std > 0]
    ratio = float(varying.max() / varying.min()) if varying.size else 1.0
    status = "FAIL" if ratio > 1e3 else "WARN" if ratio > 1e2 else "PASS"
    worst = int(np.argmax(std))
    found.append(_finding("data", "feature scales (largest / smallest std)", status,
                          f"{ratio:.3g} (largest: feature {worst}, std {std[worst]:.3g})",
                          "<= 100", "standardize or min-max scale the features, with "
                          "statistics from the training split"))
    if task == "classification":
        counts = np.bincount(y)
        share = counts[counts > 0].min() / counts.max()
        found.append(_finding("data", "class balance (rarest / commonest)",
                              "WARN" if share < 0.1 else "PASS", f"{share:.3g}", ">= 0.1",
                              "reweight the loss or resample; report per-class accuracy"))
    leaks = duplicates_across_splits(splits)
    found.append(_finding("data", "rows duplicated across splits", "WARN" if leaks else "PASS",
                          ", ".join(f"{a}/{b}: {n}" for a, b, n in leaks) or "none", "none",
                          "remove duplicates before splitting, or validation and test scores "
                          "measure memory"))
    if task == "classification":
        found.append(label_shuffle_control(splits, control_epochs, seed))
    return found


def label_shuffle_control(splits, epochs=8, seed=0, max_rows=800):
    """Train a fresh, known-good model (He init, Adam 1e-3) on the real labels and on
    shuffled ones. If real labels do no better, they carry no signal the features can
    explain: misaligned, shuffled or noise. Independent of the user's model and optimizer."""
    from scratch.training.train import Backend, plan_for, train

    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(splits.train.y))[:max_rows]
    train_real = splits.train._replace(X=splits.train.X[rows], y=splits.train.y[rows])
    train_shuffled = train_real._replace(y=rng.permutation(train_real.y))
    classes = int(max(splits.train.y.max(), splits.validation.y.max())) + 1
    X64 = train_real.X.astype(np.float64)
    scores = {}
    for name, subset in (("real", train_real), ("shuffled", train_shuffled)):
        mlp = MLP([X64.shape[1], 64, classes])
        backend = Backend(mlp, mlp.init(np.random.default_rng(seed)), Adam(lr=1e-3))
        local = splits._replace(train=subset._replace(X=X64),
                                validation=splits.validation._replace(
                                    X=splits.validation.X.astype(np.float64)))
        result = train(backend, local, plan_for(mlp, len(subset.y), 32, seed), epochs)
        scores[name] = max(result.history.val_accuracy)
    chance = float(np.bincount(splits.validation.y).max() / len(splits.validation.y))
    margin = scores["real"] - scores["shuffled"]
    n = len(splits.validation.y)
    needed = max(0.05, 3 * math.sqrt(chance * (1 - chance) / n))  # 3 standard errors
    status = "FAIL" if margin < needed else "PASS"
    return _finding("data", "label-shuffle control (val. accuracy, real vs shuffled labels)",
                    status, f"{scores['real']:.3f} vs {scores['shuffled']:.3f} "
                    f"(majority class {chance:.3f})", f"real better by >= {needed:.3f}",
                    "the labels carry no signal the features explain: check that X and y "
                    "rows are aligned (a sort or shuffle applied to one only?) and the labels")


# ---------------------------------------------------------------------------------------
# loss
# ---------------------------------------------------------------------------------------

def check_loss(model, params, loss, splits, task, batch=256, seed=0):
    X, y = splits.train.X[:batch], splits.train.y[:batch]
    found = []
    Y, _ = model.forward(params, X, training=False)
    if isinstance(loss, SoftmaxCrossEntropy):
        continuous = y.dtype.kind == "f" and not np.all(y == np.round(y))
        found.append(_finding("loss", "loss fits the target", "FAIL" if continuous else "PASS",
                              "cross-entropy on continuous targets" if continuous else
                              "cross-entropy on class labels", "class labels",
                              "use MSE for a regression target"))
        probabilities = bool(np.all((Y >= 0) & (Y <= 1)) and
                             np.allclose(Y.sum(axis=1), 1, atol=1e-6))
        found.append(_finding("loss", "logits, not probabilities, reach the cross-entropy",
                              "FAIL" if probabilities else "PASS",
                              "outputs are probabilities (rows in [0, 1] summing to 1)"
                              if probabilities else "unnormalised scores", "logits",
                              "remove the softmax at the end of the model: the loss applies "
                              "its own (log-)softmax, and probabilities as logits squash "
                              "every gradient"))
        if continuous:
            return found
        L0, _ = loss.forward(Y, y)
        expected = math.log(Y.shape[1])
        ratio = float(L0) / expected
        status = "FAIL" if not np.isfinite(ratio) or ratio > 5 else "WARN" if not 0.5 <= ratio <= 2 else "PASS"
        found.append(_finding("loss", "loss at initialisation / ln C", status,
                              f"{float(L0):.4g} / {expected:.4g} = {ratio:.3g}",
                              "0.5 to 2 (near-uniform predictions)",
                              "initial logits are too large: check input scaling and the "
                              "initialisation scale (He/Xavier), or zero the last bias",
                              symptom=True))
    elif isinstance(loss, MSE):
        labels = task == "classification"
        found.append(_finding("loss", "loss fits the target", "FAIL" if labels else "PASS",
                              "MSE on class indices" if labels else "MSE on a real target",
                              "a real-valued target",
                              "class indices are not quantities: use softmax cross-entropy"))
        if not labels:
            T = y.reshape(Y.shape).astype(Y.dtype)
            L0, _ = loss.forward(Y, T)
            expected = float(np.mean(T * T))  # predicting ~0 everywhere
            ratio = float(L0) / max(expected, 1e-12)
            status = "WARN" if not 0.2 <= ratio <= 5 else "PASS"
            found.append(_finding("loss", "loss at initialisation / mean(y^2)", status,
                                  f"{ratio:.3g}", "0.2 to 5", "standardize the target; check "
                                  "the output layer's scale", symptom=True))
    return found


# ---------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------

def sampled_gradient_check(model, params, loss, X, y, per_param=12, eps=1e-6, seed=0):
    """Central differences of the whole model's loss, in float64, on `per_param` random
    entries of every parameter: {name: (max relative error, worst index, kinks)}. Entries
    on a kink (one-sided differences disagree) are left out and counted in `kinks`: there
    the central difference is no reference for any one-sided derivative."""
    rng = np.random.default_rng(seed)
    p64 = {k: v.astype(np.float64) for k, v in params.items()}
    X64 = X.astype(np.float64)
    target = y if y.dtype.kind in "iu" else y.astype(np.float64)

    def objective():
        Y, _ = model.forward(p64, X64, training=False)
        return float(loss.forward(Y, _target(loss, target, Y))[0])

    Y, cache = model.forward(p64, X64, training=False)
    L, loss_cache = loss.forward(Y, _target(loss, target, Y))
    _, grads = model.backward(cache, loss.backward(loss_cache))
    tiny = noise_floor(abs(float(L)) * Y.size, eps, 1e-5)
    # one-sided differences carry rounding noise ~ machine eps * |f| / eps, and a
    # truncation error ~ eps |f''|: a kink's jump in slope is far larger than either
    one_sided_noise = 100 * np.finfo(np.float64).eps * max(abs(float(L)), 1.0) / eps
    results = {}
    for name, p in p64.items():
        picks = rng.choice(p.size, size=min(per_param, p.size), replace=False)
        entries = [np.unravel_index(j, p.shape) for j in picks]
        numeric, forward, backward = numerical_gradient(objective, p, eps, indices=entries,
                                                        one_sided=True)
        rows = tuple(np.array(axis) for axis in zip(*entries))  # fancy index of the picks
        jump = np.abs(forward[rows] - backward[rows])
        smooth = jump <= np.maximum(1e-3 * np.maximum(np.abs(forward[rows]),
                                                      np.abs(backward[rows])), one_sided_noise)
        kinks = int((~smooth).sum())
        if not smooth.any():
            results[name] = (math.nan, [], kinks)
            continue
        r = compare(name, grads[name][rows][smooth], numeric[rows][smooth], tiny)
        worst = [entries[i] for i in np.flatnonzero(smooth)][r.index[0]]
        results[name] = (r.max_rel_error, [int(i) for i in worst], kinks)
    return results


def _target(loss, y, Y):
    return y.reshape(Y.shape).astype(Y.dtype) if isinstance(loss, MSE) else y


def check_gradients(model, params, loss, splits, batch=8, seed=0):
    found = []
    X, y = splits.train.X[:batch], splits.train.y[:batch]
    errors = sampled_gradient_check(model, params, loss, X, y, seed=seed)
    checked = {k: v for k, v in errors.items() if np.isfinite(v[0])}
    kinks = sum(v[2] for v in errors.values())
    kink_note = f"; {kinks} entries on a kink left out" if kinks else ""
    if not checked:
        found.append(_finding("gradients", "finite differences (float64, sampled entries)",
                              "WARN", "inconclusive: every sampled entry sits on a kink",
                              "<= 1e-4 relative", "rerun on other examples"))
    else:
        worst = max(checked, key=lambda k: checked[k][0])
        status = "FAIL" if checked[worst][0] > 1e-4 else "PASS"
        detail = "; ".join(f"{k} {e:.1e}" for k, (e, _, _) in checked.items())
        found.append(_finding("gradients", "finite differences (float64, sampled entries)",
                              status, f"worst {worst}{checked[worst][1]}: {checked[worst][0]:.2e} "
                              f"({detail}){kink_note}", "<= 1e-4 relative",
                              f"backward disagrees with the forward pass at {worst}: re-derive "
                              f"that layer's backward (a sign, a missing term, a transposed "
                              f"matrix?)"))

    Xb, yb = splits.train.X[:256], splits.train.y[:256]
    Y, cache = model.forward(params, Xb, training=False)
    L, loss_cache = loss.forward(Y, _target(loss, yb, Y))
    _, grads = model.backward(cache, loss.backward(loss_cache))
    nan = [k for k, g in grads.items() if not np.isfinite(g).all()]
    found.append(_finding("gradients", "NaN or inf gradients", "FAIL" if nan else "PASS",
                          ", ".join(nan) or "none", "none",
                          "find the first layer producing NaN (log of 0? exp overflow?)"))
    norms = {k: float(np.linalg.norm(g)) for k, g in grads.items() if k.endswith("W")}
    zero = [k for k, n in norms.items() if n == 0]
    positive = [n for n in norms.values() if n > 0]
    spread = max(positive) / min(positive) if len(positive) > 1 else 1.0
    status = "WARN" if zero or spread > 1e3 else "PASS"
    found.append(_finding("gradients", "per-layer gradient norms (largest / smallest)", status,
                          ", ".join(f"{k} {n:.2e}" for k, n in norms.items()),
                          "within a factor 1e3 of each other, none zero",
                          "vanishing or exploding gradients: check initialisation scale, "
                          "saturating activations, normalise inputs", symptom=True))
    found += _unit_checks(model, params, cache)
    return found


def _unit_checks(model, params, cache):
    """Dead ReLUs, saturated sigmoid/tanh units, and symmetric (identical) hidden units."""
    found = []
    layers = getattr(model, "layers", [])
    dead, saturated, symmetric = [], [], []
    for index, (layer, layer_cache) in enumerate(zip(layers, cache.caches)):
        if isinstance(layer, ReLU):
            never_active = np.all(layer_cache.Y <= 0, axis=0)  # (H,) never on, whole batch
            dead.append((index, float(never_active.mean())))
        if isinstance(layer, (Sigmoid, Tanh)):
            A = layer_cache.Y
            edge = 0.98 if isinstance(layer, Tanh) else 0.99
            far = np.abs(A) > edge if isinstance(layer, Tanh) else (A < 1 - edge) | (A > edge)
            saturated.append((index, float(far.mean())))
        if isinstance(layer, Linear) and layer.d_out > 1 and index < len(layers) - 1:
            W = params[f"{index}.W"]
            if np.all(W == W[:, :1]):  # every hidden unit has the same incoming weights
                symmetric.append(index)
    if dead:
        worst = max(dead, key=lambda d: d[1])
        status = "FAIL" if worst[1] > 0.5 else "WARN" if worst[1] > 0.1 else "PASS"
        found.append(_finding("gradients", "dead ReLUs (never active on a batch)", status,
                              ", ".join(f"layer {i}: {f:.0%}" for i, f in dead), "<= 10%",
                              "a dead unit passes no gradient: check for large negative "
                              "biases, too high a learning rate, or use LeakyReLU"))
    if saturated:
        worst = max(saturated, key=lambda s: s[1])
        status = "WARN" if worst[1] > 0.2 else "PASS"
        found.append(_finding("gradients", "saturated sigmoid/tanh units", status,
                              ", ".join(f"layer {i}: {f:.0%}" for i, f in saturated), "<= 20%",
                              "saturated units have ~0 gradient: scale inputs, use Xavier "
                              "initialisation", symptom=True))
    found.append(_finding("gradients", "symmetric initialisation (identical hidden units)",
                          "FAIL" if symmetric else "PASS",
                          f"layers {symmetric}" if symmetric else "none", "none",
                          "units that start identical get identical gradients and stay "
                          "identical: initialise weights randomly (He/Xavier), not constant"))
    return found


# ---------------------------------------------------------------------------------------
# updates
# ---------------------------------------------------------------------------------------

def _probe(model, params, optimizer, loss, X, y, steps, batch, seed):
    """`steps` updates on minibatches of the training split; the loss per step and the
    update-to-weight ratio ||dW|| / ||W|| per weight matrix per step."""
    rng = np.random.default_rng(seed)
    params = {k: v.copy() for k, v in params.items()}
    state = optimizer.init(params)
    losses, ratios = [], {k: [] for k in params if k.endswith("W")}
    for _ in range(steps):
        rows = rng.choice(len(y), size=min(batch, len(y)), replace=False)
        Y, cache = model.forward(params, X[rows], training=True, rng=rng)
        L, loss_cache = loss.forward(Y, _target(loss, y[rows], Y))
        _, grads = model.backward(cache, loss.backward(loss_cache))
        new, state = optimizer.update(grads, state, params)
        for k in ratios:
            w = float(np.linalg.norm(params[k]))
            ratios[k].append(float(np.linalg.norm(new[k] - params[k])) / w if w > 0 else math.nan)
        params = new
        losses.append(float(L))
    return losses, ratios, params


def check_updates(model, params, optimizer, loss, splits, steps=30, batch=32, seed=0):
    found = []
    X, y = splits.train.X, splits.train.y
    losses, ratios, _ = _probe(model, params, optimizer, loss, X, y, steps, batch, seed)
    medians = {k: float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan
               for k, v in ratios.items()}
    finite = [m for m in medians.values() if np.isfinite(m)]
    top = max(finite) if finite else math.nan
    if not finite:
        status, value = "WARN", "undefined (weights are zero)"
    else:
        status = ("FAIL" if top > 5e-2 or top < 1e-6 else
                  "WARN" if top > 2e-2 or top < 1e-5 else "PASS")
        value = ", ".join(f"{k} {m:.1e}" for k, m in medians.items())
    if not finite:
        advice = "weights are all zero: see the gradients checks"
    elif top > 2e-2:
        advice = "each step changes the weights by a large fraction: lower the learning rate"
    else:
        advice = "the weights barely change per step: raise the learning rate"
    found.append(_finding("updates", "update-to-weight ratio ||dW|| / ||W|| (median)", status,
                          value, "1e-5 to 2e-2 (around 1e-3 is healthy)", advice, symptom=True))
    start, peak, last = losses[0], max(losses), np.mean(losses[-5:])
    # a spike above the start (even one that later collapses, e.g. into dead units) or
    # no net progress both mean the steps overshoot
    rising = not np.all(np.isfinite(losses)) or peak > 1.5 * start or last >= start
    advice = ""
    value = f"start {start:.4g}, peak {peak:.4g}, last 5 steps {last:.4g}"
    if rising:
        smaller = copy.copy(optimizer)  # the same settings, every learning rate / 10
        smaller.schedule = lambda t, schedule=optimizer.schedule: schedule(t) / 10
        retry, _, _ = _probe(model, params, smaller, loss, X, y, steps, batch, seed)
        falls = (np.all(np.isfinite(retry)) and max(retry) <= 1.5 * retry[0]
                 and np.mean(retry[-5:]) < retry[0])
        value += f"; at lr/10: start {retry[0]:.4g}, last 5 steps {np.mean(retry[-5:]):.4g}"
        advice = ("the learning rate is too large: at a tenth of it the loss falls" if falls
                  else "the loss rises even at a tenth of the learning rate: suspect the "
                       "gradients or the loss")
    found.append(_finding("updates", f"loss over the first {steps} steps",
                          "FAIL" if rising else "PASS", value,
                          "falling: never above 1.5 x the start, ending below it", advice,
                          symptom=True))
    moved = [k for k, v in ratios.items() if np.nanmax(np.abs(v), initial=0) > 1e-8]
    still = [k for k in ratios if k not in moved]
    found.append(_finding("updates", "parameters that do not move", "FAIL" if still else "PASS",
                          ", ".join(still) or "none", "none",
                          "these weights never change: a zero gradient (see above) or a "
                          "learning rate far too small", symptom=True))
    found.append(overfit_tiny_batch(model, params, optimizer, loss, splits, seed=seed))
    return found


def overfit_tiny_batch(model, params, optimizer, loss, splits, n=20, steps=300, seed=0):
    """Train on 20 examples only: a correct model, loss and optimizer drive the loss to
    near zero. Measured in eval mode (no dropout) at the end."""
    X, y = splits.train.X[:n], splits.train.y[:n]
    rng = np.random.default_rng(seed)
    p = {k: v.copy() for k, v in params.items()}
    state = optimizer.init(p)
    for _ in range(steps):
        Y, cache = model.forward(p, X, training=True, rng=rng)
        L, loss_cache = loss.forward(Y, _target(loss, y, Y))
        _, grads = model.backward(cache, loss.backward(loss_cache))
        p, state = optimizer.update(grads, state, p, inplace=True)
    Y, _ = model.forward(p, X, training=False)
    final = float(loss.forward(Y, _target(loss, y, Y))[0])
    start = float(loss.forward(model.forward(params, X, training=False)[0],
                               _target(loss, y, Y))[0])
    target = 0.05 * start if isinstance(loss, MSE) else 0.05
    status = "PASS" if final <= target else "FAIL"
    return _finding("updates", f"overfit {n} examples in {steps} steps (eval loss)", status,
                    f"{start:.4g} -> {final:.4g}", f"<= {target:.3g}",
                    "even 20 examples cannot be memorised: the model, loss or optimizer is "
                    "broken, or the learning rate is far off", symptom=True)


# ---------------------------------------------------------------------------------------
# the whole battery
# ---------------------------------------------------------------------------------------

class Report(NamedTuple):
    findings: list
    failed: list   # categories with a FAIL after the causal-order rule


def diagnose(model, params, optimizer, loss, splits, task="classification", seed=0):
    findings = (check_data(splits, task, seed=seed) + check_loss(model, params, loss, splits, task)
                + check_gradients(model, params, loss, splits, seed=seed)
                + check_updates(model, params, optimizer, loss, splits, seed=seed))
    return apply_causal_order(findings)


def apply_causal_order(findings):
    """A symptom FAIL after an earlier category's FAIL becomes a WARN that says so."""
    first_failed = None
    result = []
    for category in CATEGORIES:
        for f in (f for f in findings if f.category == category):
            if f.status == "FAIL" and f.symptom and first_failed is not None:
                f = f._replace(status="WARN", advice=f"explained by the FAIL in {first_failed} "
                               f"(fix that first); {f.advice}")
            result.append(f)
        if first_failed is None and any(f.status == "FAIL" for f in result if f.category == category):
            first_failed = category
    failed = sorted({f.category for f in result if f.status == "FAIL"}, key=CATEGORIES.index)
    return Report(result, failed)


def format_report(report):
    lines = []
    for category in CATEGORIES:
        lines.append(category.upper())
        for f in (f for f in report.findings if f.category == category):
            lines.append(f"  {f.status:<5} {f.check}")
            lines.append(f"        measured: {f.value}")
            lines.append(f"        expected: {f.expected}")
            if f.advice:
                lines.append(f"        try:      {f.advice}")
    verdict = (f"first failing category: {report.failed[0]}" if report.failed
               else "no check failed")
    lines.append(f"VERDICT: {verdict}")
    return "\n".join(lines)


def check_component(layer, params, X, seed=0):
    """Your own component, by central differences (NumPy only): one finding, PASS or FAIL.

    To check it against a torch or jax twin as well, use `python -m reference check` (or
    `reference.check.check_layer_against`): frameworks live on the reference/ side."""
    from scratch.tools.gradcheck import GradientCheckError, check_layer
    rng = np.random.default_rng(seed)
    Y, _ = layer.forward(params, X)
    dY = rng.standard_normal(Y.shape)
    try:
        results = check_layer(layer, params, X, dY)
        worst = max(results, key=lambda r: r.max_rel_error)
        return [_finding("gradients", f"{layer!r}: finite differences", "PASS",
                         f"worst {worst.name} {worst.max_rel_error:.1e}", "<= 1e-5")]
    except GradientCheckError as error:
        return [_finding("gradients", f"{layer!r}: finite differences", "FAIL", str(error),
                         "<= 1e-5", "re-derive this component's backward")]
