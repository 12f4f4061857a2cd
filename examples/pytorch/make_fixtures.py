#!/usr/bin/python3
"""Writes PyTorch reference outputs for the example models, to cross-check nnc against.

Run from anywhere with Debian's PyTorch (python3-torch, 1.13 CPU):

    /usr/bin/python3 examples/pytorch/make_fixtures.py

The outputs are committed, so the Java tests need no Python; rerun only when a model changes.
For each model <model> = examples/<model>.nn (mlp, lenet, resnet_block, rnn, lstm, transformer,
autoencoder) it writes into examples/src/test/resources/fixtures/<model>/:

    weights.safetensors        the state dict; names follow nnc's rule (fc1.weight, conv1.bias,
                               residual1.bn1.running_mean, encoder1.attention1.in_proj_weight, ...);
                               BatchNorm's num_batches_tracked is left out (nnc does not store it)
    x_b1.npy, x_b7.npy         float32 inputs for batch sizes 1 and 7
    logits_b1.npy, ...         classifiers: float32 logits (the last dense layer's output)
    probs_b1.npy, ...          classifiers: float32 softmax(logits) over the class axis
    recon_b1.npy, ...          autoencoder: float32 reconstructions

Everything is seeded (torch.manual_seed(0) per model), so reruns give the same bytes. Weights are
He-normal with uniform biases, and normalization, recurrent and attention parameters are drawn away from
their identity-like defaults (see spread_weights), so the outputs vary clearly with the input.
MLP and sequence inputs come from torch.randn, image inputs (pixels) from torch.rand.
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


class Residual(nn.Module):
    """examples/resnet_block.nn's block Residual: two batch-normalized 3x3 convolutions and a skip."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        r = F.relu(self.bn1(self.conv1(x)))
        r = self.bn2(self.conv2(r))
        return F.relu(x + r)


class ResNet(nn.Module):
    """examples/resnet_block.nn: strided stem, one residual block, max pooling, dense head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.residual1 = Residual(16)
        self.fc1 = nn.Linear(16 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))          # [B, 16, 14, 14]
        h = F.max_pool2d(self.residual1(h), 2)       # [B, 16, 7, 7]
        h = F.relu(self.fc1(torch.flatten(h, 1)))    # [B, 64]
        return self.fc2(h)


class SineRnn(nn.Module):
    """examples/rnn.nn: a tanh RNN's last state, then a dense layer."""

    def __init__(self):
        super().__init__()
        self.rnn1 = nn.RNN(1, 32, batch_first=True)
        self.fc1 = nn.Linear(32, 4)

    def forward(self, x):
        states, _ = self.rnn1(x)
        return self.fc1(states[:, -1])


class SineLstm(nn.Module):
    """examples/lstm.nn: an LSTM's last hidden state, then a dense layer."""

    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTM(1, 32, batch_first=True)
        self.fc1 = nn.Linear(32, 4)

    def forward(self, x):
        states, _ = self.lstm1(x)
        return self.fc1(states[:, -1])


class Encoder(nn.Module):
    """examples/transformer.nn's block Encoder: post-norm self-attention and GELU feed-forward."""

    def __init__(self, embedding, heads):
        super().__init__()
        self.attention1 = nn.MultiheadAttention(embedding, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(embedding)
        self.fc1 = nn.Linear(embedding, 2 * embedding)
        self.fc2 = nn.Linear(2 * embedding, embedding)
        self.norm2 = nn.LayerNorm(embedding)

    def forward(self, x):
        a, _ = self.attention1(x, x, x, need_weights=False)
        h = self.norm1(x + a)
        f = self.fc2(F.gelu(self.fc1(h)))
        return self.norm2(h + f)


class SineTransformer(nn.Module):
    """examples/transformer.nn: 4 patches of 8 samples, embedded, one encoder layer, dense head."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 32)
        self.encoder1 = Encoder(32, 2)
        self.fc2 = nn.Linear(4 * 32, 4)

    def forward(self, x):
        e = self.fc1(x.reshape(x.shape[0], 4, 8))    # [B, 4, 32]
        e = self.encoder1(e)
        return self.fc2(torch.flatten(e, 1))


class Autoencoder(nn.Module):
    """examples/autoencoder.nn: 784 -> 256 -> 32 -> 256 -> 784 with a sigmoid output."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 32)
        self.fc3 = nn.Linear(32, 256)
        self.fc4 = nn.Linear(256, 784)

    def forward(self, x):
        code = F.relu(self.fc2(F.relu(self.fc1(x))))
        return torch.sigmoid(self.fc4(F.relu(self.fc3(code))))


def spread_weights(model):
    """Re-draws the weights so that outputs depend visibly on the input.

    PyTorch's default init shrinks activations layer by layer, so both untrained networks give
    almost uniform probabilities with the same argmax for every input; a test could then pass
    with a model that ignores its input. He-normal weights (std sqrt(2 / fan_in)) keep the
    activations' scale through each relu, and biases uniform in [-0.5, 0.5] are clearly non-zero.
    BatchNorm and LayerNorm get scales in [0.5, 1.5] and shifts in [-0.5, 0.5] (BatchNorm also running
    means in [-0.5, 0.5] and variances in [0.5, 2], since inference normalizes by those), recurrent layers
    input weights N(0, 1) (one input feature would otherwise barely move the state) and biases in
    [-0.5, 0.5], and attention input-projection biases in [-0.5, 0.5] instead of zeros.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    nn.init.uniform_(module.bias, -0.5, 0.5)
            elif isinstance(module, (nn.BatchNorm2d, nn.LayerNorm)):
                nn.init.uniform_(module.weight, 0.5, 1.5)
                nn.init.uniform_(module.bias, -0.5, 0.5)
                if isinstance(module, nn.BatchNorm2d):
                    nn.init.uniform_(module.running_mean, -0.5, 0.5)
                    nn.init.uniform_(module.running_var, 0.5, 2.0)
            elif isinstance(module, (nn.RNN, nn.LSTM)):
                nn.init.normal_(module.weight_ih_l0, 0.0, 1.0)
                nn.init.uniform_(module.bias_ih_l0, -0.5, 0.5)
                nn.init.uniform_(module.bias_hh_l0, -0.5, 0.5)
            elif isinstance(module, nn.MultiheadAttention):
                nn.init.uniform_(module.in_proj_bias, -0.5, 0.5)
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


def make_fixture(name, model_class, sample_input, classifier=True):
    """Writes fixtures/<name>/: weights, inputs and outputs (logits and probs, or recon when not a classifier)."""
    torch.manual_seed(SEED)
    model = spread_weights(model_class()).eval()
    directory = FIXTURES / name
    directory.mkdir(parents=True, exist_ok=True)

    state = {key: tensor for key, tensor in model.state_dict().items() if not key.endswith("num_batches_tracked")}
    write_safetensors(directory / "weights.safetensors", state)
    reread = read_safetensors(directory / "weights.safetensors")
    assert list(reread) == list(state), "safetensors round trip changed the tensor names"
    for key, tensor in state.items():
        assert np.array_equal(reread[key], tensor.numpy()), f"safetensors round trip changed {key}"

    with torch.no_grad():
        for batch in BATCH_SIZES:
            x = sample_input(batch)
            save_npy(directory / f"x_b{batch}.npy", x)
            output = model(x)
            if classifier:
                save_npy(directory / f"logits_b{batch}.npy", output)
                save_npy(directory / f"probs_b{batch}.npy", torch.softmax(output, dim=1))
            else:
                save_npy(directory / f"recon_b{batch}.npy", output)
            # a model that ignored its input would give equal rows (PyTorchParityTest checks this too)
            spread = (output - output[:1]).abs().max().item()
            assert batch == 1 or spread > 0.1, f"{name}: the rows of batch {batch} are nearly equal ({spread})"
    print(f"{directory}: {', '.join(f'{k}{list(v.shape)}' for k, v in state.items())}")


def bright_blocks(batch):
    """Pixels in [0, 1]: noise of a random brightness per image plus a bright 10x10 block at a random place."""
    x = torch.rand(batch, 1, 28, 28) * torch.rand(batch, 1, 1, 1)
    for row, (top, left) in enumerate(torch.randint(0, 18, (batch, 2)).tolist()):
        x[row, 0, top:top + 10, left:left + 10] = 0.5 + 0.5 * torch.rand(10, 10)
    return x


def main():
    torch.set_num_threads(1)
    make_fixture("mlp", Mlp, lambda batch: torch.randn(batch, 784))
    make_fixture("lenet", LeNet, lambda batch: torch.rand(batch, 1, 28, 28))
    # uniform noise images all look alike after batchnorm and pooling; a random brightness per image and a
    # random bright block (an "object") make the rows differ the way real images do
    make_fixture("resnet_block", ResNet, bright_blocks)
    make_fixture("rnn", SineRnn, lambda batch: torch.randn(batch, 32, 1))
    make_fixture("lstm", SineLstm, lambda batch: torch.randn(batch, 32, 1))
    make_fixture("transformer", SineTransformer, lambda batch: torch.randn(batch, 32, 1))
    make_fixture("autoencoder", Autoencoder, lambda batch: torch.rand(batch, 784), classifier=False)


if __name__ == "__main__":
    main()
