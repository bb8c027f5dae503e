"""The training loop, shared by every family. It emits events instead of printing (as minGPT's
trainer calls back): ``log``, ``metrics``, ``samples``, ``checkpoint``, ``done``, ``error``.
The CLI draws a progress bar from them, the job runner keeps them for the UI, tests read them.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import torch

from genai import checkpoints, data as datamod, device as devmod, distributed, models
from genai.distributed import Dist
from genai.locales import Words, said

KINDS = ("log", "metrics", "samples", "checkpoint", "done", "error")


@dataclass
class Event:
    kind: str
    step: int
    data: Any = None
    time: float = field(default_factory=time.time)


@dataclass
class TrainSpec:
    family: str
    preset: str | None = None
    overrides: dict = field(default_factory=dict)  # config fields changed from the preset
    dataset: str = "digits"
    steps: int = 200
    batch_size: int = 64
    seed: int = 0
    name: str = ""
    eval_every: int = 100
    sample_every: int = 25
    ckpt_every: int = 500
    log_every: int = 5
    out: str = ""  # checkpoint path; default runs/<name>/<family>
    init_from: str = ""  # start from this checkpoint's weights (resume, fine-tune, fork)


class Control:
    """Stop, pause and save-now flags, checked by the loop at every step. The flags are
    ``threading.Event``s, or ``multiprocessing`` events when the run trains in another process."""

    def __init__(self, stop_flag=None, running=None, save_flag=None):
        import threading

        self.stop_flag = stop_flag or threading.Event()
        self.running = running or threading.Event()
        self.save_flag = save_flag or threading.Event()
        self.running.set()

    def stop(self):
        self.stop_flag.set()
        self.running.set()  # a paused run must wake up to stop

    def pause(self):
        self.running.clear()

    def resume(self):
        self.running.set()

    def request_save(self):
        """Write a checkpoint at the next step (a watcher forks a live run from it)."""
        self.save_flag.set()

    def wait_if_paused(self, on_save=None):
        while not self.running.wait(0.1):
            if on_save and self.save_flag.is_set():  # a paused run still answers a save request
                on_save()
        return not self.stop_flag.is_set()


MAX_STEPS = 1_000_000
MAX_BATCH = 4096
MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed takes a signed 64-bit number
EXPLODED = 1e6  # a loss past this has diverged for every family here (GAN losses are O(1), a VAE's ~100)


def check_spec(spec: TrainSpec) -> None:
    """One check of a run's settings for every way in (the page, the API, the CLI, the monitor's
    resume and fork): ValueError with a message that says what is wrong, before anything starts."""
    for name, hi in (("steps", MAX_STEPS), ("batch_size", MAX_BATCH)):
        v = getattr(spec, name)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
            raise said(ValueError, "err.spec_whole", name=Words(f"field.{name}"), hi=f"{hi:,}", value=repr(v))
    if isinstance(spec.seed, bool) or not isinstance(spec.seed, int) or not 0 <= spec.seed <= MAX_SEED:
        raise said(ValueError, "err.spec_seed", max=MAX_SEED, value=repr(spec.seed))
    config = models.make_config(spec.family, spec.preset, **spec.overrides)  # unknown settings refused
    numeric = {f.name for f in fields(config) if f.type in ("float", "int", float, int)}
    for name, v in vars(config).items():
        if name in numeric and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise said(ValueError, "err.spec_number", name=name, value=repr(v))
        if name not in numeric:
            continue
        if not math.isfinite(v):
            raise said(ValueError, "err.spec_number", name=name, value=v)
        if name == "lr" or name.startswith("lr_"):
            if not 0 < v <= 1:
                raise said(ValueError, "err.spec_lr", name=name, value=f"{v:g}")
        elif name == "min_lr" and not 0 <= v <= 1:
            raise said(ValueError, "err.spec_min_lr", value=f"{v:g}")


def diverged_message(spec: TrainSpec, step: int, bad: str, kept_step: int | None) -> str:
    """Why a run stopped when its loss left the numbers, what is kept, and what to try."""
    lrs = {k: v for k, v in spec.overrides.items() if k == "lr" or k.startswith("lr_")}
    cause = (Words("train.cause_lr", lrs=", ".join(f"{k} = {v:g}" for k, v in lrs.items())) if lrs
             else Words("train.cause_lower_lr"))
    kept = Words("train.kept", step=kept_step) if kept_step is not None else Words("train.none_kept")
    return Words("train.diverged", step=step, bad=bad, cause=cause, kept=kept)


def out_of_memory_message(spec: TrainSpec, where: str) -> str:
    smaller = max(1, spec.batch_size // 2)
    return Words("train.out_of_memory_gpu" if where == "GPU" else "train.out_of_memory", batch=spec.batch_size,
                 smaller=smaller)


def load_data(family: str, dataset: str):
    if models.data_kind(family) == "text":
        return datamod.load_text(dataset)
    return datamod.load_images(dataset)


def _errors_only(emit):
    return lambda ev: emit(ev) if ev.kind == "error" else None


def _tee(first, second):
    def both(ev):
        second(ev)
        first(ev)
    return both


def _finite(metrics: dict) -> bool:
    return all(math.isfinite(v) for v in metrics.values())


def _exploded(metrics: dict) -> bool:
    """A loss that is finite but huge (a GAN at learning rate 1e9 reached loss_d = 6e19) has
    diverged as surely as a NaN: stop before it trains on as if nothing were wrong."""
    return any("loss" in k and abs(v) > EXPLODED for k, v in metrics.items())


def save_checkpoint(model, path, spec: TrainSpec, step: int, metrics: dict, opts=None,
                    card: dict | None = None) -> Path:
    """``card``: how long this run trained (wall seconds, evaluation included) and on what."""
    extra = {"preset": spec.preset, "seed": spec.seed, "batch_size": spec.batch_size, "run": spec.name,
             **(card or {})}
    if spec.init_from:  # the seconds above are this run's; the file it began from trained before
        extra["init_from"] = Path(spec.init_from).name
    return checkpoints.save(path, model.state_dict(), family=spec.family, config=models.config_dict(model),
                            step=step, dataset=spec.dataset, metrics=metrics, optimizers=opts, extra=extra)


def fits(opt: torch.optim.Optimizer, state: dict) -> bool:
    """Whether a saved optimizer state has opt's groups and its parameters' shapes."""
    groups = state.get("param_groups", [])
    if [len(g["params"]) for g in groups] != [len(g["params"]) for g in opt.param_groups]:
        return False
    params = [p for g in opt.param_groups for p in g["params"]]
    ids = [i for g in groups for i in g["params"]]
    return all(v.dim() == 0 or v.shape == p.shape for i, p in zip(ids, params)
               for v in state.get("state", {}).get(i, {}).values() if torch.is_tensor(v))


def build_model(spec: TrainSpec):
    """A fresh model, or one from ``spec.init_from``: with no overrides a resume (weights,
    optimizer state and step), with overrides a fork (weights only, new settings)."""
    if not spec.init_from:
        return models.build(spec.family, preset=spec.preset, **spec.overrides), None, 0
    tensors, meta = checkpoints.load(spec.init_from, spec.family)
    cfg = models.make_config(spec.family, None, **{**meta["config"], **spec.overrides})
    model = models.build(spec.family, cfg)
    checkpoints.load_into(model, tensors, str(spec.init_from))
    states = None if spec.overrides else checkpoints.optimizer_states(tensors, meta)
    return model, states, int(meta.get("step", 0))


def train(spec: TrainSpec, emit: Callable[[Event], None], control: Control | None = None,
          data=None, device: torch.device | None = None, log_dir=None, owner: str = "",
          ranks: Dist | None = None) -> Path | None:
    """Train per ``spec``; return the last checkpoint written (None if none was).

    ``data`` may be given (an uploaded data set); otherwise ``spec.dataset`` is loaded.
    On stop: saves a final checkpoint and emits ``done`` with status "stopped". On a NaN or
    infinite metric: emits ``error`` and stops without overwriting the last good checkpoint.
    Under torchrun (``ranks``, genai/distributed.py) each rank trains on its slice of the global
    batch ``spec.batch_size``; only rank 0 emits (errors excepted), evaluates and saves.
    """
    control = control or Control()
    device = device or devmod.pick_device()
    ranks = ranks or Dist()
    if not ranks.main:  # rank 0 speaks for the run; the others say only what goes wrong with them
        emit = _errors_only(emit)
        log_dir = None
    if log_dir:  # also keep the run's record on disk, for the monitor and for export
        from genai.runlog import RunLog

        emit = _tee(emit, RunLog(log_dir, spec, owner, devmod.describe(device)))
    step, ckpt, ckpt_step = 0, None, 0
    try:
        if spec.batch_size % ranks.world:
            raise ValueError(f"The batch size ({spec.batch_size}) must divide evenly among the {ranks.world} "
                             "processes: it is the global batch")
        # one generator draws the global batch on every rank; noise inside a step is each rank's own
        devmod.seed_everything(spec.seed + ranks.rank)
        gen = devmod.cpu_generator(spec.seed)
        data = data if data is not None else load_data(spec.family, spec.dataset)
        model, opt_states, step = build_model(spec)
        model.to(device).train()
        if hasattr(model, "prepare"):
            model.prepare(data)  # e.g. a tokenizer fitted to the corpus (and the network for it)
        if ranks.active:  # on the network as it will train
            distributed.broadcast_state(model)
            distributed.sync_gradients(model, ranks)
        opts = model.configure_optimizers()
        for name, state in (opt_states or {}).items():
            if fits(opts[name], state):
                opts[name].load_state_dict(state)
            else:  # weights saved in an earlier layout, converted on loading (e.g. gan.py's label bias)
                emit(Event("log", step, f"The checkpoint's optimizer state for {name} does not fit the model "
                                        "(an earlier version's layout): it starts afresh"))
        out = Path(spec.out) if spec.out else checkpoints.RUNS_DIR / (spec.name or spec.family) / "checkpoint"
        n_params = sum(p.numel() for p in model.parameters())
        n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
        size = f"{n_params / 1e6:.2f} M parameters" + (f", {n_train / 1e6:.3f} M trained" if n_train < n_params else "")
        emit(Event("log", step, f"{spec.family} ({size}) on {spec.dataset}, {devmod.describe(device)}"))
        if ranks.active:
            lrs = ", ".join(f"{k} {v:g}" for k, v in models.config_dict(model).items()
                            if (k == "lr" or k.startswith("lr_")) and isinstance(v, (int, float)))
            emit(Event("log", step, f"{ranks.world} processes: global batch {spec.batch_size} "
                                    f"({spec.batch_size // ranks.world} per process), learning rate {lrs} "
                                    "(for the global batch, as in one process)"))
        last_metrics: dict = {}
        said_no_eval = False
        t_window, n_window = time.perf_counter(), 0
        t_start, trained_on = time.perf_counter(), str(devmod.describe(device))
        total = step + spec.steps

        def card():
            return {"train_seconds": round(time.perf_counter() - t_start, 1), "trained_on": trained_on}

        def save_now():
            nonlocal ckpt, ckpt_step
            control.save_flag.clear()
            ckpt, ckpt_step = save_checkpoint(model, out, spec, step, last_metrics, opts, card()), step
            emit(Event("checkpoint", step, str(ckpt)))

        while step < total:
            if control.stop_flag.is_set() or not control.wait_if_paused(save_now):
                break
            batch = distributed.shard(model.make_batch(data, spec.batch_size, gen), ranks)
            with devmod.autocast(device):
                metrics = distributed.mean_metrics(model.train_step(batch, opts), ranks)
            step += 1
            n_window += 1
            if not _finite(metrics) or _exploded(metrics):
                bad = ", ".join(f"{k}={v:.3g}" for k, v in metrics.items()
                                if not math.isfinite(v) or ("loss" in k and abs(v) > EXPLODED))
                emit(Event("error", step, diverged_message(spec, step, bad, ckpt_step if ckpt else None)))
                return ckpt
            last_metrics = metrics
            if step % spec.log_every == 0 or step == total:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                dt = time.perf_counter() - t_window
                metrics = {**metrics, "items_per_s": n_window * spec.batch_size / max(dt, 1e-9)}
                t_window, n_window = time.perf_counter(), 0
                emit(Event("metrics", step, metrics))
            if not ranks.main:
                continue  # evaluation, samples and checkpoints are rank 0's
            if step % spec.eval_every == 0 or step == total:
                held = model.evaluate(data)
                if not held and not said_no_eval:  # say once why the held-out curves stay empty
                    said_no_eval = True
                    emit(Event("log", step, f"No held-out measure for this run: "
                                            f"{getattr(model, 'no_eval_reason', 'none is available')}."))
                last_metrics = {**last_metrics, **held}
                emit(Event("metrics", step, {f"heldout_{k}": v for k, v in held.items()}))
            if step % spec.sample_every == 0 or step == total:
                emit(Event("samples", step, model.preview()))
            if (step % spec.ckpt_every == 0 or control.save_flag.is_set()) and step < total:
                save_now()
        stopped = step < total
        if ranks.active:
            distributed.broadcast_state_buffers(model)  # batch-norm statistics: rank 0's, as DDP keeps them
            same = distributed.in_sync(model, ranks)
            emit(Event("log", step, f"weights identical on all {ranks.world} processes" if same else
                                    f"the {ranks.world} processes' weights differ"))
            if not ranks.main:
                return None
        ckpt = save_checkpoint(model, out, spec, step, last_metrics, opts, card())
        emit(Event("checkpoint", step, str(ckpt)))
        emit(Event("done", step, {"status": "stopped" if stopped else "done", "checkpoint": str(ckpt),
                                  "metrics": last_metrics}))
        return ckpt
    except torch.OutOfMemoryError:  # CUDA's: the batch (or the model) does not fit the GPU
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # give the memory back to the other runs at once
        emit(Event("error", step, out_of_memory_message(spec, "GPU")))
        return ckpt
    except MemoryError:
        emit(Event("error", step, out_of_memory_message(spec, "computer")))
        return ckpt
    except Exception as e:  # the run fails with a message; the server and other runs go on
        first = e.args[0] if e.args else None  # catalogue text keeps its key: the page says it in its language
        msg = (first if isinstance(first, Words) else str(e)
               if isinstance(e, (datamod.DataError, checkpoints.CheckpointError, ValueError)) else f"{type(e).__name__}: {e}")
        emit(Event("error", step, msg))
        return ckpt
