"""A run's record on disk, so that the monitor can show runs the CLI started, and a run can be
exported: ``RUNS_DIR/<name>/spec.json``, ``metrics.jsonl`` (one JSON object a metrics event),
``media/<step>.png`` or ``.txt`` (one file a samples event) and ``status.json``.

``RunLog`` is an event consumer like any other: the trainer tees its events into it.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from genai import checkpoints


class RunLog:
    def __init__(self, folder: str | os.PathLike, spec, owner: str = "", device: str = ""):
        self.folder = Path(folder)
        (self.folder / "media").mkdir(parents=True, exist_ok=True)
        self.status = {"status": "training", "step": 0, "total": spec.steps, "checkpoint": None,
                       "message": "", "started": time.time(), "device": device}
        meta = {"spec": asdict(spec), "owner": owner}
        (self.folder / "spec.json").write_text(json.dumps(meta, indent=1, default=str))
        self._metrics = open(self.folder / "metrics.jsonl", "a", buffering=1)

    def __call__(self, ev) -> None:
        if ev.kind == "metrics":
            self._metrics.write(json.dumps({"step": ev.step, "time": ev.time, **ev.data}) + "\n")
        elif ev.kind == "samples":
            if isinstance(ev.data, Image.Image):
                # zlib's fastest level: a run writes 100 of these in its own process; a 484-pixel
                # grid of digits took 3.3 ms at the default level against 1.6, the noise of a run's
                # first previews 19 against 3 (files 10-25% larger; BENCHMARKS.md, issue 31)
                ev.data.save(self.folder / "media" / f"{ev.step:08d}.png", compress_level=1)
            else:
                (self.folder / "media" / f"{ev.step:08d}.txt").write_text(str(ev.data), "utf-8")
        elif ev.kind == "checkpoint":
            self.status["checkpoint"] = ev.data
        elif ev.kind == "log" and self.status["step"] == 0:
            self.status["total"] = ev.step + self.status["total"]
        elif ev.kind == "done":
            self.status["status"] = ev.data["status"]
        elif ev.kind == "error":
            self.status.update(status="failed", message=str(ev.data))
        self.status["step"] = max(self.status["step"], ev.step)
        if ev.kind != "metrics" or ev.step % 50 == 0:
            self._write_status()
        if ev.kind in ("done", "error"):
            self._metrics.close()

    def _write_status(self):
        # a temporary file of this writer's own: two runs given one --name must not crash each other
        tmp = self.folder / f"status.json.{os.getpid()}-{id(self)}.tmp"
        tmp.write_text(json.dumps({**self.status, "updated": time.time()}))
        os.replace(tmp, self.folder / "status.json")


def write_queued(folder: str | os.PathLike, spec, owner: str = "") -> None:
    """A queued run's record, before it trains: a restart finds it (and offers it to resume)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps({"spec": asdict(spec), "owner": owner}, indent=1, default=str))
    status = {"status": "queued", "step": 0, "total": spec.steps, "checkpoint": None, "message": "",
              "started": time.time(), "updated": time.time()}
    (folder / "status.json").write_text(json.dumps(status))


def mark(folder: str | os.PathLike, **fields) -> None:
    """Change a run's recorded status (e.g. a queued run cancelled: a restart must not offer it)."""
    path = Path(folder) / "status.json"
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    tmp = path.with_name(f"status.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**status, **fields, "updated": time.time()}))
    os.replace(tmp, path)


def checkpoint_in(folder: str | os.PathLike, named) -> str | None:
    """The checkpoint a run's status names, only if it is a file inside the run's own folder
    (checked on the resolved path): a status.json from an import or an edited folder must not
    point the server at ``../../etc/passwd``. A folder moved since (a restored Space) still finds
    its checkpoint by name."""
    if not named or not isinstance(named, str):
        return None
    root = Path(folder).resolve()
    for cand in (Path(named), root / Path(named).name):
        try:
            real = cand.with_suffix(".safetensors").resolve()
        except (OSError, ValueError):
            continue
        if real.is_relative_to(root) and real.is_file():
            return str(real)
    return None


def claim_name(base: str, runs_dir: str | os.PathLike | None = None) -> str:
    """The first of ``base``, ``base-2``, ``base-3``, ... whose folder this call creates (mkdir is
    atomic): two runs started in the same second must not share a record or a checkpoint."""
    root = Path(runs_dir) if runs_dir else checkpoints.RUNS_DIR
    root.mkdir(parents=True, exist_ok=True)
    for i in range(1, 10_000):
        name = base if i == 1 else f"{base}-{i}"
        try:
            (root / name).mkdir()
            return name
        except FileExistsError:
            continue
    raise FileExistsError(f"No free run name like {base!r} in {root}")


def read_run(folder: str | os.PathLike) -> dict:
    """Everything a run left on disk: spec, owner, status, metric rows, media (step, path)."""
    folder = Path(folder)
    meta = json.loads((folder / "spec.json").read_text())
    status = json.loads((folder / "status.json").read_text()) if (folder / "status.json").exists() else {}
    rows = []
    if (folder / "metrics.jsonl").exists():
        for line in (folder / "metrics.jsonl").read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line being written right now
                pass
    media = sorted((int(p.stem), p) for p in (folder / "media").glob("*") if p.stem.isdigit())
    return {"name": folder.name, "folder": folder, "spec": meta["spec"], "owner": meta.get("owner", ""),
            "status": status, "rows": rows, "media": media}


_READ: dict[Path, tuple[tuple, dict]] = {}  # folder -> (file times, run): the monitor polls often


def _changed(folder: Path) -> tuple:
    return tuple((folder / f).stat().st_mtime_ns if (folder / f).exists() else 0
                 for f in ("spec.json", "status.json", "metrics.jsonl", "media"))


def list_disk_runs(runs_dir: str | os.PathLike | None = None, owner: str = "") -> list[dict]:
    """Runs on disk that ``owner`` may see: those started from the CLI (no owner) and its own.
    A run's files are read again only when they changed."""
    root = Path(runs_dir) if runs_dir else checkpoints.RUNS_DIR
    out = []
    for spec in sorted(root.glob("*/spec.json"), key=lambda p: p.stat().st_mtime):
        try:
            stamp = _changed(spec.parent)
            cached = _READ.get(spec.parent)
            run = cached[1] if cached and cached[0] == stamp else read_run(spec.parent)
            _READ[spec.parent] = (stamp, run)
        except (OSError, json.JSONDecodeError, KeyError):
            continue
        if run["owner"] in ("", owner):
            out.append(run)
    return out
