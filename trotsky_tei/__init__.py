"""trotsky-tei: validate, link and export TEI-XML critical editions of letters."""

__version__ = "0.1.0"
