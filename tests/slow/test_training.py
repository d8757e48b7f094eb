"""The reference ``train_ch6`` (the book's plain loop) and ``evaluate_accuracy_gpu``, the progress
bar and the training-curve figure, the learning-rate check, the calibrated accuracy thresholds,
and, on a GPU machine, the reference and the grader's training check with ``--device cuda``. The
GPU tests skip where PyTorch sees no CUDA device; ``tests/fastloop/`` tests the fast engine."""

from __future__ import annotations

import copy
import io
import time
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnkit
from autograder.checks.training import budgets, observations
from autograder.checks.training import train as checks
from autograder.runner import grade
from autograder.training_budgets import BUDGETS, accuracy_credit
from autograder.worker.runtime import netspec, probes
from solutions.lenet import lenet
from solutions.training import evaluate_accuracy_gpu, init_weights, train_ch6
from tests.lenet_batches import batches, fresh_net

ROOT = Path(__file__).resolve().parents[2]

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def book_loop(net: nn.Module, data, held_out, num_epochs: int, lr: float) -> dict:
    """The book's train_ch6, written out with a float read-back per batch: the reference's oracle."""
    net.apply(init_weights)
    optimizer, loss = torch.optim.SGD(net.parameters(), lr=lr), nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for _ in range(num_epochs):
        net.train()
        loss_sum, correct, n = 0.0, 0, 0
        for X, y in data:
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            loss_sum, correct, n = loss_sum + l.item() * len(y), correct + int((y_hat.argmax(1) == y).sum()), n + len(y)
        history["train_loss"].append(loss_sum / n)
        history["train_acc"].append(correct / n)
        net.eval()
        with torch.no_grad():
            right = sum(int((net(X).argmax(1) == y).sum()) for X, y in held_out)
        history["test_acc"].append(right / sum(len(y) for _, y in held_out))
    return history


def assert_same_parameters(a: nn.Module, b: nn.Module, atol: float) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, atol=atol, rtol=1e-4, msg=lambda m: f"{name}: {m}")


class Moved:
    """A batch tensor's stand-in that records the devices it is moved to."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor, self.devices = tensor, []

    def to(self, device):
        self.devices.append(str(device))
        return self.tensor


# -- the reference train_ch6 and evaluate_accuracy_gpu (the plain loop) ------------------------------
def test_reference_trains_exactly_like_the_books_loop(capsys):
    data, held_out = batches("cpu"), batches("cpu", count=2)
    torch.manual_seed(0)
    net = lenet()
    expected_net = copy.deepcopy(net)
    history = train_ch6(net, data, held_out, 2, 0.5, "cpu")
    torch.manual_seed(0)
    lenet()  # the same draws as above, so that init_weights draws the same weights
    expected = book_loop(expected_net, data, held_out, 2, 0.5)
    assert_same_parameters(net, expected_net, atol=1e-5)
    assert history["train_loss"] == pytest.approx(expected["train_loss"], rel=1e-5)
    assert (history["train_acc"], history["test_acc"]) == (expected["train_acc"], expected["test_acc"])
    out = capsys.readouterr().out
    assert "training on cpu" in out and "examples/sec on cpu" in out


def test_reference_history_format_and_rate():
    data = batches("cpu", count=3)
    started = time.perf_counter()
    history = train_ch6(lenet(), data, data[:1], 3, 0.1, torch.device("cpu"))
    seconds = time.perf_counter() - started
    assert set(history) == {"train_loss", "train_acc", "test_acc", "examples_per_sec"}
    for key in ("train_loss", "train_acc", "test_acc"):
        assert len(history[key]) == 3 and all(type(v) is float for v in history[key]), key
    assert all(0 <= v <= 1 for v in history["train_acc"] + history["test_acc"])
    examples = 3 * sum(len(y) for _, y in data)
    assert type(history["examples_per_sec"]) is float
    assert history["examples_per_sec"] >= examples / seconds  # the training time is within the call


def test_reference_moves_the_model_and_every_batch_to_the_device():
    data = [(Moved(X), Moved(y)) for X, y in batches("cpu", count=3)]
    held_out = [(Moved(X), Moved(y)) for X, y in batches("cpu", count=2)]
    net = lenet()
    train_ch6(net, data, held_out, 2, 0.1, "cpu")
    assert all(batch.devices == ["cpu", "cpu"] for pair in data for batch in pair)  # once per epoch
    assert all(batch.devices == ["cpu", "cpu"] for pair in held_out for batch in pair)
    assert {p.device.type for p in net.parameters()} == {"cpu"}


def test_reference_rejects_no_epochs_and_no_batches():
    with pytest.raises(ValueError, match="num_epochs"):
        train_ch6(lenet(), batches("cpu"), batches("cpu"), 0, 0.5, "cpu")
    with pytest.raises(ValueError, match="no examples"):
        train_ch6(lenet(), [], batches("cpu"), 1, 0.5, "cpu")
    with pytest.raises(ValueError, match="no examples"):
        train_ch6(lenet(), batches("cpu"), [], 1, 0.5, "cpu")


def test_evaluate_accuracy_gpu_counts_in_eval_mode_on_the_nets_device():
    data = batches("cpu")
    net = nn.Sequential(fresh_net("cpu"), nn.Dropout(0.9))  # in training mode dropout would change the answers
    net.train()
    moved = [(Moved(X), Moved(y)) for X, y in data]
    accuracy = evaluate_accuracy_gpu(net, moved)
    assert not net.training
    assert all(batch.devices == ["cpu"] for pair in moved for batch in pair)  # device None: the net's
    with torch.no_grad():
        right = sum(int((net(X).argmax(1) == y).sum()) for X, y in data)
    assert type(accuracy) is float and accuracy == right / sum(len(y) for _, y in data)
    assert evaluate_accuracy_gpu(net, data, "cpu") == accuracy
    with pytest.raises(ValueError, match="no examples"):
        evaluate_accuracy_gpu(net, [])


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
    X, y = observations.lr_probe_batch(0)
    return probes.learning_rate(lambda name: train, X, y, list(observations.PROBE_LRS), "cpu", 0)


def lr_response(train) -> tuple[float, float] | None:
    """The learning-rate probe over ``train``, judged as the grader judges it."""
    return observations.lr_response(one_step_runs(train)["states"])


def with_lr(new_lr):
    """The reference train_ch6, training with ``new_lr(lr)`` instead of ``lr``."""
    return lambda net, train_iter, test_iter, num_epochs, lr, device: train_ch6(
        net, train_iter, test_iter, num_epochs, new_lr(lr), device
    )


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
    assert factor == pytest.approx(observations.LR_STEP_RATIO, rel=1e-3)
    assert deviation < checks.LR_SCALING_TOLERANCE / 10


def test_one_step_runs_give_back_the_initial_weights_and_the_reported_loss():
    seen = one_step_runs(train_ch6)
    torch.manual_seed(0)  # as the probe builds the net, and as the reference then initialises it
    net = netspec.build(netspec.LENET)
    net.apply(init_weights)
    recovered = observations.initial_state(seen["states"])
    for key, value in net.state_dict().items():
        torch.testing.assert_close(recovered[key], value, atol=1e-6, rtol=0, msg=key)
    reported = seen["histories"][0]["train_loss"]
    assert observations.mean_loss(recovered, *observations.lr_probe_batch(0)) == pytest.approx(reported[0], rel=1e-5)


def test_lr_check_catches_a_fixed_or_squared_lr():
    assert lr_response(with_lr(lambda lr: 0.9)) is None  # every run took the same step
    factor, deviation = lr_response(with_lr(lambda lr: lr * lr))
    assert factor == pytest.approx(4, rel=1e-2) and deviation > checks.LR_SCALING_TOLERANCE


# -- calibrated thresholds --------------------------------------------------------------------------
#: How far below the lowest calibrated accuracy a threshold must sit (a correct submission that
#: draws its random numbers in another order behaves like another seed).
MARGIN = 0.03
TRAINING_FIELDS = ("train_images", "held_out_images", "batch_size", "epochs", "lr")


@pytest.mark.parametrize("name", [name for name, b in BUDGETS.items() if b.threshold is not None])
def test_threshold_sits_below_every_calibrated_accuracy(name):
    budget = BUDGETS[name]
    runs = {key: run for key, run in budgets.load_calibration().items() if key.startswith(f"{name}/")}
    assert runs, f"no calibration of the {name!r} budget in {budgets.CALIBRATION_FILE.name}"
    for key, run in runs.items():
        trained_with = {k: run["budget"][k] for k in TRAINING_FIELDS}
        assert trained_with == {k: getattr(budget, k) for k in TRAINING_FIELDS}, f"{key}: measured with another budget"
        accuracies = list(run["accuracy"].values())
        assert len(accuracies) >= 10, f"{key}: {len(accuracies)} seeds, at least 10 are needed"
        assert budget.threshold <= min(accuracies) - MARGIN, (key, min(accuracies))
    assert budget.threshold >= 0.3  # far above chance (0.10): a network that did not learn fails


def recorded(prefix: str) -> dict[str, float]:
    """Every recorded accuracy of the calibrations whose key starts with ``prefix``, by ``key/seed``."""
    runs = {key: run for key, run in budgets.load_calibration().items() if key.startswith(prefix)}
    return {f"{key}/{seed}": value for key, run in runs.items() for seed, value in run["accuracy"].items()}


@pytest.mark.parametrize("name", [name for name, b in BUDGETS.items() if b.threshold is not None])
def test_every_recorded_reference_seed_earns_full_marks(name):
    accuracies = recorded(f"{name}/")
    assert accuracies, f"no calibration of the {name!r} budget"
    short = {seed: value for seed, value in accuracies.items() if accuracy_credit(value, BUDGETS[name]) < 1}
    assert not short, f"reference seeds below full marks: {short}"


@pytest.mark.parametrize("name", [name for name, b in BUDGETS.items() if b.threshold is not None])
def test_floor_sits_above_every_network_that_did_not_learn(name):
    """The band's zero end: the small budget's networks never leave the plateau (its calibration
    measures them), and a network there earns nothing; the band rises from it to the threshold."""
    budget, plateau = BUDGETS[name], recorded("small/")
    assert len(plateau) >= 10, f"{len(plateau)} networks that did not learn recorded, at least 10 are needed"
    assert budget.floor >= max(plateau.values()) + MARGIN, (budget.floor, max(plateau.values()))
    assert budget.floor < budget.threshold
    assert accuracy_credit(max(plateau.values()), budget) == 0
    middle = (budget.floor + budget.threshold) / 2
    assert accuracy_credit(middle, budget) == pytest.approx(0.5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine whose workers can use CUDA")
def test_without_cuda_no_training_check_blames_the_student():
    """``--device cuda`` where the workers cannot use CUDA is the grading machine's problem: every
    check that needs the device says so (reason ``environment``), none fails the reference."""
    report = grade(ROOT / "solutions", exercises=["training"], device="cuda", training_budget="small").to_dict()
    checks = report["exercises"][0]["checks"]
    assert {(c["status"], c["reason"]) for c in checks if c["status"] != "passed"} == {("error", "environment")}
    assert {c["name"] for c in checks if c["reason"] == "environment"} >= {
        "evaluate_accuracy",
        "evaluate_accuracy_moves_batches",
        "reaches_accuracy",
    }


# -- on a GPU ---------------------------------------------------------------------------------------
@needs_cuda
@pytest.mark.needs_data
def test_reference_train_ch6_on_the_gpu_reaches_the_books_accuracy(capsys):
    train_iter, test_iter = cnnkit.load_data_fashion_mnist(256, seed=0, device="cuda")
    net = lenet()
    history = train_ch6(net, train_iter, test_iter, 10, 0.9, torch.device("cuda"))
    assert {p.device.type for p in net.parameters()} == {"cuda"}
    assert len(history["test_acc"]) == 10
    assert history["test_acc"][-1] >= BUDGETS["book"].threshold
    assert "training on cuda" in capsys.readouterr().out


@needs_cuda
@pytest.mark.needs_data
@pytest.mark.parametrize("budget", ["standard", "book"])
def test_grader_trains_the_reference_on_the_gpu(budget):
    report = grade(ROOT / "solutions", exercises=["training"], device="cuda", training_budget=budget)
    data = report.to_dict()
    assert data["device"] == "cuda" and data["training_budget"] == budget
    failed = [(c["name"], c["message"]) for e in data["exercises"] for c in e["checks"] if c["status"] != "passed"]
    assert failed == [] and data["score"] == data["max_score"] > 0
