#!/usr/bin/python3
"""PyTorch training throughput for the peer comparison: the same models and recipe as Prunus's zoo.
Usage: torch_train_speed.py mlp|lenet5 STEPS  -> prints images/s (after 20 warm-up steps), 2 threads."""
import os, sys, time
import torch, torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import MODELS  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


model = MODELS[sys.argv[1]]()
steps = int(sys.argv[2])
# Synthetic batches in [0, 1]: throughput does not depend on the pixel values.
x = torch.rand(64 * 16, 1, 28, 28)
y = torch.randint(0, 10, (64 * 16,))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
t0 = None
for i in range(steps + 20):
    if i == 20:
        t0 = time.perf_counter()
    j = (i % 16) * 64
    opt.zero_grad()
    F.cross_entropy(model(x[j:j + 64]), y[j:j + 64]).backward()
    opt.step()
print(steps * 64 / (time.perf_counter() - t0))
