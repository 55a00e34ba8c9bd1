"""Fashion-MNIST from Debian's dataset-fashion-mnist package, as tensors, and a model's accuracy on it."""
import gzip
import os
import struct

import torch

DATASET = "/usr/share/datasets/fashion-mnist"


def _idx(name):
    """An IDX file (big-endian magic whose low byte is the number of dimensions, the sizes, then unsigned bytes)."""
    with gzip.open(os.path.join(DATASET, name)) as file:
        data = file.read()
    dims = struct.unpack(">I", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def _images_and_labels(prefix):
    images = _idx(f"{prefix}-images-idx3-ubyte.gz").to(torch.float32).div_(255).unsqueeze(1)
    return images, _idx(f"{prefix}-labels-idx1-ubyte.gz").to(torch.long)


def training():
    """The 60,000 training images as [N, 1, 28, 28] in [0, 1], and their labels."""
    return _images_and_labels("train")


def test():
    """The 10,000 test images, which no factory of the demo holds, and their labels."""
    return _images_and_labels("t10k")


def accuracy(network, images, labels):
    network.eval()
    with torch.no_grad():
        return (network(images).argmax(1) == labels).to(torch.float64).mean().item()
