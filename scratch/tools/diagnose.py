"""Why does this network not train? A battery of checks, in causal order:

    data -> loss -> gradients -> updates

Each check reports PASS / WARN / FAIL with the measured value, the expected range and
what to try next. Every threshold states its rule and reasoning beside it. Where noisy
quantities are compared (the signal control), the rule is a significance test whose levels fix the
false-alarm rate and scale with the validation split's size; elsewhere the quantities
are exact statistics of the data or deterministic eval-mode losses, compared with
orders of magnitude. `python -m scratch.tools.false_alarms` measures how often healthy
runs get a WARN or FAIL (README, "False alarms").

The order matters: a failure downstream is often a consequence of one
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

from scratch.data.splits import duplicates_across_splits
from scratch.nn.activations import ReLU, Sigmoid, Tanh
from scratch.nn.linear import Linear
from scratch.nn.losses import MSE, SoftmaxCrossEntropy
from scratch.nn.mlp import MLP
from scratch.optim.optimizers import Adam
from scratch.tools.gradcheck import compare, noise_floor, numerical_gradient

CATEGORIES = ("data", "loss", "gradients", "updates")


class Finding(NamedTuple):
    category: str
    check: str
    status: str  # PASS, WARN or FAIL
    value: str  # what was measured
    expected: str  # the healthy range
    advice: str  # what to try next (empty when PASS)
    symptom: bool = False  # may be a consequence of an earlier category's failure


def _finding(category, check, status, value, expected, advice="", symptom=False):
    return Finding(
        category, check, status, value, expected, advice if status != "PASS" else "", symptom
    )


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------


def check_data(splits, task, seed=0):
    train = splits.train
    X, y = train.X, train.y
    found = []
    bad = int((~np.isfinite(X)).sum()) + (
        int((~np.isfinite(y)).sum()) if y.dtype.kind == "f" else 0
    )
    found.append(
        _finding(
            "data",
            "NaN or inf values",
            "FAIL" if bad else "PASS",
            f"{bad} entries",
            "0",
            "drop or impute those rows before training",
        )
    )
    if bad:
        return found  # nothing below is meaningful on non-finite data
    # The statistics below (stds, counts, shares) are exact properties of the training
    # split, not estimates compared with noise: their thresholds are orders of magnitude
    # at which training visibly suffers, so they have no false-alarm rate to state.
    std = X.std(axis=0)  # (D,)
    constant = int((std == 0).sum())
    found.append(
        _finding(
            "data",
            "constant features",
            "WARN" if constant else "PASS",
            f"{constant} of {X.shape[1]}",
            "0",
            "constant features carry no information: drop them",
        )
    )
    varying = std[std > 0]
    ratio = float(varying.max() / varying.min()) if varying.size else 1.0
    status = "FAIL" if ratio > 1e3 else "WARN" if ratio > 1e2 else "PASS"
    worst = int(np.argmax(std))
    found.append(
        _finding(
            "data",
            "feature scales (largest / smallest std)",
            status,
            f"{ratio:.3g} (largest: feature {worst}, std {std[worst]:.3g})",
            "<= 100",
            "standardize or min-max scale the features, with statistics from the training split",
        )
    )
    if task == "classification":
        counts = np.bincount(y)
        share = counts[counts > 0].min() / counts.max()
        found.append(
            _finding(
                "data",
                "class balance (rarest / commonest)",
                "WARN" if share < 0.1 else "PASS",
                f"{share:.3g}",
                ">= 0.1",
                "reweight the loss or resample; report per-class accuracy",
            )
        )
    else:
        found.append(check_target_scale(y))
    leaks = duplicates_across_splits(splits)
    found.append(
        _finding(
            "data",
            "rows duplicated across splits",
            "WARN" if leaks else "PASS",
            ", ".join(f"{a}/{b}: {n}" for a, b, n in leaks) or "none",
            "none",
            "remove duplicates before splitting, or validation and test scores measure memory",
        )
    )
    found.append(signal_control(splits, task, seed=seed))
    return found


def check_target_scale(y):
    """A regression target should be standardised (mean 0, std 1 on the training split).

    Rule: FAIL when its mean or std is 10x or more away from that (|mean| > 10, std > 10
    or std < 0.1), WARN at 3x. Why these: a freshly initialised network outputs values
    of order 1 around 0, so its initial MSE is about mean(y^2) = mean^2 + std^2; at 10x
    the loss starts >= 100x too large, its gradients are as large, and the first hundreds
    of steps are spent learning the target's offset and scale instead of its pattern
    (diabetes' raw target: mean ~152, std ~77, initial MSE ~3e4). Exact statistics of the
    training target, not a noisy comparison."""
    mean, std = float(np.mean(y)), float(np.std(y))
    off = max(abs(mean), std, 1 / std if std > 0 else math.inf)
    status = "FAIL" if off > 10 else "WARN" if off > 3 else "PASS"
    return _finding(
        "data",
        "regression target scale (training split)",
        status,
        f"mean {mean:.4g}, std {std:.4g}",
        "mean within +-3, std within 1/3 to 3 (standardised: 0 and 1)",
        "standardise the target with the training "
        "split's mean and std (scratch.data.splits.TargetScaler) and invert it "
        "for reporting",
    )


# The signal control's decision levels (one-sided p-values of "the real target beats
# chance"): at or below P_PASS the signal is clear; above P_FAIL it is not even weakly there.
P_PASS, P_FAIL = 1e-3, 0.05
PERMUTATIONS = 9999  # p-values resolve down to 1 / (1 + 9999) = 1e-4, below P_PASS


def _binomial_below(n, k, p):
    """P(Binomial(n, p) < k), summed exactly (n is a validation split: small)."""
    return float(sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(0, min(k, n + 1))))


def _fit_control(X, y, X_val, task, classes, seed, steps=800, batch=64):
    """A known-good model trained from scratch, independent of the user's model and
    optimizer: MLP(D, 64, 64, out) with ReLU, He init, Adam 3e-3, `steps` minibatch steps
    (800: the two spirals reach 0.8-0.9 validation accuracy; 400 gave 0.6-0.8).
    Returns its validation predictions (classes, or real values in the target's units)."""
    out = classes if task == "classification" else 1
    mlp = MLP([X.shape[1], 64, 64, out])
    rng = np.random.default_rng(seed)
    params = mlp.init(rng)
    loss = SoftmaxCrossEntropy() if task == "classification" else MSE()
    optimizer = Adam(lr=3e-3)
    state = optimizer.init(params)
    # the control standardises a regression target itself: it must not depend on whether
    # the user did (an unscaled target is reported by its own check)
    centre, scale = (0.0, 1.0) if task == "classification" else (np.mean(y), np.std(y))
    target = y if task == "classification" else ((y - centre) / scale).reshape(-1, 1)
    for _ in range(steps):
        rows = rng.choice(len(y), size=min(batch, len(y)), replace=False)
        Y, cache = mlp.forward(params, X[rows], training=True, rng=rng)
        _, loss_cache = loss.forward(Y, target[rows])
        _, grads = mlp.backward(cache, loss.backward(loss_cache))
        params, state = optimizer.update(grads, state, params, inplace=True)
    Y, _ = mlp.forward(params, X_val)
    return np.argmax(Y, axis=1) if task == "classification" else Y[:, 0] * scale + centre


def signal_control(splits, task="classification", seed=0, max_rows=800):
    """Does the target carry signal that the features explain? A fresh, known-good model
    (independent of the user's model and optimizer) is trained on the training split and
    scored on the untouched validation split; a permutation test asks whether that score
    could be chance. Misaligned rows, shuffled or noise labels give chance scores.

    Statistic: classification, the number of validation rows predicted right; regression,
    the squared error saved over predicting the training mean, sum((y - mean)^2 - (y -
    prediction)^2). Null hypothesis "no signal": validation targets are exchangeable with
    respect to the predictions, so the statistic's null distribution is its value under
    random permutations of the validation targets (9,999 of them, p = (1 + #{permuted >=
    real}) / 10,000). This null needs no assumption about the model, and the size of the
    validation split enters through it: 24 rows need a far larger margin over chance than
    270.

    Rule: PASS when p <= 1e-3, WARN when 1e-3 < p <= 0.05, FAIL when p > 0.05 — unless
    even a perfect score would have p > 0.05 (a validation split of a handful of rows):
    then a WARN, since the test cannot tell either way.
    - Targets without signal: p is uniform, so they PASS with probability 1e-3 and FAIL
      with probability 0.95.
    - Healthy targets FAIL only when the control's score lands inside the null's 95%
      band. For classification, the control's number right is ~Binomial(n, a) at its
      true accuracy a, so P(FAIL) = P(Binomial(n, a) < k_95), k_95 the fewest right
      answers with p <= 0.05; the finding prints it at the measured accuracy, and the
      README gives the rate measured over 50 seeds per shipped classification set.
    """
    rng = np.random.default_rng([seed, 1])
    rows = rng.permutation(len(splits.train.y))[:max_rows]  # a cap on the control's cost
    X, y = splits.train.X[rows].astype(np.float64), splits.train.y[rows]
    X_val, y_val = splits.validation.X.astype(np.float64), splits.validation.y
    n = len(y_val)
    permuted = np.argsort(rng.random((PERMUTATIONS, n)), axis=1)  # (B, n) permutations
    if task == "classification":
        classes = int(max(splits.train.y.max(), y_val.max())) + 1
        predicted = _fit_control(X, y, X_val, task, classes, seed)  # (n,)
        real = int(np.sum(predicted == y_val))
        null = np.sum(predicted[None, :] == y_val[permuted], axis=1)  # (B,)
        p_value = (1 + int(np.sum(null >= real))) / (1 + PERMUTATIONS)
        # the p-value of a perfect score: on a tiny split even that may not be significant
        perfect = np.sum(y_val[None, :] == y_val[permuted], axis=1)  # (B,)
        p_best = (1 + int(np.sum(perfect >= n))) / (1 + PERMUTATIONS)
        # the fewest right answers that would reach p <= P_FAIL
        ordered = np.sort(null)
        k_95 = int(ordered[int(np.ceil((1 - P_FAIL) * (1 + PERMUTATIONS))) - 1]) + 1
        false_alarm = _binomial_below(n, k_95, real / n)
        majority = float(np.bincount(y_val).max() / n)
        value = (
            f"val. accuracy {real / n:.3f} (chance: {null.mean() / n:.3f} +- "
            f"{null.std() / n:.3f} over permuted labels, majority {majority:.3f}, "
            f"n={n}); p={p_value:.2g}; P(FAIL) at this accuracy {false_alarm:.1g}"
        )
        expected = f"p <= {P_PASS:g}; FAIL if p > {P_FAIL:g}, i.e. fewer than {k_95}/{n} right"
    else:
        y_val = y_val.astype(np.float64)
        predicted = _fit_control(X, y.astype(np.float64), X_val, task, None, seed)  # (n,)
        baseline = float(np.mean(y))

        def saved(targets, prediction):  # (..., n) -> (...)
            return np.sum((targets - baseline) ** 2 - (targets - prediction) ** 2, axis=-1)

        real = float(saved(y_val, predicted))
        null = saved(y_val[permuted], predicted)  # (B,)
        p_value = (1 + int(np.sum(null >= real))) / (1 + PERMUTATIONS)
        # a perfect prediction (y_val itself): could even it be told from chance?
        p_best = (1 + int(np.sum(saved(y_val[permuted], y_val) >= saved(y_val, y_val)))) / (
            1 + PERMUTATIONS
        )
        r2 = 1 - float(np.sum((y_val - predicted) ** 2) / np.sum((y_val - y_val.mean()) ** 2))
        value = (
            f"val. R² {r2:.3f}; squared error saved over the training mean {real:.4g} "
            f"(permuted targets: {null.mean():.4g} +- {null.std():.3g}, n={n}); "
            f"p={p_value:.2g}"
        )
        expected = f"p <= {P_PASS:g}; FAIL if p > {P_FAIL:g}"
    status = "PASS" if p_value <= P_PASS else "WARN" if p_value <= P_FAIL else "FAIL"
    if status == "FAIL" and p_best > P_FAIL:  # no score could have passed: no evidence either way
        return _finding(
            "data",
            "signal control: permutation test of a known-good model (validation split)",
            "WARN",
            value + f"; even a perfect score would have p={p_best:.2g}",
            expected,
            f"the validation split ({n} rows) is "
            f"too small to tell signal from chance: give more rows",
        )
    advice = (
        "the target carries no signal the features explain: check that X and y rows "
        "are aligned (a sort or shuffle applied to one only?) and the labels"
        if status == "FAIL"
        else "weak signal: the control model beats chance only marginally on this "
        "validation split; more data, or check the target"
    )
    return _finding(
        "data",
        "signal control: permutation test of a known-good model (validation split)",
        status,
        value,
        expected,
        advice,
    )


# ---------------------------------------------------------------------------------------
# loss
# ---------------------------------------------------------------------------------------


def check_loss(model, params, loss, splits, task, batch=256, seed=0):
    X, y = splits.train.X[:batch], splits.train.y[:batch]
    found = []
    Y, _ = model.forward(params, X, training=False)
    if isinstance(loss, SoftmaxCrossEntropy):
        continuous = y.dtype.kind == "f" and not np.all(y == np.round(y))
        found.append(
            _finding(
                "loss",
                "loss fits the target",
                "FAIL" if continuous else "PASS",
                "cross-entropy on continuous targets"
                if continuous
                else "cross-entropy on class labels",
                "class labels",
                "use MSE for a regression target",
            )
        )
        probabilities = bool(
            np.all((Y >= 0) & (Y <= 1)) and np.allclose(Y.sum(axis=1), 1, atol=1e-6)
        )
        found.append(
            _finding(
                "loss",
                "logits, not probabilities, reach the cross-entropy",
                "FAIL" if probabilities else "PASS",
                "outputs are probabilities (rows in [0, 1] summing to 1)"
                if probabilities
                else "unnormalised scores",
                "logits",
                "remove the softmax at the end of the model: the loss applies "
                "its own (log-)softmax, and probabilities as logits squash "
                "every gradient",
            )
        )
        if continuous:
            return found
        L0, _ = loss.forward(Y, y)
        # near-uniform predictions give ln C; the bands are factors, not noise levels:
        # the loss of up to 256 rows at a fixed initialisation is deterministic
        expected = math.log(Y.shape[1])
        ratio = float(L0) / expected
        status = (
            "FAIL"
            if not np.isfinite(ratio) or ratio > 5
            else "WARN"
            if not 0.5 <= ratio <= 2
            else "PASS"
        )
        found.append(
            _finding(
                "loss",
                "loss at initialisation / ln C",
                status,
                f"{float(L0):.4g} / {expected:.4g} = {ratio:.3g}",
                "0.5 to 2 (near-uniform predictions)",
                "initial logits are too large: check input scaling and the "
                "initialisation scale (He/Xavier), or zero the last bias",
                symptom=True,
            )
        )
    elif isinstance(loss, MSE):
        labels = task == "classification"
        found.append(
            _finding(
                "loss",
                "loss fits the target",
                "FAIL" if labels else "PASS",
                "MSE on class indices" if labels else "MSE on a real target",
                "a real-valued target",
                "class indices are not quantities: use softmax cross-entropy",
            )
        )
        if not labels:
            T = y.reshape(Y.shape).astype(Y.dtype)
            L0, _ = loss.forward(Y, T)
            expected = float(np.mean(T * T))  # predicting ~0 everywhere
            ratio = float(L0) / max(expected, 1e-12)
            status = "WARN" if not 0.2 <= ratio <= 5 else "PASS"
            found.append(
                _finding(
                    "loss",
                    "loss at initialisation / mean(y^2)",
                    status,
                    f"{ratio:.3g}",
                    "0.2 to 5",
                    "standardize the target; check the output layer's scale",
                    symptom=True,
                )
            )
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
        numeric, forward, backward = numerical_gradient(
            objective, p, eps, indices=entries, one_sided=True
        )
        rows = tuple(np.array(axis) for axis in zip(*entries))  # fancy index of the picks
        jump = np.abs(forward[rows] - backward[rows])
        smooth = jump <= np.maximum(
            1e-3 * np.maximum(np.abs(forward[rows]), np.abs(backward[rows])), one_sided_noise
        )
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
        found.append(
            _finding(
                "gradients",
                "finite differences (float64, sampled entries)",
                "WARN",
                "inconclusive: every sampled entry sits on a kink",
                "<= 1e-4 relative",
                "rerun on other examples",
            )
        )
    else:
        worst = max(checked, key=lambda k: checked[k][0])
        # float64 central differences off kinks agree with a correct backward to ~1e-7
        # or better; wrong backward passes (a sign, a dropped factor) are off by O(1). The
        # 1e-4 line sits between the two, with no sampling noise to speak of.
        status = "FAIL" if checked[worst][0] > 1e-4 else "PASS"
        detail = "; ".join(f"{k} {e:.1e}" for k, (e, _, _) in checked.items())
        found.append(
            _finding(
                "gradients",
                "finite differences (float64, sampled entries)",
                status,
                f"worst {worst}{checked[worst][1]}: {checked[worst][0]:.2e} ({detail}){kink_note}",
                "<= 1e-4 relative",
                f"backward disagrees with the forward pass at {worst}: re-derive "
                f"that layer's backward (a sign, a missing term, a transposed "
                f"matrix?)",
            )
        )

    Xb, yb = splits.train.X[:256], splits.train.y[:256]
    Y, cache = model.forward(params, Xb, training=False)
    L, loss_cache = loss.forward(Y, _target(loss, yb, Y))
    _, grads = model.backward(cache, loss.backward(loss_cache))
    nan = [k for k, g in grads.items() if not np.isfinite(g).all()]
    found.append(
        _finding(
            "gradients",
            "NaN or inf gradients",
            "FAIL" if nan else "PASS",
            ", ".join(nan) or "none",
            "none",
            "find the first layer producing NaN (log of 0? exp overflow?)",
        )
    )
    norms = {k: float(np.linalg.norm(g)) for k, g in grads.items() if k.endswith("W")}
    zero = [k for k, n in norms.items() if n == 0]
    positive = [n for n in norms.values() if n > 0]
    spread = max(positive) / min(positive) if len(positive) > 1 else 1.0
    status = "WARN" if zero or spread > 1e3 else "PASS"
    found.append(
        _finding(
            "gradients",
            "per-layer gradient norms (largest / smallest)",
            status,
            ", ".join(f"{k} {n:.2e}" for k, n in norms.items()),
            "within a factor 1e3 of each other, none zero",
            "vanishing or exploding gradients: check initialisation scale, "
            "saturating activations, normalise inputs",
            symptom=True,
        )
    )
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
        # "Never active on the batch" is measured on up to 256 rows: a unit alive on a
        # fraction q of inputs looks dead with probability (1 - q)^n, under 1% for
        # q >= 2% at n = 256. On smaller training splits (iris: 105 rows) the same unit
        # is likelier to look dead, so this stays a WARN until more than half the layer
        # is dead, which no healthy run in the false-alarm matrix reaches.
        worst = max(dead, key=lambda d: d[1])
        status = "FAIL" if worst[1] > 0.5 else "WARN" if worst[1] > 0.1 else "PASS"
        found.append(
            _finding(
                "gradients",
                "dead ReLUs (never active on a batch)",
                status,
                ", ".join(f"layer {i}: {f:.0%}" for i, f in dead),
                "<= 10%",
                "a dead unit passes no gradient: check for large negative "
                "biases, too high a learning rate, or use LeakyReLU",
            )
        )
    if saturated:
        worst = max(saturated, key=lambda s: s[1])
        status = "WARN" if worst[1] > 0.2 else "PASS"
        found.append(
            _finding(
                "gradients",
                "saturated sigmoid/tanh units",
                status,
                ", ".join(f"layer {i}: {f:.0%}" for i, f in saturated),
                "<= 20%",
                "saturated units have ~0 gradient: scale inputs, use Xavier initialisation",
                symptom=True,
            )
        )
    found.append(
        _finding(
            "gradients",
            "symmetric initialisation (identical hidden units)",
            "FAIL" if symmetric else "PASS",
            f"layers {symmetric}" if symmetric else "none",
            "none",
            "units that start identical get identical gradients and stay "
            "identical: initialise weights randomly (He/Xavier), not constant",
        )
    )
    return found


# ---------------------------------------------------------------------------------------
# updates
# ---------------------------------------------------------------------------------------


def _probe(model, params, optimizer, loss, splits, steps, batch, seed, eval_rows=256):
    """`steps` updates on minibatches of the training split. Returns the loss in eval mode
    on one fixed set of up to `eval_rows` training rows before every step and after the
    last (steps + 1 values), and the update-to-weight ratio ||dW|| / ||W|| per weight
    matrix per step. The loss is measured on fixed rows, in eval mode, because a minibatch
    loss changes with the batch drawn (and with dropout) as much as with learning: compared
    step to step it would raise false alarms on small, noisy batches."""
    X, y = splits.train.X, splits.train.y
    X_eval, y_eval = X[:eval_rows], y[:eval_rows]
    rng = np.random.default_rng(seed)
    params = {k: v.copy() for k, v in params.items()}
    state = optimizer.init(params)

    def eval_loss(p):
        Y, _ = model.forward(p, X_eval, training=False)
        return float(loss.forward(Y, _target(loss, y_eval, Y))[0])

    losses, ratios = [eval_loss(params)], {k: [] for k in params if k.endswith("W")}
    with np.errstate(all="ignore"):  # a diverging run is a finding, not a warning
        for _ in range(steps):
            rows = rng.choice(len(y), size=min(batch, len(y)), replace=False)
            Y, cache = model.forward(params, X[rows], training=True, rng=rng)
            L, loss_cache = loss.forward(Y, _target(loss, y[rows], Y))
            _, grads = model.backward(cache, loss.backward(loss_cache))
            new, state = optimizer.update(grads, state, params)
            for k in ratios:
                w = float(np.linalg.norm(params[k]))
                ratios[k].append(
                    float(np.linalg.norm(new[k] - params[k])) / w if w > 0 else math.nan
                )
            params = new
            losses.append(eval_loss(params))
    return losses, ratios, params


def _rises(losses):
    """Steps overshoot: a non-finite loss, a rise of more than 5% by the end, or a
    divergence (above 10x the start) not followed by a clear recovery (ending above 0.9x
    the start: e.g. digits at SGD 3.0, 2.5e5x the start, then a collapse into dead units
    at ln C). The losses are eval-mode losses on fixed rows, so no minibatch noise enters
    the comparison itself; the margins are for what minibatch steps do to small data sets
    in healthy runs: a plateau drifts by a few percent (xor, tanh, SGD with momentum: +1%
    in 30 steps, then it trains), and a bounce reaches up to 4x the start (spirals,
    sigmoid, RMSProp 1e-3: 4.06x, back to 0.91x by step 30). Bounces above 1.5x are a WARN
    (`_spikes`)."""
    start, end = losses[0], losses[-1]
    return (
        not np.all(np.isfinite(losses))
        or end > 1.05 * start
        or (max(losses) > 10 * start and end > 0.9 * start)
    )


def _spikes(losses):
    """A spike above 1.5x the start that is no divergence (see `_rises`)."""
    return np.all(np.isfinite(losses)) and max(losses) > 1.5 * losses[0] and not _rises(losses)


def check_updates(model, params, optimizer, loss, splits, steps=30, batch=32, seed=0):
    found = []
    losses, ratios, _ = _probe(model, params, optimizer, loss, splits, steps, batch, seed)
    medians = {
        k: float(np.nanmedian(v)) if np.isfinite(v).any() else math.nan for k, v in ratios.items()
    }
    finite = [m for m in medians.values() if np.isfinite(m)]
    top = max(finite) if finite else math.nan
    # Orders of magnitude, not a significance test: the median over 30 steps moves by a
    # few tens of percent between seeds, while the bands are decades wide (the classic
    # rule of thumb: ~1e-3 per step is healthy; 5e-2 rewrites the weights in 20 steps;
    # 1e-6 needs a million steps to change them by 100%).
    if not finite:
        status, value = "WARN", "undefined (weights are zero)"
    else:
        # too large is a WARN only: whether it harms shows in the loss, which the next
        # two checks measure (tanh + SGD 0.1 on diabetes moves its one-output layer by
        # 6e-2 per step and trains to R² 0.52)
        status = "FAIL" if top < 1e-6 else "WARN" if top > 2e-2 or top < 1e-5 else "PASS"
        value = ", ".join(f"{k} {m:.1e}" for k, m in medians.items())
    if not finite:
        advice = "weights are all zero: see the gradients checks"
    elif top > 2e-2:
        advice = "each step changes the weights by a large fraction: lower the learning rate"
    else:
        advice = "the weights barely change per step: raise the learning rate"
    found.append(
        _finding(
            "updates",
            "update-to-weight ratio ||dW|| / ||W|| (median)",
            status,
            value,
            "1e-5 to 2e-2 (around 1e-3 is healthy); FAIL below 1e-6",
            advice,
            symptom=True,
        )
    )
    start, peak, last = losses[0], max(losses), losses[-1]
    rising = _rises(losses)
    advice = ""
    value = f"start {start:.4g}, peak {peak:.4g}, after {steps} steps {last:.4g}"
    status = "PASS"
    if rising:
        smaller = copy.copy(optimizer)  # the same settings, every learning rate / 10
        smaller.schedule = lambda t, schedule=optimizer.schedule: schedule(t) / 10
        retry, _, _ = _probe(model, params, smaller, loss, splits, steps, batch, seed)
        falls = retry[-1] < retry[0] and not _rises(retry)  # really falls, not just flat
        value += f"; at lr/10: start {retry[0]:.4g}, after {steps} steps {retry[-1]:.4g}"
        # Rising at this rate but falling at a tenth: the rate is the cause. Rising at
        # both: a clear rise (NaN/inf, or ending 1.5x above the start) means gradients or
        # loss are wrong; a drift of a few percent is a plateau (sigmoid networks sit on
        # one for hundreds of steps), which the 20-example check below judges.
        big = not np.all(np.isfinite(losses)) or losses[-1] > 1.5 * start
        status = "FAIL" if falls or big else "WARN"
        advice = (
            "the learning rate is too large: at a tenth of it the loss falls"
            if falls
            else "the loss rises even at a tenth of the learning rate: suspect the "
            "gradients or the loss"
            if big
            else "no progress in the first steps at this rate or a tenth of it: a "
            "plateau (see the 20-example check); other activations or "
            "initialisations start faster"
        )
    if status == "PASS" and last >= start:
        status, advice = (
            "WARN",
            (
                "no progress in the first steps (within 5% of the start): "
                "a plateau, see the 20-example check"
            ),
        )
    spiking = _spikes(losses)
    if spiking:
        advice = (
            "the loss spiked above 1.5x its start: the learning rate is at the edge "
            "of stability; a smaller one (or warm-up) trains more smoothly"
        )
    found.append(
        _finding(
            "updates",
            f"loss over the first {steps} steps (eval mode, fixed rows)",
            "WARN" if spiking else status,
            value,
            "falling: never above 1.5 x the start, ending below it; FAIL if it "
            "rises (ends 5% above the start, or above 0.9 x the start after "
            "passing 10x it) and falls at lr/10, or ends 1.5x above the start",
            advice,
            symptom=True,
        )
    )
    moved = [k for k, v in ratios.items() if np.nanmax(np.abs(v), initial=0) > 1e-8]
    still = [k for k in ratios if k not in moved]
    found.append(
        _finding(
            "updates",
            "parameters that do not move",
            "FAIL" if still else "PASS",
            ", ".join(still) or "none",
            "none",
            "these weights never change: a zero gradient (see above) or a "
            "learning rate far too small",
            symptom=True,
        )
    )
    found.append(overfit_tiny_batch(model, params, optimizer, loss, splits, seed=seed))
    return found


def _overfit_curve(model, params, optimizer, loss, X, y, steps, seed):
    """Full-batch training on (X, y); the eval-mode loss at steps 0, 100, 200, ..."""
    rng = np.random.default_rng(seed)
    p = {k: v.copy() for k, v in params.items()}
    state = optimizer.init(p)

    def eval_loss(q):
        Y, _ = model.forward(q, X, training=False)
        return float(loss.forward(Y, _target(loss, y, Y))[0])

    curve = [eval_loss(p)]
    with np.errstate(all="ignore"):
        for step in range(1, steps + 1):
            Y, cache = model.forward(p, X, training=True, rng=rng)
            L, loss_cache = loss.forward(Y, _target(loss, y, Y))
            _, grads = model.backward(cache, loss.backward(loss_cache))
            p, state = optimizer.update(grads, state, p, inplace=True)
            if step % 100 == 0:
                curve.append(eval_loss(p))
    return curve


def overfit_tiny_batch(model, params, optimizer, loss, splits, n=20, steps=300, seed=0):
    """Train on 20 examples only: a correct model, loss and optimizer drive the loss to
    near zero. Measured in eval mode (no dropout) every 100 steps.

    Slow is not broken. The loss is full-batch and in eval mode, so it is a deterministic
    function of the run (no sampling noise to state a false-alarm rate for); the rule
    separates three outcomes by how far the loss went:
    - PASS: it reached the target (cross-entropy <= 0.05; MSE <= 5% of its start);
    - WARN, "learns, slowly": it fell by 1% or more but not to the target; the finding
      gives the rate over the last 100 steps and the steps that rate would still need.
      Sigmoid networks on XOR-like data sit on a plateau for hundreds of steps (xor,
      sigmoid, Adam 1e-3: 0.716 -> 0.687 in 300 steps) and train later: slow, not broken;
    - it fell by less than 1% in 300 full-batch steps: the run is
      repeated at 10x the learning rate. FAIL, "does not learn", when neither run lowers
      the loss by even 0.1%: nothing measurable happens, as with a learning rate of 1e-9
      or weights that never move (wrong gradients are caught earlier, by finite
      differences). Otherwise a WARN, a plateau: the two spirals with sigmoid units and
      SGD 0.1 go 0.6511 -> 0.6470 (and 0.6463 at 10x), and a sigmoid network is known to
      sit on such plateaus for thousands of steps before it trains.
    - FAIL, "unstable": it became NaN/inf, ended above twice its lowest value (of the four
      measured), or passed 10x its start on the way: steps that overshoot, which a smaller
      learning rate cures (iris at SGD lr 1.0: 0.87 -> 0.07 -> 0.07 -> 0.29; digits at
      SGD 1.0: 2.4 -> 1190 -> 2.18, every unit dead; trained for 40 epochs both end at
      chance).
    """
    X, y = splits.train.X[:n], splits.train.y[:n]
    curve = _overfit_curve(model, params, optimizer, loss, X, y, steps, seed)
    start, final = curve[0], curve[-1]
    target = 0.05 * start if isinstance(loss, MSE) else 0.05
    value = f"{start:.4g} -> " + " -> ".join(f"{c:.4g}" for c in curve[1:]) + " (every 100 steps)"
    name = f"overfit {len(y)} examples in {steps} steps (eval loss)"
    expected = (
        f"<= {target:.3g}; FAIL if it falls by < 0.1% (at this rate and 10x it) or climbs back"
    )
    if np.isfinite(final) and final <= target:
        return _finding("updates", name, "PASS", value, expected, symptom=True)
    if not np.all(np.isfinite(curve)) or final > 2 * min(curve) or max(curve) > 10 * start:
        return _finding(
            "updates",
            name,
            "FAIL",
            value + ": unstable (NaN/inf, climbed back "
            "above twice its lowest value, or above 10x its start)",
            expected,
            "the steps overshoot: lower the learning rate",
            symptom=True,
        )
    if final > 0.99 * start:
        larger = copy.copy(optimizer)  # the same settings, every learning rate x 10
        larger.schedule = lambda t, schedule=optimizer.schedule: schedule(t) * 10
        retry = _overfit_curve(model, params, larger, loss, X, y, steps, seed)
        value += f"; at lr x 10: {retry[0]:.4g} -> {retry[-1]:.4g}"
        moved = [c[-1] <= 0.999 * c[0] for c in (curve, retry) if np.isfinite(c[-1])]
        if any(moved):  # a plateau: it moves, slowly
            pace = (
                "at 10x the rate it learns"
                if retry[-1] <= 0.99 * retry[0]
                else "it moves, by less than 1% at either rate"
            )
            return _finding(
                "updates",
                name,
                "WARN",
                value + f": a plateau; {pace}",
                expected,
                "slow, not broken: a larger learning rate, ReLU-like units or "
                "another initialisation leave the plateau sooner",
                symptom=True,
            )
        return _finding(
            "updates",
            name,
            "FAIL",
            value + ": does not learn, at this rate or 10x it",
            expected,
            "even 20 examples are not learned: the model, loss or optimizer is "
            "broken, or the learning rate is far off",
            symptom=True,
        )
    rate = curve[-1] / curve[-2] if curve[-2] > 0 else math.nan  # per 100 steps, lately
    more = (
        f"~{100 * math.log(target / final) / math.log(rate):.2g} more steps at that rate"
        if 0 < rate < 1
        else "no longer falling"
    )
    pace = "stalled after a first drop" if not rate < 0.99 else "learns, slowly"
    return _finding(
        "updates",
        name,
        "WARN",
        value + f": {pace} (x{rate:.2f} per 100 steps lately; {more})",
        expected,
        "slow, not broken: try a larger learning rate (x3, x10), ReLU or "
        "LeakyReLU instead of sigmoid/tanh, He initialisation for ReLU-like "
        "units and Xavier for tanh/sigmoid",
        symptom=True,
    )


# ---------------------------------------------------------------------------------------
# the whole battery
# ---------------------------------------------------------------------------------------


class Report(NamedTuple):
    findings: list
    failed: list  # categories with a FAIL after the causal-order rule


def diagnose(
    model,
    params,
    optimizer,
    loss,
    splits,
    task="classification",
    seed=0,
    batch=32,
    data_findings=None,
):
    """The whole battery. `data_findings`: the result of check_data(splits, task, seed)
    when it is already known (it depends on neither model nor optimizer)."""
    if data_findings is None:
        data_findings = check_data(splits, task, seed=seed)
    findings = data_findings + check_loss(model, params, loss, splits, task)
    if any(f.check == "loss fits the target" and f.status == "FAIL" for f in findings):
        # the loss cannot even be evaluated on this target: nothing downstream means anything
        findings += [
            _finding(
                category,
                "not run",
                "WARN",
                "the loss does not fit the target",
                "a loss that fits the target",
                "fix the loss first (see above)",
            )
            for category in ("gradients", "updates")
        ]
        return apply_causal_order(findings)
    findings += check_gradients(model, params, loss, splits, seed=seed) + check_updates(
        model, params, optimizer, loss, splits, batch=batch, seed=seed
    )
    return apply_causal_order(findings)


def apply_causal_order(findings):
    """A symptom FAIL after an earlier category's FAIL becomes a WARN that says so."""
    first_failed = None
    result = []
    for category in CATEGORIES:
        for f in (f for f in findings if f.category == category):
            if f.status == "FAIL" and f.symptom and first_failed is not None:
                f = f._replace(
                    status="WARN",
                    advice=f"explained by the FAIL in {first_failed} (fix that first); {f.advice}",
                )
            result.append(f)
        if first_failed is None and any(
            f.status == "FAIL" for f in result if f.category == category
        ):
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
    verdict = f"first failing category: {report.failed[0]}" if report.failed else "no check failed"
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
        return [
            _finding(
                "gradients",
                f"{layer!r}: finite differences",
                "PASS",
                f"worst {worst.name} {worst.max_rel_error:.1e}",
                "<= 1e-5",
            )
        ]
    except GradientCheckError as error:
        return [
            _finding(
                "gradients",
                f"{layer!r}: finite differences",
                "FAIL",
                str(error),
                "<= 1e-5",
                "re-derive this component's backward",
            )
        ]
