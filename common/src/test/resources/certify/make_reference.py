#!/usr/bin/python3
"""Reference numbers for Gibbon's randomized smoothing test: CERTIFY and PREDICT (Cohen, Rosenfeld and
Kolter, ICML 2019, Algorithm 1) written in plain PyTorch, as in the paper's code (core.py), on the
TorchScript fixture CNN of the agreement tests and the first test images of the bundled Fashion-MNIST.

At each sigma of SIGMAS, each example is certified REPEATS times with independent noise (torch's own
generator), so the reference holds the Monte-Carlo spread of every figure, not one draw: Gibbon's
noise is its own, and its certificate is one more draw from the same distribution.

Run with Debian's python3-torch and python3-scipy from the repository root:
  /usr/bin/python3 common/src/test/resources/certify/make_reference.py
"""
import gzip
import json
import os
import struct

import torch
from scipy.stats import beta, binomtest, norm

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "torchscript", "fashion_bn_cnn.pt")
DATA = os.path.join(HERE, "..", "..", "..", "..", "..", "bundled", "fashion-mnist")
EXAMPLES = 30
REPEATS = 10
SIGMAS = [0.25, 0.5]
N0 = 100
N = 1000
ALPHA = 0.001
BATCH = 100


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def counts(model, x, sigma, num, generator):
    """Class counts of the model on num noisy copies x + N(0, sigma^2 I), no clipping (the paper's _sample_noise)."""
    out = torch.zeros(10, dtype=torch.long)
    remaining = num
    with torch.no_grad():
        while remaining > 0:
            size = min(BATCH, remaining)
            batch = x.repeat(size, 1, 1, 1)
            noise = torch.randn(batch.shape, generator=generator) * sigma
            out += torch.bincount(model(batch + noise).argmax(1), minlength=10)
            remaining -= size
    return out


def certify(model, x, sigma, generator):
    selection = counts(model, x, sigma, N0, generator)
    top = int(selection.argmax())
    estimation = counts(model, x, sigma, N, generator)
    n_a = int(estimation[top])
    p_a_lower = 0.0 if n_a == 0 else float(beta.ppf(ALPHA, n_a, N - n_a + 1))
    certified = p_a_lower >= 0.5
    two = torch.topk(estimation, 2)
    p_value = binomtest(int(two.values[0]), int(two.values[0] + two.values[1]), 0.5).pvalue
    return {
        "top_class": top,
        "predicted": top if certified else -1,
        "radius": sigma * float(norm.ppf(p_a_lower)) if certified else None,
        "p_a_lower": p_a_lower,
        "n_a": n_a,
        "predict": int(two.indices[0]) if p_value <= ALPHA else -1,
    }


def main():
    torch.set_num_threads(1)
    model = torch.jit.load(MODEL).eval()
    images = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))[:EXAMPLES].to(torch.float32).unsqueeze(1) / 255.0
    labels = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))[:EXAMPLES]
    generator = torch.Generator().manual_seed(20190101)
    runs = []
    for sigma in SIGMAS:
        examples = []
        for i in range(EXAMPLES):
            repeats = [certify(model, images[i:i + 1], sigma, generator) for _ in range(REPEATS)]
            examples.append({"id": i, "label": int(labels[i]), "repeats": repeats})
            print(sigma, i, [r["predicted"] for r in repeats],
                  [None if r["radius"] is None else round(r["radius"], 4) for r in repeats])
        runs.append({"sigma": sigma, "examples": examples})
    reference = {"torch_version": torch.__version__, "model": "torchscript/fashion_bn_cnn.pt", "n0": N0, "n": N,
                 "alpha": ALPHA, "repeats": REPEATS, "runs": runs}
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f)


if __name__ == "__main__":
    main()
