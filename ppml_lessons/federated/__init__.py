"""Federated learning (lesson 06): training where the data stays on the clients.

- :mod:`.partition`: split a dataset among clients (IID, Dirichlet over labels, pathological shards);
- :mod:`.fedavg`: FedAvg's aggregation (a pure function of ``(parameters, num_examples)`` pairs) and
  local training of many clients at once with ``torch.func``;
- :mod:`.simulation`: the training loop (FedAvg, FedSGD, FedProx, server momentum, DP-FedAvg, local noise);
- :mod:`.privacy`: client-level clipping and Gaussian noise, at the server (central DP) or on each client (local DP);
- :mod:`.leakage`: reading a client's input and label off its gradient;
- :mod:`.secure_aggregation`: pairwise masking with X25519 key agreement, so the server learns only the sum.
- :mod:`.shamir`: t-out-of-n secret sharing over a prime field;
- :mod:`.secagg_dropouts`: secure aggregation that survives dropouts (double masking, Shamir-shared seeds).

Import from the submodules, e.g. ``from ppml_lessons.federated.fedavg import aggregate``.
"""
