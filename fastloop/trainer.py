"""``train_ch6`` and ``evaluate_accuracy_gpu`` with the contract of ``solutions/training.py``,
built on ``TrainStep``: the same training, made fast (see the package's docstring)."""

import time

import torch
from torch import nn

from cnnkit import progress
from solutions.training import init_weights

from .train_step import DeviceTimer, TrainStep, read_sums


def evaluate_accuracy_gpu(net: nn.Module, data_iter, device=None) -> float:
    """Fraction of correct predictions of ``net`` over ``data_iter``, computed on ``device``."""
    if isinstance(net, nn.Module):
        net.eval()
        if device is None:
            device = next(net.parameters(), torch.empty(0)).device
    correct = torch.zeros((), dtype=torch.int64, device=device)
    total = 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += (net(X).argmax(dim=1) == y).sum()
            total += y.numel()
    if total == 0:
        raise ValueError("data_iter yielded no examples")
    return correct.item() / total


def train_ch6(net: nn.Module, train_iter, test_iter, num_epochs: int, lr: float, device) -> dict:
    """Train ``net`` with SGD and cross-entropy on ``device``; return the per-epoch history."""
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}")
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    # One step = zero_grad, forward, loss, backward, update, metric sums (kept on the device, so
    # the loop never waits for the GPU); on a GPU it is replayed as one CUDA graph.
    step = TrainStep(net, loss, optimizer)
    # The book's timer times the training passes; this one never waits for the GPU to do so.
    timer, seen, epochs = DeviceTimer(device), 0, []
    for epoch in range(num_epochs):
        net.train()
        step.reset()
        timer.start()
        started = time.perf_counter()
        bar = progress(train_iter, f"epoch {epoch + 1}/{num_epochs}", total=len(train_iter))
        for i, (X, y) in enumerate(bar):
            X, y = X.to(device), y.to(device)
            step(X, y)
            if not bar.disable and i % 20 == 0:  # read the sums back only while someone watches
                train_loss, train_acc = step.read()
                bar.set_postfix(
                    loss=f"{train_loss:.3f}",
                    acc=f"{train_acc:.3f}",
                    ex_s=f"{step.n / (time.perf_counter() - started):.0f}",
                )
        if step.n == 0:
            raise ValueError("train_iter yielded no examples")
        timer.stop()
        seen += step.n
        # The epoch's sums and evaluate_accuracy_gpu's count stay on the device until training
        # ends, so no epoch waits for the GPU; on a GPU the evaluation is replayed as a CUDA graph.
        epochs.append((step.sums(), step.count_correct(test_iter)))
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for sums, (test_correct, test_total) in epochs:
        train_loss, train_acc = read_sums(sums)
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        history["test_acc"].append(test_correct.item() / test_total)
    history["examples_per_sec"] = seen / timer.sum()
    print(
        f"loss {history['train_loss'][-1]:.3f}, train acc {history['train_acc'][-1]:.3f}, "
        f"test acc {history['test_acc'][-1]:.3f}"
    )
    print(f"{history['examples_per_sec']:.1f} examples/sec on {device}")
    return history
