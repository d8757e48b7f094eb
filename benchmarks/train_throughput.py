"""Benchmark: the book's Fashion-MNIST training pipeline against this kit's, same model and epochs.

The book's pipeline (d2l 3.5 + 6.6, reimplemented from its published description, without the
``d2l`` package): torchvision ``FashionMNIST`` with ``ToTensor``, a ``DataLoader`` with 4 worker
processes, and ``train_ch6``'s loop, which reads the loss and accuracy back after every batch.
The kit's: the whole data set as one uint8 tensor (``cnnkit.TensorBatches``) and a ``train_ch6``:
the plain reference ``solutions.training`` (default), or with ``--trainer fastloop`` the fast
engine's. Both are timed wall-clock from the first batch to the last evaluation; the book's own
timer covers the inner loop only.

    python benchmarks/train_throughput.py [--trainer reference|fastloop] [--epochs 10] [--device cuda]
                                          [--lr 0.9] [--batch-size 256] [--repeat N] [--skip-book]
                                          [--json OUT]

Both start after a warm-up step on the device (CUDA context, cuDNN and cuBLAS loaded), so neither
pays for the device's start-up; fastloop's time includes its CUDA-graph captures and warm-up steps.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib
import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch
import torchvision
from torch import nn
from torch.utils import data
from torchvision import transforms

import cnnkit
from solutions.lenet import lenet
from solutions.training import init_weights

#: ``--trainer`` -> the module whose ``train_ch6`` the kit's pipeline runs.
TRAINERS = {"reference": "solutions.training", "fastloop": "fastloop"}


def unpack_for_torchvision(source: Path, root: Path) -> None:
    """torchvision reads decompressed files from ``root/FashionMNIST/raw``; the source stays untouched."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in source.glob("*-ubyte.gz"):
        with gzip.open(gz) as src, open(raw / gz.name.removesuffix(".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)


def book_loaders(root: Path, batch_size: int):
    trans = transforms.ToTensor()
    train = torchvision.datasets.FashionMNIST(root=root, train=True, transform=trans, download=False)
    test = torchvision.datasets.FashionMNIST(root=root, train=False, transform=trans, download=False)
    return (
        data.DataLoader(train, batch_size, shuffle=True, num_workers=4),
        data.DataLoader(test, batch_size, shuffle=False, num_workers=4),
    )


def book_evaluate_accuracy_gpu(net, data_iter, device) -> float:
    """The book's evaluation: the number of correct predictions read back after every batch."""
    net.eval()
    metric = cnnkit.Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add(cnnkit.accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def book_train_ch6(net, train_iter, test_iter, num_epochs, lr, device) -> float:
    """The book's loop: per-batch metric read-back (``float(...)``, as d2l's ``Accumulator`` does),
    evaluation after each epoch."""
    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    test_acc = 0.0
    for _ in range(num_epochs):
        metric = cnnkit.Accumulator(3)
        net.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(float(l) * X.shape[0], cnnkit.accuracy(y_hat, y), X.shape[0])
        test_acc = book_evaluate_accuracy_gpu(net, test_iter, device)
    return test_acc


def timed(function, *args) -> tuple[float, float]:
    start = time.perf_counter()
    result = function(*args)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def warm_up(device: torch.device) -> None:
    """Start the device's libraries (CUDA context, cuDNN, cuBLAS) before any timing, for both pipelines."""
    net = lenet().to(device)
    loss = nn.CrossEntropyLoss()(
        net(torch.rand(256, 1, 28, 28, device=device)), torch.zeros(256, dtype=torch.long, device=device)
    )
    loss.backward()
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    """The training budget (the book's by default), device and seed."""
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.9)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default=str(cnnkit.try_gpu()))
    parser.add_argument("--seed", type=int, default=0)


def train_kit(args: argparse.Namespace, device: torch.device, trainer: str = "reference") -> tuple[dict, float]:
    """The kit's pipeline (data on the device, ``trainer``'s ``train_ch6``), output silenced: its
    history and wall-clock seconds."""
    train_ch6 = importlib.import_module(TRAINERS[trainer]).train_ch6
    torch.manual_seed(args.seed)
    train_iter, test_iter = cnnkit.load_data_fashion_mnist(args.batch_size, seed=args.seed, device=device)
    with contextlib.redirect_stdout(io.StringIO()):
        return timed(train_ch6, lenet(), train_iter, test_iter, args.epochs, args.lr, device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_budget_arguments(parser)
    parser.add_argument(
        "--trainer",
        choices=TRAINERS,
        default="reference",
        help="the kit's train_ch6: the plain reference (default) or the fast engine",
    )
    parser.add_argument("--repeat", type=int, default=1, help="time the kit's pipeline this many times")
    parser.add_argument("--skip-book", action="store_true", help="time only the kit's pipeline")
    parser.add_argument("--json", metavar="OUT", help="also write the figures to OUT")
    args = parser.parse_args()
    device = torch.device(args.device)
    source = cnnkit.find_fashion_mnist(download=False)
    examples = 60000 * args.epochs
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(
        f"device: {device} ({name}); torch {torch.__version__}; {args.epochs} epochs, lr {args.lr}, "
        f"batch {args.batch_size}; kit's train_ch6: {TRAINERS[args.trainer]}"
    )
    figures = {
        "device": name,
        "torch": torch.__version__,
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "trainer": args.trainer,
        "kit": [],
    }
    warm_up(device)

    for run in range(args.repeat):
        history, seconds = train_kit(args, device, args.trainer)
        figures["kit"].append(
            {
                "examples_per_sec": examples / seconds,
                "seconds": seconds,
                "test_acc": history["test_acc"][-1],
                "own_timer_examples_per_sec": history["examples_per_sec"],
            }
        )
        print(
            f"kit : {examples / seconds:12,.0f} examples/s wall-clock ({seconds:.2f} s, data on the device "
            f"included), test acc {history['test_acc'][-1]:.3f}; own timer (training loop only) "
            f"{history['examples_per_sec']:,.0f}"
        )
    kit_rate = max(r["examples_per_sec"] for r in figures["kit"])
    if not args.skip_book:
        with tempfile.TemporaryDirectory() as root:
            unpack_for_torchvision(source, Path(root))
            torch.manual_seed(args.seed)
            book_train, book_test = book_loaders(Path(root), args.batch_size)
            book_acc, book_seconds = timed(book_train_ch6, lenet(), book_train, book_test, args.epochs, args.lr, device)
        book_rate = examples / book_seconds
        figures["book"] = {"examples_per_sec": book_rate, "seconds": book_seconds, "test_acc": book_acc}
        figures["speed_up"] = kit_rate / book_rate
        print(f"book: {book_rate:12,.0f} examples/s wall-clock ({book_seconds:.1f} s), test acc {book_acc:.3f}")
        print(f"speed-up: {kit_rate / book_rate:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
