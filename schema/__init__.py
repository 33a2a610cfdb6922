"""The RELAX NG letter schema, shipped as package data (see letter.rnc)."""
