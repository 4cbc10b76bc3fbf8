"""SimCLR pretraining with the exact recipe exported by SimCLR Workbench
(config.yaml), on PyTorch Lightning: one process or many (DDP through torchrun
or SLURM's srun), CPU or GPU. See README.md for the launch lines.

What is the same as the app: the ResNet and projection head, every
augmentation op with its parameters and random stream (each global batch is
drawn exactly as the app draws it, each process applies its slice), NT-Xent
over the global batch (negatives all-gathered with their gradient), batch
norm over the global batch, LARS/SGD/AdamW with the same
exclusions, warmup + cosine with the same lr scaling, the epoch shuffle.
(PyTorch's SyncBatchNorm is GPU-only: simclr_recipe/sync_bn.py does it anywhere.)
Writes a Lightning checkpoint every epoch, CSV metrics, and at the end
<out>/encoder.safetensors (+ .json) for `simclr-workbench runs import-lightning`.
"""
import argparse
import os

import lightning as L
import torch
import yaml
from safetensors.torch import load_file
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from simclr_recipe.augment import augment_pair, draw_view_plan, normalize, run_view_plan, to_float
from simclr_recipe.data import read_dataset
from simclr_recipe.export import export_weights
from simclr_recipe.loss import nt_xent
from simclr_recipe.optim import build_optimizer, learning_rate_at, peak_learning_rate
from simclr_recipe.resnet import SimCLRModel
from simclr_recipe.rng import Rng, js_round
from simclr_recipe.sync_bn import globalise_batch_norm

SHUFFLE_STREAM = 2**32  # the app's shuffle stream: Rng(seed + 2^32)


def slice_plan(plan, start, end):
    """The part of a global view plan that belongs to samples start..end-1."""
    steps = [dict(s, fired=s["fired"][start:end], draws=s["draws"][start:end]) for s in plan["steps"]]
    return {"steps": steps, "final_resize": plan["final_resize"]}


class SimCLR(L.LightningModule):
    def __init__(self, config, images):
        super().__init__()
        self.config = config
        self.train_cfg = config["train"]
        self.pipeline = config["pipeline"]
        self.model = SimCLRModel(config["model"])
        self.images = images
        self.batch_size = self.train_cfg["batchSize"]
        self.steps_per_epoch = images.shape[0] // self.batch_size
        self.total_steps = self.steps_per_epoch * self.train_cfg["epochs"]
        opt = self.train_cfg["optimizer"]
        self.peak_lr = peak_learning_rate(opt, self.batch_size)
        self.warmup_steps = min(self.total_steps, js_round(opt["warmupEpochs"] * self.steps_per_epoch))
        seed = self.train_cfg["seed"]
        self.shuffle_rng = Rng.from_seed(seed + SHUFFLE_STREAM)
        self.augment_rng = Rng.from_seed(seed)
        self.perm = None
        self.perm_epoch = -1

    def setup(self, stage):
        # the process group exists now: batch norm over every process's samples
        globalise_batch_norm(self.model)

    def configure_optimizers(self):
        return build_optimizer(self.model, self.train_cfg["optimizer"], self.peak_lr)

    def global_indices(self, step):
        if self.perm_epoch != self.current_epoch:
            self.perm = self.shuffle_rng.permutation(self.images.shape[0])
            self.perm_epoch = self.current_epoch
        return self.perm[step * self.batch_size : (step + 1) * self.batch_size]

    def views(self, step):
        world, rank = self.trainer.world_size, self.trainer.global_rank
        if self.batch_size % world:
            raise ValueError(f"train.batchSize {self.batch_size} does not split over {world} processes")
        n = self.batch_size // world
        idx = self.global_indices(step)
        x = to_float(self.images[idx[rank * n : (rank + 1) * n]]).to(self.device)
        _, _, h, w = x.shape
        size = self.pipeline["outputSize"]
        # every process draws the whole global batch from the shared stream, so the global batch is the app's
        plans = [draw_view_plan(self.pipeline, self.batch_size, h, w, self.augment_rng) for _ in range(2)]
        return torch.cat([normalize(run_view_plan(x, slice_plan(p, rank * n, (rank + 1) * n), size), self.pipeline) for p in plans])

    def training_step(self, step, _):
        lr = learning_rate_at(self.global_step, self.peak_lr, self.warmup_steps, self.total_steps)
        for g in self.optimizers().optimizer.param_groups if hasattr(self.optimizers(), "optimizer") else self.optimizers().param_groups:
            g["lr"] = lr
        _, z = self.model(self.views(int(step)))
        loss, acc = nt_xent(z, self.train_cfg["temperature"])
        n = self.batch_size // self.trainer.world_size
        self.log("train_loss", loss, on_step=True, on_epoch=True, sync_dist=True, prog_bar=True, batch_size=n)
        self.log("contrastive_acc", acc, on_step=True, on_epoch=True, sync_dist=True, batch_size=n)
        self.log("lr", lr, on_step=True, on_epoch=False, batch_size=n)
        return loss

    def on_save_checkpoint(self, checkpoint):
        checkpoint["simclr_rng"] = {"shuffle": self.shuffle_rng.s, "augment": self.augment_rng.s, "perm_epoch": self.perm_epoch, "perm": self.perm}

    def on_load_checkpoint(self, checkpoint):
        r = checkpoint.get("simclr_rng")
        if r:
            self.shuffle_rng, self.augment_rng = Rng(r["shuffle"]), Rng(r["augment"])
            self.perm_epoch, self.perm = r["perm_epoch"], r["perm"]


class Steps(torch.utils.data.Dataset):
    """Global batch numbers 0..steps-1: every process walks all of them and takes its slice."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def world_layout():
    """(devices per node, nodes) from torchrun's or SLURM's environment; (1, 1) otherwise."""
    if "LOCAL_WORLD_SIZE" in os.environ:
        local = int(os.environ["LOCAL_WORLD_SIZE"])
        return local, int(os.environ.get("WORLD_SIZE", local)) // local
    if "SLURM_NTASKS_PER_NODE" in os.environ:
        return int(os.environ["SLURM_NTASKS_PER_NODE"].split("(")[0]), int(os.environ.get("SLURM_NNODES", 1))
    return 1, 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.yaml"))
    ap.add_argument("--out", default="out", help="checkpoints, metrics and the final safetensors go here")
    ap.add_argument("--data-path", help="override data.path (the dataset folder on this machine)")
    ap.add_argument("--max-steps", type=int, default=-1, help="stop after this many optimiser steps (smoke tests)")
    ap.add_argument("--accelerator", default="auto", help="cpu | gpu | auto")
    ap.add_argument("--resume", help="a Lightning checkpoint to continue from")
    ap.add_argument("--init", help="start from these weights (.safetensors in the app's export format, e.g. `runs export-weights --projection`)")
    args = ap.parse_args()
    with open(args.config) as f:
        config = yaml.safe_load(f)
    if args.data_path:
        config["data"]["path"] = args.data_path
    torch.manual_seed(config["train"]["seed"])
    images, _ = read_dataset(config["data"])
    devices, nodes = world_layout()
    accelerator = args.accelerator if args.accelerator != "auto" else ("gpu" if torch.cuda.is_available() else "cpu")
    distributed = devices * nodes > 1
    strategy = L.pytorch.strategies.DDPStrategy(process_group_backend="nccl" if accelerator == "gpu" else "gloo") if distributed else "auto"
    module = SimCLR(config, images)
    if args.init:
        module.model.load_export_state(load_file(args.init))
    os.makedirs(args.out, exist_ok=True)
    trainer = L.Trainer(
        accelerator=accelerator,
        devices=devices,
        num_nodes=nodes,
        strategy=strategy,
        max_epochs=config["train"]["epochs"],
        max_steps=args.max_steps,
        use_distributed_sampler=False,
        logger=CSVLogger(args.out, name="csv", version=0),
        callbacks=[ModelCheckpoint(dirpath=os.path.join(args.out, "checkpoints"), filename="epoch-{epoch:04d}", auto_insert_metric_name=False, every_n_epochs=1, save_top_k=-1, save_last=True)],
        log_every_n_steps=1,
        enable_progress_bar=False,
        num_sanity_val_steps=0,
    )
    loader = torch.utils.data.DataLoader(Steps(module.steps_per_epoch), batch_size=None, shuffle=False)
    trainer.fit(module, loader, ckpt_path=args.resume)
    # a run stopped by --max-steps mid-epoch has no epoch checkpoint yet: always leave one
    trainer.save_checkpoint(os.path.join(args.out, "checkpoints", "final.ckpt"))
    if trainer.is_global_zero:
        model = module.model
        epochs_done = trainer.current_epoch if trainer.global_step % max(1, module.steps_per_epoch) else trainer.global_step // max(1, module.steps_per_epoch)
        file = export_weights(model, config, os.path.join(args.out, "encoder.safetensors"), epochs_done, trainer.global_step)
        print(f"wrote {file}")


if __name__ == "__main__":
    main()
