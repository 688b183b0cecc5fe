"""Real OpenSearch 2.19 nodes from Maven Central jars, for the tests and for trying the backend.

    python -m tests.opensearch.node                 # one node on 127.0.0.1:9200 until Ctrl-C
    python -m tests.opensearch.node --port 9201 --data /tmp/os-data

The jars (the server, its HTTP transport and the common analysis plugin: tests/opensearch/
pom.xml) are fetched once with Maven into ~/.cache/policy-search/opensearch-jars/<pom hash>,
and each node runs in a JVM of its own with tests/opensearch/EmbeddedNode.java.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LAUNCHER = HERE / "EmbeddedNode.java"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"  # Maven 3.8 would pick 2.8
JVM = ["-Xms512m", "-Xmx512m", "-Dopensearch.set.netty.runtime.available.processors=false", "-Djava.locale.providers=SPI,CLDR"]


class NodeFailed(RuntimeError):
    pass


def jars_dir() -> Path:
    """The node's jars, fetched with Maven the first time (cached by the pom's hash)."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = base / "policy-search" / "opensearch-jars" / digest
    if (target / ".complete").is_file():
        return target
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise NodeFailed("an OpenSearch node needs Java 17 and Maven (apt-get install openjdk-17-jdk-headless maven)")
    partial = Path(tempfile.mkdtemp(prefix="jars-", dir=target.parent if target.parent.exists() else None))
    command = ["mvn", "-B", "-q", "-f", str(POM), f"{DEPENDENCY_PLUGIN}:copy-dependencies",
               f"-DoutputDirectory={partial}", "-DincludeScope=runtime"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise NodeFailed(f"mvn could not fetch the OpenSearch jars:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    (partial / ".complete").write_text("")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    """One node in a process of its own (so that killing it is a real crash)."""

    name: str
    http_port: int
    transport_port: int
    home: Path
    cluster: str
    seeds: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def settings(self) -> list[str]:
        found = {
            "path.home": str(self.home),
            "path.data": str(self.home / "data"),
            "path.logs": str(self.home / "logs"),
            "cluster.name": self.cluster,
            "node.name": self.name,
            "network.host": "127.0.0.1",
            "http.port": str(self.http_port),
            "transport.port": str(self.transport_port),
            # small CI disks would otherwise make the indices read-only
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "indices.breaker.total.use_real_memory": "false",
            "action.destructive_requires_name": "false",
        }
        if self.seeds:
            found["discovery.seed_hosts"] = ",".join(self.seeds)
        else:
            found["discovery.type"] = "single-node"
        return [f"{key}={value}" for key, value in found.items()]

    def start(self, jars: Path, masters: tuple[str, ...] = ()) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        extra = [f"cluster.initial_cluster_manager_nodes={','.join(masters)}"] if masters else []
        log = open(self.home / "node.log", "ab")  # noqa: SIM115 - the node's process keeps it
        command = ["java", *JVM, "-cp", f"{jars}/*", str(LAUNCHER), *self.settings(), *extra]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def kill(self) -> None:
        """A crash: SIGKILL, no shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        try:
            return (self.home / "node.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def health(url: str, query: str = "", timeout: float = 5.0) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/_cluster/health{query}", timeout=timeout) as answer:
        return dict(json.loads(answer.read()))


def wait_for(nodes: list[Node], status: str = "green", count: int = 1, seconds: float = 180.0) -> None:
    """Until the cluster answers with ``count`` nodes and ``status`` (or better) through one of
    ``nodes``; NodeFailed with the log when a node exits or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        for node in nodes:
            if node.process is not None and node.process.poll() is not None:
                raise NodeFailed(f"OpenSearch node {node.name} exited ({node.process.returncode}):\n{node.log_tail()}")
        for node in nodes:
            try:
                found = health(node.url, f"?wait_for_nodes={count}&wait_for_status={status}&timeout=2s", timeout=10)
                if not found.get("timed_out"):
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
        if time.monotonic() > deadline:
            raise NodeFailed(f"OpenSearch did not become {status} with {count} node(s) in {seconds:g} s:\n{nodes[0].log_tail()}")
        time.sleep(0.5)


def start_single(home: Path, port: int | None = None) -> Node:
    node = Node("node-1", port or free_port(), free_port(), home, f"policy-search-{os.getpid()}-{time.time_ns()}")
    node.start(jars_dir())
    wait_for([node])
    return node


def start_cluster(home: Path, size: int = 3) -> list[Node]:
    """``size`` nodes, each in its own process, as one cluster (every one cluster-manager eligible)."""
    cluster = f"policy-search-cluster-{os.getpid()}-{time.time_ns()}"
    transports = [free_port() for _ in range(size)]
    seeds = tuple(f"127.0.0.1:{p}" for p in transports)
    nodes = [Node(f"node-{i + 1}", free_port(), transports[i], home / f"node-{i + 1}", cluster, seeds) for i in range(size)]
    jars = jars_dir()
    names = tuple(n.name for n in nodes)
    for node in nodes:
        node.start(jars, names)
    wait_for(nodes, "green", size)
    return nodes


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one OpenSearch 2.19 node from Maven Central jars until Ctrl-C.")
    parser.add_argument("--port", type=int, default=9200, help="HTTP port (default 9200)")
    parser.add_argument("--data", type=Path, default=None, help="the node's folder (default: a temporary one, removed at the end)")
    args = parser.parse_args()
    home = args.data or Path(tempfile.mkdtemp(prefix="policy-search-opensearch-"))
    print("fetching the jars (once) and starting the node...", file=sys.stderr)
    node = Node("node-1", args.port, free_port(), home, "policy-search-local")
    node.start(jars_dir())
    try:
        wait_for([node])
        print(f"OpenSearch 2.19 at {node.url}: use --index opensearch://127.0.0.1:{args.port}/NAME (Ctrl-C stops it)", file=sys.stderr)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()
        if args.data is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
