"""The AI Act questionnaire on the terminal, for ``boucle classify --interactive``.

:class:`TerminalAsker` implements :class:`boucle.governance.questionnaire.Asker` with typer
prompts and numbered choices; :func:`prompt_use_case` runs the questionnaire with it and offers
to append the answers to ``boucle.yaml``. Only typer and the shared CLI modules are imported
here; :mod:`boucle.governance.questionnaire` is imported when the questionnaire runs.
"""

from __future__ import annotations

from typing import Any

import typer

from boucle.cli.render import console, error_console

__all__ = ["TerminalAsker", "prompt_use_case"]


class TerminalAsker:
    """The questionnaire on the terminal (typer prompts; numbered choices)."""

    def text(self, question: str, *, required: bool) -> str:
        """Ask for free text; ask again while a required answer is empty."""
        while True:
            answer = str(typer.prompt(question, default="" if not required else None)).strip()
            if answer or not required:
                return answer
            error_console().print("an answer is required")

    def choose(self, question: str, options: list[tuple[str, str]]) -> str:
        """List the numbered options and return the value of the one picked."""
        self._list(question, options)
        while True:
            picked = self._numbers(typer.prompt("Number", default="1"), len(options))
            if picked is not None and len(picked) == 1:
                return options[picked[0]][0]
            error_console().print(f"type one number from 1 to {len(options)}")

    def choose_many(self, question: str, options: list[tuple[str, str]]) -> list[str]:
        """List the numbered options and return the values of those picked (maybe none)."""
        self._list(question, options)
        while True:
            answer = typer.prompt("Numbers, comma-separated (empty: none)", default="")
            picked = self._numbers(answer, len(options))
            if picked is not None:
                return [options[i][0] for i in picked]
            error_console().print(f"type numbers from 1 to {len(options)}, e.g. 1,3")

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question (default no)."""
        return bool(typer.confirm(question, default=False))

    @staticmethod
    def _list(question: str, options: list[tuple[str, str]]) -> None:
        typer.echo(question)
        for number, (value, description) in enumerate(options, start=1):
            typer.echo(f"  {number:>2}. {value}" + (f" ({description})" if description else ""))

    @staticmethod
    def _numbers(answer: str, count: int) -> list[int] | None:
        parts = [p.strip() for p in str(answer).split(",") if p.strip()]
        if not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
            return None
        return list(dict.fromkeys(int(p) - 1 for p in parts))


def prompt_use_case(cfg: Any) -> Any:
    """Run the questionnaire; offer to append the answers to boucle.yaml."""
    from boucle.governance.questionnaire import append_use_case, ask_use_case, use_case_yaml

    use_case = ask_use_case(TerminalAsker())
    typer.echo("\n" + use_case_yaml(use_case))
    if cfg.use_case is not None:
        if cfg.use_case != use_case:
            error_console().print(
                f"{cfg.path} already has a different use_case: section; replace it with the "
                "one above, then run `boucle classify` again so promotion sees it."
            )
        return use_case
    if cfg.path is not None and typer.confirm(f"Add this use_case: to {cfg.path}?", default=True):
        append_use_case(cfg.path, use_case)
        console().print(f"added use_case: to {cfg.path}")
    return use_case
