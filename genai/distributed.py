"""Training on several processes: ``torchrun --nproc_per_node=N -m genai train ...``.

As nanoGPT's ``train.py`` does, the CLI reads torchrun's environment (RANK, WORLD_SIZE,
LOCAL_RANK) and, only when it is there, joins a process group: NCCL when each rank has a GPU
(cuda:LOCAL_RANK), gloo on the CPU. Without it nothing here is initialised, and the app never
calls ``setup``.

Data parallel training, with gradients averaged across ranks during the backward pass, the way
DistributedDataParallel does it. DDP itself is not wrapped around the models: the GAN's D runs
two or three forwards per step and WGAN-GP's gradient penalty takes a double backward, which the
DDP wrapper does not support, and the families call their sub-networks directly (``self.G``,
``self.net``). Instead each trainable parameter gets a hook that all-reduces its gradient as soon
as backward has accumulated it (``register_post_accumulate_grad_hook``): what every family does
after backward (clipping, then ``optimizer.step()``) sees the global mean gradient, as with DDP.
One collective per parameter tensor, not DDP's buckets: these models have tens of tensors.

What makes a run of N processes equal a one-process run of the same global batch: every rank
draws the same global batch (one generator, one seed) and trains on its own 1/N slice of it;
the mean of the slices' mean gradients is the global batch's mean gradient. Noise drawn inside a
step (the GAN's z, the VAE's ε, dropout) comes from each rank's own seed (seed + rank), so the
ranks do not repeat each other's noise; a family with such noise matches a one-process run in
distribution, not number for number.
"""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    """Where this process stands: rank 0 of 1 when not launched by torchrun."""
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:  # rank 0 writes checkpoints, run logs, samples and the progress bar
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1


def launched() -> bool:
    """True inside torchrun (its environment names this process's rank)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def setup() -> tuple[Dist, torch.device | None]:
    """Join torchrun's process group and pick this rank's device; (Dist(), None) outside torchrun."""
    if not launched():
        return Dist(), None
    d = Dist(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
    want = os.environ.get("GENAI_DEVICE", "")
    if torch.cuda.is_available() and not want.startswith("cpu"):
        device = torch.device("cuda", d.local_rank)
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", rank=d.rank, world_size=d.world, device_id=device)
    else:
        device = torch.device("cpu")
        local = int(os.environ.get("LOCAL_WORLD_SIZE", d.world))
        # the cores shared out among the ranks on this machine, unless GENAI_THREADS says otherwise
        torch.set_num_threads(int(os.environ.get("GENAI_THREADS", 0)) or max(1, (os.cpu_count() or 1) // local))
        dist.init_process_group("gloo", rank=d.rank, world_size=d.world)
    return d, device


def cleanup() -> None:
    """Leave the process group (on success, error and Ctrl-C alike). On the CPU every rank first
    waits for the others (a minute at most, for a rank that died): a rank that left while rank 0,
    the host of the group's store, was still saving once aborted at exit in CI ("terminate called
    without an active exception")."""
    if dist.is_available() and dist.is_initialized():
        if dist.get_backend() == "gloo":
            try:
                dist.monitored_barrier(timeout=timedelta(seconds=60))
            except RuntimeError:  # a rank is gone: leave anyway
                pass
        dist.destroy_process_group()


def shard(batch, d: Dist):
    """This rank's slice of a global batch: rows [rank * b, (rank + 1) * b) of every tensor."""
    if not d.active:
        return batch
    if isinstance(batch, torch.Tensor):
        b = batch.size(0) // d.world
        return batch[d.rank * b:(d.rank + 1) * b]
    if isinstance(batch, (tuple, list)):
        return type(batch)(shard(x, d) for x in batch)
    if isinstance(batch, dict):
        return {k: shard(v, d) for k, v in batch.items()}
    return batch


def broadcast_state(module: torch.nn.Module) -> None:
    """Every rank starts from rank 0's weights and buffers (as DDP does at construction)."""
    for t in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(t.data, src=0)


def broadcast_state_buffers(module: torch.nn.Module) -> None:
    """Rank 0's buffers (batch-norm running statistics, which each rank gathered on its own
    slice) to every rank, before a checkpoint: the one saved is rank 0's."""
    for t in module.buffers():
        dist.broadcast(t.data, src=0)


def sync_gradients(module: torch.nn.Module, d: Dist) -> None:
    """Average each trainable parameter's gradient over the ranks as soon as backward has
    accumulated it: g <- (1/N) sum_r g_r."""
    def average(p: torch.Tensor) -> None:
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad.div_(d.world)

    for p in module.parameters():
        if p.requires_grad:
            p.register_post_accumulate_grad_hook(average)


def mean_metrics(metrics: dict[str, float], d: Dist) -> dict[str, float]:
    """A step's metrics averaged over the ranks, so that every rank logs and judges (divergence)
    the same numbers."""
    if not d.active or not metrics:
        return metrics
    keys = sorted(metrics)
    t = torch.tensor([float(metrics[k]) for k in keys], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return {k: float(v) / d.world for k, v in zip(keys, t.tolist())}


def in_sync(module: torch.nn.Module, d: Dist) -> bool:
    """True when every rank holds the same weights and buffers (a checksum of their bytes)."""
    if not d.active:
        return True
    crc = 0
    for t in list(module.parameters()) + list(module.buffers()):
        crc = zlib.crc32(t.detach().to("cpu").reshape(-1).contiguous().view(torch.uint8).numpy().tobytes(), crc)
    sums = [None] * d.world
    dist.all_gather_object(sums, crc)
    return len(set(sums)) == 1
