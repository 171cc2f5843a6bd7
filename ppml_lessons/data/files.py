"""Where the course's data files live, and SHA-256 verification of each one.

Every file a loader reads is listed in :data:`FILES` with the checksum recorded
in ``data/README.md``. :func:`data_path` returns a file's path only after its
checksum matches, so a lesson never trains on a truncated or altered file.
Nothing here reaches the network.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._validation import check_option

__all__ = ["FILES", "DataFileError", "data_dir", "data_path", "checksum_report"]

#: Relative path under ``data/`` -> SHA-256 of the file as committed.
FILES: dict[str, str] = {
    "adult/adult.data.gz": "c7a2b4716a97f930123e0baf879188d701e798172631a654fc703d4b082907f3",
    "adult/adult.test.gz": "8a2c1bffa6e7ce5abfa43881ae5e87c4311ebc2b3cd526c9c40a43f19f06f799",
    "adult/adult.names": "c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a",
    "german/german.data": "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
    "german/values_maps.json": "73a48f120cdb8019fb9f0ad84078ef1ba109f1100bbcc6cbcf925d60e6adcd4e",
    "compas/compas-scores-two-years.csv.gz": "706137877c1ffafbb8580f2523644bbe34e639dad00922abc6079f8f31d75514",
    "fashion-mnist/train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "fashion-mnist/train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "fashion-mnist/t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

_RESTORE = (
    "Restore it from the course repository (for example `git checkout -- data/{name}`, "
    "or download the repository again), or set PPML_DATA_DIR to a folder holding an intact copy."
)


class DataFileError(RuntimeError):
    """A data file is missing or its SHA-256 does not match ``data/README.md``."""


def data_dir() -> Path:
    """The folder holding the course data.

    ``$PPML_DATA_DIR`` if set, else the ``data/`` folder at the top of the
    course repository (the package is installed in editable mode from there).

    Examples
    --------
    >>> data_dir().name
    'data'
    """
    override = os.environ.get("PPML_DATA_DIR")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _verified(path: Path, size: int, mtime_ns: int, expected: str) -> bool:
    # Cached on (path, size, mtime) so a lesson that loads the same file twice
    # hashes it once, while a file changed on disk is hashed again.
    return _sha256(path) == expected


def data_path(name: str) -> Path:
    """Return the path of a course data file after verifying its SHA-256.

    Parameters
    ----------
    name : str
        Path relative to the data folder, one of the keys of :data:`FILES`,
        e.g. ``"adult/adult.data.gz"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If ``name`` is not a known data file.
    DataFileError
        If the file is missing or its checksum differs; the message names the
        file and says how to restore it.

    Examples
    --------
    >>> data_path("german/german.data").name
    'german.data'
    """
    check_option("name", name, FILES)
    path = data_dir() / name
    if not path.is_file():
        raise DataFileError(f"data file {name} is missing: expected it at {path}. " + _RESTORE.format(name=name))
    stat = path.stat()
    if not _verified(path, stat.st_size, stat.st_mtime_ns, FILES[name]):
        raise DataFileError(
            f"data file {name} is altered: its SHA-256 is {_sha256(path)}, "
            f"but data/README.md records {FILES[name]}. " + _RESTORE.format(name=name)
        )
    return path


def checksum_report() -> pd.DataFrame:
    """Check every data file and return one row each: file, size, whether it is intact.

    Used by lesson 00's environment check.

    Examples
    --------
    >>> report = checksum_report()
    >>> list(report.columns)
    ['file', 'size_kb', 'status']
    """
    rows = []
    for name in FILES:
        path = data_dir() / name
        try:
            data_path(name)
            status = "ok"
        except DataFileError as error:
            status = "missing" if "missing" in str(error) else "altered"
        size = round(path.stat().st_size / 1024, 1) if path.is_file() else float("nan")
        rows.append({"file": name, "size_kb": size, "status": status})
    return pd.DataFrame(rows)
