"""The job runner: training in the background, bridged to the UI by events.

Each run is a ``Job``: a ``Control`` (stop, pause, save now), a bounded history of the events it
emitted, and, once it starts, a thread that runs ``trainer.train`` (``isolate="thread"``) or a
training process whose events cross a pipe (``isolate="process"``, the app's default: training
then never holds the web server's GIL, and runs at a lower CPU priority than the server).

A classroom asks for more runs than the machine can train at once, so a run that cannot start
is queued, never refused: at most ``max_active`` train at once, the rest wait in a fair order
(round robin across students: the next to start is the queued run whose student has started the
fewest runs, then the one that asked first), each with its place and an estimated start. One
student may have at most ``per_session`` runs queued or training. Who a student is, and when
their runs are abandoned, is ``genai/classroom.py``'s (``runner.roster``). Every run has a folder
of its own from the moment it is queued (``runlog``): a restarted server lists them again
(``adopt_disk_runs``), those a restart cut off as *interrupted*. Tabs stream a job with
``job.follow()``; the monitor polls ``runner.jobs(owner)`` and ``runner.shared()``.
"""
from __future__ import annotations

import heapq
import itertools
import json
import multiprocessing as mp
import os
import queue as queuemod
import secrets
import signal
import threading
import time
import traceback
from collections import Counter, deque

import torch

from genai import checkpoints, classroom, data as datamod, device as devmod, models, runlog
from genai.locales import Words, said
from genai.trainer import Control, Event, TrainSpec, check_spec, train

ACTIVE = ("queued", "training", "paused")
INTERRUPTED = "interrupted"  # a run on disk that a server restart (or a crash) cut off
RUNNING = ("training", "paused")
# wall seconds a step takes (evaluations and start-up included) before a run of that kind has
# finished on this server: each family's SECONDS_PER_STEP, by preset (None: any other preset).
# The first finished run of a kind replaces the guess.
GUESS_OVERHEAD_S = 2.0  # the training process starting, the data loading
# a run not evaluated often: its own pace tells how loaded the machine is once it is this share in
PACED_SHARE = 0.25


class RunnerBusy(RuntimeError):
    pass


class Job:
    HISTORY = 2000  # events kept for streaming
    MAX_ROWS = 4000  # metric rows kept for curves; older ones thinned
    MAX_MEDIA = 200  # sample snapshots kept for the step slider; older ones thinned

    def __init__(self, job_id: str, spec: TrainSpec, owner: str, device: torch.device, control=None):
        self.id, self.spec, self.owner, self.device = job_id, spec, owner, device
        self.name = spec.name or job_id
        self.control = control or Control()
        self.status = "queued"
        self.step, self.total = 0, spec.steps
        self.message = ""
        self.checkpoint: str | None = None
        self.queued_at = time.time()
        self.started: float | None = None  # when it left the queue
        self.ended: float | None = None
        self.items_per_s = 0.0
        self.rows: list[dict] = []  # {"step", metric: value...}
        self.media: list[tuple[int, object]] = []
        self.latest: dict = {}
        self.share_token: str | None = None  # set when its owner shares it with the class
        self.key = secrets.token_urlsafe(9)  # names its checkpoint in its session's menus, unguessably
        self._paced_from: tuple[float, int] | None = None  # (time, step) of its first metrics
        self._evals: list[tuple[float, int]] = []  # (time, step) of its first two held-out evaluations
        self._events: deque[tuple[int, Event]] = deque(maxlen=self.HISTORY)
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.runner: JobRunner | None = None
        self.group: Group | None = None  # the cohort it trains in (genai/cohort.py), if any
        self.cohort_key: tuple | None = None

    # -- called from the training thread (or the thread relaying a training process)
    def emit(self, ev: Event) -> None:
        with self._cond:
            if ev.kind == "metrics":
                self._paced_from = self._paced_from or (ev.time, ev.step)
                if len(self._evals) < 2 and any(k.startswith("heldout_") for k in ev.data):
                    self._evals.append((ev.time, ev.step))
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

    def _run(self, data, isolate: str, threads: int):
        try:
            if isolate == "process":
                self._run_process(data, threads)
            else:
                base = train(self.spec, self.emit, self.control, data=data, device=self.device,
                             log_dir=checkpoints.RUNS_DIR / self.name, owner=self.owner)
                self.checkpoint = self.checkpoint or (str(base) if base else None)
        finally:
            with self._cond:
                if self.status in ACTIVE:  # train() returned without done/error: should not happen
                    self.status, self.ended = "failed", time.time()
                    self.message = self.message or Words("err.no_result")
                self._cond.notify_all()
            if self.runner is not None:
                self.runner._finished(self)

    def _run_process(self, data, threads: int):
        """Train in a child process; relay its events into this job as they arrive."""
        ctx = _mp_context()
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_train_in_child, name=self.id, daemon=True,
                           args=(self.spec, data, str(self.device), str(checkpoints.RUNS_DIR / self.name),
                                 self.owner, self.control, writer, threads, os.getpid()))
        why = _run_child(proc, reader, writer, self.emit)
        self.control = Control()  # let the process-shared flags (named semaphores) go with the process
        if self.status in ACTIVE:
            self.ended_unexpectedly(why)

    def ended_unexpectedly(self, why: Words) -> None:
        """Its training process went without a result (the out-of-memory killer, a kill -9): the
        run fails, and its folder says so (the process that wrote it cannot), or a restarted
        server would offer to resume it."""
        key = "err.process_ended" if self.checkpoint else "err.process_ended_unsaved"
        self.emit(Event("error", self.step, Words(key, why=why)))
        runlog.mark(checkpoints.RUNS_DIR / self.name, status="failed", message=str(self.message))

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
        """Stop and save a training run; take a queued run out of the queue."""
        if self.status == "queued" and self.runner is not None and self.runner._cancel(self):
            return
        self.control.stop()
        if wait and self.thread:
            self.thread.join(wait)

    def events(self, since: int = -1) -> list[tuple[int, Event]]:
        with self._cond:
            return [(i, e) for i, e in self._events if i > since]

    def follow(self, poll: float = 0.25, timeout: float | None = None, idle: float | None = None):
        """Yield events as they arrive until the job ends (then the rest, then return).
        With ``idle``, yield None after that many seconds without an event (a queued run's page
        refreshes its place in the queue then)."""
        last, t0, quiet_since = -1, time.time(), time.time()
        while True:
            with self._cond:
                fresh = [(i, e) for i, e in self._events if i > last]
                if not fresh and self.active:
                    self._cond.wait(poll)
                    fresh = [(i, e) for i, e in self._events if i > last]
                started = self.thread is not None
                # a cohort's thread goes on training the others after this run has ended
                finished = not self.active and (not started or self.group is not None or not self.thread.is_alive())
            for i, e in fresh:
                last = i
                yield e
            if fresh:
                quiet_since = time.time()
            elif idle and time.time() - quiet_since >= idle:
                quiet_since = time.time()
                yield None
            if finished and not fresh:
                return
            if timeout and time.time() - t0 > timeout:
                return

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.time()) - self.started

    def s_per_step(self) -> float | None:
        """Wall seconds a step since its first metrics (evaluations and any slowing by other
        work included; one window's rate swings with every pause of a shared CPU)."""
        if self._paced_from is None or self.step <= self._paced_from[1]:
            return None
        t0, s0 = self._paced_from
        return ((self.ended or time.time()) - t0) / (self.step - s0)

    def pace(self) -> float | None:
        """Wall seconds a step as the queue's estimates count it: from its first held-out
        evaluation on, once it has made a second (so one evaluation in, as in the whole run, and
        its start-up, the first evaluation's one-off set-up and the first minute of a class all
        joining at once left out: from its first metrics on, that minute made thirty students'
        first estimates twice too long, BENCHMARKS.md, issue 31). A run evaluated less often, or
        not at all: from its first metrics, a quarter in. None until then."""
        if len(self._evals) >= 2:
            t0, s0 = self._evals[0]
            return ((self.ended or time.time()) - t0) / max(1, self.step - s0)
        done, every = self.step - (self.total - self.spec.steps), self.spec.eval_every
        rarely = 2 * every >= self.spec.steps or done > 2 * every  # none to come, or none came
        if done > max(50, int(self.spec.steps * PACED_SHARE)) and rarely:
            return self.s_per_step()
        return None

    def eta(self) -> float | None:
        """Seconds until it ends: for a queued run, its wait plus its run."""
        if self.status == "queued" and self.runner is not None:
            wait = self.runner.queue_place(self)[1]
            run = self.runner.estimate(self, self.runner.slowdown())
            return None if wait is None or run is None else wait + run
        rate = self.s_per_step()
        if not self.active or rate is None:
            return None
        return (self.total - self.step) * rate

    def share(self) -> str:
        """Let the class watch this run: a token for its share link."""
        self.share_token = self.share_token or secrets.token_urlsafe(6)
        return self.share_token

    @classmethod
    def from_record(cls, run: dict, device: torch.device) -> "Job":
        """A run an earlier server (or an import) left on disk (``runlog.read_run``), as an ended
        job: in its owner's menus and monitor, to sample from, export or resume. One that was
        queued or training when its server went away is *interrupted*."""
        from genai.trainer import TrainSpec

        job = cls(run["name"], TrainSpec(**run["spec"]), run["owner"], device)
        st = run["status"]
        job.status = st.get("status", INTERRUPTED)
        if job.status in ACTIVE:
            job.status = INTERRUPTED
        job.step, job.total = int(st.get("step", 0)), int(st.get("total", job.spec.steps))
        job.message = st.get("message", "")
        job.checkpoint = runlog.checkpoint_in(run["folder"], st.get("checkpoint"))
        job.queued_at = job.started = st.get("started", time.time())
        job.ended = st.get("updated", job.started)
        job.rows, job.media = run["rows"], run["media"]
        for row in run["rows"]:  # every metric's newest value, as a live run keeps them
            job.latest.update(row)
        job.items_per_s = job.latest.get("items_per_s", 0.0)
        return job


def _guess(job: Job) -> float:
    mod = models.family_module(job.spec.family)
    size = job.runner.cohort_size if job.runner is not None else 1
    if job.cohort_key and size > 1 and hasattr(mod, "COHORT_STEP_S"):
        # a run in a cohort moves at the cohort's pace: a + b K seconds a step for K runs (a full one)
        a, b = mod.COHORT_STEP_S
        return a + b * size
    table = getattr(mod, "SECONDS_PER_STEP", {})
    return table.get(job.spec.preset) or table.get(None, 0.05)


def default_cohort_size(device: torch.device) -> int:
    """Lesson runs stacked in one slot's cohort; 1 (each run alone) by default: on this 2-core
    CPU a stacked lesson step costs 6.3 ms a run against 4.4-4.8 ms alone (bench/cohort.py,
    BENCHMARKS.md, issue 31), so stacking saves only process starts there.
    ``GENAI_COHORT=16`` turns it on (a GPU, where it should pay, is not measured)."""
    return 1


def default_max_runs(device: torch.device) -> int:
    """Runs that train at once. On a CPU one a core, each with one thread (two lesson GANs on one
    thread each train 1.2x the steps of one on two threads: python bench/gan.py parallel);
    on a GPU several small runs share it (6: a guess, not yet measured on a GPU).
    ``GENAI_MAX_RUNS`` overrides."""
    forced = int(os.environ.get("GENAI_MAX_RUNS", 0) or 0)
    if forced > 0:
        return forced
    if device.type == "cuda":
        return 6
    return max(1, os.cpu_count() or 1)


def _mp_context():
    """forkserver where there is one: children fork from a clean process that has imported
    torch once (fast starts, and no fork of the threaded web server), and done what every run
    would redo (genai/preload.py); spawn elsewhere."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["genai.trainer", "genai.cohort", *models.FAMILIES.values(), "genai.preload"])
    return ctx


def start_forkserver() -> None:
    """Start the training processes' forkserver now (the app's warm-up) rather than when the
    first run starts: its imports and genai/preload.py take seconds the first students would
    otherwise wait."""
    if _mp_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _train_in_child(spec, data, device, log_dir, owner, control, writer, threads, server_pid):
    """The training process: lower priority than the web server, ``threads`` torch threads. It
    is the forkserver's child, not the server's: if the server goes away, it saves and ends."""
    try:
        os.nice(10)  # the server's requests come first; training takes the idle CPU
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(max(1, threads))
    events, orphaned = _Outbox(writer), threading.Event()
    threading.Thread(target=_stop_when_gone, args=(server_pid, control, orphaned), daemon=True).start()
    try:
        train(spec, events.put, control, data=data, device=torch.device(device), log_dir=log_dir, owner=owner)
    finally:
        if orphaned.is_set():  # saved because its server went away: the next server offers to resume it
            runlog.mark(log_dir, status=INTERRUPTED)
        events.put(None)
        events.flush()


def _stop_when_gone(pid: int, control: Control, orphaned: threading.Event) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            orphaned.set()
            control.stop()  # the loop saves a final checkpoint and returns
            return
        except OSError:  # exists, but is not ours to signal
            continue


class _Outbox:
    """A training process's end of the pipe to the server, sent from a thread of its own (as a
    multiprocessing.Queue does): a sample grid is 230 KB, more than a pipe holds, and the training
    loop should not wait while a busy server reads it. Once the server has gone (its end of the
    pipe closed with it), messages are dropped rather than fail the run saving its last checkpoint."""

    def __init__(self, conn):
        self.conn, self.pending, self.closed = conn, queuemod.SimpleQueue(), False
        self.thread = threading.Thread(target=self._send, name="outbox", daemon=True)
        self.thread.start()

    def put(self, msg) -> None:
        self.pending.put(msg)

    def _send(self) -> None:
        while True:
            msg = self.pending.get()
            if not self.closed:
                try:
                    self.conn.send(msg)
                except OSError:  # BrokenPipeError: the server has gone
                    self.closed = True
                except Exception:  # noqa: BLE001 - one that cannot be pickled is lost, not the rest
                    traceback.print_exc()
            if msg is None:
                return

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until the last message (None) is sent: the process must not end before."""
        self.thread.join(timeout)


def _run_child(proc, reader, writer, deliver) -> Words:
    """Start a training process and relay what it sends until it ends; say how it ended. The
    server closes its copy of the write end at once: held here, a message half-sent by a process
    killed sending it would be waited for forever."""
    try:
        try:
            proc.start()
        finally:
            writer.close()
    except Exception as e:  # noqa: BLE001 - e.g. data that cannot be sent: its runs fail, not the server
        reader.close()
        return Words("err.could_not_start", error=f"{type(e).__name__}: {e}")
    try:
        _relay(proc, reader, deliver)
        proc.join(10)
    finally:
        reader.close()
    return how_it_ended(proc.exitcode)


def how_it_ended(exitcode) -> Words:
    """A process's end in words: a negative exit code is the signal that killed it; SIGKILL, which
    nothing in this app sends, is on a server most often the kernel out of memory."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return Words("err.killed_oom" if name == "SIGKILL" else "err.killed_by", signal=name)
    return Words("err.exit_code", code=exitcode)


def _relay(proc, reader, deliver) -> None:
    """Hand each message a training process sends to ``deliver`` until it sends None or ends.
    A one-way pipe whose write end only the child holds (not a multiprocessing.Queue, whose
    reader holds one too): a child killed half-way through a message (the OOM killer, a kill -9)
    reads as the end of the pipe instead of a read that waits forever with its run "training"."""
    unreadable = 0
    while True:
        try:
            if not reader.poll(0.5):
                if proc.is_alive():
                    continue
                if not reader.poll(1.0):  # it ended: take what it sent last
                    break
            msg = reader.recv()
        except EOFError:  # it ended
            break
        except Exception:  # noqa: BLE001
            # half a message from a process killed sending it (the next read is the end), or one
            # that cannot be unpickled: skip it, not the run; unless the pipe itself keeps failing
            unreadable += 1
            if unreadable > 10:
                break
            continue
        unreadable = 0
        if msg is None:  # its train() returned
            break
        deliver(msg)


class _Relayed(Control):
    """A cohort member's flags when its cohort trains in another process: each call is also a
    message to that process (flags of its own cannot be sent to a process already running)."""

    def __init__(self, inbox, job_id: str):
        super().__init__()
        self.inbox, self.id = inbox, job_id

    def stop(self):
        super().stop()
        self.inbox.put(("stop", self.id))

    def pause(self):
        super().pause()
        self.inbox.put(("pause", self.id))

    def resume(self):
        super().resume()
        self.inbox.put(("resume", self.id))

    def request_save(self):
        super().request_save()
        self.inbox.put(("save", self.id))


class Group:
    """Runs of one kind training as one batched model (``genai/cohort.py``) in one slot: in a
    process of its own (or a thread), which runs join while it trains and leave when they end."""

    def __init__(self, runner: "JobRunner", key: tuple):
        self.runner, self.key = runner, key
        self.jobs: dict[str, Job] = {}  # the runs training in it now
        self.open = True  # takes more runs; closed once its process was told to end
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        r = self.runner
        if r.isolate == "process":  # the process starts in the relaying thread: not under the runner's lock
            ctx = _mp_context()
            self.inbox, (reader, writer) = ctx.Queue(), ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_cohort_in_child, name="cohort", daemon=True,
                               args=(self.inbox, writer, str(r.device), r.threads_per_run(), os.getpid()))
            self.thread = threading.Thread(target=self._relay, args=(proc, reader, writer), name="cohort",
                                           daemon=True)
        else:
            from genai import cohort

            self.inbox = queuemod.Queue()
            self.thread = threading.Thread(target=self._in_thread, args=(cohort.train_cohort,), name="cohort",
                                           daemon=True)
        self.thread.start()

    def join(self, job: Job) -> None:
        from genai.cohort import Member

        job.status, job.started, job.group, job.thread = "training", time.time(), self, self.thread
        control = None
        if self.runner.isolate == "process":
            job.control = _Relayed(self.inbox, job.id)
        else:
            control = job.control
        self.jobs[job.id] = job
        self.inbox.put(("join", Member(job.id, job.spec, str(checkpoints.RUNS_DIR / job.name), job.owner, control)))

    def _in_thread(self, train_cohort) -> None:
        try:
            train_cohort(self.inbox, self._deliver, device=self.runner.device)
        finally:
            self._ended(Words("err.thread_returned"))

    def _relay(self, proc, reader, writer) -> None:
        why = Words("err.relay_failed")  # only if relaying itself failed
        try:
            why = _run_child(proc, reader, writer, lambda msg: self._deliver(*msg))
        finally:
            self._ended(why)

    def _deliver(self, job_id: str | None, ev) -> None:
        if job_id is None:  # its last run left: end it unless a run is joining
            with self.runner._lock:
                if not self.jobs and self.open:
                    self.open = False
                    self.inbox.put(("close",))
            return
        job = self.jobs.get(job_id)
        if job is None:
            return
        job.emit(ev)
        if ev.kind in ("done", "error"):
            with self.runner._lock:
                self.jobs.pop(job_id, None)
            self.runner._finished(job)

    def _ended(self, why: Words) -> None:
        with self.runner._lock:
            self.open = False
            left = list(self.jobs.values())
            self.jobs.clear()
            if self in self.runner._groups:
                self.runner._groups.remove(self)
        for job in left:
            if job.active:
                job.ended_unexpectedly(why)
        for job in left:
            self.runner._finished(job)
        self.runner._schedule()


def _cohort_in_child(inbox, writer, device, threads, server_pid):
    """A cohort's training process: as ``_train_in_child``, for the runs that join it."""
    from genai import cohort

    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(max(1, threads))
    gone, orphaned, events = Control(), threading.Event(), _Outbox(writer)
    threading.Thread(target=_stop_when_gone, args=(server_pid, gone, orphaned), daemon=True).start()
    try:
        cohort.train_cohort(inbox, lambda job_id, ev: events.put((job_id, ev)), device=torch.device(device),
                            gone=gone.stop_flag)
    finally:
        events.put(None)
        events.flush()


class JobRunner:
    def __init__(self, max_active: int | None = None, device: torch.device | None = None,
                 per_session: int | None = None, isolate: str | None = None, roster=None):
        self.device = device or devmod.pick_device()
        self.max_active = max_active or default_max_runs(self.device)
        self.per_session = per_session or int(os.environ.get("GENAI_RUNS_PER_SESSION", 0) or 0) or 2
        self.isolate = isolate or os.environ.get("GENAI_TRAIN_IN", "process")
        if self.isolate not in ("process", "thread"):
            raise ValueError(f"GENAI_TRAIN_IN must be 'process' or 'thread', not {self.isolate!r}")
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._data: dict[str, object] = {}  # a queued run's uploaded data, until it starts
        self.roster = roster or classroom.Roster(checkpoints.RUNS_DIR)
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._measured: dict[tuple, float] = {}  # (family, preset, batch) -> wall seconds a step
        # lesson runs of one kind train stacked, this many in a slot (genai/cohort.py); 1: each alone
        self.cohort_size = int(os.environ.get("GENAI_COHORT", 0) or 0) or default_cohort_size(self.device)
        self._groups: list[Group] = []

    def threads_per_run(self) -> int:
        forced = int(os.environ.get("GENAI_THREADS", 0) or 0)
        return forced or max(1, (os.cpu_count() or 1) // self.max_active)

    def start(self, spec: TrainSpec, owner: str = "", data=None) -> Job:
        """Queue a run (it starts at once when a slot is free). Raise RunnerBusy only when this
        session already has ``per_session`` runs queued or training; ValueError for bad settings."""
        check_spec(spec)
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner and j.active]
            if len(mine) >= self.per_session:
                raise said(RunnerBusy, "err.runs_per_session", n=len(mine), most=self.per_session)
            job_id = f"{spec.family}-{time.strftime('%H%M%S')}-{next(self._ids)}"
            if not spec.name:  # a folder of its own: after a restart the counter starts at 1 again
                spec.name = job_id = runlog.claim_name(job_id)
                runlog.write_queued(checkpoints.RUNS_DIR / job_id, spec, owner)  # a restart keeps it
            key = None
            if self.cohort_size > 1:
                from genai import cohort

                key = cohort.key(spec)
            control = None
            if self.isolate == "process" and key is None:  # a cohort's runs get theirs when they join it
                ctx = _mp_context()
                control = Control(ctx.Event(), ctx.Event(), ctx.Event())
            job = Job(job_id, spec, owner, self.device, control)
            job.runner, job.cohort_key = self, key
            self._jobs[job_id] = job
            self._queue.append(job)
            self._data[job_id] = data
            self._schedule()
        return job

    # -- the queue
    def _order(self) -> list[Job]:
        """Queued runs in the order they will start: the session that has started the fewest runs
        first, then first come, first served (round robin across sessions; ``_schedule`` takes the
        first of this order each time a slot frees)."""
        counts = Counter(j.owner for j in self._jobs.values() if j.started is not None)
        left, order = list(self._queue), []
        while left:
            nxt = min(left, key=lambda j: (counts[j.owner], j.queued_at))
            left.remove(nxt)
            order.append(nxt)
            counts[nxt.owner] += 1
        return order

    def slots_used(self) -> int:
        """Slots taken: a run training alone takes one, a cohort of runs one."""
        with self._lock:
            alone = sum(j.status in RUNNING and j.group is None for j in self._jobs.values())
            return alone + len(self._groups)

    def _room(self, key: tuple | None) -> "Group | None":
        """The open cohort of this kind with the fewest runs, if it has room for one more."""
        groups = [g for g in self._groups if key and g.key == key and g.open and len(g.jobs) < self.cohort_size]
        return min(groups, key=lambda g: len(g.jobs), default=None)

    def _schedule(self) -> None:
        """In queue order: a free slot goes to the next run (a new cohort for a lesson run); a
        lesson run also joins a cohort of its kind that has room, without waiting for a slot.
        Cohorts spread over the slots first: two cores train two cohorts."""
        with self._lock:
            for job in self._order():
                group = self._room(job.cohort_key)
                free = self.slots_used() < self.max_active
                if not free and group is None:
                    continue
                self._queue.remove(job)
                data = self._data.pop(job.id, None)
                if free and (group is None or len(group.jobs) > 0):
                    if job.cohort_key is None:
                        self._launch(job, data)
                        continue
                    group = Group(self, job.cohort_key)
                    self._groups.append(group)
                    group.start()
                group.join(job)

    def _launch(self, job: Job, data) -> None:
        if self.isolate == "process" and job.spec.dataset in datamod.DATASETS:
            data = None  # the child loads a named data set itself, rather than receive a pickled copy
        job.status, job.started = "training", time.time()
        job.thread = threading.Thread(target=job._run, args=(data, self.isolate, self.threads_per_run()),
                                      name=job.id, daemon=True)
        job.thread.start()

    def _cancel(self, job: Job) -> bool:
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
            self._data.pop(job.id, None)
        job.emit(Event("done", 0, {"status": "cancelled", "checkpoint": None, "metrics": {}}))
        job.message = Words("status.cancelled_in_queue")
        runlog.mark(checkpoints.RUNS_DIR / job.name, status="cancelled")
        return True

    def _finished(self, job: Job) -> None:
        done = job.step - (job.total - job.spec.steps)  # a resumed run starts at its checkpoint's step
        if job.started and done > 0 and job.status in ("done", "stopped"):
            self._measured[self._key(job)] = (job.ended - job.started) / done
        self._schedule()

    @staticmethod
    def _key(job: Job) -> tuple:
        return job.spec.family, job.spec.preset, job.spec.batch_size

    def estimate(self, job: Job, slowdown: float | None = 1.0) -> float | None:
        """Seconds a run will take once started: measured on this server for runs of its kind
        (wall time, start-up and evaluations included), else a guess times ``slowdown``; None
        when neither is known (``slowdown`` None: no run has gone far enough to tell)."""
        per_step = self._measured.get(self._key(job))
        if per_step is not None:
            return job.total * per_step
        if slowdown is None:
            return None
        return (GUESS_OVERHEAD_S + job.total * _guess(job)) * slowdown

    def slowdown(self) -> float | None:
        """How much slower than their guess the runs training now go (the machine is shared with
        other runs, with the page's own work, with a class's thirty pages): the median ratio of
        their pace to the guess, None while none is far enough in to tell. A guess alone was off
        by a factor of three with thirty students (BENCHMARKS.md, issue 31): no number beats that."""
        ratios = sorted(j.pace() / _guess(j) for j in self._jobs.values() if self._paced(j))
        return max(1.0, ratios[len(ratios) // 2]) if ratios else None

    @staticmethod
    def _paced(job: Job) -> bool:
        """Whether a training run's pace tells how loaded the machine is (Job.pace)."""
        return job.status == "training" and job.pace() is not None

    def remaining(self, job: Job, slowdown: float | None = 1.0) -> float | None:
        """Seconds until a training run frees its slot: its own wall time a step so far (with
        its evaluations), or what runs of its kind took here; None when not known yet."""
        per_step = self._measured.get(self._key(job))
        if per_step is None and self._paced(job):
            per_step = job.pace()
        if per_step is None:  # still starting, or too early to tell
            run = self.estimate(job, slowdown)
            return None if run is None else max(0.0, run - job.elapsed())
        return max(0.0, (job.total - job.step) * per_step)

    def queue_place(self, job: Job) -> tuple[int, float | None]:
        """(1-based place in the queue, seconds until it should start); (0, 0) once started."""
        with self._lock:
            if job.status != "queued":
                return 0, 0.0
            order = self._order()
            if job not in order:
                return 0, None
            # a paused run holds its slot: counted as if it went on (its owner may resume it)
            slows = self.slowdown()
            slots = [self.remaining(j, slows) for j in self._jobs.values()
                     if j.status in RUNNING and j.group is None]
            places: dict[tuple, list[float]] = {}  # when each place in a cohort frees, by kind
            for g in self._groups:
                left = [self.remaining(j, slows) for j in g.jobs.values()]
                if None in left:
                    return order.index(job) + 1, None
                slots.append(max(left, default=0.0))  # its slot frees when its last run ends
                if g.open:
                    places.setdefault(g.key, []).extend(left + [0.0] * (self.cohort_size - len(left)))
            if None in slots:  # too early to tell how fast the runs ahead of it go
                return order.index(job) + 1, None
            slots += [0.0] * max(0, self.max_active - len(slots))
            for heap in (slots, *places.values()):
                heapq.heapify(heap)
            for place, j in enumerate(order, 1):
                here = places.get(j.cohort_key) if j.cohort_key else None
                in_cohort = bool(here) and here[0] < slots[0]  # a place in a cohort frees before a slot
                if j is job:
                    return place, (here if in_cohort else slots)[0]
                est = self.estimate(j, slows)
                if est is None:  # how long the runs ahead of it take is not known yet
                    return order.index(job) + 1, None
                if in_cohort:
                    heapq.heappush(here, heapq.heappop(here) + est)
                else:
                    start = heapq.heappop(slots)
                    heapq.heappush(slots, start + est)
                    if j.cohort_key:  # a new cohort in that slot: its other places from now
                        places.setdefault(j.cohort_key, [])
                        for t in [start] * (self.cohort_size - 1):
                            heapq.heappush(places[j.cohort_key], t)
        return 0, None

    def queued(self) -> list[Job]:
        with self._lock:
            return self._order()

    # -- lookup and sessions
    def get(self, job_id: str, owner: str | None = None) -> Job:
        job = self._jobs.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            raise said(KeyError, "err.no_such_run", name=repr(job_id))
        return job

    def jobs(self, owner: str | None = None) -> list[Job]:
        return [j for j in list(self._jobs.values()) if owner is None or j.owner == owner]

    def shared(self) -> list[Job]:
        """Runs their owners shared with the class, newest first."""
        return sorted((j for j in self.jobs() if j.share_token), key=lambda j: -j.queued_at)

    def watch(self, token: str) -> Job:
        job = next((j for j in self.jobs() if token and j.share_token == token), None)
        if job is None:
            raise said(KeyError, "err.no_shared_run")
        return job

    def stop_owner(self, owner: str) -> None:
        """Every run of ``owner``: queued ones leave the queue, training ones stop and save."""
        for j in self.jobs(owner):
            if j.active:
                j.stop()

    def adopt(self, folder) -> Job | None:
        """A run folder on disk as a job of this runner (after a restart, or an import); None for
        a folder that holds no run, or one this runner already has."""
        try:
            run = runlog.read_run(folder)
        except (OSError, ValueError, KeyError):
            return None
        with self._lock:
            if run["name"] in self._jobs:
                return None
            try:
                job = Job.from_record(run, self.device)
            except (TypeError, ValueError):  # a spec of another version: left on disk, not listed
                return None
            job.runner = self
            self._jobs[job.id] = job
        return job

    def adopt_disk_runs(self) -> list[Job]:
        """On start: every run a page started (one with an owner) that an earlier server left on
        disk. CLI runs (no owner) stay the monitor's disk views: they may be training right now."""
        root = checkpoints.RUNS_DIR
        found = []
        for spec in sorted(root.glob("*/spec.json"), key=lambda p: p.stat().st_mtime) if root.is_dir() else []:
            try:
                if not json.loads(spec.read_text()).get("owner"):
                    continue
            except (OSError, ValueError):
                continue
            job = self.adopt(spec.parent)
            if job is not None:
                found.append(job)
        return found

    def shutdown(self, wait: float = 5.0) -> None:
        for j in self.jobs():
            j.stop()
        for j in self.jobs():
            if j.thread:
                j.thread.join(wait)
