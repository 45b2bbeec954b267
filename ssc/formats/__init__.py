"""Schema models of the data files a lab edits (profile, issuer declaration, key file, region
registry, invalid-card lists): the building blocks shared by every format, and the translation of
a validation error into the one-line ``<file>: <field path>: <expected ...>`` message labs see.

Each format's model lives beside its loader; ``scripts/export-schemas`` publishes them as JSON
Schemas under ``schemas/`` so an editor can check a file while it is typed.
"""

from ssc.formats.errors import field_path, validate
from ssc.formats.types import Check, DataModel, NonEmptyStr, digits, hex_bytes, value_error

__all__ = ["Check", "DataModel", "NonEmptyStr", "digits", "field_path", "hex_bytes", "validate", "value_error"]
