"""python -m neurn_keras.demo and its gallery: every digit domain, said to be NeuRN output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurn_keras import visualize
from neurn_keras.cli import demo


def test_gallery_title_says_the_columns_are_neurn_output():
    images = {"a": np.zeros((12, 12, 1), np.uint8), "b": np.full((12, 12, 3), 200, np.uint8)}
    fig = visualize.neurn_gallery(images, kernel_sizes=(3, 5), paddings=("reflect",))
    title = fig._suptitle.get_text()
    assert title.startswith("NeuRN output") and "window size k" in title
    headings = [ax.get_title() for ax in fig.axes[:3]]
    assert headings == ["raw pixels", "NeuRN k=3\nreflect padding", "NeuRN k=5\nreflect padding"]
    assert [fig.axes[i].get_ylabel() for i in (0, 3)] == ["a", "b"]
    plt.close(fig)


def test_demo_shows_every_domain_with_syn_render(real_data_dir, tmp_path, monkeypatch, capsys):
    shown, draw = {}, visualize.neurn_gallery

    def gallery(images, **kwargs):
        shown.update(images)
        return draw(images, kernel_sizes=(3,), paddings=("reflect",))

    monkeypatch.setattr(visualize, "neurn_gallery", gallery)
    code = demo.main(
        ["--data-dir", str(real_data_dir), "--output", str(tmp_path), "--per-domain", "1"]
    )
    assert code == 0
    assert (tmp_path / "neurn_gallery.png").read_bytes()[:4] == b"\x89PNG"
    domains = [label.split("\n")[0] for label in shown]
    present = [
        name
        for name in ("mnist", "usps", "svhn", "mnist_m")
        if (real_data_dir / f"{name}.npz").exists()
    ]
    assert domains == [*present, "syn_render (ours)"]
    assert all(label.split("\n")[1].startswith("#1: digit ") for label in shown)


def test_demo_without_digit_data_exits_2(tmp_path, capsys):
    code = demo.main(["--data-dir", str(tmp_path), "--output", str(tmp_path / "out")])
    assert code == 2
    assert "no digit data found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("per_domain", ["100000"])
def test_more_images_than_a_test_split_holds_is_a_usage_error(real_data_dir, per_domain, capsys):
    code = demo.main(["--data-dir", str(real_data_dir), "--per-domain", per_domain])
    assert code == 2
    assert "--per-domain" in capsys.readouterr().err
