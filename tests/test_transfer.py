import pytest
import torch
from torch import nn

from ppml_lessons.models import SmallCNN, count_parameters, freeze
from ppml_lessons.transfer import (
    SETTINGS,
    AugmentedTensors,
    extract_features,
    per_class_indices,
    style_mask,
    stylize,
    task_data,
    validation_split,
)


def test_tasks_split_the_ten_classes():
    source_x, source_y, source_names = task_data("source", train=False)
    target_x, target_y, target_names = task_data("target", train=False)
    assert len(source_x) == len(target_x) == 5000
    assert set(source_names).isdisjoint(target_names) and len(source_names + target_names) == 10
    assert torch.equal(target_y.bincount(), torch.full((5,), 1000))
    assert len(task_data("source")[0]) == 30000


def test_freezing_really_stops_gradients():
    model = SmallCNN(5)
    freeze(model.features)
    loss = nn.functional.cross_entropy(model(torch.rand(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    assert all(p.grad is None for p in model.features.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.head.parameters())
    assert count_parameters(model, trainable_only=True) == 288 * 5 + 5


def test_styles():
    images = torch.rand(6, 1, 28, 28)
    assert torch.allclose(stylize(images, style="inverted"), 1 - images)
    low = stylize(images, style="low_contrast")
    assert low.std() < images.std() and torch.allclose(low.mean(dim=(1, 2, 3)), images.mean(dim=(1, 2, 3)), atol=0.02)
    assert torch.equal(stylize(images, style="plain"), images)
    with pytest.raises(ValueError, match="style"):
        stylize(images, style="blurred")


def test_style_mask_is_exact_and_seeded():
    mask = style_mask(30000, fraction=0.01, rng=3)
    assert int(mask.sum()) == 300
    assert torch.equal(mask, style_mask(30000, fraction=0.01, rng=3))
    with pytest.raises(ValueError, match="fraction"):
        style_mask(10, fraction=1.5)


def test_per_class_indices():
    labels = torch.tensor([0] * 10 + [1] * 10 + [2] * 3)
    idx = per_class_indices(labels, 3, rng=0)
    assert labels[idx].bincount().tolist() == [3, 3, 3]
    assert torch.equal(idx, per_class_indices(labels, 3, rng=0))
    with pytest.raises(ValueError, match=r"n_per_class must be an integer in \[1, 3\]"):
        per_class_indices(labels, 4)


def test_augmentation_keeps_shape_and_changes_pixels():
    image = torch.zeros(1, 1, 28, 28)
    image[..., :10] = 1.0  # an asymmetric image, so a flip or shift shows
    data = AugmentedTensors(image.repeat(50, 1, 1, 1), torch.zeros(50, dtype=torch.long))
    torch.manual_seed(0)
    outputs = torch.stack([data[i][0] for i in range(50)])
    assert outputs.shape == (50, 1, 28, 28)
    assert (outputs != image).flatten(1).any(dim=1).float().mean() > 0.5


def test_validation_split_is_per_class_disjoint_and_seeded():
    labels = torch.tensor([0] * 10 + [1] * 5 + [2] * 2)
    fit_idx, val_idx = validation_split(labels, rng=4)
    assert labels[val_idx].bincount().tolist() == [2, 1, 1]
    assert labels[fit_idx].bincount().tolist() == [8, 4, 1]
    assert set(fit_idx.tolist()).isdisjoint(val_idx.tolist())
    assert sorted(fit_idx.tolist() + val_idx.tolist()) == list(range(len(labels)))
    assert all(torch.equal(a, b) for a, b in zip(validation_split(labels, rng=4), (fit_idx, val_idx), strict=True))
    assert labels[validation_split(labels, fraction=0.5, max_per_class=3, rng=0)[1]].bincount().tolist() == [3, 2, 1]
    with pytest.raises(ValueError, match="at least 2 examples"):
        validation_split(torch.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match="fraction"):
        validation_split(labels, fraction=1.0)


def test_settings_give_both_cnn_methods_one_budget():
    for settings in SETTINGS.values():
        assert set(settings["budget"]) == {"max_steps", "eval_every", "patience", "batch_size"}
        assert settings["test_per_class"] <= 1000 and max(settings["sizes"]) <= 6000
    assert SETTINGS["full"]["budget"]["max_steps"] > SETTINGS["default"]["budget"]["max_steps"]
