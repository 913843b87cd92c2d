"""The processes one run trains in: a world of one, or the ranks `torchrun` starts.

Each rank draws the same shuffled order (same seed), takes its share of every global
batch by index, and weights its loss by its share of the batch, so DistributedDataParallel's
gradient average is the gradient of the whole batch's mean loss, as in one process.
Rank 0 alone reports, checkpoints and writes metrics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch

RENDEZVOUS_SECONDS = 300.0  # joining the group, and any one collective after it


class RendezvousError(RuntimeError):
    """The ranks did not all meet in time; the message says where and how long."""


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> World:
        """The world torchrun describes in RANK / WORLD_SIZE / LOCAL_RANK (one when unset)."""
        return cls(rank=int(os.environ.get("RANK", "0")),
                   size=int(os.environ.get("WORLD_SIZE", "1")),
                   local_rank=int(os.environ.get("LOCAL_RANK", "0")))

    def device(self, device: torch.device) -> torch.device:
        """A CUDA rank trains on its own GPU (cuda:LOCAL_RANK)."""
        if self.distributed and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    def join(self, device: torch.device) -> None:
        """Join the process group: NCCL on CUDA, gloo on the CPU."""
        import torch.distributed as dist

        if self.distributed and not dist.is_initialized():
            if device.type == "cuda":
                torch.cuda.set_device(device)
            try:
                dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                        timeout=timedelta(seconds=RENDEZVOUS_SECONDS))
            except (RuntimeError, ValueError) as exc:  # DistStoreError is a RuntimeError
                env = os.environ
                where = f"{env.get('MASTER_ADDR', '?')}:{env.get('MASTER_PORT', '?')}"
                raise RendezvousError(
                    f"rank {self.rank} of {self.size}: the other training processes did not "
                    f"join at {where} within {RENDEZVOUS_SECONDS:g} s "
                    f"({str(exc).splitlines()[0][:200]})") from None

    def leave(self) -> None:
        import torch.distributed as dist

        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()

    def barrier(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def share(self, idx: torch.Tensor) -> tuple[torch.Tensor, float]:
        """This rank's indices of one global batch, and the weight of its mean loss
        (its share of the batch times the world size)."""
        if not self.distributed:
            return idx, 1.0
        mine = idx[self.rank::self.size]
        return mine, mine.numel() * self.size / idx.numel()

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """Sum over the ranks, in place (identity in a world of one)."""
        if self.distributed:
            import torch.distributed as dist

            dist.all_reduce(t)
        return t

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """The module the training steps call: DistributedDataParallel across ranks."""
        if not self.distributed:
            return model
        from torch.nn.parallel import DistributedDataParallel

        if device.type == "cuda":
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
            return DistributedDataParallel(model, device_ids=[device.index])
        return DistributedDataParallel(model)

    def usable_steps(self, steps: int, n: int, batch_size: int) -> int:
        """Drop a last batch too small to give every rank a sample."""
        if self.distributed and steps and n - (steps - 1) * batch_size < self.size:
            return steps - 1
        return steps


ONE = World()
