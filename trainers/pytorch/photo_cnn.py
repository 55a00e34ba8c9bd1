#!/usr/bin/python3
"""A small convolutional network for 28 x 28 grey inspection photos, as a Federation external trainer.

Three modes, one network (docs/PRIVACY.md, section 6, has the contract):

  photo_cnn.py --init --out init.safetensors [--classes 10] [--seed 0]
      writes version 0 for `fedctl tasks create --model init.safetensors`;
  photo_cnn.py --base-model B --data D --plan P --output O [--privacy-report R]
      trains B on the photos listed in D with the plan P and writes the trained model to O; when the plan holds
      "dpSgd" (the gateway gives it to a trainer its policy pins), trains with DP-SGD at exactly those parameters
      and writes what it did to R;
  photo_cnn.py --evaluate --model M --data D --output metrics.json
      evaluates M on the held-out photos listed in D and writes accuracy and loss overall, and accuracy per class and
      per condition (an entry's "conditions", e.g. lighting=dim).

Tensor names are PyTorch's state_dict() names of the network below, so a model team can make version 0 with this file
and read every published version back with `load_state_dict`.
"""
import argparse
import json
import math
import os
import sys

import torch
from torch import nn
from torch.nn import functional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (beside this file)

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


def classes_of(tensors):
    weight = tensors.get("fc2.weight")
    if weight is None or weight.dim() != 2:
        raise SystemExit("the model has no 2-D 'fc2.weight'; it is not a photo_cnn.py model")
    return weight.shape[0]


def load(path):
    tensors = safetensors_io.read(path)
    network = PhotoCnn(classes_of(tensors))
    expected = network.state_dict()
    if set(expected) != set(tensors) or any(expected[name].shape != tensors[name].shape for name in expected):
        raise SystemExit(f"{path} does not have photo_cnn.py's tensors: expected "
                         + ", ".join(f"{name} {list(value.shape)}" for name, value in expected.items()))
    network.load_state_dict(tensors)
    return network


def read_photos(data_file, classes):
    """The listed photos as a [N, 1, 28, 28] tensor in [0, 1], their class indices and each one's conditions (a list of
    "key=value" strings, e.g. "lighting=dim"); entries without one of the classes are counted and left out."""
    from PIL import Image  # only the train and evaluate modes read photos

    with open(data_file, encoding="utf-8") as file:
        data = json.load(file)
    names = [name.lower() for name in data.get("classes", [])]
    if len(names) != classes:
        raise SystemExit(f"{data_file} names {len(names)} classes but the model has {classes}")
    images, labels, conditions, skipped = [], [], [], 0
    for entry in data["entries"]:
        label = (entry.get("label") or "").lower()
        if label not in names:
            skipped += 1
            continue
        with Image.open(entry["path"]) as photo:
            grey = photo.convert("L")
            if grey.size != (SIDE, SIDE):
                grey = grey.resize((SIDE, SIDE), Image.BOX)  # area averaging, as the gateway's own reader does
            pixels = torch.frombuffer(bytearray(grey.tobytes()), dtype=torch.uint8)
        images.append(pixels.to(torch.float32).div_(255).reshape(1, SIDE, SIDE))
        labels.append(names.index(label))
        conditions.append(list(entry.get("conditions") or []))
    if skipped:
        print(f"skipped {skipped} entries without one of the {classes} class labels", file=sys.stderr)
    if not images:
        return torch.zeros(0, 1, SIDE, SIDE), torch.zeros(0, dtype=torch.long), []
    return torch.stack(images), torch.tensor(labels, dtype=torch.long), conditions


def initialize(arguments):
    torch.manual_seed(arguments.seed)
    network = PhotoCnn(arguments.classes)
    safetensors_io.write(arguments.out, network.state_dict())
    count = sum(value.numel() for value in network.state_dict().values())
    print(f"wrote {arguments.out}: {count} parameters, {arguments.classes} classes")


def train(arguments):
    with open(arguments.plan, encoding="utf-8") as file:
        plan = json.load(file)
    network = load(arguments.base_model)
    base = {name: value.clone() for name, value in network.state_dict().items()}
    images, labels, _ = read_photos(arguments.data, classes_of(base))
    if len(labels) == 0:
        raise SystemExit("no labelled photos to train on")
    dp = plan.get("dpSgd")
    if dp:
        if not arguments.privacy_report:
            raise SystemExit("the plan asks for DP-SGD but gives no --privacy-report")
        steps = train_dp_sgd(network, base, images, labels, plan, dp)
        with open(arguments.privacy_report, "w", encoding="utf-8") as file:
            json.dump({"mechanism": "dp-sgd", "samplingRate": dp["samplingRate"], "steps": steps,
                       "clippingNorm": dp["clippingNorm"], "noiseMultiplier": dp["noiseMultiplier"]}, file)
        print(f"DP-SGD on {len(labels)} photos: {steps} steps, q = {dp['samplingRate']:.6g}, "
              f"C = {dp['clippingNorm']:.6g}, z = {dp['noiseMultiplier']:.6g}", file=sys.stderr)
    else:
        steps = train_sgd(network, base, images, labels, plan)
        print(f"trained on {len(labels)} photos: {steps} steps of batch {plan['batchSize']}", file=sys.stderr)
    safetensors_io.write(arguments.output, network.state_dict())


def proximal(network, base, mu):
    """FedProx's term mu/2 ||w - w_base||^2, which keeps the local model near the round's base model."""
    return mu / 2 * sum(((parameter - base[name]) ** 2).sum() for name, parameter in network.named_parameters())


def train_sgd(network, base, images, labels, plan):
    generator = torch.Generator().manual_seed(int(plan["seed"]) * 1000003 + int(plan["round"]))
    optimizer = torch.optim.SGD(network.parameters(), lr=float(plan["learningRate"]))
    mu = float(plan.get("proximalMu") or 0)
    batch = max(1, int(plan["batchSize"]))
    steps = 0
    for _ in range(int(plan["epochs"])):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch):
            chosen = order[start:start + batch]
            loss = functional.cross_entropy(network(images[chosen]), labels[chosen])
            if mu > 0:
                loss = loss + proximal(network, base, mu)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
    return steps


def train_dp_sgd(network, base, images, labels, plan, dp):
    """DP-SGD (Abadi et al. 2016) with Poisson sampling: at each of `steps` steps every photo joins the batch with
    probability q; each one's gradient is clipped to L2 norm C; the sum gets N(0, (z C)^2) noise per coordinate and is
    divided by the expected batch size q N. Per-example gradients come from functorch (vmap of grad)."""
    from functorch import grad, make_functional, vmap

    q, steps, c, z = float(dp["samplingRate"]), int(dp["steps"]), float(dp["clippingNorm"]), float(dp["noiseMultiplier"])
    learning_rate, mu = float(plan["learningRate"]), float(plan.get("proximalMu") or 0)
    count = len(labels)
    model, parameters = make_functional(network)
    names = [name for name, _ in network.named_parameters()]
    parameters = [parameter.detach().clone() for parameter in parameters]

    def example_loss(weights, image, label):
        return functional.cross_entropy(model(weights, image.unsqueeze(0)), label.unsqueeze(0))

    per_example = vmap(grad(example_loss), in_dims=(None, 0, 0))
    # Sampling and noise must be secret and fresh: seeded from the operating system, never from the round's plan.
    generator = torch.Generator().manual_seed(int.from_bytes(os.urandom(8), "little"))
    for _ in range(steps):
        chosen = (torch.rand(count, generator=generator) < q).nonzero().squeeze(1)
        sums = [torch.zeros_like(parameter) for parameter in parameters]
        for chunk in chosen.split(256):
            gradients = per_example(parameters, images[chunk], labels[chunk])
            norms = torch.sqrt(sum(gradient.flatten(1).pow(2).sum(1) for gradient in gradients))
            scale = (c / (norms + 1e-12)).clamp(max=1.0)
            for total, gradient in zip(sums, gradients):
                total += (gradient * scale.view(-1, *([1] * (gradient.dim() - 1)))).sum(0)
        for index, (parameter, total) in enumerate(zip(parameters, sums)):
            noisy = (total + torch.normal(0.0, z * c, parameter.shape, generator=generator)) / (q * count)
            if mu > 0:  # FedProx's pull towards the base model uses no data, so it costs no privacy
                noisy = noisy + mu * (parameter - base[names[index]])
            parameter -= learning_rate * noisy
    with torch.no_grad():
        for name, parameter in zip(names, parameters):
            dict(network.named_parameters())[name].copy_(parameter)
    return steps


def evaluate(arguments):
    network = load(arguments.model)
    classes = classes_of(network.state_dict())
    images, labels, conditions = read_photos(arguments.data, classes)
    metrics = []
    if len(labels) > 0:
        network.eval()
        with torch.no_grad():
            logits = network(images)
        losses = functional.cross_entropy(logits, labels, reduction="none")
        correct = (logits.argmax(1) == labels).to(torch.float64)
        metrics.append({"name": "accuracy", "slice": None, "value": correct.mean().item(), "samples": len(labels)})
        metrics.append({"name": "loss", "slice": None, "value": losses.to(torch.float64).mean().item(), "samples": len(labels)})
        for label in sorted(set(labels.tolist())):
            mask = labels == label
            metrics.append({"name": "accuracy", "slice": f"class={label}", "value": correct[mask].mean().item(), "samples": int(mask.sum())})
        for condition in sorted({condition for each in conditions for condition in each}):
            mask = torch.tensor([condition in each for each in conditions])
            metrics.append({"name": "accuracy", "slice": condition, "value": correct[mask].mean().item(), "samples": int(mask.sum())})
    if any(not math.isfinite(metric["value"]) for metric in metrics):
        raise SystemExit("the model's loss is not finite on these photos")
    with open(arguments.output, "w", encoding="utf-8") as file:
        json.dump({"metrics": metrics}, file)
    print(f"evaluated on {len(labels)} photos", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--init", action="store_true", help="write a new model (version 0) to --out")
    parser.add_argument("--out", help="with --init: where to write the model")
    parser.add_argument("--classes", type=int, default=10, help="with --init: the number of classes")
    parser.add_argument("--seed", type=int, default=0, help="with --init: the initialisation seed")
    parser.add_argument("--evaluate", action="store_true", help="evaluate --model on --data, metrics to --output")
    parser.add_argument("--model")
    parser.add_argument("--base-model")
    parser.add_argument("--data")
    parser.add_argument("--plan")
    parser.add_argument("--output")
    parser.add_argument("--privacy-report", help="with a DP-SGD plan: where to write what DP-SGD did")
    arguments = parser.parse_args()
    torch.set_num_threads(1)  # a gateway host runs other work; one core is what the trainer is given
    if arguments.init:
        if not arguments.out or arguments.classes < 2:
            parser.error("--init needs --out and at least 2 --classes")
        initialize(arguments)
    elif arguments.evaluate:
        if not (arguments.model and arguments.data and arguments.output):
            parser.error("--evaluate needs --model, --data and --output")
        evaluate(arguments)
    else:
        if not (arguments.base_model and arguments.data and arguments.plan and arguments.output):
            parser.error("training needs --base-model, --data, --plan and --output")
        train(arguments)


if __name__ == "__main__":
    main()
