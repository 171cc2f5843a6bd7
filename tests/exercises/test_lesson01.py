from torch import nn

from ppml_lessons.exercises.lesson01 import q1


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


_model = q1.namespace()["exercise_model"]

WRONG_ANSWERS = {
    "q1": [
        ({"trainable_params": sum(p.numel() for p in _model.parameters())}, "every parameter"),
        ({"trainable_params": sum(p.numel() for p in _model.features.parameters())}, "size of the encoder"),
        ({"trainable_params": 1440}, "not the number"),
        ({"trainable_params": "1445"}, "whole number"),
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
    assert q1.reference_answers()["trainable_params"] == 288 * 5 + 5
