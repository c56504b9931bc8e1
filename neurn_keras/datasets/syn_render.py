"""``syn_render``: our printed-digits renderer, a colour target domain that works offline.

In the spirit of SynDigits (Ganin & Lempitsky 2015) but *not* that dataset: digits are
drawn with the TrueType fonts matplotlib ships (DejaVu, STIX and Computer Modern
families), with random font, size, aspect, rotation, position, fill / outline /
background colours, neighbouring digits cut by the frame (as in house numbers), a
smooth colour field and line clutter in the background, Gaussian blur and pixel
noise. Always report it as "syn_render (ours)", never as SYN or SVHN.

Determinism: image ``i`` depends only on ``seed`` and ``i`` (parameters are drawn per
chunk of :data:`CHUNK` images from ``numpy.random.default_rng([seed, chunk])``, pixel
noise from ``default_rng([seed, chunk, 1])``), so
``render_digits(n, s)[:k]`` equals ``render_digits(k, s)``. The pixels also depend on
the font files and on FreeType/Pillow, so they can differ across matplotlib or Pillow
versions.

The domain's splits (:data:`SPLIT_SIZES`) use the seed
``int.from_bytes(sha256(b"neurn_keras/syn_render/<split>").digest()[:4], "big")``.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from neurn_keras.errors import InvalidValueError, MissingFileError

NAME = "syn_render"
CHUNK = 1024
SPLIT_SIZES = {"train": 25000, "test": 9000}
GLYPH_POINTS = 64  # font size at which the glyph bank is rasterised

# Fonts under matplotlib's mpl-data/fonts/ttf whose digits are ordinary lining figures
# (the others there are symbol, display or old-style-figure fonts).
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
    "cmr10.ttf",
    "cmb10.ttf",
    "cmss10.ttf",
    "cmti10.ttf",
    "cmtt10.ttf",
)


def split_seed(split: str) -> int:
    """The seed of a ``syn_render`` split, derived from its name."""
    digest = hashlib.sha256(f"neurn_keras/{NAME}/{split}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def font_paths() -> list[Path]:
    """The matplotlib font files used, in a fixed order (missing ones are skipped)."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    paths = [folder / name for name in FONT_FILES if (folder / name).is_file()]
    if not paths:
        raise MissingFileError(f"{NAME}: none of {FONT_FILES[:3]}... in {folder}")
    return paths


def _rasterise(font: ImageFont.FreeTypeFont, digit: str, stroke: int) -> np.ndarray:
    """(h, w, 2) uint8: the filled glyph and the glyph grown by ``stroke``, cropped alike."""
    side = GLYPH_POINTS * 3
    planes = []
    for width in (0, stroke):
        canvas = Image.new("L", (side, side), 0)
        ImageDraw.Draw(canvas).text(
            (side // 2, side // 2),
            digit,
            font=font,
            fill=255,
            anchor="mm",
            stroke_width=width,
            stroke_fill=255,
        )
        planes.append(np.asarray(canvas))
    both = np.stack(planes, axis=-1)
    rows = np.flatnonzero(both[..., 1].any(axis=1))
    cols = np.flatnonzero(both[..., 1].any(axis=0))
    return both[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


@functools.cache
def glyph_bank() -> tuple[tuple[np.ndarray, ...], ...]:
    """``bank[font][digit]``: (h, w, 2) fill and outline masks, rasterised once per process."""
    bank = []
    for path in font_paths():
        font = ImageFont.truetype(str(path), GLYPH_POINTS)
        stroke = max(2, round(0.05 * GLYPH_POINTS))
        bank.append(tuple(_rasterise(font, str(d), stroke) for d in range(10)))
    return tuple(bank)


def _draw_parameters(rng: np.random.Generator, n: int, n_fonts: int) -> dict[str, np.ndarray]:
    """Every random choice for ``n`` images, drawn at once."""
    u = rng.uniform

    def colours(*shape: int) -> np.ndarray:  # a random colour pulled towards a random grey
        grey = u(0, 255, (*shape, 1))
        return grey + u(0, 1, (*shape, 1)) * (u(0, 255, (*shape, 3)) - grey)

    bg = colours(n)
    fg = colours(n)
    luma = np.array([0.299, 0.587, 0.114])
    low_contrast = np.abs((fg - bg) @ luma) < 60
    extreme = np.where((bg @ luma)[:, None] > 127, u(0, 50, (n, 3)), u(205, 255, (n, 3)))
    fg = np.where(low_contrast[:, None], extreme, fg)
    return {
        "label": rng.integers(0, 10, n),
        "font": rng.integers(0, n_fonts, n),
        "height": u(0.5, 0.85, n),  # digit height / image side
        "stretch": np.exp(u(-0.2, 0.2, n)),  # horizontal scale
        "angle": np.deg2rad(u(-15, 15, n)),
        "shear": u(-0.2, 0.2, n),
        "shift": u(-0.08, 0.08, (n, 2)),  # centre offset / image side
        "neighbours": rng.integers(0, 10, (n, 2)),
        "has_neighbour": u(0, 1, (n, 2)) < 0.5,
        "gap": u(0.05, 0.35, (n, 2)),  # / glyph height
        "bg": bg,
        "fg": fg,
        "outline": np.where((u(0, 1, n) < 0.35)[:, None], colours(n), np.nan),
        "field": u(-1, 1, (n, 3, 3, 3)),  # smooth background colour field
        "field_strength": u(0, 70, n),
        "lines": u(0, 1, (n, 2)) < 0.4,
        "line_geometry": u(0, 1, (n, 2, 4)),  # point x, point y, angle, width
        "line_colour": colours(n, 2),
        "blur": u(0, 1.2, n),
        "noise": u(0, 8, n),
    }


def _glyph_masks(p: dict[str, list], i: int, size: int, bank, out: np.ndarray) -> None:
    """Write image ``i``'s fill and outline masks (uint8, antialiased 2x) into ``out``.

    The centre digit and its optional neighbours are laid side by side in a strip at the
    bank's resolution, then one affine warp (scale, stretch, shear, rotation, shift) maps
    the strip onto a (2 size)² canvas, which is halved by averaging.
    """
    font = bank[p["font"][i]]
    left, right = p["has_neighbour"][i]
    glyphs = [font[p["label"][i]]]
    gaps = []
    if left:
        glyphs.insert(0, font[p["neighbours"][i][0]])
        gaps.append(p["gap"][i][0])
    if right:
        glyphs.append(font[p["neighbours"][i][1]])
        gaps.append(p["gap"][i][1])
    height = max(g.shape[0] for g in glyphs)
    spaces = [round(gap * height) for gap in gaps] + [0]
    strip = np.zeros((height, sum(g.shape[1] for g in glyphs) + sum(spaces), 3), np.uint8)
    x = 0
    for k, (glyph, space) in enumerate(zip(glyphs, spaces, strict=True)):
        top = (height - glyph.shape[0]) // 2
        strip[top : top + glyph.shape[0], x : x + glyph.shape[1], :2] = glyph
        if k == int(left):
            cx, cy = x + glyph.shape[1] / 2, top + glyph.shape[0] / 2
        x += glyph.shape[1] + space
    big = 2 * size
    scale = p["height"][i] * big / glyphs[int(left)].shape[0]  # output px per glyph px
    # Forward (glyph -> output): rotate(angle) @ [[scale*stretch, scale*shear], [0, scale]].
    # PIL takes the inverse (output -> glyph): [[1/sx, -shear/sx], [0, 1/scale]] @ rotate(-angle).
    cos, sin = math.cos(p["angle"][i]), math.sin(p["angle"][i])
    sx, shear = scale * p["stretch"][i], p["shear"][i]
    a, b = (cos + shear * sin) / sx, (sin - shear * cos) / sx
    d, e = -sin / scale, cos / scale
    ox, oy = big / 2 + p["shift"][i][0] * big, big / 2 + p["shift"][i][1] * big
    coefficients = (a, b, cx - a * ox - b * oy, d, e, cy - d * ox - e * oy)
    warped = Image.fromarray(strip).transform(
        (big, big), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR
    )
    out[i] = np.asarray(warped.reduce(2))


def _paint_lines(image: np.ndarray, p: dict[str, np.ndarray]) -> None:
    """Paint up to two soft straight lines per image (background clutter), in place."""
    size = image.shape[1]
    grid = np.arange(size, dtype=np.float32) + 0.5
    for k in range(p["lines"].shape[1]):
        chosen = np.flatnonzero(p["lines"][:, k])
        px, py, turn, thickness = (p["line_geometry"][chosen, k, j, None, None] for j in range(4))
        normal_x, normal_y = -np.sin(np.pi * turn), np.cos(np.pi * turn)
        distance = np.abs((grid - px * size) * normal_x + (grid[:, None] - py * size) * normal_y)
        alpha = np.clip((0.5 + 1.5 * thickness) / 2 - distance + 0.5, 0, 1)
        patch = image[chosen]
        _over(patch, p["line_colour"][chosen, k], alpha)
        image[chosen] = patch


def _bilinear_weights(points: int, size: int) -> np.ndarray:
    """(size, points) weights that interpolate ``points`` evenly spaced values linearly."""
    position = np.linspace(0, points - 1, size, dtype=np.float32)
    return np.clip(1 - np.abs(position[:, None] - np.arange(points)[None, :]), 0, 1)


_GLYPH_KEYS = (
    "font",
    "label",
    "has_neighbour",
    "neighbours",
    "gap",
    "height",
    "angle",
    "stretch",
    "shear",
    "shift",
)


def _over(image: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> None:
    """Paint ``colour`` (n, 3) over ``image`` (n, H, W, 3) with ``alpha`` (n, H, W), in place."""
    image += (colour[:, None, None, :] - image) * alpha[..., None]


def _render_chunk(seed: int, chunk: int, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` images of a chunk (parameters are drawn for the whole chunk)."""
    bank = glyph_bank()
    rng = np.random.default_rng([seed, chunk])
    p = {k: v[:n] for k, v in _draw_parameters(rng, CHUNK, len(bank)).items()}
    p.update({k: v.astype(np.float32) for k, v in p.items() if v.dtype == np.float64})
    ramp = _bilinear_weights(p["field"].shape[1], size)
    image = ramp @ (ramp @ p["field"].reshape(n, 3, 9)).reshape(n, size, 3, 3)
    image *= p["field_strength"][:, None, None, None]
    image += p["bg"][:, None, None, :]
    _paint_lines(image, p)
    scalars = {k: p[k].tolist() for k in _GLYPH_KEYS}
    masks = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        _glyph_masks(scalars, i, size, bank, masks)
    masks = masks[..., :2].astype(np.float32) / 255
    has_outline = ~np.isnan(p["outline"][:, 0])
    if has_outline.any():
        outlined = image[has_outline]
        _over(outlined, p["outline"][has_outline], masks[has_outline, :, :, 1])
        image[has_outline] = outlined
    _over(image, p["fg"], masks[..., 0])
    levels = np.round(p["blur"], 1)
    for level in np.unique(levels[levels > 0]):
        chosen = levels == level
        image[chosen] = ndimage.gaussian_filter(image[chosen], (0, level, level, 0))
    noise = np.random.default_rng([seed, chunk, 1]).standard_normal(image.shape, np.float32)
    noise *= p["noise"][:, None, None, None]
    image += noise
    np.rint(image, out=image)
    np.clip(image, 0, 255, out=image)
    return image.astype(np.uint8), p["label"].astype(np.int64)


def render_digits(n: int, seed: int, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n`` printed-digit images.

    Args:
        n: number of images (>= 0).
        seed: non-negative integer; the same ``(seed, size)`` always gives the same images.
        size: side of the square RGB images in pixels (>= 8).

    Returns:
        ``(x, y)``: x uint8 (n, size, size, 3), y int64 digits 0..9 (the centre digit).
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise InvalidValueError(f"n={n!r} must be a non-negative integer")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidValueError(f"seed={seed!r} must be a non-negative integer")
    if not isinstance(size, (int, np.integer)) or size < 8:
        raise InvalidValueError(f"size={size!r} must be an integer of at least 8 (pixels)")
    xs, ys = [np.empty((0, size, size, 3), np.uint8)], [np.empty(0, np.int64)]
    for chunk, start in enumerate(range(0, n, CHUNK)):
        x, y = _render_chunk(int(seed), chunk, min(CHUNK, n - start), size)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)
