"""lenet built from named blocks of layers; shape_trace with forward hooks on the top-level children and ONE forward pass of the whole net."""
import torch
from torch import nn


def lenet():
    conv_block1 = [nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2)]
    conv_block2 = [nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2)]
    dense = [nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10)]
    return nn.Sequential(*conv_block1, *conv_block2, *dense)


def shape_trace(net, input_shape):
    trace = []

    def record(module, inputs, output):
        trace.append((type(module).__name__, tuple(output.shape)))

    handles = [child.register_forward_hook(record) for child in net.children()]
    try:
        param = next(net.parameters(), None)
        X = torch.rand(*input_shape, dtype=param.dtype if param is not None else torch.get_default_dtype())
        with torch.no_grad():
            net(X)
    finally:
        for handle in handles:
            handle.remove()
    return trace
