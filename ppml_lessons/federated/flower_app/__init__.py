"""Lesson 06's federated learning as a Flower app, and a local federation of real processes to run it (lesson 10).

- :mod:`.task`: what the app computes, from lesson 06's pieces (model, partition, local training, evaluation);
- :mod:`.client_app`: the ``ClientApp`` (train on this node's partition; SecAgg+ through Flower's mod);
- :mod:`.server_app`: the ``ServerApp`` (Flower's FedAvg, its central-DP wrapper, or the SecAgg+ workflow);
- :mod:`.simulation`: the same app on Flower's Simulation Engine, sized for a 2-core laptop;
- :mod:`.local`: :class:`~.local.LocalFederation`, one ``flower-superlink`` and several ``flower-supernode``
  processes on 127.0.0.1, stopped when the ``with`` block ends.

``pyproject.toml`` in this folder is the app's manifest for ``flwr run``. Importing this package does not
import Flower; the submodules do.
"""
