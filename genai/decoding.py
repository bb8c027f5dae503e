"""The char models' continuations drawn in processes of their own, beside the web server.

A continuation is a loop of small operations, a few a character, and each matrix product lets go
of the interpreter lock; in the server's process, beside its other busy threads, each then waits
up to the switch interval to take it back: 100 characters took 90 ms alone and 3.1 s beside one
busy thread (``bench/gil_convoy.py``, BENCHMARKS.md, issue 31). A decoding process has no other
thread to wait for. The server sends it a checkpoint's path and the settings, and reads back the
text in a few pieces a second and, at the end, the logits each character was drawn from (the
probability view's ``record``): a few messages a continuation instead of a lock wait a character.

The same model file and seed give the same characters as ``Model.stream`` in the server
(tests/test_decoding.py). Only the char models of this server's checkpoints go there; Hub models
and a GPU decode in the server as before.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
from pathlib import Path

import torch

from genai.locales import said

FLUSH_S = 0.1  # how often a decoding process sends the text so far; the page shows 4 updates a second


def in_process(device) -> bool:
    """Whether continuations go to decoding processes: on the CPU, unless GENAI_DECODE_IN=thread
    (a GPU decodes in the server, where its context already is)."""
    how = os.environ.get("GENAI_DECODE_IN", "process")
    if how not in ("process", "thread"):
        raise ValueError(f"GENAI_DECODE_IN must be 'process' or 'thread', not {how!r}")
    return how == "process" and torch.device(device).type == "cpu"


# -- the decoding process -----------------------------------------------------------------------
def _serve(conn) -> None:
    """A decoding process's loop: one request at a time until the server closes its end."""
    try:
        Path("/proc/self/comm").write_text("genai-decode")  # how bench/classroom.py tells it apart
    except OSError:
        pass
    torch.set_num_threads(1)  # one character's products are too small to share out
    cache: dict[tuple, object] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        if msg[0] == "stop":  # a stop that came after its continuation had ended
            continue
        try:
            _answer(conn, cache, *msg)
        except (EOFError, OSError, BrokenPipeError):
            return
        except Exception as e:  # noqa: BLE001 - the server raises it for the page, as if drawn there
            try:
                conn.send(("error", e))
            except Exception:  # noqa: BLE001 - one that does not pickle goes as its words
                conn.send(("error", RuntimeError(f"{type(e).__name__}: {e}")))


def _model(cache: dict, path: str):
    from genai import models

    key = (path, os.path.getmtime(path))
    if key not in cache:
        cache.clear() if len(cache) > 8 else None
        cache[key] = models.from_checkpoint(path, None, "cpu")[0]
    return cache[key]


def _answer(conn, cache: dict, kind: str, path: str, kw: dict) -> None:
    model = _model(cache, path)
    if kind == "load":  # the warm-up: the model, and the 2.7 s of imports its first load costs
        conn.send(("done",))
        return
    if kind == "generate":  # several whole continuations (the three temperatures)
        temperatures = kw.pop("temperatures")
        conn.send(("done", [model.generate(**kw, temperature=t) for t in temperatures]))
        return
    record, text, sent = [], [], 0.0  # the first character goes at once
    for ch in model.stream(**kw, record=record):
        text.append(ch)
        if conn.poll():  # the page stopped or went away: end with what is drawn
            conn.recv()
            break
        if time.monotonic() - sent >= FLUSH_S:
            conn.send(("piece", "".join(text)))
            text, sent = [], time.monotonic()
    rows = torch.stack([r for r, _ in record]).numpy() if record else None
    conn.send(("done", "".join(text), rows, [i for _, i in record]))


# -- the server's side --------------------------------------------------------------------------
class Worker:
    """One decoding process and the server's end of its pipe; started when first used."""

    def __init__(self):
        self.proc = self.conn = None

    def ready(self):
        if self.proc is None or not self.proc.is_alive():
            from genai.jobs import _mp_context

            self.close()
            ctx = _mp_context()
            self.conn, theirs = ctx.Pipe()
            self.proc = ctx.Process(target=_serve, args=(theirs,), name="genai-decode", daemon=True)
            self.proc.start()
            theirs.close()
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
        self.proc = self.conn = None


class Decoders:
    """A few decoding processes (one a core, at most 4: the server lets that many heavy requests
    run at once); a request takes an idle one, or waits for one."""

    def __init__(self, n: int | None = None):
        self.n = n or max(1, min(4, os.cpu_count() or 1))
        self._idle: queue.Queue[Worker] = queue.Queue()
        for _ in range(self.n):
            self._idle.put(Worker())

    def start(self, paths=()) -> None:
        """Start every process now and load the models at ``paths`` there (the app's warm-up), not
        at the first student's click."""
        workers = [self._idle.get() for _ in range(self.n)]
        for w in workers:
            try:
                conn = w.ready()
                for path in paths:
                    self._send(conn, ("load", str(path), {}))
                for path in paths:
                    if self._recv(conn)[0] != "done":
                        print(f"a decoding process could not load {Path(path).name}", file=sys.stderr)
            except RuntimeError:  # it died: started again at the first request
                w.close()
            finally:
                self._idle.put(w)

    def stream(self, path: str, record: list | None = None, **kw):
        """``Model.stream(**kw)``'s text in pieces, drawn in a decoding process; ``record`` gets
        ``(logits (V,), id)`` for every character drawn, once the stream ends. Closing the
        generator stops the drawing. Raises what the drawing raised."""
        w = self._idle.get()
        answered = False  # its whole answer read: the process is ready for the next request
        try:
            conn = w.ready()
            self._send(conn, ("stream", str(path), kw))
            while True:
                msg = self._recv(conn)
                if msg[0] == "piece":
                    yield msg[1]
                    continue
                answered = True
                if msg[0] == "error":
                    raise msg[1]
                _, rest, rows, ids = msg
                if record is not None and rows is not None:
                    record.extend(zip(torch.from_numpy(rows), ids))
                if rest:
                    yield rest
                return
        finally:
            if not answered:  # stopped (a closed generator), or the process died: wait for its end
                answered = self._stop(w.conn) is not None
            if not answered:
                w.close()  # a process that died or left an answer half read starts afresh next time
            self._idle.put(w)

    def generate(self, path: str, temperatures, **kw) -> list[str]:
        """``Model.generate(**kw)`` once at each temperature, in a decoding process."""
        w = self._idle.get()
        answered = False
        try:
            conn = w.ready()
            self._send(conn, ("generate", str(path), dict(kw, temperatures=list(temperatures))))
            msg = self._recv(conn)
            answered = True
            if msg[0] == "error":
                raise msg[1]
            return msg[1]
        finally:
            if not answered:
                w.close()
            self._idle.put(w)

    @staticmethod
    def _send(conn, msg) -> None:
        try:
            conn.send(msg)
        except (OSError, ValueError):  # a pipe whose process died, or one already closed
            raise said(RuntimeError, "err.decoding_ended") from None

    @staticmethod
    def _recv(conn):
        try:
            return conn.recv()
        except (EOFError, OSError, ValueError):
            raise said(RuntimeError, "err.decoding_ended") from None

    @staticmethod
    def _stop(conn, timeout: float = 30.0):
        """Ask the process to stop and read what it still sends, up to its answer's end (returned);
        None if it never comes (the process is then replaced)."""
        end = time.monotonic() + timeout
        try:
            conn.send(("stop",))
            while conn.poll(max(0.0, end - time.monotonic())):
                msg = conn.recv()
                if msg[0] in ("done", "error"):
                    return msg
        except (EOFError, OSError, ValueError, AttributeError):
            pass
        return None

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_DECODERS: Decoders | None = None
_LOCK = threading.Lock()


def decoders() -> Decoders:
    """The server's decoding processes (one set for every tab and session)."""
    global _DECODERS
    with _LOCK:
        if _DECODERS is None:
            _DECODERS = Decoders()
        return _DECODERS
