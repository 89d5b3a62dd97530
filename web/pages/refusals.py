"""A refusal as a page shows it: the engine's one line, without the command line's hint.

The engine's messages are shared by the command line, the API and the portal; some end by naming the option
that would fix them (``unsatisfied feedback must say what is wrong (--comment)``). On a page there is no such
option, only the form's field, so a parenthesised hint that opens with an option is left off, wherever it stands
(most end the line; some are followed by an example: ``declining needs its reason (--reason), e.g. …``).
"""

from __future__ import annotations

import re

__all__ = ["refusal"]

# a bracket that opens with an option: "(--flag)", "(--flag or --other)", "（--promise 内容 --due 日期）",
# and the space before it
_HINT = re.compile(r"\s*[(（]--[a-z][^()（）]*[)）]")


def refusal(error: BaseException | str) -> str:
    """The refusal's line without its ``(--flag …)`` hints."""
    return _HINT.sub("", str(error)).strip()
