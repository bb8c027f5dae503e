"""App start-up time: from `python app.py` to the page served (HTTP 200 with the title), and to
the end of the warm-up (the shipped models loaded and each tab's first samples made, in a thread
beside the server: from then on a page's first samples come from memory); the median of the runs,
and the import profile of `genai.ui.app` (the modules that cost the start most).

    python bench/startup.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_start() -> tuple[float, float | None]:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tempfile.NamedTemporaryFile("w+", suffix=".log")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    served = warm = None
    try:
        while time.perf_counter() - t0 < 120 and (served is None or warm is None):
            if served is None:
                try:
                    html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read().decode()
                    if "Generative AI Lab" in html:
                        served = time.perf_counter() - t0
                except OSError:
                    pass
            if warm is None and "warm-up done" in Path(log.name).read_text():
                warm = time.perf_counter() - t0
            time.sleep(0.05)
        if served is None:
            raise RuntimeError("the app did not serve its page within 120 s")
        return served, warm
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def import_profile(top: int = 8) -> list[tuple[str, float]]:
    """Seconds each top-level package takes to import with genai.ui.app (python -X importtime)."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import genai.ui.app"], cwd=ROOT,
                         capture_output=True, text=True).stderr
    cost: dict[str, float] = {}
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            root = parts[2].strip().split(".")[0]  # a package's outermost import holds all of it
            cost[root] = max(cost.get(root, 0.0), int(parts[1]) / 1e6)  # cumulative microseconds
    total = cost.pop("genai", 0.0)
    return [("genai.ui.app in all", total), *sorted(cost.items(), key=lambda kv: -kv[1])[:top]]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()}")
    runs = [one_start() for _ in range(args.runs)]
    served = [s for s, _ in runs]
    warm = [w for _, w in runs if w is not None]
    print(f"start-up to page served: median {statistics.median(served):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in served)})")
    if warm:
        print(f"start-up to warm-up done: median {statistics.median(warm):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in warm)})")
    print("import profile of genai.ui.app (cumulative s): "
          + ", ".join(f"{name} {s:.2f}" for name, s in import_profile()))


if __name__ == "__main__":
    main()
