#!/usr/bin/python3
"""Trains Gibbon's ResNet-20 on Fashion-MNIST and exports it to TorchScript.

ResNet-20 as in He et al. 2016, section 4.2 (CIFAR): a 3x3 convolution with 16 channels, then three
stages of three basic blocks (two 3x3 convolutions with BatchNorm each) of 16, 32 and 64 channels,
the second and third starting with stride 2; identity shortcuts, option A: where a stage halves the
resolution and doubles the channels, the shortcut subsamples by 2 and pads the new channels with
zeros, so shortcuts add no parameters. Global average pooling and a 10-way linear layer.
On 1x28x28 input the feature maps are 28x28, 14x14 and 7x7.

Writes next to this script:
  fashion_resnet20.pt  torch.jit.trace of the eval-mode model (BatchNorm uses running statistics)
  model-card.json      parameters, test accuracy, training settings and time, forward FLOPs per image
  reference.json       logits of the first test images, for Gibbon's agreement test

Run with Debian's python3-torch (apt-get install -y python3-torch dataset-fashion-mnist):
  /usr/bin/python3 train_resnet20.py [--epochs 4] [--threads 1]
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
SEED = 20
BATCH = 128
REFERENCE_IMAGES = 16


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def images(raw):
    # True division of float32 pixels, as Gibbon does.
    return raw.to(torch.float32).unsqueeze(1) / 255.0


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm; option-A identity shortcut (subsample, zero-pad channels)."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride = stride
        self.pad = out_channels - in_channels

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x
        if self.stride != 1 or self.pad != 0:
            shortcut = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + shortcut)


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers = []
        in_channels = 16
        for stage, channels in enumerate([16, 32, 64]):
            for block in range(3):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(in_channels, channels, stride))
                in_channels = channels
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.blocks(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def forward_flops(model):
    """Multiply-adds x 2 of the convolutions and linear layers for one 1x28x28 image, counted by hooks."""
    total = [0]

    def conv_hook(m, inputs, output):
        total[0] += 2 * output.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inputs, output):
        total[0] += 2 * output.numel() * m.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in handles:
        h.remove()
    return total[0]


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), 500):
            correct += (model(x[start:start + 500]).argmax(1) == y[start:start + 500]).sum().item()
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.2, help="peak learning rate of the one-cycle schedule")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)

    x_train = images(read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz")))
    y_train = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz")).long()
    x_test = images(read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")))
    y_test = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")).long()

    model = ResNet20()
    parameters = sum(p.numel() for p in model.parameters())
    flops = forward_flops(model)
    print("parameters %d, forward FLOPs per image %d" % (parameters, flops), flush=True)

    steps_per_epoch = math.ceil(len(x_train) / BATCH)
    optimiser = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, epochs=args.epochs,
                                                   steps_per_epoch=steps_per_epoch, pct_start=0.25)
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train))
        for step, start in enumerate(range(0, len(x_train), BATCH)):
            idx = order[start:start + BATCH]
            optimiser.zero_grad()
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimiser.step()
            schedule.step()
            if step % 50 == 0:
                print("epoch %d step %d/%d loss %.4f lr %.4f %.0f s" % (
                    epoch, step, steps_per_epoch, loss.item(), schedule.get_last_lr()[0], time.time() - started),
                    flush=True)
        print("epoch %d test accuracy %.4f %.0f s" % (epoch, evaluate(model, x_test, y_test), time.time() - started),
              flush=True)
    training_seconds = time.time() - started
    accuracy = evaluate(model, x_test, y_test)

    model.eval()
    traced = torch.jit.trace(model, torch.zeros(1, 1, 28, 28))
    traced.save(os.path.join(HERE, "fashion_resnet20.pt"))
    reloaded = torch.jit.load(os.path.join(HERE, "fashion_resnet20.pt"))
    assert evaluate(reloaded, x_test, y_test) == accuracy

    with torch.no_grad():
        logits = reloaded(x_test[:REFERENCE_IMAGES])
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump({"images": "first %d of t10k" % REFERENCE_IMAGES, "labels": y_test[:REFERENCE_IMAGES].tolist(),
                   "logits": logits.tolist()}, f)
    card = {
        "name": "fashion-resnet20",
        "architecture": "ResNet-20 (He et al. 2016, CIFAR variant): 3x3 conv 16 + BN + ReLU, 3 stages x 3 basic "
                        "blocks of 16/32/64 channels, stride 2 at stages 2 and 3, option-A identity shortcuts "
                        "(subsample + zero-padded channels), global average pool, linear 10",
        "input_shape": [1, 28, 28],
        "value_range": [0, 1],
        "class_names": CLASS_NAMES,
        "parameters": parameters,
        "forward_flops_per_image": flops,
        "test_accuracy": accuracy,
        "test_examples": len(x_test),
        "train_examples": len(x_train),
        "epochs": args.epochs,
        "batch_size": BATCH,
        "seed": SEED,
        "optimiser": "SGD momentum 0.9 nesterov, weight decay 5e-4",
        "lr_schedule": "one-cycle, peak %.3g, 25%% warm-up, cosine annealing" % args.lr,
        "augmentation": "none",
        "threads": args.threads,
        "training_seconds": round(training_seconds, 1),
        "export": "torch.jit.trace of the eval-mode model",
        "torch_version": torch.__version__,
    }
    with open(os.path.join(HERE, "model-card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
