"""The similarity report for people: an HTML page with the flagged pairs side by side (matching code
highlighted), and a CSV of every pair with something in common. Student text (names, code) is
untrusted: the page escapes all of it and runs nothing; CSV cells cannot start a spreadsheet formula."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

from .. import registry
from ..files import atomic_write
from ..inert import spreadsheet_cell
from ..text import Text
from .page import render
from .similarity import Similarity

LABELS = {
    "title": Text("Code similarity", "代码相似度"),
    "submissions": Text("submissions", "提交目录"),
    "compared": Text("students compared", "参与比较的学生"),
    "threshold": Text("threshold", "阈值"),
    "reference": Text("the reference solutions take part as", "参考答案作为伪学生参与比较："),
    "how": Text(
        "Each exercise module is compared with the same module of every other student by copydetect "
        "(winnowing, the method of MOSS): names, strings, comments and layout do not count, and the released "
        "stubs never count. A pair's score is the larger of the two shares of code found in the other "
        "student's module; pairs at or above the threshold are flagged.",
        "每个练习模块都与其他每位学生的同一模块用 copydetect 比较（winnowing，即 MOSS 的方法）：变量名、字符串、"
        "注释和排版不计，发布的桩代码也从不计入。一对学生的分数取两者中较大的比例（一方代码出现在另一方模块中的比例）；"
        "达到阈值的配对被标记。",
    ),
    "caution": Text(
        "A flag is a reason to look, not a verdict: the book prints much of this chapter's code, so students "
        "who typed the book's code look alike. Compare with the reference (--with-reference) and read the "
        "highlighted code before drawing conclusions.",
        "标记只是需要查看的理由，而不是结论：教材印出了本章的大部分代码，照着教材输入的学生会彼此相似。"
        "下结论之前，请与参考答案比较（--with-reference）并阅读高亮的代码。",
    ),
    "modules": Text("Per exercise module", "各练习模块"),
    "module": Text("module", "模块"),
    "authors": Text("students with the module", "提交了该模块的学生"),
    "pairs": Text("pairs with common code", "有共同代码的配对"),
    "flagged": Text("flagged", "被标记"),
    "groups": Text("Groups of students linked by flagged pairs", "被标记配对连接起来的学生组"),
    "no_flags": Text("No pair reaches the threshold.", "没有配对达到阈值。"),
    "flagged_pairs": Text("Flagged pairs", "被标记的配对"),
    "student_a": Text("student A", "学生 A"),
    "student_b": Text("student B", "学生 B"),
    "score": Text("score", "分数"),
    "modules_flagged": Text("flagged modules and their scores", "被标记的模块及其分数"),
    "share_a": Text("of A's code in B", "A 的代码出现在 B 中"),
    "share_b": Text("of B's code in A", "B 的代码出现在 A 中"),
    "tokens": Text("matching tokens (A)", "匹配的词元（A）"),
    "side_by_side": Text("Side by side", "并排对照"),
    "shown": Text(
        "The {shown} highest-scoring flagged pairs are shown side by side; all {total} are in the table and the CSV.",
        "并排显示得分最高的 {shown} 个被标记配对；全部 {total} 个见上表和 CSV。",
    ),
    "rows": Text(
        "The {rows} pairs of students with the most flagged modules are listed; all {total} are in the CSV.",
        "列出被标记模块最多的 {rows} 对学生；全部 {total} 对见 CSV。",
    ),
    "highlight": Text("highlighted: code found in the other student's module", "高亮：在另一位学生模块中出现的代码"),
    "not_compared": Text("Not compared", "未参与比较"),
    "parameters": Text(
        "copydetect {version}, k-grams of {k} characters, winnowing window {window}; made {when}",
        "copydetect {version}，k-gram 长度 {k} 个字符，winnowing 窗口 {window}；生成于 {when}",
    ),
    "sha256": Text("SHA-256 of the file compared", "所比较文件的 SHA-256"),
    "problem": Text("problem", "问题"),
    "student": Text("student", "学生"),
}
#: Flagged pairs shown side by side (the highest scores); the table and the CSV have every one.
MAX_SHOWN = 100
#: Pairs of students listed in the table of flagged pairs (most flagged modules first); the CSV has every one.
MAX_ROWS = 1000
CSV_HEADER = ("exercise", "student_a", "student_b", "score", "share_a", "share_b", "matching_tokens_a", "flagged")


def labels(lang: str) -> dict[str, str]:
    return {key: text(lang) for key, text in LABELS.items()}


def segments(text: str, ranges: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) pieces at the matching character ranges."""
    pieces, at = [], 0
    for start, end in sorted(ranges):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def module_table(result: Similarity) -> list[dict]:
    rows = []
    for exercise in registry.NAMES:
        prints = result.fingerprints.get(exercise, {})
        if not prints:
            continue
        matches = [m for m in result.matches if m.exercise == exercise]
        rows.append(
            {
                "name": exercise,
                "authors": len(prints),
                "pairs": len(matches),
                "flagged": sum(m.score >= result.threshold for m in matches),
            }
        )
    return rows


def html(result: Similarity, submissions: str = "", lang: str = "en", max_shown: int = MAX_SHOWN) -> str:
    """The page: how the scores are made, per module counts, groups, flagged pairs, then side by side."""
    t = labels(lang)
    flagged = result.flagged
    shown = []
    for index, match in enumerate(flagged[:max_shown]):
        regions_a, regions_b = result.regions(match)
        shown.append(
            {
                "anchor": f"pair-{index + 1}",
                "m": match,
                "a": segments(match.a.modules[match.exercise], regions_a),
                "b": segments(match.b.modules[match.exercise], regions_b),
            }
        )
    reference = next((a.id for a in result.authors if a.reference), None)
    pairs = result.pairs()
    from copydetect import __version__ as copydetect_version
    from copydetect import defaults

    return render(
        "similarity.html.j2",
        lang=lang,
        t=t,
        r=result,
        submissions=Path(submissions).name or submissions,
        students=sum(not a.reference for a in result.authors),
        reference=reference,
        modules=module_table(result),
        groups=result.groups(),
        flagged=flagged,
        pairs=pairs[:MAX_ROWS],
        rows_note=t["rows"].format(rows=MAX_ROWS, total=len(pairs)) if len(pairs) > MAX_ROWS else "",
        anchors={id(item["m"]): item["anchor"] for item in shown},
        id_of=id,
        shown=shown,
        shown_note=t["shown"].format(shown=len(shown), total=len(flagged)),
        parameters=t["parameters"].format(
            version=copydetect_version,
            k=defaults.NOISE_THRESHOLD,
            window=defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1,
            when=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        ),
        digest=lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    )


def csv_text(result: Similarity) -> str:
    """Every pair with something in common, highest score first (pairs not listed share nothing). Each
    student's cell is made once: a class of 300 has hundreds of thousands of pairs."""
    cells = {author.id: spreadsheet_cell(author.id) for author in result.authors}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for m in result.matches:
        writer.writerow(
            [
                m.exercise,
                cells[m.a.id],
                cells[m.b.id],
                f"{m.score:.4f}",
                f"{m.share_a:.4f}",
                f"{m.share_b:.4f}",
                m.tokens,
                int(m.score >= result.threshold),
            ]
        )
    return out.getvalue()


def write_similarity_report(
    result: Similarity, out: str | Path, submissions: str = "", lang: str = "en", max_shown: int = MAX_SHOWN
) -> tuple[Path, Path]:
    """Write the page to ``out`` and the CSV beside it (same name, ``.csv``)."""
    page = Path(out)
    table = page.with_suffix(".csv")
    atomic_write(page, html(result, submissions, lang, max_shown))
    atomic_write(table, csv_text(result))
    return page, table


def summary_line(result: Similarity, page: Path, table: Path, lang: str = "en") -> str:
    students = sum(not a.reference for a in result.authors)
    flagged = len(result.flagged)
    return Text(
        f"{students} students compared ({len(result.not_compared)} could not be read); {flagged} pairs of "
        f"modules at or above {result.threshold:g}; report: {page}; all pairs: {table}",
        f"比较了 {students} 名学生（{len(result.not_compared)} 名无法读取）；{flagged} 个模块配对达到 "
        f"{result.threshold:g}；报告：{page}；全部配对：{table}",
    )(lang)
