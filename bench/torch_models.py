"""The zoo's mlp and lenet5 in PyTorch, for the peer scripts: LeNet-300-100 and Caffe's LeNet-5 (conv 20, pool,
conv 50, pool, 500, 10), with the parameter names ../shared/anchors/torch_fmnist.py saves (so its state dicts load)."""
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 20, 5), nn.Conv2d(20, 50, 5)
        self.f1, self.f2 = nn.Linear(800, 500), nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(self.c2(F.max_pool2d(self.c1(x), 2)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


MODELS = {"mlp": Mlp, "lenet5": LeNet5}
