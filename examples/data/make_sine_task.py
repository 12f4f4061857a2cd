#!/usr/bin/python3
"""Writes the synthetic sequence task for examples/rnn.nn, lstm.nn and transformer.nn.

Each example is a noisy sine wave x[t] = a·sin(2π·f·t/T + φ) + ε[t], t = 0..T−1, whose frequency f is one of
FREQUENCIES (cycles per window); the label is the index of f. The amplitude a is uniform in [0.5, 1.5], the
phase φ uniform in [0, 2π), and ε Gaussian with standard deviation NOISE, so neither the first value nor the
scale gives the class away: a model has to look at how fast the signal oscillates.

    /usr/bin/python3 examples/data/make_sine_task.py OUT_DIR      (needs only numpy)

writes OUT_DIR/train.npz (TRAIN_SIZE examples) and OUT_DIR/test.npz (TEST_SIZE), each with
x float32 [N, T, 1] and y int32 [N], classes balanced and shuffled. A fixed seed makes reruns byte-identical.
"""

import sys
from pathlib import Path

import numpy as np

T = 32
FREQUENCIES = (2.0, 3.5, 5.0, 7.0)
AMPLITUDE = (0.5, 1.5)
NOISE = 0.3
TRAIN_SIZE = 4000
TEST_SIZE = 1000
SEED = 20261121


def make_split(rng, size):
    """size examples, size / len(FREQUENCIES) per class, in random order."""
    labels = np.repeat(np.arange(len(FREQUENCIES), dtype=np.int32), size // len(FREQUENCIES))
    rng.shuffle(labels)
    n = len(labels)
    frequency = np.asarray(FREQUENCIES)[labels][:, None]
    amplitude = rng.uniform(*AMPLITUDE, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    t = np.arange(T)[None, :]
    x = amplitude * np.sin(2 * np.pi * frequency * t / T + phase) + rng.normal(0, NOISE, size=(n, T))
    return x.astype(np.float32)[:, :, None], labels


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_sine_task.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for name, size in (("train", TRAIN_SIZE), ("test", TEST_SIZE)):
        x, y = make_split(rng, size)
        np.savez(out / f"{name}.npz", x=x, y=y)
        print(f"{out / name}.npz: x {x.dtype}{list(x.shape)}, y {y.dtype}{list(y.shape)}, "
              f"class counts {np.bincount(y).tolist()}")


if __name__ == "__main__":
    main()
