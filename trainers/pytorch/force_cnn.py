#!/usr/bin/python3
"""A small 1-D convolutional network for press-fit force curves (good or faulty), as a Federation external trainer.

  force_cnn.py --init --out init.safetensors [--classes 2] [--seed 0]
  force_cnn.py --base-model B --data D --plan P --output O [--privacy-report R]
  force_cnn.py --evaluate --model M --data D --output metrics.json

trainer_contract.py says what each mode does; this file is the network and how it reads a vault force curve: the CSV
the vault accepted (a "# sample_rate_hz=" line, a header with t_s and the site's force column, force_n unless data.json
names another, then samples), its force resampled
linearly at 128 equally spaced times from the first sample to the last and divided by 20 kN, as the gateway's own
press-fit features are at 64 (docs/PRESS_FIT.md), so level, shape and stroke length all show.
"""
import csv
import json
import os
import sys

import torch
from torch import nn
from torch.nn import functional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trainer_contract  # noqa: E402  (beside this file)

POINTS = 128
FULL_SCALE_NEWTONS = 20_000.0
TIME_COLUMN, FORCE_COLUMN = "t_s", "force_n"


class ForceCnn(nn.Module):
    """conv 5 (8) - pool - conv 5 (16) - pool - dense 16 - dense classes over 128 resampled forces; about 8,900
    parameters for 2 classes. tanh, as photo_cnn.py, for DP-SGD."""

    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv1d(8, 16, 5, padding=2)
        self.fc1 = nn.Linear(16 * (POINTS // 4), 16)
        self.fc2 = nn.Linear(16, classes)

    def forward(self, curves):
        x = functional.max_pool1d(torch.tanh(self.conv1(curves)), 2)
        x = functional.max_pool1d(torch.tanh(self.conv2(x)), 2)
        return self.fc2(torch.tanh(self.fc1(x.flatten(1))))


def resample(path, force_column):
    """The curve's force (in `force_column`) at POINTS equally spaced times, over full scale, as a [1, POINTS] tensor."""
    with open(path, encoding="utf-8-sig", newline="") as file:  # the vault accepts a UTF-8 byte-order mark
        rows = [row for row in csv.reader(line for line in file if not line.startswith("#")) if row]
    header = [name.strip() for name in rows[0]]
    if TIME_COLUMN not in header or force_column not in header:
        raise SystemExit(f"{path} has no {TIME_COLUMN} and {force_column} columns")
    time_index, force_index = header.index(TIME_COLUMN), header.index(force_column)
    times = torch.tensor([float(row[time_index]) for row in rows[1:]], dtype=torch.float64)
    forces = torch.tensor([float(row[force_index]) for row in rows[1:]], dtype=torch.float64)
    if len(times) < 2:
        raise SystemExit(f"{path} has fewer than two samples")
    at = torch.linspace(times[0].item(), times[-1].item(), POINTS, dtype=torch.float64)
    right = torch.searchsorted(times, at).clamp(1, len(times) - 1)
    left = right - 1
    weight = ((at - times[left]) / (times[right] - times[left])).clamp(0, 1)
    values = forces[left] * (1 - weight) + forces[right] * weight
    return (values / FULL_SCALE_NEWTONS).to(torch.float32).reshape(1, POINTS)


def read_curves(data_file, classes):
    """The listed curves as a [N, 1, 128] tensor, their class indices and each one's conditions; the force is in the
    column data.json names (the site's Gateway:Training:ForceColumn), force_n when it names none."""
    with open(data_file, encoding="utf-8") as file:
        column = json.load(file).get("forceColumn") or FORCE_COLUMN
    curves, labels, conditions = [], [], []
    for entry, label in trainer_contract.labelled_entries(data_file, classes):
        curves.append(resample(entry["path"], column))
        labels.append(label)
        conditions.append(list(entry.get("conditions") or []))
    if not curves:
        return torch.zeros(0, 1, POINTS), torch.zeros(0, dtype=torch.long), []
    return torch.stack(curves), torch.tensor(labels, dtype=torch.long), conditions


NETWORK = trainer_contract.Network("force_cnn.py", ForceCnn, "fc2.weight", read_curves)

if __name__ == "__main__":
    trainer_contract.main(NETWORK, __doc__, default_classes=2)
