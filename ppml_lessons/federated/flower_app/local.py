"""A Flower federation of real processes on this machine: one SuperLink, several SuperNodes, ``flwr run``.

:class:`LocalFederation` is a context manager. On entry it starts
``flower-superlink`` and ``num_supernodes`` ``flower-supernode`` processes, all
listening on 127.0.0.1 only (insecure mode, so without TLS: fine on one
machine, never across a network), on free ports chosen at run time, and waits
until each answers ``GET /health``. On exit, also when a notebook cell fails,
it stops every process it started: each runs in its own session (process
group), so that the ServerApp and ClientApp subprocesses that the SuperLink
and SuperNodes spawn are stopped with them; an ``atexit`` hook does the same
if the interpreter ends first. Used by lesson 10.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from ..._validation import check_number, check_type

__all__ = ["LocalFederation", "FederationError", "free_port", "APP_DIR"]

#: The Flower app directory (its ``pyproject.toml`` names the ServerApp and ClientApp).
APP_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
_LIVE: weakref.WeakSet[LocalFederation] = weakref.WeakSet()


class FederationError(RuntimeError):
    """A process of the local federation did not start, or a run failed; the message says which and why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the operating system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _check_port_free(name: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as problem:
            raise FederationError(
                f"{name} cannot listen on {HOST}:{port}: the port is already in use ({problem.strerror}); "
                "choose another port or leave it as None to get a free one"
            ) from None


def _environment(flwr_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Flower starts its helpers (flower-superexec, flwr-serverapp, flwr-clientapp) by name: this environment first
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # Jupyter kernels force colours (FORCE_COLOR, CLICOLOR_FORCE): they would break flwr's JSON output
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS"):
        env.pop(name, None)
    env.update({"NO_COLOR": "1", "TERM": "dumb"})
    env.update({"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1", "FLWR_HOME": str(flwr_home),
                "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "1")})
    return env


def _executable(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


@dataclass
class _Process:
    name: str
    port: int
    popen: subprocess.Popen
    log_path: Path
    log_file: Any = field(repr=False)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")


class LocalFederation:
    """One ``flower-superlink`` and ``num_supernodes`` ``flower-supernode`` processes on 127.0.0.1.

    SuperNode ``i`` trains on partition ``i`` of ``num_supernodes``
    (``--node-config "partition-id=i num-partitions=N"``). ``flwr run``
    sends the app to the SuperLink, which starts the ServerApp; every
    SuperNode starts the ClientApp. No dependency is installed at run time
    (``--disable-runtime-dependency-installation``), telemetry and update
    checks are off, and Flower's files go to a temporary ``FLWR_HOME``.

    Parameters
    ----------
    num_supernodes : int
        In [1, 64].
    superlink_port : int, optional
        The SuperLink's port; ``None`` picks a free one. A port already in use
        raises :class:`FederationError`.
    superlink_address : str, optional
        Where the SuperNodes look for the SuperLink, ``"127.0.0.1:PORT"``;
        by default the SuperLink just started. (Only to show what happens when
        they cannot reach it.)
    startup_timeout : float, default 300.0
        Seconds to wait for each process to answer ``GET /health``, and for the
        SuperNodes to register.

    Examples
    --------
    >>> with LocalFederation(num_supernodes=3) as federation:  # doctest: +SKIP
    ...     run_id = federation.run({"rounds": 2})
    ...     federation.wait(run_id)
    """

    def __init__(
        self,
        *,
        num_supernodes: int = 3,
        superlink_port: int | None = None,
        superlink_address: str | None = None,
        startup_timeout: float = 300.0,
    ) -> None:
        self.num_supernodes = check_number("num_supernodes", num_supernodes, low=1, high=64, integer=True)
        if superlink_port is not None:
            check_number("superlink_port", superlink_port, low=1024, high=65535, integer=True)
        if superlink_address is not None:
            check_type("superlink_address", superlink_address, str, "a string '127.0.0.1:PORT'")
            host, _, port = superlink_address.rpartition(":")
            if host != HOST or not port.isdigit():
                raise ValueError(f"superlink_address must be '{HOST}:PORT' (this machine only); got {superlink_address!r}")
        self.startup_timeout = check_number("startup_timeout", startup_timeout, low=0, low_open=True)
        self._requested_port = superlink_port
        self._requested_address = superlink_address
        self.superlink: _Process | None = None
        self.supernodes: list[_Process] = []
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.home: Path | None = None

    # ----- starting and stopping ---------------------------------------------------------
    def __enter__(self) -> LocalFederation:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _spawn(self, name: str, port: int, command: list[str]) -> _Process:
        assert self.home is not None
        log_path = self.home / f"{name}.log"
        log_file = open(log_path, "w")  # noqa: SIM115 - closed in close()
        popen = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.home,
            env=_environment(self.home), start_new_session=True,
        )
        return _Process(name, port, popen, log_path, log_file)

    def _wait_healthy(self, process: _Process) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://{HOST}:{process.port}/health"
        while time.monotonic() < deadline:
            if not process.alive():
                raise FederationError(
                    f"{process.name} exited with code {process.popen.returncode} before answering {url}; "
                    f"its log:\n{process.log()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - 127.0.0.1 only
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise FederationError(f"{process.name} did not answer {url} within {self.startup_timeout:g} s; "
                              f"its log:\n{process.log()[-2000:]}")

    def start(self) -> None:
        """Start the SuperLink, then the SuperNodes; wait until all are healthy and registered."""
        self._tmp = tempfile.TemporaryDirectory(prefix="ppml-flower-")
        self.home = Path(self._tmp.name)
        _LIVE.add(self)
        port = self._requested_port or free_port()
        _check_port_free("flower-superlink", port)
        self.superlink = self._spawn("superlink", port, [
            _executable("flower-superlink"), "--insecure", "--host", HOST, "--port", str(port),
            "--disable-runtime-dependency-installation",
        ])
        self._wait_healthy(self.superlink)
        self._write_cli_config(port)
        address = self._requested_address or f"{HOST}:{port}"
        for i in range(self.num_supernodes):
            node_port = free_port()
            self.supernodes.append(self._spawn(f"supernode-{i}", node_port, [
                _executable("flower-supernode"), "--insecure", "--superlink", address,
                "--host", HOST, "--port", str(node_port),
                "--node-config", f"partition-id={i} num-partitions={self.num_supernodes}",
                "--max-retries", "0" if self._requested_address else "20",
            ]))
        for node in self.supernodes:
            try:
                self._wait_healthy(node)
            except FederationError:
                if node.alive():
                    raise
                self._unreachable(node, address)
        self._wait_registered(address)

    def _unreachable(self, node: _Process, address: str) -> None:
        raise FederationError(
            f"{node.name} stopped before it registered (exit code {node.popen.returncode}): it could not reach "
            f"the SuperLink at {address}; is a SuperLink running there? Its log ends:\n{node.log()[-1500:]}"
        )

    def _wait_registered(self, address: str) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            dead = [node for node in self.supernodes if not node.alive()]
            if dead:
                self._unreachable(dead[0], address)
            if self._requested_address is None and len(self.online_nodes()) >= self.num_supernodes:
                return
            time.sleep(0.5)
        registered = 0 if self._requested_address else len(self.online_nodes())
        raise FederationError(
            f"only {registered} of {self.num_supernodes} SuperNodes registered: the others could not reach the "
            f"SuperLink at {address} within {self.startup_timeout:g} s"
        )

    def descendants(self) -> list[psutil.Process]:
        """Every process started by the SuperLink and SuperNodes (Flower starts some in sessions of their own)."""
        found = []
        for process in [self.superlink, *self.supernodes]:
            if process is None:
                continue
            try:
                found += psutil.Process(process.popen.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                pass
        return found

    def close(self) -> None:
        """Stop every process: SIGTERM to each process group, SIGKILL after 5 s to all that remain; safe twice."""
        processes = [p for p in [*self.supernodes, self.superlink] if p is not None]
        helpers = self.descendants()  # before they are orphaned and lose their parent
        for process in processes:
            _signal_group(process.popen, signal.SIGTERM)
        for helper in helpers:
            _signal_pid(helper.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in processes:
            try:
                process.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process.popen, signal.SIGKILL)  # also the children that outlived their parent
            try:
                process.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
                pass
            process.log_file.close()
        _, alive = psutil.wait_procs(helpers, timeout=max(deadline - time.monotonic(), 0.1))
        for helper in alive:
            _signal_pid(helper.pid, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=5)
        self.supernodes, self.superlink = [], None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        _LIVE.discard(self)

    def process_ids(self) -> list[int]:
        """The process-group ids of the SuperLink and SuperNodes (each process leads its own group)."""
        return [p.popen.pid for p in [self.superlink, *self.supernodes] if p is not None]

    def kill_supernode(self, index: int) -> None:
        """Kill SuperNode ``index`` and its ClientApp at once (SIGKILL): a client that vanishes mid-round."""
        check_number("index", index, low=0, high=len(self.supernodes) - 1, integer=True)
        try:
            helpers = psutil.Process(self.supernodes[index].popen.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            helpers = []
        _signal_group(self.supernodes[index].popen, signal.SIGKILL)
        for helper in helpers:
            _signal_pid(helper.pid, signal.SIGKILL)
        self.supernodes[index].popen.wait(timeout=10)

    # ----- the flwr command line ---------------------------------------------------------
    def _write_cli_config(self, port: int) -> None:
        assert self.home is not None
        (self.home / "config.toml").write_text(
            '[superlink]\ndefault = "local"\n\n'
            f'[superlink.local]\naddress = "{HOST}:{port}"\ninsecure = true\n'
        )

    def flwr(self, *args: str, timeout: float = 120) -> str:
        """Run the ``flwr`` command line against this SuperLink and return its output."""
        assert self.home is not None
        result = subprocess.run(
            [_executable("flwr"), *args], capture_output=True, text=True, timeout=timeout, cwd=self.home,
            env=_environment(self.home), start_new_session=True,
        )
        if result.returncode != 0:
            raise FederationError(f"flwr {' '.join(args)} failed (exit code {result.returncode}):\n"
                                  f"{(result.stdout + result.stderr)[-2000:]}")
        return result.stdout

    def run(self, run_config: dict[str, Any] | None = None) -> int:
        """``flwr run`` the lesson's app with this run config; returns the run id."""
        config = run_config or {}
        check_type("run_config", config, dict, "a dict of run-config keys to values")
        pairs = " ".join(f"{key}={_toml_value(value)}" for key, value in config.items())
        args = [str(APP_DIR), "local", "--format", "json"] + (["--run-config", pairs] if pairs else [])
        reply = json.loads(self.flwr("run", *args))
        if not reply.get("success", False):
            raise FederationError(f"flwr run was refused: {reply}")
        return int(reply["run-id"])

    def status(self, run_id: int) -> dict[str, Any]:
        """The run's entry in ``flwr list --run-id ID --format json``."""
        reply = json.loads(self.flwr("list", "--run-id", str(run_id), "--format", "json"))
        runs = reply.get("runs", [])
        if not runs:
            raise FederationError(f"the SuperLink knows no run {run_id}: {reply}")
        return runs[0]

    def wait(self, run_id: int, *, timeout: float = 600, poll: float = 1.0) -> dict[str, Any]:
        """Poll the run's status until it is finished; returns the last status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(run_id)
            if str(status.get("status", "")).startswith("finished"):
                return status
            time.sleep(poll)
        raise FederationError(f"run {run_id} did not finish within {timeout:g} s; last status {status}")

    def online_nodes(self) -> list[dict[str, Any]]:
        """The SuperNodes the SuperLink sees as online (``flwr supernode list``)."""
        output = self.flwr("supernode", "list", "--format", "json")
        try:
            reply = json.loads(output)
        except json.JSONDecodeError:  # the SuperLink answered before it could list its nodes: none yet
            return []
        return [node for node in reply.get("nodes", []) if node.get("status") == "online"]

    def logs(self, run_id: int) -> str:
        """The run's log as the SuperLink stored it (``flwr log ID --show``)."""
        return self.flwr("log", str(run_id), "--show")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def _signal_pid(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_group(popen: subprocess.Popen, sig: signal.Signals) -> None:
    try:
        os.killpg(popen.pid, sig)  # the process was started in its own session: its group id is its pid
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _close_all() -> None:  # pragma: no cover - runs at interpreter exit
    for federation in list(_LIVE):
        federation.close()
