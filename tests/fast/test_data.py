"""Tests of cnnkit.data (Fashion-MNIST look-up, verification, batching) and cnnkit.utils."""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import pytest
import torch

import cnnkit
from cnnkit import datafiles
from cnnkit.data import (
    DatasetChecksumError,
    DatasetNotFoundError,
    TensorBatches,
    find_fashion_mnist,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    read_fashion_mnist,
)
from cnnkit.utils import Accumulator, Timer, accuracy, try_gpu

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"  # the course's read-only copy
DATA_ROOT = Path(os.environ.get("CNN_KIT_DATA") or SHARED)
RAW = DATA_ROOT / "FashionMNIST" / "raw"
FILES = list(datafiles.CHECKSUMS)

HAVE_DATA = datafiles._search(DATA_ROOT)[0] == RAW


@pytest.fixture(scope="module")
def raw() -> Path:
    """The folder with the four real .gz files; skips the test when they are absent."""
    if not HAVE_DATA:
        pytest.skip(f"no Fashion-MNIST files in {RAW} (set CNN_KIT_DATA to a folder with FashionMNIST/raw/)")
    return RAW


@pytest.fixture(scope="module")
def real(raw):
    """Both real splits, read once for the whole module (about 0.5 s)."""
    return {train: read_fashion_mnist(train, root=DATA_ROOT, download=False) for train in (True, False)}


# ----------------------------------------------------------------------------- real data


@pytest.mark.needs_data
@pytest.mark.parametrize("train, n", [(True, 60_000), (False, 10_000)])
def test_real_splits(real, train, n):
    images, labels = real[train]
    assert images.shape == (n, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (n,) and labels.dtype == torch.int64
    assert torch.bincount(labels, minlength=10).tolist() == [n // 10] * 10
    assert int(images.min()) == 0 and int(images.max()) == 255


@pytest.mark.needs_data
def test_env_var_finds_shared_copy(monkeypatch, real):
    monkeypatch.setenv("CNN_KIT_DATA", str(DATA_ROOT))
    assert find_fashion_mnist(download=False) == RAW
    images, labels = read_fashion_mnist(False, download=False)
    assert torch.equal(images, real[False][0]) and torch.equal(labels, real[False][1])


@pytest.mark.needs_data
def test_returned_tensors_are_callers_own(real):
    images, labels = read_fashion_mnist(False, root=DATA_ROOT, download=False)
    images.zero_()
    labels.zero_()
    again, _ = read_fashion_mnist(False, root=DATA_ROOT, download=False)
    assert torch.equal(again, real[False][0])


@pytest.mark.needs_data
@pytest.mark.skipif(not datafiles.DEBIAN_DATA_DIR.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_debian_folder_same_contents(real):
    # Debian's .gz headers differ; the decompressed contents (checked by md5) are the same.
    assert find_fashion_mnist(datafiles.DEBIAN_DATA_DIR, download=False) == datafiles.DEBIAN_DATA_DIR
    images, labels = read_fashion_mnist(False, root=datafiles.DEBIAN_DATA_DIR, download=False)
    assert torch.equal(images, real[False][0]) and torch.equal(labels, real[False][1])


@pytest.mark.needs_data
def test_load_data_fashion_mnist(real):
    train_iter, test_iter = load_data_fashion_mnist(256, root=DATA_ROOT, download=False)
    assert (len(train_iter), len(test_iter)) == (math.ceil(60_000 / 256), math.ceil(10_000 / 256))
    assert train_iter.shuffle and not test_iter.shuffle
    X, y = next(iter(test_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal((X * 255).round().to(torch.uint8)[:, 0], real[False][0][:256])
    X, _ = next(iter(load_data_fashion_mnist(8, resize=64, root=DATA_ROOT, download=False)[1]))
    assert X.shape == (8, 1, 64, 64)


# ----------------------------------------------------------------------------- damaged / missing data


def _copy_with(raw: Path, tmp_path: Path, name: str, change) -> Path:
    """A folder like `raw` (links to its files) whose `name` holds change(decompressed bytes), re-gzipped."""
    for f in FILES:
        if f != name:
            os.symlink(raw / f"{f}.gz", tmp_path / f"{f}.gz")
    payload = bytearray(gzip.decompress((raw / f"{name}.gz").read_bytes()))
    (tmp_path / f"{name}.gz").write_bytes(gzip.compress(bytes(change(payload)), compresslevel=1))
    return tmp_path


def _flip_last_byte(b: bytearray) -> bytearray:
    b[-1] ^= 0xFF  # inside the payload (the header is the first 8 or 16 bytes)
    return b


@pytest.mark.needs_data
@pytest.mark.parametrize(
    "train, name, change",
    [
        (False, "t10k-labels-idx1-ubyte", _flip_last_byte),
        (False, "t10k-images-idx3-ubyte", _flip_last_byte),
        (False, "t10k-labels-idx1-ubyte", lambda b: b[:-1]),  # truncated: wrong size
    ],
)
def test_corrupted_copy_raises_checksum_error(raw, tmp_path, train, name, change):
    root = _copy_with(raw, tmp_path, name, change)
    with pytest.raises(DatasetChecksumError, match=name) as info:
        read_fashion_mnist(train, root=root, download=False)
    message = str(info.value)
    assert datafiles.CHECKSUMS[name][1] in message and "got" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.needs_data
def test_not_gzip_raises_checksum_error(raw, tmp_path):
    root = _copy_with(raw, tmp_path, "t10k-labels-idx1-ubyte", lambda b: b)
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"this is not gzip")
    with pytest.raises(DatasetChecksumError, match="t10k-labels-idx1-ubyte"):
        read_fashion_mnist(False, root=root, download=False)


@pytest.fixture
def nothing_anywhere(tmp_path, monkeypatch):
    """No default folders, $CNN_KIT_DATA pointing nowhere: only root= can supply data."""
    monkeypatch.setattr(datafiles, "DEFAULT_CANDIDATES", ())
    monkeypatch.setenv("CNN_KIT_DATA", str(tmp_path / "nowhere"))
    return tmp_path


def test_missing_data_raises_one_clear_error(nothing_anywhere):
    root = nothing_anywhere / "nope"
    with pytest.raises(DatasetNotFoundError) as info:
        read_fashion_mnist(root=root, download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for expected in (
        str(root),
        str(nothing_anywhere / "nowhere"),
        "CNN_KIT_DATA",
        "apt-get install dataset-fashion-mnist",
        "download=False",
        "train-images-idx3-ubyte.gz",
    ):
        assert expected in message
    assert info.value.__cause__ is None


@pytest.mark.needs_data
def test_incomplete_folder_is_reported(raw, nothing_anywhere):
    root = nothing_anywhere / "three"
    (root / "FashionMNIST" / "raw").mkdir(parents=True)
    for f in FILES[:3]:
        os.symlink(raw / f"{f}.gz", root / "FashionMNIST" / "raw" / f"{f}.gz")
    with pytest.raises(DatasetNotFoundError, match=r"incomplete: .* lacks t10k-labels-idx1-ubyte"):
        find_fashion_mnist(root, download=False)


def test_failed_download_ends_in_not_found_error(nothing_anywhere, monkeypatch):
    def offline(target):
        raise OSError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(datafiles, "_download", offline)
    with pytest.raises(DatasetNotFoundError, match="Name or service not known") as info:
        find_fashion_mnist(nothing_anywhere / "nope", download=True)
    assert info.value.__cause__ is None and info.value.__context__ is None  # no urllib traceback chained


# ----------------------------------------------------------------------------- TensorBatches


def _toy(n: int = 10, size: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """n images whose pixels all equal the example's index (so X identifies y)."""
    images = torch.arange(n, dtype=torch.uint8)[:, None, None].expand(n, size, size).clone()
    return images, torch.arange(n)


def _epoch_labels(batches: TensorBatches) -> list[int]:
    return torch.cat([y for _, y in batches]).tolist()


def test_batches_shapes_dtypes_range_and_last_partial_batch():
    images, labels = _toy(10)
    images[0] = 255
    batches = TensorBatches(images, labels, 4)
    assert len(batches) == 3 and batches.num_examples == 10 and batches.batch_size == 4
    assert batches.images.shape == (10, 1, 4, 4) and batches.images.dtype == torch.uint8
    out = list(batches)
    assert [X.shape[0] for X, _ in out] == [4, 4, 2]
    for X, y in out:
        assert X.shape[1:] == (1, 4, 4) and X.dtype == torch.float32 and y.dtype == torch.int64
        assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
        assert torch.equal((X[:, 0, 0, 0] * 255).round().long(), torch.where(y == 0, 255, y))
    assert _epoch_labels(batches) == list(range(10))  # shuffle=False keeps the order


def test_batches_shuffle_is_seeded_and_changes_every_epoch():
    a = TensorBatches(*_toy(100), 16, shuffle=True, seed=3)
    b = TensorBatches(*_toy(100), 16, shuffle=True, seed=3)
    c = TensorBatches(*_toy(100), 16, shuffle=True, seed=4)
    a1, a2, b1, b2 = _epoch_labels(a), _epoch_labels(a), _epoch_labels(b), _epoch_labels(b)
    assert (a1, a2) == (b1, b2)  # same seed, same sequence of orders
    assert a1 != a2  # a new order each epoch
    assert a1 != _epoch_labels(c)  # another seed, another order
    for order in (a1, a2):
        assert sorted(order) == list(range(100))  # every example exactly once
    for X, y in a:
        assert torch.equal((X[:, 0, 0, 0] * 255).round().long(), y)  # images stay with their labels


def test_batches_start_an_epoch_only_when_a_batch_is_asked_for():
    from tqdm.auto import tqdm  # makes an iterator when built and another when looped over

    batches = TensorBatches(*_toy(12), 5, shuffle=True, seed=3)
    iter(batches)
    assert batches.epoch == 0
    first = torch.cat([y for _, y in tqdm(batches, disable=True)]).tolist()
    assert batches.epoch == 1
    assert first == _epoch_labels(TensorBatches(*_toy(12), 5, shuffle=True, seed=3))  # the seed's first order


def test_batches_resize_and_square_int():
    images, labels = _toy(5, size=28)
    X, y = next(iter(TensorBatches(images, labels, 4, resize=32)))
    assert X.shape == (4, 1, 32, 32) and y.shape == (4,)
    assert torch.allclose(X[:, 0, 0, 0] * 255, y.float())  # constant images stay constant
    X, _ = next(iter(TensorBatches(images, labels, 4, resize=(30, 20))))
    assert X.shape == (4, 1, 30, 20)


def test_batches_do_not_alias_the_stored_split():
    images, labels = _toy(6)
    batches = TensorBatches(images, labels, 3)
    for X, y in batches:
        X.zero_()
        y.zero_()
    assert _epoch_labels(batches) == list(range(6))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_on_the_gpu_hold_the_cpus_batches(shuffle):
    images = torch.randint(0, 256, (10, 5, 5), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(10)
    on_cpu = TensorBatches(images, labels, 4, shuffle=shuffle, seed=1)
    on_gpu = TensorBatches(images, labels, 4, shuffle=shuffle, seed=1, device="cuda")
    for (X, y), (X_gpu, y_gpu) in zip(on_cpu, on_gpu, strict=True):
        assert X_gpu.device.type == y_gpu.device.type == "cuda"
        # CUDA divides by a scalar as a multiplication by its reciprocal: at most an ulp apart.
        torch.testing.assert_close(X_gpu.cpu(), X, rtol=2**-22, atol=0)
        assert torch.equal(y, y_gpu.cpu())
        X_gpu.zero_()
        y_gpu.zero_()
    assert torch.equal(on_gpu.images.cpu(), images.unsqueeze(1)) and torch.equal(on_gpu.labels.cpu(), labels)


def test_batches_reject_bad_input():
    images, labels = _toy(6)
    with pytest.raises(ValueError):
        TensorBatches(images, labels[:5], 2)
    with pytest.raises(ValueError):
        TensorBatches(images, labels, 0)


def test_text_labels():
    assert get_fashion_mnist_labels(torch.tensor([0, 9, 6])) == ["t-shirt", "ankle boot", "shirt"]


# ----------------------------------------------------------------------------- cnnkit.utils


def test_accuracy_counts_correct_predictions():
    y = torch.tensor([0, 2, 1])
    y_hat = torch.tensor([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    assert accuracy(y_hat, y) == 2.0
    assert accuracy(torch.tensor([0, 2, 2]), y) == 2.0


def test_accumulator_timer_try_gpu():
    metric = Accumulator(2)
    metric.add(1, torch.tensor(2.5))
    metric.add(2, 0.5)
    assert (metric[0], metric[1]) == (3.0, 3.0)
    metric.reset()
    assert metric.data == [0.0, 0.0]
    timer = Timer()
    first = timer.stop()
    timer.start()
    second = timer.stop()
    assert timer.sum() == pytest.approx(first + second) and timer.avg() == pytest.approx(timer.sum() / 2)
    assert timer.cumsum() == pytest.approx([first, first + second])
    assert try_gpu().type in ("cpu", "cuda") and try_gpu(10_000) == torch.device("cpu")


def test_accumulator_keeps_0d_tensors_summed_until_read():
    metric = Accumulator(3)
    loss = torch.tensor(2.0, requires_grad=True) * 3
    correct = torch.tensor(5)
    metric.add(loss, correct, 8)
    correct += 100  # the caller's tensor changes afterwards: the sum keeps its copy
    metric.add(torch.tensor(1.5), torch.tensor(2), torch.tensor([4]))  # one element, not 0-d: read at once
    assert isinstance(metric.data[0], torch.Tensor) and not metric.data[0].requires_grad
    assert metric.data[1].dtype == torch.int64  # a count stays an integer
    assert metric.data[2] == 12.0 and type(metric.data[2]) is float
    assert (metric[0], metric[1], metric[2]) == (7.5, 7.0, 12.0)
    assert all(type(metric[i]) is float for i in range(3))
    metric.reset()
    assert metric.data == [0.0, 0.0, 0.0]


def test_package_reexports():
    for name in (
        "try_gpu",
        "Timer",
        "Accumulator",
        "accuracy",
        "load_data_fashion_mnist",
        "TensorBatches",
        "read_fashion_mnist",
        "find_fashion_mnist",
        "get_fashion_mnist_labels",
        "DatasetNotFoundError",
        "DatasetChecksumError",
    ):
        assert name in cnnkit.__all__ and hasattr(cnnkit, name)
