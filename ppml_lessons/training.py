"""A fit/evaluate loop for the course's small torch models, with a progress bar."""

from __future__ import annotations

from typing import Union

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm.auto import tqdm

from ._validation import check_bool, check_number, check_option, check_type
from .environment import get_device

__all__ = ["fit", "evaluate", "predict_logits", "predict_proba", "as_dataset"]

DataLike = Union[Dataset, tuple[torch.Tensor, torch.Tensor]]


def as_dataset(data: DataLike, name: str = "data") -> Dataset:
    """Accept a ``Dataset`` or an ``(inputs, labels)`` pair of tensors of equal length.

    Examples
    --------
    >>> len(as_dataset((torch.zeros(5, 3), torch.zeros(5, dtype=torch.long))))
    5
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        inputs, labels = data
        if len(inputs) != len(labels):
            raise ValueError(
                f"{name} must be (inputs, labels) of equal length; got {len(inputs)} inputs and {len(labels)} labels"
            )
        return TensorDataset(inputs, labels)
    raise TypeError(
        f"{name} must be a torch Dataset or a tuple (inputs, labels) of tensors; got {type(data).__name__}"
    )


def _loader(data: DataLike, name: str, batch_size: int, shuffle: bool, seed: int | None) -> DataLoader:
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    return DataLoader(as_dataset(data, name), batch_size=batch_size, shuffle=shuffle, generator=generator)


@torch.no_grad()
def evaluate(model: nn.Module, data: DataLike, *, batch_size: int = 1024, device: torch.device | None = None) -> dict:
    """Mean cross-entropy loss and accuracy of a classifier on ``data``.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape ``(batch, classes)``.
    data : Dataset or (inputs, labels)
    batch_size : int, default 1024
    device : torch.device, optional
        Defaults to :func:`ppml_lessons.environment.get_device`.

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float}``.

    Examples
    --------
    >>> model = nn.Linear(2, 2)
    >>> sorted(evaluate(model, (torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))))
    ['accuracy', 'loss']
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_number("batch_size", batch_size, low=1, integer=True)
    device = device or get_device()
    was_training = model.training
    model.eval().to(device)
    total_loss, correct, count = 0.0, 0, 0
    for inputs, labels in _loader(data, "data", batch_size, False, None):
        inputs, labels = inputs.to(device), labels.to(device)
        logits = model(inputs)
        total_loss += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(dim=1) == labels).sum().item()
        count += len(labels)
    model.train(was_training)
    if count == 0:
        raise ValueError("data must hold at least one example; got an empty dataset")
    return {"loss": total_loss / count, "accuracy": correct / count}


@torch.no_grad()
def predict_logits(
    model: nn.Module, inputs: torch.Tensor, *, batch_size: int = 1024, device: torch.device | None = None
) -> torch.Tensor:
    """Outputs (logits) of ``model`` on ``inputs`` in evaluation mode, in batches, on the CPU.

    Examples
    --------
    >>> predict_logits(nn.Linear(3, 2), torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor")
    check_number("batch_size", batch_size, low=1, integer=True)
    device = device or get_device()
    was_training = model.training
    model.eval().to(device)
    chunks = [model(chunk.to(device)).cpu() for chunk in inputs.split(batch_size)]
    model.train(was_training)
    return torch.cat(chunks)


def predict_proba(
    model: nn.Module, inputs: torch.Tensor, *, batch_size: int = 1024, device: torch.device | None = None
) -> torch.Tensor:
    """Softmax class probabilities of ``model`` on ``inputs``, on the CPU.

    Examples
    --------
    >>> predict_proba(nn.Linear(3, 2), torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """
    return predict_logits(model, inputs, batch_size=batch_size, device=device).softmax(dim=1)


def fit(
    model: nn.Module,
    train_data: DataLike,
    *,
    epochs: int = 5,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: str = "adam",
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    eval_data: DataLike | None = None,
    seed: int = 0,
    device: torch.device | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Train a classifier with cross-entropy; return one row of metrics per epoch.

    Only parameters with ``requires_grad=True`` are optimized, so a frozen
    encoder stays frozen (lesson 01). Shuffling uses its own
    ``torch.Generator`` seeded with ``seed``: the same seed on the same
    machine gives the same model.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(batch, classes)``; trained in place.
    train_data : Dataset or (inputs, labels)
    epochs : int, default 5
    batch_size : int, default 128
    lr : float, default 1e-3
        Learning rate, in (0, inf).
    optimizer : {"adam", "sgd"}, default "adam"
    momentum : float, default 0.9
        Used by ``"sgd"`` only, in [0, 1).
    weight_decay : float, default 0.0
    eval_data : Dataset or (inputs, labels), optional
        Evaluated after every epoch (``eval_loss``, ``eval_accuracy`` columns).
    seed : int, default 0
        Seeds the shuffling.
    device : torch.device, optional
        Defaults to :func:`ppml_lessons.environment.get_device`.
    progress : bool, default True
        Show a ``tqdm.auto`` progress bar over epochs.

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch``, ``train_loss``, ``train_accuracy`` and, with
        ``eval_data``, ``eval_loss`` and ``eval_accuracy``.

    Examples
    --------
    >>> x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    >>> y = (x[:, 0] > 0).long()
    >>> history = fit(nn.Linear(2, 2), (x, y), epochs=3, lr=0.1, progress=False)
    >>> list(history.columns)
    ['epoch', 'train_loss', 'train_accuracy']
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_number("epochs", epochs, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("lr", lr, low=0, low_open=True)
    check_option("optimizer", optimizer, ["adam", "sgd"])
    check_number("momentum", momentum, low=0, high=1, high_open=True)
    check_number("weight_decay", weight_decay, low=0)
    check_number("seed", seed, low=0, integer=True)
    check_bool("progress", progress)
    loader = _loader(train_data, "train_data", batch_size, True, seed)
    if eval_data is not None:
        as_dataset(eval_data, "eval_data")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model must have at least one parameter with requires_grad=True; got a fully frozen model")
    device = device or get_device()
    model.to(device)
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    rows = []
    bar = tqdm(range(1, epochs + 1), desc="training", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total_loss, correct, count = 0.0, 0, 0
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            logits = model(inputs)
            loss = nn.functional.cross_entropy(logits, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            count += len(labels)
        row = {"epoch": epoch, "train_loss": total_loss / count, "train_accuracy": correct / count}
        if eval_data is not None:
            scores = evaluate(model, eval_data, device=device)
            row.update(eval_loss=scores["loss"], eval_accuracy=scores["accuracy"])
        rows.append(row)
        bar.set_postfix(loss=f"{row['train_loss']:.3f}")
    return pd.DataFrame(rows)
