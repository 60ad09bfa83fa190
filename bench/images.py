"""The container images, proven by a real build and real episodes, on a machine with no registry.

    .venv/bin/python bench/images.py [--rebuild-base] [--pip-conf FILE] [--keep-service]

1. The Debian bookworm base: `debootstrap --variant=minbase` from the apt mirror configured in
   /etc/apt/sources.list*, imported with `podman import` under the name docker/Dockerfile's FROM
   asks for (skipped when that image exists, unless --rebuild-base).
2. podman's default ulimits lowered in a containers.conf of its own (CONTAINERS_CONF; runc cannot
   raise nofile/nproc without CAP_SYS_RESOURCE) and the runc runtime (crun fails on these VMs).
3. `podman build` of docker/Dockerfile and docker/Dockerfile.ray; this machine's CA bundle (and
   --pip-conf) go in as build secrets, so pip can reach its index, never stored in a layer.
4. `podman system service` on a socket of its own, DOCKER_HOST pointed at it, and in one go: an
   episode through the `docker` backend and one through `local`, each timed from start to its
   first frame; the README's by-hand `docker run` line as written (when a docker CLI is present);
   one `--executor ray` episode inside the Ray image (bubblewrap in the container, OCR scan);
   a volunteer's episode on the `docker` backend: a station served on loopback with --backend docker,
   a VNC client (vncdotool) acting through the station's own websocket (`station/relay.py`), its
   moves, click and key recorded in the sealed trace.

Results: printed, and written to bench/results/images.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results") / "images.json"
SANDBOX_IMAGE = "cleantrace/sandbox:latest"
RAY_IMAGE = "cleantrace/ray-worker:latest"
TASK = "crm/set-lead-status"
CA_CANDIDATES = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
"""
# bubblewrap inside the Ray container: /proc unmasked, no added capability (SYS_ADMIN breaks it on podman)
RAY_RUN_OPTIONS = ["--security-opt", "unmask=ALL", "--security-opt", "seccomp=unconfined",
                   "--security-opt", "apparmor=unconfined", "--shm-size", "1g", "--network", "none"]
README_RUN = re.compile(r"^(mkdir -p ep && docker run .*)$", re.M)


def base_image_name() -> str:
    """The FROM of docker/Dockerfile (e.g. debian:bookworm-slim)."""
    for line in (REPO / "docker" / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            return line.split()[1]
    raise SystemExit("error: docker/Dockerfile has no FROM line — restore it")


def apt_mirror(suite: str = "bookworm") -> str:
    """The first Debian mirror configured for `suite` in /etc/apt/sources.list and sources.list.d."""
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    for text in texts:
        for m in re.finditer(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", text, re.M):  # one-line format
            if m.group(2) == suite:
                return m.group(1)
        for stanza in re.split(r"\n\s*\n", text):  # deb822 format
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
            if "deb" in fields.get("Types", "").split() and suite in fields.get("Suites", "").split():
                return fields["URIs"].split()[0]
    raise SystemExit(f"error: no apt mirror for {suite} in /etc/apt/sources.list* — configure one")


def podman(*args: str, env: dict, check: bool = True, capture: bool = True, timeout: float = 3600):
    done = subprocess.run(["podman", *args], env=env, text=True, timeout=timeout,
                          capture_output=capture)
    if check and done.returncode != 0:
        raise SystemExit(f"error: podman {' '.join(args[:3])} failed: {(done.stderr or '')[-2000:]}")
    return done


def image_size_mb(image: str, env: dict) -> float:
    out = podman("image", "inspect", "--format", "{{.Size}}", image, env=env).stdout.strip()
    return round(int(out) / 1e6, 1)


def make_base(name: str, work: Path, env: dict, rebuild: bool) -> dict:
    if not rebuild and podman("image", "exists", name, env=env, check=False).returncode == 0:
        return {"image": name, "made": False, "size_mb": image_size_mb(name, env)}
    if shutil.which("debootstrap") is None:
        raise SystemExit("error: debootstrap is not installed — apt-get install -y debootstrap")
    mirror = apt_mirror()
    rootfs = work / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror], check=True,
                   stdout=subprocess.DEVNULL)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "-", name], stdin=tar.stdout, env=env, check=True, stdout=subprocess.DEVNULL)
    tar.wait()
    shutil.rmtree(rootfs, ignore_errors=True)
    return {"image": name, "made": True, "mirror": mirror, "seconds": round(time.monotonic() - started, 1),
            "size_mb": image_size_mb(name, env)}


def build_secrets(work: Path, pip_conf: Path | None) -> list[str]:
    """--secret options: this machine's CA bundle (what pip verifies its index with) and a pip config."""
    ca = next((os.environ[v] for v in CA_CANDIDATES if os.environ.get(v) and Path(os.environ[v]).is_file()), None)
    ca = ca or ("/etc/ssl/certs/ca-certificates.crt" if Path("/etc/ssl/certs/ca-certificates.crt").is_file() else None)
    empty = work / "empty"
    empty.write_text("")
    return ["--secret", f"id=pip-ca,src={ca or empty}", "--secret", f"id=pip-conf,src={pip_conf or empty}"]


def build(dockerfile: str, tag: str, secrets: list[str], env: dict, log: Path) -> dict:
    started = time.monotonic()
    with open(log, "w") as out:
        done = subprocess.run(
            ["podman", "build", "--runtime", "runc", "--network", "host", "-f", dockerfile, "-t", tag, *secrets, "."],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=3600,
        )
    if done.returncode != 0:
        raise SystemExit(f"error: building {dockerfile} failed — see {log}")
    return {"image": tag, "seconds": round(time.monotonic() - started, 1), "size_mb": image_size_mb(tag, env)}


class FirstFrame(threading.Thread):
    """Notes when the episode folder's frames.jsonl gets its first line."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.path = folder / "frames.jsonl"
        self.at: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while self.at is None and not self.done.is_set():
            try:
                if b"\n" in self.path.read_bytes():
                    self.at = time.perf_counter()
            except OSError:
                pass
            time.sleep(0.005)


def timed_episode(backend_name: str, out: Path, seed: int) -> dict:
    """One episode of TASK through `backend_name`: outcome, start → first frame, total."""
    from cleantrace.sandbox.backends import backend_named
    from cleantrace.spec import EpisodeSpec, RecordingSettings
    from cleantrace.tasks import default_tasks_dir
    from cleantrace.trace.schema import Meta

    folder = out / f"{backend_name}-{seed}"
    folder.mkdir(parents=True)
    spec = EpisodeSpec(run_id="images", episode_id=folder.name, task=TASK, seed=seed,
                       tasks_dir=str(default_tasks_dir().resolve()), settings=RecordingSettings(backend=backend_name))
    backend = backend_named(backend_name)
    backend.check()
    watch = FirstFrame(folder)
    watch.start()
    started = time.perf_counter()
    try:
        ended = backend.run(spec, folder, out / f"{folder.name}.log", timeout=180)
    finally:
        backend.teardown()
        watch.done.set()
    total = time.perf_counter() - started
    watch.join()
    meta_path = folder / "meta.json"
    meta = Meta.model_validate_json(meta_path.read_text()) if meta_path.exists() else None
    return {
        "backend": backend_name, "exit_code": ended.code,
        "status": meta.outcome.status if meta else "no meta.json", "message": meta.outcome.message if meta else "",
        "start_to_first_frame_s": round(watch.at - started, 2) if watch.at else None, "total_s": round(total, 2),
    }


def stopped_episode(out: Path, env: dict) -> dict:
    """A `docker` episode stopped once its first frame is on disk: it ends `stopped`, its container gone."""
    from cleantrace.sandbox.backends import backend_named
    from cleantrace.spec import EpisodeSpec, RecordingSettings
    from cleantrace.tasks import default_tasks_dir

    def containers() -> int:
        return len(podman("ps", "-a", "-q", env=env).stdout.split())

    folder = out / "docker-stopped"
    folder.mkdir()
    spec = EpisodeSpec(run_id="images", episode_id=folder.name, task=TASK, seed=1,
                       tasks_dir=str(default_tasks_dir().resolve()), settings=RecordingSettings(backend="docker"))
    before = containers()
    watch = FirstFrame(folder)
    watch.start()
    backend = backend_named("docker")
    started = time.perf_counter()
    try:
        ended = backend.run(spec, folder, out / "docker-stopped.log", timeout=180, stop=lambda: watch.at is not None)
    finally:
        backend.teardown()
        watch.done.set()
    return {"stopped": ended.stopped, "seconds": round(time.perf_counter() - started, 2),
            "containers_left": containers() - before}


def by_hand_run(out: Path, env: dict) -> dict:
    """The README's by-hand `docker run` line, run as written in a fresh folder (needs a docker CLI)."""
    match = README_RUN.search((REPO / "README.md").read_text())
    if match is None:
        return {"status": "not found in README.md"}
    if shutil.which("docker") is None:
        return {"status": "skipped: no docker CLI", "command": match.group(1)}
    folder = out / "by-hand"
    folder.mkdir()
    done = subprocess.run(["bash", "-c", match.group(1)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
    meta_path = folder / "ep" / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    return {"command": match.group(1), "exit_code": done.returncode,
            "status": meta["outcome"]["status"] if meta else f"no meta.json: {done.stderr.strip()[-300:]}"}


VOLUNTEER_MOVES = ((300, 200), (420, 260), (540, 330))
VOLUNTEER_KEY = "k"


def volunteer_episode(out: Path, image: str = SANDBOX_IMAGE) -> dict:
    """A volunteer's episode through the station on the `docker` backend: consent over HTTP (opens the booth),
    the screen's websocket relayed to vncdotool, Start, moves, a click and a key, Done; what was recorded."""
    import logging

    import requests
    from vncdotool import api
    from werkzeug.serving import make_server

    from cleantrace.station.app import StationConfig, create_station
    from cleantrace.station.relay import Relay
    from cleantrace.tasks import default_tasks_dir

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app, station = create_station(StationConfig(task=TASK, out=out / "station", run_id="volunteer", backend="docker",
                                                image=image, tasks_dir=default_tasks_dir(), heartbeat_timeout=600))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    http = requests.Session()
    http.trust_env = False
    result: dict = {"backend": "docker", "image": image}
    try:
        started = time.perf_counter()
        http.post(url + "/consent", data={"agree": "yes"})  # follows to /task, which opens the booth
        while http.post(url + "/api/heartbeat").json()["state"] == "starting":
            if time.perf_counter() - started > 300:
                raise SystemExit("error: the volunteer's container did not come up in 300 s — see its log")
            time.sleep(0.1)
        result["consent_to_ready_s"] = round(time.perf_counter() - started, 2)
        (booth,) = station.booths.values()
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        screen = Relay(url.replace("http", "ws", 1) + "/booth/ws", cookie, url)
        vnc = api.connect(screen.address, password=None)
        try:
            vnc.mouseMove(5, 5)  # completes the RFB handshake; not let through before Start
            result["start"] = http.post(url + "/api/start").json()["state"]
            for x, y in VOLUNTEER_MOVES:
                vnc.mouseMove(x, y)
                time.sleep(0.2)
            vnc.mousePress(1)
            vnc.keyPress(VOLUNTEER_KEY)
            time.sleep(1.0)
        finally:
            vnc.disconnect()
            screen.close()
            api.shutdown()
        result["done"] = http.post(url + "/api/done").json()["state"]
        events = [json.loads(line) for line in (booth.folder / "events.jsonl").read_text().splitlines()]
        meta = json.loads((booth.folder / "meta.json").read_text())
    finally:
        server.shutdown()
        station.close()
    moves = {(e["x"], e["y"]) for e in events if e["kind"] == "move"}
    result.update({
        "status": meta["outcome"]["status"], "message": meta["outcome"]["message"],
        "performer": meta["performer"]["kind"], "events": len(events),
        "moves_recorded": sum(point in moves for point in VOLUNTEER_MOVES), "moves_sent": len(VOLUNTEER_MOVES),
        "click_recorded": any(e["kind"] == "down" and e.get("button") == 1 for e in events),
        "key_recorded": any(e["kind"] == "key_down" and e.get("key") == VOLUNTEER_KEY for e in events),
        "pre_start_move_recorded": (5, 5) in moves,
    })
    return result


def ray_image_episode(out: Path, env: dict) -> dict:
    """One `cleantrace run --executor ray` inside the Ray image: bubblewrap in the container, OCR scan."""
    runs = out / "ray-runs"
    runs.mkdir()
    os.chown(runs, 1000, 1000)  # the image's user
    started = time.monotonic()
    done = podman("run", "--rm", *RAY_RUN_OPTIONS, "-v", f"{runs}:/runs", RAY_IMAGE,
                  "cleantrace", "run", TASK, "--executor", "ray", "--workers", "1", "--out", "/runs", "--no-view",
                  env=env, check=False, timeout=900)
    seconds = time.monotonic() - started
    metas = list(runs.glob("*/*/meta.json"))
    if not metas:
        return {"status": "no episode", "exit_code": done.returncode, "log": (done.stdout + done.stderr)[-1500:]}
    meta = json.loads(metas[0].read_text())
    return {"exit_code": done.returncode, "status": meta["outcome"]["status"], "message": meta["outcome"]["message"],
            "privacy_scan": meta["privacy"]["scan"], "privacy_notes": meta["privacy"]["notes"],
            "container_s": round(seconds, 1), "run_options": RAY_RUN_OPTIONS}


def start_service(work: Path, env: dict) -> tuple[subprocess.Popen, str]:
    socket = work / "podman.sock"
    proc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not socket.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("error: podman system service did not start — run it by hand to see why")
        time.sleep(0.05)
    return proc, f"unix://{socket}"


def run_all(work: Path, rebuild_base: bool = False, pip_conf: Path | None = None, results: Path = RESULTS) -> dict:
    if shutil.which("podman") is None:
        raise SystemExit("error: podman is not installed — apt-get install -y podman runc debootstrap")
    conf = work / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    version = podman("version", "--format", "{{.Client.Version}}", env=env).stdout.strip()
    base = make_base(base_image_name(), work, env, rebuild_base)
    secrets = build_secrets(work, pip_conf)
    builds = {"sandbox": build("docker/Dockerfile", SANDBOX_IMAGE, secrets, env, work / "build-sandbox.log"),
              "ray": build("docker/Dockerfile.ray", RAY_IMAGE, secrets, env, work / "build-ray.log")}
    service, docker_host = start_service(work, env)
    saved = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = docker_host
    try:
        episodes = [timed_episode("docker", work, 0), timed_episode("local", work, 0)]
        stopped = stopped_episode(work, env)
        by_hand = by_hand_run(work, {**env, "DOCKER_HOST": docker_host})
        volunteer = volunteer_episode(work)
    finally:
        service.terminate()
        service.wait(30)
        if saved is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = saved
    ray = ray_image_episode(work, env)
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "engine": {"podman": version, "runtime": "runc", "containers_conf": CONTAINERS_CONF.strip().splitlines(),
                   "docker_api": "podman system service + DOCKER_HOST"},
        "load_average": os.getloadavg(), "base": base, "builds": builds, "episodes": episodes,
        "docker_stop": stopped, "by_hand_docker_run": by_hand, "ray_image": ray,
        "docker_volunteer": volunteer,
    }
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _print(r: dict, results: Path) -> None:
    b = r["base"]
    print(f"base {b['image']}: {'made in ' + str(b['seconds']) + ' s' if b['made'] else 'present'}, "
          f"{b['size_mb']:.0f} MB")
    for name, info in r["builds"].items():
        print(f"build {name:8} {info['seconds']:7.1f} s   {info['size_mb']:7.0f} MB   {info['image']}")
    for e in r["episodes"]:
        print(f"episode --backend {e['backend']:6} {e['status']:10} start → first frame {e['start_to_first_frame_s']} s"
              f"   total {e['total_s']} s")
    stop = r["docker_stop"]
    print(f"docker episode stopped after its first frame: stopped={stop['stopped']}, "
          f"containers left {stop['containers_left']}")
    print(f"README by-hand docker run: {r['by_hand_docker_run']['status']}")
    ray = r["ray_image"]
    print(f"Ray image episode: {ray['status']} (privacy scan {ray.get('privacy_scan')}, "
          f"notes {ray.get('privacy_notes')})")
    v = r["docker_volunteer"]
    print(f"docker volunteer episode: {v['status']} ({v['message']}), consent → ready {v['consent_to_ready_s']} s, "
          f"moves {v['moves_recorded']}/{v['moves_sent']}, click {v['click_recorded']}, key {v['key_recorded']}")
    print(f"written to {results}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild-base", action="store_true", help="debootstrap the base even if it exists")
    parser.add_argument("--pip-conf", type=Path, default=None, help="a pip config to pass in as a build secret")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        result = run_all(args.work, args.rebuild_base, args.pip_conf)
    else:
        with tempfile.TemporaryDirectory(prefix="cleantrace-images-", dir="/var/tmp") as tmp:
            result = run_all(Path(tmp), args.rebuild_base, args.pip_conf)
    _print(result, RESULTS)


if __name__ == "__main__":
    main()
