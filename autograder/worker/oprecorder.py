"""Record which ATen operators a call reaches, whatever Python path reached them.

A ``TorchDispatchMode`` sees every operator below autograd, so ``F.conv2d``, ``torch.conv2d``,
``nn.Conv2d`` and ``torch.ops.aten.convolution`` all show up as ``aten.convolution``. The worker
only records; the parent decides which operators break an exercise's rules.
"""
from __future__ import annotations

from torch.utils._python_dispatch import TorchDispatchMode


class OpRecorder(TorchDispatchMode):
    """Collects the names (``aten.<op>``) of the operators called while the mode is active."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: set[str] = set()

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Recording names needs no torch._dynamo, whose import costs about 2 s per worker.
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(f"{func.namespace}.{func._opname}")
        return func(*args, **(kwargs or {}))
