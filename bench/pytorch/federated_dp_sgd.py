#!/usr/bin/python3
"""Exploratory: the demo's photo federation simulated in one process, to try recipes for the photo CNN quickly.

Three sites with a Dirichlet(0.5) label split of Fashion-MNIST (numpy seed 17, whose site sizes are within 1 % of the
demo's SiteSplit), 10 % of each held out; each round every site runs trainers/pytorch's own DP-SGD
(trainer_contract.train_dp_sgd) from the global model, and the server averages the deltas by sample count with server
momentum (FedAvgM) and a server learning rate. Prints each site's ε at δ = 1e-5 (the RDP of the sampled Gaussian over
integer orders, as central_dp_sgd.py) and the test accuracy on the 10,000 test images after every round, also of an
exponential moving average of the global models. Not the federation itself: no gateway, policy, bus or signatures.

  /usr/bin/python3 bench/pytorch/federated_dp_sgd.py --rounds 6 --batch 512 --lr 4 --z 0.8 --epochs 1 --momentum 0.5
  (--epochs may be fractional: a site then takes ceil(epochs * N / batch) steps a round; --eps-only prints ε and stops)
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "trainers", "pytorch"))
import central_dp_sgd  # noqa: E402
import fashion_mnist  # noqa: E402
import photo_cnn  # noqa: E402
import trainer_contract  # noqa: E402


def sites(labels, count=3, alpha=0.5, seed=17, holdout=0.1):
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(count)]
    for label in range(10):
        indices = np.where(labels.numpy() == label)[0]
        rng.shuffle(indices)
        cuts = (np.cumsum(rng.dirichlet([alpha] * count)) * len(indices)).astype(int)[:-1]
        for site, chunk in enumerate(np.split(indices, cuts)):
            parts[site].extend(chunk.tolist())
    return [torch.tensor(sorted(part))[: int(len(part) * (1 - holdout))] for part in parts]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--lr", type=float, default=4)
    parser.add_argument("--z", type=float, default=0.8)
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--momentum", type=float, default=0.5, help="server momentum β")
    parser.add_argument("--server-lr", type=float, default=1.0)
    parser.add_argument("--ema", type=float, default=0.5, help="decay of the moving average of global models")
    parser.add_argument("--eps-only", action="store_true")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    images, labels = fashion_mnist.training()
    test_images, test_labels = fashion_mnist.test()
    split = sites(labels)
    sizes = [len(site) for site in split]
    rates = [arguments.batch / size for size in sizes]
    steps = [math.ceil(arguments.epochs * size / arguments.batch) for size in sizes]
    epsilons = [central_dp_sgd.epsilon(q, arguments.z, t * arguments.rounds, 1e-5) for q, t in zip(rates, steps)]
    print(json.dumps(vars(arguments)), "sites", sizes, "steps a round", steps, "ε", [round(e, 2) for e in epsilons], flush=True)
    if arguments.eps_only:
        return
    torch.manual_seed(42)
    network = photo_cnn.PhotoCnn(10)
    model = {name: value.clone() for name, value in network.state_dict().items()}
    velocity = {name: torch.zeros_like(value) for name, value in model.items()}
    average = None
    started = time.monotonic()
    for round_number in range(1, arguments.rounds + 1):
        deltas = []
        for site, indices in enumerate(split):
            network.load_state_dict(model)
            dp = {"samplingRate": rates[site], "steps": steps[site], "clippingNorm": 1.0, "noiseMultiplier": arguments.z}
            trainer_contract.train_dp_sgd(network, model, images[indices], labels[indices], {"learningRate": arguments.lr}, dp)
            deltas.append({name: network.state_dict()[name] - model[name] for name in model})
        for name in model:
            delta = sum(size * each[name] for size, each in zip(sizes, deltas)) / sum(sizes)
            velocity[name] = arguments.momentum * velocity[name] + delta
            model[name] = model[name] + arguments.server_lr * velocity[name]
        average = {name: value.clone() for name, value in model.items()} if average is None else \
            {name: arguments.ema * average[name] + (1 - arguments.ema) * model[name] for name in model}
        network.load_state_dict(average)
        averaged = fashion_mnist.accuracy(network, test_images, test_labels)
        network.load_state_dict(model)
        print(f"round {round_number}: test {fashion_mnist.accuracy(network, test_images, test_labels):.2%} "
              f"(moving average {averaged:.2%}) at {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
