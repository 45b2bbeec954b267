"""The reader-interface format ``ssc-reader-interface/1`` as a schema model.

READER-INTERFACE.md (the reader SDK's functions, output strings and return codes) as data, each
value with its provenance, so a lab holding LD/T 33 can correct a code or a field without touching
Python. ``schemas/ssc-reader-interface-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ssc.formats import DataModel, NonEmptyStr
from ssc.profile.schema import Count, Prov

__all__ = ["FORMAT", "AuthRules", "InterfaceFile", "ReaderCode", "ReaderInterfaceDocument"]

GrantChoice = Literal["pin_only", "fewest_pin"]

FORMAT = "ssc-reader-interface/1"


class ReaderCode(DataModel):
    """One return code of the reader library (READER-INTERFACE.md §4)."""

    code: Annotated[int, Field(lt=0)]
    """the negative return value"""
    zh: NonEmptyStr
    """its meaning in Chinese, as the feature files write it"""
    en: NonEmptyStr
    prov: Prov


class InterfaceFile(DataModel):
    """A file iReadCard/iWriteCard address by name (``SSSEEF05``, ``DF01EF05``)."""

    path: NonEmptyStr
    """the file's path in the card profile (``SSSE/DF01/EF05``)"""
    prov: Prov


class AuthRules(DataModel):
    """How a library gains the rights a file's access rule asks for: ``pin_only`` = the PIN from
    the PIN pad and nothing else; ``fewest_pin`` = the rule's condition set with the fewest PIN
    terms, then the fewest key authentications (through the PSAM)."""

    read: dict[NonEmptyStr, GrantChoice]
    """iReadCard: by iAuthType name (the keys of auth_types)"""
    write: GrantChoice
    """iWriteCard"""


class ReaderInterfaceDocument(DataModel):
    """The reader library's programming interface, format ssc-reader-interface/1."""

    format: Literal["ssc-reader-interface/1"]
    """the format and its version"""
    prov: Prov
    out_size: Count
    """bytes the kit allocates per output buffer"""
    separator: Annotated[str, Field(min_length=1, max_length=1)]
    """the field separator of output strings, also written after the last field"""
    file_separator: Annotated[str, Field(min_length=1, max_length=1)]
    """ends each file's group in iReadCard's pFileAddr and output"""
    basic_fields: Annotated[list[NonEmptyStr], Field(min_length=1)]
    """the fields of iReadCardBas's output, in order"""
    card_number_length: Count
    """characters of the card number readers read (bytes of record 07)"""
    hsm_step1_fields: Annotated[list[NonEmptyStr], Field(min_length=1)]
    """the fields of iReadCardBas_HSM_Step1's output, in order"""
    types: dict[NonEmptyStr, int]
    """iType values by name"""
    auth_types: dict[NonEmptyStr, int]
    """iReadCard's iAuthType values by name"""
    codes: Annotated[dict[NonEmptyStr, ReaderCode], Field(min_length=1)]
    """return codes by name; a card status word that has no code of its own is returned as its negative decimal"""
    files: Annotated[dict[NonEmptyStr, InterfaceFile], Field(min_length=1)]
    """the files iReadCard/iWriteCard address, by the name pFileAddr gives them"""
    not_addressed: dict[NonEmptyStr, NonEmptyStr]
    """profile files the interface does not address, with the reason"""
    auth_rules: AuthRules
    """how a library gains read and update rights (see AuthRules)"""
