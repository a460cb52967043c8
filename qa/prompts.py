"""Prompts live as text files in ``qa/prompts/`` so they can be read and changed without code."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    return (resources.files("qa") / "prompts" / f"{name}.txt").read_text(encoding="utf-8")
