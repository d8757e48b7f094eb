"""Render a Report for people (text, Markdown) and for CI systems (JSON, JUnit XML, Gradescope).

What the submission wrote (messages, output, names) is made inert for each format by ``inert``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from .. import registry
from ..inert import markdown_code, markdown_text, one_line, visible, xml_text
from ..runner.results import Report

HEADINGS = {
    "en": {
        "title": "cnn-kit grade",
        "exercise": "exercise",
        "score": "score",
        "total": "Total",
        "failed": "What to fix",
        "hint": "hint",
        "incomplete": "INCOMPLETE",
        "sandbox": "sandbox",
        "seed": "seed",
        "derandomized": "fixed (derandomized)",
        "output": "output",
        "all_passed": "All checks passed.",
        "notes": "Measured",
        "training": "train_ch6 on",
        "book": "d2l-zh / d2l-en",
        "time": "graded in {:.1f} s",
        "partial": "partial credit",
    },
    "zh": {
        "title": "cnn-kit 评分",
        "exercise": "练习",
        "score": "得分",
        "total": "总分",
        "failed": "需要修改的地方",
        "hint": "提示",
        "incomplete": "评分不完整",
        "sandbox": "沙箱",
        "seed": "随机种子",
        "derandomized": "固定（去随机化）",
        "output": "输出",
        "all_passed": "全部检查通过。",
        "notes": "测量结果",
        "training": "train_ch6 训练设备与预算",
        "book": "教材章节（中文版 / 英文版）",
        "time": "评分用时 {:.1f} 秒",
        "partial": "部分得分",
    },
}
MARKS = {"passed": "✓", "partial": "◐", "failed": "✗", "error": "!", "skipped": "-"}


def _notes(report: Report, lang: str) -> list[str]:
    """What passing checks measured (e.g. the trained network's test accuracy), one line each."""
    return [
        f"{e.name} / {c.name}: {one_line(c.message(lang))}"
        for e in report.exercises
        for c in e.checks
        if c.status == "passed" and c.message is not None
    ]


def _number(value: float) -> str:
    """Points as people write them: 12, 0.5, 2.61 (a partial credit to two decimals)."""
    return f"{round(value, 2):g}"


def _seconds(report: Report, lang: str) -> str:
    """The submission's total grading time, in words."""
    return HEADINGS[lang]["time"].format(report.seconds)


def text(report: Report, lang: str | None = None) -> str:
    """A readable per-exercise table, then each failed check's message (no tracebacks)."""
    lang = lang or report.settings.lang
    h = HEADINGS[lang]
    seed = h["derandomized"] if report.settings.seed is None else str(report.settings.seed)
    lines = [
        f"{h['title']}: {one_line(report.submission)}",
        f"{h['sandbox']}: {report.sandbox or '-'}   {h['seed']}: {seed}",
        f"{h['training']}: {report.settings.device}, {report.settings.training_budget}",
        _seconds(report, lang),
        "",
    ]
    width = max([len(e.name) for e in report.exercises] + [len(h["exercise"])]) + 2
    lines.append(f"{h['exercise']:<{width}}{h['score']:>9}")
    for e in report.exercises:
        marks = "".join(MARKS[c.status] for c in e.checks)
        lines.append(f"{e.name:<{width}}{_number(e.score):>4}/{_number(e.max_score):<4} {marks}")
    lines.append(f"{h['total']:<{width}}{_number(report.score):>4}/{_number(report.max_score)}")
    problems = [(e, c) for e in report.exercises for c in e.checks if c.status != "passed"]
    lines.append("")
    if problems:
        lines.append(f"{h['failed']}:")
        for e, c in problems:
            lines.append(f"  {MARKS[c.status]} {e.name} / {c.title(lang)} ({_number(c.score)}/{_number(c.max_score)})")
            if c.message is not None:
                lines += [f"      {line}" for line in visible(c.message(lang)).splitlines()]
            if c.hint is not None:
                lines.append(f"      {h['hint']}: {visible(c.hint(lang))}")
    else:
        lines.append(h["all_passed"])
    notes = _notes(report, lang)
    if notes:
        lines += ["", f"{h['notes']}:"] + [f"  {note}" for note in notes]
    if report.incomplete:
        lines.append("")
        lines += [f"{h['incomplete']}: {reason(lang)}" for reason in report.incomplete]
    return "\n".join(lines) + "\n"


def markdown(report: Report, lang: str | None = None) -> str:
    """The same content as Markdown (for a CI job summary or a feedback file)."""
    lang = lang or report.settings.lang
    h = HEADINGS[lang]
    lines = [
        f"## {h['title']}: {_number(report.score)}/{_number(report.max_score)}",
        "",
        _seconds(report, lang),
        "",
        f"| {h['exercise']} | {h['score']} | | {h['book']} |",
        "|---|---:|---|---|",
    ]
    for e in report.exercises:
        marks = " ".join(MARKS[c.status] for c in e.checks)
        book = registry.get(e.name)
        lines.append(
            f"| {e.name} | {_number(e.score)}/{_number(e.max_score)} | {marks} | {book.d2l_zh} / {book.d2l_en} |"
        )
    problems = [(e, c) for e in report.exercises for c in e.checks if c.status != "passed"]
    if problems:
        lines += ["", f"### {h['failed']}", ""]
        for e, c in problems:
            lines.append(f"- **{e.name}** / {c.title(lang)} ({_number(c.score)}/{_number(c.max_score)})")
            if c.message is not None:
                lines.append(markdown_code(c.message(lang), indent="  "))
            if c.hint is not None:
                lines.append(f"  *{h['hint']}*: {c.hint(lang)}")
    notes = _notes(report, lang)
    if notes:
        lines += ["", f"### {h['notes']}", ""] + [f"- {markdown_text(note)}" for note in notes]
    if report.incomplete:
        lines += [""] + [f"> **{h['incomplete']}**: {reason(lang)}" for reason in report.incomplete]
    return "\n".join(lines) + "\n"


def as_json(report: Report, lang: str | None = None) -> str:
    return json.dumps(report.to_dict(lang), indent=2, ensure_ascii=False) + "\n"


def junit(report: Report, lang: str | None = None) -> str:
    """JUnit XML: one test suite per exercise, one test case per check (GitLab, Jenkins)."""
    lang = lang or report.settings.lang
    h = HEADINGS[lang]
    suites = ET.Element(
        "testsuites",
        name="cnn-kit",
        tests=str(sum(len(e.checks) for e in report.exercises)),
        time=f"{report.seconds:.3f}",
    )
    for e in report.exercises:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=e.name,
            tests=str(len(e.checks)),
            failures=str(sum(c.status in ("failed", "partial") for c in e.checks)),
            errors=str(sum(c.status == "error" for c in e.checks)),
            skipped=str(sum(c.status == "skipped" for c in e.checks)),
            time=f"{sum(c.seconds for c in e.checks):.3f}",
        )
        for c in e.checks:
            case = ET.SubElement(suite, "testcase", classname=f"cnnkit.{e.name}", name=c.name, time=f"{c.seconds:.3f}")
            message = xml_text(c.message(lang)) if c.message is not None else ""
            if c.status == "partial":  # JUnit knows no partial pass: a failure that says what it earned
                message = f"{h['partial']} {_number(c.score)}/{_number(c.max_score)}: {message}"
            if c.status in ("partial", "failed", "error", "skipped"):
                tag = {"partial": "failure", "failed": "failure", "error": "error", "skipped": "skipped"}[c.status]
                element = ET.SubElement(case, tag, message=message.splitlines()[0] if message else c.status)
                element.text = message + (f"\n{xml_text(c.hint(lang))}" if c.hint is not None else "")
        if e.output:
            ET.SubElement(suite, "system-out").text = xml_text(e.output)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def gradescope(report: Report, lang: str | None = None) -> str:
    """Gradescope's results.json: one test per check, visible to students after publishing."""
    lang = lang or report.settings.lang
    tests = []
    for e in report.exercises:
        for c in e.checks:
            output = c.message(lang) if c.message is not None else ""
            if c.hint is not None:
                output += f"\n{c.hint(lang)}"
            tests.append(
                {
                    "name": f"{e.name}: {c.title(lang)}",
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": "passed" if c.status == "passed" else "failed",
                    "output": visible(output),
                    "visibility": "visible",
                }
            )
    h = HEADINGS[lang]
    summary = f"{h['total']}: {_number(report.score)}/{_number(report.max_score)} ({_seconds(report, lang)})"
    if report.incomplete:
        summary += "\n" + "\n".join(f"{h['incomplete']}: {reason(lang)}" for reason in report.incomplete)
    return (
        json.dumps(
            {"score": report.score, "execution_time": round(report.seconds), "output": summary, "tests": tests},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


FORMATS = {"text": text, "json": as_json, "markdown": markdown, "junit": junit, "gradescope": gradescope}
