"""The Flower ``ServerApp`` of lesson 10: FedAvg, Flower's central DP, or the SecAgg+ workflow.

The server's side of lesson 06, on Flower's strategies: every round the
strategy samples ``clients-per-round`` nodes, sends them the global model,
averages their replies weighted by ``num-examples`` and evaluates the new
global model on the test set (:func:`.task.evaluate_arrays`). Three modes,
chosen by the run config's ``mode`` (see :class:`.task.Settings`):

- ``"fedavg"``: Flower's ``FedAvg`` (message API);
- ``"central-dp"``: the same, wrapped in Flower's
  ``DifferentialPrivacyServerSideFixedClipping``: each update is clipped to
  L2 norm ``clip-norm`` and Gaussian noise of standard deviation
  ``noise-multiplier * clip-norm / clients-per-round`` is added to the average;
- ``"secagg"``: Flower's legacy ``FedAvg`` driven by ``SecAggPlusWorkflow``,
  so the server only ever adds up masked vectors; :class:`RecordingSecAggPlus`
  keeps what the server received, to show it in the lesson.

After every round the history (round, clients that replied, test accuracy and
loss) is written as JSON to ``results-path`` when that is set, so that a
notebook can read it back whichever engine ran the app. Used by lesson 10.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord
from flwr.common import bytes_to_ndarray, ndarrays_to_parameters
from flwr.common.secure_aggregation.ndarrays_arithmetic import parameters_mod
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS, Key
from flwr.server import LegacyContext, ServerConfig
from flwr.server import strategy as legacy_strategy
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg

from ..._validation import check_type
from .task import Settings, evaluate_arrays, new_model

__all__ = ["app", "make_server_app", "run_server", "RecordingFedAvg", "RecordingSecAggPlus"]


class _Recorder:
    """The history of one run, written to ``results_path`` after every change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rounds: list[dict[str, Any]] = []
        self.clients: dict[int, int] = {}
        self.secagg: dict[str, Any] = {}
        self.start = time.perf_counter()

    def evaluate(self, server_round: int, arrays: list[np.ndarray]) -> dict[str, float]:
        scores = evaluate_arrays(arrays)
        if server_round > 0:
            self.rounds.append({"round": server_round, "clients": self.clients.get(server_round, 0), **scores,
                                "seconds": time.perf_counter() - self.start})
            self.save()
        return scores

    def save(self) -> None:
        if not self.settings.results_path:
            return
        path = Path(self.settings.results_path)
        payload = {"settings": self.settings.to_config(), "history": self.rounds, "secagg": self.secagg}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(payload))
        temporary.replace(path)  # a reader never sees half a file


class RecordingFedAvg(FedAvg):
    """Flower's FedAvg that also counts the clients that replied in each round.

    With ``record_updates`` set, the replies of round 1 (each client's layers
    and ``num-examples``) and the aggregate are saved next to ``results_path``
    as ``.npz``, so that a test can recompute the aggregate with lesson 06's
    ``aggregate``.
    """

    def __init__(self, recorder: _Recorder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder

    def aggregate_train(self, server_round: int, replies):  # noqa: ANN001, ANN201 - Flower's signature
        replies = list(replies)
        valid = [msg for msg in replies if not msg.has_error()]
        self.recorder.clients[server_round] = len(valid)
        arrays, metrics = super().aggregate_train(server_round, valid)
        settings = self.recorder.settings
        if server_round == 1 and settings.record_updates and settings.results_path and arrays is not None:
            saved = {"aggregate_weight": arrays.to_numpy_ndarrays()[0], "aggregate_bias": arrays.to_numpy_ndarrays()[1]}
            for k, msg in enumerate(valid):
                layers = msg.content["arrays"].to_numpy_ndarrays()
                saved[f"client{k}_weight"], saved[f"client{k}_bias"] = layers
                saved[f"client{k}_num_examples"] = np.array(msg.content["metrics"]["num-examples"])
            np.savez(Path(settings.results_path).with_suffix(".npz"), **saved)
        return arrays, metrics


class _RecordingGrid:
    """A Grid that remembers the replies of its last ``send_and_receive``."""

    def __init__(self, grid: Grid) -> None:
        self._grid, self.replies = grid, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._grid, name)

    def send_and_receive(self, messages, *, timeout=None):  # noqa: ANN001, ANN201
        self.replies = list(self._grid.send_and_receive(messages, timeout=timeout))
        return self.replies


class RecordingSecAggPlus(SecAggPlusWorkflow):
    """Flower's SecAgg+ workflow that keeps what the server received in round 1.

    It records, for the first client that replied, the masked vector it sent
    (integers modulo ``modulus_range``) and how many plain-text parameter
    arrays came with it (none: ``secaggplus_mod`` empties them), and the
    server's sum of all masked vectors before unmasking.
    """

    def __init__(self, recorder: _Recorder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder

    def collect_masked_vectors_stage(self, grid, context, state) -> bool:  # noqa: ANN001
        recording = _RecordingGrid(grid)
        ok = super().collect_masked_vectors_stage(recording, context, state)
        if not self.recorder.secagg and ok:
            replies = [msg for msg in recording.replies if not msg.has_error()]
            first = replies[0].content
            masked = [bytes_to_ndarray(b) for b in first.config_records[RECORD_KEY_CONFIGS][Key.MASKED_PARAMETERS]]
            plain = first.array_records.get("fitres.parameters")
            self.recorder.secagg = {
                "clients": len(replies),
                "modulus": int(state.mod_range),
                "plain_arrays_received": 0 if plain is None else len(plain),
                "masked_vector_first_client": np.concatenate([m.ravel() for m in masked]).tolist(),
                "masked_sum": np.concatenate([m.ravel() for m in parameters_mod(state.aggregate_ndarrays,
                                                                                 state.mod_range)]).tolist(),
            }
        return ok


def _run_fedavg(grid: Grid, settings: Settings, recorder: _Recorder) -> None:
    fraction = settings.clients_per_round / settings.num_partitions
    strategy = RecordingFedAvg(
        recorder, fraction_train=fraction, fraction_evaluate=0.0, min_train_nodes=settings.clients_per_round,
        min_available_nodes=settings.clients_per_round,
    )
    if settings.mode == "central-dp":
        strategy = DifferentialPrivacyServerSideFixedClipping(
            strategy, noise_multiplier=settings.noise_multiplier, clipping_norm=settings.clip_norm,
            num_sampled_clients=settings.clients_per_round,
        )
    initial = ArrayRecord([p.detach().numpy() for p in new_model(settings.seed).parameters()])
    strategy.start(
        grid=grid, initial_arrays=initial, num_rounds=settings.rounds, timeout=settings.round_timeout,
        train_config=ConfigRecord({}),
        evaluate_fn=lambda rnd, arrays: MetricRecord(recorder.evaluate(rnd, arrays.to_numpy_ndarrays())),
    )


def _run_secagg(grid: Grid, context: Context, settings: Settings, recorder: _Recorder) -> None:
    def evaluate(server_round: int, ndarrays: list[np.ndarray], config: dict) -> tuple[float, dict]:  # noqa: ARG001
        if server_round == 1:  # the unmasked average, to compare with the clients' own updates
            recorder.secagg["aggregate"] = np.concatenate([a.ravel() for a in ndarrays]).tolist()
        scores = recorder.evaluate(server_round, ndarrays)
        return scores["loss"], scores

    def on_fit_config(server_round: int) -> dict[str, int]:
        recorder.clients[server_round] = settings.clients_per_round
        return {"server-round": server_round}

    fraction = settings.clients_per_round / settings.num_partitions
    strategy = legacy_strategy.FedAvg(
        fraction_fit=fraction, fraction_evaluate=0.0, min_fit_clients=settings.clients_per_round,
        min_available_clients=settings.clients_per_round, evaluate_fn=evaluate, on_fit_config_fn=on_fit_config,
        initial_parameters=ndarrays_to_parameters([p.detach().numpy() for p in new_model(settings.seed).parameters()]),
    )
    legacy = LegacyContext(context=context, config=ServerConfig(num_rounds=settings.rounds), strategy=strategy)
    workflow = DefaultWorkflow(fit_workflow=RecordingSecAggPlus(
        recorder, num_shares=settings.secagg_shares, reconstruction_threshold=settings.secagg_threshold,
        timeout=settings.round_timeout))
    workflow(grid, legacy)


def run_server(grid: Grid, context: Context, settings: Settings | None = None) -> None:
    """The ServerApp's main: run the chosen mode with ``settings``, or with those of the run config."""
    settings = settings if settings is not None else Settings.from_config(context.run_config)
    recorder = _Recorder(settings)
    if settings.mode == "secagg":
        _run_secagg(grid, context, settings, recorder)
    else:
        _run_fedavg(grid, settings, recorder)
    recorder.save()


def make_server_app(settings: Settings | None = None) -> ServerApp:
    """The lesson's ``ServerApp``; with ``settings`` fixed (the Simulation Engine), else read from the run config."""
    if settings is not None:
        check_type("settings", settings, Settings, "a flower_app.task.Settings")
    server_app = ServerApp()

    @server_app.main()
    def main(grid: Grid, context: Context) -> None:
        run_server(grid, context, settings)

    return server_app


#: The ``ServerApp`` that the SuperLink runs (``ppml_lessons.federated.flower_app.server_app:app``).
app = make_server_app()
