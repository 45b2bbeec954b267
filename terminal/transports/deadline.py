"""Make a blocking call that the caller can give up on: at a deadline, or on Ctrl-C.

A blocking `SCardTransmit` has no timeout of its own, and while the main thread sits in it the
interpreter runs no signal handler: a card that never answers would hang the run for good and
ignore Ctrl-C. So the call runs in a worker thread, and the caller waits on a lock — a wait that
both times out and is interrupted by signals. A call that misses its deadline is *abandoned*: its
thread stays blocked in C until the call returns (if ever), then runs the cleanup it was handed
(releasing the handles the stuck call holds) and ends. Nothing may touch those handles meanwhile,
so the owner of the caller starts over with fresh ones.

One worker thread per caller, reused for every call: a thread hand-off costs tens of µs, a thread
start much more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from terminal.errors import HarnessError

T = TypeVar("T")


class Abandoned(HarnessError):
    """The call did not return within its deadline; it was left running in its thread (the PC/SC
    transport turns it into `ApduTimeoutError` at its edge)."""


class Caller:
    """Runs one call at a time in its own daemon thread, waiting at most `timeout` seconds for it.

    `on_abandon` runs in that thread once the caller is abandoned and any call in flight returned.
    """

    def __init__(self, name: str = "blocking-call", *, on_abandon: Callable[[], None] | None = None) -> None:
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._job: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
        self._result: Any = None
        self._error: BaseException | None = None
        self._abandoned = False
        self._cleanup = on_abandon
        self.finished = threading.Event()  # set when the thread has ended (after an abandon)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    def call(self, timeout: float, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the worker; raises `Abandoned` after `timeout` s, re-raises what `fn` raised.

        A KeyboardInterrupt (or any exception) while waiting abandons the call and propagates.
        """
        if self._abandoned:
            raise RuntimeError("this caller was abandoned; use a new one")
        self._job = (fn, args)
        self._go.release()
        try:
            returned = self._done.acquire(timeout=max(timeout, 0.0))
        except BaseException:
            self.abandon()
            raise
        if not returned:
            self.abandon()
            raise Abandoned(f"no return within {timeout:g} s")
        error, self._error = self._error, None
        result, self._result = self._result, None
        if error is not None:
            raise error
        return result

    def abandon(self) -> None:
        """Stop using this caller; its thread ends (running `on_abandon`) once any call in flight returned."""
        if self._abandoned:
            return
        self._abandoned = True
        try:
            self._go.release()  # wakes an idle thread; a busy one checks the flag when its call returns
        except RuntimeError:
            pass  # the thread has not yet taken the job it was given: it will see the flag

    def _run(self) -> None:
        try:
            while True:
                self._go.acquire()
                if self._abandoned:
                    break
                job, self._job = self._job, None
                assert job is not None
                fn, args = job
                try:
                    self._result = fn(*args)
                except BaseException as exc:  # handed to the waiting caller
                    self._error = exc
                if self._abandoned:
                    break
                self._done.release()
        finally:
            cleanup = self._cleanup
            if cleanup is not None:
                try:
                    cleanup()
                except Exception:  # nobody is left to tell; the handles die with the process anyway
                    pass
            self.finished.set()
