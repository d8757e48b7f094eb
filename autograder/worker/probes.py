"""Trusted drivers that run inside the worker and exercise the student's objects.

Classes and training loops cannot cross a process boundary, so these functions build the
objects next to the student's code, drive them and send back plain observations (tensors,
shapes, counts). They hold no expected values: every verdict is reached in the parent.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from . import netspec

Lookup = Callable[[str], Any]


def conv2d_layer(sub: Lookup, kernel_size, X, W, b, G) -> dict:
    """Build ``Conv2D(kernel_size)``, load W and b, run forward on X and backward of sum(Y * G)."""
    layer = sub("conv_layer.Conv2D")(kernel_size)
    params = [[name, tuple(p.shape), p.requires_grad] for name, p in layer.named_parameters()]
    with torch.no_grad():
        layer.weight.copy_(W)
        layer.bias.copy_(b)
    Y = layer(X)
    (Y * G).sum().backward()
    return {"is_module": isinstance(layer, nn.Module), "params": params, "Y": Y,
            "grad_weight": layer.weight.grad, "grad_bias": layer.bias.grad}


def lenet_model(sub: Lookup, X) -> dict:
    """Build the student's ``lenet()`` and return its class, layers, weights and output on X."""
    net = sub("lenet.lenet")()
    out = {"type": type(net).__name__, "is_sequential": isinstance(net, nn.Sequential)}
    if isinstance(net, nn.Module):
        out["layers"] = [type(layer).__name__ for layer in net.children()]
        out["state"] = {k: v.detach() for k, v in net.state_dict().items()}
        net.eval()
        with torch.no_grad():
            out["Y"] = net(X)
    return out


def shape_trace(sub: Lookup, spec: list, input_shape) -> Any:
    """Call the student's ``shape_trace`` on the network a spec describes."""
    torch.manual_seed(0)
    return sub("lenet.shape_trace")(netspec.build(spec), input_shape)


def evaluate_accuracy(sub: Lookup, W, b, batches: list, device) -> Any:
    """Call ``evaluate_accuracy_gpu`` on a linear classifier with the given weights."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(W.shape[1], W.shape[0]))
    with torch.no_grad():
        net[1].weight.copy_(W)
        net[1].bias.copy_(b)
    return sub("training.evaluate_accuracy_gpu")(net, [tuple(batch) for batch in batches], device)


class MoveRecorder:
    """Notes which tensors and modules get ``.to(...)``/``.cuda()`` calls while it is active."""

    def __init__(self) -> None:
        self.tensors: set[int] = set()
        self.modules: set[int] = set()
        self._saved: list[tuple[type, str, Any]] = []

    def _wrap(self, owner: type, name: str) -> None:
        original = getattr(owner, name)
        recorder = self

        def recording(obj, *args, **kwargs):
            (recorder.modules if isinstance(obj, nn.Module) else recorder.tensors).add(id(obj))
            return original(obj, *args, **kwargs)

        self._saved.append((owner, name, original))
        setattr(owner, name, recording)

    def __enter__(self) -> "MoveRecorder":
        for owner in (torch.Tensor, nn.Module):
            for name in ("to", "cuda"):
                self._wrap(owner, name)
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)


class RecordedBatches:
    """A d2l-style iterable that counts the batch tensors the training loop moved to a device.

    A batch is judged when the loop asks for the next one (or ends), while this iterator still
    holds it, so object ids cannot be confused with those of freed tensors.
    """

    def __init__(self, batches, moves: MoveRecorder) -> None:
        self.batches, self.moves = batches, moves
        self.handed_out = self.moved = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for X, y in self.batches:
            yield X, y
            self.handed_out += 2
            self.moved += (id(X) in self.moves.tensors) + (id(y) in self.moves.tensors)
            self.moves.tensors.clear()


def train(sub: Lookup, data_root: str, num_train: int, num_valid: int, batch_size: int,
          num_epochs: int, lr: float, device: str, seed: int) -> dict:
    """Run the student's ``train_ch6`` on a fresh LeNet and real Fashion-MNIST training images.

    The worker gets only training images: ``test_iter`` is a held-out slice of them, so the
    parent's accuracy on the official test set measures what the worker never saw labelled.
    """
    from cnnkit import TensorBatches, read_fashion_mnist

    images, labels = read_fashion_mnist(train=True, root=data_root, download=False)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    train_idx, valid_idx = order[:num_train], order[num_train:num_train + num_valid]
    moves = MoveRecorder()
    train_iter = RecordedBatches(TensorBatches(images[train_idx], labels[train_idx], batch_size,
                                               shuffle=True, seed=seed), moves)
    test_iter = TensorBatches(images[valid_idx], labels[valid_idx], batch_size, shuffle=False)
    torch.manual_seed(seed)
    net = netspec.build(netspec.LENET)
    with moves:
        history = sub("training.train_ch6")(net, train_iter, test_iter, num_epochs, lr, torch.device(device))
        model_moved = id(net) in moves.modules
    return {
        "history": history,
        "state": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "param_devices": sorted({str(p.device) for p in net.parameters()}),
        "model_moved": model_moved,
        "batch_tensors": train_iter.handed_out,
        "batch_tensors_moved": train_iter.moved,
    }
