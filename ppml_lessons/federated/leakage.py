"""What a client's gradient gives away: its input and its label, read straight off a linear layer.

For a linear layer ``z = W x + b`` and one example, the gradients of any loss
are ``dL/dW = (dL/dz) x^T`` and ``dL/db = dL/dz``: every row of ``dL/dW`` is
the input ``x`` times the matching entry of ``dL/db``, so dividing one by the
other returns ``x`` exactly (Phong et al., 2018). When the layer is the last
one of a softmax classifier, ``dL/db = softmax(z) - onehot(y)`` has exactly one
negative entry, at the label (Zhao et al., 2020, iDLG). Lesson 06 uses this to
show that sending updates instead of data is not, by itself, privacy.
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_number, check_type

__all__ = ["recover_input", "recover_label", "label_counts_from_bias_gradient"]


def _as_tensor(name: str, value: torch.Tensor | np.ndarray, ndim: int) -> torch.Tensor:
    check_type(name, value, (torch.Tensor, np.ndarray), "a torch.Tensor or numpy array")
    tensor = torch.as_tensor(value).detach().to(torch.float64)
    if tensor.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s); got shape {tuple(tensor.shape)}")
    return tensor


def recover_input(weight_grad: torch.Tensor | np.ndarray, bias_grad: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Rebuild the input of a linear layer from the gradients of one example: ``dW[i] / db[i]``.

    Uses the row ``i`` with the largest ``|db[i]|`` (the least rounding error).
    Exact for a single example, in any network whose first layer is linear
    with a bias. For a batch-averaged gradient it returns a weighted mixture
    of the inputs instead. Used by lesson 06.

    Parameters
    ----------
    weight_grad : tensor or array, shape (out_features, in_features)
    bias_grad : tensor or array, shape (out_features,)

    Returns
    -------
    torch.Tensor of float64, shape (in_features,)

    Examples
    --------
    >>> layer = torch.nn.Linear(3, 2)
    >>> x = torch.tensor([0.1, 0.2, 0.3])
    >>> layer(x).pow(2).sum().backward()
    >>> recover_input(layer.weight.grad, layer.bias.grad).float()
    tensor([0.1000, 0.2000, 0.3000])
    """
    weight = _as_tensor("weight_grad", weight_grad, 2)
    bias = _as_tensor("bias_grad", bias_grad, 1)
    if weight.shape[0] != bias.shape[0]:
        raise ValueError(
            f"bias_grad must have one entry per row of weight_grad ({weight.shape[0]}); got {bias.shape[0]}"
        )
    row = int(bias.abs().argmax())
    if bias[row] == 0:
        raise ValueError("bias_grad must have a non-zero entry to divide by; got all zeros (a zero gradient)")
    return weight[row] / bias[row]


def recover_label(bias_grad: torch.Tensor | np.ndarray) -> int:
    """The label of one example, from the bias gradient of a softmax classifier's last layer.

    ``softmax(z) - onehot(y)`` is negative only at ``y``. Used by lesson 06.

    Examples
    --------
    >>> recover_label(torch.tensor([0.2, -0.7, 0.5]))
    1
    """
    bias = _as_tensor("bias_grad", bias_grad, 1)
    return int(bias.argmin())


def label_counts_from_bias_gradient(bias_grad: torch.Tensor | np.ndarray, *, batch_size: int) -> np.ndarray:
    """How many examples of each class a batch holds, from its mean bias gradient at a uniform model.

    When the model predicts every class with probability ``1/C`` (e.g. softmax
    regression with all-zero weights, a common first global model), the mean
    bias gradient over a batch of ``B`` examples is ``1/C - n_k / B``, so
    ``n_k = B (1/C - db_k)``, exactly: an aggregate of many examples still
    reveals their label histogram. Used by lesson 06.

    Parameters
    ----------
    bias_grad : tensor or array, shape (C,)
        Gradient of the mean cross-entropy over the batch.
    batch_size : int
        B, in [1, inf).

    Returns
    -------
    numpy.ndarray of int64, shape (C,)

    Examples
    --------
    >>> label_counts_from_bias_gradient(torch.tensor([0.5 - 1.0, 0.5 - 0.0]), batch_size=4)
    array([4, 0])
    """
    bias = _as_tensor("bias_grad", bias_grad, 1)
    batch_size = check_number("batch_size", batch_size, low=1, integer=True)
    counts = batch_size * (1.0 / len(bias) - bias)
    return np.rint(counts.numpy()).astype(np.int64)
