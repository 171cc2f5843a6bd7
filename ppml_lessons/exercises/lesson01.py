"""Exercises of lesson 01 (transfer learning): freezing, the linear-probe step, and a prediction about bias."""

from __future__ import annotations

import copy
import inspect
import textwrap
from typing import Any

import torch
from torch import nn

from ..models import count_parameters, freeze
from ..pretrained import load_encoder
from .core import CheckResult, Exercise, Incorrect, ____, _show

__all__ = ["q1", "q2", "q3", "FreezeEncoder", "ProbeStep", "PredictWorseServed"]


def _model_with_new_head() -> nn.Module:
    model = load_encoder("source")
    model.head = nn.Linear(model.feature_dim, 5)
    return model


class FreezeEncoder(Exercise):
    """Freeze the encoder of a pretrained model and count what is left to train.

    The check inspects the model itself (its ``requires_grad`` flags), so a
    typed number without the freezing is not accepted. The model is not an
    answer with a placeholder but a name the notebook defines: :meth:`check`
    reads it from the notebook along with the answer, and :meth:`evaluate`
    takes it as the keyword ``exercise_model``.
    """

    variables = ("trainable_params",)
    model_name = "exercise_model"
    context = (model_name,)
    prompt = (
        "Freeze the encoder of `exercise_model` (its `.features`), then set `trainable_params` to the number "
        "of parameters that still require gradients."
    )
    hints = (
        "`freeze(module)` from `ppml_lessons.models` sets `requires_grad=False` on every parameter of a module.",
        "`count_parameters(model, trainable_only=True)` counts the parameters that still require gradients.",
    )
    solution_code = """
        freeze(exercise_model.features)
        trainable_params = count_parameters(exercise_model, trainable_only=True)
    """

    def namespace(self) -> dict[str, Any]:
        return {"exercise_model": _model_with_new_head(), "freeze": freeze, "count_parameters": count_parameters}

    def evaluate(self, *, exercise_model: Any = None, **answers: Any) -> CheckResult:
        self._model = exercise_model
        return super().evaluate(**answers)

    def check(self) -> None:
        caller = inspect.currentframe()
        scope = caller.f_back.f_globals if caller is not None and caller.f_back is not None else {}
        answers = {name: scope.get(name, ____) for name in self.variables}
        result = self.evaluate(exercise_model=scope.get(self.model_name), **answers)
        _show(result.markdown(), str(result))

    def reference_answers(self) -> dict[str, Any]:
        scope = dict(self.namespace())
        exec(textwrap.dedent(self.solution_code), scope)  # noqa: S102 - the course's own reference code
        return {self.model_name: scope[self.model_name], **{name: scope[name] for name in self.variables}}

    def check_answer(self, trainable_params: Any) -> None:
        exercise_model = self._model
        reference = _model_with_new_head()
        total = count_parameters(reference)
        encoder = count_parameters(reference.features)
        head = count_parameters(reference.head)
        if not isinstance(exercise_model, nn.Module) or not all(
            isinstance(getattr(exercise_model, part, None), nn.Module) for part in ("features", "head")
        ):
            raise Incorrect(
                "`exercise_model` should still be the model the cell made (a module with `.features` and `.head`); "
                "run that cell again."
            )
        if count_parameters(exercise_model) != total:
            raise Incorrect(f"`exercise_model` should have {total} parameters; rerun the cell that makes it.")
        if isinstance(trainable_params, bool) or not isinstance(trainable_params, int):
            raise Incorrect(f"`trainable_params` should be a whole number; got {trainable_params!r}")
        still_trainable = count_parameters(exercise_model.features, trainable_only=True)
        if still_trainable:
            raise Incorrect(
                f"{still_trainable} parameters of `exercise_model.features` still require gradients: the encoder "
                "is not frozen yet. Call `freeze(exercise_model.features)`, then count."
            )
        if count_parameters(exercise_model.head, trainable_only=True) != head:
            raise Incorrect("the new head is frozen too: freeze only the encoder, `exercise_model.features`.")
        if trainable_params == total:
            raise Incorrect(f"{total} is every parameter of the model: count only those that require gradients.")
        if trainable_params == encoder:
            raise Incorrect(f"{encoder} is the size of the encoder, the part you froze; count what is left.")
        if trainable_params != count_parameters(exercise_model, trainable_only=True):
            raise Incorrect(f"{trainable_params} is not the number of trainable parameters left.")


class ProbeStep(Exercise):
    """Write one training step of the linear probe."""

    variables = ("probe_step",)
    prompt = (
        "Complete `probe_step(head, features, labels, optimizer)`: one gradient step of cross-entropy on the "
        "head, returning the loss as a float."
    )
    hints = (
        "Four lines: compute the logits `head(features)`, the loss `nn.functional.cross_entropy(logits, labels)`, "
        "then the usual optimizer dance.",
        "`optimizer.zero_grad()` before `loss.backward()`, then `optimizer.step()`; return `loss.item()`.",
    )
    solution_code = """
        def probe_step(head, features, labels, optimizer):
            loss = nn.functional.cross_entropy(head(features), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item()
    """

    def namespace(self) -> dict[str, Any]:
        return {"nn": nn}

    @staticmethod
    def _problem(stale_gradients: bool) -> tuple[nn.Linear, torch.Tensor, torch.Tensor, torch.optim.Optimizer]:
        generator = torch.Generator().manual_seed(0)
        head = nn.Linear(6, 3)
        with torch.no_grad():
            head.weight.copy_(torch.randn(3, 6, generator=generator))
            head.bias.zero_()
        features = torch.randn(8, 6, generator=generator)
        labels = torch.randint(0, 3, (8,), generator=generator)
        optimizer = torch.optim.SGD(head.parameters(), lr=0.5)
        if stale_gradients:  # left over from an earlier step: a missing zero_grad() shows
            for parameter in head.parameters():
                parameter.grad = torch.ones_like(parameter)
        return head, features, labels, optimizer

    def check_answer(self, probe_step: Any) -> None:
        if not callable(probe_step):
            raise Incorrect("`probe_step` should be a function (head, features, labels, optimizer) -> float.")
        head, features, labels, optimizer = self._problem(stale_gradients=True)
        start = copy.deepcopy(head.state_dict())
        loss = self.call(probe_step, head, features, labels, optimizer)
        reference, ref_features, ref_labels, _ = self._problem(stale_gradients=False)
        expected_loss = nn.functional.cross_entropy(reference(ref_features), ref_labels)
        expected_loss.backward()
        with torch.no_grad():
            expected = {name: p - 0.5 * p.grad for name, p in reference.named_parameters()}
        if all(torch.equal(head.state_dict()[k], start[k]) for k in start):
            raise Incorrect("the head's weights did not change: call `optimizer.step()` after `loss.backward()`.")
        if not all(torch.allclose(head.state_dict()[k], expected[k], atol=1e-6) for k in expected):
            stale = {k: expected[k] - 0.5 for k in expected}
            if all(torch.allclose(head.state_dict()[k], stale[k], atol=1e-6) for k in stale):
                raise Incorrect("old gradients were added to the new ones: call `optimizer.zero_grad()` first.")
            raise Incorrect("the update differs from one SGD step on the cross-entropy of `head(features)`.")
        try:
            value = float(loss)
        except (TypeError, ValueError):
            raise Incorrect(f"return the loss as a float (`loss.item()`); got {type(loss).__name__}") from None
        if abs(value - expected_loss.item()) > 1e-5:
            raise Incorrect(f"the step is right, but it returned {value:.4f} instead of the loss before the step.")


class PredictWorseServed(Exercise):
    """Predict which subgroup an encoder that rarely saw inverted images will serve worse after transfer."""

    variables = ("worse_served",)
    prompt = (
        "Before running the experiment, set `worse_served` to the subgroup you expect the skewed encoder "
        "(1% inverted images in pretraining) to serve worse after transfer: 'plain' or 'inverted'."
    )
    hints = (
        "What did the encoder see during pretraining, 99% of the time?",
        "Features are learned from the data the encoder saw; a linear probe can only combine them.",
    )
    solution_code = """
        worse_served = "inverted"
    """

    def check_answer(self, worse_served: Any) -> None:
        if worse_served not in ("plain", "inverted"):
            raise Incorrect(f"answer 'plain' or 'inverted'; got {worse_served!r}")
        if worse_served == "plain":
            raise Incorrect(
                "plain images were 99% of the skewed encoder's pretraining data; it learned their features "
                "well. Think about the 1%."
            )


q1 = FreezeEncoder()
q2 = ProbeStep()
q3 = PredictWorseServed()
