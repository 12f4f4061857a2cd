#!/usr/bin/python3
"""Writes PyTorch reference outputs for the example models, to cross-check nnc against.

Run from anywhere with Debian's PyTorch (python3-torch, 1.13 CPU):

    /usr/bin/python3 examples/pytorch/make_fixtures.py

The outputs are committed, so the Java tests need no Python; rerun only when a model changes.
For each model (mlp = examples/mlp.nn, lenet = examples/lenet.nn) it writes into
examples/src/test/resources/fixtures/<model>/:

    weights.safetensors        the state dict; names follow nnc's rule (fc1.weight, conv1.bias, ...)
    x_b1.npy, x_b7.npy         float32 inputs for batch sizes 1 and 7
    logits_b1.npy, ...         float32 logits (the last dense layer's output)
    probs_b1.npy, ...          float32 softmax(logits) over the class axis

Everything is seeded (torch.manual_seed(0) per model), so reruns give the same bytes. Weights are
He-normal with uniform biases (see spread_weights), so the outputs vary clearly with the input.
MLP inputs come from torch.randn, LeNet inputs (pixels) from torch.rand.
"""

import json
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FIXTURES = Path(__file__).resolve().parent.parent / "src" / "test" / "resources" / "fixtures"
BATCH_SIZES = (1, 7)
SEED = 0


class Mlp(nn.Module):
    """examples/mlp.nn: 784 -> 128 -> 64 -> 10."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


class LeNet(nn.Module):
    """examples/lenet.nn: LeNet-5 style on [B, 1, 28, 28]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)   # [B, 6, 14, 14]
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)   # [B, 16, 5, 5]
        h = torch.flatten(h, 1)                       # [B, 400]
        h = F.relu(self.fc1(h))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


def spread_weights(model):
    """Re-draws the weights so that outputs depend visibly on the input.

    PyTorch's default init shrinks activations layer by layer, so both untrained networks give
    almost uniform probabilities with the same argmax for every input; a test could then pass
    with a model that ignores its input. He-normal weights (std sqrt(2 / fan_in)) keep the
    activations' scale through each relu, and biases uniform in [-0.5, 0.5] are clearly non-zero.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.uniform_(module.bias, -0.5, 0.5)
    return model


def write_safetensors(path, tensors):
    """Writes name -> float32 tensor in the safetensors format, without the safetensors package.

    Layout: u64 little-endian header length N, N bytes of JSON header (padded with spaces to a
    multiple of 8), then the tensors' little-endian float32 data back to back; each header entry
    gives dtype "F32", shape and data_offsets [begin, end) relative to the start of the data.
    """
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(header_bytes)))
        out.write(header_bytes)
        for blob in blobs:
            out.write(blob)


def read_safetensors(path):
    """Reads a float32-only safetensors file back into name -> numpy array (to check the writer)."""
    raw = Path(path).read_bytes()
    (header_length,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + header_length])
    data = raw[8 + header_length:]
    arrays = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        arrays[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
    return arrays


def save_npy(path, tensor):
    np.save(path, tensor.detach().numpy().astype("<f4"), allow_pickle=False)


def make_fixture(name, model_class, sample_input):
    torch.manual_seed(SEED)
    model = spread_weights(model_class()).eval()
    directory = FIXTURES / name
    directory.mkdir(parents=True, exist_ok=True)

    state = model.state_dict()
    write_safetensors(directory / "weights.safetensors", state)
    reread = read_safetensors(directory / "weights.safetensors")
    assert list(reread) == list(state), "safetensors round trip changed the tensor names"
    for key, tensor in state.items():
        assert np.array_equal(reread[key], tensor.numpy()), f"safetensors round trip changed {key}"

    with torch.no_grad():
        for batch in BATCH_SIZES:
            x = sample_input(batch)
            logits = model(x)
            probs = torch.softmax(logits, dim=1)
            save_npy(directory / f"x_b{batch}.npy", x)
            save_npy(directory / f"logits_b{batch}.npy", logits)
            save_npy(directory / f"probs_b{batch}.npy", probs)
    print(f"{directory}: {', '.join(f'{k}{list(v.shape)}' for k, v in state.items())}")


def main():
    torch.set_num_threads(1)
    make_fixture("mlp", Mlp, lambda batch: torch.randn(batch, 784))
    make_fixture("lenet", LeNet, lambda batch: torch.rand(batch, 1, 28, 28))


if __name__ == "__main__":
    main()
