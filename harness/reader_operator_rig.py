"""RDR-6 on a physical reader: the conditions are asked of the operator, then checked over PC/SC.

On vpcd the kit serves and swaps its own cards and PSAMs (`harness.reader_rig.ReaderRig`). A
physical reader has no such rig: the lab takes the card out, inserts a card of another type, takes
the PSAM out… `OperatorRig` asks for each condition through the run's operator
(`harness.operator`: console, answer file, or nobody) and, before the library is called, verifies
over PC/SC what it can: the slot is empty, or holds a card that is (or is not) a social security
card of the generation asked for, whose card-ID MAC verifies (or does not, for the invalid card);
the PSAM slot is empty, or its PSAM serves (or lacks) the card's algorithm or RKSSSE. A request
declined, or a condition not found, makes the case inconclusive with the reason — never passed.

A case that changes the card (tagged ``@destructive``: it blocks, changes or reloads the PIN or
writes records) needs a card in its issued state and is inconclusive here: a lab's test card is not
reset between cases, the kit's served cards are. The card's own wire is not seen (no `Recorder`):
a check that needs the bytes that reached the card says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from checks.verdicts import Inconclusive
from harness.operator import Operator, Request
from harness.reader_rig import ReaderRig, Recorder
from ssc.profile import load_profile
from terminal.card_id import card_id_mac
from terminal.errors import HarnessError
from terminal.transports.pcsc import await_presence

__all__ = ["CARD_REQUESTS", "DESTRUCTIVE", "INITIAL", "PSAM_REQUESTS", "OperatorRig"]

DESTRUCTIVE = "the case changes the card (PIN or records) and needs one in its issued state: the kit serves such cards on vpcd; a lab's test card in a physical reader is not reset between cases"
SETTLE_S = 3.0  # seconds the reader gets to report the slot's new state after the operator confirmed

CARD_REQUESTS: dict[str | None, Request] = {
    None: Request("reader.card.remove", "请从被测读写器中取出用户卡", "take the card out of the reader under test"),
    "gen2": Request("reader.card.insert:gen2", "请插入第二代社保测试卡（初始 PIN）", "insert the lab's gen2 SSC test card (initial PIN)"),
    "gen3": Request("reader.card.insert:gen3", "请插入第三代社保测试卡（初始 PIN）", "insert the lab's gen3 SSC test card (initial PIN)"),
    "gen2:bad_card_id_mac": Request(
        "reader.card.insert:bad_card_id_mac", "请插入卡识别码 MAC 错误的第二代测试卡", "insert a gen2 test card whose card-ID MAC is wrong"
    ),
    "not_ssc": Request(
        "reader.card.insert:not_ssc", "请插入非社保卡（无社保应用的卡）", "insert a card without the social security application"
    ),
}
PSAM_REQUESTS: dict[str | None, Request] = {
    None: Request("reader.psam.remove", "请从 PSAM 卡座取出 PSAM", "take the PSAM out of its slot"),
    "reference": Request("reader.psam.insert:reference", "请在 PSAM 卡座插入测试 PSAM", "insert the test PSAM"),
    "no_algorithm": Request(
        "reader.psam.insert:no_algorithm", "请插入不含该卡算法（3DES/SM4）的 PSAM", "insert a PSAM without the card's algorithm (3DES/SM4)"
    ),
    "no_rksse": Request("reader.psam.insert:no_rksse", "请插入不含 RKSSSE 的 PSAM", "insert a PSAM without RKSSSE"),
}
_UNKNOWN = "unknown"
INITIAL = "initial"  # psam_kind before any request: the lab's test PSAM in its reader


@dataclass
class OperatorRig(ReaderRig):
    """`ReaderRig`'s interface over a physical card reader and PSAM reader, driven by the operator.
    `card_kind` starts as the kind of the card the run opened (e.g. gen2), so no request is made
    for the card already in the reader."""

    operator: Operator | None = None
    settle_s: float = SETTLE_S
    destructive: bool = False  # set by the step for a @destructive case

    def insert_card(self, kind: str | None, *, fresh: bool = False) -> Recorder | None:
        if self.destructive:
            raise Inconclusive(DESTRUCTIVE)
        if kind == self.card_kind and kind is not None:
            return None
        self._ask(CARD_REQUESTS[kind])
        self.card_kind = _UNKNOWN
        problem = self._card_problem(kind)
        if problem is not None:
            raise Inconclusive(f"the operator confirmed {CARD_REQUESTS[kind].key!r}, but {problem}")
        self.card_kind = kind
        return None

    def insert_psam(self, kind: str | None, generation: str = "gen2") -> None:
        if self.destructive:
            raise Inconclusive(DESTRUCTIVE)
        key = None if kind is None else f"{kind}/{generation}"
        if key == self.psam_kind:
            return
        if not self.psam_reader:
            raise Inconclusive("no PSAM reader given (--psam-reader): the case needs the PSAM slot")
        if not (kind == "reference" and self.psam_kind == INITIAL):  # the lab's test PSAM is in its reader to begin with
            self._ask(PSAM_REQUESTS[kind])
        self.psam_kind = _UNKNOWN
        problem = self._psam_problem(kind, generation)
        if problem is not None:
            raise Inconclusive(f"the PSAM slot is not as asked ({PSAM_REQUESTS[kind].key!r}): {problem}")
        self.psam_kind = key

    def close(self) -> None:
        self.card = None

    # -- asking and verifying -------------------------------------------------------------------

    def _ask(self, request: Request) -> None:
        if self.operator is None:
            raise Inconclusive(f"no operator to carry out {request.key!r}")
        answer = self.operator.ask(request)
        if not answer.done:
            raise Inconclusive(answer.reason)

    def _card_problem(self, kind: str | None) -> str | None:
        present = kind is not None
        if await_presence(self.card_reader, present=present, timeout=self.settle_s) is None:
            return f"the reader {'reports no card' if present else 'still reports a card'} after {self.settle_s:g} s"
        if kind is None:
            return None
        time.sleep(0.1)  # the reader powers the card up before the kit connects
        generation = "gen2" if kind == "not_ssc" else kind.partition(":")[0]
        try:
            with self.card_session(generation) as card:
                answer = card.select_path("SSSE", check=False)
                if kind == "not_ssc":
                    return None if not answer.ok else "the card has the social security application"
                if not answer.ok:
                    return f"the card has no social security application (SELECT answered {answer.sw:04X})"
                version = str(card.read_item("spec_version"))
                if version != card.profile.spec_version:
                    return f"the card's spec version is {version}, a {generation} card has {card.profile.spec_version}"
                if self.psam_kind is not None and self.psam_kind.startswith("reference"):
                    with self.psam_client(generation) as psam:
                        ident = card.identity()
                        layout = card.profile.card_id
                        valid = ident.card_id_code[layout.mac] == card_id_mac(card, psam, ident.card_id_code)
                    if valid == kind.endswith("bad_card_id_mac"):
                        return "its card-ID MAC " + ("verifies" if valid else "does not verify")
        except HarnessError as exc:
            return f"the card cannot be read ({exc})"
        return None

    def _psam_problem(self, kind: str | None, generation: str) -> str | None:
        present = kind is not None
        if await_presence(self.psam_reader, present=present, timeout=self.settle_s) is None:
            return f"the PSAM reader {'reports no card' if present else 'still reports a card'} after {self.settle_s:g} s"
        if kind is None:
            return None
        profile = load_profile(generation)
        try:
            with self.psam_client(generation) as psam:
                try:
                    psam.select_for(profile.algorithm)
                except HarnessError as exc:
                    return None if kind == "no_algorithm" else f"the PSAM does not serve {profile.algorithm.name} ({exc})"
                if kind == "no_algorithm":
                    return f"the PSAM serves {profile.algorithm.name}"
                if kind == "no_rksse" or (kind == "reference" and generation == "gen3"):
                    try:
                        psam.derive("external_auth", profile.key("RKSSSE"), 0, [bytes(8)] * 3)
                        has_rksse = True
                    except HarnessError:
                        has_rksse = False
                    if has_rksse == (kind == "no_rksse"):
                        return "the PSAM " + ("has" if has_rksse else "lacks") + " RKSSSE"
        except HarnessError as exc:
            return f"the PSAM cannot be reached ({exc})"
        return None
