#!/usr/bin/env python3
"""Train, quantize and export the 64-32-10 digit classifier of circuits/digits_mlp.yao.

The model is a multilayer perceptron (64 pixels -> 32 ReLU units -> 10 classes)
trained on scikit-learn's bundled 8x8 handwritten digits (`load_digits`, which
ships inside the package: nothing is downloaded). It is then quantized to the
integer arithmetic the circuit computes, and this script's integer forward pass
is the reference the Rust tests hold the 2PC result to.

Regenerate the committed files (CI needs neither Python nor scikit-learn):

    pip install scikit-learn          # tested with scikit-learn 1.9.1, numpy 2.4.6
    python3 scripts/train_digits.py   # from the repository root

    python3 scripts/train_digits.py --sweep   # how the widths were chosen

It writes
  circuits/digits/model.json   the garbler's input file: {"w1", "b1", "w2", "b2"},
                               accepted by `garbler --input-file`;
  circuits/digits/test.json    the held-out test images (raw pixels 0..16), their
                               labels, the quantized model's predictions, and the
                               float and quantized accuracies.

The integer model (every width is the circuit's; the script checks that the
trained model fits them, and that the circuit's SHIFT is the one chosen here):
  x[i]  = min(pixel[i] >> 1, 7)                    3-bit pixels, from 0..16
  a[j]  = b1[j] + sum_i w1[j][i] * x[i]            w1: int4, b1: int12
  h[j]  = min(max(a[j], 0) >> SHIFT, 7)            ReLU, requantized to 3 bits
  z[c]  = b2[c] + sum_j w2[c][j] * h[j]            w2: int6, b2: int12
  class = the first c with the largest z[c]

The widths were chosen with --sweep: 5-fold cross-validation on the training
set (the test set plays no part) of the float model and of the integer model
at each set of widths. These are the narrowest it found that lose nothing:
96.9% cross-validated for both the float model and this one, at 68,606 ANDs,
where int8 weights, 4-bit pixels and 4-bit activations (97.5%) need 162,117
(measured with the same construction).
"""

import argparse
import collections
import itertools
import json
import pathlib
import re
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "circuits" / "digits"
CIRCUIT = ROOT / "circuits" / "digits_mlp.yao"

SEED = 0
TEST_SIZE = 0.25
HIDDEN = 32

# Signed bits of the weights and biases, unsigned bits of the pixels and of
# the hidden activations.
Widths = collections.namedtuple("Widths", "w1 b1 w2 b2 x h")
# The circuit's.
WIDTHS = Widths(w1=4, b1=12, w2=6, b2=12, x=3, h=3)
# The percentile of the training set's positive layer-1 sums that the hidden
# activation's top value (2^h - 1) should stand for: choosing SHIFT.
H_PERCENTILE = 99


def pixels(raw, widths):
    """The circuit's pixel: the data set's 0..16 with its low bits dropped
    down to `widths.x` bits (16 saturates). Returns it and the number of
    bits dropped."""
    drop = max(0, 4 - widths.x)
    return np.minimum(raw.astype(np.int64) >> drop, 2**widths.x - 1), drop


def quantize(weights, bits):
    """Symmetric per-layer quantization: the largest weight maps to the
    largest `bits`-bit signed value."""
    scale = np.abs(weights).max() / (2 ** (bits - 1) - 1)
    return np.round(weights / scale).astype(np.int64), scale


def integer_model(mlp, train_x, widths):
    """The trained float model as integers of `widths`, and its SHIFT."""
    # Layer 1 sees x = pixel / 16 as the float model did, in units of
    # 2^drop / 16: a = s1 * 2^drop / 16 * (w1 . x) + b1.
    w1, s1 = quantize(mlp.coefs_[0].T, widths.w1)
    x, drop = pixels(train_x, widths)
    a_scale = s1 * 2**drop / 16
    b1 = np.round(mlp.intercepts_[0] / a_scale).astype(np.int64)
    sums = x @ w1.T + b1
    top = np.percentile(sums[sums > 0], H_PERCENTILE)
    shift = max(0, int(np.round(np.log2(top / (2**widths.h - 1)))))
    # ReLU is positively homogeneous, so layer 2 sees h in units of
    # a_scale * 2^shift; the scale of z does not change its argmax.
    w2, s2 = quantize(mlp.coefs_[1].T, widths.w2)
    b2 = np.round(mlp.intercepts_[1] / (s2 * a_scale * 2**shift)).astype(np.int64)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2}, shift


def forward(model, shift, raw, widths):
    """The integer model, exactly as the circuit computes it."""
    x, _ = pixels(raw, widths)
    a = x @ model["w1"].T + model["b1"]
    h = np.minimum(np.maximum(a, 0) >> shift, 2**widths.h - 1)
    z = h @ model["w2"].T + model["b2"]
    return z.argmax(axis=1)  # the first maximum on ties, as the circuit


def train(x, y):
    mlp = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        alpha=1e-3,
        max_iter=2000,
        random_state=SEED,
    )
    return mlp.fit(x / 16, y)


def fits(values, bits, what):
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if values.min() < lo or values.max() > hi:
        sys.exit(f"{what} does not fit {bits} signed bits: {values.min()}..{values.max()}")


def circuit_shift():
    text = CIRCUIT.read_text()
    m = re.search(r"^const SHIFT: u32 = (\d+);", text, re.MULTILINE)
    if not m:
        sys.exit(f"{CIRCUIT} has no `const SHIFT: u32 = N;`")
    return int(m.group(1))


def sweep(train_x, train_y):
    """Cross-validated accuracy of the float model and of integer models of
    several widths, on the training set alone."""
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED).split(train_x, train_y)
    folds = [(train(train_x[t], train_y[t]), train_x[t], train_x[v], train_y[v]) for t, v in folds]
    print(f"float: {np.mean([m.score(xv / 16, yv) for m, _, xv, yv in folds]):.4f}")
    print("w1 w2 x h  cross-validated accuracy")
    for w1, w2, x, h in itertools.product([3, 4, 5, 6, 8], [4, 6, 8], [2, 3, 4], [3, 4]):
        widths = Widths(w1=w1, b1=12, w2=w2, b2=12, x=x, h=h)
        hits = []
        for mlp, xt, xv, yv in folds:
            model, shift = integer_model(mlp, xt, widths)
            hits.append((forward(model, shift, xv, widths) == yv).mean())
        print(f"{w1:2} {w2:2} {x:1} {h:1}  {np.mean(hits):.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", action="store_true", help="cross-validate widths, write nothing")
    args = parser.parse_args()
    images, labels = load_digits(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=TEST_SIZE, random_state=SEED, stratify=labels
    )
    if args.sweep:
        sweep(train_x, train_y)
        return
    mlp = train(train_x, train_y)
    float_accuracy = mlp.score(test_x / 16, test_y)
    model, shift = integer_model(mlp, train_x, WIDTHS)
    for name in ["w1", "b1", "w2", "b2"]:
        fits(model[name], getattr(WIDTHS, name), name)

    predictions = forward(model, shift, test_x, WIDTHS)
    quantized_accuracy = float((predictions == test_y).mean())
    train_quantized = float((forward(model, shift, train_x, WIDTHS) == train_y).mean())
    print(f"train {len(train_y)}, test {len(test_y)} images")
    print(f"float accuracy:     {float_accuracy:.4f} (train {mlp.score(train_x / 16, train_y):.4f})")
    print(f"quantized accuracy: {quantized_accuracy:.4f} (train {train_quantized:.4f})")
    print(f"SHIFT = {shift}")
    if circuit_shift() != shift:
        sys.exit(f"set `const SHIFT: u32 = {shift};` in {CIRCUIT}")

    OUT.mkdir(parents=True, exist_ok=True)
    rows = lambda m: [[int(v) for v in row] for row in m]
    flat = lambda v: [int(e) for e in v]
    with open(OUT / "model.json", "w") as f:
        json.dump(
            {k: (rows(v) if v.ndim == 2 else flat(v)) for k, v in model.items()},
            f,
            separators=(",", ":"),
        )
        f.write("\n")
    with open(OUT / "test.json", "w") as f:
        json.dump(
            {
                "float_accuracy": round(float(float_accuracy), 6),
                "quantized_accuracy": round(quantized_accuracy, 6),
                "images": rows(test_x),
                "labels": flat(test_y),
                "predictions": flat(predictions),
            },
            f,
            separators=(",", ":"),
        )
        f.write("\n")


if __name__ == "__main__":
    main()
