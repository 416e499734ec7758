#!/usr/bin/python3
"""PyTorch training throughput for the peer comparison: the same models and recipe as Prunus's zoo.
Usage: torch_train_speed.py mlp|lenet5 STEPS  -> prints images/s (after 20 warm-up steps), 2 threads."""
import sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 20, 5), nn.Conv2d(20, 50, 5)
        self.fc1, self.fc2 = nn.Linear(800, 500), nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv2(F.max_pool2d(self.conv1(x), 2)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


model = {"mlp": Mlp, "lenet5": LeNet5}[sys.argv[1]]()
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
