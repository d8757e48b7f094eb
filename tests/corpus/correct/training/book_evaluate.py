"""evaluate_accuracy_gpu exactly as printed in the book (Accumulator + accuracy, `if not device`), plus the required ValueError; train_ch6 as the reference."""
import torch
from torch import nn

from cnnkit import Accumulator, Timer, accuracy


def evaluate_accuracy_gpu(net, data_iter, device=None):
    if isinstance(net, nn.Module):
        net.eval()
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                X = [x.to(device) for x in X]
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    if not metric[1]:
        raise ValueError("no examples to evaluate")
    return metric[0] / metric[1]


def init_weights(m):
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_acc": [], "examples_per_sec": 0.0}
    timer, seen = Timer(), 0
    for _ in range(num_epochs):
        net.train()
        metric = Accumulator(3)
        timer.start()
        for X, y in train_iter:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            metric.add(float(l) * y.numel(), accuracy(y_hat, y), y.numel())
        timer.stop()
        seen += metric[2]
        history["train_loss"].append(metric[0] / metric[2])
        history["train_acc"].append(metric[1] / metric[2])
        history["test_acc"].append(evaluate_accuracy_gpu(net, test_iter, device))
    history["examples_per_sec"] = seen / timer.sum()
    return history
