"""Networks described as data, so the parent and the worker can build the same model.

A spec is a list of layers, each ``[class name, {keyword arguments}]``; ``["Sequential", {"layers":
[...]}]`` nests; ``["Reuse", {"index": i}]`` puts the very module object of entry ``i`` (an earlier
entry of the same list) in a second place, as a network that shares one activation does. The parent
draws random specs for the ``shape_trace`` checks and sends the LeNet spec for training; the worker
builds them without importing anything of the grader's.
"""

from __future__ import annotations

from torch import nn

LAYERS = {
    cls.__name__: cls
    for cls in (
        nn.Conv2d,
        nn.Linear,
        nn.ReLU,
        nn.Sigmoid,
        nn.Tanh,
        nn.MaxPool2d,
        nn.AvgPool2d,
        nn.AdaptiveAvgPool2d,
        nn.BatchNorm2d,
        nn.Dropout,
        nn.Flatten,
        nn.Identity,
    )
}

LENET = [
    ["Conv2d", {"in_channels": 1, "out_channels": 6, "kernel_size": 5, "padding": 2}],
    ["Sigmoid", {}],
    ["AvgPool2d", {"kernel_size": 2, "stride": 2}],
    ["Conv2d", {"in_channels": 6, "out_channels": 16, "kernel_size": 5}],
    ["Sigmoid", {}],
    ["AvgPool2d", {"kernel_size": 2, "stride": 2}],
    ["Flatten", {}],
    ["Linear", {"in_features": 400, "out_features": 120}],
    ["Sigmoid", {}],
    ["Linear", {"in_features": 120, "out_features": 84}],
    ["Sigmoid", {}],
    ["Linear", {"in_features": 84, "out_features": 10}],
]


def build(spec: list) -> nn.Sequential:
    """Build the ``nn.Sequential`` a spec describes; unknown layer names and bad reuses raise ValueError."""
    layers: list[nn.Module] = []
    for name, kwargs in spec:
        if name == "Sequential":
            layers.append(build(kwargs["layers"]))
        elif name == "Reuse":
            index = kwargs["index"]
            if type(index) is not int or not 0 <= index < len(layers):
                raise ValueError(f"Reuse of entry {index!r} in a network spec: not an earlier entry")
            layers.append(layers[index])
        elif name in LAYERS:
            layers.append(LAYERS[name](**kwargs))
        else:
            raise ValueError(f"unknown layer {name!r} in a network spec")
    return nn.Sequential(*layers)
