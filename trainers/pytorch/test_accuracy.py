#!/usr/bin/python3
"""The model team's view of published versions: each photo_cnn.py model's accuracy on the 10,000 Fashion-MNIST test
images, which no factory holds.

  test_accuracy.py MODEL.safetensors ...

Prints one JSON object mapping each path given to its accuracy.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402
import photo_cnn  # noqa: E402  (both beside this file)


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    images, labels = fashion_mnist.test()
    print(json.dumps({path: fashion_mnist.accuracy(photo_cnn.load(path), images, labels) for path in sys.argv[1:]}))


if __name__ == "__main__":
    main()
