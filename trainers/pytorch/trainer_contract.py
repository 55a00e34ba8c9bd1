"""The Federation external-trainer contract (docs/PRIVACY.md, section 6), for any network: photo_cnn.py and force_cnn.py
each give it their network, how to tell its class count from its tensors, and how to read their kind of vault entry.

Three modes, one network:

  PROGRAM --init --out init.safetensors [--classes N] [--seed 0]
      writes version 0 for `fedctl tasks create --model init.safetensors`;
  PROGRAM --base-model B --data D --plan P --output O [--privacy-report R]
      trains B on the entries listed in D with the plan P and writes the trained model to O; when the plan holds
      "dpSgd" (the gateway gives it to a trainer its policy pins), trains with DP-SGD at exactly those parameters
      and writes what it did to R;
  PROGRAM --evaluate --model M --data D --output metrics.json
      evaluates M on the held-out entries listed in D and writes accuracy and loss overall, and accuracy per class and
      per condition (an entry's "conditions", e.g. lighting=dim).

Tensor names are PyTorch's state_dict() names of the network, so a model team can make version 0 with the program and
read every published version back with `load_state_dict`.
"""
import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn import functional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (beside this file)


@dataclass(frozen=True)
class Network:
    """What a program tells the contract about its network.

    name: what the network is, for messages; build(classes): a new network; output: the name of its last layer's 2-D
    weight, whose first dimension is the class count; read(data_file, classes): the listed entries as (inputs, class
    indices, each entry's conditions), leaving out entries without one of the classes."""
    name: str
    build: Callable[[int], nn.Module]
    output: str
    read: Callable[[str, int], tuple]


def labelled_entries(data_file, classes):
    """The entries of a data.json that carry one of its classes, each with its class index; counts the others on stderr."""
    with open(data_file, encoding="utf-8") as file:
        data = json.load(file)
    names = [name.lower() for name in data.get("classes", [])]
    if len(names) != classes:
        raise SystemExit(f"{data_file} names {len(names)} classes but the model has {classes}")
    kept, skipped = [], 0
    for entry in data["entries"]:
        label = (entry.get("label") or "").lower()
        if label in names:
            kept.append((entry, names.index(label)))
        else:
            skipped += 1
    if skipped:
        print(f"skipped {skipped} entries without one of the {classes} class labels", file=sys.stderr)
    return kept


def classes_of(network, tensors):
    weight = tensors.get(network.output)
    if weight is None or weight.dim() != 2:
        raise SystemExit(f"the model has no 2-D '{network.output}'; it is not a {network.name} model")
    return weight.shape[0]


def load(network, path):
    tensors = safetensors_io.read(path)
    model = network.build(classes_of(network, tensors))
    expected = model.state_dict()
    if set(expected) != set(tensors) or any(expected[name].shape != tensors[name].shape for name in expected):
        raise SystemExit(f"{path} does not have {network.name}'s tensors: expected "
                         + ", ".join(f"{name} {list(value.shape)}" for name, value in expected.items()))
    model.load_state_dict(tensors)
    return model


def initialize(network, arguments):
    torch.manual_seed(arguments.seed)
    model = network.build(arguments.classes)
    safetensors_io.write(arguments.out, model.state_dict())
    count = sum(value.numel() for value in model.state_dict().values())
    print(f"wrote {arguments.out}: {count} parameters, {arguments.classes} classes")


def train(network, arguments):
    with open(arguments.plan, encoding="utf-8") as file:
        plan = json.load(file)
    model = load(network, arguments.base_model)
    base = {name: value.clone() for name, value in model.state_dict().items()}
    inputs, labels, _ = network.read(arguments.data, classes_of(network, base))
    if len(labels) == 0:
        raise SystemExit("no labelled entries to train on")
    dp = plan.get("dpSgd")
    if dp:
        if not arguments.privacy_report:
            raise SystemExit("the plan asks for DP-SGD but gives no --privacy-report")
        steps = train_dp_sgd(model, base, inputs, labels, plan, dp)
        with open(arguments.privacy_report, "w", encoding="utf-8") as file:
            json.dump({"mechanism": "dp-sgd", "samplingRate": dp["samplingRate"], "steps": steps,
                       "clippingNorm": dp["clippingNorm"], "noiseMultiplier": dp["noiseMultiplier"]}, file)
        print(f"DP-SGD on {len(labels)} entries: {steps} steps, q = {dp['samplingRate']:.6g}, "
              f"C = {dp['clippingNorm']:.6g}, z = {dp['noiseMultiplier']:.6g}", file=sys.stderr)
    else:
        steps = train_sgd(model, base, inputs, labels, plan)
        print(f"trained on {len(labels)} entries: {steps} steps of batch {plan['batchSize']}", file=sys.stderr)
    safetensors_io.write(arguments.output, model.state_dict())


def proximal(model, base, mu):
    """FedProx's term mu/2 ||w - w_base||^2, which keeps the local model near the round's base model."""
    return mu / 2 * sum(((parameter - base[name]) ** 2).sum() for name, parameter in model.named_parameters())


def train_sgd(model, base, inputs, labels, plan):
    generator = torch.Generator().manual_seed(int(plan["seed"]) * 1000003 + int(plan["round"]))
    optimizer = torch.optim.SGD(model.parameters(), lr=float(plan["learningRate"]))
    mu = float(plan.get("proximalMu") or 0)
    batch = max(1, int(plan["batchSize"]))
    steps = 0
    for _ in range(int(plan["epochs"])):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch):
            chosen = order[start:start + batch]
            loss = functional.cross_entropy(model(inputs[chosen]), labels[chosen])
            if mu > 0:
                loss = loss + proximal(model, base, mu)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
    return steps


def train_dp_sgd(model, base, inputs, labels, plan, dp):
    """DP-SGD (Abadi et al. 2016) with Poisson sampling: at each of `steps` steps every entry joins the batch with
    probability q; each one's gradient is clipped to L2 norm C; the sum gets N(0, (z C)^2) noise per coordinate and is
    divided by the expected batch size q N. Per-example gradients come from functorch (vmap of grad)."""
    from functorch import grad, make_functional, vmap

    q, steps, c, z = float(dp["samplingRate"]), int(dp["steps"]), float(dp["clippingNorm"]), float(dp["noiseMultiplier"])
    learning_rate, mu = float(plan["learningRate"]), float(plan.get("proximalMu") or 0)
    count = len(labels)
    functional_model, parameters = make_functional(model)
    names = [name for name, _ in model.named_parameters()]
    parameters = [parameter.detach().clone() for parameter in parameters]

    def example_loss(weights, example, label):
        return functional.cross_entropy(functional_model(weights, example.unsqueeze(0)), label.unsqueeze(0))

    per_example = vmap(grad(example_loss), in_dims=(None, 0, 0))
    # Sampling and noise must be secret and fresh: seeded from the operating system, never from the round's plan.
    generator = torch.Generator().manual_seed(int.from_bytes(os.urandom(8), "little"))
    for _ in range(steps):
        chosen = (torch.rand(count, generator=generator) < q).nonzero().squeeze(1)
        sums = [torch.zeros_like(parameter) for parameter in parameters]
        for chunk in chosen.split(256):
            gradients = per_example(parameters, inputs[chunk], labels[chunk])
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
            dict(model.named_parameters())[name].copy_(parameter)
    return steps


def evaluate(network, arguments):
    model = load(network, arguments.model)
    inputs, labels, conditions = network.read(arguments.data, classes_of(network, model.state_dict()))
    metrics = []
    if len(labels) > 0:
        model.eval()
        with torch.no_grad():
            logits = model(inputs)
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
        raise SystemExit("the model's loss is not finite on these entries")
    with open(arguments.output, "w", encoding="utf-8") as file:
        json.dump({"metrics": metrics}, file)
    print(f"evaluated on {len(labels)} entries", file=sys.stderr)


def main(network, description, default_classes):
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--init", action="store_true", help="write a new model (version 0) to --out")
    parser.add_argument("--out", help="with --init: where to write the model")
    parser.add_argument("--classes", type=int, default=default_classes, help="with --init: the number of classes")
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
        initialize(network, arguments)
    elif arguments.evaluate:
        if not (arguments.model and arguments.data and arguments.output):
            parser.error("--evaluate needs --model, --data and --output")
        evaluate(network, arguments)
    else:
        if not (arguments.base_model and arguments.data and arguments.plan and arguments.output):
            parser.error("training needs --base-model, --data, --plan and --output")
        train(network, arguments)
