"""NT-Xent over the global batch of 2N views (src/engine/loss/nt-xent.ts).

Each process holds its share of both views. Negatives come from every
process: the projections are all-gathered with a gradient (the backward pass
sums the gradient of every process's loss and keeps this process's slice), and
each process averages the loss over its own rows. With DDP's gradient
averaging this is exactly the single-process loss over the whole batch:
mean over 2N rows of logsumexp_{j != i}(s_ij / t) - s_{i,pos(i)} / t.
"""
import torch
import torch.distributed as dist
import torch.nn.functional as F

LARGE_NEGATIVE = -1e9


class GatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = [torch.zeros_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(out, x.contiguous())
        return torch.cat(out, 0)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        dist.all_reduce(grad)
        n = grad.shape[0] // dist.get_world_size()
        r = dist.get_rank()
        return grad[r * n : (r + 1) * n]


def gather(x):
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return GatherWithGrad.apply(x), dist.get_rank(), dist.get_world_size()
    return x, 0, 1


def nt_xent(z, temperature):
    """z: this process's [2n, d] projections, rows 0..n-1 view 1 and n..2n-1 view 2.
    Returns (loss over this process's rows, contrastive top-1 accuracy of those rows)."""
    n = z.shape[0] // 2
    u = F.normalize(z, dim=1, eps=1e-12)
    v1, rank, world = gather(u[:n])
    v2, _, _ = gather(u[n:])
    keys = torch.cat([v1, v2], 0)  # the global layout: every view 1, then every view 2
    N = n * world
    own = torch.arange(n, device=z.device) + rank * n
    rows = torch.cat([own, own + N])  # global index of each local query
    pos = torch.cat([own + N, own])
    logits = u @ keys.T / temperature
    logits = logits.scatter_add(1, rows[:, None], torch.full((2 * n, 1), LARGE_NEGATIVE, device=z.device, dtype=z.dtype))
    positive = logits.gather(1, pos[:, None]).squeeze(1)
    loss = (torch.logsumexp(logits, 1) - positive).mean()
    with torch.no_grad():
        others = logits.scatter(1, pos[:, None], LARGE_NEGATIVE * 2).max(1).values
        acc = (positive > others).float().mean()
    return loss, acc
