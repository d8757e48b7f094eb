"""The worker protocol: JSON and tensors, never pickle; anything else arrives as an opaque name."""

from __future__ import annotations

import io
import json
import pickle
import struct
from pathlib import Path

import pytest
import torch

from autograder.worker.runtime import protocol


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")  # the forged payload's, expected
def test_protocol_never_unpickles_objects(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    buffer = io.BytesIO()
    torch.save({"0": Evil()}, buffer)
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(json.dumps({"value": {"__tensor__": "0"}}).encode(), buffer.getvalue())
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(json.dumps({"value": 1}).encode(), pickle.dumps(Evil()))
    assert not marker.exists()


def test_protocol_round_trip_and_opaque_objects():
    message = {"value": (torch.arange(6.0).reshape(2, 3)[:, 1:], [1, 2.5, "x"], {"k": None}), "other": object()}
    packed = protocol.pack(message)
    (json_len,) = struct.unpack("<I", packed[:4])
    body = packed[4 : 4 + json_len]
    blob = packed[4 + json_len + 8 :]
    back = protocol.unpack(body, blob)
    assert torch.equal(back["value"][0], torch.tensor([[1.0, 2.0], [4.0, 5.0]]))
    assert back["value"][1:] == ([1, 2.5, "x"], {"k": None})
    assert isinstance(back["other"], protocol.Opaque) and back["other"].type_name == "builtins.object"
