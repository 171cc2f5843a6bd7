import copy

from torch import nn

from ppml_lessons.exercises.lesson01 import q1
from ppml_lessons.models import count_parameters, freeze


def _no_zero_grad(head, features, labels, optimizer):
    loss = nn.functional.cross_entropy(head(features), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_step(head, features, labels, optimizer):
    loss = nn.functional.cross_entropy(head(features), labels)
    optimizer.zero_grad()
    loss.backward()
    return loss.item()


def _wrong_loss(head, features, labels, optimizer):
    loss = nn.functional.mse_loss(head(features), nn.functional.one_hot(labels, 3).float())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _returns_tensor(head, features, labels, optimizer):
    loss = nn.functional.cross_entropy(head(features), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return [loss.item()]


_untouched = q1.namespace()["exercise_model"]  # nothing frozen yet
_frozen = copy.deepcopy(_untouched)
freeze(_frozen.features)
_all_frozen = freeze(copy.deepcopy(_untouched))
_HEAD = count_parameters(_untouched.head)

WRONG_ANSWERS = {
    "q1": [
        # the typed answer without freezing: the right number, but the encoder still trains
        ({"exercise_model": _untouched, "trainable_params": _HEAD}, "not frozen yet"),
        ({"exercise_model": _untouched, "trainable_params": count_parameters(_untouched)}, "not frozen yet"),
        ({"exercise_model": _all_frozen, "trainable_params": 0}, "head is frozen too"),
        ({"exercise_model": _frozen, "trainable_params": count_parameters(_frozen)}, "every parameter"),
        ({"exercise_model": _frozen, "trainable_params": count_parameters(_frozen.features)}, "size of the encoder"),
        ({"exercise_model": _frozen, "trainable_params": 1440}, "not the number"),
        ({"exercise_model": _frozen, "trainable_params": "1445"}, "whole number"),
        ({"exercise_model": "model", "trainable_params": _HEAD}, "still be the model"),
        ({"exercise_model": nn.Linear(3, 2), "trainable_params": _HEAD}, "still be the model"),
    ],
    "q2": [
        ({"probe_step": _no_zero_grad}, "zero_grad"),
        ({"probe_step": _no_step}, "optimizer.step()"),
        ({"probe_step": _wrong_loss}, "cross-entropy"),
        ({"probe_step": _returns_tensor}, "as a float"),
        ({"probe_step": 3}, "should be a function"),
    ],
    "q3": [
        ({"worse_served": "plain"}, "99%"),
        ({"worse_served": "B"}, "'plain' or 'inverted'"),
    ],
}


def test_reference_count_is_the_new_heads_size():
    answers = q1.reference_answers()
    assert answers["trainable_params"] == 288 * 5 + 5
    assert not any(p.requires_grad for p in answers["exercise_model"].features.parameters())


def test_q1_accepts_the_freezing_done_any_way():
    model = q1.namespace()["exercise_model"]
    for parameter in model.features.parameters():
        parameter.requires_grad = False
    assert q1.evaluate(exercise_model=model, trainable_params=_HEAD).correct
    assert _untouched is not model and any(p.requires_grad for p in _untouched.features.parameters())
