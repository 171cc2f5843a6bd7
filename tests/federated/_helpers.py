"""Small data, models and a reference per-client training loop shared by the federated tests."""

import copy

import torch
from torch import nn

CPU = torch.device("cpu")


def make_data(n=120, d=6, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, :classes].argmax(dim=1) + (torch.rand(n, generator=g) < 0.1).long()) % classes
    return x, y


def make_model(d=6, classes=3, hidden=None, seed=0):
    torch.manual_seed(seed)
    if hidden is None:
        return nn.Linear(d, classes)
    return nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, classes))


def parameters_of(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def loop_local_train(model, global_params, x, y, plan, lr, prox_mu=0.0):
    """Reference: each client alone, an ordinary nn.Module and torch.optim.SGD, the same batches."""
    out = []
    for k in range(plan.shape[0]):
        client = copy.deepcopy(model)
        client.load_state_dict(global_params)
        opt = torch.optim.SGD(client.parameters(), lr=lr)
        for step in plan[k]:
            ids = torch.from_numpy(step[step >= 0])
            if len(ids) == 0:
                continue
            loss = nn.functional.cross_entropy(client(x[ids]), y[ids])
            if prox_mu:
                distance = sum(((p - global_params[n]) ** 2).sum() for n, p in client.named_parameters())
                loss = loss + prox_mu / 2 * distance
            opt.zero_grad()
            loss.backward()
            opt.step()
        out.append(parameters_of(client))
    return out
