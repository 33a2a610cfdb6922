"""The RELAX NG letter schema, shipped as package data (see letter.rnc); re-exports the loader of trotsky_tei.relaxng."""

from trotsky_tei.relaxng import LetterSchema, bundled_schema_path, load_schema

__all__ = ["LetterSchema", "bundled_schema_path", "load_schema"]
