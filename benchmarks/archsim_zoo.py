"""Architecture similarity over the whole zoo: the CLI run cold and warm, and a results page.

Runs ``python -m neurn_keras.archsim`` twice on every zoo model, first with an empty cache
(every model is built), then again (sequences read from the cache), timing both, and
keeps what the page needs in ``docs/results/archsim/``: the similarity matrix, each
model's number of layers, the groups with identical sequences, the VGG16/VGG19
alignment, the times. ``docs/results/archsim.md`` (with the clustered heatmap, each
model's nearest neighbour and what NeuRN changes) is made from those files alone.

    python -m benchmarks.archsim_zoo --verify-input-size   # measure (also rebuild keras
                                                           # models at their default size)
    python -m benchmarks.archsim_zoo --report-only         # the page from the files
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from scipy.stats import spearmanr

from benchmarks.results import RESULTS, ROOT, markdown_table, write_figure, write_page
from neurn_keras.files import atomic_write, atomic_write_text

PAGE_NAME = "archsim.md"
FIGURE_NAME = "archsim_clustermap.png"
MATRIX_NAME = "archsim_similarity.csv"
INPUTS = RESULTS / "archsim" / "inputs.json"
"""What the page is made from besides the matrix (``measure`` writes it)."""


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


def depth_cap(a: int, b: int) -> float:
    """The largest index two sequences of lengths ``a`` and ``b`` can reach: shorter over
    longer."""
    return min(a, b) / max(a, b)


def nearest_table(matrix, lengths) -> str:
    rows = []
    for name in matrix.index:
        others = matrix.loc[name].drop(name)
        nearest = others.idxmax()
        cap = depth_cap(lengths[name], lengths[nearest])
        rows.append(
            [f"`{name}`", lengths[name], f"`{nearest}`", f"{others.max():.3f}", f"{cap:.3f}"]
        )
    header = ["model", "layers", "nearest neighbour", "index", "depth-ratio cap"]
    return markdown_table(header, rows)


def identical_groups(sequences) -> list[list[str]]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, tokens in sequences.items():
        groups.setdefault(tuple(tokens), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def neurn_table(matrix, lengths) -> str:
    rows = []
    for name in matrix.index:
        if not name.startswith("nk.") or name.endswith("+NeuRN"):
            continue
        keras_models = [n for n in matrix.index if not n.startswith("nk.")]
        closest = matrix.loc[name, keras_models].idxmax()
        rows.append(
            [
                f"`{name}`",
                lengths[name],
                f"{matrix.loc[name, name + '+NeuRN']:.3f}",
                f"`{closest}` ({matrix.loc[name, closest]:.3f})",
            ]
        )
    header = ["backbone", "layers", "index with vs without NeuRN", "closest keras.applications"]
    return markdown_table(header, rows)


def build_page(matrix, inputs: dict) -> str:
    lengths, differ = inputs["lengths"], inputs["differ"]
    names = list(matrix.index)
    n_project = sum(n.startswith("nk.") for n in names)
    n_keras = len(names) - n_project
    upper = np.triu_indices(len(names), 1)
    values = matrix.to_numpy()[upper]
    caps = np.array(
        [depth_cap(lengths[names[i]], lengths[names[j]]) for i, j in zip(*upper, strict=True)]
    )
    rho = spearmanr(values, caps).statistic
    share_at_cap = np.mean(values >= caps - 0.05)
    groups = inputs["identical_groups"]
    resnet50_nearest = matrix.loc["ResNet50"].drop("ResNet50").idxmax()
    cold, warm = inputs["seconds"]["cold"], inputs["seconds"]["warm"]
    summary = (
        f"{len(names)} architectures: the {n_keras} constructors of `keras.applications` in "
        f"keras {inputs['versions']['keras']} and {n_project // 2} project backbones without "
        "and with "
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

{neurn_table(matrix, lengths)}

## Nearest neighbours

{nearest_table(matrix, lengths)}

## VGG16 against VGG19

VGG19 has one more Conv2D and ReLU in each of its last three blocks.

```
{inputs["alignment_text"].rstrip()}
```

## Input size

The keras.applications models are built at 32×32 (75×75 for InceptionV3 and
InceptionResNetV2, 71×71 for Xception). {verify}
"""
    return body


def measure(models: list[str] | None, verify: bool) -> None:
    """Runs the CLI cold and warm and keeps what the page needs in ``docs/results/``."""
    import pandas as pd

    from neurn_keras.environment import versions

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cold = run_cli(tmp / "cold", tmp / "cache", models)
        warm = run_cli(tmp / "warm", tmp / "cache", models)
        matrix = pd.read_csv(tmp / "cold" / "similarity.csv", index_col=0)
        again = pd.read_csv(tmp / "warm" / "similarity.csv", index_col=0)
        if not matrix.equals(again):
            raise SystemExit("archsim_zoo: the cached run gave another matrix than the cold one")
        sequences = json.loads((tmp / "cold" / "sequences.json").read_text())
        alignment_text = (tmp / "cold" / "alignment_VGG16_VGG19.txt").read_text()
        copy_atomic(tmp / "cold" / "similarity.csv", RESULTS / MATRIX_NAME)
    inputs = {
        "lengths": {name: len(tokens) for name, tokens in sequences.items()},
        "identical_groups": identical_groups(sequences),
        "alignment_text": alignment_text,
        "seconds": {"cold": round(cold, 1), "warm": round(warm, 1)},
        "differ": verify_input_size(sequences) if verify else None,
        "versions": versions(),
        "platform": f"{platform.platform()}; {platform.processor() or platform.machine()}",
    }
    INPUTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(INPUTS, json.dumps(inputs, indent=1, sort_keys=True) + "\n")


def report() -> None:
    """The page and the clustered heatmap, from the matrix and ``inputs.json``."""
    import pandas as pd

    from neurn_keras.archsim.figures import clustermap

    matrix = pd.read_csv(RESULTS / MATRIX_NAME, index_col=0)
    inputs = json.loads(INPUTS.read_text(encoding="utf-8"))
    write_figure(clustermap(matrix).figure, RESULTS / FIGURE_NAME)
    write_page(RESULTS / PAGE_NAME, "Architecture similarity over the model zoo",
               build_page(matrix, inputs), [(inputs["versions"], inputs["platform"])])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only write the page and its figure, from docs/results/archsim/",
    )
    parser.add_argument(
        "--verify-input-size",
        action="store_true",
        help="rebuild each keras.applications model at its default input size and compare",
    )
    parser.add_argument(
        "--models", nargs="+", metavar="NAME", help="a subset, for a smoke check (default: all)"
    )
    args = parser.parse_args(argv)
    if not args.report_only:
        measure(args.models, args.verify_input_size)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
