"""Lesson 7: why subtracting the maximum logit changes nothing but the overflow.

    softmax(z)_i = exp(z_i) / sum_j exp(z_j) = exp(z_i - c) / sum_j exp(z_j - c)  for any c
(the factor exp(-c) cancels). With c = max z, exp only sees values <= 0: no overflow.
The naive formula exp(z) / sum exp(z) is run next to scratch.nn.softmax.Softmax.
"""

import numpy as np

from scratch.nn.softmax import Softmax, log_softmax


def naive_softmax(Z):
    E = np.exp(Z)  # overflows to inf once a logit passes log(float max) ~ 709.78
    return E / E.sum(axis=-1, keepdims=True)


def measure(seed=0, shift=100.0):
    rng = np.random.default_rng(seed)
    softmax = Softmax()
    large = np.array([[1000.0, 999.0, 998.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        naive_large = naive_softmax(large)
    stable_large = softmax.forward({}, large)[0]
    # logits on a grid of 1/8: z + shift and its max are exact in float64, so the shifted
    # softmax sees exactly the same differences z - max z
    Z = rng.integers(-40, 40, (4, 5)) / 8.0
    P = softmax.forward({}, Z)[0]
    P_shift = softmax.forward({}, Z + shift)[0]
    # arbitrary real logits: z + shift rounds, so the differences may move by an ulp of shift
    R = rng.standard_normal((4, 5)) * 3
    R_P = softmax.forward({}, R)[0]
    R_shift = softmax.forward({}, R + shift)[0]
    return {
        "large": large,
        "naive_large": naive_large,
        "stable_large": stable_large,
        "log_softmax_large": log_softmax(large),
        "Z": Z,
        "P": P,
        "P_shift": P_shift,
        "shift": shift,
        "bit_identical": bool(np.array_equal(P, P_shift)),
        "real_max_diff": float(np.max(np.abs(R_P - R_shift))),
        "real_bit_identical": bool(np.array_equal(R_P, R_shift)),
        "exp_overflow_at": float(np.log(np.finfo(np.float64).max)),
    }


def answer(m):
    return "\n".join(
        [
            f"logits {m['large'][0].tolist()}:",
            f"  naive exp(z) / sum exp(z):  {m['naive_large'][0].tolist()}   (exp overflows past "
            f"z = {m['exp_overflow_at']:.2f}: inf / inf = nan)",
            f"  scratch Softmax (shifted):  {np.array2string(m['stable_large'][0], precision=6)}",
            "  log_softmax:                "
            f"{np.array2string(m['log_softmax_large'][0], precision=6)}",
            f"Z on a grid of 1/8 (4 x 5); softmax(Z + {m['shift']:g}) against softmax(Z): "
            f"bit-identical = {m['bit_identical']} "
            f"(max |difference| {float(np.max(np.abs(m['P'] - m['P_shift']))):g})",
            f"random real Z: bit-identical = {m['real_bit_identical']}, max |difference| "
            f"{m['real_max_diff']:.3g}: rounding z + {m['shift']:g} itself, before any softmax",
            "Answer: exp(z_i - c) / sum_j exp(z_j - c) = exp(-c) exp(z_i) / "
            "(exp(-c) sum_j exp(z_j)): the common factor cancels, so the probabilities are the "
            "same; choosing c = max z keeps every exponent <= 0, so nothing overflows.",
        ]
    )
