"""Fashion-MNIST for the CNN chapter: find it, verify it, and serve it in batches.

d2l's ``load_data_fashion_mnist`` downloads the data with torchvision and
decodes every image through PIL in ``DataLoader`` workers. Here:

* the four official IDX ``.gz`` files are *looked for* on disk first (see
  :func:`find_fashion_mnist`), so no internet is needed;
* they are read with ``gzip`` + ``numpy`` (well under a second) and verified
  against the official md5 sums, so a damaged copy is reported instead of
  silently training on garbage; nothing is ever written next to them (the
  shared course folder is read-only);
* a split is kept as one uint8 tensor and cut into batches by
  :class:`TensorBatches`: no worker processes, deterministic shuffling, and
  the whole split can sit on the GPU.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .datafiles import CHECKSUMS, SPLIT_FILES, DatasetNotFoundError, PathLike, data_file, find_fashion_mnist

__all__ = [
    "DatasetNotFoundError",
    "DatasetChecksumError",
    "TensorBatches",
    "find_fashion_mnist",
    "read_fashion_mnist",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
]

#: d2l's text labels, indexed by class number.
TEXT_LABELS: tuple[str, ...] = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)

Device = str | torch.device | None
Size = int | tuple[int, int] | None


class DatasetChecksumError(ValueError):
    """A Fashion-MNIST file is damaged or is not the official one."""


# ----------------------------------------------------------------------------- reading


def _parse_idx(data: bytes, magic: int, source: Path) -> np.ndarray:
    """Decode an IDX file: big-endian uint32 magic (0x08 = uint8 in byte 2, ndim in byte 3),
    one big-endian uint32 per dimension, then the uint8 payload."""
    got_magic = int.from_bytes(data[:4], "big")
    if got_magic != magic:
        raise DatasetChecksumError(f"{source}: IDX magic number is {got_magic}, expected {magic}")
    ndim = magic & 0xFF
    offset = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(data) - offset != math.prod(dims) or (ndim == 3 and dims[1:] != (28, 28)):
        raise DatasetChecksumError(f"{source}: IDX dimensions {dims} do not fit a {len(data)}-byte file")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)  # read-only view


@functools.lru_cache(maxsize=8)
def _load_idx_cached(path: Path, mtime_ns: int, size: int) -> np.ndarray:
    """Read, verify and decode one file. Cached per process; the file's mtime and
    size are part of the key so a replaced file is read again."""
    name = path.name.removesuffix(".gz")
    expected_size, expected_md5 = CHECKSUMS[name]
    raw = path.read_bytes()
    try:
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetChecksumError(f"{path}: cannot be decompressed ({exc}); replace the file") from None
    got_md5 = hashlib.md5(data).hexdigest()
    if len(data) != expected_size or got_md5 != expected_md5:
        raise DatasetChecksumError(
            f"{path}: checksum mismatch for {name}: expected {expected_size} bytes with md5 "
            f"{expected_md5}, got {len(data)} bytes with md5 {got_md5}. The file is damaged "
            "or not the official Fashion-MNIST; replace it (see datasets/README.md)."
        )
    return _parse_idx(data, 2051 if "images" in name else 2049, path)


def _load_idx(path: Path) -> np.ndarray:
    stat = path.stat()
    return _load_idx_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


def read_fashion_mnist(
    train: bool = True, root: PathLike | None = None, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return one split as (images, labels): uint8 ``(N, 28, 28)`` and int64 ``(N,)``.

    ``train=True`` gives the 60,000 training examples, ``False`` the 10,000 test
    examples. Files are found by :func:`find_fashion_mnist`, verified by md5 of
    their decompressed contents and cached in memory, so a second call costs
    only a copy. The returned tensors are the caller's own (changing them does
    not change later calls).

    Raises:
        DatasetNotFoundError: see :func:`find_fashion_mnist`.
        DatasetChecksumError: a file is damaged or not the official one.
    """
    folder = find_fashion_mnist(root, download)
    images_name, labels_name = SPLIT_FILES[bool(train)]
    images = _load_idx(data_file(folder, images_name))
    labels = _load_idx(data_file(folder, labels_name))
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def get_fashion_mnist_labels(labels: Iterable[int] | torch.Tensor) -> list[str]:
    """Turn class numbers into d2l's text labels, e.g. ``[0, 9]`` -> ``['t-shirt', 'ankle boot']``."""
    return [TEXT_LABELS[int(i)] for i in labels]


# ----------------------------------------------------------------------------- batching


class TensorBatches:
    """Mini-batches cut from a whole split held in memory as ONE tensor.

    Iterating yields ``(X, y)``: ``X`` float32 ``(B, C, H, W)`` and ``y`` int64
    ``(B,)``, on ``device``. uint8 images are scaled to [0, 1] batch by batch
    (``X / 255``, the same numbers as torchvision's ``ToTensor``); floating-point
    images are used as they are. With ``resize`` each batch is resized
    bilinearly (like torchvision's ``Resize`` on tensors; an int means a square).

    With ``shuffle=True`` every pass uses a new order from ``torch.randperm``
    seeded with ``seed + epoch`` (``epoch`` counts the passes started so far),
    so runs are reproducible and epochs differ. Every example appears exactly
    once per pass; the last batch may be smaller (``len()`` counts it).

    Attributes:
        images: the stored images, ``(N, C, H, W)`` (a ``(N, H, W)`` input gets C = 1).
        labels: the stored labels, int64 ``(N,)``.
        batch_size, shuffle, seed, device, resize, epoch.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        device: Device = None,
        resize: Size = None,
    ) -> None:
        if images.dim() == 3:
            images = images.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
        if images.dim() != 4:
            raise ValueError(f"images must be (N, H, W) or (N, C, H, W), got shape {tuple(images.shape)}")
        if labels.dim() != 1 or len(labels) != len(images):
            raise ValueError(f"labels must be (N,) with N = {len(images)}, got shape {tuple(labels.shape)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.device = torch.device(device) if device is not None else images.device
        self.images = images.to(self.device)  # moved once, not per batch
        self.labels = labels.to(self.device, torch.int64)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.resize = (resize, resize) if isinstance(resize, int) else resize
        self.epoch = 0

    @property
    def num_examples(self) -> int:
        """Number of examples in the split (N)."""
        return len(self.labels)

    def __len__(self) -> int:
        """Number of batches per pass, the last partial one included."""
        return math.ceil(self.num_examples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        # A pass (and its order) starts when its first batch is asked for: an iterator made and
        # dropped unused starts no epoch (tqdm.auto makes one when a bar wraps this iterable).
        order = None
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.num_examples, generator=generator).to(self.device)
        self.epoch += 1
        yield from self._batches(order)

    def _batches(self, order: torch.Tensor | None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        # A shuffled pass gathers the whole split once (one kernel, not one per batch); batches are
        # then views of that copy, so the stored split is never handed out. On a GPU the whole pass
        # is scaled to float at once as well (one kernel per pass instead of one per batch); on a
        # CPU batch by batch, which stays in the cache.
        images, labels = (self.images, self.labels) if order is None else (self.images[order], self.labels[order])
        whole = self.device.type == "cuda" and self.resize is None
        if whole:
            images = self._to_float(images)
        for start in range(0, self.num_examples, self.batch_size):
            X = images[start : start + self.batch_size]
            y = labels[start : start + self.batch_size]
            yield (X if whole else self._to_float(X)), (y.clone() if order is None else y)

    def _to_float(self, X: torch.Tensor) -> torch.Tensor:
        # uint8 / 255 gives float32 in one kernel, the same numbers as X.float().div_(255).
        X = torch.div(X, 255) if X.dtype == torch.uint8 else X.to(torch.float32, copy=True)
        if self.resize is not None:
            X = F.interpolate(X, size=self.resize, mode="bilinear", align_corners=False, antialias=False)
        return X

    def __repr__(self) -> str:
        return (
            f"TensorBatches({self.num_examples} examples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, seed={self.seed}, device={self.device}, resize={self.resize})"
        )


def load_data_fashion_mnist(
    batch_size: int,
    resize: Size = None,
    *,
    root: PathLike | None = None,
    seed: int = 0,
    device: Device = None,
    download: bool = True,
) -> tuple[TensorBatches, TensorBatches]:
    """Return (train_iter, test_iter) like d2l's ``load_data_fashion_mnist(batch_size, resize)``.

    The training batches are shuffled (reproducibly, from ``seed``), the test
    batches are not. ``device`` puts the whole split there once (e.g.
    ``device=try_gpu()``), so batches need no copy during training.
    ``root`` and ``download`` are passed to :func:`find_fashion_mnist`.
    """
    train_images, train_labels = read_fashion_mnist(True, root, download)
    test_images, test_labels = read_fashion_mnist(False, root, download)
    train_iter = TensorBatches(
        train_images, train_labels, batch_size, shuffle=True, seed=seed, device=device, resize=resize
    )
    test_iter = TensorBatches(
        test_images, test_labels, batch_size, shuffle=False, seed=seed, device=device, resize=resize
    )
    return train_iter, test_iter
