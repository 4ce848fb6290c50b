#!/usr/bin/python3
"""Builds the TorchScript fixture and the plain-PyTorch reference numbers of Gibbon's agreement test.

Trains a small Fashion-MNIST CNN with BatchNorm and dropout, exports it with torch.jit.trace, and
attacks a fixed slice of test images with FGSM, BIM, PGD-L2 (no random start) and PGD-Linf (random
start) written in plain PyTorch, in eval mode. Writes fashion_bn_cnn.pt and reference.json here.

Run with Debian's python3-torch:  /usr/bin/python3 make_fixture.py
(needs apt-get install -y python3-torch dataset-fashion-mnist)
"""
import gzip
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
TRAIN_EXAMPLES = 12000
SLICE = 500
LINF_EPSILONS = [0.01, 0.02, 0.05, 0.1]
L2_EPSILONS = [0.5, 1.0]
STEPS = 10


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def images(raw):
    # True division of float32 pixels, as Gibbon does.
    return raw.to(torch.float32).unsqueeze(1) / 255.0


def build():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(64, 10))


def train(model, x, y):
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for epoch in range(2):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 128):
            idx = order[start:start + 128]
            optimiser.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            optimiser.step()
    model.eval()


def grad(model, x, y):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def fgsm(model, x, y, eps):
    return (x + eps * grad(model, x, y).sign()).clamp(0, 1)


def bim(model, x, y, eps, start=None):
    alpha = 2.5 * eps / STEPS
    adv = x.clone() if start is None else start
    for _ in range(STEPS):
        adv = adv + alpha * grad(model, adv, y).sign()
        adv = (x + (adv - x).clamp(-eps, eps)).clamp(0, 1)
    return adv


def pgd_linf(model, x, y, eps):
    start = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    return bim(model, x, y, eps, start)


def pgd_l2(model, x, y, eps):
    alpha = 2.5 * eps / STEPS
    adv = x.clone()
    n = len(x)
    for _ in range(STEPS):
        g = grad(model, adv, y)
        g_norm = g.view(n, -1).norm(dim=1).view(n, 1, 1, 1) + 1e-10
        adv = adv + alpha * g / g_norm
        delta = adv - x
        d_norm = delta.view(n, -1).norm(dim=1).view(n, 1, 1, 1)
        delta = delta * torch.clamp(eps / (d_norm + 1e-12), max=1.0)
        adv = (x + delta).clamp(0, 1)
    return adv


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x_train = images(read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))[:TRAIN_EXAMPLES])
    y_train = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))[:TRAIN_EXAMPLES].long()
    model = build()
    train(model, x_train, y_train)
    traced = torch.jit.trace(model, torch.zeros(1, 1, 28, 28))
    path = os.path.join(HERE, "fashion_bn_cnn.pt")
    traced.save(path)
    scripted = torch.jit.load(path)
    scripted.eval()

    x = images(read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))[:SLICE])
    y = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))[:SLICE].long()
    with torch.no_grad():
        clean = scripted(x).argmax(1)
    reference = {
        "model": "fashion_bn_cnn.pt",
        "torch_version": torch.__version__,
        "examples": SLICE,
        "steps": STEPS,
        "relative_step_size": 2.5 / STEPS,
        "clean_predictions": clean.tolist(),
        "clean_accuracy": (clean == y).float().mean().item(),
        "attacks": {},
    }
    attacks = [("fgsm", fgsm, LINF_EPSILONS), ("bim", bim, LINF_EPSILONS), ("pgd_l2", pgd_l2, L2_EPSILONS),
               ("pgd", pgd_linf, LINF_EPSILONS)]
    for name, attack, epsilons in attacks:
        reference["attacks"][name] = {}
        for eps in epsilons:
            adv = attack(scripted, x, y, eps)
            with torch.no_grad():
                predicted = scripted(adv).argmax(1)
            reference["attacks"][name][str(eps)] = {
                "predictions": predicted.tolist(),
                "robust_accuracy": (predicted == y).float().mean().item(),
            }
            print(name, eps, reference["attacks"][name][str(eps)]["robust_accuracy"])
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f)
    print("clean accuracy", reference["clean_accuracy"])


if __name__ == "__main__":
    main()
