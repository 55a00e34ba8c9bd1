#!/usr/bin/python3
"""The central anchor for the federated photo CNN: photo_cnn.py's network and DP-SGD (trainer_contract.py's train_dp_sgd, so the two
cannot drift), trained on all the data at once — the 60,000 Fashion-MNIST training images, or with --data the photos
every factory of the demo trains on, pooled — and scored on the 10,000 test images.

  central_dp_sgd.py --batch 512 --epochs 15 --noise 0.8 --clip 1 --learning-rate 4 [--activation relu] [--data D] [--json]

Prints the test accuracy, q, steps and an ε at δ = 1e-5 from the RDP of the sampled Gaussian over integer orders 2…255
(the standard conversion with its (a-1)/a term; the gateway's ledger uses Federation.Learning's RdpAccountant, which also takes
fractional orders, so its ε can be slightly lower). fedctl demo runs it beside the federation, on the same photos.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch.nn import functional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402
import photo_cnn  # noqa: E402
import trainer_contract  # noqa: E402  (all beside this file)


def epsilon(q, z, steps, delta):
    def rdp(order):  # log A_alpha of the sampled Gaussian (Mironov et al. 2019), integer alpha
        terms = [math.lgamma(order + 1) - math.lgamma(k + 1) - math.lgamma(order - k + 1)
                 + (order - k) * math.log1p(-q) + k * math.log(q) + (k * k - k) / (2 * z * z) for k in range(order + 1)]
        top = max(terms)
        return (top + math.log(sum(math.exp(term - top) for term in terms))) / (order - 1)
    return min(steps * rdp(a) + math.log((a - 1) / a) - (math.log(delta) + math.log(a)) / (a - 1) for a in range(2, 256))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=512, help="expected batch size of Poisson sampling")
    parser.add_argument("--epochs", type=float, default=15)
    parser.add_argument("--noise", type=float, default=0.8, help="noise multiplier z")
    parser.add_argument("--clip", type=float, default=1.0, help="per-example clipping norm C")
    parser.add_argument("--learning-rate", type=float, default=4.0)
    parser.add_argument("--activation", choices=["relu", "tanh"], default="tanh")
    parser.add_argument("--delta", type=float, default=1e-5)
    parser.add_argument("--data", help="train on the photos a data.json lists (the federation's, pooled) instead of the 60,000 "
                        "Fashion-MNIST training images")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence (for fedctl demo)")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    images, labels = photo_cnn.read_photos(arguments.data, 10)[:2] if arguments.data else fashion_mnist.training()
    test_images, test_labels = fashion_mnist.test()
    torch.manual_seed(0)
    network = photo_cnn.PhotoCnn(10, torch.tanh if arguments.activation == "tanh" else functional.relu)
    base = {name: value.clone() for name, value in network.state_dict().items()}
    q = arguments.batch / len(labels)
    steps = int(arguments.epochs * len(labels) / arguments.batch)
    plan = {"learningRate": arguments.learning_rate}
    dp = {"samplingRate": q, "steps": steps, "clippingNorm": arguments.clip, "noiseMultiplier": arguments.noise}
    started = time.monotonic()
    trainer_contract.train_dp_sgd(network, base, images, labels, plan, dp)
    seconds = time.monotonic() - started
    accuracy = fashion_mnist.accuracy(network, test_images, test_labels)
    spent = epsilon(q, arguments.noise, steps, arguments.delta)
    if arguments.json:
        print(json.dumps({"accuracy": accuracy, "images": len(labels), "epsilon": spent, "delta": arguments.delta, "samplingRate": q, "steps": steps,
                          "batch": arguments.batch, "epochs": arguments.epochs, "seconds": seconds}))
        return
    print(f"central DP-SGD, {arguments.activation}: {len(labels)} images, batch {arguments.batch}, {arguments.epochs:g} epochs = {steps} steps, "
          f"q = {q:.5g}, C = {arguments.clip:g}, z = {arguments.noise:g}, lr {arguments.learning_rate:g}: "
          f"test accuracy {accuracy:.2%}, epsilon {spent:.2f} at delta {arguments.delta:g}, {seconds:.0f} s training")


if __name__ == "__main__":
    main()
