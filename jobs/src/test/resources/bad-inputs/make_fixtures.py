#!/usr/bin/python3
"""Builds the small broken files of the bad-input corpus (cases.conf) in files/.

Every file is a few kilobytes and broken in exactly one way: IDX files with a wrong magic number, a
truncated body, mismatched counts, labels outside the classes, an empty file, corrupt gzip, the wrong
number of dimensions; models that are garbage, weights saved with torch.save instead of a TorchScript module, a module
with the wrong output width or input shape, and one that returns NaN on real images (but not on the
all-zero probe input); an image folder with an undecodable PNG; DJL model directories with cut-off parameters (with and without
their SHA-256 in model.json) and with a model.json that is not JSON.

Run with Debian's python3-torch:  /usr/bin/python3 make_fixtures.py
"""
import gzip
import os
import random
import struct

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "files")
BUNDLED_MODEL = os.path.join(HERE, "../../../../../bundled/models/fashion-cnn")
N = 8
rng = random.Random(8)


def idx(dims, body, magic_type=0x08):
    return bytes([0, 0, magic_type, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + body


def write(name, data):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


pixels = bytes(rng.randrange(256) for _ in range(N * 28 * 28))
labels = bytes(rng.randrange(10) for _ in range(N))

write("images.idx", idx([N, 28, 28], pixels))
write("labels.idx", idx([N], labels))
write("wrong-magic.idx", b"\x08\x03\x00\x00" + idx([N, 28, 28], pixels)[4:])
write("truncated.idx", idx([N, 28, 28], pixels)[: 16 + 3 * 28 * 28 + 100])
write("labels-5.idx", idx([5], labels[:5]))
write("labels-out-of-range.idx", idx([N], labels[:-1] + bytes([12])))
write("empty.idx", b"")
good_gz = gzip.compress(idx([N, 28, 28], pixels), mtime=0)
corrupt = bytearray(good_gz)
for i in range(40, 80):
    corrupt[i] ^= 0x5A
write("corrupt.idx.gz", bytes(corrupt))
write("images-rgb.idx", idx([N, 3, 28, 28], bytes(rng.randrange(256) for _ in range(N * 3 * 28 * 28))))
write("images-int32.idx", idx([N, 28, 28], pixels * 4, magic_type=0x0C))

# An image folder whose only image is not a PNG at all.
write("folder/coat/broken.png", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(200)))


class Linear(nn.Module):
    def __init__(self, inputs, classes):
        super().__init__()
        self.fc = nn.Linear(inputs, classes)

    def forward(self, x):
        return self.fc(x.flatten(1))


class NanOnImages(nn.Module):
    """Finite on the all-zero input, NaN as soon as a pixel is positive (sqrt of a negative)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 10)

    def forward(self, x):
        flat = x.flatten(1)
        return self.fc(flat) * torch.sqrt(-flat.amax(1, keepdim=True))


torch.manual_seed(8)
torch.jit.script(Linear(28 * 28, 5)).save(os.path.join(OUT, "five-classes.pt"))
torch.jit.script(Linear(3 * 32 * 32, 10)).save(os.path.join(OUT, "rgb-32.pt"))
torch.jit.script(NanOnImages()).save(os.path.join(OUT, "nan.pt"))
# The usual mistake: torch.save of the weights instead of torch.jit.save of the module.
torch.save(Linear(28 * 28, 10).state_dict(), os.path.join(OUT, "state-dict.pt"))
write("garbage.pt", bytes(rng.randrange(256) for _ in range(4096)))

# DJL model directories: the bundled model.json with the first kilobyte of its parameters (the
# SHA-256 catches it), the same without the SHA-256 (loading catches it), and unparsable metadata.
with open(os.path.join(BUNDLED_MODEL, "model.json")) as f:
    meta = f.read()
with open(os.path.join(BUNDLED_MODEL, "fashion-cnn-0004.params"), "rb") as f:
    head = f.read(1024)
write("cut-params/model.json", meta.encode())
write("cut-params/fashion-cnn-0004.params", head)
no_sha = "\n".join(line for line in meta.splitlines() if '"sha256"' not in line)
write("cut-params-no-sha/model.json", no_sha.encode())
write("cut-params-no-sha/fashion-cnn-0004.params", head)
write("broken-json/model.json", meta[: len(meta) // 2].encode())
