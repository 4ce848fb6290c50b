#!/usr/bin/python3
"""Where an attack step's time goes in plain PyTorch: libtorch's autograd profiler over PGD steps
(forward, input gradient of the cross-entropy, signed step) on a TorchScript classifier, by operator,
self CPU time. Run with Debian's python3-torch:

    /usr/bin/python3 bench/profile_torchscript.py MODEL.pt --batch 256 --steps 3 --threads 1 [--channels-last]
"""
import argparse

import torch
from torch.profiler import ProfilerActivity, profile

from pytorch_kernel import channels_last, pgd


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shape", default="1,28,28")
    p.add_argument("--rows", type=int, default=15)
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    module = torch.jit.load(a.model).eval()
    model = (lambda x: module(channels_last(x))) if a.channels_last else module
    x = torch.rand([a.batch] + [int(s) for s in a.shape.split(",")])
    y = torch.randint(0, 10, (a.batch,))
    pgd(model, x, y, 0.1, 0.01, 1)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        pgd(model, x, y, 0.1, 0.01, a.steps)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=a.rows))


if __name__ == "__main__":
    main()
