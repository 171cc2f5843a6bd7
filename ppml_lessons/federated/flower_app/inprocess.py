"""A Flower ``Grid`` that delivers every message by calling the ``ClientApp`` in this process.

Flower's own Simulation Engine runs virtual SuperNodes on Ray workers. On a
small or busy machine Ray may not start at all (lesson 10 measures why), so
:class:`InProcessGrid` gives the lesson a second way to run many virtual
clients: the *same* ``ServerApp`` strategy and the *same* ``ClientApp``
(handlers, mods, messages, per-node state), with the transport replaced by a
function call on a copy of each message. What it does not exercise is what lies between them:
serialization, processes, the network, failures. The Deployment Engine
(:mod:`.local`) exercises those. Used by lesson 10.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from itertools import count
from typing import Any
from uuid import uuid4

from flwr.app import Context, Message, RecordDict
from flwr.clientapp import ClientApp
from flwr.supercore.run import Run
from flwr.supercore.task_identity import TaskIdentity
from flwr.serverapp import Grid

from ..._validation import check_number, check_type

__all__ = ["InProcessGrid"]


class InProcessGrid(Grid):
    """``num_nodes`` virtual SuperNodes, node ``k`` holding ``partition-id = k``, answered by ``client_app``.

    Each node keeps its own ``Context.state`` across messages, as a SuperNode
    does (SecAgg+ stores its keys there between stages).

    Examples
    --------
    >>> from flwr.clientapp import ClientApp
    >>> grid = InProcessGrid(ClientApp(), num_nodes=3)
    >>> sorted(grid.get_node_ids())
    [1, 2, 3]
    """

    def __init__(self, client_app: ClientApp, *, num_nodes: int, run_config: Mapping[str, Any] | None = None) -> None:
        check_type("client_app", client_app, ClientApp, "a flwr.clientapp.ClientApp")
        num_nodes = check_number("num_nodes", num_nodes, low=1, integer=True)
        self._app = client_app
        self._run = Run.create_empty(run_id=1)
        # Flower's Message reads the run and node of "the task running in this process": here, the server's
        TaskIdentity.run_id, TaskIdentity.node_id, TaskIdentity.task_id = 1, 0, 1
        self._contexts = {
            k + 1: Context(run_id=1, node_id=k + 1, node_config={"partition-id": k, "num-partitions": num_nodes},
                           state=RecordDict(), run_config=dict(run_config or {}))
            for k in range(num_nodes)
        }
        self._replies: dict[str, Message] = {}
        self.messages_delivered = count()

    def set_run(self, run: Run) -> None:  # noqa: D102 - Grid's interface
        self._run = run

    @property
    def run(self) -> Run:  # noqa: D102
        return self._run

    def create_message(self, content: RecordDict, message_type: str, dst_node_id: int, group_id: str,
                       ttl: float | None = None) -> Message:  # noqa: D102
        return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

    def get_node_ids(self) -> Iterable[int]:  # noqa: D102
        return list(self._contexts)

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        """Deliver each message to its node's ``ClientApp`` now and keep the reply."""
        ids = []
        for message in messages:
            message.metadata.__dict__["_message_id"] = uuid4().hex
            message.metadata.__dict__["_run_id"] = self._run.run_id
            message.metadata.__dict__["_src_node_id"] = 0
            context = self._contexts.get(message.metadata.dst_node_id)
            if context is None:
                raise ValueError(f"dst_node_id must be one of the grid's nodes 1..{len(self._contexts)}; "
                                 f"got {message.metadata.dst_node_id}")
            # a copy, as a network delivers: a ClientApp (SecAgg+'s mod does) may change what it receives,
            # and Flower's strategies send one content object to every node
            reply = self._app(copy.deepcopy(message), context)
            self._replies[message.metadata.message_id] = copy.deepcopy(reply)
            next(self.messages_delivered)
            ids.append(message.metadata.message_id)
        return ids

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:  # noqa: D102
        return [self._replies.pop(i) for i in message_ids if i in self._replies]

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterable[Message]:
        """Push the messages and return their replies (all of them: nothing here can be late)."""
        return self.pull_messages(self.push_messages(messages))
