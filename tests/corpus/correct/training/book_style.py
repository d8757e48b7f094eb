"""train_ch6 and evaluate_accuracy_gpu in the book's style: an Accumulator, d2l's accuracy() and .item() / float() on every batch."""
import torch
from torch import nn

from cnnkit import Accumulator, Timer, accuracy


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Compute the model's accuracy on a data set with a GPU (d2l 6.6.2)."""
    if isinstance(net, nn.Module):
        net.eval()  # evaluation mode
        if not device:
            device = next(iter(net.parameters())).device
    # number of correct predictions, number of predictions
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                X = [x.to(device) for x in X]
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    if metric[1] == 0:
        raise ValueError("data_iter yielded no examples")
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model with a GPU (d2l 6.6.2)."""
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)

    net.apply(init_weights)
    print('training on', device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    timer, num_batches = Timer(), len(train_iter)
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    examples = 0
    for epoch in range(num_epochs):
        # sum of training loss, sum of training accuracy, number of examples
        metric = Accumulator(3)
        net.train()
        for i, (X, y) in enumerate(train_iter):
            timer.start()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l.item() * X.shape[0], accuracy(y_hat, y), X.shape[0])
            timer.stop()
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        history["train_loss"].append(train_l)
        history["train_acc"].append(train_acc)
        history["test_acc"].append(test_acc)
        examples += metric[2]
    history["examples_per_sec"] = examples / timer.sum()
    print(f'loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')
    print(f'{history["examples_per_sec"]:.1f} examples/sec on {str(device)}')
    return history
