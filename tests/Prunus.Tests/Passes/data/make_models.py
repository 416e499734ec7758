#!/usr/bin/env python3
"""Exports the small PyTorch models the Prunus graph-pass tests optimize, so that the pattern fusions meet the
exporter's own graphs rather than hand-built ones.

Run with Debian's python3-torch and python3-onnx: /usr/bin/python3 make_models.py
The files are committed; rerun this only to change them. Weights come from a fixed seed; batch norm statistics are
set away from their defaults so that folding them is a real test.
"""
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Block(nn.Module):
    """A transformer-style feed-forward block: Linear, GELU (erf), Linear, residual, LayerNorm, GELU (tanh)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 16)
        self.drop = nn.Dropout(0.1)
        self.norm = nn.LayerNorm(16)
        self.act = nn.GELU()
        self.out_act = nn.GELU(approximate="tanh")

    def forward(self, x):
        h = self.fc2(self.drop(self.act(self.fc1(x))))
        return self.out_act(self.norm(x + h))


class Cnn(nn.Module):
    """Conv + BN + ReLU6, depthwise conv + BN + Hardswish, pooling, Linear + BatchNorm1d + ReLU, Linear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False), nn.BatchNorm2d(8), nn.Hardswish(),
            nn.Conv2d(8, 12, 1), nn.BatchNorm2d(12),
            nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(12, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Linear(10, 4))

    def forward(self, x):
        return self.head(self.features(x))


def randomize_batch_norms(model, generator):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.weight.data = 0.5 + torch.rand(n, generator=generator)
            m.bias.data = torch.rand(n, generator=generator) - 0.5
            m.running_mean = 0.4 * (torch.rand(n, generator=generator) - 0.5)
            m.running_var = 0.5 + torch.rand(n, generator=generator)


def export(model, example, name, opset):
    model.eval()
    torch.onnx.export(model, example, os.path.join(HERE, name), opset_version=opset,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})


def main():
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(2)
    export(Block(), torch.randn(2, 5, 16), "torch_block_opset13.onnx", 13)
    cnn = Cnn()
    randomize_batch_norms(cnn, generator)
    export(cnn, torch.randn(2, 3, 12, 12), "torch_cnn_opset14.onnx", 14)


if __name__ == "__main__":
    main()
