#!/usr/bin/python3
"""The peer of Gibbon's attack kernel in plain PyTorch: PGD steps (input gradient of the
cross-entropy, signed step, projection, clipping) on a TorchScript classifier, timed the way
`gibbon bench` times its own loop. Run with Debian's python3-torch:

    /usr/bin/python3 bench/pytorch_kernel.py MODEL.pt --batch 256 --steps 20 --threads 1 --repeats 3 [--channels-last]

With --channels-last the model gets each input in channels-last memory, as Gibbon gives it on CPU:
the same values, a layout libtorch carries through the convolutions and pooling.
Prints one JSON object: images x gradient steps per second for each repetition.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def pgd(model, x, y, eps, alpha, steps):
    adv = x.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        loss = F.cross_entropy(model(adv), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, adv)
        with torch.no_grad():
            adv = adv + alpha * grad.sign()
            adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
    return adv.detach()


def channels_last(x):
    """The same values in channels-last memory, made the way Gibbon makes them (a C=1 batch included)."""
    n, c, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(n, -1).reshape(n, h, w, c).permute(0, 3, 1, 2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--shape", default="1,28,28")
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    module = torch.jit.load(a.model).eval()
    model = (lambda x: module(channels_last(x))) if a.channels_last else module
    shape = [int(s) for s in a.shape.split(",")]
    x = torch.rand([a.batch] + shape)
    y = torch.randint(0, 10, (a.batch,))
    pgd(model, x, y, 0.1, 0.01, 2)  # warm-up: first calls compile and allocate
    rates = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        pgd(model, x, y, 0.1, 0.01, a.steps)
        rates.append(a.batch * a.steps / (time.perf_counter() - start))
    print(json.dumps({"torch": torch.__version__, "channels_last": a.channels_last, "threads": a.threads,
                      "batch": a.batch, "steps": a.steps, "images_x_steps_per_s": rates}))


if __name__ == "__main__":
    main()
