"""Messages between the grader (parent) and a worker: JSON plus tensors, never pickle.

A frame is ``[4-byte JSON length][JSON][8-byte blob length][blob]``. The blob, when present, is
``torch.save`` of a dict of plain tensors and is read back with ``torch.load(weights_only=True)``.
Values are encoded as JSON with tags for the few non-JSON kinds the exercises need:
``{"__tensor__": key}``, ``{"__tuple__": [...]}``, ``{"__dict__": [[key, value], ...]}`` and, for
anything else a worker returns, ``{"__object__": type name}`` so the parent can say what came back.

This module is copied into the worker's runtime: it may import only the standard library and torch.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import time
from typing import Any

import torch

MAX_JSON_BYTES = 4 << 20
MAX_BLOB_BYTES = 256 << 20


class ProtocolError(RuntimeError):
    """The other side sent something that is not a well-formed frame."""


class Opaque:
    """Stands for a value the worker could not send (its type name is all the parent learns)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def _plain_tensor(value: torch.Tensor) -> torch.Tensor:
    # clone() gives a compact storage, so a view of a huge tensor does not ship the whole storage.
    return value.detach().clone()


def encode(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Turn ``value`` into JSON-able data, moving tensors into ``tensors``."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        key = str(len(tensors))
        tensors[key] = _plain_tensor(value)
        return {"__tensor__": key}
    if type(value) is torch.Size or type(value) is tuple:
        return {"__tuple__": [encode(v, tensors) for v in value]}
    if type(value) is list:
        return [encode(v, tensors) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": [[k, encode(v, tensors)] for k, v in value.items()]}
    if isinstance(value, torch.device):
        return str(value)
    return {"__object__": f"{type(value).__module__}.{type(value).__qualname__}"}


def decode(data: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`encode`; unknown objects become :class:`Opaque`."""
    if isinstance(data, list):
        return [decode(v, tensors) for v in data]
    if isinstance(data, dict):
        if "__tensor__" in data:
            tensor = tensors.get(str(data["__tensor__"]))
            if type(tensor) is not torch.Tensor:
                raise ProtocolError("frame refers to a tensor it does not carry")
            return tensor
        if "__tuple__" in data:
            return tuple(decode(v, tensors) for v in data["__tuple__"])
        if "__dict__" in data:
            return {str(k): decode(v, tensors) for k, v in data["__dict__"]}
        if "__object__" in data:
            return Opaque(str(data["__object__"]))
        raise ProtocolError(f"unknown tag in frame: {sorted(data)[:3]}")
    return data


def pack(message: dict) -> bytes:
    """Serialise one message (whose values may hold tensors) into a frame."""
    tensors: dict[str, torch.Tensor] = {}
    body = json.dumps(encode(message, tensors)).encode()
    blob = b""
    if tensors:
        buffer = io.BytesIO()
        torch.save(tensors, buffer)
        blob = buffer.getvalue()
    return struct.pack("<I", len(body)) + body + struct.pack("<Q", len(blob)) + blob


def unpack(body: bytes, blob: bytes) -> dict:
    """Parse a frame's two parts; tensors are loaded with ``weights_only=True``."""
    try:
        data = json.loads(body)
        tensors = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu") if blob else {}
        if not isinstance(tensors, dict):
            raise ProtocolError("the tensor part must be a dict")
        message = decode(data, tensors)
    except ProtocolError:
        raise
    except Exception as exc:  # anything malformed is the sender's fault, reported as such
        raise ProtocolError(f"malformed frame: {type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a frame must hold a JSON object")
    return message


def write_frame(fd: int, message: dict) -> None:
    """Write one whole frame to ``fd``."""
    view = memoryview(pack(message))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, timeout: float | None = None) -> dict:
    """Read one frame from ``fd``; raise TimeoutError, EOFError or ProtocolError."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (json_len,) = struct.unpack("<I", _read_exact(fd, 4, deadline))
    if json_len > MAX_JSON_BYTES:
        raise ProtocolError(f"JSON part of {json_len} bytes is over the {MAX_JSON_BYTES} byte limit")
    body = _read_exact(fd, json_len, deadline)
    (blob_len,) = struct.unpack("<Q", _read_exact(fd, 8, deadline))
    if blob_len > MAX_BLOB_BYTES:
        raise ProtocolError(f"tensor part of {blob_len} bytes is over the {MAX_BLOB_BYTES} byte limit")
    return unpack(body, _read_exact(fd, blob_len, deadline))
