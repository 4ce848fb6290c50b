#!/usr/bin/python3
"""Two small BatchNorm CNNs for 1x28x28 input (random weights), saved while in training mode:

  traced_train.pt    torch.jit.trace in training mode: batch statistics are baked into the trace,
                     so the module uses them even after eval(); Gibbon must refuse it at load.
  scripted_train.pt  torch.jit.script in training mode: the module follows eval(), which Gibbon sets
                     at load, so it must load and give batch-independent logits.

Run with Debian's python3-torch:  /usr/bin/python3 make_fixture.py
"""
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 10))
    # Running statistics unlike any single batch's, so that eval and training mode differ plainly.
    with torch.no_grad():
        model[1].running_mean.fill_(0.3)
        model[1].running_var.fill_(2.0)
    model.train()
    torch.jit.trace(model, torch.rand(2, 1, 28, 28)).save(os.path.join(HERE, "traced_train.pt"))
    torch.jit.script(model).save(os.path.join(HERE, "scripted_train.pt"))


if __name__ == "__main__":
    main()
