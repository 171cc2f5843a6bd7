"""The three ways lesson 01 learns the target task, each trained to a stated stopping rule.

Every method gets the same labelled images, split the same way into a
training part and a validation part (:func:`ppml_lessons.transfer.validation_split`), and uses the
validation part the same way: to choose what it keeps.

- :func:`train_linear_probe` fits multinomial logistic regression on
  standardized frozen features with L-BFGS to convergence, for each inverse
  regularization strength ``C`` of a grid, and keeps the best ``C``.
- :func:`train_scratch` and :func:`fine_tune` run Adam for at most
  ``max_steps`` steps, measure on the validation part every ``eval_every``
  steps (and before the first), stop after ``patience`` measurements in a
  row without a better checkpoint, and keep the best one (early stopping).
  Both get the same budget.

"Best" is the same rule everywhere: the highest validation accuracy, ties
broken by the lower validation cross-entropy.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ._validation import check_bool, check_number, check_type
from .environment import get_device, make_rng
from .models import SmallCNN, unfreeze
from .transfer import AugmentedTensors

__all__ = [
    "METHODS",
    "PROBE_CS",
    "train_linear_probe",
    "train_early_stopped",
    "train_scratch",
    "fine_tune",
]

#: The three ways of learning the target task that lesson 01 compares.
METHODS: tuple[str, ...] = ("scratch", "linear probe", "fine-tune")

#: The grid of inverse regularization strengths the linear probe chooses from.
PROBE_CS: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)


def _check_pair(name: str, pair: object) -> tuple[torch.Tensor, torch.Tensor]:
    if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(t, torch.Tensor) for t in pair)):
        raise TypeError(f"{name} must be a tuple (inputs, labels) of tensors; got {type(pair).__name__}")
    if len(pair[0]) != len(pair[1]) or len(pair[1]) == 0:
        raise ValueError(f"{name} must hold inputs and labels of equal, non-zero length; got {len(pair[0])} and {len(pair[1])}")
    return pair


def train_linear_probe(
    features: torch.Tensor,
    labels: torch.Tensor,
    *,
    validation: tuple[torch.Tensor, torch.Tensor],
    num_classes: int = 5,
    Cs: Sequence[float] = PROBE_CS,
    max_iter: int = 5000,
    tol: float = 1e-5,
) -> tuple[nn.Linear, dict]:
    """Train a linear head on fixed (precomputed) encoder features to convergence: the *linear probe*.

    Features are standardized with the training part's mean and standard
    deviation; for each ``C`` in ``Cs`` an L2-regularized multinomial logistic
    regression is fitted with L-BFGS (scikit-learn) until its gradient
    criterion is met (``tol``), each starting from the solution for the
    previous, smaller ``C``; the ``C`` with the best accuracy on
    ``validation`` (ties: lower cross-entropy) is kept. The standardization is folded into the returned
    ``nn.Linear``, which takes raw features. Used by lesson 01.

    Returns
    -------
    head : torch.nn.Linear
    record : dict
        ``C``, ``val_loss``, ``val_accuracy`` and ``iterations`` (L-BFGS
        iterations of the kept fit, always below ``max_iter``).

    Raises
    ------
    RuntimeError
        If L-BFGS stops at ``max_iter`` without converging.

    Examples
    --------
    >>> x, y = torch.randn(40, 8), torch.arange(40) % 5
    >>> head, record = train_linear_probe(x[:30], y[:30], validation=(x[30:], y[30:]))
    >>> head.weight.shape, sorted(record)
    (torch.Size([5, 8]), ['C', 'iterations', 'val_accuracy', 'val_loss'])
    """
    check_type("features", features, torch.Tensor, "a 2-D tensor of features")
    if features.ndim != 2:
        raise ValueError(f"features must be a 2-D tensor (examples, features); got shape {tuple(features.shape)}")
    val_features, val_labels = _check_pair("validation", validation)
    check_number("num_classes", num_classes, low=2, integer=True)
    check_number("max_iter", max_iter, low=1, integer=True)
    check_number("tol", tol, low=0, low_open=True)
    if len(Cs) == 0:
        raise ValueError("Cs must hold at least one value in (0, inf); got an empty sequence")
    for c in Cs:
        check_number("Cs[i]", c, low=0, low_open=True)
    x = features.double().numpy()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-12] = 1.0  # a constant feature stays zero after centring
    z = ((x - mean) / scale).astype(np.float32)  # float32 halves the cost of each L-BFGS iteration
    z_val = ((val_features.double().numpy() - mean) / scale).astype(np.float32)
    y, y_val = labels.numpy(), val_labels.numpy()
    classes = np.arange(num_classes)
    best = None
    model = LogisticRegression(max_iter=max_iter, tol=tol, warm_start=True)  # each C starts from the last solution
    for c in sorted(Cs):
        model.set_params(C=c)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                model.fit(z, y)
            except ConvergenceWarning:
                raise RuntimeError(f"the linear probe did not converge in max_iter={max_iter} iterations (C={c:g})") from None
        if not np.array_equal(model.classes_, classes):
            raise ValueError(f"labels must contain every class 0..{num_classes - 1}; got {model.classes_.tolist()}")
        proba = np.clip(model.predict_proba(z_val), 1e-12, 1.0)
        loss = float(-np.mean(np.log(proba[np.arange(len(y_val)), y_val])))
        accuracy = float(np.mean(proba.argmax(axis=1) == y_val))
        if best is None or _better(accuracy, loss, best[3], best[0]):
            coef, intercept = model.coef_.copy(), model.intercept_.copy()
            if num_classes == 2:  # scikit-learn keeps one logit for two classes: softmax of (0, logit) is the same
                coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
            best = (loss, c, (coef.astype(np.float64), intercept.astype(np.float64), int(np.max(model.n_iter_))), accuracy)
    loss, c, (coef, intercept, iterations), accuracy = best
    weight = coef / scale
    bias = intercept - weight @ mean
    head = nn.Linear(features.shape[1], num_classes)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weight))
        head.bias.copy_(torch.from_numpy(bias))
    return head, {"C": c, "val_loss": loss, "val_accuracy": accuracy, "iterations": iterations}


def _better(accuracy: float, loss: float, best_accuracy: float, best_loss: float) -> bool:
    """The selection rule every method shares: higher validation accuracy, ties broken by lower loss."""
    return accuracy > best_accuracy or (accuracy == best_accuracy and loss < best_loss)


@torch.no_grad()
def _validation_scores(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, device: torch.device) -> tuple[float, float]:
    model.eval()
    logits = torch.cat([model(chunk.to(device)).cpu() for chunk in inputs.split(1000)])
    model.train()
    return nn.functional.cross_entropy(logits, labels).item(), (logits.argmax(dim=1) == labels).float().mean().item()


def train_early_stopped(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor],
    *,
    max_steps: int,
    eval_every: int,
    patience: int,
    lr: float,
    batch_size: int = 64,
    seed: int = 0,
    augment: bool = False,
    device: torch.device | None = None,
) -> tuple[nn.Module, dict]:
    """Train ``model`` with Adam and early stopping on the validation part; return it with its best weights.

    Validation accuracy and loss are measured before the first step and every
    ``eval_every`` steps; training stops after ``patience`` measurements in a
    row without a better checkpoint (a higher accuracy, or the same accuracy
    with a lower loss), or at ``max_steps``, and keeps the best checkpoint. Only parameters with
    ``requires_grad`` are trained. Lesson 01 gives scratch training and
    fine-tuning this same rule.

    Returns
    -------
    model : torch.nn.Module
        Trained in place, with the weights of the best measurement.
    record : dict
        ``steps`` (run), ``best_step``, ``val_loss``, ``val_accuracy`` (at the best step).

    Examples
    --------
    >>> x, y = torch.randn(20, 3), torch.arange(20) % 2
    >>> _, record = train_early_stopped(nn.Linear(3, 2), (x, y), (x, y), max_steps=10, eval_every=5,
    ...                                 patience=2, lr=0.1)
    >>> record["steps"]
    10
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    images, labels = _check_pair("train", train)
    val_inputs, val_labels = _check_pair("validation", validation)
    check_number("max_steps", max_steps, low=1, integer=True)
    check_number("eval_every", eval_every, low=1, integer=True)
    check_number("patience", patience, low=1, integer=True)
    check_number("lr", lr, low=0, low_open=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("seed", seed, low=0, integer=True)
    check_bool("augment", augment)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model must have at least one parameter with requires_grad=True; got a fully frozen model")
    device = device or get_device()
    model.to(device).train()
    torch.manual_seed(seed)  # the augmentation's random flips and shifts
    data = AugmentedTensors(images, labels) if augment else TensorDataset(images, labels)
    loader = DataLoader(data, batch_size=min(batch_size, len(labels)), shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(params, lr=lr)
    best_loss, best_accuracy = _validation_scores(model, val_inputs, val_labels, device)
    best_state, best_step, step, waited = copy.deepcopy(model.state_dict()), 0, 0, 0
    while step < max_steps and waited < patience:
        for inputs, targets in loader:
            loss = nn.functional.cross_entropy(model(inputs.to(device)), targets.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step % eval_every == 0 or step == max_steps:
                val_loss, val_accuracy = _validation_scores(model, val_inputs, val_labels, device)
                if _better(val_accuracy, val_loss, best_accuracy, best_loss):
                    best_loss, best_accuracy, best_step, waited = val_loss, val_accuracy, step, 0
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    waited += 1
            if step >= max_steps or waited >= patience:
                break
    model.load_state_dict(best_state)
    return model, {"steps": step, "best_step": best_step, "val_loss": best_loss, "val_accuracy": best_accuracy}


def train_scratch(
    train: tuple[torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor],
    *,
    num_classes: int = 5,
    max_steps: int = 300,
    eval_every: int = 10,
    patience: int = 10,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
    augment: bool = False,
) -> tuple[SmallCNN, dict]:
    """Train a :class:`SmallCNN` from random weights (seeded by ``seed``) with :func:`train_early_stopped`.

    Examples
    --------
    >>> x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    >>> model, record = train_scratch((x, y), (x, y), max_steps=2, eval_every=1)
    >>> model.head.out_features, record["steps"]
    (5, 2)
    """
    check_number("seed", seed, low=0, integer=True)
    torch.manual_seed(seed)
    model = SmallCNN(num_classes)
    return train_early_stopped(model, train, validation, max_steps=max_steps, eval_every=eval_every,
                               patience=patience, lr=lr, batch_size=batch_size, seed=seed, augment=augment)


def fine_tune(
    encoder: nn.Module,
    head: nn.Linear,
    train: tuple[torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor],
    *,
    max_steps: int = 300,
    eval_every: int = 10,
    patience: int = 10,
    lr: float = 1e-4,
    batch_size: int = 64,
    seed: int = 0,
    augment: bool = False,
) -> tuple[SmallCNN, dict]:
    """Fine-tune everything: copy ``encoder`` and a trained ``head``, then train all weights with a small ``lr``.

    Starting from the probe's head keeps the first steps from sending large
    random gradients into the pretrained encoder; early stopping
    (:func:`train_early_stopped`, measured from step 0, the probe itself)
    keeps the weights with the lowest validation loss. ``encoder`` and
    ``head`` are not changed.

    Examples
    --------
    >>> x, y = torch.rand(10, 1, 28, 28), torch.arange(10) % 5
    >>> model, _ = fine_tune(SmallCNN(5).features, nn.Linear(288, 5), (x, y), (x, y), max_steps=1)
    >>> all(p.requires_grad for p in model.parameters())
    True
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module (the pretrained encoder)")
    check_type("head", head, nn.Linear, "a torch.nn.Linear (the trained head)")
    model = SmallCNN(head.out_features)
    model.features = copy.deepcopy(encoder)
    model.head = copy.deepcopy(head)
    unfreeze(model)
    return train_early_stopped(model, train, validation, max_steps=max_steps, eval_every=eval_every,
                               patience=patience, lr=lr, batch_size=batch_size, seed=seed, augment=augment)


