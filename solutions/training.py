"""Training LeNet on Fashion-MNIST, on a GPU when there is one (d2l 6.6.2).

The book's ``train_ch6`` and ``evaluate_accuracy_gpu``, with two plain changes for speed: the loss
and the correct predictions are summed as tensors on the device (``cnnkit.Accumulator`` keeps 0-d
tensors there), so the loop reads them back once per epoch instead of waiting for the GPU after
every batch; and on a CPU the convolutions' weights are stored channels-last.
"""

import torch
from torch import nn

from cnnkit import Accumulator, Timer, progress


def evaluate_accuracy_gpu(net: nn.Module, data_iter, device=None) -> float:
    """Compute the accuracy of ``net`` on ``data_iter`` with a GPU (d2l 6.6.2)."""
    if isinstance(net, nn.Module):
        net.eval()  # evaluation mode: dropout off, batch norm uses its running statistics
        if device is None:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)  # correct predictions, predictions
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add((net(X).argmax(dim=1) == y).sum(), y.numel())
    if metric[1] == 0:
        raise ValueError("data_iter yielded no examples")
    return metric[0] / metric[1]


def init_weights(m: nn.Module) -> None:
    """Xavier-uniform initialisation of linear and convolutional weights, as in the book."""
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def train_ch6(net: nn.Module, train_iter, test_iter, num_epochs: int, lr: float, device) -> dict:
    """Train a model with a GPU (d2l 6.6.2); return the loss and accuracies of each epoch."""
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}")
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    if torch.device(device).type == "cpu":
        net.to(memory_format=torch.channels_last)  # oneDNN's convolutions run faster on this layout
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    timer = Timer()
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    examples = 0
    for epoch in range(num_epochs):
        metric = Accumulator(3)  # sum of training loss, correct predictions, examples
        net.train()
        timer.start()
        for X, y in progress(train_iter, f"epoch {epoch + 1}/{num_epochs}"):
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():  # tensors: summed on the device, read after the epoch
                metric.add(l * y.numel(), (y_hat.argmax(dim=1) == y).sum(), y.numel())
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize(device)  # the GPU has finished the epoch: now stop the clock
        timer.stop()
        if metric[2] == 0:
            raise ValueError("train_iter yielded no examples")
        examples += metric[2]
        history["train_loss"].append(metric[0] / metric[2])
        history["train_acc"].append(metric[1] / metric[2])
        history["test_acc"].append(evaluate_accuracy_gpu(net, test_iter, device))
    history["examples_per_sec"] = examples / timer.sum()
    print(
        f"loss {history['train_loss'][-1]:.3f}, train acc {history['train_acc'][-1]:.3f}, "
        f"test acc {history['test_acc'][-1]:.3f}"
    )
    print(f"{history['examples_per_sec']:.1f} examples/sec on {device}")
    return history
