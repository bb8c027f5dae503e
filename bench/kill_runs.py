"""Kill training processes in the middle of their runs, again and again, and count the runs the
server then leaves "training" for ever (BENCHMARKS.md, issue 31's eleventh pass).

    python bench/kill_runs.py 60           # about 2 minutes

One runner as the app has it (runs in processes), a tiny GAN run on the built-in digits that
sends a preview every 2 steps (so a kill often lands in the middle of one), killed with SIGKILL
after 2 or more steps at staggered moments; a run whose job is still active 30 s later hung.
"""
from __future__ import annotations

import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genai.jobs import JobRunner  # noqa: E402
from genai.trainer import TrainSpec  # noqa: E402


def main(kills: int) -> dict:
    runner = JobRunner(max_active=2, isolate="process")
    hung, steps = 0, []
    for i in range(kills):
        spec = TrainSpec(family="gan", preset="tiny", dataset="digits", steps=100000, batch_size=8,
                         eval_every=10**6, sample_every=2, log_every=1, out=str(Path(tempfile.mkdtemp()) / "ck"))
        job = runner.start(spec, owner="bench")
        t0 = time.time()
        while job.step < 2 and time.time() - t0 < 120:
            time.sleep(0.02)
        time.sleep(0.05 * (i % 7))  # kill at different points of its sending
        for child in multiprocessing.active_children():
            if child.name == job.id:
                child.kill()
        job.thread.join(30)
        steps.append(job.step)
        if job.active:
            hung += 1
            job.stop()
            break  # a hung relay keeps its slot: the runner is no longer the app's
    return {"kills": len(steps), "hung": hung, "killed_at_steps": f"{min(steps)}-{max(steps)}"}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)))
