#!/usr/bin/python3
"""Measures examples/autoencoder.nn against the simplest baseline: predicting the mean training image.

    /usr/bin/python3 examples/pytorch/autoencoder_baseline.py [WEIGHTS.safetensors] [--data DIR]

Reads Fashion-MNIST (default /usr/share/datasets/fashion-mnist, pixels scaled to [0, 1] as nnc train does) and
prints the mean squared error, over every pixel of the test set (and of the training set), of

    baseline        predicting the mean training image for every image, and
    autoencoder     the reconstruction by the trained weights (the file `nnc train` wrote), if given,

with their ratio; the example's goal is autoencoder ≤ baseline / 3. The forward pass is written out in numpy
(dense 784→256→32→256→784, relu, relu, relu, sigmoid, PyTorch's Linear layout y = x·Wᵀ + b); the weights are
read with make_fixtures.read_safetensors, so Debian's python3-torch must be installed as for that script.
mse is PyTorch's default mean over all elements, the same figure as nnc train's loss.
"""

import argparse
import gzip
from pathlib import Path

import numpy as np

from make_fixtures import read_safetensors


def images(folder, part):
    with gzip.open(Path(folder) / f"{part}-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return pixels.reshape(-1, 784).astype(np.float32) / 255


def reconstruct(weights, x):
    def dense(name, h):
        return h @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]

    h = np.maximum(dense("fc1", x), 0)
    code = np.maximum(dense("fc2", h), 0)
    h = np.maximum(dense("fc3", code), 0)
    return 1 / (1 + np.exp(-dense("fc4", h)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="?", help="trained autoencoder weights (.safetensors)")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    train, test = images(args.data, "train"), images(args.data, "t10k")
    mean_image = train.mean(axis=0)
    for name, x in (("test", test), ("train", train)):
        baseline = float(np.mean((x - mean_image) ** 2))
        line = f"{name}: baseline (mean training image) mse {baseline:.5f}"
        if args.weights:
            recon = reconstruct(read_safetensors(args.weights), x)
            mse = float(np.mean((recon - x) ** 2))
            line += f", autoencoder mse {mse:.5f}, ratio {mse / baseline:.3f} (goal ≤ 0.333)"
        print(line)


if __name__ == "__main__":
    main()
