"""The exercise rules about operators, shared by the public tests and the grader.

From-scratch exercises must not call a built-in convolution or pooling, and the 1x1 convolution
and ``corr2d_matmul`` must be one matrix product. Both are judged on the ATen operators a call
reaches, recorded with a ``TorchDispatchMode``: ``F.conv2d``, ``torch.conv2d``, ``nn.Conv2d`` and
``torch.ops.aten.convolution`` all arrive as ``convolution``, whatever Python path led there.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Callable

#: Operators that compute a convolution or a pooling for you (convolution, conv2d, slow_conv2d,
#: _conv_depthwise2d, max_pool2d_with_indices, adaptive_avg_pool2d, ...).
FORBIDDEN_OP = re.compile(r"convolution|conv[a-z_]*[123]d|_conv_|pool")
#: Operators that are a matrix product.
MATMUL_OPS = frozenset(
    {"mm", "bmm", "mv", "dot", "vdot", "matmul", "addmm", "addmv", "addbmm", "baddbmm", "_addmm_activation", "linear"}
)


def record_ops(call: Callable[[], Any]) -> tuple[Any, Counter]:
    """Run ``call()``; return its result and how often each ATen operator (by name) was dispatched."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Recorder(TorchDispatchMode):  # a new class per call: nothing to patch ahead of time
        @classmethod
        def _should_skip_dynamo(cls) -> bool:  # recording names needs no torch._dynamo (about 2 s)
            return False

        def __init__(self) -> None:
            super().__init__()
            self.ops: Counter = Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops[func.overloadpacket.__name__] += 1
            return func(*args, **(kwargs or {}))

    with Recorder() as recorder:
        result = call()
    return result, recorder.ops


def forbidden_ops(ops) -> list[str]:
    """The operators among ``ops`` that compute a convolution or pooling."""
    return sorted({op for op in ops if FORBIDDEN_OP.search(op)})


def matmul_count(ops: Counter) -> int:
    """How many matrix products ``ops`` holds."""
    return sum(n for op, n in ops.items() if op in MATMUL_OPS)
