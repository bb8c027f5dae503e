"""What each kind of request costs the server's own process in CPU time (not its training
processes'; its decoding processes' apart): the figure that decides how many students one server
holds, since a class's calls and streams share the cores with the training (BENCHMARKS.md, issue 31).

    python bench/server_cost.py            # about 2 minutes

A served app on 127.0.0.1 (as bench/classroom.py starts it), one gradio_client student; each
request kind 20 times, the server's CPU seconds (user + system, from the operating system) read
around them. Then one lesson run's stream (as the GAN tab's Start sends it), and ten queued
runs' pages behind a long run for 20 s (their messages counted), less the same 20 s of the long
run alone. The server's own idle cost (its event loop) is measured first and taken out of the
lesson stream's figure.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import classroom as cb  # noqa: E402 - serve() and the sketchpad's digits, as the class bench has them
from genai.models import gan  # noqa: E402


def main():
    import psutil
    from gradio_client import Client, handle_file

    runs, port = tempfile.mkdtemp(prefix="genai_server_cost_"), 7897
    load = os.getloadavg()
    server = cb.serve(port, runs, "process", 1)
    proc = psutil.Process(server.pid)

    def cpu() -> float:
        t = proc.cpu_times()
        return t.user + t.system

    def decoding() -> float:  # the decoding processes' CPU (genai/decoding.py: the continuations)
        used = 0.0
        for child in proc.children(recursive=True):
            try:
                if child.name() == "genai-decode":
                    t = child.cpu_times()
                    used += t.user + t.system
            except psutil.Error:
                pass
        return used

    def client():
        return Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)

    out = {"load_before": [round(x, 2) for x in load]}
    try:
        time.sleep(15)  # the shipped models load at start-up: not a request's cost
        c0 = cpu()
        time.sleep(10)
        idle = (cpu() - c0) / 10
        out["idle_cpu_share"] = round(idle, 3)
        c = client()
        c.predict("s" * 30, "student", api_name="/join")
        pads = [{"background": handle_file(p), "layers": [], "composite": handle_file(p)}
                for p in cb.digit_pngs(Path(runs))]
        calls = {
            "sample 64 digits": lambda i: c.predict("gan_dcgan_mnist", 64, i, "any", api_name="/sample"),
            "interpolate": lambda i: c.predict("vae_conv-16d_mnist", *pads, 10, "linear", api_name="/vae_interpolate"),
            "continue 1 character": lambda i: c.predict("gpt_char_shakespeare", "", "ROMEO:", 1, 1.0, 0, 1.0, i,
                                                        api_name="/continue"),
            "continue 100 characters": lambda i: c.predict("gpt_char_shakespeare", "", "ROMEO:", 100, 1.0, 0, 1.0, i,
                                                           api_name="/continue"),
            "my_runs": lambda i: c.predict(api_name="/my_runs"),
        }
        for name, call in calls.items():
            call(0)
            c0, d0, t0 = cpu(), decoding(), time.time()
            for i in range(20):
                call(i + 1)
            out[name] = {"server_cpu_ms": round((cpu() - c0) / 20 * 1e3, 1),
                         "decoding_cpu_ms": round((decoding() - d0) / 20 * 1e3, 1),
                         "wall_ms": round((time.time() - t0) / 20 * 1e3, 1)}
            print(name, out[name], flush=True)
        lesson, p = gan.LESSON, gan.PRESETS["lesson"]
        args = ("mnist", "lesson", "bce", p["lr_g"], p["lr_d"], lesson["batch_size"], p["z_dim"])
        c0, t0 = cpu(), time.time()
        n = sum(1 for _ in c.submit(*args, lesson["steps"], 1, None, api_name="/train"))
        wall = time.time() - t0
        spent = cpu() - c0 - idle * wall
        out["lesson run's stream"] = {"updates": n, "server_cpu_s": round(spent, 2), "wall_s": round(wall, 1),
                                      "ms_an_update": round(spent / n * 1e3, 1)}
        print("lesson run's stream", out["lesson run's stream"], flush=True)
        long = client().submit(*args, 20000, 2, None, api_name="/train")  # the one run the server trains
        time.sleep(8)
        c0 = cpu()
        time.sleep(20)
        alone = cpu() - c0
        queued = [client().submit(*args, 20000, i, None, api_name="/train") for i in range(10)]
        time.sleep(8)
        before = sum(len(j.outputs()) for j in queued)
        c0 = cpu()
        time.sleep(20)
        messages = sum(len(j.outputs()) for j in queued) - before
        out["ten queued pages, 20 s"] = {"messages": messages, "server_cpu_s": round(cpu() - c0 - alone, 2),
                                         "one_long_run_alone_server_cpu_s": round(alone, 2),
                                         "long_run_still_training": not long.done()}
        print("ten queued pages, 20 s", out["ten queued pages, 20 s"], flush=True)
    finally:
        server.terminate()
        server.wait(10)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
