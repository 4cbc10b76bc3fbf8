"""The workbench's augmentation pipeline in PyTorch (no torchvision): the same
ops, parameters, random stream layout and pixel maths as src/engine/augment.

A view is drawn in two steps, as in the app: `draw_view_plan` picks every
random parameter in Python from the pipeline's xoshiro128** stream (per
sample, per enabled op: one uniform decides whether the op fires, then the op
draws its parameters), and `run_view_plan` applies them as batched tensor ops
to NCHW float images in [0, 1]. The draws are plain dicts with the app's
field names, so draws recorded by the app can be fed in directly.
"""
import math

import torch
import torch.nn.functional as F

from .rng import Rng, js_round

LUMA = (0.2989, 0.587, 0.114)
JITTER_STEPS = ("brightness", "contrast", "saturation", "hue")
RESIZING = {"randomResizedCrop", "centerCrop"}


# ---------------------------------------------------------------- draws


def whole_box(h, w):
    return {"x": 0, "y": 0, "w": w, "h": h}


def central_box(W, H, ratio):
    r0, r1 = ratio
    in_ratio = W / H
    w, h = W, H
    if in_ratio < r0:
        h = min(H, max(1, js_round(W / r0)))
    elif in_ratio > r1:
        w = min(W, max(1, js_round(H * r1)))
    return {"x": (W - w) // 2, "y": (H - h) // 2, "w": w, "h": h}


def center_box(fraction, h, w):
    bw = max(1, js_round(fraction * w))
    bh = max(1, js_round(fraction * h))
    return {"x": (w - bw) // 2, "y": (h - bh) // 2, "w": bw, "h": bh}


def draw_random_crop(params, rng, h, w):
    area = h * w
    s0, s1 = params["scale"]
    lr0, lr1 = math.log(params["ratio"][0]), math.log(params["ratio"][1])
    for attempt in range(1, params["attempts"] + 1):
        scale = rng.uniform(s0, s1)
        ratio = math.exp(rng.uniform(lr0, lr1))
        bw = js_round(math.sqrt(area * scale * ratio))
        bh = js_round(math.sqrt(area * scale / ratio))
        if 0 < bw <= w and 0 < bh <= h:
            y = rng.int(h - bh + 1)
            x = rng.int(w - bw + 1)
            return {"box": {"x": x, "y": y, "w": bw, "h": bh}, "scale": scale, "ratio": ratio, "attempts": attempt, "fallback": False}
    return {"box": central_box(w, h, params["ratio"]), "scale": None, "ratio": None, "attempts": params["attempts"], "fallback": True}


def draw_color_jitter(params, rng):
    s = params["strength"]
    st = {k: params[k] * s for k in JITTER_STEPS}

    def factor(d):
        return rng.uniform(max(0.0, 1 - d), 1 + d) if d > 0 else None

    perm = rng.permutation(4) if params["randomOrder"] else [0, 1, 2, 3]
    draw = {"brightness": factor(st["brightness"]), "contrast": factor(st["contrast"]), "saturation": factor(st["saturation"])}
    draw["hue"] = rng.uniform(-st["hue"], st["hue"]) if st["hue"] > 0 else None
    draw["order"] = [JITTER_STEPS[i] for i in perm if draw[JITTER_STEPS[i]] is not None]
    return draw


def blur_radius(kernel_fraction, h, w):
    return int(math.floor(math.floor(min(h, w) * kernel_fraction) / 2))


def draw_cutout(params, rng, H, W):
    side = max(1, js_round(rng.uniform(params["size"][0], params["size"][1]) * min(H, W)))
    cy = rng.int(H)
    cx = rng.int(W)
    y0 = max(0, cy - side // 2)
    x0 = max(0, cx - side // 2)
    y1 = min(H, cy - side // 2 + side)
    x1 = min(W, cx - side // 2 + side)
    return {"box": {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}, "side": side}


def draw_op(op, params, rng, h, w):
    if op == "randomResizedCrop":
        return draw_random_crop(params, rng, h, w)
    if op == "centerCrop":
        return {"box": center_box(params["fraction"], h, w)}
    if op == "horizontalFlip":
        return {"flipped": True}
    if op == "colorJitter":
        return draw_color_jitter(params, rng)
    if op == "grayscale":
        return {"gray": True}
    if op == "gaussianBlur":
        return {"sigma": rng.uniform(params["sigma"][0], params["sigma"][1]), "kernel": 2 * blur_radius(params["kernelFraction"], h, w) + 1}
    if op == "rotate90":
        k = rng.int(4)
        return {"quarterTurns": k, "degrees": 90 * k}
    if op == "rotate":
        return {"degrees": rng.uniform(params["degrees"][0], params["degrees"][1])}
    if op == "cutout":
        return draw_cutout(params, rng, h, w)
    if op == "gaussianNoise":
        return {"std": rng.uniform(params["std"][0], params["std"][1]), "seed": rng.uint32()}
    if op == "sobel":
        return {"edges": True}
    if op == "solarize":
        return {"threshold": params["threshold"]}
    raise ValueError(f"unknown augmentation op {op!r}")


def layout(pipeline, h, w):
    """The enabled ops with the image size each receives."""
    size = pipeline["outputSize"]
    steps = []
    for step, entry in enumerate(pipeline["ops"]):
        if not entry.get("enabled", True):
            continue
        if entry["op"] == "rotate90" and h != w:
            raise ValueError(f"ops[{step}] rotate90: the images are {w}x{h} there; put rotate90 after a crop")
        steps.append({"step": step, "entry": entry, "h": h, "w": w})
        if entry["op"] in RESIZING:
            h = w = size
    return steps, (h, w)


def draw_view_plan(pipeline, count, h, w, rng):
    """Every random choice of one view of `count` images of h x w (the app's stream layout)."""
    steps, final = layout(pipeline, h, w)
    for s in steps:
        s["fired"] = [False] * count
        s["draws"] = [None] * count
    for i in range(count):
        for s in steps:
            e = s["entry"]
            fired = rng.bernoulli(e["p"])
            s["fired"][i] = fired
            if fired:
                s["draws"][i] = draw_op(e["op"], e["params"], rng, s["h"], s["w"])
            elif e["op"] in RESIZING:
                s["draws"][i] = {"box": whole_box(s["h"], s["w"])}
    size = pipeline["outputSize"]
    return {"steps": steps, "final_resize": final != (size, size)}


# ---------------------------------------------------------------- pixel ops (NCHW, values in [0, 1])


def crop_resize(x, boxes, size):
    """tf.image.crop_and_resize (bilinear) of each box onto size x size, corners to corners,
    on the image with one replicated row and column (as the app's cropResize)."""
    n, c, H, W = x.shape
    padded = torch.cat([x, x[:, :, -1:, :]], 2)
    padded = torch.cat([padded, padded[:, :, :, -1:]], 3)
    f32 = torch.float32

    def coords(starts, lengths, full):
        # box corners normalised by the unpadded side, in float32 as TensorFlow receives them
        lo = torch.tensor([s / full for s in starts], dtype=f32)
        hi = torch.tensor([(s + l - 1) / full for s, l in zip(starts, lengths)], dtype=f32)
        extent = torch.tensor(float(full), dtype=f32)  # padded side - 1
        if size > 1:
            scale = (hi - lo) * extent / (size - 1)
            return lo[:, None] * extent + torch.arange(size, dtype=f32)[None, :] * scale[:, None]
        return (0.5 * (lo + hi) * extent)[:, None]

    dev = x.device
    ys = coords([b["y"] for b in boxes], [b["h"] for b in boxes], H).to(dev)
    xs = coords([b["x"] for b in boxes], [b["w"] for b in boxes], W).to(dev)
    y0 = ys.floor()
    x0 = xs.floor()
    fy = (ys - y0).to(x.dtype)[:, None, :, None]
    fx = (xs - x0).to(x.dtype)[:, None, None, :]
    y0 = y0.long().clamp(0, H)
    x0 = x0.long().clamp(0, W)
    y1 = ys.ceil().long().clamp(0, H)
    x1 = xs.ceil().long().clamp(0, W)
    bidx = torch.arange(n, device=dev)[:, None, None]

    def at(yi, xi):
        # [n, size, size, c] -> [n, c, size, size]
        return padded.permute(0, 2, 3, 1)[bidx, yi[:, :, None], xi[:, None, :]].permute(0, 3, 1, 2)

    top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx
    bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx
    return top + (bottom - top) * fy


def _per_sample(values, like):
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, 1, 1, 1)


def adjust_brightness(x, f):
    return (x * _per_sample(f, x)).clamp(0, 1)


def adjust_contrast(x, f):
    mean = x.mean(dim=(2, 3), keepdim=True)
    return ((x - mean) * _per_sample(f, x) + mean).clamp(0, 1)


def adjust_saturation(x, f):
    v = x.max(dim=1, keepdim=True).values
    chroma = v - x.min(dim=1, keepdim=True).values
    ff = _per_sample(f, x)
    scale = ff - F.relu(ff - v / (chroma + 1e-12))
    return F.relu(v - (v - x) * scale)


def adjust_hue(x, delta):
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    v = x.max(dim=1).values
    c = v - x.min(dim=1).values
    inv = 1 / (c + 1e-12)
    hr = (g - b) * inv
    hg = (b - r) * inv + 2
    hb = (r - g) * inv + 4
    h6 = torch.where(v == r, hr, torch.where(v == g, hg, hb))[:, None]
    offsets = _per_sample(delta, x) * 6 + torch.tensor([12.0, 10.0, 8.0], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    k1 = h6 + offsets
    d = k1 - torch.floor(k1 * (1 / 6)) * 6 - 3
    ramp = (2 - d.abs()).clamp(0, 1)
    return v[:, None] - c[:, None] * ramp


ADJUST = {"brightness": adjust_brightness, "contrast": adjust_contrast, "saturation": adjust_saturation, "hue": adjust_hue}


def color_jitter(x, draws):
    for stage in range(4):
        y = x.clone()
        for step in JITTER_STEPS:
            idx = [i for i, d in enumerate(draws) if len(d["order"]) > stage and d["order"][stage] == step]
            if idx:
                y[idx] = ADJUST[step](x[idx], [draws[i][step] for i in idx])
        x = y
    return x


def grayscale(x):
    y = LUMA[0] * x[:, 0:1] + LUMA[1] * x[:, 1:2] + LUMA[2] * x[:, 2:3]
    return y.expand(-1, 3, -1, -1).contiguous()


def gaussian_kernel(sigma, radius):
    w = [math.exp(-(t * t) / (2 * sigma * sigma)) for t in range(-radius, radius + 1)]
    s = sum(w)
    return [v / s for v in w]


def gaussian_blur(x, draws, padding):
    n, c, h, w = x.shape
    r = (draws[0]["kernel"] - 1) // 2
    if r == 0:
        return x
    k = 2 * r + 1
    taps = torch.tensor([gaussian_kernel(d["sigma"], r) for d in draws], dtype=x.dtype, device=x.device)  # [n, k]
    weight = taps.repeat_interleave(c, 0)  # [n c, k]
    y = x.reshape(1, n * c, h, w)
    for horizontal in (True, False):
        kernel = weight.view(n * c, 1, 1, k) if horizontal else weight.view(n * c, 1, k, 1)
        pad = (r, r, 0, 0) if horizontal else (0, 0, r, r)
        y = F.pad(y, pad, mode="reflect" if padding == "reflect" else "constant")
        y = F.conv2d(y, kernel, groups=n * c)
    return y.view(n, c, h, w)


def rot90(x, k):
    k %= 4
    if k == 1:
        return x.transpose(2, 3).flip(2)
    if k == 2:
        return x.flip(2, 3)
    if k == 3:
        return x.transpose(2, 3).flip(3)
    return x


def rotation_transform(degrees, h, w):
    t = degrees * math.pi / 180
    cos, sin = math.cos(t), math.sin(t)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy]


def rotate(x, draws, fill):
    """Bilinear sampling at the rotated source points; each neighbour outside reads `fill`
    (TensorFlow's ImageProjectiveTransform with constant fill)."""
    n, c, h, w = x.shape
    dev = x.device
    rows = torch.tensor([rotation_transform(d["degrees"], h, w) for d in draws], dtype=torch.float32, device=dev)
    col = lambda k: rows[:, k].view(n, 1, 1)  # noqa: E731
    xs = torch.arange(w, dtype=torch.float32, device=dev).view(1, 1, w)
    ys = torch.arange(h, dtype=torch.float32, device=dev).view(1, h, 1)
    sx = col(0) * xs + col(1) * ys + col(2)
    sy = col(3) * xs + col(4) * ys + col(5)
    x0 = sx.floor()
    y0 = sy.floor()
    fx = (sx - x0).to(x.dtype)[:, None]
    fy = (sy - y0).to(x.dtype)[:, None]
    bidx = torch.arange(n, device=dev).view(n, 1, 1)

    def corner(cy, cx):
        inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        vals = x.permute(0, 2, 3, 1)[bidx, cy.long().clamp(0, h - 1), cx.long().clamp(0, w - 1)].permute(0, 3, 1, 2)
        return torch.where(inside[:, None], vals, torch.full_like(vals, fill))

    top = corner(y0, x0) * (1 - fx) + corner(y0, x0 + 1) * fx
    bottom = corner(y0 + 1, x0) * (1 - fx) + corner(y0 + 1, x0 + 1) * fx
    return top * (1 - fy) + bottom * fy


def cutout(x, draws, fill):
    n, c, h, w = x.shape
    mask = torch.zeros(n, 1, h, w, dtype=x.dtype, device=x.device)
    for i, d in enumerate(draws):
        b = d["box"]
        mask[i, :, b["y"] : b["y"] + b["h"], b["x"] : b["x"] + b["w"]] = 1
    return x * (1 - mask) + mask * fill


def gaussian_noise(x, draws, exact):
    """exact: each sample's field from its own xoshiro128** stream, value for value as the app
    (slow in Python); else torch normals seeded by the same draw (same distribution)."""
    n, c, h, w = x.shape
    fields = []
    for d in draws:
        if exact:
            f = torch.tensor(Rng.from_seed(d["seed"]).fill_normal(h * w * c, 0, d["std"]), dtype=torch.float32).view(h, w, c).permute(2, 0, 1)
        else:
            f = torch.randn(c, h, w, generator=torch.Generator().manual_seed(d["seed"])) * d["std"]
        fields.append(f)
    return (x + torch.stack(fields).to(x.device, x.dtype)).clamp(0, 1)


GX = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
GY = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))


def sobel(x):
    lum = LUMA[0] * x[:, 0:1] + LUMA[1] * x[:, 1:2] + LUMA[2] * x[:, 2:3]
    y = F.pad(lum, (1, 1, 1, 1), mode="reflect")
    k = torch.tensor([GX, GY], dtype=x.dtype, device=x.device).view(2, 1, 3, 3)
    g = F.conv2d(y, k)
    mag = (g.square().sum(1, keepdim=True).sqrt() / 4).clamp(0, 1)
    return mag.expand(-1, 3, -1, -1).contiguous()


def solarize(x, threshold):
    return torch.where(x >= threshold, 1 - x, x)


def apply_op(op, params, x, draws, size, exact_noise=False):
    """Run one op on the samples where it fired (`draws` in their order)."""
    if op in RESIZING:
        return crop_resize(x, [d["box"] for d in draws], size)
    if op == "horizontalFlip":
        return x.flip(3)
    if op == "colorJitter":
        return color_jitter(x, draws)
    if op == "grayscale":
        return grayscale(x)
    if op == "gaussianBlur":
        return gaussian_blur(x, draws, params["padding"])
    if op == "rotate90":
        y = x.clone()
        for k in (1, 2, 3):
            idx = [i for i, d in enumerate(draws) if d["quarterTurns"] == k]
            if idx:
                y[idx] = rot90(x[idx], k)
        return y
    if op == "rotate":
        return rotate(x, draws, params["fill"])
    if op == "cutout":
        return cutout(x, draws, params["fill"])
    if op == "gaussianNoise":
        return gaussian_noise(x, draws, exact_noise)
    if op == "sobel":
        return sobel(x)
    if op == "solarize":
        return solarize(x, params["threshold"])
    raise ValueError(f"unknown augmentation op {op!r}")


def run_view_plan(x, plan, size, exact_noise=False):
    """Apply a drawn plan to NCHW images in [0, 1]; returns the views at size x size in [0, 1]."""
    for s in plan["steps"]:
        e = s["entry"]
        if e["op"] in RESIZING:
            x = apply_op(e["op"], e["params"], x, s["draws"], size)
            continue
        idx = [i for i, f in enumerate(s["fired"]) if f]
        if not idx:
            continue
        y = x.clone()
        y[idx] = apply_op(e["op"], e["params"], x[idx], [s["draws"][i] for i in idx], size, exact_noise)
        x = y
    if plan["final_resize"]:
        n, _, h, w = x.shape
        x = crop_resize(x, [whole_box(h, w)] * n, size)
    return x


def normalize(x, pipeline):
    mean = torch.tensor(pipeline["normalize"]["mean"], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(pipeline["normalize"]["std"], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def to_float(images_uint8):
    """uint8 NHWC (as the data readers return) -> float NCHW in [0, 1], grey replicated to RGB."""
    x = images_uint8.permute(0, 3, 1, 2).float() / 255
    return x.expand(-1, 3, -1, -1).contiguous() if x.shape[1] == 1 else x


def augment_pair(images_uint8, pipeline, rng, exact_noise=False):
    """Two normalised views of each image, drawn one whole view after the other (the app's order)."""
    x = to_float(images_uint8)
    n, _, h, w = x.shape
    size = pipeline["outputSize"]
    plans = [draw_view_plan(pipeline, n, h, w, rng) for _ in range(2)]
    return [normalize(run_view_plan(x, p, size, exact_noise), pipeline) for p in plans]
