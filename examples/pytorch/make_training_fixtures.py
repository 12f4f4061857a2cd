#!/usr/bin/python3
"""Writes PyTorch training references for nnc's compiled training (TrainingParityTest).

Run from anywhere with Debian's PyTorch (python3-torch, 1.13 CPU):

    /usr/bin/python3 examples/pytorch/make_training_fixtures.py

The model is examples/mlp.nn (784 -> 128 -> 64 -> 10, relu) starting from the weights in
examples/src/test/resources/fixtures/mlp/weights.safetensors. It trains on 10 fixed batches of 16
examples (x ~ randn float32, y ~ uniform in [0, 10), seed 0), one optimizer step per batch, with

    loss = mean cross-entropy(logits, y)                        (variants sgd, adam)
    loss = mean cross-entropy(logits, y) + 1e-4 * sum(p ** 2)   (variants sgd_l2, adam_l2;
                                                                 the sum runs over every weight and bias)

and optimizers SGD(lr=0.05, momentum=0.9) or Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8). For each
variant it writes into examples/src/test/resources/fixtures/training/:

    after_<variant>.safetensors   the parameters after the 10 steps (same names as weights.safetensors)
    losses_<variant>.npy          float32[10]: the loss of each step, computed before that step's update

and once, batches.npz with x: float32[10, 16, 784] and y: int32[10, 16]. The .nn sources of the
variants (<variant>.nn) sit beside them and are written by hand. Everything is seeded; reruns give
the same bytes.
"""

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "src" / "test" / "resources" / "fixtures"
OUT = FIXTURES / "training"
STEPS = 10
BATCH = 16
L2 = 1e-4

spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_fixtures)

VARIANTS = {
    "sgd": (lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9), False),
    "sgd_l2": (lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9), True),
    "adam": (lambda params: torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8), False),
    "adam_l2": (lambda params: torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8), True),
}


def initial_model():
    model = make_fixtures.Mlp()
    weights = make_fixtures.read_safetensors(FIXTURES / "mlp" / "weights.safetensors")
    state = {name: torch.from_numpy(np.array(array, dtype=np.float32)) for name, array in weights.items()}
    model.load_state_dict(state, strict=True)
    return model


def batches():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(STEPS, BATCH, 784, generator=generator, dtype=torch.float32)
    y = torch.randint(0, 10, (STEPS, BATCH), generator=generator, dtype=torch.int64)
    return x, y


def train(variant, x, y):
    make_optimizer, l2 = VARIANTS[variant]
    model = initial_model()
    optimizer = make_optimizer(model.parameters())
    losses = []
    for step in range(STEPS):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[step]), y[step])
        if l2:
            loss = loss + L2 * sum((p ** 2).sum() for p in model.parameters())
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, np.array(losses, dtype=np.float32)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    x, y = batches()
    np.savez(OUT / "batches.npz", x=x.numpy().astype(np.float32), y=y.numpy().astype(np.int32))
    for variant in VARIANTS:
        model, losses = train(variant, x, y)
        make_fixtures.write_safetensors(OUT / f"after_{variant}.safetensors", dict(model.state_dict()))
        np.save(OUT / f"losses_{variant}.npy", losses)
        print(f"{variant}: losses {losses[0]:.4f} -> {losses[-1]:.4f}")


if __name__ == "__main__":
    main()
