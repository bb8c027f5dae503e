"""Classroom benchmark: N simulated students, each its own gradio_client session against a served
app on 127.0.0.1, who within the same few seconds start a lesson-length GAN run, wait for it,
sample from it, interpolate in the VAE tab and continue a text prompt; while their run waits or
trains they use the tabs now and then (a sample, an interpolation, a continuation).

    python bench/classroom.py --students 10
    python bench/classroom.py --students 30 --train-in thread   # training threads in the server

It reports refused requests and errors, the time until the last student has a trained model,
per-request p50/p95 of sampling, interpolation and continuation while the class trains, and the
queue places and estimated starts each student was shown against when its run really started.
The server runs in its own process; the students are spread over a few client processes (so
that the clients' own GIL does not inflate what they measure). Everything is bounded in time.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = os.environ.get("GENAI_DATA_DIR", str(ROOT.parent / "shared" / "data"))
PLACE = re.compile(r"place (\d+) of (\d+) in the queue, starts in about (\d+):(\d\d)")


def serve(port: int, runs_dir: str, train_in: str, max_runs: int | None) -> subprocess.Popen:
    env = {**os.environ, "GENAI_RUNS_DIR": runs_dir, "GENAI_DATA_DIR": DATA, "GENAI_TRAIN_IN": train_in,
           "GRADIO_ANALYTICS_ENABLED": "False", "GENAI_RUNS_PER_SESSION": "2"}
    if max_runs:
        env["GENAI_MAX_RUNS"] = str(max_runs)
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from genai.ui.app import LAUNCH, build_app; "
            f"build_app().launch(server_name='127.0.0.1', server_port={port}, quiet=True, **LAUNCH)")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=open(Path(runs_dir) / "server.log", "w"))
    import urllib.request

    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start; see server.log")


def digit_pngs(folder: Path) -> list[str]:
    """Two held-out digits as PNG files, black ink on white, as a sketchpad sends them."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("GENAI_DATA_DIR", DATA)
    from PIL import Image

    from genai import data

    ds = data.load_images("mnist")
    out = []
    for i in (0, 1):
        img = Image.fromarray(255 - ds.heldout_x[i, 0].numpy().astype("uint8")).resize((280, 280))
        out.append(str(folder / f"digit{i}.png"))
        img.save(out[-1])
    return out


class Student:
    def __init__(self, url: str, idx: int, runs_dir: str, pngs: list[str], deadline: float):
        from gradio_client import Client

        self.c = Client(url, verbose=False, download_files=False)
        self.idx, self.runs_dir, self.pngs, self.deadline = idx, runs_dir, pngs, deadline
        self.rng = random.Random(idx)
        self.log: list[dict] = []  # one row a request
        self.shown: list[tuple[float, int, float]] = []  # (time, place, estimated seconds to start)

    def timed(self, kind: str, fn, training: bool):
        t0 = time.time()
        try:
            fn()
            err = ""
        except Exception as e:  # noqa: BLE001 - every failure is counted, none stops the bench
            err = f"{type(e).__name__}: {e}"[:200]
        self.log.append({"kind": kind, "s": time.time() - t0, "err": err, "training": training, "at": t0})

    def sample(self, path: str, training: bool):
        self.timed("sample", lambda: self.c.predict(path, 64, self.rng.randrange(10**6), "any",
                                                   api_name="/sample"), training)

    def interpolate(self, training: bool):
        from gradio_client import handle_file

        pads = [{"background": handle_file(p), "layers": [], "composite": handle_file(p)} for p in self.pngs]
        vae = "vae_conv-16d_mnist"  # menus name checkpoints
        self.timed("interpolate", lambda: self.c.predict(vae, *pads, 10, "linear", api_name="/vae_interpolate"),
                   training)

    def continue_text(self, training: bool):
        gpt = "gpt_char_shakespeare"
        self.timed("continue", lambda: self.c.predict(gpt, "", "ROMEO:", 100, 1.0, 0, 1.0, self.rng.randrange(10**6),
                                                      api_name="/continue"), training)

    def run(self, start_at: float) -> dict:
        time.sleep(max(0.0, start_at - time.time()) + self.rng.random() * 3)  # "within the same few seconds"
        t_press = time.time()
        job = self.c.submit("mnist", "lesson", "bce", 2e-3, 2e-3, 64, 64, 4500, self.idx, None, api_name="/train")
        name, started, status = None, None, ""
        next_use = time.time() + self.rng.uniform(2, 6)
        while not job.done() and time.time() < self.deadline:
            outs = job.outputs()
            if outs:
                status = status_of(outs[-1]) or status
                m = PLACE.search(status)
                if m:
                    self.shown.append((time.time(), int(m[1]), int(m[3]) * 60 + int(m[4])))
                elif started is None and ("training" in status or "done" in status):
                    started = time.time()
                name = name or (re.search(r"\*\*(.+?)\*\*", status) or [None, None])[1]
            if time.time() >= next_use:  # use the tabs while the run waits or trains
                [lambda: self.sample("gan_dcgan_mnist", True),
                 lambda: self.interpolate(True), lambda: self.continue_text(True)][self.rng.randrange(3)]()
                next_use = time.time() + self.rng.uniform(3, 8)
            time.sleep(0.2)
        own = None
        try:
            final = job.result(timeout=5)
            status = status_of(final) or status
            menu = final[-1].get("choices", []) if isinstance(final[-1], dict) else []
            own = next((value for label, value in menu if label == f"your run: {name}"), None)
        except Exception as e:  # noqa: BLE001
            status = f"{status} / {type(e).__name__}: {e}"
        trained = time.time() if "done" in status else None
        refused = "already have" in status or "Queue is full" in status
        if trained and own:  # the menu's value for this student's run (a key, not a path)
            self.sample(own, True)
        elif trained:
            self.log.append({"kind": "sample", "s": 0.0, "err": "the run is not in its menu", "training": True,
                             "at": time.time()})
        self.interpolate(True)
        self.continue_text(True)
        return {"idx": self.idx, "pressed": t_press, "started": started, "trained": trained, "name": name,
                "status": status[:300], "refused": refused, "shown": self.shown, "log": self.log}


def students_in_process(args) -> list[dict]:
    url, ids, runs_dir, pngs, start_at, deadline = args
    from concurrent.futures import ThreadPoolExecutor

    people = [Student(url, i, runs_dir, pngs, deadline) for i in ids]
    import resource

    with ThreadPoolExecutor(len(people)) as pool:
        out = list(pool.map(lambda s: s.run(start_at), people))
    use = resource.getrusage(resource.RUSAGE_SELF)
    out[0]["cpu"] = use.ru_utime + use.ru_stime  # this client process's CPU time, counted once
    return out


def status_of(outputs) -> str:
    """The status line among a /train update's outputs (the Markdown that names the run)."""
    for x in outputs:
        x = x.get("value") if isinstance(x, dict) else x
        if isinstance(x, str) and x.startswith("**"):
            return x
    return ""


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def report(results: list[dict], t_start: float) -> dict:
    rows = [r for s in results for r in s["log"]]
    # "while the class trains": from the first press until the last run ended
    end_training = max((s["trained"] or 0) for s in results) or time.time()
    lat = {}
    for kind in ("sample", "interpolate", "continue"):
        xs = [r["s"] for r in rows if r["kind"] == kind and not r["err"] and r["at"] <= end_training]
        lat[kind] = {"n": len(xs), "p50": statistics.median(xs) if xs else None, "p95": pct(xs, 0.95)}
    errors = [r["err"] for r in rows if r["err"]] + [s["status"] for s in results if not s["trained"] and not s["refused"]]
    eta, errors_all = [], []
    for s in results:
        if s["shown"] and s["started"]:
            t, place, est = s["shown"][0]  # what the page said first
            row = {"student": s["idx"], "place": place, "first_estimate": est, "real_wait": round(s["started"] - t)}
            for frac in (0.25, 0.5, 0.75):  # what the page said a quarter, half, three quarters into the wait
                t_at = t + frac * (s["started"] - t)
                _, _, e = min(s["shown"], key=lambda x: abs(x[0] - t_at))
                row[f"at_{int(frac * 100)}%"] = f"{e} s shown, {round(s['started'] - t_at)} s real"
            eta.append(row)
            errors_all += [abs((s["started"] - t_) - e) for t_, _, e in s["shown"]]
    eta.sort(key=lambda e: e["place"])
    first = [abs(e["real_wait"] - e["first_estimate"]) for e in eta]
    return {"students": len(results), "refused": sum(s["refused"] for s in results), "errors": len(errors),
            "error_examples": errors[:5], "trained": sum(bool(s["trained"]) for s in results),
            "last_trained_after_s": max((s["trained"] - t_start for s in results if s["trained"]), default=None),
            "latency_while_training": lat, "client_cpu_s": round(sum(s.get("cpu", 0) for s in results), 1),
            "queue_estimate_error_s": {"first_shown_median": statistics.median(first) if first else None,
                                       "every_shown_median": statistics.median(errors_all) if errors_all else None},
            "queue": eta}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--students", type=int, default=10)
    p.add_argument("--clients", type=int, default=5, help="client processes the students are spread over")
    p.add_argument("--port", type=int, default=7871)
    p.add_argument("--train-in", choices=["process", "thread"], default="process")
    p.add_argument("--max-runs", type=int, default=None, help="GENAI_MAX_RUNS for the server")
    p.add_argument("--limit", type=float, default=1500, help="seconds before every student gives up")
    p.add_argument("--json", default="", help="also write the report here")
    a = p.parse_args()
    runs_dir = tempfile.mkdtemp(prefix="genai_classroom_")
    server = serve(a.port, runs_dir, a.train_in, a.max_runs)
    try:
        pngs = digit_pngs(Path(runs_dir))
        url = f"http://127.0.0.1:{a.port}/"
        start_at = time.time() + 5 + a.students * 0.3  # every client connected first
        deadline = start_at + a.limit
        n_proc = max(1, min(a.clients, a.students))
        groups = [list(range(a.students))[i::n_proc] for i in range(n_proc)]
        with mp.get_context("spawn").Pool(n_proc) as pool:
            parts = pool.map(students_in_process, [(url, g, runs_dir, pngs, start_at, deadline) for g in groups])
        out = report([s for part in parts for s in part], start_at)
    finally:
        server.terminate()
        server.wait(10)
    out.update(cores=os.cpu_count(), train_in=a.train_in, max_runs=a.max_runs or "default")
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
