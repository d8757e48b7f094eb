"""Fail closed: no student code runs where the sandbox cannot isolate it, unless the grader was told
the code is trusted (``--no-sandbox``, ``[sandbox] bubblewrap = "off"``). The refusal says what is
missing and how to fix it, in both languages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...text import Text
from .plan import Plan, plan

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig

#: How to let bubblewrap create namespaces, by where it fails.
NAMESPACE_FIX = Text(
    "allow user namespaces: on Ubuntu 24.04 install an AppArmor profile for bwrap (docs/sandbox.md, "
    "'Making bubblewrap work') or run `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; "
    "elsewhere `sudo sysctl -w kernel.unprivileged_userns_clone=1` and a non-zero "
    "user.max_user_namespaces; in a container, start it with `--security-opt seccomp=unconfined "
    "--security-opt apparmor=unconfined` (or grade on the host)",
    "允许用户命名空间：Ubuntu 24.04 上为 bwrap 安装 AppArmor 配置（见 docs/sandbox.md 的"
    "“Making bubblewrap work”）或运行 `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`；"
    "其他系统运行 `sudo sysctl -w kernel.unprivileged_userns_clone=1` 并让 user.max_user_namespaces 非零；"
    "在容器中请用 `--security-opt seccomp=unconfined --security-opt apparmor=unconfined` 启动（或在宿主机上评分）",
)
INSTALL_FIX = Text(
    "install bubblewrap: `sudo apt-get install bubblewrap` (Debian, Ubuntu) or `sudo dnf install bubblewrap`",
    "安装 bubblewrap：`sudo apt-get install bubblewrap`（Debian、Ubuntu）或 `sudo dnf install bubblewrap`",
)
FILTER_FIX = Text(
    "install libseccomp (`sudo apt-get install libseccomp2`) and the grader's dependencies (`pip install pyseccomp`)",
    "安装 libseccomp（`sudo apt-get install libseccomp2`）以及评分程序的依赖（`pip install pyseccomp`）",
)
TRUSTED = Text(
    'Only for code you trust (e.g. the kit\'s own solutions): --no-sandbox, or bubblewrap = "off" in '
    "[sandbox] of the configuration file.",
    '仅对可信代码（例如本套件自带的参考答案）：使用 --no-sandbox，或在配置文件 [sandbox] 中设置 bubblewrap = "off"。',
)


class SandboxUnavailable(RuntimeError):
    """Student code would run without isolation: grading refuses (exit status 2)."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


def _explain(p: Plan) -> Text:
    if p.bwrap is None:
        what = Text(
            f"bubblewrap cannot isolate the code here: {p.why_not}", f"bubblewrap 无法在此隔离代码：{p.why_not}"
        )
        fix = INSTALL_FIX if "not installed" in p.why_not else NAMESPACE_FIX
    else:
        what = Text(f"no system-call filter: {p.why_no_filter}", f"无法建立系统调用过滤：{p.why_no_filter}")
        fix = FILTER_FIX
    return (
        Text("Refusing to run student code without the sandbox. ", "拒绝在没有沙箱的情况下运行学生代码。")
        + what
        + Text(". To fix: ", "。解决方法：")
        + fix
        + Text(". ", "。")
        + TRUSTED
    )


def refusal(config: "WorkerConfig") -> SandboxUnavailable | None:
    """The error that stops grading under ``config`` here, or None when student code may run."""
    p = plan(config)
    if p.custom or config.sandbox == "off" or p.isolated:
        return None
    return SandboxUnavailable(_explain(p))


def require(config: "WorkerConfig") -> None:
    """Raise ``SandboxUnavailable`` unless student code may run under ``config`` here."""
    problem = refusal(config)
    if problem is not None:
        raise problem
