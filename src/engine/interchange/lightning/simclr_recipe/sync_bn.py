"""Batch norm over the global batch on any device (PyTorch's SyncBatchNorm is
GPU-only): per-channel sums and sums of squares all-reduced with their
gradient (torch.distributed.nn), so every process normalises with the
statistics of all processes' samples, exactly as one process seeing the whole
batch would (the app normalises over all 2N views of its batch)."""
import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn
import torch.nn.functional as F
from torch import nn


class GlobalBatchNorm(nn.Module):
    """Takes over a BatchNorm1d/2d's parameters and buffers (same state-dict names)."""

    def __init__(self, bn):
        super().__init__()
        self.eps, self.momentum = bn.eps, bn.momentum
        self.weight, self.bias = bn.weight, bn.bias
        self.register_buffer("running_mean", bn.running_mean)
        self.register_buffer("running_var", bn.running_var)
        self.register_buffer("num_batches_tracked", bn.num_batches_tracked)

    def forward(self, x):
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        local = torch.tensor([x.numel() // x.shape[1]], dtype=x.dtype, device=x.device)
        stats = dist_nn.all_reduce(torch.cat([x.sum(dims), (x * x).sum(dims), local]))
        c = x.shape[1]
        count = stats[2 * c]
        mean = stats[:c] / count
        var = (stats[c : 2 * c] / count - mean * mean).clamp_min(0)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.weight is not None:
            y = y * self.weight.view(shape)
        if self.bias is not None:
            y = y + self.bias.view(shape)
        with torch.no_grad():
            n = count.item()
            self.running_mean.mul_(1 - self.momentum).add_(mean.detach(), alpha=self.momentum)
            self.running_var.mul_(1 - self.momentum).add_(var.detach() * (n / max(n - 1, 1)), alpha=self.momentum)
            self.num_batches_tracked += 1
        return y


def globalise_batch_norm(module):
    """Replace every batch norm in `module` by GlobalBatchNorm (when running distributed)."""
    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return module
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(module, name, GlobalBatchNorm(child))
        else:
            globalise_batch_norm(child)
    return module
