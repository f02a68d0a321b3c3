"""Load test on loopback: N users asking at once, first alone (the same-run baseline), then while
one reviewer keeps a plan review running. Reports throughput, p50/p95 latency, errors, and the
ratio of latencies with and without the review, so a request held up by a review shows.

The server is `guihua serve` in its own process over the configured data directory.

    python -m eval.load_test [--users 8] [--seconds 30] [--out eval/results/load.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.security.access import Role
from app.security.accounts import AccountError, AccountStore
from app.security.database import app_database_url, open_database
from app.settings import Settings
from eval.qa_latency import DEFAULT_QA, _percentile
from eval.sample_plans.cases import generate_cases

LOAD_USER = "load-test-reviewer"


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reviews: int = 0

    def summary(self) -> dict:
        done = len(self.latencies)
        return {"phase": self.name, "requests": done + len(self.errors),
                "errors": len(self.errors), "error_samples": self.errors[:5],
                "throughput_rps": round(done / self.seconds, 2) if self.seconds else 0.0,
                "p50_s": round(statistics.median(self.latencies), 3) if done else None,
                "p95_s": round(_percentile(self.latencies, 0.95), 3) if done else None,
                "max_s": round(max(self.latencies), 3) if done else None,
                "reviews_completed": self.reviews}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reviewer_key(config: Settings) -> str:
    accounts = AccountStore(open_database(app_database_url(config.data_dir, config.database_url)))
    try:
        accounts.add_user(LOAD_USER, Role.REVIEWER)
    except AccountError:
        pass  # made by an earlier run
    return accounts.issue_key(LOAD_USER)


def _ask_loop(url: str, questions: list[str], stop: threading.Event, phase: Phase,
              offset: int) -> None:
    with httpx.Client(base_url=url, timeout=300) as client:
        i = offset
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = client.post("/v1/ask", json={"question": questions[i % len(questions)]})
                if response.status_code == 200 and "answer" in response.json():
                    phase.latencies.append(time.perf_counter() - started)
                else:
                    phase.errors.append(f"{response.status_code}: {response.text[:120]}")
            except httpx.HTTPError as exc:
                phase.errors.append(f"{type(exc).__name__}: {exc}")
            i += 1


def _review_loop(url: str, key: str, case: Path, stop: threading.Event, phase: Phase) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    plan = next(case.glob("plan.*"))
    files = [("plan", (plan.name, plan.read_bytes())),
             ("parcels", ("parcels.geojson", (case / "parcels.geojson").read_bytes()))]
    files += [("zones", (z.name, z.read_bytes())) for z in sorted((case / "zones").iterdir())]
    with httpx.Client(base_url=url, timeout=300, headers=headers) as client:
        while not stop.is_set():
            job = client.post("/v1/reviews", files=files).json()
            while job.get("status") in ("queued", "running"):
                time.sleep(0.2)
                job = client.get(f"/v1/reviews/{job['id']}").json()
            if job.get("status") == "done":
                phase.reviews += 1
            else:
                phase.errors.append(f"review: {job}")


def _phase(url: str, name: str, users: int, seconds: float, questions: list[str],
           review: tuple[str, Path] | None) -> Phase:
    phase, stop = Phase(name), threading.Event()
    threads = [threading.Thread(target=_ask_loop, args=(url, questions, stop, phase, 7 * n))
               for n in range(users)]
    if review is not None:
        threads.append(threading.Thread(target=_review_loop, args=(url, *review, stop, phase)))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - started
    return phase


def run(users: int, seconds: float, questions: list[str], config: Settings) -> dict:
    key = _reviewer_key(config)
    port = _free_port()
    env = {**os.environ, "GUIHUA_DATA_DIR": str(config.data_dir),
           "GUIHUA_RATE_LIMIT": "1000000/minute"}
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port),
                               "--no-ui"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=5).json()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {server.stderr.read().decode()}")
                time.sleep(0.5)
        with tempfile.TemporaryDirectory() as folder:
            generate_cases(Path(folder), count=1, seed=3, parcels=(150, 300))
            case = next(p for p in Path(folder).iterdir() if p.is_dir())
            httpx.post(f"{url}/v1/ask", json={"question": questions[0]}, timeout=300)  # warm-up
            alone = _phase(url, "ask", users, seconds, questions, None)
            loaded = _phase(url, "ask+review", users, seconds, questions, (key, case))
    finally:
        server.terminate()
        server.wait(timeout=30)
    a, b = alone.summary(), loaded.summary()
    return {"users": users, "seconds_per_phase": seconds, "backend": health["backend"],
            "documents": health["documents"], "phases": [a, b],
            "p50_ratio_with_review": round(b["p50_s"] / a["p50_s"], 2)
            if a["p50_s"] and b["p50_s"] else None,
            "throughput_ratio_with_review": round(b["throughput_rps"] / a["throughput_rps"], 2)
            if a["throughput_rps"] else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA)
    parser.add_argument("--out", type=Path, default=Path("eval/results/load.json"))
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in
                 args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = run(args.users, args.seconds, questions, Settings())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
