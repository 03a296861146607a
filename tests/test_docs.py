"""The README stays short and true: under 8 KB, its links lead somewhere, and the commands it names exist.

Issue 14: a newcomer reads the README first, so it says what triage is, the two make commands, the everyday
commands and the layout; everything longer lives in docs/. Links are checked here because a moved file or a
renamed heading breaks them silently, and commands because a renamed command would leave the README lying.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_BYTES = 8192

FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]+(?:\n[^`\n]+)?`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
# A command word after `triage ` (a word, not an option, a path or a module name such as triage.cli).
COMMAND = re.compile(r"\btriage ([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?")
# A command's name in --help: rich draws it after "│ " in the Commands panel, plain click indents it by two.
HELP_ROW = re.compile(r"^(?:│ | {2})([a-z][a-z0-9-]*)(?= |$)")

runner = CliRunner()


def _prose(text: str) -> str:
    """The text outside code, where links and headings are Markdown rather than shell or diagrams."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(h) for h in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8")))}


def _links(path: Path) -> list[str]:
    return [t for t in LINK.findall(_prose(path.read_text(encoding="utf-8"))) if not re.match(r"[a-z]+:", t)]


def _help_commands(args: list[str]) -> set[str]:
    """The command names `triage ARGS --help` lists (empty for a command without subcommands)."""
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    names: set[str] = set()
    listing = False
    for line in result.output.splitlines():
        if "Commands" in line:
            listing = True
        elif listing and (line.startswith("╰") or not line.strip()):
            listing = False
        elif listing and (m := HELP_ROW.match(line)):
            names.add(m.group(1))
    return names


def _named_commands(text: str) -> set[tuple[str, str | None]]:
    """Every `triage <command> [<subcommand>]` written as code: in fenced blocks and inline code spans."""
    code = "\n".join([*FENCE.findall(text), *INLINE_CODE.findall(FENCE.sub("", text))])
    return {(m.group(1), m.group(2)) for m in COMMAND.finditer(code)}


def test_readme_is_at_most_8_kb() -> None:
    size = len(README.read_bytes())
    assert size <= MAX_README_BYTES, (
        f"README.md is {size} bytes; move detail into docs/ (limit {MAX_README_BYTES})"
    )


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target in _links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    assert not broken, f"{path.relative_to(ROOT)}: {broken}"


def test_readme_links_every_doc() -> None:
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in _links(README)}
    assert DOCS, "docs/ has no Markdown files"
    assert [d.name for d in DOCS if d.resolve() not in linked] == []


def test_help_parser_finds_the_commands() -> None:
    # Guards the command check below from passing because the parser found nothing.
    assert {"scan", "batch", "export", "train", "brief", "models"} <= _help_commands([])
    assert {"promote", "rollback"} <= _help_commands(["models"])
    assert _help_commands(["scan"]) == set()


def test_every_command_in_readme_exists() -> None:
    named = _named_commands(README.read_text(encoding="utf-8"))
    assert {"scan", "batch", "export", "train", "brief"} <= {c for c, _ in named}
    commands = _help_commands([])
    unknown = sorted(c for c, _ in named if c not in commands)
    assert unknown == [], f"README names commands `triage --help` does not list: {unknown}"
    for command, sub in sorted(named, key=str):
        subcommands = _help_commands([command])
        if sub and subcommands:
            assert sub in subcommands, (
                f"README names `triage {command} {sub}`; {command} has {sorted(subcommands)}"
            )


def test_command_check_catches_a_made_up_command() -> None:
    named = _named_commands("Run `triage scan x.pdf`, then\n```sh\ntriage frobnicate --all\n```\n")
    assert named == {("scan", "x"), ("frobnicate", None)}
    assert "frobnicate" not in _help_commands([])
