"""Run a reader library's functions in a child process: ``python -m checks.readers.libcall LIB``.

A vendor library is native code: a wild pointer or an overrun would take the harness down with it.
So the harness never loads it itself. This module is the child: it loads the library with ctypes
(Linux ``.so``: cdecl, `ctypes.CDLL`; Windows DLLs of READER-INTERFACE.md §1 are stdcall:
`ctypes.WinDLL`, chosen with ``--stdcall``), then answers one JSON request per line on stdin with
one JSON line on stdout. Only the standard library is imported, so the child starts fast and a
crash of the library ends the child alone: the parent (`LibraryProcess`) sees the pipe close and
reports the signal.

Request: ``{"fn": NAME, "args": [ARG, ...], "env": {VAR: VALUE}}`` where ARG is an int, ``{"in":
HEX}`` (a NUL-terminated string of those bytes, e.g. GBK) or ``{"out": true}`` (an output
buffer). Answer: ``{"rc": INT, "out": [{"hex": HEX, "terminated": BOOL, "guard_intact": BOOL}]}``.
Output buffers hold `OUT_SIZE` bytes (READER-INTERFACE.md §1: 4,096) followed by `GUARD_SIZE`
guard bytes; every byte starts as the guard pattern, so an overrun changes the guard and a
missing NUL shows as an unterminated string.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import Any

OUT_SIZE = 4096  # READER-INTERFACE.md §1 (S): the kit allocates 4,096 bytes per output buffer
GUARD_SIZE = 64
GUARD_BYTE = 0xA5


def _out_buffer() -> ctypes.Array[ctypes.c_char]:
    buffer = ctypes.create_string_buffer(bytes([GUARD_BYTE]) * (OUT_SIZE + GUARD_SIZE), OUT_SIZE + GUARD_SIZE)
    return buffer


def _read_out(buffer: ctypes.Array[ctypes.c_char]) -> dict[str, Any]:
    raw = bytes(buffer.raw)
    body, guard = raw[:OUT_SIZE], raw[OUT_SIZE : OUT_SIZE + GUARD_SIZE]
    pattern = bytes([GUARD_BYTE]) * GUARD_SIZE
    if body == bytes([GUARD_BYTE]) * OUT_SIZE:  # never written (e.g. an error return): an empty output
        return {"hex": "", "terminated": True, "guard_intact": guard == pattern}
    end = body.find(b"\x00")
    return {
        "hex": (body if end < 0 else body[:end]).hex(),
        "terminated": end >= 0,
        "guard_intact": guard == pattern,
    }


def call(library: Any, request: dict[str, Any]) -> dict[str, Any]:
    for name, value in request.get("env", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value  # os.environ calls putenv: the library's getenv sees it
    function = getattr(library, request["fn"])
    function.restype = ctypes.c_long
    args: list[Any] = []
    outs: list[ctypes.Array[ctypes.c_char]] = []
    for arg in request["args"]:
        if isinstance(arg, int):
            args.append(ctypes.c_int(arg))
        elif "in" in arg:
            args.append(ctypes.create_string_buffer(bytes.fromhex(arg["in"])))
        else:
            outs.append(_out_buffer())
            args.append(outs[-1])
    rc = function(*args)
    return {"rc": int(rc), "out": [_read_out(b) for b in outs]}


def main(argv: list[str]) -> int:
    stdcall = "--stdcall" in argv
    paths = [a for a in argv if a != "--stdcall"]
    if len(paths) != 1:
        print("usage: python -m checks.readers.libcall [--stdcall] LIBRARY", file=sys.stderr)
        return 2
    loader: Any = vars(ctypes).get("WinDLL") if stdcall else ctypes.CDLL  # WinDLL (stdcall) exists on Windows only
    if loader is None:
        print(json.dumps({"load_error": "--stdcall needs Windows (ctypes.WinDLL)"}), flush=True)
        return 1
    try:
        library = loader(paths[0])
    except OSError as exc:
        print(json.dumps({"load_error": str(exc)}), flush=True)
        return 1
    print(json.dumps({"loaded": paths[0]}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = call(library, request)
        except AttributeError:
            answer = {"missing": request["fn"]}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
