import numpy as np
import pytest
import torch

from ppml_lessons.environment import environment_report, get_device, make_rng, seed_everything


def test_seed_everything_repeats_numpy_and_torch():
    seed_everything(7)
    first = (np.random.rand(3), torch.rand(3))
    seed_everything(7)
    second = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert seed_everything(7).integers(1000) == np.random.default_rng(7).integers(1000)


def test_seed_everything_validates():
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)
    with pytest.raises(TypeError, match="seed"):
        seed_everything(1.5)


def test_make_rng():
    assert make_rng(3).random() == make_rng(3).random()
    generator = np.random.default_rng(0)
    assert isinstance(make_rng(generator), np.random.Generator)
    with pytest.raises(TypeError, match="rng"):
        make_rng("seed")
    with pytest.raises(ValueError, match="rng"):
        make_rng(-2)


def test_device_choice(monkeypatch):
    assert get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("PPML_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("PPML_DEVICE", "tpu")
    with pytest.raises(ValueError, match="PPML_DEVICE"):
        get_device()
    with pytest.raises(ValueError, match="prefer"):
        get_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_is_never_required(monkeypatch):
    monkeypatch.delenv("PPML_DEVICE", raising=False)
    assert get_device() == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        get_device("cuda")


def test_environment_report_lists_versions():
    report = environment_report().set_index("item")["value"]
    assert report["torch"] == torch.__version__.split("+")[0] or report["torch"] == torch.__version__
    assert int(report["CPU cores"]) >= 1
