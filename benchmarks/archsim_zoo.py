"""Architecture similarity over the whole zoo: the CLI run cold and warm, and a results page.

Runs ``python -m neurn_keras.archsim`` twice on every zoo model, first with an empty cache
(every model is built), then again (sequences read from the cache), timing both, and
writes ``docs/results/archsim.md`` with the clustered heatmap, the matrix as CSV, each
model's nearest neighbour, the VGG16/VGG19 alignment and what NeuRN changes.

    python -m benchmarks.archsim_zoo                       # the page, figure and CSV
    python -m benchmarks.archsim_zoo --verify-input-size   # also rebuild keras models at
                                                           # their default input size
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from scipy.stats import spearmanr

from benchmarks._report import ROOT, markdown_table, write_page
from neurn_keras.files import atomic_write

RESULTS = ROOT / "docs" / "results"
PAGE_NAME = "archsim.md"
FIGURE_NAME = "archsim_clustermap.png"
MATRIX_NAME = "archsim_similarity.csv"


def run_cli(output: Path, cache: Path, models: list[str] | None) -> float:
    """Runs the command line once; returns its wall time in seconds."""
    command = [sys.executable, "-m", "neurn_keras.archsim", "--output", str(output)]
    command += ["--cache-dir", str(cache)] + (["--models", *models] if models else [])
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - start


def copy_atomic(source: Path, target: Path) -> None:
    atomic_write(target, lambda temporary: shutil.copyfile(source, temporary), target.suffix)


def verify_input_size(sequences: dict[str, list[str]]) -> list[str]:
    """Names of keras.applications models whose sequence differs at the default input size."""
    import keras
    from tqdm import tqdm

    from neurn_keras.archsim import keras_application_models, layer_sequence

    differ = []
    names = [n for n in keras_application_models() if n in sequences]
    for name in tqdm(names, desc="default input size"):
        with keras.StatelessScope():
            model = getattr(keras.applications, name)(weights=None)
        if list(layer_sequence(model)) != sequences[name]:
            differ.append(name)
        del model
        keras.backend.clear_session()
    return differ


def depth_cap(a: list[str], b: list[str]) -> float:
    """The largest index two sequences of these lengths can reach: shorter over longer."""
    return min(len(a), len(b)) / max(len(a), len(b))


def nearest_table(matrix, sequences) -> str:
    rows = []
    for name in matrix.index:
        others = matrix.loc[name].drop(name)
        nearest = others.idxmax()
        cap = depth_cap(sequences[name], sequences[nearest])
        rows.append(
            [f"`{name}`", len(sequences[name]), f"`{nearest}`", f"{others.max():.3f}", f"{cap:.3f}"]
        )
    header = ["model", "layers", "nearest neighbour", "index", "depth-ratio cap"]
    return markdown_table(header, rows)


def identical_groups(sequences) -> list[list[str]]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, tokens in sequences.items():
        groups.setdefault(tuple(tokens), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def neurn_table(matrix, sequences) -> str:
    rows = []
    for name in matrix.index:
        if not name.startswith("nk.") or name.endswith("+NeuRN"):
            continue
        keras_models = [n for n in matrix.index if not n.startswith("nk.")]
        closest = matrix.loc[name, keras_models].idxmax()
        rows.append(
            [
                f"`{name}`",
                len(sequences[name]),
                f"{matrix.loc[name, name + '+NeuRN']:.3f}",
                f"`{closest}` ({matrix.loc[name, closest]:.3f})",
            ]
        )
    header = ["backbone", "layers", "index with vs without NeuRN", "closest keras.applications"]
    return markdown_table(header, rows)


def build_page(matrix, sequences, alignment_text, times, differ) -> str:
    import keras

    names = list(matrix.index)
    n_project = sum(n.startswith("nk.") for n in names)
    n_keras = len(names) - n_project
    upper = np.triu_indices(len(names), 1)
    values = matrix.to_numpy()[upper]
    caps = np.array(
        [depth_cap(sequences[names[i]], sequences[names[j]]) for i, j in zip(*upper, strict=True)]
    )
    rho = spearmanr(values, caps).statistic
    share_at_cap = np.mean(values >= caps - 0.05)
    groups = identical_groups(sequences)
    resnet50_nearest = matrix.loc["ResNet50"].drop("ResNet50").idxmax()
    cold, warm = times
    summary = (
        f"{len(names)} architectures: the {n_keras} constructors of `keras.applications` in "
        f"keras {keras.__version__} and {n_project // 2} project backbones without and with "
        f"NeuRN (`nk.<name>`, `nk.<name>+NeuRN`). `python -m neurn_keras.archsim` took "
        f"**{cold:.0f} s** with an empty cache (every model built with `weights=None`, one "
        f"at a time) and **{warm:.0f} s** run again (sequences from the cache)."
    )
    verify = (
        "Not checked in this run (`--verify-input-size`)."
        if differ is None
        else (
            f"Checked: all {n_keras} keras.applications sequences at these sizes equal those "
            "at the default input size (`--verify-input-size`)."
            if not differ
            else "These differ at the default input size: " + ", ".join(differ) + "."
        )
    )
    body = f"""{summary}

The index of two architectures is the number of matched positions over the length of
their global (Needleman–Wunsch) alignment, with match +1, mismatch −1, gap −1; layer
types as tokens (see `neurn_keras/archsim/sequence.py`). Keras 3 has no RegNet
constructors (tf.keras 2.x had 24), which is why the zoo has {n_keras} keras models, not
the paper's 44.

![clustered similarity matrix]({FIGURE_NAME})

The matrix: [{MATRIX_NAME}]({MATRIX_NAME}). Clustering: average linkage on
1 − index.

## The index is capped by the depth ratio

Two sequences of lengths n ≤ m need at least m alignment columns and have at most n
matches, so their index is at most n/m. Over all {len(values)} pairs, the index and this
depth-ratio cap have Spearman correlation {rho:.2f}, and {share_at_cap:.0%} of the pairs
are within 0.05 of their cap. ResNet50 finds every one of its layers in ResNet101 and
still scores {matrix.loc["ResNet50", "ResNet101"]:.3f} against it (its cap), while its
nearest neighbour is {resnet50_nearest} ({matrix.loc["ResNet50", resnet50_nearest]:.3f}).
Read it as "similar depth and layer pattern" rather than "same family".

Sequences of layer types do not see widths or kernel sizes: these groups have identical
sequences (index 1): {"; ".join(", ".join(g) for g in groups) or "none"}.

## NeuRN and the project's backbones

NeuRN adds one token in front of a backbone, so with and without NeuRN the index is
n/(n+1).

{neurn_table(matrix, sequences)}

## Nearest neighbours

{nearest_table(matrix, sequences)}

## VGG16 against VGG19

VGG19 has one more Conv2D and ReLU in each of its last three blocks.

```
{alignment_text.rstrip()}
```

## Input size

The keras.applications models are built at 32×32 (75×75 for InceptionV3 and
InceptionResNetV2, 71×71 for Xception). {verify}
"""
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--verify-input-size",
        action="store_true",
        help="rebuild each keras.applications model at its default input size and compare",
    )
    parser.add_argument(
        "--models", nargs="+", metavar="NAME", help="a subset, for a smoke check (default: all)"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where the page goes (docs/results)"
    )
    args = parser.parse_args(argv)
    results = args.results_dir

    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cold = run_cli(tmp / "cold", tmp / "cache", args.models)
        warm = run_cli(tmp / "warm", tmp / "cache", args.models)
        matrix = pd.read_csv(tmp / "cold" / "similarity.csv", index_col=0)
        again = pd.read_csv(tmp / "warm" / "similarity.csv", index_col=0)
        if not matrix.equals(again):
            raise SystemExit("archsim_zoo: the cached run gave another matrix than the cold one")
        sequences = json.loads((tmp / "cold" / "sequences.json").read_text())
        alignment_text = (tmp / "cold" / "alignment_VGG16_VGG19.txt").read_text()
        copy_atomic(tmp / "cold" / "similarity_clustermap.png", results / FIGURE_NAME)
        copy_atomic(tmp / "cold" / "similarity.csv", results / MATRIX_NAME)
    differ = verify_input_size(sequences) if args.verify_input_size else None
    body = build_page(matrix, sequences, alignment_text, (cold, warm), differ)
    write_page(results / PAGE_NAME, "Architecture similarity over the model zoo", body)
    print(f"wrote {results / PAGE_NAME}, {FIGURE_NAME}, {MATRIX_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
