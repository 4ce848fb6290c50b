#!/usr/bin/python3
"""Builds the TorchScript fixtures and the plain-PyTorch reference numbers of Gibbon's agreement tests.

1. Trains a small Fashion-MNIST CNN with BatchNorm and dropout, exports it with torch.jit.trace, and
   attacks a fixed slice of test images with FGSM, BIM, PGD-L2 (no random start) and PGD-Linf
   (random start) written in plain PyTorch, in eval mode: fashion_bn_cnn.pt, reference.json.
2. Builds a small RGB CNN (random weights, BatchNorm) for 32x32 colour images that expects
   per-channel normalised input, writes random colour PNGs in class folders, and records its clean
   and FGSM predictions with the normalisation applied: rgb_cnn.pt, rgb_images/, rgb_reference.json.
3. Scripts a small CNN (random weights) whose forward flattens with `view`, which needs contiguous
   activations, and records its logits on a fixed input: view_cnn.pt, view_reference.json.

Run with Debian's python3-torch:  /usr/bin/python3 make_fixture.py
(needs apt-get install -y python3-torch dataset-fashion-mnist)
"""
import gzip
import json
import os
import struct
import zlib

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


RGB_MEAN = [0.4914, 0.4822, 0.4465]
RGB_STD = [0.2470, 0.2435, 0.2616]
RGB_EPSILONS = [0.01, 0.03]


def png_rgb(pixels):
    """PNG bytes of an (H, W, 3) uint8 tensor (no imaging library needed)."""
    h, w, _ = pixels.shape
    raw = b"".join(b"\x00" + bytes(pixels[r].flatten().tolist()) for r in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_rgb():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(16 * 16, 10))
    model.eval()
    traced = torch.jit.trace(model, torch.zeros(1, 3, 32, 32))
    traced.save(os.path.join(HERE, "rgb_cnn.pt"))
    mean = torch.tensor(RGB_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(RGB_STD).view(1, 3, 1, 1)

    def normalised(x):
        return traced((x - mean) / std)

    generator = torch.Generator().manual_seed(2)
    # Each image: its own base colour and a horizontal gradient plus noise, so predictions vary.
    base = torch.randint(0, 256, (40, 1, 1, 3), generator=generator).float()
    ramp = torch.linspace(-60, 60, 32).view(1, 1, 32, 1) * torch.randn(40, 1, 1, 3, generator=generator)
    noise = torch.randint(-30, 31, (40, 32, 32, 3), generator=generator).float()
    raw = (base + ramp + noise).clamp(0, 255).to(torch.uint8)
    labels = torch.arange(40) % 10
    paths = []
    for i in range(40):
        relative = "c%d/%03d.png" % (labels[i].item(), i)
        os.makedirs(os.path.join(HERE, "rgb_images", os.path.dirname(relative)), exist_ok=True)
        with open(os.path.join(HERE, "rgb_images", relative), "wb") as f:
            f.write(png_rgb(raw[i]))
        paths.append(relative)
    x = raw.permute(0, 3, 1, 2).to(torch.float32) / 255.0
    reference = {"mean": RGB_MEAN, "std": RGB_STD, "paths": paths, "labels": labels.tolist(), "fgsm": {}}
    with torch.no_grad():
        reference["clean_predictions"] = normalised(x).argmax(1).tolist()
    for eps in RGB_EPSILONS:
        adv = fgsm(normalised, x, labels, eps)
        with torch.no_grad():
            reference["fgsm"][str(eps)] = normalised(adv).argmax(1).tolist()
    with open(os.path.join(HERE, "rgb_reference.json"), "w") as f:
        json.dump(reference, f)
    print("rgb fixture: clean predictions", reference["clean_predictions"][:10])


class ViewCnn(nn.Module):
    """Flattens with view, as much hand-written PyTorch does: it fails on channels-last activations."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(x.view(x.size(0), -1))


def view_input():
    """Two 28x28 images with pixel i of the pair set to (i % 256) / 255, as the Java test builds them."""
    return (torch.arange(2 * 28 * 28) % 256).float().div(255).view(2, 1, 28, 28)


def make_view():
    torch.manual_seed(3)
    model = torch.jit.script(ViewCnn().eval())
    model.save(os.path.join(HERE, "view_cnn.pt"))
    with torch.no_grad():
        logits = model(view_input())
    with open(os.path.join(HERE, "view_reference.json"), "w") as f:
        json.dump({"logits": logits.flatten().tolist()}, f)


def main():
    make_rgb()
    make_view()
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
