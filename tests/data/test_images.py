import gzip

import pytest
import torch
from torchvision.datasets.mnist import read_image_file, read_label_file
from torchvision.transforms import ToTensor

from ppml_lessons.data import FASHION_MNIST_CLASSES, data_path, load_fashion_mnist


@pytest.mark.parametrize(("train", "size"), [(True, 60000), (False, 10000)])
def test_split_sizes_and_balance(train, size):
    dataset = load_fashion_mnist(train=train)
    assert len(dataset) == size
    assert torch.equal(dataset.targets.bincount(), torch.full((10,), size // 10))
    assert dataset.classes == FASHION_MNIST_CLASSES


def test_pixels_equal_torchvisions_own_reader(tmp_path):
    """Decode the test split with torchvision's IDX reader and compare every pixel."""
    for kind, reader, attribute in [("images-idx3", read_image_file, "data"), ("labels-idx1", read_label_file, "targets")]:
        raw = tmp_path / f"t10k-{kind}-ubyte"
        raw.write_bytes(gzip.decompress(data_path(f"fashion-mnist/t10k-{kind}-ubyte.gz").read_bytes()))
        assert torch.equal(reader(str(raw)).long(), getattr(load_fashion_mnist(train=False), attribute).long())


def test_item_goes_through_the_transform():
    dataset = load_fashion_mnist(train=False, transform=ToTensor(), target_transform=lambda y: y + 100)
    image, label = dataset[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert label == int(dataset.targets[0]) + 100
    x, y = dataset.tensors()
    assert torch.allclose(x[0], image)


def test_bad_arguments():
    with pytest.raises(TypeError, match="train"):
        load_fashion_mnist(train=1)
    with pytest.raises(TypeError, match="transform"):
        load_fashion_mnist(transform="ToTensor")
