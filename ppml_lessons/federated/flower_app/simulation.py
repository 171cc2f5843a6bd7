"""The lesson's Flower app with many virtual clients: Flower's Simulation Engine (Ray), or in one process.

The Simulation Engine runs many *virtual* SuperNodes inside a few worker
processes (Ray actors): a ClientApp call is a task given to a free actor, so
100 clients need not mean 100 processes. Each actor imports torch and Flower
(a few hundred MB), and Ray itself runs a few helper processes, so on a small
machine the number of actors is what decides the memory: by default this
module gives Ray ``num_cpus=2`` and each client ``num_cpus=2``, i.e. *one*
actor, and the smallest object store Ray accepts. Used by lesson 10.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..._validation import check_number, check_option, check_type
from .task import Settings

__all__ = ["simulate", "backend_config"]

#: Ray's smallest object store (75 MiB is its floor); the lesson's messages are a few tens of kB each.
OBJECT_STORE_BYTES = 80 * 2**20
#: How long Ray's raylet waits for its helper agents (its default, 15 s, fails on a busy 2-core machine).
RAY_AGENT_TIMEOUT_MS = 180_000


def backend_config(*, num_cpus: int = 2, cpus_per_client: int = 2) -> dict[str, Any]:
    """The Ray backend configuration: ``num_cpus // cpus_per_client`` actors, no dashboard, a small object store.

    Examples
    --------
    >>> backend_config()["client_resources"]
    {'num_cpus': 2, 'num_gpus': 0.0}
    """
    num_cpus = check_number("num_cpus", num_cpus, low=1, integer=True)
    cpus_per_client = check_number("cpus_per_client", cpus_per_client, low=1, high=num_cpus, integer=True)
    return {
        "client_resources": {"num_cpus": cpus_per_client, "num_gpus": 0.0},
        "init_args": {"num_cpus": num_cpus, "num_gpus": 0, "include_dashboard": False,
                      "object_store_memory": OBJECT_STORE_BYTES, "logging_level": logging.ERROR,
                      "log_to_driver": False},
    }


def simulate(
    settings: Settings, *, engine: str = "in-process", num_cpus: int = 2, cpus_per_client: int = 2
) -> dict[str, Any]:
    """Run the app with ``settings.num_partitions`` virtual SuperNodes; return what the ServerApp recorded.

    Parameters
    ----------
    settings : Settings
        The run (partition, seed, rounds, mode, ...); ``results_path`` is set here.
    engine : {"in-process", "ray"}, default "in-process"
        ``"ray"`` is Flower's Simulation Engine (``flwr.simulation.run_simulation``,
        Ray workers); ``"in-process"`` delivers the same messages to the same
        ``ClientApp`` by function calls (:class:`.inprocess.InProcessGrid`).
    num_cpus, cpus_per_client : int
        With ``engine="ray"``: Ray's CPUs and each client's; their ratio is the number of actors.

    Returns
    -------
    dict
        ``history`` (a DataFrame: round, clients, accuracy, loss, seconds) and
        ``secagg`` (with ``mode="secagg"``, what the server received in round 1).
    """
    check_type("settings", settings, Settings, "a flower_app.task.Settings")
    check_option("engine", engine, ["in-process", "ray"])
    from .client_app import make_client_app
    from .server_app import make_server_app, run_server

    with tempfile.TemporaryDirectory(prefix="ppml-flower-sim-") as folder:
        results = Path(folder) / "results.json"
        fixed = replace(settings, results_path=str(results))
        if engine == "ray":
            # Ray's raylet gives its helper agents 15 s to start, too little on a busy 2-core machine
            os.environ.setdefault("RAY_agent_register_timeout_ms", str(RAY_AGENT_TIMEOUT_MS))
            from flwr.simulation import run_simulation  # imported here: Ray is heavy, and only this needs it

            run_simulation(
                server_app=make_server_app(fixed), client_app=make_client_app(fixed),
                num_supernodes=settings.num_partitions,
                backend_config=backend_config(num_cpus=num_cpus, cpus_per_client=cpus_per_client),
            )
        else:
            from flwr.app import Context, RecordDict

            from .inprocess import InProcessGrid

            grid = InProcessGrid(make_client_app(fixed), num_nodes=settings.num_partitions)
            run_server(grid, Context(run_id=1, node_id=0, node_config={}, state=RecordDict(), run_config={}), fixed)
        if not results.exists():
            raise RuntimeError("the simulation ended without results: read the Flower log above for the error")
        payload = json.loads(results.read_text())
    return {"history": pd.DataFrame(payload["history"]), "secagg": payload["secagg"]}
