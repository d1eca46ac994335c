"""make bench: the connector against the mock at several sizes and latencies, side by side
with the Airbyte Python connector on the streams both have. Writes docs/benchmarks.md.

Figures per run: API requests and the most requests in flight at once (from the mock's
/__mock/stats), wall time, peak RSS and CPU time (/usr/bin/time -v), records and records/s,
and the minimum number of requests the API allows for the data read (largest page sizes,
fullest batches), computed from the records. With valgrind installed, the connector's
instructions per record on ~10k comments (callgrind) too.

BENCH_QUICK=1 runs the small sizes only. BENCH_ONLY=comments runs only the one-core comments
runs (~10k and ~1M records) and the instruction count, prints them and leaves
docs/benchmarks.md alone (a quick check of the records/s and flat-RSS targets).
"""
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BIN = TARGET / "release/source-linkedin-pages"
MOCK = TARGET / "release/linkedin-mock"
QUICK = os.environ.get("BENCH_QUICK") == "1"
# The ~1M-record run writes ~1 GB of output: in memory (tmpfs) where there is one, so the
# disk is neither filled nor timed.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
ONLY = os.environ.get("BENCH_ONLY")
PEER_PY = sys.argv[1] if len(sys.argv) > 1 else None  # python of a venv with airbyte-cdk


class Mock:
    def __init__(self, cpus=None, **flags):
        args = [str(MOCK), "--addr", "127.0.0.1:0"]
        if cpus:
            args = ["taskset", "-c", cpus, *args]
        for k, v in flags.items():
            args += [f"--{k.replace('_', '-')}", str(v)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = self.proc.stdout.readline().split()[-1]

    def get(self, path):
        with urllib.request.urlopen(f"{self.url}/__mock/{path}") as r:
            return json.load(r)

    def requests(self):
        return self.get("stats")["total"]

    def max_in_flight(self):
        return self.get("stats")["max_in_flight"]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def timed(cmd, env=None, cwd=None, stdout_path=None):
    """Runs cmd under /usr/bin/time -v; returns (wall s, peak RSS MB, cpu s, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", dir=SCRATCH) as tf:
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        start = time.perf_counter()
        try:
            # A read that hangs must fail the benchmark, not stall it (one did: the
            # 50-organization read, before the fix of the pass over posts).
            rc = subprocess.call(["/usr/bin/time", "-v", "-o", tf.name, *cmd], stdout=out,
                                 stderr=subprocess.DEVNULL, env=env, cwd=cwd, timeout=900)
        except subprocess.TimeoutExpired:
            sys.exit(f"benchmark run did not finish within 900 s (hung?): {' '.join(map(str, cmd))}")
        wall = time.perf_counter() - start
        if stdout_path:
            out.close()
        text = Path(tf.name).read_text()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    return wall, rss, user + sys_, rc


def count_records(path):
    per_stream, n = {}, 0
    with open(path) as f:
        for line in f:
            if '"type":"RECORD"' in line or '"type": "RECORD"' in line:
                m = json.loads(line)
                s = m["record"]["stream"]
                per_stream.setdefault(s, []).append(m["record"]["data"])
                n += 1
    return n, per_stream


def minimum_requests(recs, orgs):
    """The fewest requests LinkedIn allows for what was read: one per organization for each
    lifetime/time-bound statistics call, 100 per page, 100 posts per statistics batch."""
    n = 0
    n += math.ceil(orgs / 100) if "organizations" in recs else 0
    for s in ["follower_count", "follower_statistics", "share_statistics", "page_statistics",
              "follower_statistics_daily", "share_statistics_daily", "page_statistics_daily"]:
        n += orgs if s in recs else 0
    posts = recs.get("posts", [])
    by_org = {}
    for p in posts:
        by_org.setdefault(p["organization"], []).append(p)
    if "posts" in recs or any(s in recs for s in ["post_statistics", "post_comments", "post_reactions", "video_statistics"]):
        n += sum(max(1, math.ceil(len(v) / 100)) for v in by_org.values())
    if "post_statistics" in recs:
        for v in by_org.values():
            shares = sum(1 for p in v if p["id"].startswith("urn:li:share:"))
            n += math.ceil(shares / 100) + math.ceil((len(v) - shares) / 100)
    for stream, key in [("post_comments", "post"), ("post_reactions", "post")]:
        counts = {}
        for r in recs.get(stream, []):
            counts[r[key]] = counts.get(r[key], 0) + 1
        n += sum(math.ceil(c / 100) for c in counts.values())
    n += len(recs.get("video_statistics", []))  # one request per video and metric
    for s in ["seniorities", "functions", "industries"]:
        n += math.ceil(len(recs.get(s, [])) / 100) if s in recs else 0
    n += math.ceil(len(recs.get("geo", [])) / 100) if "geo" in recs else 0
    return n


def pinned(i):
    """The i-th CPU this process may use, and the others (comma-separated, or None)."""
    allowed = sorted(os.sched_getaffinity(0))
    return allowed[i], ",".join(str(c) for c in allowed if c != allowed[i]) or None


def catalog_of(work, streams):
    """catalog/all_streams.json, narrowed to `streams` (None: all)."""
    cat = json.loads((ROOT / "catalog/all_streams.json").read_text())
    if streams is not None:
        cat["streams"] = [s for s in cat["streams"] if s["stream"]["name"] in streams]
    path = work / "catalog.json"
    path.write_text(json.dumps(cat))
    return path


def rust_run(name, orgs, posts, latency, comments=5, reactions=10, days=365, streams=None, concurrency=8, cpu=None):
    # A connector pinned to one core gets the mock off that core, on the others, so the
    # two do not take turns on it.
    others = None
    if cpu is not None:
        cpu, others = pinned(cpu)
    mock = Mock(cpus=others, orgs=orgs, posts_per_org=posts, days=days, comments_per_post=comments,
                reactions_per_post=reactions, latency_ms=latency)
    work = Path(tempfile.mkdtemp(dir=SCRATCH))
    cfg = work / "config.json"
    cfg.write_text(json.dumps({
        "credentials": {"auth_method": "access_token", "access_token": "mock-token"},
        "organization_ids": [str(i) for i in mock.get("info")["organizations"]],
        "api_base_url": f"{mock.url}/rest", "max_concurrency": concurrency,
    }))
    cmd = [str(BIN), "read", "--config", str(cfg), "--catalog", str(catalog_of(work, streams))]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    out = work / "out.jsonl"
    wall, rss, cpu_s, rc = timed(cmd, stdout_path=out)
    requests = mock.requests()
    in_flight = mock.max_in_flight()
    mock.close()
    out_bytes = out.stat().st_size
    n, recs = count_records(out)
    shutil.rmtree(work)
    return {"run": name, "tool": "rust", "orgs": orgs, "posts": orgs * posts, "latency_ms": latency,
            "requests": requests, "min_requests": minimum_requests(recs, orgs), "wall_s": wall, "rss_mb": rss,
            "cpu_s": cpu_s, "records": n, "rc": rc, "max_concurrency": concurrency, "max_in_flight": in_flight,
            "out_bytes": out_bytes}


def instructions_per_record(posts=100):
    """The connector's instructions per record on ~10k comments (callgrind), or None without
    valgrind. Deterministic where wall time on a shared machine is not."""
    if shutil.which("valgrind") is None:
        return None
    mock = Mock(orgs=1, posts_per_org=posts, days=365, comments_per_post=100, reactions_per_post=0, latency_ms=0)
    work = Path(tempfile.mkdtemp())
    cfg = work / "config.json"
    cfg.write_text(json.dumps({
        "credentials": {"auth_method": "access_token", "access_token": "mock-token"},
        "organization_ids": [str(i) for i in mock.get("info")["organizations"]],
        "api_base_url": f"{mock.url}/rest", "max_concurrency": 8,
    }))
    out = work / "out.jsonl"
    with open(out, "wb") as f:
        run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(BIN), "read",
                              "--config", str(cfg), "--catalog", str(catalog_of(work, ["post_comments"]))],
                             stdout=f, stderr=subprocess.PIPE, text=True)
    mock.close()
    n, _ = count_records(out)
    shutil.rmtree(work)
    m = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if run.returncode != 0 or not m or not n:
        return None
    return {"records": n, "instructions": int(m.group(1).replace(",", ""))}


PEER_STREAMS = ["organization_lookup", "follower_statistics", "share_statistics", "total_follower_count",
                "follower_statistics_time_bound", "share_statistics_time_bound"]
OUR_EQUIVALENT = ["organizations", "follower_statistics", "share_statistics", "follower_count",
                  "follower_statistics_daily", "share_statistics_daily"]


def peer_run(name, orgs, latency, days=365):
    mock = Mock(orgs=orgs, posts_per_org=0, days=days, latency_ms=latency)
    info = mock.get("info")
    work = Path(tempfile.mkdtemp())
    tmp, manifest = peer_manifest_text(mock.url, info["versions"][2])
    catalog = {"streams": [{"stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                            "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for s in PEER_STREAMS]}
    (work / "catalog.json").write_text(json.dumps(catalog))
    sdm = str(Path(PEER_PY).parent / "source-declarative-manifest")
    totals = {"wall_s": 0.0, "rss_mb": 0.0, "cpu_s": 0.0, "records": 0, "rc": 0}
    manifest_obj = peer_yaml(manifest)
    for org in info["organizations"]:
        cfg = {"org_id": str(org), "credentials": {"auth_method": "access_token", "access_token": "mock-token"},
               "time_granularity_type": "DAY", "__injected_declarative_manifest": manifest_obj}
        (work / "config.json").write_text(json.dumps(cfg))
        out = work / "out.jsonl"
        wall, rss, cpu_s, rc = timed([sdm, "read", "--config", str(work / "config.json"), "--catalog", str(work / "catalog.json")],
                                     stdout_path=out)
        n, _ = count_records(out)
        totals["wall_s"] += wall
        totals["cpu_s"] += cpu_s
        totals["rss_mb"] = max(totals["rss_mb"], rss)
        totals["records"] += n
        totals["rc"] = totals["rc"] or rc
    requests = mock.requests()
    mock.close()
    shutil.rmtree(work)
    shutil.rmtree(tmp)
    return {"run": name, "tool": "python 1.0.17 (cdk 7)", "orgs": orgs, "posts": 0, "latency_ms": latency,
            "requests": requests, "min_requests": 6 * orgs, **totals}


def peer_manifest_text(mock_url, version):
    tmp = Path(tempfile.mkdtemp())
    subprocess.check_call([PEER_PY, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check",
                           "airbyte-source-linkedin-pages==1.0.17", "-d", str(tmp)])
    import zipfile
    whl = next(tmp.glob("*.whl"))
    text = zipfile.ZipFile(whl).read("source_linkedin_pages/manifest.yaml").decode()
    text = text.replace("https://api.linkedin.com/rest", f"{mock_url}/rest")
    text = re.sub(r'Linkedin-Version: "\d+"', f'Linkedin-Version: "{version}"', text)
    return tmp, text


def peer_yaml(text):
    out = subprocess.check_output([PEER_PY, "-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], input=text, text=True)
    return json.loads(out)


def spec_startup(cmd, n=20):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


RUNS = 3


def best_of(run):
    """The fastest of RUNS runs, with the highest peak RSS of them (the machine is shared:
    the fastest run is the one least slowed by others, and memory is not helped by luck)."""
    runs = []
    for _ in range(RUNS):
        runs.append(run())
        print(json.dumps(runs[-1]), flush=True)
    best = dict(min(runs, key=lambda r: r["wall_s"]))
    best["rss_mb"] = max(r["rss_mb"] for r in runs)
    best["walls"] = [r["wall_s"] for r in runs]
    return best


def comments_runs():
    """Flat memory and records/s: ~10k vs ~1M records, one core for the connector, each
    the best of RUNS runs."""
    small = best_of(lambda: rust_run("comments: ~10k records, 1 core", 1, 100, 0, comments=100, reactions=0,
                                     streams=["post_comments"], cpu=0))
    if QUICK:
        return [small]
    before = machine_speed()
    big = best_of(lambda: rust_run("comments: ~1M records, 1 core", 1, 10_000, 0, comments=100, reactions=0,
                                   streams=["post_comments"], cpu=0))
    big["machine_s"] = (before, machine_speed())
    return [small, big]


def machine_speed():
    """Seconds a fixed CPU-bound loop (20M additions in Python) takes on the connector's
    core: the machine is shared and its speed changes by the hour (the loop took 1.8 s and
    3.3 s an hour apart on 2026-11-25), so a records/s figure is read against it."""
    core = str(pinned(0)[0])
    code = "import time\nt = time.perf_counter()\nx = 0\nfor i in range(20_000_000):\n    x += i\nprint(time.perf_counter() - t)"
    out = subprocess.run(["taskset", "-c", core, sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main():
    if ONLY == "comments":
        results = comments_runs()
        ipr = instructions_per_record()
        print(json.dumps({"callgrind": ipr}), flush=True)
        print("\n".join(targets(results, [], None, ipr)))
        return
    if ONLY:
        sys.exit(f"BENCH_ONLY={ONLY}: only 'comments' is known")
    results = []
    sizes = [(1, 200), (10, 200), (50, 200)] if not QUICK else [(1, 50), (10, 50)]
    for orgs, posts in sizes:
        results.append(rust_run(f"all streams, {orgs} org(s)", orgs, posts, 0))
        print(json.dumps(results[-1]), flush=True)
    for orgs, posts in sizes[:2]:
        results.append(rust_run(f"all streams, {orgs} org(s), 100 ms latency", orgs, posts, 100, concurrency=16))
        print(json.dumps(results[-1]), flush=True)
    results += comments_runs()
    ipr = instructions_per_record()
    print(json.dumps({"callgrind": ipr}), flush=True)
    side = []
    if PEER_PY:
        for orgs in [1, 10]:
            for latency in [0, 100]:
                ours = rust_run(f"peer streams, {orgs} org(s), {latency} ms", orgs, 0, latency, streams=OUR_EQUIVALENT)
                theirs = peer_run(f"peer streams, {orgs} org(s), {latency} ms", orgs, latency)
                side.append((ours, theirs))
                print(json.dumps(ours), json.dumps(theirs), flush=True)
    spec_rust = spec_startup([str(BIN), "spec"])
    spec_peer = spec_startup([str(Path(PEER_PY).parent / "source-declarative-manifest"), "spec"], n=3) if PEER_PY else None
    write_report(results, side, spec_rust, spec_peer, ipr)


def targets(results, side, spec_rust, ipr):
    """The targets of the benchmark issue, each with the figure measured and met or not."""
    rows = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]

    def row(name, measured, ok):
        rows.append(f"| {name} | {measured} | {'yes' if ok else '**no**'} |")

    worst = max(r["requests"] / r["min_requests"] for r in results if r["min_requests"])
    row("requests for a full sync ≤ 1.05× the API minimum", f"{worst:.3f}× at worst", worst <= 1.05)
    slow = [(t["wall_s"] / o["wall_s"]) for o, t in side if o["latency_ms"] == 100]
    if slow:
        row("wall time at 100 ms latency ≥ 5× faster than the Python connector", f"{min(slow):.1f}× at least", min(slow) >= 5)
    if spec_rust is not None:
        row("`spec` start-up ≤ 5 ms", f"{spec_rust:.1f} ms", spec_rust <= 5)
    rss = max(r["rss_mb"] for r in results)
    row("peak RSS ≤ 30 MB", f"{rss:.1f} MB at most", rss <= 30)
    small = next((r for r in results if r["run"].startswith("comments: ~10k")), None)
    big = next((r for r in results if r["run"].startswith("comments: ~1M")), None)
    notes = []
    if small and big:
        ratio = big["rss_mb"] / small["rss_mb"]
        row("RSS flat as records grow: peak RSS at ~1M records ≤ 1.6× that at ~10k",
            f"{small['rss_mb']:.1f} → {big['rss_mb']:.1f} MB ({ratio:.2f}×) for {big['records'] / small['records']:.0f}× the records",
            ratio <= 1.6 and big["rss_mb"] <= 30)
        rate = big["records"] / big["wall_s"]
        cpu_rate = big["records"] / big["cpu_s"]
        row("≥ 250,000 records/s at 0 ms latency, connector on one core (wall time)", f"{rate:,.0f} records/s "
            f"({big['cpu_s'] / big['records'] * 1e6:.2f} µs of connector CPU per record, i.e. {cpu_rate:,.0f} records per CPU second)",
            rate >= 250_000)
        notes.append(f"Records/s is records over the connector's wall time, with the connector pinned to one core "
                     f"(`taskset`) and the mock pinned to the machine's other core(s); the machine is shared, so the "
                     f"wall time includes waiting for the core and for the mock. Each comments run is the fastest of "
                     f"{RUNS} (~1M records: {', '.join(f'{w:.2f}' for w in big['walls'])} s), with the highest peak RSS "
                     f"of the {RUNS}. Records average {avg_record_bytes(big):,.0f} bytes of RECORD line.")
        if big.get("machine_s"):
            notes.append("Machine speed at the time: a fixed loop (20M additions in Python) on the connector's core "
                         "took {:.2f} s before the ~1M-record runs and {:.2f} s after. The machine is shared and its "
                         "speed changes by the hour; records/s moves with this figure.".format(*big["machine_s"]))
    for r in results:
        if r["latency_ms"] == 100 and r.get("max_in_flight") is not None:
            # The peak shows the limit is reached; the mean (requests × latency ÷ wall time, a
            # lower bound as it ignores the time spent answering) shows whether it is kept.
            mean = r["requests"] * r["latency_ms"] / 1000 / r["wall_s"]
            row(f"requests in flight at 100 ms latency stay near `max_concurrency` (mean ≥ 0.8×; {r['run']})",
                f"peak {r['max_in_flight']} of {r['max_concurrency']}, mean {mean:.1f}", mean >= 0.8 * r["max_concurrency"])
    if ipr:
        notes.append(f"Instructions (callgrind, the connector's whole run on {ipr['records']:,} comments): "
                     f"{ipr['instructions'] / ipr['records']:,.0f} per record.")
    return rows + [""] + [" ".join(notes), ""] if notes else rows + [""]


def avg_record_bytes(r):
    return r.get("out_bytes", 0) / r["records"] if r["records"] else 0


def write_report(results, side, spec_rust, spec_peer, ipr):
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), platform.processor())
    mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    md = ["# Benchmarks", "", "<!-- Written by `make bench`; numbers from the last run on the machine below. -->", "",
          f"Machine: {os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}; "
          f"connector built with `--release`; mock LinkedIn API on the same machine (loopback).", "",
          "## The connector", "",
          "| run | posts | latency | requests | API minimum | ratio | in flight (max) / max_concurrency | wall s | records | records/s | peak RSS MB | CPU s |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ratio = r["requests"] / r["min_requests"] if r["min_requests"] else float("nan")
        md.append(f"| {r['run']} | {r['posts']} | {r['latency_ms']} ms | {r['requests']} | {r['min_requests']} | {ratio:.3f} | "
                  f"{r['max_in_flight']} / {r['max_concurrency']} | "
                  f"{r['wall_s']:.2f} | {r['records']} | {r['records'] / r['wall_s']:,.0f} | {r['rss_mb']:.1f} | {r['cpu_s']:.2f} |")
    md += ["", "The API minimum counts one request per organization for each statistics call, 100 items per page and "
           "100 posts per statistics batch for the data actually read. Above it: socialMetadata batches (one per 100 posts, "
           "which let later syncs skip unchanged posts) and 50-post statistics batches (LinkedIn's URLs get long beyond that).", ""]
    if side:
        md += ["## Side by side with the Airbyte Python connector", "",
               "Streams both have: organization lookup, follower and share statistics (lifetime and time-bound), "
               "total follower count. The Python connector (PyPI `airbyte-source-linkedin-pages` 1.0.17, its manifest run "
               "by `airbyte-cdk` 7's `source-declarative-manifest`) reads one organization per run, so N organizations are N runs.", "",
               "| organizations | latency | tool | requests | wall s | peak RSS MB | CPU s | records | wall-time ratio |", "|---|---|---|---|---|---|---|---|---|"]
        for ours, theirs in side:
            for r in (ours, theirs):
                ratio = theirs["wall_s"] / ours["wall_s"]
                md.append(f"| {r['orgs']} | {r['latency_ms']} ms | {r['tool']} | {r['requests']} | {r['wall_s']:.2f} | {r['rss_mb']:.1f} | "
                          f"{r['cpu_s']:.2f} | {r['records']} | {'%.1f× faster' % ratio if r is ours else ''} |")
        md.append("")
    md += targets(results, side, spec_rust, ipr)
    md += ["## Start-up", "", f"- `spec`, median of 20 runs: **{spec_rust:.1f} ms** (this connector)"]
    if spec_peer is not None:
        md.append(f"- `spec`, median of 3 runs: {spec_peer:.0f} ms (Python `source-declarative-manifest`), {spec_peer / spec_rust:.0f}× slower")
    md.append("")
    (ROOT / "docs/benchmarks.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
