"""Several runs of one config trained as one batched model: a class's lesson runs.

Thirty students who press *Start* on the lesson preset ask for thirty copies of one tiny network.
Trained one after another, two at a time on two cores, the last of them waited 24 minutes
(issue 31). Stacked, every layer of all of them is one batched matmul a step. The family's
``Cohort`` (``genai/models/gan.py``) holds the stacked weights and takes one step of every
member; this module is the loop around it, the trainer's loop (``genai/trainer.py``) for many
runs: each member emits its own events (``log``, ``metrics``, ``samples``, ``checkpoint``,
``done``, ``error``) into its own run folder and job, evaluates, previews and saves on its own
steps, can be stopped, paused or asked to save on its own, and leaves when its steps are done.
Runs join while the others train (``inbox``): a student who presses *Start* later starts at once.

The job runner (``genai/jobs.py``) sends into the inbox ``("join", Member)``, ``("stop", id)``,
``("pause", id)``, ``("resume", id)``, ``("save", id)`` and ``("close",)``; the loop tells it
``(None, "idle")`` when its last member has left, and ends at ``close``.
"""
from __future__ import annotations

import json
import math
import queue as queuemod
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from genai import checkpoints, data as datamod, device as devmod, models
from genai.trainer import (EXPLODED, Control, Event, TrainSpec, _exploded, _finite, _tee, build_model,
                           diverged_message, fits, load_data, save_checkpoint)

METRICS = ("loss_d", "loss_g", "D(x)", "D(G(z))")  # the columns of Cohort.train_step's rows


def key(spec: TrainSpec) -> tuple | None:
    """What runs must share to train stacked (family, data set, batch size, the whole config);
    None for a run that trains alone: a family without a ``Cohort``, uploaded data, a config the
    stacked step does not do (``batchable``), or a fork (new settings on old weights)."""
    try:
        mod = models.family_module(spec.family)
        if not hasattr(mod, "Cohort") or spec.dataset not in datamod.DATASETS:
            return None
        if spec.init_from:
            if spec.overrides:
                return None
            config = models.make_config(spec.family, None, **checkpoints.read_meta(spec.init_from)["config"])
        else:
            config = models.make_config(spec.family, spec.preset, **spec.overrides)
    except (ValueError, TypeError, KeyError, OSError, checkpoints.CheckpointError):
        return None
    if not mod.batchable(config):
        return None
    return spec.family, spec.dataset, spec.batch_size, json.dumps(asdict(config), sort_keys=True)


@dataclass
class Member:
    """A run in a cohort, as the runner sends it; the rest is the loop's."""
    id: str
    spec: TrainSpec
    log_dir: str = ""
    owner: str = ""
    control: Control | None = None  # the loop's own flags in a training process (set by messages)
    emit: Callable | None = None
    step: int = 0
    total: int = 0
    gen: torch.Generator | None = None
    out: Path | None = None
    last: dict = field(default_factory=dict)
    ckpt: str | None = None
    ckpt_step: int = 0
    t_start: float = 0.0
    window: tuple[float, int] = (0.0, 0)
    said_no_eval: bool = False


def train_cohort(inbox, send: Callable[[str | None, Event | str], None], data=None, device=None,
                 trained_on: str = "", gone=None) -> None:
    """Train the members that join through ``inbox`` (a queue) as one stacked model until it is
    told ``close``. ``send(member_id, event)`` carries each member's events to its job. ``gone``
    (an event): the server went away; every member saves and is marked *interrupted*, to resume."""
    device = torch.device(device or devmod.pick_device())
    trained_on = trained_on or str(devmod.describe(device))
    cohort, members, closed, idle_said = None, [], False, False
    while not closed:
        if gone is not None and gone.is_set():
            for m in members:
                m.control.stop()
            closed = not members
        if members:
            idle_said = False
        elif not idle_said:  # the runner decides whether more come (a join already on its way) or not
            send(None, "idle")
            idle_said = True
        try:
            msgs = [inbox.get(timeout=0.2)] if not members or not _active(members) else []
            while True:
                msgs.append(inbox.get_nowait())
        except queuemod.Empty:
            pass
        for msg in msgs:
            if msg[0] == "close":
                closed = True
            elif msg[0] == "join":
                m = msg[1]
                m.control = m.control or Control()
                try:
                    data = data if data is not None else load_data(m.spec.family, m.spec.dataset)
                    cohort = _join(cohort, m, data, device, trained_on, send)
                    members.append(m)
                except Exception as e:  # noqa: BLE001 - this run fails with a message; the others go on
                    send(m.id, Event("error", m.step, _message(e)))
            else:
                m = next((m for m in members if m.id == msg[1]), None)
                if m is not None:
                    getattr(m.control, {"stop": "stop", "pause": "pause", "resume": "resume",
                                        "save": "request_save"}[msg[0]])()
        if not members or closed:
            continue
        try:
            left = members
            members = _step(cohort, members, data, device, trained_on)
        except Exception as e:  # noqa: BLE001 - every member fails with the message; the server goes on
            for m in members:
                m.emit(Event("error", m.step, _message(e)))
            members, cohort = [], None
        if gone is not None and gone.is_set():  # saved because the server went: the next one resumes them
            from genai import runlog

            for m in left:
                if m not in members and m.log_dir:
                    runlog.mark(m.log_dir, status="interrupted")


def _message(e: Exception) -> str:
    from genai.locales import Words

    first = e.args[0] if e.args else None
    return first if isinstance(first, Words) else f"{type(e).__name__}: {e}"


def _active(members) -> bool:
    return any(m.control.running.is_set() for m in members)


def _join(cohort, m: Member, data, device, trained_on: str, send):
    """Build the member's model as the trainer would (fresh, or resumed from its checkpoint) and
    stack it as the cohort's last row."""
    from genai.runlog import RunLog

    spec = m.spec
    emit = lambda ev, i=m.id: send(i, ev)  # noqa: E731
    m.emit = _tee(emit, RunLog(m.log_dir, spec, m.owner, trained_on)) if m.log_dir else emit
    devmod.seed_everything(spec.seed)
    m.gen = devmod.cpu_generator(spec.seed)
    model, opt_states, m.step = build_model(spec)
    model.to(device).train()
    if hasattr(model, "prepare"):
        model.prepare(data)
    opts = model.configure_optimizers()
    for name, state in (opt_states or {}).items():
        if fits(opts[name], state):
            opts[name].load_state_dict(state)
    mod = models.family_module(spec.family)
    if cohort is None:
        cohort = mod.Cohort(model.config, device)
        cohort.quality = None
    cohort.add(model, opts)
    m.total = m.step + spec.steps
    m.out = Path(spec.out) if spec.out else checkpoints.RUNS_DIR / (spec.name or spec.family) / "checkpoint"
    m.t_start = time.perf_counter()
    m.window = (time.perf_counter(), m.step)
    n_params = sum(p.numel() for p in model.parameters())
    m.emit(Event("log", m.step, f"{spec.family} ({n_params / 1e6:.2f} M parameters) on {spec.dataset}, "
                                f"{trained_on}, stacked with the other runs of its kind into one batched model ({len(cohort)} now)"))
    return cohort


def _step(cohort, members: list[Member], data, device, trained_on: str) -> list[Member]:
    """One step of every member that is not paused; then each member's events, evaluations,
    previews and checkpoints; returns the members still training."""
    for m in members:  # a paused member still answers a save request
        if m.control.save_flag.is_set() and not m.control.running.is_set():
            _save(cohort, members.index(m), m, trained_on)
    active = torch.tensor([m.control.running.is_set() and not m.control.stop_flag.is_set() for m in members])
    B = members[0].spec.batch_size
    gens = [m.gen for m in members]
    if active.any():
        with devmod.autocast(device):
            rows = cohort.train_step(cohort.make_batch(data, B, gens), active.to(cohort.device))
    previews = None
    staying = []
    for i, m in enumerate(members):
        if m.control.stop_flag.is_set():
            _finish(cohort, i, m, trained_on, stopped=True)
            continue
        if not active[i]:
            staying.append(i)
            continue
        m.step += 1
        metrics = dict(zip(METRICS, rows[i].tolist()))
        if not _finite(metrics) or _exploded(metrics):
            bad = ", ".join(f"{k}={v:.3g}" for k, v in metrics.items()
                            if not math.isfinite(v) or ("loss" in k and abs(v) > EXPLODED))
            m.emit(Event("error", m.step, diverged_message(m.spec, m.step, bad, m.ckpt_step if m.ckpt else None)))
            continue
        m.last = metrics
        spec = m.spec
        if m.step % spec.log_every == 0 or m.step == m.total:
            t0, n0 = m.window
            dt = time.perf_counter() - t0
            m.window = (time.perf_counter(), m.step)
            n = m.step - n0
            m.emit(Event("metrics", m.step, {**metrics, "items_per_s": n * B / max(dt, 1e-9)}))
        if m.step % spec.eval_every == 0 or m.step == m.total:
            held = _evaluate(cohort, i, data)
            if not held and not m.said_no_eval:
                m.said_no_eval = True
                m.emit(Event("log", m.step, "No held-out measure for this run."))
            m.last = {**m.last, **held}
            m.emit(Event("metrics", m.step, {f"heldout_{k}": v for k, v in held.items()}))
        if m.step % spec.sample_every == 0 or m.step == m.total:
            previews = previews or cohort.previews()
            m.emit(Event("samples", m.step, previews[i]))
        if m.step == m.total:
            _finish(cohort, i, m, trained_on, stopped=False)
            continue
        if m.step % spec.ckpt_every == 0 or m.control.save_flag.is_set():
            _save(cohort, i, m, trained_on)
        staying.append(i)
    if len(staying) != len(members):
        cohort.keep(staying)
    return [members[i] for i in staying]


def _evaluate(cohort, i: int, data) -> dict:
    from genai import metrics

    model, _ = cohort.member(i)
    if cohort.quality is None:  # one scorer (a classifier and the real digits' features) for all
        cohort.quality = metrics.SampleQuality.for_data(data) or False
    if cohort.quality is False:
        return {}
    model._quality = cohort.quality
    return model.evaluate(data)


def _save(cohort, i: int, m: Member, trained_on: str) -> None:
    m.control.save_flag.clear()
    model, opts = cohort.member(i)
    card = {"train_seconds": round(time.perf_counter() - m.t_start, 1), "trained_on": trained_on}
    m.ckpt, m.ckpt_step = str(save_checkpoint(model, m.out, m.spec, m.step, m.last, opts, card)), m.step
    m.emit(Event("checkpoint", m.step, m.ckpt))


def _finish(cohort, i: int, m: Member, trained_on: str, stopped: bool) -> None:
    _save(cohort, i, m, trained_on)
    m.emit(Event("done", m.step, {"status": "stopped" if stopped else "done", "checkpoint": m.ckpt,
                                  "metrics": m.last}))
