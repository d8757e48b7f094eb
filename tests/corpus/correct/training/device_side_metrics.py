"""train_ch6 and evaluate_accuracy_gpu with the loss and accuracy sums kept on the device and no per-batch .item() (the reference before cnnkit.TrainStep)."""
import time

import torch
from torch import nn

from cnnkit import Timer, progress


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


def init_weights(m: nn.Module) -> None:
    """Xavier-uniform initialisation of linear and convolutional weights, as in the book."""
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def train_ch6(net: nn.Module, train_iter, test_iter, num_epochs: int, lr: float, device) -> dict:
    """Train ``net`` with SGD and cross-entropy on ``device``; return the per-epoch history."""
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}")
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_acc": [], "examples_per_sec": 0.0}
    timer, seen = Timer(), 0
    for epoch in range(num_epochs):
        net.train()
        # Sums stay on the device so the inner loop never waits for the GPU.
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        n = 0
        timer.start()
        bar = progress(train_iter, f"epoch {epoch + 1}/{num_epochs}", total=len(train_iter))
        for i, (X, y) in enumerate(bar):
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += l * y.numel()
                correct += (y_hat.argmax(dim=1) == y).sum()
            n += y.numel()
            if not bar.disable and i % 20 == 0:  # read the sums back only while someone watches
                bar.set_postfix(loss=f"{loss_sum.item() / n:.3f}", acc=f"{correct.item() / n:.3f}",
                                ex_s=f"{n / (time.perf_counter() - timer.tik):.0f}")
        if n == 0:
            raise ValueError("train_iter yielded no examples")
        history["train_loss"].append(loss_sum.item() / n)
        history["train_acc"].append(correct.item() / n)
        timer.stop()
        seen += n
        history["test_acc"].append(evaluate_accuracy_gpu(net, test_iter, device))
    history["examples_per_sec"] = seen / timer.sum()
    print(f"loss {history['train_loss'][-1]:.3f}, train acc {history['train_acc'][-1]:.3f}, "
          f"test acc {history['test_acc'][-1]:.3f}")
    print(f"{history['examples_per_sec']:.1f} examples/sec on {device}")
    return history
