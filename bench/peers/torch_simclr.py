"""PyTorch CPU peer for bench/train.ts: one full SimCLR step, timed.

A step is what the TypeScript trainer does per batch: augment both views of a
uint8 batch (random resized crop + flip, colour jitter, grayscale, as batched
tensor ops), forward a CIFAR-stem ResNet with a width multiplier and the
projection head over the 2N views (batch norm in training mode), NT-Xent loss,
backward, LARS update (momentum 0.9, trust coefficient 0.001, weight decay and
trust ratio skipped for batch-norm parameters and biases).

Fair-comparison rules (bench/train.ts): channels-last memory format (what a
PyTorch CPU user runs), the workbench's default head (output batch norm), the
same images per step as the tfjs worker (batch k = pool[(k*B + i) % P]) and
the same augmentation ops and strengths (SimCLR CIFAR, s = 0.5), the same
intra-op thread count, one inter-op thread. The colour jitter here applies its
four steps in a fixed order and shifts hue by a YIQ rotation, both a little
cheaper than the workbench's random order and HSV hue.

Protocol: started once per model/batch configuration; reads commands from stdin,
one per line, so bench/train.ts can alternate it with the tfjs measurement
without paying start-up and model construction each time:
    run <steps>   -> one JSON line {"stepSeconds": [...], "phases": [{augment, forwardBackward,
                     optimizer, sync} per step], "imagesPerSec": median-based, "loss"}
    quit
The first line written is {"ready": true, "torch": version, "threads": n}.

    python torch_simclr.py --depth 18 --width 0.25 --batch 256 [--size 32] [--threads N] [--pool images.u8]
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- model

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, mid, stride):
        super().__init__()
        cout = mid * 4
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


LAYOUT = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]), 50: (Bottleneck, [3, 4, 6, 3])}


class SimCLRNet(nn.Module):
    """CIFAR stem (3x3 stride-1 conv, no max-pool), 4 stages, global average pool -> h, head g."""

    def __init__(self, depth, width, proj_dim=128):
        super().__init__()
        block, counts = LAYOUT[depth]
        c = max(1, round(64 * width))
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        layers, cin = [], c
        for i, n in enumerate(counts):
            mid = max(1, round(64 * width * 2**i))
            for j in range(n):
                layers.append(block(cin, mid, 2 if (i > 0 and j == 0) else 1))
                cin = mid * block.expansion
        self.layers = nn.Sequential(*layers)
        self.feat_dim = cin
        # the workbench's default head: Linear(no bias)-BN-ReLU-Linear(no bias)-BN(scale only)
        out_bn = nn.BatchNorm1d(proj_dim)
        out_bn.bias.requires_grad_(False)
        self.head = nn.Sequential(nn.Linear(cin, cin, bias=False), nn.BatchNorm1d(cin), nn.ReLU(inplace=True), nn.Linear(cin, proj_dim, bias=False), out_bn)

    def forward(self, x):
        h = self.layers(self.stem(x)).mean(dim=(2, 3))
        return self.head(h)


# ---------------------------------------------------------------- augmentation

def augment(images_u8, gen, size):
    """SimCLR CIFAR views from a uint8 NHWC batch: crop (scale 0.08-1, ratio 3/4-4/3) + flip
    via one affine grid_sample, colour jitter (0.4, 0.4, 0.4, 0.1) with p=0.8, grayscale p=0.2."""
    n = images_u8.shape[0]
    x = images_u8.permute(0, 3, 1, 2).float().div_(255.0)
    area = torch.empty(n).uniform_(0.08, 1.0, generator=gen)
    logr = torch.empty(n).uniform_(math.log(3 / 4), math.log(4 / 3), generator=gen)
    ratio = torch.exp(logr)
    w = torch.sqrt(area * ratio).clamp(max=1.0)
    h = torch.sqrt(area / ratio).clamp(max=1.0)
    cx = (torch.rand(n, generator=gen) * (1 - w) + w / 2) * 2 - 1
    cy = (torch.rand(n, generator=gen) * (1 - h) + h / 2) * 2 - 1
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = w * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = h
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, [n, 3, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    jitter = (torch.rand(n, generator=gen) < 0.8).float().view(n, 1, 1, 1)
    b = 1 + torch.empty(n).uniform_(-0.4, 0.4, generator=gen).view(n, 1, 1, 1)
    c = 1 + torch.empty(n).uniform_(-0.4, 0.4, generator=gen).view(n, 1, 1, 1)
    s = 1 + torch.empty(n).uniform_(-0.4, 0.4, generator=gen).view(n, 1, 1, 1)
    hue = torch.empty(n).uniform_(-0.1, 0.1, generator=gen) * 2 * math.pi
    gray_w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    y = (x * b).clamp(0, 1)
    mean = (y * gray_w).sum(1, keepdim=True).mean(dim=(2, 3), keepdim=True)
    y = ((y - mean) * c + mean).clamp(0, 1)
    g = (y * gray_w).sum(1, keepdim=True)
    y = ((y - g) * s + g).clamp(0, 1)
    # hue: rotation of the chroma plane in YIQ space (one 3x3 matrix per image)
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    from_yiq = torch.linalg.inv(to_yiq)
    cos, sin = torch.cos(hue), torch.sin(hue)
    rot = torch.zeros(n, 3, 3)
    rot[:, 0, 0] = 1
    rot[:, 1, 1] = cos
    rot[:, 1, 2] = -sin
    rot[:, 2, 1] = sin
    rot[:, 2, 2] = cos
    m = from_yiq @ rot @ to_yiq
    y = torch.einsum("nij,njhw->nihw", m, y).clamp(0, 1)
    x = jitter * y + (1 - jitter) * x
    gray = (torch.rand(n, generator=gen) < 0.2).float().view(n, 1, 1, 1)
    g = (x * gray_w).sum(1, keepdim=True).expand(-1, 3, -1, -1)
    return gray * g + (1 - gray) * x


# ---------------------------------------------------------------- loss and optimiser

def nt_xent(z, temperature):
    z = F.normalize(z, dim=1)
    n2 = z.shape[0]
    sim = z @ z.t() / temperature
    sim = sim.masked_fill(torch.eye(n2, dtype=torch.bool), -1e9)
    half = n2 // 2
    target = torch.cat([torch.arange(half, n2), torch.arange(0, half)])
    return F.cross_entropy(sim, target)


class Lars:
    """LARS: g' = g + wd*w; trust = eta*|w|/|g'|; v = m*v + lr*trust*g'; w -= v.
    Parameters with one dimension (batch-norm scale/shift, biases) skip wd and trust."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, eta=0.001):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.m, self.wd, self.eta = lr, momentum, weight_decay, eta
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        for p, v in zip(self.params, self.v):
            g = p.grad
            if g is None:
                continue
            if p.ndim > 1:
                g = g.add(p, alpha=self.wd)
                wn, gn = torch.linalg.vector_norm(p), torch.linalg.vector_norm(g)
                trust = torch.where((wn > 0) & (gn > 0), self.eta * wn / gn, torch.ones_like(wn))
                g = g * trust
            v.mul_(self.m).add_(g, alpha=self.lr)
            p.sub_(v)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=18)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=0.5)
    ap.add_argument("--pool", default="", help="raw uint8 NHWC images (size x size x 3 each) to draw batches from")
    args = ap.parse_args()
    if args.threads > 0:
        # the same intra-op thread count as the tfjs worker (TF_NUM_INTRAOP_THREADS), one inter-op thread each
        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    # channels-last (NHWC) is what a user of PyTorch on CPU runs (issue 15's side-by-side run found it
    # about 25% faster than NCHW on this CPU), and it is the layout the tfjs side computes in
    model = SimCLRNet(args.depth, args.width).train().to(memory_format=torch.channels_last)
    opt = Lars(model.parameters(), lr=0.075 * math.sqrt(args.batch))
    # Images to draw batches from: the bench's pool file (real CIFAR), else random bytes. Decoding is not timed.
    if args.pool:
        raw = torch.frombuffer(bytearray(open(args.pool, "rb").read()), dtype=torch.uint8)
        pool = raw.view(-1, args.size, args.size, 3)
    else:
        pool = torch.randint(0, 256, (1024, args.size, args.size, 3), dtype=torch.uint8, generator=gen)

    counter = [0]

    def step():
        t0 = time.perf_counter()
        # the same images as the tfjs worker's step of the same number: batch k is pool[(k*B + i) % P]
        k = counter[0]
        counter[0] += 1
        idx = (torch.arange(args.batch) + k * args.batch) % pool.shape[0]
        batch = pool[idx]
        views = torch.cat([augment(batch, gen, args.size), augment(batch, gen, args.size)]).contiguous(memory_format=torch.channels_last)
        t1 = time.perf_counter()
        loss = nt_xent(model(views), args.temperature)
        opt.zero_grad()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        value = float(loss.detach())
        t4 = time.perf_counter()
        return value, {"augment": t1 - t0, "forwardBackward": t2 - t1, "optimizer": t3 - t2, "sync": t4 - t3}

    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        if parts[0] != "run":
            print(json.dumps({"error": f"unknown command {parts[0]}"}), flush=True)
            continue
        steps = int(parts[1])
        times, phases = [], []
        loss = float("nan")
        for _ in range(steps):
            t0 = time.perf_counter()
            loss, ph = step()
            times.append(time.perf_counter() - t0)
            phases.append(ph)
        med = sorted(times)[len(times) // 2]
        print(json.dumps({"stepSeconds": times, "phases": phases, "imagesPerSec": args.batch / med, "loss": loss}), flush=True)


if __name__ == "__main__":
    main()
