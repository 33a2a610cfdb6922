"""Editorial rules: small functions with a stable code, a name and a one-line doc (the ruff model).

A rule module registers its rules with `@rule(...)`; `all_rules()` imports every module listed in
`RULE_MODULES` and returns the rules sorted by code. A rule receives a `RuleContext` and returns
(or yields) `Diagnostic`s; it never raises for bad input.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree

from ..errors import Diagnostic, Severity
from ..model import Letter
from ..refs import References
from ..registry import Registry
from ..xmlfile import line_of

# modules under trotsky_tei.rules that define rules; add yours here
RULE_MODULES: list[str] = ["ids", "pointers", "dates", "correspondence", "archive", "archive_forms", "registry"]


@dataclass
class RuleContext:
    """What a rule may look at: one parsed file (letter, registry or edition), its record, and the registry."""

    path: str
    tree: etree._ElementTree
    kind: str  # "letter" | "registry" | "edition"
    registry: Registry
    letter: Letter | None = None  # its record where the run made one; a run of `validate` alone does not (rules read the tree)
    today: str = ""  # ISO date used by "not in the future" checks (injected for tests)
    extra: dict[str, object] = field(default_factory=dict)
    references: References | None = None  # the file's pointers, resolved once (made here when not given)
    # registry ids the letters of the run point to (TT602); None: not known (no letters were part of the run)
    used_registry_ids: frozenset[str] | None = None

    @property
    def refs(self) -> References:
        if self.references is None:
            self.references = References(self.tree, self.path, self.registry)
        return self.references

    def diag(
        self, el: etree._Element | None, code: str, name: str, message: str, severity: Severity = Severity.ERROR
    ) -> Diagnostic:
        line = line_of(el) if el is not None else 0
        return Diagnostic(self.path, line, 1 if line else 0, severity, code, name, message)


RuleFunc = Callable[[RuleContext], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    doc: str
    kinds: tuple[str, ...]
    func: RuleFunc
    severity: Severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> list[Diagnostic]:
        if ctx.kind not in self.kinds:
            return []
        return list(self.func(ctx))


_RULES: dict[str, Rule] = {}


def rule(
    code: str, name: str, *, kinds: tuple[str, ...] = ("letter",), severity: Severity = Severity.ERROR
) -> Callable[[RuleFunc], RuleFunc]:
    """Register `func` as rule `code` (e.g. "TT201") named `name`; its docstring's first line is its doc."""

    def deco(func: RuleFunc) -> RuleFunc:
        if code in _RULES and _RULES[code].func is not func:
            raise ValueError(f"rule code {code} is registered twice")
        doc = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else name
        _RULES[code] = Rule(code, name, doc, kinds, func, severity)
        return func

    return deco


def all_rules() -> list[Rule]:
    for mod in RULE_MODULES:
        name = f"{__name__}.{mod}"
        if name not in sys.modules:  # (asked for each file checked: imported once)
            importlib.import_module(name)
    return sorted(_RULES.values(), key=lambda r: r.code)
