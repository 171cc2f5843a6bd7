#!/usr/bin/env python3
"""Regenerate the pretrained encoders in ppml_lessons/pretrained/ (lesson 01, reused by lesson 04).

    .venv/bin/python tools/pretrain_encoders.py            # all seven, about 5 minutes on 2 cores
    .venv/bin/python tools/pretrain_encoders.py source     # only the main one

Every encoder is a SmallCNN trained on the source task (Fashion-MNIST classes
0-4) with a fixed seed:

- ``source``: plain images, seed 0; the encoder lesson 01 transfers and lesson 04 reuses;
- ``skewed-<s>``: 1% of the source images inverted, seeds 0, 1, 2;
- ``balanced-<s>``: 50% of the source images inverted, seeds 0, 1, 2.

The script writes each state dict and records its settings, SHA-256 and
source test accuracy in encoders.json.
"""

from __future__ import annotations

import hashlib
import json
import sys

import torch

from ppml_lessons.pretrained import FOLDER, pretrain_encoder

EPOCHS = 3
SPECS = {"source": {"style_fraction": 0.0, "seed": 0}}
for s in range(3):
    SPECS[f"skewed-{s}"] = {"style_fraction": 0.01, "seed": s}
    SPECS[f"balanced-{s}"] = {"style_fraction": 0.5, "seed": s}


def main(names: list[str]) -> int:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    path = FOLDER / "encoders.json"
    entries = json.loads(path.read_text()) if path.exists() else {}
    for name in names or list(SPECS):
        spec = SPECS[name]
        model, accuracy = pretrain_encoder(style="inverted", epochs=EPOCHS, **spec)
        file = FOLDER / f"encoder-{name}.pt"
        torch.save(model.state_dict(), file)
        entries[name] = {
            "file": file.name,
            "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
            "style": "inverted",
            **spec,
            "epochs": EPOCHS,
            "source_test_accuracy": {k: round(v, 4) for k, v in accuracy.items()},
        }
        print(name, entries[name]["source_test_accuracy"], flush=True)
        path.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
