#!/usr/bin/python3
"""The peer of Gibbon's `autoattack` in plain PyTorch: AutoAttack "standard", L-infinity, with the
semantics of torchattacks 3.5.1 (`torchattacks.AutoAttack(version='standard')`, which wraps
APGD, APGDT, FAB and Square in a MultiAttack). torchattacks is not installed here, so this file
writes the same algorithms out itself:

- APGD-CE: cross-entropy, 1 restart, random start on the L-inf sphere, step 2*eps, momentum 0.75,
  checkpoints after 22 % of the steps then gaps shrinking by 3 % to at least 6 %, rho 0.75;
  every step runs on every example given to it; the latest fooling iterate is kept.
- APGD-T: the same on the targeted DLR loss, once per target class (the classes ranked 2nd ...
  10th on the clean input, n_classes - 1 = 9 of them), each target only on the examples the
  earlier ones left robust.
- FAB-T: multi-targeted FAB (eta 1.05, beta 0.9, alpha_max 0.1), the same 9 targets, each only on
  the still-robust examples, the sort-based closed-form L-inf projection onto the linearised
  boundary; an example counts as broken when its smallest adversarial is within eps.
- Square: margin loss, p_init 0.8 with the rescaled schedule, one square window per batch, the
  query loop on the still-unbroken examples, stopping when all are broken.
- MultiAttack: each attack only on the examples still classified correctly.

Steps and queries are arguments, so that both sides run the same budget as Gibbon's `autoattack`
entry (steps 100, target-classes 9, queries 5000). torchattacks' own AutoAttack leaves APGD's and
APGDT's steps at their default of 10; the bench passes 100 to both sides.

Run with Debian's python3-torch:

    /usr/bin/python3 bench/autoattack_baseline.py MODEL.pt --examples 1000 --epsilon 0.05 --threads 1

Prints one JSON object: clean accuracy, per component its seconds, the examples it attacked and
the robust accuracy after it, and the total.
"""
import argparse
import gzip
import json
import math
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path, count):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)[:count]


def predict(model, x):
    with torch.no_grad():
        return model(x).argmax(1)


# ---------------------------------------------------------------- APGD and APGD-T

def dlr_targeted(logits, y, target):
    s = logits.sort(dim=1)[0]
    u = torch.arange(logits.shape[0])
    return -(logits[u, y] - logits[u, target]) / (s[:, -1] - 0.5 * s[:, -3] - 0.5 * s[:, -4] + 1e-12)


def oscillating(losses, i, k, rho):
    increases = np.zeros(losses.shape[1])
    for c in range(k):
        increases += losses[i - c] > losses[i - c - 1]
    return increases <= k * rho


def apgd_run(model, x, y, eps, steps, loss_fn, rho=0.75):
    """One APGD run (L-inf) on every row of x; returns (still correct, latest fooling iterate)."""
    gap, gap_min, gap_decrease = max(int(0.22 * steps), 1), max(int(0.06 * steps), 1), max(int(0.03 * steps), 1)
    n = x.shape[0]
    t = 2 * torch.rand(x.shape) - 1
    adv = (x + eps * t / t.reshape(n, -1).abs().max(1, keepdim=True)[0].reshape(-1, 1, 1, 1)).clamp(0, 1)
    best = adv.clone()
    best_adv = adv.clone()
    loss_steps = torch.zeros(steps, n)

    def gradient(point):
        point = point.clone().requires_grad_()
        with torch.enable_grad():
            logits = model(point)
            loss = loss_fn(logits)
            g = torch.autograd.grad(loss.sum(), [point])[0].detach()
        return logits.detach(), loss.detach(), g

    logits, loss, grad = gradient(adv)
    grad_best = grad.clone()
    acc = logits.argmax(1) == y
    loss_best = loss.clone()
    step = eps * 2.0 * torch.ones(n, 1, 1, 1)
    previous = adv.clone()
    k = gap
    since = 0
    loss_best_last_check = loss_best.clone()
    reduced_last_check = np.ones(n, dtype=bool)
    for i in range(steps):
        with torch.no_grad():
            momentum = adv - previous
            previous = adv.clone()
            a = 0.75 if i > 0 else 1.0
            moved = torch.clamp(torch.min(torch.max(adv + step * grad.sign(), x - eps), x + eps), 0, 1)
            adv = torch.clamp(torch.min(torch.max(adv + (moved - adv) * a + momentum * (1 - a), x - eps), x + eps), 0, 1)
        logits, loss, grad = gradient(adv)
        wrong = logits.argmax(1) != y
        acc = acc & ~wrong
        best_adv[wrong] = adv[wrong]
        with torch.no_grad():
            loss_steps[i] = loss
            improved = loss > loss_best
            best[improved] = adv[improved]
            grad_best[improved] = grad[improved]
            loss_best[improved] = loss[improved]
            since += 1
            if since == k:
                reduce = oscillating(loss_steps.numpy(), i, k, rho)
                reduce |= ~reduced_last_check & (loss_best_last_check.numpy() >= loss_best.numpy())
                reduced_last_check = reduce.copy()
                loss_best_last_check = loss_best.clone()
                if reduce.any():
                    r = torch.from_numpy(reduce)
                    step[r] /= 2.0
                    adv[r] = best[r]
                    grad[r] = grad_best[r]
                since = 0
                k = max(k - gap_decrease, gap_min)
    return acc, best_adv


def apgd_ce(model, x, y, eps, steps, seed):
    torch.manual_seed(seed)
    acc, adv_run = apgd_run(model, x, y, eps, steps, lambda logits: F.cross_entropy(logits, y, reduction="none"))
    adv = x.clone()
    adv[~acc] = adv_run[~acc]
    return adv


def apgd_t(model, x, y, eps, steps, targets, seed):
    torch.manual_seed(seed)
    ranked = model(x).detach().sort(dim=1)[1]
    acc = torch.ones(x.shape[0], dtype=torch.bool)
    adv = x.clone()
    for target_class in range(2, targets + 2):
        idx = acc.nonzero().flatten()
        if idx.numel() == 0:
            break
        xs, ys, ts = x[idx], y[idx], ranked[idx, -target_class]
        acc_run, adv_run = apgd_run(model, xs, ys, eps, steps, lambda logits: dlr_targeted(logits, ys, ts))
        broken = (~acc_run).nonzero().flatten()
        acc[idx[broken]] = False
        adv[idx[broken]] = adv_run[broken]
    return adv


# ---------------------------------------------------------------- FAB-T

def projection_linf(points, w, b):
    """Each row of points projected onto the hyperplane w.z = b inside the box [0, 1] (closed form)."""
    t, w, b = points, w.clone(), b.clone()
    sign = 2 * ((w * t).sum(1) - b >= 0) - 1
    w.mul_(sign.unsqueeze(1))
    b.mul_(sign)
    a = (w < 0).float()
    d = (a - t) * (w != 0).float()
    p = a - t * (2 * a - 1)
    order = torch.argsort(p, dim=1)
    b = b - (w * t).sum(1)
    b0 = (w * d).sum(1)
    reverse = order.flip((1,))
    ws = w.gather(1, reverse)
    bs2 = -ws * d.gather(1, reverse)
    s = torch.cumsum(ws.abs(), dim=1)
    sb = torch.cumsum(bs2, dim=1) + b0.unsqueeze(1)
    b2 = sb[:, -1] - s[:, -1] * p.gather(1, order[:, 0:1]).squeeze(1)
    c_l = b - b2 > 0
    c2 = (b - b0 > 0) & (~c_l)
    lb = torch.zeros(int(c2.sum()))
    ub = torch.full_like(lb, w.shape[1] - 1)
    order_, sb_, s_, p_, b_ = order[c2], sb[c2], s[c2], p[c2], b[c2]
    for _ in range(math.ceil(math.log2(w.shape[1]))):
        mid = torch.floor((lb + ub) / 2)
        at = mid.long().unsqueeze(1)
        current = order_.gather(1, order_.size(1) - 1 - at)
        b2 = (sb_.gather(1, at) - s_.gather(1, at) * p_.gather(1, current)).squeeze(1)
        c = b_ - b2 > 0
        lb = torch.where(c, mid, lb)
        ub = torch.where(c, ub, mid)
    lb = lb.long()
    if c_l.any():
        lam = torch.clamp_min((b[c_l] - sb[c_l, -1]) / (-s[c_l, -1]), min=0).unsqueeze(-1)
        d[c_l] = (2 * a[c_l] - 1) * lam
    lam = torch.clamp_min((b[c2] - sb[c2, lb]) / (-s[c2, lb]), min=0).unsqueeze(-1)
    d[c2] = torch.min(lam, d[c2]) * a[c2] + torch.max(-lam, d[c2]) * (1 - a[c2])
    return d * (w != 0).float()


def fab_run(model, x, y, target, steps, eta=1.05, beta=0.9, alpha_max=0.1):
    """One targeted FAB run (L-inf) from the clean points; returns the smallest adversarial per row
    (the clean point where none was found)."""
    n = x.shape[0]
    u = torch.arange(n)
    adv = x.clone()
    smallest = 1e10 * torch.ones(n)
    x1 = x.clone()
    x0 = x.reshape(n, -1)
    for _ in range(steps):
        point = x1.clone().requires_grad_()
        with torch.enable_grad():
            logits = model(point)
            diff = -(logits[u, y] - logits[u, target])
            g = torch.autograd.grad(diff.sum(), [point])[0]
        with torch.no_grad():
            df = diff.detach()
            w = g.reshape(n, -1)
            b = -df + (w * x1.reshape(n, -1)).sum(1)
            d3 = projection_linf(torch.cat((x1.reshape(n, -1), x0), 0), torch.cat((w, w), 0), torch.cat((b, b), 0))
            d1 = d3[:n].reshape(x.shape)
            d2 = d3[n:].reshape(x.shape)
            a0 = d3.abs().max(dim=1, keepdim=True)[0].reshape(-1, 1, 1, 1).clamp_min(1e-8)
            a1, a2 = a0[:n], a0[n:]
            alpha = (a1 / (a1 + a2)).clamp_min(0).clamp_max(alpha_max)
            x1 = ((x1 + eta * d1) * (1 - alpha) + (x + d2 * eta) * alpha).clamp(0, 1)
            is_adv = model(x1).argmax(1) != y
            if is_adv.any():
                i = is_adv.nonzero().flatten()
                size = (x1[i] - x[i]).reshape(len(i), -1).abs().max(1)[0]
                smaller = size < smallest[i]
                adv[i[smaller]] = x1[i[smaller]]
                smallest[i[smaller]] = size[smaller]
                x1[i] = x[i] + (x1[i] - x[i]) * beta
    return adv


def fab_t(model, x, y, eps, steps, targets, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        ranked = model(x).sort(dim=1)[1]
    acc = torch.ones(x.shape[0], dtype=torch.bool)
    adv = x.clone()
    for target_class in range(2, targets + 2):
        idx = acc.nonzero().flatten()
        if idx.numel() == 0:
            break
        xs, ys = x[idx], y[idx]
        adv_run = fab_run(model, xs, ys, ranked[idx, -target_class], steps)
        with torch.no_grad():
            still = model(adv_run).argmax(1) == ys
        size = (xs - adv_run).reshape(len(idx), -1).abs().max(1)[0]
        broken = (~(still | (size > eps))).nonzero().flatten()
        acc[idx[broken]] = False
        adv[idx[broken]] = adv_run[broken]
    return adv


# ---------------------------------------------------------------- Square

def p_selection(p_init, it, queries):
    it = int(it / queries * 10000)
    for bound in (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000):
        if it > bound:
            p_init /= 2
    return p_init


def margin(model, x, y):
    with torch.no_grad():
        logits = model(x)
    u = torch.arange(x.shape[0])
    correct = logits[u, y].clone()
    logits[u, y] = -float("inf")
    return correct - logits.max(1)[0]


def square(model, x, y, eps, queries, seed, p_init=0.8):
    torch.manual_seed(seed)
    n, c, h, w = x.shape
    features = c * h * w
    best = torch.clamp(x + eps * torch.sign(2 * torch.rand(n, c, 1, w) - 1), 0, 1)
    margin_min = margin(model, best, y)
    for i in range(queries):
        idx = (margin_min > 0).nonzero().flatten()
        if idx.numel() == 0:
            break
        xs, bs, ys, ms = x[idx], best[idx], y[idx], margin_min[idx]
        s = max(int(round(math.sqrt(p_selection(p_init, i, queries) * features / c))), 1)
        vh = int(torch.rand(1) * (h - s))
        vw = int(torch.rand(1) * (w - s))
        delta = torch.zeros(c, h, w)
        delta[:, vh:vh + s, vw:vw + s] = 2.0 * eps * torch.sign(2 * torch.rand(c, 1, 1) - 1)
        new = torch.clamp(torch.min(torch.max(bs + delta, xs - eps), xs + eps), 0, 1)
        m = margin(model, new, ys)
        improved = (m < ms) | (m <= 0)
        margin_min[idx] = torch.where(improved, m, ms)
        best[idx[improved]] = new[improved]
    adv = x.clone()
    broken = margin_min <= 0
    adv[broken] = best[broken]
    return adv


# ---------------------------------------------------------------- the ensemble

def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--images", default="bundled/fashion-mnist/t10k-images-idx3-ubyte.gz")
    p.add_argument("--labels", default="bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz")
    p.add_argument("--examples", type=int, default=1000)
    p.add_argument("--epsilon", type=float, default=0.05)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--target-classes", type=int, default=9)
    p.add_argument("--queries", type=int, default=5000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = torch.jit.load(a.model).eval()
    for param in model.parameters():
        param.requires_grad_(False)
    x = read_idx(a.images, a.examples).to(torch.float32).unsqueeze(1) / 255.0
    y = read_idx(a.labels, a.examples).long()
    n = len(y)
    components = [
        ("apgd_ce", lambda xs, ys: apgd_ce(model, xs, ys, a.epsilon, a.steps, a.seed)),
        ("apgd_t", lambda xs, ys: apgd_t(model, xs, ys, a.epsilon, a.steps, a.target_classes, a.seed)),
        ("fab_t", lambda xs, ys: fab_t(model, xs, ys, a.epsilon, a.steps, a.target_classes, a.seed)),
        ("square", lambda xs, ys: square(model, xs, ys, a.epsilon, a.queries, a.seed)),
    ]
    start = time.perf_counter()
    cpu_start = time.process_time()
    correct = predict(model, x) == y
    clean_seconds = time.perf_counter() - start
    final = x.clone()
    report = {"torch": torch.__version__, "threads": a.threads, "examples": n, "epsilon": a.epsilon,
              "steps": a.steps, "target_classes": a.target_classes, "queries": a.queries,
              "clean_accuracy": correct.float().mean().item(), "clean_seconds": clean_seconds, "components": []}
    for name, attack in components:
        idx = correct.nonzero().flatten()
        t0 = time.perf_counter()
        if idx.numel() > 0:
            adv = attack(x[idx], y[idx])
            # The ensemble enforces the ball before judging, as MultiAttack's attacks each do.
            adv = torch.clamp(torch.min(torch.max(adv, x[idx] - a.epsilon), x[idx] + a.epsilon), 0, 1)
            fooled = predict(model, adv) != y[idx]
            final[idx[fooled]] = adv[fooled]
            correct[idx[fooled]] = False
        seconds = time.perf_counter() - t0
        report["components"].append({"name": name, "attacked": idx.numel(), "seconds": seconds,
                                      "robust_accuracy": correct.float().mean().item()})
    report["seconds"] = time.perf_counter() - start
    # CPU time of every thread of the process: what the run cost in cores, whatever it was pinned to.
    report["cpu_seconds"] = time.process_time() - cpu_start
    report["robust_accuracy"] = correct.float().mean().item()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
