#!/usr/bin/env python3
"""PyTorch fixtures for examples/gan.nn: the generator's images for given noise, on the same weights.

A GAN's artifact runs its generator and stores both networks' weights, named by model
(`generator.fc1.weight`, `discriminator.fc1.weight`, ...), so the fixture weights hold both.
Writes examples/src/test/resources/fixtures/gan/: weights.safetensors, z_b{1,7}.npy and image_b{1,7}.npy.
Run with Debian's PyTorch: /usr/bin/python3 examples/pytorch/make_gan_fixtures.py (the outputs are committed).
"""
import torch
import torch.nn.functional as F
from torch import nn

from make_fixtures import FIXTURES, read_safetensors, save_npy, spread_weights, write_safetensors

SEED = 0


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 256)
        self.fc2 = nn.Linear(256, 512)
        self.fc3 = nn.Linear(512, 784)

    def forward(self, z):
        return torch.sigmoid(self.fc3(F.relu(self.fc2(F.relu(self.fc1(z))))))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, image):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(image)))))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    generator = spread_weights(Generator()).eval()
    discriminator = spread_weights(Discriminator()).eval()
    state = {f"generator.{k}": v for k, v in generator.state_dict().items()}
    state.update({f"discriminator.{k}": v for k, v in discriminator.state_dict().items()})
    directory = FIXTURES / "gan"
    directory.mkdir(parents=True, exist_ok=True)
    write_safetensors(directory / "weights.safetensors", state)
    assert list(read_safetensors(directory / "weights.safetensors")) == list(state)
    with torch.no_grad():
        for batch in (1, 7):
            z = torch.rand(batch, 64) * 2 - 1
            image = generator(z)
            save_npy(directory / f"z_b{batch}.npy", z)
            save_npy(directory / f"image_b{batch}.npy", image)
            spread = (image - image[:1]).abs().max().item()
            assert batch == 1 or spread > 0.1, f"the generated images are nearly equal ({spread})"
    print(f"{directory}: {len(state)} tensors")


if __name__ == "__main__":
    main()
