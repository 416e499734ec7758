#!/usr/bin/python3
"""Builds the third-party ONNX models the Prunus real-model tests load: small PyTorch networks with the op mixes that
real exporters produce, exported by torch.onnx.export, plus seeded inputs for them.

Run with Debian's python3-torch and python3-onnx: /usr/bin/python3 make_models.py
The files are committed; rerun this only to change them. Every model has a dynamic batch axis named "batch" and one
float32 input named "input"; NAME.b1.npy and NAME.b3.npy are inputs of batch 1 and 3 for it, and
NAME.bB.OUTPUT.npy PyTorch's outputs for them.

Models (opset in the file name):
  mbv3_op13       MobileNetV3-like blocks: depthwise convs, squeeze-excite (AdaptiveAvgPool, 1x1 convs, Hardsigmoid,
                  Mul), Hardswish, BatchNorm after convs (folded by the exporter) and after a residual Add (kept).
                  At opset 13 Hardswish is exported as HardSigmoid and Mul.
  mbv3_op17       The same network at opset 17, with HardSwish nodes.
  mbv3_raw_op11   The same network at opset 11 exported as older scripts do: no constant folding, and every weight
                  also listed as a graph input (keep_initializers_as_inputs).
  fpn_op11        Feature pyramid: conv backbone at 3 scales, lateral 1x1 convs, top-down path through F.interpolate
                  (nearest by scale, bilinear by size with align_corners False, bilinear with align_corners True),
                  a head shared by the levels with GroupNorm (exported as Reshape + InstanceNormalization),
                  three outputs.
  fpn_dyn_op13    The same network at opset 13 with height and width dynamic as well (inputs 64x64 and 48x80).
  vit_op17        Transformer encoder from primitives: patch Conv, flatten/transpose, multi-head attention with
                  Linear/reshape/transpose/MatMul/Softmax (q, k, v by indexing and by unbind), nn.LayerNorm (one LayerNormalization node), exact and tanh
                  GELU, residuals, mean pool, classifier.
  vit_op13        The same network at opset 13, where LayerNorm is decomposed into ReduceMean/Sub/Pow/Sqrt/Div.
  shapes_op13     Constant-heavy: x.size() arithmetic, torch.arange, zeros_like, expand, repeat, masked_fill and views
                  of computed sizes, so that the file is full of Shape/Gather/Unsqueeze/Concat/ConstantOfShape/Range/
                  Where chains; also sin/cos codes, torch.gather, chunk and flip.
  shapes_op11     The same at opset 11 (Squeeze/Unsqueeze/ReduceSum axes as attributes, Pad's old form).
"""
import math
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------------------------------
# MobileNetV3-like

class SqueezeExcite(nn.Module):
    def __init__(self, c, reduced):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, c, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        s = self.pool(x)
        s = F.relu(self.fc1(s))
        return x * self.gate(self.fc2(s))


class InvertedResidual(nn.Module):
    def __init__(self, cin, expand, cout, k, stride, se, hswish):
        super().__init__()
        act = nn.Hardswish if hswish else nn.ReLU
        self.expand = nn.Sequential(nn.Conv2d(cin, expand, 1, bias=False), nn.BatchNorm2d(expand), act())
        self.depthwise = nn.Sequential(nn.Conv2d(expand, expand, k, stride, k // 2, groups=expand, bias=False),
                                       nn.BatchNorm2d(expand), act())
        self.se = SqueezeExcite(expand, max(8, expand // 4)) if se else nn.Identity()
        self.project = nn.Sequential(nn.Conv2d(expand, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.se(self.depthwise(self.expand(x))))
        return x + y if self.residual else y


class MobileNetV3Like(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 16, 3, 1, se=True, hswish=False),
            InvertedResidual(16, 48, 24, 3, 2, se=False, hswish=False),
            InvertedResidual(24, 64, 24, 3, 1, se=False, hswish=True),
            InvertedResidual(24, 72, 40, 5, 2, se=True, hswish=True),
            InvertedResidual(40, 96, 40, 5, 1, se=True, hswish=True),
        )
        # A BatchNorm after a residual Add has no conv to fold into, so it stays a BatchNormalization node.
        self.post_bn = nn.BatchNorm2d(40)
        self.head = nn.Sequential(nn.Conv2d(40, 96, 1, bias=False), nn.BatchNorm2d(96), nn.Hardswish())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(96, 64), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(64, classes))

    def forward(self, x):
        x = self.head(self.post_bn(self.blocks(self.stem(x))))
        return self.classifier(torch.flatten(self.pool(x), 1))


# ---------------------------------------------------------------------------------------------------------------------
# Feature pyramid

def conv_bn_relu(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class TinyFpn(nn.Module):
    def __init__(self, width=24, heads=4):
        super().__init__()
        self.c1 = conv_bn_relu(3, 16, 2)    # H/2
        self.c2 = conv_bn_relu(16, 32, 2)   # H/4
        self.c3 = conv_bn_relu(32, 48, 2)   # H/8
        self.l1 = nn.Conv2d(16, width, 1)
        self.l2 = nn.Conv2d(32, width, 1)
        self.l3 = nn.Conv2d(48, width, 1)
        # One head shared by the levels, as in RetinaNet/FCOS: conv + GroupNorm + ReLU, then the prediction conv.
        self.tower = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.GroupNorm(4, width), nn.ReLU())
        self.predict = nn.Conv2d(width, heads, 3, padding=1)

    def forward(self, x):
        f1 = self.c1(x)
        f2 = self.c2(f1)
        f3 = self.c3(f2)
        p3 = self.l3(f3)
        p2 = self.l2(f2) + F.interpolate(p3, scale_factor=2.0, mode="nearest")
        lat1 = self.l1(f1)
        p1 = lat1 + F.interpolate(p2, size=lat1.shape[-2:], mode="bilinear", align_corners=False)
        p1 = p1 + F.interpolate(p3, scale_factor=4.0, mode="bilinear", align_corners=True)
        return self.predict(self.tower(p1)), self.predict(self.tower(p2)), self.predict(self.tower(p3))


# ---------------------------------------------------------------------------------------------------------------------
# Transformer encoder

class Attention(nn.Module):
    def __init__(self, dim, heads, unbind):
        super().__init__()
        self.heads = heads
        self.unbind = unbind
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        # timm's unbind exports as Split and Squeeze; indexing as Gather.
        q, k, v = qkv.unbind(0) if self.unbind else (qkv[0], qkv[1], qkv[2])
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(d // self.heads))
        out = torch.matmul(scores.softmax(dim=-1), v)
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class EncoderLayer(nn.Module):
    def __init__(self, dim, heads, gelu):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, unbind=gelu == "tanh")
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)
        self.gelu = gelu

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate=self.gelu))


class TinyVit(nn.Module):
    def __init__(self, dim=32, heads=4, patch=4, image=32, classes=10):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, patch, patch)
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2, dim) * 0.1)
        self.layers = nn.ModuleList([EncoderLayer(dim, heads, "none"), EncoderLayer(dim, heads, "tanh")])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2) + self.pos   # N x T x D
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(dim=1))


# ---------------------------------------------------------------------------------------------------------------------
# Constant-heavy

class ShapeHeavy(nn.Module):
    """A sequence model [N, T, F] whose every size is read from the input at run time."""

    def __init__(self, features=16, classes=6):
        super().__init__()
        self.proj = nn.Linear(features, features)
        self.mix = nn.Linear(2 * features, features)
        self.head = nn.Linear(features, classes)

    def forward(self, x):
        n, t, f = x.size()
        # Position code from torch.arange, broadcast with expand.
        pos = torch.arange(t, dtype=torch.float32).unsqueeze(-1).expand(t, f)
        h = self.proj(x + 0.05 * pos)
        # Causal attention: the mask from two aranges, masked_fill with -inf.
        idx = torch.arange(t)
        future = idx.unsqueeze(0) > idx.unsqueeze(1)
        scores = torch.matmul(h, h.transpose(1, 2)) / math.sqrt(f)
        scores = scores.masked_fill(future.unsqueeze(0).expand(n, t, t), float("-inf"))
        h = torch.matmul(scores.softmax(-1), h)
        # A leaky gate written with zeros_like and where.
        z = torch.zeros_like(h)
        h = torch.where(h > z, h, z + 0.1 * h)
        # Views with computed sizes and a repeat: [N, T, F] -> [N, T*F/4, 4] -> [N, T*F/4, 8] -> [N, T, 2F].
        g = h.reshape(n, t * f // 4, 4).repeat(1, 1, 2).view(n, t, 2 * f)
        h = self.mix(g)
        # Pad the time axis to a multiple of 8 (size computed from T), then a mean that ignores the padding.
        pad = (8 - t % 8) % 8
        hp = F.pad(h.transpose(1, 2), (0, pad))                            # N x F x T'
        keep = (torch.arange(t + pad) < t).to(torch.float32)              # T'
        pooled = (hp * keep).sum(-1) / keep.sum()
        # A bias built from torch.zeros of run-time size and x.new_ones.
        bias = torch.zeros(n, f) + x.new_ones(n, 1) * 0.25
        # Sinusoidal code of the time steps computed in forward, read back in reverse time order with torch.gather.
        freq = torch.exp(torch.arange(0, f, 2, dtype=torch.float32) * (-math.log(100.0) / f))   # F/2
        angle = torch.arange(t, dtype=torch.float32).unsqueeze(1) * freq.unsqueeze(0)            # T x F/2
        code = torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)                           # T x F
        reverse = (t - 1 - torch.arange(t)).view(1, t, 1).expand(n, t, f)
        shuffled = torch.gather(x + code, 1, reverse)                                            # N x T x F
        first, second = shuffled.chunk(2, dim=-1)                                                # Split
        glu = torch.cat([first * torch.sigmoid(second), second.flip(1)], dim=-1).mean(1)        # N x F
        return self.head(pooled + bias + glu)


# ---------------------------------------------------------------------------------------------------------------------

def calibrate_batchnorm(model, inputs):
    """Sets BatchNorm running statistics from real forward passes, so that normalization matters in inference."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.train()
    with torch.no_grad():
        for x in inputs:
            model(x)
    model.eval()


def export(model, name, opset, sample, batches, output_names, spatial=False, raw=False):
    model.eval()
    path = os.path.join(HERE, f"{name}.onnx")
    axes = {"input": {0: "batch", 2: "height", 3: "width"} if spatial else {0: "batch"}}
    for o in output_names:
        axes[o] = {0: "batch", 2: f"{o}_height", 3: f"{o}_width"} if spatial else {0: "batch"}
    # raw: as older export scripts do, without constant folding and with the weights listed as graph inputs too.
    torch.onnx.export(model, (sample,), path, opset_version=opset, input_names=["input"], output_names=output_names,
                      dynamic_axes=axes, do_constant_folding=not raw, keep_initializers_as_inputs=raw)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = sorted({n.op_type for n in m.graph.node})
    size = os.path.getsize(path)
    assert size < 1_000_000, f"{name}: {size} bytes"
    for b, x in batches.items():
        np.save(os.path.join(HERE, f"{name}.b{b}.npy"), x.numpy().astype(np.float32))
        with torch.no_grad():
            y = model(x)
        y = y if isinstance(y, tuple) else (y,)
        # Torch's own outputs, for a check of the export that needs no other runtime.
        for o, t in zip(output_names, y):
            np.save(os.path.join(HERE, f"{name}.b{b}.{o}.npy"), t.numpy().astype(np.float32))
    print(f"{name}: opset {opset}, {len(m.graph.node)} nodes, {size} bytes, ops {' '.join(ops)}")


def images(seed, n, c, h, w):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, c, h, w, generator=g)
    # Per-image brightness and contrast, so that samples differ in their global statistics as real images do.
    b = torch.rand(n, 1, 1, 1, generator=g)
    k = torch.rand(n, 1, 1, 1, generator=g) + 0.5
    return (b + k * (x - 0.5)).clamp(0, 1)


def main():
    torch.manual_seed(0)

    mbv3 = MobileNetV3Like()
    calibrate_batchnorm(mbv3, [images(100 + i, 8, 3, 64, 64) for i in range(4)])
    export(mbv3, "mbv3_op13", 13, images(1, 1, 3, 64, 64),
           {1: images(2, 1, 3, 64, 64), 3: images(3, 3, 3, 64, 64)}, ["logits"])
    export(mbv3, "mbv3_op17", 17, images(1, 1, 3, 64, 64),
           {1: images(2, 1, 3, 64, 64), 3: images(3, 3, 3, 64, 64)}, ["logits"])

    export(mbv3, "mbv3_raw_op11", 11, images(1, 1, 3, 64, 64),
           {1: images(2, 1, 3, 64, 64), 3: images(3, 3, 3, 64, 64)}, ["logits"], raw=True)

    fpn = TinyFpn()
    calibrate_batchnorm(fpn, [images(200 + i, 8, 3, 64, 64) for i in range(4)])
    export(fpn, "fpn_op11", 11, images(4, 1, 3, 64, 64),
           {1: images(5, 1, 3, 64, 64), 3: images(6, 3, 3, 64, 64)}, ["p1", "p2", "p3"])
    # Height and width dynamic too, as detection models are exported: the sizes of the Resize nodes come from Shape.
    export(fpn, "fpn_dyn_op13", 13, images(4, 1, 3, 64, 64),
           {1: images(5, 1, 3, 64, 64), 3: images(11, 3, 3, 48, 80)}, ["p1", "p2", "p3"], spatial=True)

    vit = TinyVit()
    sample = images(7, 1, 3, 32, 32)
    batches = {1: images(8, 1, 3, 32, 32), 3: images(9, 3, 3, 32, 32)}
    export(vit, "vit_op17", 17, sample, batches, ["logits"])
    export(vit, "vit_op13", 13, sample, batches, ["logits"])

    shapes = ShapeHeavy()
    g = torch.Generator().manual_seed(10)
    sample = torch.randn(1, 12, 16, generator=g)
    batches = {1: torch.randn(1, 12, 16, generator=g), 3: torch.randn(3, 12, 16, generator=g)}
    export(shapes, "shapes_op13", 13, sample, batches, ["logits"])
    export(shapes, "shapes_op11", 11, sample, batches, ["logits"])


if __name__ == "__main__":
    main()
