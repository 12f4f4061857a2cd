#!/usr/bin/env python3
"""PyTorch side of the MLP training-step comparison (the nnc side is FusionBench.trainStep in bench/).

The MLP of examples/mlp.nn (784 -> 128 -> 64 -> 10, ReLU), cross-entropy on logits, Adam(lr=1e-3), batch 64,
one thread, a fixed random batch; reports the median time of one optimizer step (zero_grad, forward, loss,
backward, step) over many runs after a warm-up.

Run with Debian's PyTorch (python3-torch; install libopenblas0-pthread too, or its matmul uses reference BLAS):
    /usr/bin/python3 bench/pytorch/mlp_train_step.py [--steps 2000] [--threads 1]
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 784)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(300):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    median_us = statistics.median(times) * 1e6
    print(f"pytorch {torch.__version__} mlp train step batch {args.batch}, {args.threads} thread(s): "
          f"median {median_us:.1f} us over {args.steps} steps")


if __name__ == "__main__":
    main()
