"""The shipped catalog: the compiled .mo is the .po compiled, and the .po holds every text the code marks."""

from __future__ import annotations

import ast
import inspect
import io
from pathlib import Path

import click
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import cli
from rules.i18n import LOCALE_DIR

ROOT = Path(__file__).parents[2]
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "jianyi.po"
MO = PO.with_suffix(".mo")
PACKAGES = ("workflow", "rules", "notifications", "commands", "web")


def _read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _translated(message: Message | None) -> bool:
    if message is None:
        return False
    string = message.string
    return bool(string if isinstance(string, str) else all(string))


def test_the_shipped_mo_is_the_po_compiled() -> None:
    """jianyi.mo is what `pybabel compile` makes of jianyi.po (run it after editing the .po)."""
    compiled = io.BytesIO()
    write_mo(compiled, _read(PO))
    assert MO.read_bytes() == compiled.getvalue()


def test_the_catalog_holds_exactly_what_the_code_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Babel's extraction (babel.cfg) finds no text missing from jianyi.po and none left over in it."""
    monkeypatch.chdir(ROOT)
    pot = tmp_path / "jianyi.pot"
    args = ["pybabel", "-q", "extract", "-F", "babel.cfg", "-o", str(pot), *PACKAGES, "cli.py"]
    CommandLineInterface().run(args)
    extracted = _ids(_read(pot))
    shipped = _ids(_read(PO))
    assert sorted(extracted - shipped) == []
    assert sorted(shipped - extracted) == []


def test_every_text_marked_in_the_code_is_translated() -> None:
    """Each string given to _() or ngettext() in the packages and cli.py, and each of click's texts the
    command line shows, has its Chinese."""
    catalog = _read(PO)
    marked: set[str] = set()
    for package in PACKAGES:
        for _name, _line, message, *_ in extract_from_dir(ROOT / package):
            marked.add(message if isinstance(message, str) else message[0])
    for path in [ROOT / "cli.py", *(Path(click.__file__).parent / f"{m}.py" for m in cli.CLICK_MODULES)]:
        with path.open("rb") as source:
            for _line, message, *_ in extract("python", source):
                marked.add(message if isinstance(message, str) else message[0])
    missing = sorted(m for m in marked if not _translated(catalog[m]))
    assert missing == []


def _helps(command: click.Command) -> list[str]:
    texts = [command.help, *(p.help for p in command.params if isinstance(p, click.Option))]
    return [inspect.cleandoc(t) for t in texts if t]


def _commands(command: click.Command) -> list[click.Command]:
    subs = command.commands.values() if isinstance(command, click.Group) else ()
    return [command, *(c for sub in subs for c in _commands(sub))]


def test_every_help_text_is_translated() -> None:
    """`--help` is Chinese for the group and every command: their texts and every option's."""
    catalog = _read(PO)
    missing = [
        f"{c.name}: {t[:40]}"
        for c in _commands(cli.cli)
        for t in _helps(c)
        if not _translated(catalog.get(t))
    ]
    assert missing == []


def test_no_function_that_translates_binds_the_name_of_the_translator() -> None:
    """A function calling _() never assigns `_` (`x, _ = …` would make it local: UnboundLocalError)."""
    found = []
    for path in [ROOT / "cli.py", *(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = list(ast.walk(node))
                binds = any(
                    isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) for n in names
                )
                calls = any(
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                    for n in names
                )
                if binds and calls:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert found == []
