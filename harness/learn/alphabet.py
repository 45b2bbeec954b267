"""Load a learning alphabet (format ssc-alphabet/1) and check it against the operation registry
and the profile before the first APDU: a bad file is a one-line error naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.learn.alphabet_schema import FORMAT, AlphabetDocument
from harness.replay.operations import Operation, check_operation
from ssc.datafile import read_data_file
from ssc.formats import validate
from ssc.profile.model import Profile
from terminal.errors import InputError

__all__ = ["Alphabet", "AlphabetError", "Symbol", "default_alphabet_path", "load_alphabet"]

ALPHABETS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "alphabets"


class AlphabetError(InputError):
    """The learning alphabet file does not load or does not fit the profile."""


@dataclass(frozen=True)
class Symbol:
    name: str
    op: Operation
    requirements: tuple[str, ...] = ()
    destructive: bool = False
    description: str = ""


@dataclass(frozen=True)
class Alphabet:
    source: str
    profile: str
    symbols: tuple[Symbol, ...]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.symbols]

    def symbol(self, name: str) -> Symbol:
        return next(s for s in self.symbols if s.name == name)


def default_alphabet_path(profile_name: str) -> Path:
    """The alphabet shipped for a built-in profile: fixtures/alphabets/<profile>.yaml."""
    return ALPHABETS_DIR / f"{profile_name}.yaml"


def load_alphabet(path: str | Path, profile: Profile) -> Alphabet:
    p = Path(path)
    src = p.name
    data = read_data_file(p, FORMAT, AlphabetError, what="the learning alphabet")
    doc = validate(AlphabetDocument, data, lambda field, message: AlphabetError(f"{src}: {field}: {message}"))
    if profile.name not in doc.profiles:
        raise AlphabetError(f"{src}: profiles: the alphabet is for {', '.join(doc.profiles)}, the card's profile is {profile.name}")
    symbols = []
    seen: set[str] = set()
    for i, s in enumerate(doc.symbols):
        where = f"{src}: symbols[{i}]"
        if s.name in seen:
            raise AlphabetError(f"{where}.name: symbol {s.name!r} appears twice")
        seen.add(s.name)
        op = Operation(s.op, tuple(sorted(s.args.items())))
        try:
            spec = check_operation(op)
        except InputError as exc:
            raise AlphabetError(f"{where}: {exc}") from None
        path_arg = s.args.get("path")
        if path_arg is not None and path_arg not in profile.files:
            raise AlphabetError(f"{where}.args.path: profile {profile.name} has no file {path_arg!r}")
        key_arg = s.args.get("key")
        if key_arg is not None:
            try:
                profile.key(key_arg)
            except (KeyError, ValueError):
                raise AlphabetError(f"{where}.args.key: profile {profile.name} has no key {key_arg!r}") from None
        requirements = tuple(s.requirements) or spec.requirements
        symbols.append(Symbol(s.name, op, requirements, s.destructive or spec.destructive, s.description))
    return Alphabet(src, profile.name, tuple(symbols))
