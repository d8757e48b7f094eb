"""The mutant corpus: wrong code loses points, correct alternatives score full, attacks fail safely,
and the book's own code loses only the points of the rules the statements add.

Every case ``tests/corpus/<category>/<exercise>/<case>`` replaces ONE module of ``solutions/`` (the
module named like the exercise): ``<case>.py`` is the whole module, its docstring says in one line
what it does (hostile cases add an ``Expect:`` paragraph); ``<case>.toml`` is a small change of
another module, ``base`` (a path from the repository root, e.g. a correct case or a reference
solution): its ``[[edit]]`` tables replace ``old`` by
``new`` text (each ``old`` occurring exactly once) and its one-line ``summary`` replaces the base's
one-line docstring. For each file a submission is built (a copy of
``solutions/`` with that module replaced) and graded with ``grade(only=[exercise])``:

* ``wrong``: the exercise's score is below its maximum, and the checks named in ``CAUGHT_BY`` do
  not pass (a case without an entry must still lose points, each failed check with a message);
* ``correct``: full score;
* ``hostile``: graded together with a companion exercise that does not load the replaced module,
  with a 3 s call timeout (unless ``ATTACKS`` says otherwise). Every check of the attacked
  exercise fails except those ``ATTACKS`` allows (the rule checks ``no_builtin``/``speed`` judge
  *how* a result is computed, not its value, so they may pass for a fast function returning
  garbage; some cases attack one function only), the companion scores full, the report is
  complete, and no ``/tmp/pwned-*`` file appears;
* ``book`` (``tests/corpus/book/<exercise>.py``, one module per exercise the chapter gives code for):
  the chapter's code as a student pastes it into the exercise API. The book modules form ONE
  submission (the book's channels and Conv2D use the book's corr2d); each exercise fails exactly
  the checks of ``BOOK_LOSES``, every one a rule check, and scores ``BOOK_SCORES``.

Cases in ``SHORT_BUDGETS`` are graded alone under short time budgets: grading must end within them
(give or take ``BUDGET_GRACE`` for starting and killing workers) with a complete report.

Every report must validate against ``autograder/report/schema.json`` and list every check of every
requested exercise with a status. Cases of an exercise whose check module does not exist are
skipped; training cases (they train LeNet on the real Fashion-MNIST: set ``CNN_KIT_DATA``) are
marked ``slow`` and skipped when the data set is missing.

Speed: one grading run costs 3-10 s (every worker imports torch), a training run ~30 s of CPU. So
the selected cases are graded up front by a module-scoped fixture, two runs at a time, and the
tests read the cached reports. Wrong and correct cases of exercises that do not import each
other's modules share one submission and one run (e.g. a corr2d case with a lenet case: the
lenet worker never imports corr2d.py), and the runs share their reference workers as grade-all's
threads do (``runner.workers.References``). While the fixture grades, hypothesis does not shrink
counterexamples (a failing property check then costs about a second instead of up to 30 s);
pass/fail are unchanged, only the counterexample in a message may not be minimal.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from autograder.checks import all_checks
from autograder.registry import NAMES as EXERCISE_NAMES
from autograder.report import validate
from autograder.runner import grade
from autograder.runner.results import STATUSES
from autograder.runner.workers import References
from autograder.settings import WorkerConfig

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpus"
REPOSITORY = HERE.parents[1]
SOLUTIONS = REPOSITORY / "solutions"
CATEGORIES = ("wrong", "correct", "hostile")
BOOK = CORPUS / "book"
PWNED = Path("/tmp")
PWNED_PATTERN = "pwned-*"
#: Concurrent gradings (each runs a submission worker and a reference worker).
PARALLEL = 2
#: Hostile cases run with a short call timeout so that an endless loop costs seconds, not minutes.
HOSTILE_CALL_TIMEOUT = 3.0
#: Exercises whose cases train on the real Fashion-MNIST data.
SLOW_EXERCISES = {"training"}
#: Companions for hostile cases, cheapest first (the first that exists and does not load the
#: attacked module is used); its score must stay full.
COMPANIONS = ("lenet", "corr2d", "padding_stride", "theory", "channels", "pooling", "conv_layer")

# --------------------------------------------------------------------------- expectations

#: Checks that must catch a wrong case (each must end failed or error). A wrong case without an
#: entry must still lose points with a message.
CAUGHT_BY: dict[str, set[str]] = {
    # corr2d
    "corr2d/off_by_one_shape": {"book_example", "edge_detector", "matches_builtin", "properties"},
    "corr2d/flipped_kernel": {"book_example", "edge_detector", "matches_builtin", "properties"},
    "corr2d/square_only": {"edge_detector", "matches_builtin", "properties"},
    "corr2d/square_kernel_only": {"edge_detector", "matches_builtin", "properties"},
    "corr2d/mean_reduction": {"book_example", "edge_detector", "matches_builtin", "properties"},
    "corr2d/builtin_F_conv2d": {"no_builtin"},
    "corr2d/builtin_torch_conv2d": {"no_builtin"},
    "corr2d/builtin_aten_convolution": {"no_builtin"},
    "corr2d/slow_per_element": {"speed"},
    "corr2d/not_differentiable": {"differentiable"},
    "corr2d/no_validation": {"rejects_non_2d", "rejects_kernel_larger_than_input"},
    "corr2d/fits_height_only": {"rejects_kernel_larger_than_input"},
    "corr2d/assert_instead": {"rejects_non_2d", "rejects_kernel_larger_than_input"},
    "corr2d/builtin_for_large": {"no_builtin"},
    "corr2d/builtin_for_float64": {"no_builtin"},
    # conv_layer
    "conv_layer/dropped_bias": {"forward", "gradients"},
    "conv_layer/bias_wrong_shape": {"parameters"},
    "conv_layer/weight_not_parameter": {"parameters"},
    "conv_layer/frozen_weights": {"learns_edge_detector", "learns_random_kernel"},
    "conv_layer/no_zero_grad": {"learns_edge_detector", "learns_random_kernel"},
    "conv_layer/gradient_ascent": {"learns_edge_detector", "learns_random_kernel"},
    "conv_layer/ignores_kernel_size": {"learns_random_kernel"},
    "conv_layer/builtin_conv2d_forward": {"forward_uses_corr2d"},
    "conv_layer/ignores_num_epochs": {"learns_random_kernel"},
    "conv_layer/book_nn_conv2d_in_learn": {"learn_kernel_uses_conv2d"},
    "conv_layer/int_kernel_size_not_paired": {"int_kernel_size"},
    "conv_layer/weight_starts_at_zero": {"random_start"},
    "conv_layer/seed_in_init": {"random_start"},
    "conv_layer/no_y_shape_check": {"rejects_wrong_target_shape"},
    "conv_layer/no_dim_checks": {"rejects_non_2d"},
    "conv_layer/epochs_off_by_one": {"learns_random_kernel"},
    "conv_layer/half_squared_loss": {"learns_random_kernel"},
    # padding_stride
    "padding_stride/single_padding_formula": {"book_shapes", "shape_matches_builtin"},
    "padding_stride/ceil_division": {"book_shapes", "shape_matches_builtin"},
    "padding_stride/square_only_shape": {"shape_matches_builtin"},
    "padding_stride/one_side_padding": {"matches_builtin"},
    "padding_stride/pad_order_swapped": {"matches_builtin"},
    "padding_stride/stride_rows_only": {"matches_builtin"},
    "padding_stride/stride_offset": {"matches_builtin"},
    "padding_stride/builtin_F_conv2d": {"no_builtin"},
    "padding_stride/no_argument_validation": {"rejects_out_of_range", "rejects_non_int_arguments"},
    "padding_stride/padding_not_checked": {"rejects_out_of_range"},
    "padding_stride/no_fit_check": {"rejects_kernel_larger_than_padded_input"},
    "padding_stride/float_truncated": {"rejects_non_int_arguments"},
    "padding_stride/returns_list": {"book_shapes", "shape_matches_builtin"},
    "padding_stride/builtin_for_large": {"no_builtin"},
    # channels
    "channels/stack_dim1": {"book_examples", "multi_in_out_matches_builtin"},
    "channels/average_channels": {"book_examples", "multi_in_matches_builtin", "multi_in_out_matches_builtin"},
    "channels/return_in_loop": {"book_examples", "multi_in_matches_builtin", "multi_in_out_matches_builtin"},
    "channels/transposed_1x1": {"one_by_one_matches"},
    "channels/reshape_not_permute_1x1": {"one_by_one_matches"},
    "channels/builtin_F_conv2d": {"no_builtin"},
    "channels/builtin_1x1_conv2d": {"one_by_one_matmul", "no_builtin"},
    "channels/loops_1x1": {"one_by_one_matmul", "one_by_one_speed"},
    "channels/no_channel_check_multi_in": {"rejects_channel_mismatch"},
    "channels/first_weight_not_1x1": {"rejects_kernel_not_1x1"},
    "channels/view_not_reshape_1x1": {"one_by_one_matches"},
    "channels/builtin_for_large_inputs": {"no_builtin"},
    # pooling
    "pooling/wrong_divisor": {"avg_matches_builtin", "properties"},
    "pooling/stride_equals_window": {"book_example", "max_matches_builtin", "avg_matches_builtin", "properties"},
    "pooling/swapped_window": {"max_matches_builtin", "avg_matches_builtin", "properties"},
    "pooling/mode_ignored": {"book_example", "avg_matches_builtin"},
    "pooling/no_mode_validation": {"rejects_unknown_mode"},
    "pooling/off_by_one": {"book_example", "max_matches_builtin", "avg_matches_builtin", "properties"},
    "pooling/builtin_max_pool2d": {"no_builtin"},
    "pooling/builtin_torch_pool": {"no_builtin"},
    "pooling/mode_case_insensitive": {"rejects_unknown_mode"},
    "pooling/no_dim_check": {"rejects_non_2d_input"},
    "pooling/window_larger_than_input": {"rejects_window_larger_than_input"},
    "pooling/int_window_not_accepted": {"int_pool_size"},
    "pooling/builtin_for_large_inputs": {"no_builtin"},
    "pooling/slow_wrong_divisor": {"book_example"},
    "pooling/integer_input_not_converted": {"integer_input"},
    # lenet
    "lenet/relu": {"structure", "same_function"},
    "lenet/max_pool": {"structure", "same_function"},
    "lenet/missing_padding": {"parameter_count", "same_function"},
    "lenet/frozen_convolution": {"parameter_count"},
    "lenet/sigmoid_on_output": {"structure", "same_function"},
    "lenet/trace_input_shapes": {"book_trace", "random_traces"},
    "lenet/recursive_trace": {"random_traces"},
    "lenet/str_names": {"book_trace", "random_traces"},
    "lenet/ignores_input_shape": {"random_traces"},
    "lenet/trace_changes_net": {"leaves_network_unchanged"},
    "lenet/trace_children": {"random_traces"},
    "lenet/trace_leaves_eval": {"leaves_network_unchanged"},
    "lenet/trace_freezes_params": {"leaves_network_unchanged"},
    # training (slow: each trains LeNet on Fashion-MNIST)
    "training/accuracy_per_batch": {"evaluate_accuracy"},
    "training/no_zero_grad": {"reaches_accuracy"},
    "training/no_optimizer_step": {"reaches_accuracy"},
    "training/no_xavier_init": {"reaches_accuracy"},
    "training/batches_not_moved": {"moves_batches"},
    "training/model_not_moved": {"moves_model"},
    "training/history_not_per_epoch": {"history_format"},
    "training/test_acc_before_training": {"reports_test_accuracy"},
    "training/test_acc_on_train_iter": {"evaluates_test_iter"},
    "training/train_loss_not_per_example": {"reports_mean_loss"},
    "training/speed_of_one_epoch": {"reports_examples_per_sec"},
    "training/lr_ignored": {"follows_lr"},
    "training/evaluate_ignores_device": {"evaluate_accuracy_moves_batches"},
    "training/evaluate_in_training_mode": {"evaluate_accuracy_eval_mode"},
    # theory
    "theory/compose_flipped": {"compose_example", "compose_property"},
    "theory/conv_cost_no_bias": {"cost_example", "cost_property"},
    "theory/conv_cost_ignores_stride": {"cost_property"},
    "theory/conv_cost_madds_without_channels": {"cost_property"},
    "theory/matmul_via_conv2d": {"matmul_rule"},
    "theory/matmul_without_matmul": {"matmul_rule"},
    "theory/matmul_loop_per_output": {"matmul_rule"},
    "theory/conv_cost_int_formula": {"cost_property", "cost_rejects_invalid_sizes"},
    "theory/conv_cost_pair_order": {"cost_property"},
    "theory/matmul_no_fit_check": {"matmul_rejects_kernel_larger_than_input"},
}


#: The checks the book's code fails, per exercise: rule checks only, each naming a rule that the
#: statement adds to the book (and lists with its points) ...
BOOK_LOSES: dict[str, set[str]] = {
    "corr2d": {"rejects_non_2d", "rejects_kernel_larger_than_input"},
    "conv_layer": {"int_kernel_size", "learn_kernel_uses_conv2d", "rejects_non_2d", "rejects_wrong_target_shape"},
    "channels": {
        "rejects_x_not_3d",
        "rejects_k_wrong_dimensions",
        "rejects_channel_mismatch",
        "rejects_kernel_not_1x1",
    },
    "pooling": {
        "int_pool_size",
        "integer_input",
        "rejects_unknown_mode",
        "rejects_non_2d_input",
        "rejects_window_larger_than_input",
    },
    "lenet": set(),
    "training": {"evaluate_accuracy_rejects_empty"},
}
#: ... and the points that leaves it, of the table's (before the checks were split into one claim
#: each: corr2d 13, conv_layer 7, channels 13, pooling 7, lenet 10, training 16).
BOOK_SCORES: dict[str, float] = {
    "corr2d": 13,
    "conv_layer": 8,
    "channels": 13,
    "pooling": 10,
    "lenet": 10,
    "training": 15.5,
}

#: Cases graded alone under short time budgets (``WorkerConfig`` fields, with the default call
#: timeout unless ``ATTACKS`` says otherwise): without the budgets the recursion takes more than 15
#: minutes, the hang two call timeouts (120 s here), the slow wrong case about two minutes.
SHORT_BUDGETS: dict[str, dict[str, float]] = {
    "pooling/recursion_forever": {"exercise_seconds": 45.0, "submission_seconds": 150.0},
    "pooling/hangs": {"exercise_seconds": 10.0, "submission_seconds": 150.0},
    "pooling/slow_wrong_divisor": {"exercise_seconds": 15.0, "submission_seconds": 150.0},
}
#: How far grading may run past a budget: starting a worker (it imports torch before it can
#: answer) and killing one are not interrupted by a deadline.
BUDGET_GRACE = 30.0


@dataclass(frozen=True)
class Attack:
    """What a hostile case must achieve: the checks of its exercise that must not pass.

    ``must_fail=None`` means every check of the exercise except those in ``may_pass``.
    ``call_timeout`` is the worker's call timeout for the run (None: the grader's default).
    """

    may_pass: frozenset[str] = frozenset()
    must_fail: frozenset[str] | None = None
    call_timeout: float | None = HOSTILE_CALL_TIMEOUT

    def failing(self, checks: list[str]) -> list[str]:
        if self.must_fail is not None:
            return sorted(self.must_fail)
        return [name for name in checks if name not in self.may_pass]


#: Rule checks that judge how a result is computed, never its value.
RULES_ONLY = {"corr2d": frozenset({"no_builtin", "speed"})}

ATTACKS: dict[str, Attack] = {
    "corr2d/exit_at_import": Attack(),
    "corr2d/system_exit_in_call": Attack(),
    "corr2d/infinite_loop": Attack(),
    "corr2d/fd_garbage": Attack(),
    "corr2d/patch_comparisons": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/tensor_subclass": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/reduce_payload": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/fake_score_stdout": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/fake_report_fd12": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/fd_forged_frame": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/numpy_result": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/list_result": Attack(may_pass=RULES_ONLY["corr2d"]),
    "corr2d/hide_builtin_from_recorder": Attack(must_fail=frozenset({"no_builtin"})),
    # With a 3 s timeout the stale replies would time out; the attack needs the default timeout.
    "corr2d/forged_fast_reply": Attack(must_fail=frozenset({"speed"}), call_timeout=None),
    "channels/oversized_result": Attack(must_fail=frozenset({"book_examples", "multi_in_matches_builtin"})),
    "lenet/list_subclass_trace": Attack(must_fail=frozenset({"book_trace", "random_traces"})),
    "lenet/exit_in_forward": Attack(),
    "theory/dict_subclass_cost": Attack(must_fail=frozenset({"cost_example", "cost_property"})),
    # Every call fails slowly just inside the default call timeout: the time budget stops it.
    "pooling/recursion_forever": Attack(call_timeout=None),
    # A call timeout longer than the exercise's budget: the budget, not the timeout, stops the hang.
    "pooling/hangs": Attack(call_timeout=60.0),
}


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    category: str
    exercise: str
    name: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.category}/{self.exercise}/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.exercise}/{self.name}"

    @property
    def summary(self) -> str:
        if self.path.suffix == ".toml":
            return edit_list(self.path).get("summary", "")
        text = self.path.read_text()
        return text.split('"""')[1].strip().splitlines()[0] if text.startswith('"""') else ""

    @property
    def source(self) -> str:
        """The module this case submits."""
        if self.path.suffix != ".toml":
            return self.path.read_text()
        spec = edit_list(self.path)
        docstring, text = (REPOSITORY / spec["base"]).read_text().split("\n", 1)
        if not (docstring.startswith('"""') and docstring.endswith('"""')):
            raise ValueError(f"{spec['base']}: a base starts with a one-line docstring")
        for edit in spec["edit"]:
            if text.count(edit["old"]) != 1:
                raise ValueError(
                    f"{self.path.name}: {edit['old']!r} occurs {text.count(edit['old'])} times in "
                    f"{spec['base']}, expected exactly once"
                )
            text = text.replace(edit["old"], edit["new"])
        return f'"""{spec["summary"]}"""\n{text}'


def edit_list(path: Path) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def discover() -> list[Case]:
    cases = []
    for category in CATEGORIES:
        for exercise in EXERCISE_NAMES:
            folder = CORPUS / category / exercise
            paths = sorted([*folder.glob("*.py"), *folder.glob("*.toml")]) if folder.is_dir() else []
            cases += [Case(category, exercise, path.stem, path) for path in paths]
    return cases + [Case("book", path.stem, "chapter", path) for path in sorted(BOOK.glob("*.py"))]


CASES = discover()


#: Wrong implementations the checks knowingly do not catch, and why (kept so the gap stays visible).
NOT_CAUGHT: dict[str, str] = {}


def param(case: Case):
    marks = [pytest.mark.slow, pytest.mark.needs_data] if case.exercise in SLOW_EXERCISES else []
    if case.category == "wrong" and case.key in NOT_CAUGHT:
        marks.append(pytest.mark.xfail(reason=NOT_CAUGHT[case.key], strict=True))
    return pytest.param(case, id=case.id, marks=marks)


def available() -> dict:
    return {exercise.name: exercise for exercise in all_checks()}


def companion(case: Case, known: dict) -> str | None:
    for name in COMPANIONS:
        if (
            name in known
            and name != case.exercise
            and case.exercise not in loaded_modules(name, known, {case.exercise: case.source})
        ):
            return name
    return None


IMPORT = re.compile(r"^\s*from \.(\w+) import", re.MULTILINE)


def imports(source: str) -> set[str]:
    """The sibling modules a module imports (``from .corr2d import ...``)."""
    return set(IMPORT.findall(source))


def loaded_modules(exercise: str, known: dict, replaced: dict[str, str]) -> set[str]:
    """Every module of the package that grading ``exercise`` imports, given the replaced modules' sources."""
    todo, seen = list(known[exercise].modules), set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            reference = SOLUTIONS / f"{module}.py"
            source = replaced.get(module, reference.read_text() if reference.is_file() else "")
            todo.extend(imports(source))
    return seen


def compatible(case: Case, group: list[Case], known: dict) -> bool:
    """Whether ``case`` can share a submission with ``group`` without changing what any of them grades."""
    members = group + [case]
    if len({c.exercise for c in members}) != len(members):
        return False
    replaced = {c.exercise: c.source for c in members}
    for member in members:
        others = {c.exercise for c in members if c is not member}
        if loaded_modules(member.exercise, known, replaced) & others:
            return False
    return True


def alone(case: Case) -> bool:
    """Whether a case is graded in a run of its own: attacks, and cases with short time budgets."""
    return case.category == "hostile" or case.key in SHORT_BUDGETS


def bundles(cases: list[Case], known: dict) -> list[list[Case]]:
    """Wrong and correct cases of independent exercises share one submission (one grading run
    instead of several: every run starts a reference worker); the book's modules form one
    submission; hostile cases and cases with short budgets run alone."""
    book = [case for case in cases if case.category == "book"]
    groups: list[list[Case]] = [book] if book else []
    for case in cases:
        if case.category == "book":
            continue
        target = None
        if not alone(case):
            target = next(
                (
                    g
                    for g in groups
                    if g[0].category not in ("hostile", "book") and not alone(g[0]) and compatible(case, g, known)
                ),
                None,
            )
        if target is None:
            groups.append([case])
        else:
            target.append(case)
    return groups


def make_submission(root: Path, cases: list[Case]) -> Path:
    """A copy of solutions/ with each case's module replaced."""
    root.mkdir(parents=True)
    for module in SOLUTIONS.glob("*.py"):
        shutil.copyfile(module, root / module.name)
    for case in cases:
        (root / f"{case.exercise}.py").write_text(case.source)
    return root


@dataclass
class Graded:
    cases: list[Case]
    only: list[str]
    report: dict
    seconds: float


def grade_bundle(cases: list[Case], root: Path, known: dict, references: References) -> Graded:
    only = [name for name in EXERCISE_NAMES if name in {c.exercise for c in cases}]
    config: dict = dict(SHORT_BUDGETS.get(cases[0].key, {}))
    if cases[0].category == "hostile":
        partner = companion(cases[0], known)
        only += [partner] if partner else []
        timeout = ATTACKS[cases[0].key].call_timeout if cases[0].key in ATTACKS else HOSTILE_CALL_TIMEOUT
        config |= {"call_timeout": timeout} if timeout is not None else {}
    start = time.perf_counter()
    submission = make_submission(root, cases)
    report = grade(submission, exercises=only, worker=WorkerConfig(**config), references=references)
    return Graded(cases, only, report.to_dict(), time.perf_counter() - start)


def pwned_files() -> set[str]:
    return {path.name for path in PWNED.glob(PWNED_PATTERN)}


NO_SHRINK = "cnn-kit-corpus"
settings.register_profile(NO_SHRINK, phases=[Phase.explicit, Phase.reuse, Phase.generate])


@pytest.fixture(scope="module")
def corpus_results(request, tmp_path_factory):
    """Grade every selected corpus case once, PARALLEL runs at a time; each test waits for its own."""
    known = available()
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params
    ]
    wanted = [case for case in dict.fromkeys(selected) if case.exercise in known]
    # Exercises in table order: corr2d and padding_stride, which others import, place first.
    order = sorted(wanted, key=lambda c: (alone(c), EXERCISE_NAMES.index(c.exercise), c.name))
    groups = bundles(order, known)
    # The slowest first, so that the lanes finish together.
    groups.sort(key=lambda g: (not any(c.exercise in SLOW_EXERCISES for c in g), -len(g), g[0].id))
    base = tmp_path_factory.mktemp("corpus")
    before = pwned_files()
    previous = settings.get_current_profile_name()
    settings.load_profile(NO_SHRINK)
    started = time.perf_counter()
    executor = ThreadPoolExecutor(PARALLEL, thread_name_prefix="corpus")
    references = References()  # shared by the runs, as grade-all's threads share them
    futures: dict[str, Future] = {}
    for index, group in enumerate(groups):
        future = executor.submit(grade_bundle, group, base / f"run{index:03d}", known, references)
        futures.update({case.id: future for case in group})
    yield {"futures": futures, "known": known, "pwned_before": before, "references": references}
    executor.shutdown(wait=True, cancel_futures=True)  # after -x / Ctrl-C: do not grade the rest
    references.close()
    settings.load_profile(previous)
    total = time.perf_counter() - started
    runs = {id(f): f.result() for f in futures.values() if f.done() and not f.cancelled() and not f.exception()}
    slowest = sorted(runs.values(), key=lambda g: -g.seconds)[:5]
    print(
        f"\ncorpus: {len(futures)} cases in {len(groups)} grading runs, {total:.1f} s ({PARALLEL} at a time); "
        "slowest runs: " + "; ".join(f"{'+'.join(c.id for c in g.cases)} {g.seconds:.1f} s" for g in slowest)
    )


def result_for(corpus_results, case: Case) -> Graded:
    if case.exercise not in corpus_results["known"]:
        pytest.skip(f"autograder/checks/{case.exercise}.py does not exist yet")
    graded = corpus_results["futures"][case.id].result()
    skipped = [c["message"] for c in exercise_result(graded, case.exercise)["checks"] if c["status"] == "skipped"]
    if skipped:  # e.g. Fashion-MNIST is not on this machine (set CNN_KIT_DATA)
        pytest.skip(f"{case.exercise} checks skipped: {skipped[0]}")
    return graded


def explain(graded: Graded, case: Case) -> str:
    lines = [f"{case.id}: {case.summary}"]
    for exercise in graded.report["exercises"]:
        if exercise["name"] != case.exercise and case.category != "hostile":
            continue  # another case of the same grading run
        lines.append(f"  {exercise['name']}: {exercise['score']}/{exercise['max_score']}")
        for check in exercise["checks"]:
            message = check["message"].splitlines()[0][:200] if check["message"] else ""
            lines.append(f"    {check['status']:7} {check['name']}: {message}")
    return "\n".join(lines)


def expect_well_formed(graded: Graded, case: Case, known: dict) -> None:
    """The report validates and lists every check of every requested exercise with a status."""
    validate(graded.report)
    names = [e["name"] for e in graded.report["exercises"]]
    assert names == [name for name in EXERCISE_NAMES if name in graded.only], explain(graded, case)
    for exercise in graded.report["exercises"]:
        expected = [check.name for check in known[exercise["name"]].checks]
        assert [c["name"] for c in exercise["checks"]] == expected, explain(graded, case)
        for check in exercise["checks"]:
            assert check["status"] in STATUSES
            if check["status"] != "passed":
                assert check["message"].strip(), (
                    f"{check['name']} {check['status']} without a message\n{explain(graded, case)}"
                )


def exercise_result(graded: Graded, name: str) -> dict:
    return next(e for e in graded.report["exercises"] if e["name"] == name)


# --------------------------------------------------------------------------- the tests


def test_corpus_is_big_enough():
    count = {category: sum(c.category == category for c in CASES) for category in CATEGORIES}
    assert count["wrong"] >= 45 and count["correct"] >= 12 and count["hostile"] >= 10, count
    for case in CASES:
        assert case.summary, f"{case.id} needs a one-line docstring saying what it does"
    for key in CAUGHT_BY:
        assert any(c.key == key and c.category == "wrong" for c in CASES), f"CAUGHT_BY names no case {key}"
    for key in ATTACKS:
        assert any(c.key == key and c.category == "hostile" for c in CASES), f"ATTACKS names no case {key}"
    for case in CASES:
        if case.category == "hostile":
            assert case.key in ATTACKS, f"hostile case {case.id} needs an entry in ATTACKS"
    assert {c.exercise for c in CASES if c.category == "book"} == set(BOOK_LOSES) == set(BOOK_SCORES)
    for key in SHORT_BUDGETS:
        assert any(c.key == key and c.category in ("wrong", "hostile") for c in CASES), f"no case {key}"


@pytest.mark.parametrize("case", [param(c) for c in CASES if c.category == "wrong"])
def test_wrong_loses_points(case: Case, corpus_results):
    graded = result_for(corpus_results, case)
    expect_well_formed(graded, case, corpus_results["known"])
    result = exercise_result(graded, case.exercise)
    assert result["score"] < result["max_score"], f"not caught\n{explain(graded, case)}"
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    unknown = CAUGHT_BY.get(case.key, set()) - set(statuses)
    assert not unknown, f"CAUGHT_BY names checks that do not exist: {sorted(unknown)}"
    missed = sorted(name for name in CAUGHT_BY.get(case.key, ()) if statuses[name] == "passed")
    assert not missed, f"expected {missed} to catch it\n{explain(graded, case)}"


@pytest.mark.parametrize("case", [param(c) for c in CASES if c.category == "correct"])
def test_correct_scores_full(case: Case, corpus_results):
    graded = result_for(corpus_results, case)
    expect_well_formed(graded, case, corpus_results["known"])
    result = exercise_result(graded, case.exercise)
    assert result["score"] == result["max_score"], explain(graded, case)


@pytest.mark.parametrize("case", [param(c) for c in CASES if c.category == "hostile"])
def test_hostile_fails_safely(case: Case, corpus_results):
    graded = result_for(corpus_results, case)
    known = corpus_results["known"]
    expect_well_formed(graded, case, known)
    assert graded.report["complete"], explain(graded, case)
    attack = ATTACKS[case.key]
    result = exercise_result(graded, case.exercise)
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    passed = sorted(name for name in attack.failing(list(statuses)) if statuses.get(name) == "passed")
    assert not passed, f"the attack earned points in {passed}\n{explain(graded, case)}"
    for other in (name for name in graded.only if name != case.exercise):
        companion_result = exercise_result(graded, other)
        assert companion_result["score"] == companion_result["max_score"], (
            f"the attack on {case.exercise} cost points in {other}\n{explain(graded, case)}"
        )
    appeared = pwned_files() - corpus_results["pwned_before"]
    assert not appeared, f"side effect: {sorted(appeared)} appeared in /tmp"


def test_no_worker_left_behind(corpus_results):
    """Once every selected case is graded and the shared reference workers are stopped (as grade-all
    stops them when its batch ends), no process started by the grader is still running."""
    for future in corpus_results["futures"].values():
        future.exception()  # waits; errors are reported by the case's own test
    corpus_results["references"].close()
    deadline = time.monotonic() + 5  # a process being killed may take a moment to go
    while (children := running_children()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not children, f"processes still running: {children}"


#: Children of this process that the grader did not start: Python's own helper, left by an earlier
#: test's Dask cluster in the same session.
NOT_THE_GRADERS = "multiprocessing.resource_tracker"


def running_children() -> list[str]:
    """``pid command`` of every live (non-zombie) child of this process that the grader started."""
    mine, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")[:120].decode(errors="replace")
        except OSError:
            continue
        if fields[1] == mine and fields[0] != "Z" and NOT_THE_GRADERS not in command:
            found.append(f"{stat.parent.name} {command}")
    return found


@pytest.mark.parametrize("case", [param(c) for c in CASES if c.category == "book"])
def test_book_code_loses_only_rule_points(case: Case, corpus_results):
    """The chapter's code, pasted into the exercise API, loses points only in checks of rules the
    statement adds to the book (and lists with their points)."""
    graded = result_for(corpus_results, case)
    expect_well_formed(graded, case, corpus_results["known"])
    result = exercise_result(graded, case.exercise)
    rules = {check.name for check in corpus_results["known"][case.exercise].rules}
    lost = {c["name"] for c in result["checks"] if c["score"] < c["max_score"]}
    assert not lost - rules, (
        f"the book's code lost points outside the rules: {sorted(lost - rules)}\n{explain(graded, case)}"
    )
    assert lost == BOOK_LOSES[case.exercise], explain(graded, case)
    assert result["score"] == BOOK_SCORES[case.exercise], explain(graded, case)


@pytest.mark.parametrize("case", [param(c) for c in CASES if c.key in SHORT_BUDGETS and c.category != "book"])
def test_short_budgets_bound_grading(case: Case, corpus_results):
    """A submission that fails slowly, hangs, or is wrong and slow finishes within the time budgets
    with a complete report: the exercise within its budget, the whole run within the submission's."""
    graded = result_for(corpus_results, case)
    expect_well_formed(graded, case, corpus_results["known"])
    assert graded.report["complete"], explain(graded, case)
    budget = SHORT_BUDGETS[case.key]
    spent = sum(c["seconds"] for c in exercise_result(graded, case.exercise)["checks"])
    assert spent <= budget["exercise_seconds"] + BUDGET_GRACE, f"{spent:.1f} s\n{explain(graded, case)}"
    assert graded.report["seconds"] <= budget["submission_seconds"] + BUDGET_GRACE, explain(graded, case)
