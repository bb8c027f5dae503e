"""The job runner: training in background threads, bridged to the UI by events.

Each run is a ``Job``: a thread running ``trainer.train``, a ``Control`` (stop, pause), and a
bounded history of the events it emitted. Tabs stream a job by iterating ``job.follow()``; the
monitor polls ``runner.jobs(owner)``. At most ``max_active`` runs train at once; one more is
refused with ``RunnerBusy`` at once, never queued to hang.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque

import torch

from genai import checkpoints, device as devmod
from genai.trainer import Control, Event, TrainSpec, train

ACTIVE = ("queued", "training", "paused")


class RunnerBusy(RuntimeError):
    pass


class Job:
    HISTORY = 2000  # events kept for streaming
    MAX_ROWS = 4000  # metric rows kept for curves; older ones thinned
    MAX_MEDIA = 200  # sample snapshots kept for the step slider; older ones thinned

    def __init__(self, job_id: str, spec: TrainSpec, owner: str, device: torch.device):
        self.id, self.spec, self.owner, self.device = job_id, spec, owner, device
        self.name = spec.name or job_id
        self.control = Control()
        self.status = "queued"
        self.step, self.total = 0, spec.steps
        self.message = ""
        self.checkpoint: str | None = None
        self.started = time.time()
        self.ended: float | None = None
        self.items_per_s = 0.0
        self.rows: list[dict] = []  # {"step", metric: value...}
        self.media: list[tuple[int, object]] = []
        self.latest: dict = {}
        self._events: deque[tuple[int, Event]] = deque(maxlen=self.HISTORY)
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self.thread: threading.Thread | None = None

    # -- called from the training thread
    def emit(self, ev: Event) -> None:
        with self._cond:
            if ev.kind == "metrics":
                self.latest.update(ev.data)
                self.rows.append({"step": ev.step, **ev.data})
                if len(self.rows) > self.MAX_ROWS:
                    self.rows = self.rows[::2]
                self.items_per_s = ev.data.get("items_per_s", self.items_per_s)
            elif ev.kind == "samples":
                self.media.append((ev.step, ev.data))
                if len(self.media) > self.MAX_MEDIA:
                    self.media = self.media[::2]
            elif ev.kind == "checkpoint":
                self.checkpoint = ev.data
            elif ev.kind == "done":
                self.status = ev.data["status"]
                self.ended = time.time()
            elif ev.kind == "error":
                self.status, self.message, self.ended = "failed", ev.data, time.time()
            elif ev.kind == "log":
                self.message = ev.data
                if not self._events:  # the first event carries the starting step (resume)
                    self.total = ev.step + self.spec.steps
            self.step = max(self.step, ev.step)
            self._events.append((next(self._seq), ev))
            self._cond.notify_all()

    def _run(self, data):
        if self.status == "queued":
            self.status = "training"
        base = train(self.spec, self.emit, self.control, data=data, device=self.device,
                     log_dir=checkpoints.RUNS_DIR / self.name, owner=self.owner)
        with self._cond:
            if self.status in ACTIVE:  # train() returned without done/error: should not happen
                self.status, self.ended = "failed", time.time()
            self.checkpoint = self.checkpoint or (str(base) if base else None)
            self._cond.notify_all()

    # -- called from the UI
    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def pause(self):
        if self.status == "training":
            self.control.pause()
            self.status = "paused"

    def resume(self):
        if self.status == "paused":
            self.status = "training"
            self.control.resume()

    def stop(self, wait: float = 0.0):
        self.control.stop()
        if wait and self.thread:
            self.thread.join(wait)

    def events(self, since: int = -1) -> list[tuple[int, Event]]:
        with self._cond:
            return [(i, e) for i, e in self._events if i > since]

    def follow(self, poll: float = 0.25, timeout: float | None = None):
        """Yield events as they arrive until the job ends (then the rest, then return)."""
        last, t0 = -1, time.time()
        while True:
            with self._cond:
                fresh = [(i, e) for i, e in self._events if i > last]
                if not fresh and self.active:
                    self._cond.wait(poll)
                    fresh = [(i, e) for i, e in self._events if i > last]
                finished = not self.active and (self.thread is None or not self.thread.is_alive())
            for i, e in fresh:
                last = i
                yield e
            if finished and not fresh:
                return
            if timeout and time.time() - t0 > timeout:
                return

    def elapsed(self) -> float:
        return (self.ended or time.time()) - self.started

    def eta(self) -> float | None:
        if not self.active or self.items_per_s <= 0:
            return None
        return (self.total - self.step) * self.spec.batch_size / self.items_per_s


class JobRunner:
    def __init__(self, max_active: int | None = None, device: torch.device | None = None):
        self.max_active = max_active or int(os.environ.get("GENAI_MAX_RUNS", 1))
        self.device = device or devmod.pick_device()
        self._jobs: dict[str, Job] = {}
        self.keep_owners: set[str] = set()  # sessions whose runs go on when their tab closes
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def start(self, spec: TrainSpec, owner: str = "", data=None) -> Job:
        """Start a run in a background thread, or raise RunnerBusy if too many are training."""
        with self._lock:
            busy = [j for j in self._jobs.values() if j.active]
            if len(busy) >= self.max_active:
                raise RunnerBusy(f"{len(busy)} run(s) already training on this server (the limit is "
                                 f"{self.max_active}). Stop one, or try again when one finishes.")
            job_id = f"{spec.family}-{time.strftime('%H%M%S')}-{next(self._ids)}"
            spec.name = spec.name or job_id
            job = Job(job_id, spec, owner, self.device)
            job.total = spec.steps
            self._jobs[job_id] = job
            job.thread = threading.Thread(target=job._run, args=(data,), name=job_id, daemon=True)
            job.status = "training"
            job.thread.start()
        return job

    def get(self, job_id: str, owner: str | None = None) -> Job:
        job = self._jobs.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            raise KeyError(f"No run {job_id!r} in this session")
        return job

    def jobs(self, owner: str | None = None) -> list[Job]:
        return [j for j in self._jobs.values() if owner is None or j.owner == owner]

    def stop_owner(self, owner: str) -> None:
        """The browser tab closed: stop (and save) that session's runs."""
        if owner in self.keep_owners:
            return
        for j in self.jobs(owner):
            if j.active:
                j.stop()

    def shutdown(self, wait: float = 5.0) -> None:
        for j in self.jobs():
            j.stop()
        for j in self.jobs():
            if j.thread:
                j.thread.join(wait)
