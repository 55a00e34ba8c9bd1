#!/usr/bin/python3
"""A small convolutional network for 28 x 28 grey inspection photos, as a Federation external trainer.

  photo_cnn.py --init --out init.safetensors [--classes 10] [--seed 0]
  photo_cnn.py --base-model B --data D --plan P --output O [--privacy-report R]
  photo_cnn.py --evaluate --model M --data D --output metrics.json

trainer_contract.py says what each mode does; this file is the network and how it reads a vault photo.
"""
import os
import sys

import torch
from torch import nn
from torch.nn import functional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trainer_contract  # noqa: E402  (beside this file)

SIDE = 28


class PhotoCnn(nn.Module):
    """conv 3x3 (8) - pool - conv 3x3 (16) - pool - dense 32 - dense classes; about 26,000 parameters for 10 classes.

    tanh, not ReLU: under DP-SGD's clipping and noise a bounded activation keeps the activations (and so the per-example
    gradients) from growing, and measured better (Papernot et al. 2021; central_dp_sgd.py, one run each at ε 3.97: 87.07 % against 86.30 %)."""

    def __init__(self, classes, activation=torch.tanh):
        super().__init__()
        self.activation = activation  # not a tensor, so not in state_dict(): the file is the same either way
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 7 * 7, 32)
        self.fc2 = nn.Linear(32, classes)

    def forward(self, images):
        x = functional.max_pool2d(self.activation(self.conv1(images)), 2)
        x = functional.max_pool2d(self.activation(self.conv2(x)), 2)
        return self.fc2(self.activation(self.fc1(x.flatten(1))))


def read_photos(data_file, classes):
    """The listed photos as a [N, 1, 28, 28] tensor in [0, 1], their class indices and each one's conditions (a list of
    "key=value" strings, e.g. "lighting=dim"); entries without one of the classes are counted and left out."""
    from PIL import Image  # only the train and evaluate modes read photos

    images, labels, conditions = [], [], []
    for entry, label in trainer_contract.labelled_entries(data_file, classes):
        with Image.open(entry["path"]) as photo:
            grey = photo.convert("L")
            if grey.size != (SIDE, SIDE):
                grey = grey.resize((SIDE, SIDE), Image.BOX)  # area averaging, as the gateway's own reader does
            pixels = torch.frombuffer(bytearray(grey.tobytes()), dtype=torch.uint8)
        images.append(pixels.to(torch.float32).div_(255).reshape(1, SIDE, SIDE))
        labels.append(label)
        conditions.append(list(entry.get("conditions") or []))
    if not images:
        return torch.zeros(0, 1, SIDE, SIDE), torch.zeros(0, dtype=torch.long), []
    return torch.stack(images), torch.tensor(labels, dtype=torch.long), conditions


NETWORK = trainer_contract.Network("photo_cnn.py", PhotoCnn, "fc2.weight", read_photos)


def load(path):
    return trainer_contract.load(NETWORK, path)


if __name__ == "__main__":
    trainer_contract.main(NETWORK, __doc__, default_classes=10)
