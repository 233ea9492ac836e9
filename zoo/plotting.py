"""PNG pictures of samples: an image grid, or a histogram / scatter for the toys."""

import math
import os

import matplotlib

matplotlib.use("Agg")  # files only: no display on training machines
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo.pixels import to_uint8  # noqa: E402


def image_grid(images, columns=None):
    """[n, h, w, c] images in [-1, 1] -> one uint8 [rows*h, columns*w, c] grid (1-pixel gaps)."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1, c), 255, np.uint8)
    pixels = to_uint8(images)
    for i, image in enumerate(pixels):
        r, col = divmod(i, columns)
        grid[r * (h + 1):r * (h + 1) + h, col * (w + 1):col * (w + 1) + w] = image
    return grid


def save_samples(samples, path, title=None, columns=None):
    """Write `samples` as a PNG: a grid for images, a histogram (1-D) or scatter (2-D) otherwise.

    The picture is written beside `path` and renamed onto it, so a crash never leaves half a PNG.
    """
    samples = np.asarray(samples)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    staging = path + ".tmp"
    try:
        _draw(samples, staging, title, columns)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return path


def _draw(samples, path, title, columns=None):
    if samples.ndim == 4:
        grid = image_grid(samples, columns)
        if grid.shape[-1] == 1:
            grid = grid[..., 0]
        plt.imsave(path, grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255,
                   format="png")
        return
    figure, axes = plt.subplots(figsize=(4, 4), dpi=100)
    if samples.shape[-1] == 1:
        axes.hist(samples[:, 0], bins=60, density=True, color="tab:blue")
    else:
        axes.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5)
        axes.set_aspect("equal")
    if title:
        axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def save_point_panels(panels, modes, path):
    """2-D samples side by side, one panel per (title, [n, 2] points), each over the data's
    `modes` (red crosses), on the same axes: a mode-collapse picture."""
    modes = np.asarray(modes)
    span = np.abs(modes).max() * 1.35
    figure, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4), dpi=100,
                                squeeze=False)
    for axis, (title, points) in zip(axes[0], panels):
        points = np.asarray(points)
        axis.scatter(points[:, 0], points[:, 1], s=1.5, alpha=0.4, color="tab:blue")
        axis.scatter(modes[:, 0], modes[:, 1], s=25, marker="x", color="tab:red")
        axis.set(xlim=(-span, span), ylim=(-span, span), aspect="equal", title=title)
        axis.tick_params(labelsize=7)
        axis.title.set_fontsize(9)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path
