import pytest
import torch
from torch import nn

from ppml_lessons.models import SmallCNN, count_parameters, freeze
from ppml_lessons.transfer import (
    AugmentedTensors,
    extract_features,
    fine_tune,
    learning_curve,
    per_class_indices,
    style_mask,
    stylize,
    task_data,
    train_linear_probe,
    train_scratch,
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


def test_heads_have_the_right_shape_and_fine_tuning_leaves_the_encoder_alone():
    encoder = SmallCNN(5).features
    before = [p.clone() for p in encoder.parameters()]
    x, y = torch.rand(10, 1, 28, 28), torch.arange(10) % 5
    head = train_linear_probe(extract_features(encoder, x), y, steps=3)
    assert (head.in_features, head.out_features) == (288, 5)
    model = fine_tune(encoder, head, x, y, steps=2, batch_size=5)
    assert model(x).shape == (10, 5)
    assert all(torch.equal(a, b) for a, b in zip(before, encoder.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.features.parameters(), strict=True))
    assert train_scratch(x, y, steps=1, batch_size=5, augment=True)(x).shape == (10, 5)


def test_learning_curve_rows():
    x, y = torch.rand(30, 1, 28, 28), torch.arange(30) % 5
    curve = learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[1, 2], seeds=[0, 1], max_steps=100,
                           finetune_steps=1, progress=False)
    assert len(curve) == 3 * 2 * 2
    assert curve["accuracy"].between(0, 1).all()
    with pytest.raises(ValueError, match="methods"):
        learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[1], seeds=[0], methods=["knn"])
