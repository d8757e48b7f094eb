"""The reference ``train_ch6`` and what serves it: ``TrainStep`` (a CUDA graph on a GPU), the
training-curve figure, the calibrated accuracy thresholds, and, on a GPU machine, the grader's
training check with ``--device cuda``. The GPU tests skip where PyTorch sees no CUDA device."""
from __future__ import annotations

import copy
import gc
import io
import time
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnkit
from autograder.checks import training
from autograder.checks.framework import Options
from autograder.worker import netspec, probes
from autograder.runner import grade
from solutions.lenet import lenet
from solutions.training import evaluate_accuracy_gpu, init_weights, train_ch6

ROOT = Path(__file__).resolve().parents[1]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def batches(device: str, count: int = 6, size: int = 64, last: int = 24) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Seeded random batches of Fashion-MNIST's shape; the last one is smaller, as in an epoch."""
    generator = torch.Generator().manual_seed(0)
    sizes = [size] * (count - 1) + [last]
    return [(torch.rand(n, 1, 28, 28, generator=generator).to(device),
             torch.randint(0, 10, (n,), generator=generator).to(device)) for n in sizes]


def fresh_net(device: str) -> nn.Module:
    torch.manual_seed(0)
    net = lenet()
    net.apply(init_weights)
    return net.to(device)


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


def stepped(net: nn.Module, data, lr: float, repeats: int = 1, **kwargs) -> cnnkit.TrainStep:
    step = cnnkit.TrainStep(net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=lr), **kwargs)
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
    assert cnnkit.read_sums(sums) == expected
    assert (correct.item() / total, total) == (evaluated, sum(len(y) for _, y in data))


def test_device_timer_on_the_cpu_is_the_books_timer():
    timer = cnnkit.DeviceTimer("cpu")
    for _ in range(2):
        timer.start()
        sum(range(10_000))
        timer.stop()
    assert len(timer._timer.times) == 2 and timer.sum() == sum(timer._timer.times) > 0


@needs_cuda
def test_device_timer_times_the_gpus_work_not_its_queueing():
    timer = cnnkit.DeviceTimer("cuda")
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


# -- the progress bar and the training-curve figure ---------------------------------------------------
class Passes:
    """Three batches that count the passes started over them; like a DataLoader's, a pass starts
    (its workers would start) as soon as ``iter()`` is called."""

    def __init__(self) -> None:
        self.started = 0

    def __len__(self) -> int:
        return 3

    def __iter__(self):
        self.started += 1
        return iter(range(3))


@pytest.mark.parametrize("enabled", [False, True])
def test_progress_passes_over_its_iterable_once(enabled):
    batches = Passes()
    bar = cnnkit.progress(batches, "epoch 1/1", enabled=enabled)
    assert bar.total == 3 and list(bar) == [0, 1, 2]
    assert batches.started == 1, "the bar started a second pass over the batches"


def test_plot_history_draws_the_books_three_curves(tmp_path):
    history = {"train_loss": [2.3, 1.1, 0.7], "train_acc": [0.1, 0.6, 0.74], "test_acc": [0.2, 0.65, 0.72]}
    figure = cnnkit.plot_history(history, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["train loss", "train acc", "test acc"]
    assert [list(line.get_ydata()) for line in lines] == [history[k] for k in ("train_loss", "train_acc", "test_acc")]
    buffer = io.BytesIO()
    cnnkit.plot_history(history, buffer)
    assert buffer.getvalue()[:4] == b"\x89PNG"


# -- the learning-rate check (training.follows_lr) ----------------------------------------------------
def one_step_runs(train) -> dict:
    """The worker's learning-rate probe over ``train`` (a train_ch6), with the grader's seed 0."""
    X, y = training.lr_probe_batch(0)
    return probes.learning_rate(lambda name: train, X, y, list(training.PROBE_LRS), "cpu", 0)


def lr_response(train) -> tuple[float, float] | None:
    """The learning-rate probe over ``train``, judged as the grader judges it."""
    return training.lr_response(one_step_runs(train)["states"])


def with_lr(new_lr):
    """The reference train_ch6, training with ``new_lr(lr)`` instead of ``lr``."""
    return lambda net, train_iter, test_iter, num_epochs, lr, device: train_ch6(
        net, train_iter, test_iter, num_epochs, new_lr(lr), device)


def adam_train_ch6(net, train_iter, test_iter, num_epochs, lr, device) -> dict:
    """A correct alternative: Adam's first step is lr times a number that does not depend on lr."""
    net.apply(init_weights)
    optimizer = torch.optim.Adam(net.to(device).parameters(), lr=lr)
    for _ in range(num_epochs):
        for X, y in train_iter:
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(X.to(device)), y.to(device)).backward()
            optimizer.step()
    return {}


@pytest.mark.parametrize("train", [train_ch6, adam_train_ch6], ids=["reference", "adam"])
def test_lr_check_accepts_steps_in_proportion_to_lr(train):
    factor, deviation = lr_response(train)
    assert factor == pytest.approx(training.LR_STEP_RATIO, rel=1e-3)
    assert deviation < training.LR_SCALING_TOLERANCE / 10


def test_one_step_runs_give_back_the_initial_weights_and_the_reported_loss():
    seen = one_step_runs(train_ch6)
    torch.manual_seed(0)  # as the probe builds the net, and as the reference then initialises it
    net = netspec.build(netspec.LENET)
    net.apply(init_weights)
    recovered = training.initial_state(seen["states"])
    for key, value in net.state_dict().items():
        torch.testing.assert_close(recovered[key], value, atol=1e-6, rtol=0, msg=key)
    reported = seen["histories"][0]["train_loss"]
    assert training.mean_loss(recovered, *training.lr_probe_batch(0)) == pytest.approx(reported[0], rel=1e-5)


def test_lr_check_catches_a_fixed_or_squared_lr():
    assert lr_response(with_lr(lambda lr: 0.9)) is None  # every run took the same step
    factor, deviation = lr_response(with_lr(lambda lr: lr * lr))
    assert factor == pytest.approx(4, rel=1e-2) and deviation > training.LR_SCALING_TOLERANCE


# -- calibrated thresholds --------------------------------------------------------------------------
#: How far below the lowest calibrated accuracy a threshold must sit (a correct submission that
#: draws its random numbers in another order behaves like another seed).
MARGIN = 0.03
TRAINING_FIELDS = ("train_images", "held_out_images", "batch_size", "epochs", "lr")


@pytest.mark.parametrize("name", [name for name, b in training.BUDGETS.items() if b.threshold is not None])
def test_threshold_sits_below_every_calibrated_accuracy(name):
    budget = training.BUDGETS[name]
    runs = {key: run for key, run in training.load_calibration().items() if key.startswith(f"{name}/")}
    assert runs, f"no calibration of the {name!r} budget in {training.CALIBRATION_FILE.name}"
    for key, run in runs.items():
        trained_with = {k: run["budget"][k] for k in TRAINING_FIELDS}
        assert trained_with == {k: getattr(budget, k) for k in TRAINING_FIELDS}, f"{key}: measured with another budget"
        accuracies = list(run["accuracy"].values())
        assert len(accuracies) >= 10, f"{key}: {len(accuracies)} seeds, at least 10 are needed"
        assert budget.threshold <= min(accuracies) - MARGIN, (key, min(accuracies))
    assert budget.threshold >= 0.3  # far above chance (0.10): a network that did not learn fails


# -- on a GPU ---------------------------------------------------------------------------------------
@needs_cuda
def test_cuda_graph_step_matches_the_eager_step():
    data = batches("cuda", count=3)
    eager_net, graph_net = fresh_net("cuda"), fresh_net("cuda")
    repeats = cnnkit.train_step.WARMUP_STEPS + 2  # the smaller last batch is captured and replayed too
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

    def __init__(self, doomed: cnnkit.TrainStep) -> None:
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
def test_reference_train_ch6_on_the_gpu_reaches_the_books_accuracy(capsys):
    train_iter, test_iter = cnnkit.load_data_fashion_mnist(256, seed=0, device="cuda")
    net = lenet()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # capture must succeed for the reference
        history = train_ch6(net, train_iter, test_iter, 10, 0.9, torch.device("cuda"))
    assert {p.device.type for p in net.parameters()} == {"cuda"}
    assert len(history["test_acc"]) == 10
    assert history["test_acc"][-1] >= training.BUDGETS["book"].threshold
    assert "training on cuda" in capsys.readouterr().out


@needs_cuda
@pytest.mark.needs_data
@pytest.mark.parametrize("budget", ["standard", "book"])
def test_grader_trains_the_reference_on_the_gpu(budget):
    report = grade(ROOT / "solutions", only=["training"], options=Options(device="cuda", training_budget=budget))
    data = report.to_dict()
    assert data["device"] == "cuda" and data["training_budget"] == budget
    failed = [(c["name"], c["message"]) for e in data["exercises"] for c in e["checks"] if c["status"] != "passed"]
    assert failed == [] and data["score"] == data["max_score"] > 0
