"""trotsky-tei: validate, link and export TEI-XML critical editions of letters.

The public API, re-exported here; everything else is reached through its module.

    >>> import trotsky_tei as tt
    >>> result = tt.validate_paths(["corpus/"])          # schema + editorial rules -> Diagnostics
    >>> data = tt.collect(["corpus/"])                   # the edition: Letter records, registry, metadata
    >>> tt.export_site(data, "out/site")                 # static HTML; export_epub, export_text likewise
"""

__version__ = "0.1.0"

from importlib import import_module
from typing import TYPE_CHECKING, Any

# name -> module: imported on first use (PEP 562), so that `import trotsky_tei` (and the CLI's --help) stays quick
_EXPORTS = {
    "Diagnostic": "errors", "Severity": "errors", "TeiError": "errors",
    "CallNumber": "model", "Edition": "model", "Entity": "model", "Letter": "model",
    "discover": "reader", "read": "reader", "read_edition": "reader",
    "Registry": "registry", "load_registry": "registry",
    "collect": "render.collect", "export_epub": "render.epub", "export_site": "render.site",
    "export_text": "render.text", "render_letter_text": "render.text", "render_letter_html": "render.html",
    "load_schema": "schema", "ValidateOptions": "validate", "validate_paths": "validate",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .errors import Diagnostic, Severity, TeiError
    from .model import CallNumber, Edition, Entity, Letter
    from .reader import discover, read, read_edition
    from .registry import Registry, load_registry
    from .render.collect import collect
    from .render.epub import export_epub
    from .render.html import render_letter_html
    from .render.site import export_site
    from .render.text import export_text, render_letter_text
    from .schema import load_schema
    from .validate import ValidateOptions, validate_paths

__all__ = [
    "CallNumber",
    "Diagnostic",
    "Edition",
    "Entity",
    "Letter",
    "Registry",
    "Severity",
    "TeiError",
    "ValidateOptions",
    "__version__",
    "collect",
    "discover",
    "export_epub",
    "export_site",
    "export_text",
    "load_registry",
    "load_schema",
    "read",
    "read_edition",
    "render_letter_html",
    "render_letter_text",
    "validate_paths",
]
