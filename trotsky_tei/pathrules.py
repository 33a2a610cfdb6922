"""Codes selected or ignored for some files only: the settings' `per-file-ignores` and `per-file-select` (as ruff's):

    [tool.trotsky-tei.per-file-ignores]
    "letters/drafts/*.xml" = ["TT3"]        # no date rules on drafts
    "**/registry/*.xml" = ["TT602"]
    [tool.trotsky-tei.per-file-select]
    "imported/**" = ["TT0", "TT1"]           # only reading and schema problems of files of another edition

A pattern is a glob on the file's path relative to the settings file's folder, with `/` between folders: `*` and `?`
match within one folder's name, `[abc]`, `[a-z]`, `[!abc]` one character, `**` any number of folders; a pattern with
no `/` matches the file's name in any folder. They are applied after `--select`/`--ignore`: a diagnostic of a file
is reported if every ignore pattern the file matches leaves it, and, where the file matches select patterns, one of
them selects it. A pattern is data from a file: it is matched by the code below (no regular expression is made of it),
in time proportional to the pattern's length times the path's, and its length and number are bounded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_PATTERN = 300  # characters of one pattern
MAX_PATTERNS = 500  # patterns in one settings file


@dataclass(frozen=True)
class PathRule:
    """Codes (prefixes) to `ignore` or to `select` for the files `pattern` matches, below `base`."""

    base: str
    pattern: str
    codes: tuple[str, ...]
    ignore: bool = True


def _segment(pattern: str, name: str) -> bool:
    """`name` (one folder or file name) matches `pattern` (*, ?, [...]); wildcard matching with one backtrack point
    (the last *), so O(len(pattern) * len(name))."""
    p = n = 0
    star_p, star_n = -1, 0
    while n < len(name):
        if p < len(pattern) and pattern[p] == "*":
            star_p, star_n = p, n
            p += 1
            continue
        if p < len(pattern):
            width = _one(pattern, p, name[n])
            if width:
                p += width
                n += 1
                continue
        if star_p < 0:
            return False
        star_n += 1  # let the last * take one more character
        p, n = star_p + 1, star_n
    return all(c == "*" for c in pattern[p:])


def _one(pattern: str, p: int, char: str) -> int:
    """The width of the pattern item at `p` if it matches `char`, else 0."""
    c = pattern[p]
    if c == "?":
        return 1
    if c == "[":
        end = pattern.find("]", p + 2)
        if end > 0:
            body = pattern[p + 1 : end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            found, i = False, 0
            while i < len(body):
                if i + 2 < len(body) and body[i + 1] == "-":
                    found = found or body[i] <= char <= body[i + 2]
                    i += 3
                else:
                    found = found or body[i] == char
                    i += 1
            return end - p + 1 if found != negate else 0
    return 1 if c == char else 0


def glob_match(pattern: str, path: str) -> bool:
    """Whether the relative posix `path` matches the glob `pattern` (see the module's doc)."""
    pattern = pattern.strip().removeprefix("./").lstrip("/")
    parts = path.split("/")
    if "/" not in pattern:
        return pattern == "**" or _segment(pattern, parts[-1])
    pats = [s for s in pattern.split("/") if s]
    # memo[i][j]: pats[i:] matches parts[j:]; filled from the end, so each pair is looked at once
    memo = [[False] * (len(parts) + 1) for _ in range(len(pats) + 1)]
    memo[len(pats)][len(parts)] = True
    for i in range(len(pats) - 1, -1, -1):
        for j in range(len(parts), -1, -1):
            if pats[i] == "**":
                memo[i][j] = memo[i + 1][j] or (j < len(parts) and memo[i][j + 1])
            else:
                memo[i][j] = j < len(parts) and _segment(pats[i], parts[j]) and memo[i + 1][j + 1]
    return memo[0][0]


@dataclass
class PathRules:
    """The per-file rules of a run; `wants(path, code)` after the run's own --select/--ignore."""

    rules: tuple[PathRule, ...] = ()
    _matched: dict[str, tuple[PathRule, ...]] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def _of(self, path: str) -> tuple[PathRule, ...]:
        found = self._matched.get(path)
        if found is None:
            absolute = os.path.abspath(path)
            out = []
            for rule in self.rules:
                try:
                    rel = os.path.relpath(absolute, rule.base)
                except ValueError:  # another drive
                    continue
                if rel.startswith(".."):
                    continue
                if glob_match(rule.pattern, Path(rel).as_posix()):
                    out.append(rule)
            found = self._matched[path] = tuple(out)
        return found

    def wants(self, path: str, code: str) -> bool:
        rules = self._of(path)
        if not rules:
            return True
        if any(r.ignore and code.startswith(r.codes) for r in rules):
            return False
        selects = [r for r in rules if not r.ignore]
        return not selects or any(code.startswith(r.codes) for r in selects)
