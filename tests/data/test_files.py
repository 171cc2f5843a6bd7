import hashlib
import re
import shutil
from pathlib import Path

import pytest

from ppml_lessons.data import FILES, DataFileError, checksum_report, data_dir, data_path, load_german

REPO = Path(__file__).resolve().parents[2]


def test_every_file_is_intact():
    report = checksum_report()
    assert list(report["status"]) == ["ok"] * len(FILES)


def test_checksums_match_data_readme():
    """The registry in the code and the table in data/README.md must agree."""
    readme = (REPO / "data" / "README.md").read_text()
    recorded = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})\s+(\S+)$", readme, re.M))
    assert recorded == FILES


def test_checksums_are_those_of_the_files_on_disk():
    for name, expected in FILES.items():
        assert hashlib.sha256((data_dir() / name).read_bytes()).hexdigest() == expected, name


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    monkeypatch.setenv("PPML_DATA_DIR", str(copy))
    return copy


def test_altered_file_is_refused_with_its_name_and_a_fix(data_copy):
    target = data_copy / "german" / "german.data"
    content = bytearray(target.read_bytes())
    content[10] ^= 1
    target.write_bytes(bytes(content))
    with pytest.raises(DataFileError, match=r"german/german.data is altered.*git checkout -- data/german/german.data"):
        load_german()
    assert checksum_report().set_index("file").loc["german/german.data", "status"] == "altered"


def test_missing_file_is_refused_with_its_name(data_copy):
    (data_copy / "german" / "values_maps.json").unlink()
    with pytest.raises(DataFileError, match=r"german/values_maps.json is missing"):
        load_german()
    assert checksum_report().set_index("file").loc["german/values_maps.json", "status"] == "missing"


def test_unknown_file_name():
    with pytest.raises(ValueError, match="name must be one of"):
        data_path("adult/adult.csv")
