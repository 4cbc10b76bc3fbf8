"""LARS, SGD and AdamW with the workbench's exclusions, and its learning-rate
schedule (src/engine/optim, src/shared/train-config.ts).

Batch-norm parameters and biases get no weight decay and no LARS trust ratio.
Peak lr: base x batch / 256 (linear) or base x sqrt(batch) (sqrt), batch being
the global batch over all processes. Linear warmup over round(warmupEpochs x
steps per epoch) steps, then cosine decay to 0.
"""
import math

import torch

from .resnet import is_bn_or_bias


class LARS(torch.optim.Optimizer):
    """google-research/simclr lars_optimizer.py with classic momentum:
    g' = g + wd w (kernels), trust = eeta ||w|| / ||g'|| (1 when either is 0),
    v = m v + lr trust g', w -= v."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, eeta=0.001, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eeta=eeta, nesterov=nesterov, exclude=False))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                trust = 1.0
                if not group["exclude"]:
                    if group["weight_decay"] > 0:
                        g = g + group["weight_decay"] * p
                    w_norm = torch.linalg.vector_norm(p)
                    g_norm = torch.linalg.vector_norm(g)
                    trust = torch.where((w_norm > 0) & (g_norm > 0), group["eeta"] * w_norm / g_norm, torch.ones_like(w_norm))
                step = g * (group["lr"] * trust)
                state = self.state[p]
                v = state.get("momentum")
                if v is None:
                    v = state["momentum"] = torch.zeros_like(p)
                v.mul_(group["momentum"]).add_(step)
                p.sub_(v * group["momentum"] + step if group["nesterov"] else v)
        return loss


def param_groups(model):
    decay, exclude = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (exclude if is_bn_or_bias(name, p) else decay).append(p)
    return decay, exclude


def default_base_lr(name, scaling):
    if name == "adamw":
        return 1e-3 if scaling == "linear" else 1e-3 / 16
    return 0.3 if scaling == "linear" else 0.075


def peak_learning_rate(opt, batch_size):
    base = opt.get("baseLr") or default_base_lr(opt["name"], opt["lrScaling"])
    return base * batch_size / 256 if opt["lrScaling"] == "linear" else base * math.sqrt(batch_size)


def build_optimizer(model, opt, lr):
    decay, exclude = param_groups(model)
    wd = opt.get("weightDecay")
    if opt["name"] == "lars":
        wd = 1e-6 if wd is None else wd
        o = LARS([{"params": decay}, {"params": exclude, "exclude": True, "weight_decay": 0.0}], lr=lr, momentum=opt["momentum"], weight_decay=wd)
    elif opt["name"] == "sgd":
        wd = 1e-6 if wd is None else wd
        o = torch.optim.SGD([{"params": decay, "weight_decay": wd}, {"params": exclude, "weight_decay": 0.0}], lr=lr, momentum=opt["momentum"])
    elif opt["name"] == "adamw":
        wd = 0.01 if wd is None else wd
        o = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": exclude, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    else:
        raise ValueError(f"optimizer.name {opt['name']!r}: use lars, sgd or adamw")
    return o


def learning_rate_at(step, peak, warmup_steps, total_steps):
    if step < warmup_steps:
        return peak * step / warmup_steps
    decay = total_steps - warmup_steps
    if decay == 0:
        return peak
    progress = min(step - warmup_steps, decay) / decay
    return peak * 0.5 * (1 + math.cos(math.pi * progress))
