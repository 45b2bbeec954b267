"""What one reader-plan run shares across its scenarios: the reader under test and the known card
in it, the PSAM reader, the reference reader library (RDR-6), and the measurements that go into
results.json (``run.reader``).

The card is reached only through PC/SC (`PcscTransport`, traced); nothing here knows whether the
card is virtual. Whether the card is the programmable reader-test card is asked in-band: a card
that answers the hook's ``atr`` command with 9000 is; any other card (a lab's physical test card)
is not, and the cases that need the hook are inconclusive with that reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.operator import NoOperator, Operator
from ssc.profile import load_profile
from ssc.profile.model import Profile
from ssc.readertest import ReaderTest, load_reader_test
from terminal.psam_client import PsamClient
from terminal.transports.base import Transport
from terminal.transports.tracing import Masker, TraceRecorder, TracingTransport

NO_LIB = "no --lib given (RDR-6 tests a reader library: ssc-conform run --plan reader --lib PATH, e.g. readerlib/build/libsscreader.so)"
OPEN_TIMEOUT = 10.0  # seconds a re-inserted card gets to be back in the reader


@dataclass
class ReaderSession:
    """The reader under test (`reader`, a name or pattern), the optional PSAM reader and library."""

    reader_pattern: str
    psam_pattern: str | None = None
    lib: Path | None = None  # --lib: the reader library RDR-6 calls (harness of i11lib's kit)
    declared_atr: bytes | None = None  # --card-atr: the ATR of a physical test card
    long_run: int | None = None  # --long-run: APDUs of RDR-5; None: the data file's default
    apdu_timeout: float = 5.0
    hooks: ReaderTest = field(default_factory=load_reader_test)
    profile: Profile = field(default_factory=lambda: load_profile("gen2"))
    reader: str | None = None  # the resolved reader name
    raw: Any = None  # the PcscTransport of the card
    transport: Transport | None = None  # `raw`, traced
    recorder: TraceRecorder = field(default_factory=TraceRecorder)
    own_atr: bytes | None = None  # the card's ATR as the hook reports it; None: not the reader-test card
    error: str | None = None
    error_type: str | None = None
    measurements: dict[str, Any] = field(default_factory=dict)
    operator: Operator = field(default_factory=NoOperator)  # --operator: what the lab does by hand (harness.operator)
    started: float = field(default_factory=time.time)
    _psam: PsamClient | None = None
    _psam_raw: Any = None

    @property
    def programmable(self) -> bool:
        """True when the card in the reader is the programmable reader-test card."""
        return self.own_atr is not None

    @property
    def physical(self) -> bool:
        """True when the reader under test is not a vpcd reader: RDR-6 then asks the operator for
        its conditions (harness.reader_operator_rig) instead of serving cards in the vpcd slots."""
        from harness.reader_serve import VPCD_PORTS

        return self.reader is not None and self.reader not in VPCD_PORTS

    @property
    def expected_atr(self) -> bytes | None:
        """The ATR the reader must deliver: the one the reader-test card says it sent, else the declared one."""
        return self.own_atr if self.own_atr is not None else self.declared_atr

    def open(self) -> None:
        """Open the card; on failure keep the reason (every scenario reports it)."""
        from harness.dut import mask_rules
        from harness.profiles import detect_profile
        from terminal.transports.pcsc import PcscTransport

        try:
            self.raw = PcscTransport(self.reader_pattern, apdu_timeout=self.apdu_timeout)
        except Exception as exc:
            self.error, self.error_type = f"{type(exc).__name__}: {exc}", type(exc).__name__
            return
        self.reader = self.raw.reader
        self.recorder.masker = Masker(mask_rules(self.profile))
        self.transport = TracingTransport(self.raw, self.recorder)
        self.own_atr = self.probe_hook()
        try:
            self.profile = detect_profile(self.raw, self.profile)
            self.recorder.masker = Masker(mask_rules(self.profile))
        except Exception as exc:  # not an SSC card: RDR-4 says so; the transport cases do not need it
            self.measurements["profile_error"] = str(exc)

    def probe_hook(self) -> bytes | None:
        assert self.transport is not None
        answer = self.transport.transmit(self.hooks.command("atr", le=256))
        return answer[:-2] if answer[-2:] == b"\x90\x00" and len(answer) > 2 else None

    def reopen(self, timeout: float = OPEN_TIMEOUT) -> bytes:
        """After the card left and came back: a fresh connection (the old handle is gone with the
        card); returns the ATR the reader now reports."""
        from terminal.transports.pcsc import PcscTransport

        if self.raw is not None:
            self.raw.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.raw = PcscTransport(self.reader or self.reader_pattern, apdu_timeout=self.apdu_timeout)
                break
            except Exception:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        self.transport = TracingTransport(self.raw, self.recorder)
        atr = self.raw.atr
        assert atr is not None
        return bytes(atr)

    def psam(self) -> PsamClient:
        """The PSAM in the PSAM reader (opened once), its key DF for the card's algorithm selected."""
        if self._psam is None:
            from checks.verdicts import Inconclusive
            from terminal.transports.pcsc import PcscTransport

            if self.psam_pattern is None:
                raise Inconclusive("no PSAM reader given (--psam-reader)")
            self._psam_raw = PcscTransport(self.psam_pattern, apdu_timeout=self.apdu_timeout)
            self._psam = PsamClient(TracingTransport(self._psam_raw, self.recorder), self.profile)
            self._psam.select_for(self.profile.algorithm)
        return self._psam

    @property
    def psam_reader(self) -> str | None:
        return self._psam_raw.reader if self._psam_raw is not None else None

    def close(self) -> None:
        for raw in (self.raw, self._psam_raw):
            if raw is not None:
                raw.close()
        self.raw = self._psam_raw = None
        self._psam = None

    def describe(self) -> dict[str, Any]:
        """The ``dut`` block of a reader-plan results.json."""
        out: dict[str, Any] = {
            "description": f"reader {self.reader or self.reader_pattern}",
            "reader": self.reader or self.reader_pattern,
            "psam_reader": self.psam_reader or self.psam_pattern,
            "card": "reader-test card (programmable, in-band hook)" if self.programmable else "the lab's test card",
            "atr": self.expected_atr.hex().upper() if self.expected_atr else None,
            "profile": self.profile.name,
            "lib": str(self.lib) if self.lib else None,
            "protocol": getattr(self.raw, "protocol_name", None),
            "operator": self.operator.describe(),
            "operator_requests": list(self.operator.asked),
        }
        if self.error is not None:
            out |= {"error": self.error, "error_type": self.error_type}
        return out
