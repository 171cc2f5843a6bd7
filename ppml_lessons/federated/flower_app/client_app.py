"""The Flower ``ClientApp`` of lesson 10: lesson 06's local training behind a Flower message handler.

A SuperNode (a real process, or a virtual one of the Simulation Engine)
receives a ``train`` message with the global model, runs
:func:`.task.train_client` on its own partition and replies with the new
parameters and its number of examples. Which partition is its own comes from
the node's configuration, ``partition-id`` (the Simulation Engine sets it; a
SuperNode gets it from ``--node-config``); what everybody agrees on comes
from the run config (:class:`.task.Settings`).

The SecAgg+ protocol of Flower still speaks the older message format
(``fitins``/``fitres``), so its messages go to a second, legacy ``ClientApp``
wrapped in Flower's ``secaggplus_mod``, and everything else to the modern
handler. One app serves all of the
lesson's modes. Used by lesson 10.
"""

from __future__ import annotations

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.client import NumPyClient
from flwr.clientapp import ClientApp
from flwr.clientapp.typing import ClientAppCallable
from flwr.client.mod import secaggplus_mod
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS

from ..._validation import check_type
from .task import Settings, train_client

__all__ = ["app", "make_client_app", "partition_of"]


def partition_of(context: Context) -> int:
    """The partition a node trains on: ``partition-id`` from its node config."""
    if "partition-id" not in context.node_config:
        raise ValueError(
            "node_config must hold 'partition-id' (start the SuperNode with "
            "--node-config 'partition-id=0 num-partitions=3'); got keys "
            f"{sorted(context.node_config)}"
        )
    return int(context.node_config["partition-id"])


class _LessonClient(NumPyClient):
    """The same training as the modern handler, in the legacy NumPyClient form that SecAgg+ needs."""

    def __init__(self, partition_id: int, settings: Settings) -> None:
        self.partition_id, self.settings = partition_id, settings

    def fit(self, parameters, config):  # noqa: ANN001, ANN201 - the NumPyClient signature
        layers, num_examples = train_client(
            parameters, self.partition_id, self.settings, server_round=int(config["server-round"])
        )
        return layers, num_examples, {}


def _settings(fixed: Settings | None, context: Context) -> Settings:
    return fixed if fixed is not None else Settings.from_config(context.run_config)


def make_client_app(settings: Settings | None = None) -> ClientApp:
    """The lesson's ``ClientApp``; with ``settings`` fixed (the Simulation Engine), else read from the run config.

    Its ``train`` handler takes the global model from the message, runs
    :func:`.task.train_client` on this node's partition and replies with the
    new parameters and ``num-examples``. A mod, :func:`route_secaggplus`,
    hands the messages of the SecAgg+ protocol to a legacy ``ClientApp``
    wrapped in Flower's ``secaggplus_mod`` (that protocol still speaks the
    older ``fitins``/``fitres`` format), so one app serves every mode.
    """
    if settings is not None:
        check_type("settings", settings, Settings, "a flower_app.task.Settings")

    def client_fn(context: Context):  # noqa: ANN202 - a Flower Client
        return _LessonClient(partition_of(context), _settings(settings, context)).to_client()

    secagg_app = ClientApp(client_fn=client_fn, mods=[secaggplus_mod])

    def route_secaggplus(msg: Message, context: Context, call_next: ClientAppCallable) -> Message:
        """Messages of the SecAgg+ protocol go to the legacy app; all others go on to ``train``."""
        if RECORD_KEY_CONFIGS in msg.content.config_records:
            return secagg_app(msg, context)
        return call_next(msg, context)

    client_app = ClientApp(mods=[route_secaggplus])

    @client_app.train()
    def train(msg: Message, context: Context) -> Message:
        global_arrays = msg.content["arrays"].to_numpy_ndarrays()
        server_round = int(msg.content["config"]["server-round"])
        layers, num_examples = train_client(global_arrays, partition_of(context), _settings(settings, context),
                                            server_round=server_round)
        content = RecordDict({"arrays": ArrayRecord(layers), "metrics": MetricRecord({"num-examples": num_examples})})
        return Message(content=content, reply_to=msg)

    return client_app


#: The ``ClientApp`` that SuperNodes load (``ppml_lessons.federated.flower_app.client_app:app``).
app = make_client_app()
