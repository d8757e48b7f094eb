"""The class report for people: one self-contained HTML page, and the same content as Markdown (a
terminal, a CI job summary), in English or Chinese."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_write
from ..inert import markdown_code_span, markdown_text
from ..reasons import Reason
from ..text import Text
from .charts import accuracy_histogram, cjk_font, score_histogram
from .classreport import ClassReport, class_report
from .page import data_uri, number, percent, render

LABELS = {
    "title": Text("Class report", "班级报告"),
    "results": Text("results", "结果目录"),
    "students": Text("students", "学生"),
    "summary": Text("How the class did", "全班成绩"),
    "mean": Text("mean", "平均"),
    "median": Text("median", "中位数"),
    "quartiles": Text("quartiles (Q1–Q3)", "四分位数（Q1–Q3）"),
    "range": Text("lowest–highest", "最低–最高"),
    "complete": Text("complete", "完整评分"),
    "incomplete": Text("incomplete (a check skipped by the machine)", "不完整（有检查因机器原因跳过）"),
    "broken": Text("broken (not graded)", "无法评分"),
    "unreadable": Text("unreadable reports", "无法读取的报告"),
    "score": Text("score", "得分"),
    "score_percent": Text("score (% of the points graded)", "得分（占所评分数的百分比）"),
    "count": Text("students", "人数"),
    "hardest": Text("What to re-teach: the hardest checks", "需要重讲的内容：最难的检查"),
    "hardest_note": Text(
        "Shares are of the students who attempted the check (a stub that still raises NotImplementedError "
        "is not an attempt; checks that could not judge the student are left out).",
        "比例按尝试了该检查的学生计算（仍抛出 NotImplementedError 的桩函数不算尝试；无法评判学生的检查不计入）。",
    ),
    "exercise": Text("exercise", "练习"),
    "check": Text("check", "检查"),
    "passed": Text("passed", "通过"),
    "points": Text("points earned", "得分率"),
    "attempted": Text("attempted", "尝试"),
    "not_attempted": Text("not attempted", "未尝试"),
    "not_gradable": Text("not gradable", "无法评分"),
    "full_marks": Text("full marks", "满分"),
    "mean_points": Text("mean of those who attempted", "尝试者平均得分率"),
    "top_failure": Text("most frequent failure", "最常见的错误"),
    "failures": Text("Most frequent failures", "最常见的错误"),
    "example": Text("example (anonymised)", "示例（已匿名）"),
    "per_exercise": Text("Per exercise", "各练习"),
    "training": Text("Training: the accuracies the grader measured", "训练：评分程序测得的精度"),
    "accuracy": Text("test accuracy (official test set)", "测试精度（官方测试集）"),
    "threshold": Text("threshold of the budget", "训练预算的阈值"),
    "floor": Text("no credit at or below", "不高于此值不得分"),
    "in_band": Text("partial credit (between the two)", "部分得分（介于两者之间）"),
    "budget": Text("training budget", "训练预算"),
    "reached": Text("reached the threshold", "达到阈值"),
    "trained": Text("trained networks measured", "测得精度的网络"),
    "no_threshold": Text("this budget requires no accuracy", "该预算不要求精度"),
    "ungraded": Text("What could not be graded, and why", "哪些未能评分，原因是什么"),
    "reason": Text("reason code", "原因代码"),
    "meaning": Text("meaning", "含义"),
    "checks": Text("checks", "检查"),
    "nothing_ungraded": Text("Every check judged every student.", "所有检查都评判了所有学生。"),
    "broken_list": Text("Submissions not graded at all", "完全无法评分的提交"),
    "student": Text("student", "学生"),
    "unreadable_list": Text("Reports that could not be read", "无法读取的报告"),
    "problem": Text("problem", "问题"),
    "no_reports": Text("No report could be read.", "没有可读取的报告。"),
    "histogram": Text("score distribution", "成绩分布"),
}
#: What each reason code means, for the instructor.
REASONS = {
    Reason.NOT_IMPLEMENTED: Text("the stub still raises NotImplementedError", "桩函数仍抛出 NotImplementedError"),
    Reason.IMPORT_ERROR: Text("the module could not be imported", "模块无法导入"),
    Reason.CRASHED: Text("the worker died during the check", "检查过程中工作进程崩溃"),
    Reason.TIMEOUT: Text("the code did not answer in time", "代码未在时限内返回"),
    Reason.MEMORY_LIMIT: Text(
        "the code's processes went over the worker's memory cap", "代码的进程超出了工作进程的内存上限"
    ),
    Reason.PROTOCOL: Text("the worker broke the grader's protocol", "工作进程违反了评分协议"),
    Reason.WORKER_LOST: Text("not run: two workers already lost in this exercise", "未运行：本练习已失去两个工作进程"),
    Reason.BUDGET_SPENT: Text(
        "not run: the exercise's or the submission's time budget was spent", "未运行：练习或提交的时间预算已用完"
    ),
    Reason.INTERNAL_ERROR: Text("a bug in the grader (not the student's fault)", "评分程序的错误（不是学生的问题）"),
    Reason.ENVIRONMENT: Text("the machine lacked something (data set, GPU)", "机器缺少所需条件（数据集、GPU）"),
    Reason.NOT_GRADED: Text("the whole submission could not be graded", "整个提交无法评分"),
    Reason.CLUSTER_WORKER_LOST: Text(
        "the cluster worker grading it was lost every time (graded again on the next run)",
        "评分它的集群工作进程每次都丢失（下次运行时重新评分）",
    ),
}
#: Failure examples are cut to this many characters (a counterexample tensor can be long).
EXAMPLE_CHARS = 600
#: Checks listed in the "hardest" table.
HARDEST = 10


def labels(lang: str) -> dict[str, str]:
    return {key: text(lang) for key, text in LABELS.items()}


def reason_text(reason: str, lang: str) -> str:
    try:
        return REASONS[Reason(reason)](lang)
    except ValueError:
        return reason


def short(text: str, limit: int = EXAMPLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pictures(report: ClassReport, lang: str) -> dict[str, bytes]:
    """The score histogram and, where training was graded, the accuracy histogram (PNG bytes); their
    labels are in English where no font with Chinese glyphs is installed."""
    t = labels(lang if lang == "en" or cjk_font() else "en")
    found = {}
    summary = report.summary
    if summary is not None:
        top = summary.max_score if summary.max_score is not None else 100.0
        found["scores"] = score_histogram(
            summary.scores,
            summary.states,
            top,
            {"complete": t["complete"], "incomplete": t["incomplete"], "broken": t["broken"]},
            t["score"] if summary.max_score is not None else t["score_percent"],
            t["count"],
        )
    if report.accuracies is not None:
        acc = report.accuracies
        found["accuracies"] = accuracy_histogram(
            acc.values,
            acc.threshold,
            t["accuracy"],
            t["count"],
            f"{t['threshold']} ({acc.budget})",
            acc.floor,
            t["floor"],
        )
    return found


def html(report: ClassReport, lang: str = "en") -> str:
    """One self-contained page: inline style, the histograms as data URIs, no script, no request."""
    images = {name: data_uri(png) for name, png in pictures(report, lang).items()}
    return render(
        "class.html.j2",
        lang=lang,
        t=labels(lang),
        r=report,
        images=images,
        hardest=report.hardest[:HARDEST],
        reason_text=lambda code: reason_text(code, lang),
        short=short,
        results_name=Path(report.results).name or report.results,
    )


# --------------------------------------------------------------------------- Markdown


def code(text: str) -> str:
    """Student text as inline code in a table cell: shown literally, and a pipe cannot end the cell."""
    return markdown_code_span(text).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def bars(scores: list[float], top: float, bins: int = 10, width: int = 30) -> list[str]:
    """A text histogram (a terminal or a job summary shows no embedded picture)."""
    counts = [0] * bins
    for score in scores:
        counts[min(int(bins * score / top), bins - 1) if top else 0] += 1
    most = max(counts) or 1
    lines = []
    for i, count in enumerate(counts):
        low, high = top * i / bins, top * (i + 1) / bins
        lines.append(f"{number(low):>5}–{number(high):<5} {'█' * round(width * count / most):<{width}} {count}")
    return ["```", *lines, "```"]


def pass_text(passed: int, attempted: int, share: float | None) -> str:
    return f"{passed}/{attempted} ({percent(share)})"


def markdown(report: ClassReport, lang: str = "en") -> str:
    """The class report as Markdown: the same sections as the page, the histogram as text."""
    t = labels(lang)
    out = [f"# {t['title']}: {markdown_text(Path(report.results).name or report.results)}", ""]
    s = report.summary
    out += [f"## {t['summary']}", ""]
    if s is None:
        out += [t["no_reports"], ""]
    else:
        top = s.max_score if s.max_score is not None else 100.0
        unit = f"/{number(s.max_score)}" if s.max_score is not None else "%"
        out += bars(s.scores, top) + [""]
        out += table(
            [t["students"], t["mean"], t["median"], t["quartiles"], t["range"]],
            [
                [
                    str(s.count),
                    f"{number(s.mean)}{unit}",
                    f"{number(s.median)}{unit}",
                    f"{number(s.q1)}–{number(s.q3)}",
                    f"{number(s.lowest)}–{number(s.highest)}",
                ]
            ],
        )
        out += [
            "",
            f"{t['complete']}: **{s.count_of('complete')}** · {t['incomplete']}: **{s.count_of('incomplete')}** · "
            f"{t['broken']}: **{s.count_of('broken')}** · {t['unreadable']}: **{len(report.unreadable)}**",
            "",
        ]
    hardest = report.hardest[:HARDEST]
    if hardest:
        out += [f"## {t['hardest']}", "", t["hardest_note"], ""]
        out += table(
            [t["exercise"], t["check"], t["passed"], t["points"], t["top_failure"]],
            [
                [
                    c.exercise,
                    code(c.name),
                    pass_text(c.passed, c.attempted, c.pass_share),
                    percent(c.points_share),
                    (f"{c.failures[0].count}× " + code(c.failures[0].shape)) if c.failures else "",
                ]
                for c in hardest
            ],
        )
        out.append("")
    a = report.accuracies
    if a is not None:
        out += [f"## {t['training']}", ""]
        threshold = number(a.threshold, 2) if a.threshold is not None else t["no_threshold"]
        floor = number(a.floor, 2) if a.floor is not None else "–"
        out += table(
            [
                t["trained"],
                t["budget"],
                t["threshold"],
                t["floor"],
                t["reached"],
                t["in_band"],
                t["median"],
                t["range"],
            ],
            [
                [
                    str(len(a.values)),
                    markdown_text(str(a.budget)),
                    threshold,
                    floor,
                    str(a.passed),
                    str(a.in_band),
                    f"{a.median:.3f}",
                    f"{a.values[0]:.3f}–{a.values[-1]:.3f}",
                ]
            ],
        )
        out.append("")
    out += [f"## {t['per_exercise']}", ""]
    for e in report.exercises:
        out += [
            f"### {e.name}",
            "",
            f"{t['attempted']}: {e.attempted}/{e.students} · {t['mean_points']}: {percent(e.mean_share)} · "
            f"{t['full_marks']}: {e.full}",
            "",
        ]
        out += table(
            [t["check"], t["passed"], t["points"], t["not_attempted"], t["not_gradable"]],
            [
                [code(c.name), pass_text(c.passed, c.attempted, c.pass_share), percent(c.points_share)]
                + [str(c.not_attempted), str(c.not_gradable)]
                for c in e.checks
            ],
        )
        out.append("")
        for c in e.checks:
            for group in c.failures:
                reason = f" [{group.reason}]" if group.reason else ""
                out.append(f"- {markdown_code_span(c.name)}{reason}, {group.count}×: {markdown_code_span(group.shape)}")
                out.append(f"  - {t['example']}: {markdown_code_span(short(group.example, 300))}")
        out.append("")
    u = report.ungraded
    out += [f"## {t['ungraded']}", ""]
    if u.checks:
        out += table(
            [t["reason"], t["meaning"], t["checks"], t["students"]],
            [[f"`{r}`", reason_text(r, lang), str(n), str(u.students[r])] for r, n in u.checks.items()],
        )
    else:
        out.append(t["nothing_ungraded"])
    out.append("")
    if u.broken:
        broken = ", ".join(f"{markdown_text(sid)} ({', '.join(codes)})" for sid, codes in u.broken)
        out += [f"**{t['broken_list']}**: {broken}"]
        out.append("")
    if report.unreadable:
        out += [f"**{t['unreadable_list']}**:", ""]
        out += [f"- {markdown_text(s.id)}: {markdown_text(s.problem or '')}" for s in report.unreadable]
        out.append("")
    return "\n".join(out)


def write_class_report(results: str | Path, out: str | Path | None = None, lang: str = "en") -> tuple[Path, str]:
    """Write the HTML page (default ``RESULTS/class.html``) and ``class.md`` beside it; return the
    page's path and the Markdown."""
    report = class_report(results)
    page = Path(out) if out is not None else Path(results) / "class.html"
    text = markdown(report, lang)
    atomic_write(page, html(report, lang))
    atomic_write(page.with_suffix(".md"), text)
    return page, text
