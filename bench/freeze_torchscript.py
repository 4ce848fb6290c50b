#!/usr/bin/python3
"""Writes a frozen copy of a TorchScript classifier: torch.jit.freeze inlines the weights as constants
and folds each eval-mode BatchNorm into the convolution before it, so a step runs no BatchNorm
forward or backward. The same function to float rounding. Run with Debian's python3-torch:

    /usr/bin/python3 bench/freeze_torchscript.py MODEL.pt FROZEN.pt
"""
import sys

import torch


def main():
    source, target = sys.argv[1], sys.argv[2]
    frozen = torch.jit.freeze(torch.jit.load(source).eval())
    frozen.save(target)
    print("batch_norm left:", "batch_norm" in str(frozen.graph))


if __name__ == "__main__":
    main()
