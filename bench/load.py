"""Load test: the service with N workers on 127.0.0.1, C concurrent clients posting the corpus
text documents for a bounded time. Prints throughput, p50/p95/p99 latency, errors, the RSS of
the server's processes, and throughput against N × in-process documents per second: N in-process
extraction loops run at once on the same cores (and, for reference, against N × one loop alone).
The load runs in rounds of about 5 s, each paired with a baseline round (see ``measure``).

    python bench/load.py [--workers 2] [--clients 16] [--seconds 30]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the extraction pool), in MiB."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in list(pids):
        pids += [int(c) for c in subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout.split()
                 if int(c) not in pids]
    per_process = {}
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    per_process[p] = int(line.split()[1]) / 1024
        except OSError:
            pass
    total = sum(per_process.values())
    return total, per_process


def in_process_parallel(texts: list[str], processes: int, seconds: float = 10.0) -> float:
    """Documents per second of ``processes`` in-process extraction loops running at once: what the
    same cores do without HTTP, loaded as they are during the load test (on a shared or burstable
    machine a core runs slower while the others are busy, and one core alone is not the measure)."""
    import multiprocessing
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return sum(pool.starmap(in_process_rate, [(texts, seconds)] * processes))


def in_process_rate(texts: list[str], seconds: float = 3.0) -> float:
    from extractors import extract, warm_up
    warm_up()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        extract(texts[done % len(texts)])
        done += 1
    return done / (time.perf_counter() - start)


async def client(base: str, texts: list[str], deadline: float, latencies: list[float], errors: list[str], offset: int):
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        i = offset
        while time.perf_counter() < deadline:
            body = {"text": texts[i % len(texts)]}
            i += 1
            t0 = time.perf_counter()
            try:
                r = await http.post("/v1/extract?include_text=false", json=body)
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:100]}")
            except httpx.HTTPError as e:
                errors.append(repr(e))
            latencies.append(time.perf_counter() - t0)


WRK_SCRIPT = """
local bodies = {%s}
local requests = {}
local i = 0
init = function(args)
  -- each request formatted once, not on every send: the client should leave the cores to the server
  for k, body in ipairs(bodies) do
    requests[k] = wrk.format("POST", "/v1/extract?include_text=false", {["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  i = i + 1
  return requests[(i %% #requests) + 1]
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def load_wrk(base: str, texts: list[str], clients: int, seconds: float):
    """wrk (C, little CPU of its own) when it is installed: the Python client would take a core."""
    bodies = ",".join("[==[" + json.dumps({"text": t}, ensure_ascii=False) + "]==]" for t in texts)
    script = Path(tempfile.mkdtemp()) / "post.lua"
    script.write_text(WRK_SCRIPT % bodies, encoding="utf-8")
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "-s", str(script), base],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRK "))
    n, errors, micros, p50, p95, p99 = line.split()[1:]
    return int(n), int(errors), int(micros) / 1e6, float(p50), float(p95), float(p99)


async def load(base: str, texts: list[str], clients: int, seconds: float):
    latencies, errors = [], []
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(client(base, texts, deadline, latencies, errors, i) for i in range(clients)))
    return latencies, errors, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    print(json.dumps(measure(args.workers, args.clients, args.seconds), indent=1))


def _wait_for_workers(base: str, workers: int, seconds: float = 20) -> float | None:
    """Seconds until every worker process has answered /readyz. The load's connections are kept
    open, so connecting while one worker is still starting would give all of them to the other."""
    seen, start = set(), time.perf_counter()
    while time.perf_counter() - start < seconds:
        try:
            r = httpx.get(base + "/readyz", timeout=5)          # a new connection each time
            if r.status_code == 200:
                seen.add(r.json()["process"])
        except httpx.HTTPError:
            pass
        if len(seen) >= workers:
            return time.perf_counter() - start
        time.sleep(0.02)
    return None


ROUND_SECONDS = 5.0


def measure(workers: int = 2, clients: int = 16, seconds: float = 30) -> dict:
    """The load test in rounds, each paired with the in-process baseline run just before or after it
    (alternately, so that a drift of the machine's speed weighs on both sides alike): this machine's
    cores change speed by a third over a minute, and a baseline taken once, before or after 30 s of
    load, measured the drift more than the service. The verdict is the median of the rounds' ratios."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    single_before = in_process_rate(texts)
    rounds = max(1, round(seconds / ROUND_SECONDS))
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="fiscal-load-")
    env = {**os.environ, "FISCAL_DATABASE_URL": f"sqlite:///{tmp}/load.db", "FISCAL_LOG_JSON": "false",
           "FISCAL_RATE_LIMIT_PER_MINUTE": "1000000"}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers",
                               str(workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    runs, baselines = [], []
    try:
        first = _first_answer(base, texts[0], started)
        ready_all = _wait_for_workers(base, workers)
        tool = "wrk" if shutil.which("wrk") else \
            "python client (install wrk for a client that leaves the cores to the server)"
        for i in range(rounds):
            if i % 2 == 0:
                baselines.append(in_process_parallel(texts, workers, seconds / rounds))
            runs.append(_load_round(base, texts, clients, seconds / rounds, tool == "wrk"))
            if i % 2 == 1:
                baselines.append(in_process_parallel(texts, workers, seconds / rounds))
        rss, per = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    single_after = in_process_rate(texts)
    n = sum(r["requests"] for r in runs)
    elapsed = sum(r["seconds"] for r in runs)
    ratios = [r["requests"] / r["seconds"] / b for r, b in zip(runs, baselines)]
    parallel = statistics.mean(baselines)
    return {"tool": tool, "workers": workers, "clients": clients, "seconds": elapsed, "rounds": rounds,
            "startup_s": first if first is not None else float("inf"), "requests": n,
            "all_workers_ready_s": None if ready_all is None or first is None else first + ready_all,
            "errors": sum(r["errors"] for r in runs), "throughput": n / elapsed,
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p95_ms": max(r["p95_ms"] for r in runs), "p99_ms": max(r["p99_ms"] for r in runs),
            "in_process": parallel / workers, "in_process_parallel": parallel,
            "in_process_parallel_rounds": baselines, "in_process_single": (single_before, single_after),
            "ratio_vs_single": n / elapsed / (workers * max(single_before, single_after)),
            "ratio_rounds": ratios, "ratio": statistics.median(ratios),
            "rss_total_mib": rss, "rss_max_mib": max(per.values()), "processes": len(per)}


def _first_answer(base: str, text: str, started: float) -> float | None:
    """Seconds from starting the server to its first extraction answer."""
    for _ in range(300):
        try:
            r = httpx.post(base + "/v1/extract", json={"text": text}, timeout=5)
            if r.status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return None


def _load_round(base: str, texts: list[str], clients: int, seconds: float, use_wrk: bool) -> dict:
    """One round of load: requests, errors, seconds and latency percentiles (ms)."""
    if use_wrk:
        n, errors, elapsed, p50, p95, p99 = load_wrk(base, texts, clients, seconds)
        return {"requests": n, "errors": errors, "seconds": elapsed, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99}
    latencies, errors, elapsed = asyncio.run(load(base, texts, clients, seconds))
    q = statistics.quantiles(sorted(latencies), n=100)
    return {"requests": len(latencies), "errors": len(errors), "seconds": elapsed,
            "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


if __name__ == "__main__":
    main()
