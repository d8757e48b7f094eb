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


def _describe(value) -> list:
    """[type name, shape or None, requires_grad or None] of an attribute of the student's layer."""
    if isinstance(value, torch.Tensor):
        return [type(value).__name__, tuple(value.shape), bool(value.requires_grad)]
    return [type(value).__name__, None, None]


def _load(target, source: torch.Tensor) -> bool:
    """Copy ``source`` into the tensor ``target`` (reshaped to its shape when the sizes agree)."""
    if not isinstance(target, torch.Tensor) or target.numel() != source.numel():
        return False
    with torch.no_grad():
        target.copy_(source.reshape(target.shape))
    return True


def conv2d_layer(sub: Lookup, kernel_size, X, W, b, G, run: bool = True, seed: int | None = None) -> dict:
    """Build ``Conv2D(kernel_size)``, load W and b, run forward on X and backward of sum(Y * G).

    Missing or odd attributes do not stop the probe: it reports what it found (``attributes``,
    ``loaded``) and runs as much as it can, so the parent can say exactly what is wrong. With
    ``run=False`` it only builds the layer (after ``torch.manual_seed(seed)`` when a seed is
    given) and reports its parameters and the weight it starts with (``initial_weight``).
    """
    if seed is not None:
        torch.manual_seed(seed)
    layer = sub("conv_layer.Conv2D")(kernel_size)
    params = [[name, tuple(p.shape), p.requires_grad] for name, p in layer.named_parameters()]
    weight, bias = getattr(layer, "weight", None), getattr(layer, "bias", None)
    attributes = {"weight": _describe(weight), "bias": _describe(bias)}
    if not run:
        initial = weight.detach().clone() if isinstance(weight, torch.Tensor) else None
        return {
            "is_module": isinstance(layer, nn.Module),
            "params": params,
            "attributes": attributes,
            "initial_weight": initial,
        }
    loaded = {"weight": _load(weight, W), "bias": _load(bias, b)}
    Y = layer(X)
    if isinstance(Y, torch.Tensor) and Y.shape == G.shape and Y.requires_grad:
        (Y * G).sum().backward()
    grad = lambda p: p.grad if isinstance(p, torch.Tensor) else None  # noqa: E731
    return {
        "is_module": isinstance(layer, nn.Module),
        "params": params,
        "attributes": attributes,
        "loaded": loaded,
        "Y": Y,
        "grad_weight": grad(weight),
        "grad_bias": grad(bias),
    }


def gradients(sub: Lookup, target: str, inputs: list, G) -> dict:
    """Call ``target`` on inputs that require grad, back-propagate sum(Y * G); return Y and the grads."""
    inputs = [x.detach().requires_grad_(True) for x in inputs]
    Y = sub(target)(*inputs)
    (Y * G).sum().backward()
    return {"Y": Y, "grads": [x.grad for x in inputs]}


def seeded_call(sub: Lookup, seed: int, target: str, args: list, kwargs: dict) -> Any:
    """Seed torch's global generator, then call ``target`` (so random initialisations repeat)."""
    torch.manual_seed(seed)
    return sub(target)(*args, **kwargs)


def lenet_model(sub: Lookup, X) -> dict:
    """Build the student's ``lenet()`` and return its class, layers, weights and output on X.

    An exception in the forward pass (e.g. layer sizes that do not fit together) is reported as
    ``forward_error`` so that the structure can still be judged. The layers are the Sequential's
    entries in order (a module placed twice counts twice, as iterating the Sequential runs it);
    the weights come as the ordered state_dict, and the parameters that do not require grad (which
    training would leave as initialised) as ``frozen``. Parameters of lazy layers that no forward
    pass has initialised yet are reported as ``uninitialised`` instead of the count, weights and output.
    """
    net = sub("lenet.lenet")()
    out = {"type": type(net).__name__, "is_sequential": isinstance(net, nn.Sequential)}
    if isinstance(net, nn.Module):
        entries = net if isinstance(net, nn.Sequential) else net.children()  # children() drops repeats
        out["layers"] = [type(layer).__name__ for layer in entries]
        lazy = [name for name, t in [*net.named_parameters(), *net.named_buffers()] if nn.parameter.is_lazy(t)]
        if lazy:
            out["uninitialised"] = lazy
            return out
        out["num_params"] = sum(p.numel() for p in net.parameters())
        out["frozen"] = [name for name, p in net.named_parameters() if not p.requires_grad]
        out["state"] = {k: v.detach() for k, v in net.state_dict().items()}
        net.eval()
        try:
            with torch.no_grad():
                out["Y"] = net(X)
        except Exception as exc:  # reported, judged by the parent
            out["forward_error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
    return out


def shape_trace(sub: Lookup, spec: list, input_shape, training: bool = True) -> dict:
    """Call the student's ``shape_trace`` on the network a spec describes (in training mode or not);
    report its result and what it changed: each parameter whose values,
    dtype, device or requires_grad differ afterwards (or that was added or removed), and the modules
    whose training mode differs. Buffers such as BatchNorm's running statistics may change: the
    book's trace runs the layers in training mode."""
    torch.manual_seed(0)
    net = netspec.build(spec).train(training)
    before = {name: (p.detach().clone(), p.requires_grad) for name, p in net.named_parameters()}
    modes = {name: m.training for name, m in net.named_modules()}
    trace = sub("lenet.shape_trace")(net, input_shape)
    after = dict(net.named_parameters())
    changes: dict[str, list[str]] = {}  # what changed -> where, in the network's order
    for name in [*before, *(name for name in after if name not in before)]:
        if name not in after or name not in before:
            changes.setdefault("removed" if name in before else "added", []).append(name)
            continue
        (old, flag), new = before[name], after[name]
        for what, a, b in (
            ("dtype", str(old.dtype).removeprefix("torch."), str(new.dtype).removeprefix("torch.")),
            ("device", old.device, new.device),
            ("requires_grad", flag, new.requires_grad),
        ):
            if a != b:
                changes.setdefault(f"{what} {a} -> {b}", []).append(name)
        if old.dtype == new.dtype and old.device == new.device and not torch.equal(old, new.detach()):
            changes.setdefault("values", []).append(name)
    for name, module in net.named_modules():
        if name in modes and module.training != modes[name]:
            where = f"net[{name.replace('.', '][')}]" if name else "net"
            changes.setdefault(f"training mode {modes[name]} -> {module.training}", []).append(where)
    changed = [
        f"{what} of {', '.join(where[:3])}" + (f" and {len(where) - 3} more" if len(where) > 3 else "")
        for what, where in changes.items()
    ]
    return {"trace": trace, "changed": changed}


def evaluate_accuracy(sub: Lookup, W, b, batches: list, device, net_device=None) -> dict:
    """Call ``evaluate_accuracy_gpu`` on a linear classifier with the given weights; report what it
    returned, how many of the batches' X and y it moved with ``.to(...)``/``.cuda()``, and how many
    of its forward passes ran in training mode (the classifier is handed over in training mode).

    The classifier sits on ``net_device`` (the CPU by default), the batches on the CPU.
    """
    if any(d is not None and _cuda_missing(d) for d in (device, net_device)):
        return {"cuda_unavailable": True}
    net = nn.Sequential(nn.Flatten(), nn.Linear(W.shape[1], W.shape[0]))
    with torch.no_grad():
        net[1].weight.copy_(W)
        net[1].bias.copy_(b)
    if net_device is not None:
        net.to(net_device)
    modes: list[bool] = []
    # On the layer, not the Sequential: calling net.forward(X) directly still runs its hooks.
    net[1].register_forward_pre_hook(lambda layer, args: modes.append(layer.training))
    moves = MoveRecorder()
    data_iter = RecordedBatches([tuple(batch) for batch in batches], moves)
    with moves:
        value = sub("training.evaluate_accuracy_gpu")(net, data_iter, device)
    return {
        "value": value,
        "x_moved": data_iter.x_moved,
        "y_moved": data_iter.y_moved,
        "forwards": len(modes),
        "forwards_in_training_mode": sum(modes),
    }


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

    Moves are recorded only between handing a batch out and the loop asking for the next one (or
    ending), and the batch is judged while this iterator still holds it: ids of tensors freed
    earlier (e.g. during an evaluation between epochs) cannot be confused with the batch's.
    """

    def __init__(self, batches, moves: MoveRecorder) -> None:
        self.batches, self.moves = batches, moves
        self.handed_out = self.moved = 0
        self.x_moved = self.y_moved = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for X, y in self.batches:
            self.moves.tensors.clear()
            yield X, y
            self.handed_out += 2
            x_moved, y_moved = id(X) in self.moves.tensors, id(y) in self.moves.tensors
            self.x_moved += x_moved
            self.y_moved += y_moved
            self.moved += x_moved + y_moved
            self.moves.tensors.clear()


class CountedBatches:
    """An iterable over ``batches`` that counts the batches it handed out, over all passes."""

    def __init__(self, batches) -> None:
        self.batches, self.handed_out = batches, 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            self.handed_out += 1
            yield batch


def _cuda_missing(device: str) -> bool:
    """Whether training on ``device`` needs CUDA that this worker cannot use: a set-up problem of
    the grading machine, not the student's, which the parent reports as such."""
    return torch.device(device).type == "cuda" and not torch.cuda.is_available()


def _weights(net: nn.Module) -> dict:
    return {k: v.detach().cpu() for k, v in net.state_dict().items()}


def train(
    sub: Lookup,
    data_root: str,
    train_idx: torch.Tensor,
    valid_idx: torch.Tensor,
    batch_size: int,
    num_epochs: int,
    lr: float,
    device: str,
    seed: int,
) -> dict:
    """Run the student's ``train_ch6`` on a fresh LeNet and real Fashion-MNIST training images.

    The worker gets only training images (the parent picks them: ``train_idx`` to train on,
    ``valid_idx`` for ``test_iter``), so the parent's accuracy on the official test set measures
    what the worker never saw labelled.
    """
    from cnnkit import TensorBatches, read_fashion_mnist

    if _cuda_missing(device):
        return {"cuda_unavailable": True}
    images, labels = read_fashion_mnist(train=True, root=data_root, download=False)
    moves = MoveRecorder()
    train_iter = RecordedBatches(
        TensorBatches(images[train_idx], labels[train_idx], batch_size, shuffle=True, seed=seed), moves
    )
    test_iter = CountedBatches(TensorBatches(images[valid_idx], labels[valid_idx], batch_size, shuffle=False))
    torch.manual_seed(seed)
    net = netspec.build(netspec.LENET)
    with moves:
        history = sub("training.train_ch6")(net, train_iter, test_iter, num_epochs, lr, torch.device(device))
        model_moved = id(net) in moves.modules
    return {
        "history": history,
        "state": _weights(net),
        "param_devices": sorted({str(p.device) for p in net.parameters()}),
        "model_moved": model_moved,
        "batch_tensors": train_iter.handed_out,
        "batch_tensors_moved": train_iter.moved,
        "batches": train_iter.handed_out // 2,
        "x_moved": train_iter.x_moved,
        "y_moved": train_iter.y_moved,
        "test_batches": test_iter.handed_out,
    }


def learning_rate(sub: Lookup, X: torch.Tensor, y: torch.Tensor, lrs: list, device: str, seed: int) -> dict:
    """Run the student's ``train_ch6`` for one epoch of the single batch (X, y), once per learning
    rate, each time on a LeNet built after the same ``torch.manual_seed`` (so whatever initialisation
    ``train_ch6`` does repeats too); report the weights each run left and the history it returned.
    The parent judges how far the weights moved with lr, and the loss each history reports."""
    if _cuda_missing(device):
        return {"cuda_unavailable": True}
    batches = [(X, y)]
    states, histories = [], []
    for lr in lrs:
        torch.manual_seed(seed)
        net = netspec.build(netspec.LENET)
        histories.append(sub("training.train_ch6")(net, batches, batches, 1, lr, torch.device(device)))
        states.append(_weights(net))
    return {"states": states, "histories": histories}
