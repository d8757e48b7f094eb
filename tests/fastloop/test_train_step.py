"""``fastloop``: ``TrainStep`` (a CUDA graph on a GPU), ``DeviceTimer`` and the fast ``train_ch6``,
each against the plain loop of ``solutions/training.py``. The GPU tests skip where PyTorch sees no
CUDA device."""

from __future__ import annotations

import copy
import gc
import time
import warnings

import pytest
import torch
from torch import nn

import cnnkit
import fastloop
from autograder.training_budgets import BUDGETS
from solutions import training as reference
from solutions.lenet import lenet
from solutions.training import evaluate_accuracy_gpu
from tests.lenet_batches import batches, fresh_net

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def plain_loop(net: nn.Module, data, lr: float) -> tuple[float, int]:
    """The book's step, written out: the oracle for TrainStep."""
    optimizer, loss = torch.optim.SGD(net.parameters(), lr=lr), nn.CrossEntropyLoss()
    loss_sum, correct = 0.0, 0
    for X, y in data:
        optimizer.zero_grad()
        y_hat = net(X)
        l = loss(y_hat, y)
        l.backward()
        optimizer.step()
        loss_sum += l.item() * len(y)
        correct += int((y_hat.argmax(1) == y).sum())
    return loss_sum, correct


def stepped(net: nn.Module, data, lr: float, repeats: int = 1, **kwargs) -> fastloop.TrainStep:
    step = fastloop.TrainStep(net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=lr), **kwargs)
    for _ in range(repeats):
        for X, y in data:
            step(X, y)
    return step


def assert_same_parameters(a: nn.Module, b: nn.Module, atol: float) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, atol=atol, rtol=1e-4, msg=lambda m: f"{name}: {m}")


# -- TrainStep on the CPU ---------------------------------------------------------------------------
def test_train_step_trains_exactly_like_the_plain_loop():
    data = batches("cpu")
    expected_net, net = fresh_net("cpu"), fresh_net("cpu")
    loss_sum, correct = plain_loop(expected_net, data, lr=0.5)
    parameters = list(net.parameters())
    step = stepped(net, data, lr=0.5)
    assert list(net.parameters()) == parameters  # the optimizer's tensors, still the net's
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert_same_parameters(net, expected_net, atol=1e-5)
    assert step.n == sum(len(y) for _, y in data)
    assert step.correct.item() == correct
    assert step.read() == pytest.approx((loss_sum / step.n, correct / step.n), rel=1e-5)


def test_train_step_reset_and_read():
    step = stepped(fresh_net("cpu"), batches("cpu", count=2), lr=0.1)
    assert step.n == 88 and step.read()[0] > 0
    step.reset()
    assert (step.n, step.loss_sum.item(), step.correct.item()) == (0, 0.0, 0)
    with pytest.raises(ValueError, match="no examples"):
        step.read()


def test_train_step_accuracy_is_evaluate_accuracy_gpus_number_in_eval_mode():
    data = batches("cpu")
    net = nn.Sequential(lenet(), nn.Dropout(0.5))  # eval mode matters: dropout must be off
    step = stepped(net, data, lr=0.5)
    net.train()
    accuracy = step.accuracy(data)
    assert net.training, "the training mode was not restored"
    assert accuracy == evaluate_accuracy_gpu(net, data)
    with pytest.raises(ValueError, match="no examples"):
        step.accuracy([])


def test_train_step_sums_and_counts_are_kept_copies():
    data = batches("cpu")
    step = stepped(fresh_net("cpu"), data, lr=0.5)
    sums = step.sums()
    expected = step.read()
    correct, total = step.count_correct(data)
    evaluated = evaluate_accuracy_gpu(step.net, data)
    step.reset()
    step(*data[0])
    step.count_correct(data[:1])
    # copies: reset(), later steps and later counts leave them alone
    assert fastloop.read_sums(sums) == expected
    assert (correct.item() / total, total) == (evaluated, sum(len(y) for _, y in data))


def test_device_timer_on_the_cpu_is_the_books_timer():
    timer = fastloop.DeviceTimer("cpu")
    for _ in range(2):
        timer.start()
        sum(range(10_000))
        timer.stop()
    assert len(timer._timer.times) == 2 and timer.sum() == sum(timer._timer.times) > 0


# -- the fast train_ch6 against the reference -------------------------------------------------------
def test_fast_train_ch6_trains_like_the_reference(capsys):
    data, held_out = batches("cpu"), batches("cpu", count=2)
    histories, nets = [], []
    for train in (reference.train_ch6, fastloop.train_ch6):
        torch.manual_seed(0)
        net = lenet()
        histories.append(train(net, data, held_out, 2, 0.5, "cpu"))
        nets.append(net)
    expected, fast = histories
    assert set(fast) == set(expected) == {"train_loss", "train_acc", "test_acc", "examples_per_sec"}
    assert fast["train_loss"] == pytest.approx(expected["train_loss"], rel=1e-5)
    assert (fast["train_acc"], fast["test_acc"]) == (expected["train_acc"], expected["test_acc"])
    assert isinstance(fast["examples_per_sec"], float) and fast["examples_per_sec"] > 0
    assert_same_parameters(nets[1], nets[0], atol=1e-5)
    assert "training on cpu" in capsys.readouterr().out


def test_fast_train_ch6_keeps_the_references_errors():
    with pytest.raises(ValueError, match="num_epochs"):
        fastloop.train_ch6(lenet(), batches("cpu"), batches("cpu"), 0, 0.5, "cpu")
    with pytest.raises(ValueError, match="no examples"):
        fastloop.train_ch6(lenet(), [], batches("cpu"), 1, 0.5, "cpu")
    with pytest.raises(ValueError, match="no examples"):
        fastloop.evaluate_accuracy_gpu(lenet(), [])
    assert fastloop.evaluate_accuracy_gpu(fresh_net("cpu"), batches("cpu")) == evaluate_accuracy_gpu(
        fresh_net("cpu"), batches("cpu")
    )


# -- on a GPU ---------------------------------------------------------------------------------------
@needs_cuda
def test_device_timer_times_the_gpus_work_not_its_queueing():
    timer = fastloop.DeviceTimer("cuda")
    torch.cuda._sleep(1)  # the context and the kernel's first load, before the clock runs
    torch.cuda.synchronize()
    started = time.perf_counter()
    timer.start()
    torch.cuda._sleep(2**26)  # tens of milliseconds of GPU time, queued in microseconds
    timer.stop()
    queued = time.perf_counter() - started
    assert timer.sum() > max(0.005, 5 * queued)
    with pytest.raises(RuntimeError, match="without a start"):
        timer.stop()


@needs_cuda
def test_cuda_graph_step_matches_the_eager_step():
    data = batches("cuda", count=3)
    eager_net, graph_net = fresh_net("cuda"), fresh_net("cuda")
    repeats = fastloop.train_step.WARMUP_STEPS + 2  # the smaller last batch is captured and replayed too
    eager = stepped(eager_net, data, lr=0.5, repeats=repeats, graphs=False)
    graphed = stepped(graph_net, data, lr=0.5, repeats=repeats, graphs=True)
    assert set(graphed._train.captured) == {(X.shape, y.shape) for X, y in data}, "a batch shape was never captured"
    assert_same_parameters(graph_net, eager_net, atol=1e-4)
    assert graphed.correct.item() == eager.correct.item()
    assert graphed.read()[0] == pytest.approx(eager.read()[0], rel=1e-4)


@needs_cuda
def test_graphed_accuracy_matches_evaluate_accuracy_gpu():
    data = batches("cuda", count=8)
    net = fresh_net("cuda")
    step = stepped(net, data, lr=0.5)
    accuracies = [step.accuracy(data) for _ in range(3)]  # warm-up calls, then the captured graph
    assert step._evaluate.captured, "the evaluation was never captured"
    with step._settings():  # the same kernels, run eagerly
        expected = evaluate_accuracy_gpu(net, data)
    assert accuracies == [expected] * 3


class Fussy(nn.Module):
    """A network whose forward reads a value back to the host: it cannot be captured."""

    def __init__(self):
        super().__init__()
        self.net = lenet()

    def forward(self, X):
        return self.net(X) * (1.0 if float(X.mean()) >= 0 else -1.0)


@needs_cuda
def test_a_network_that_cannot_be_captured_trains_eagerly_with_a_warning():
    data = batches("cuda", count=8)
    torch.manual_seed(0)
    expected = Fussy().cuda()
    net = copy.deepcopy(expected)
    stepped(expected, data, lr=0.5, graphs=False)
    with pytest.warns(RuntimeWarning, match="training eagerly"):
        step = stepped(net, data, lr=0.5, graphs=True)
    assert not step._train.captured and step.graphs is False
    assert_same_parameters(net, expected, atol=1e-4)


class DropsAStep(nn.Module):
    """LeNet that, while being captured, lets go of the last reference to a TrainStep whose graphs
    only its own reference cycle keeps alive, then allocates enough for the collector to run."""

    def __init__(self, doomed: fastloop.TrainStep) -> None:
        super().__init__()
        self.net, self.doomed = fresh_net("cuda"), [doomed]

    def forward(self, X):
        if torch.cuda.is_current_stream_capturing():
            self.doomed.clear()
            [[] for _ in range(1000)]
        return self.net(X)


@needs_cuda
def test_a_dead_steps_graphs_are_not_collected_during_a_capture():
    data = batches("cuda", count=5)
    doomed = stepped(fresh_net("cuda"), data, lr=0.5)
    assert doomed._train.captured
    net = DropsAStep(doomed).cuda()
    del doomed
    threshold = gc.get_threshold()
    gc.set_threshold(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a failed capture warns
            step = stepped(net, data, lr=0.5)
    finally:
        gc.set_threshold(*threshold)
    assert step._train.captured and not net.doomed


@needs_cuda
@pytest.mark.needs_data
def test_fast_train_ch6_on_the_gpu_reaches_the_books_accuracy(capsys):
    train_iter, test_iter = cnnkit.load_data_fashion_mnist(256, seed=0, device="cuda")
    net = lenet()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every capture must succeed
        history = fastloop.train_ch6(net, train_iter, test_iter, 10, 0.9, torch.device("cuda"))
    assert {p.device.type for p in net.parameters()} == {"cuda"}
    assert len(history["test_acc"]) == 10
    assert history["test_acc"][-1] >= BUDGETS["book"].threshold
    assert "training on cuda" in capsys.readouterr().out
