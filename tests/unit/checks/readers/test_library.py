"""The RDR-6 judgements without a library or a reader: outcomes built by hand."""

from __future__ import annotations

import ctypes

from checks.readers import libcall
from checks.readers.library import CardFacts, buffer_problems, expected_basic_info, output_problems, rc_problems
from checks.readers.library_process import CallOutcome, OutBuffer
from ssc.reader_interface import load_reader_interface

IFACE = load_reader_interface()
FIELDS = {f: f.upper().encode() for f in IFACE.basic_fields} | {"name": "李清远".encode("gbk")}
FACTS = CardFacts("441800", bytes(8), FIELDS)


def outcome(data: bytes, rc: int = 0, *, guard: bool = True, terminated: bool = True) -> CallOutcome:
    return CallOutcome("iReadCardBas", rc, (OutBuffer(data, terminated, guard),))


def test_the_expected_output_has_every_field_in_order_and_a_trailing_separator() -> None:
    expected = expected_basic_info(FACTS, IFACE)
    assert expected.endswith(b"|") and expected.count(b"|") == len(IFACE.basic_fields)
    assert expected.split(b"|")[IFACE.basic_fields.index("name")] == "李清远".encode("gbk")


def test_the_right_output_has_no_findings() -> None:
    expected = expected_basic_info(FACTS, IFACE)
    assert output_problems(outcome(expected), expected, IFACE, IFACE.basic_fields) == []


def test_a_missing_trailing_separator_is_named() -> None:
    expected = expected_basic_info(FACTS, IFACE)
    problems = output_problems(outcome(expected[:-1]), expected, IFACE, IFACE.basic_fields)
    assert any("does not end with the separator" in p for p in problems)


def test_a_utf8_name_is_named_with_its_field() -> None:
    expected = expected_basic_info(FACTS, IFACE)
    got = expected.replace("李清远".encode("gbk"), "李清远".encode())
    problems = output_problems(outcome(got), expected, IFACE, IFACE.basic_fields)
    assert any(p.startswith("字段 name：") and " / name: got" in p for p in problems), problems


def test_a_status_word_is_expected_as_its_negative_decimal() -> None:
    assert rc_problems(outcome(b"", -27010), "sw:6982", IFACE) == []
    assert rc_problems(outcome(b"", -1), "sw:6982", IFACE) == [
        "iReadCardBas 返回 -1（卡类型不对），预期 -27010（状态字 6982） / "
        "iReadCardBas returned -1（卡类型不对, wrong_card_type）, expected -27010 (the status word 6982)"
    ]


def test_a_named_code_comes_from_the_interface_data() -> None:
    assert rc_problems(outcome(b"", IFACE.codes["no_psam"].code), "no_psam", IFACE) == []
    assert rc_problems(outcome(b"", 0), "no_psam", IFACE)


def test_crash_overrun_and_missing_nul_are_findings() -> None:
    assert buffer_problems(CallOutcome("iReadCardBas", crash="the library crashed (signal 11)"), IFACE) == [
        "the library crashed (signal 11)"
    ]
    assert "guard pattern" in buffer_problems(outcome(b"x", guard=False), IFACE)[0]
    assert "NUL" in buffer_problems(outcome(b"x", terminated=False), IFACE)[0]


def test_the_runner_tells_untouched_written_and_overrun_buffers_apart() -> None:
    untouched = libcall._out_buffer()
    assert libcall._read_out(untouched) == {"hex": "", "terminated": True, "guard_intact": True}
    written = libcall._out_buffer()
    ctypes.memmove(written, b"AB\x00", 3)
    assert libcall._read_out(written) == {"hex": "4142", "terminated": True, "guard_intact": True}
    overrun = libcall._out_buffer()
    ctypes.memmove(ctypes.byref(overrun, libcall.OUT_SIZE), b"X", 1)
    assert libcall._read_out(overrun)["guard_intact"] is False
