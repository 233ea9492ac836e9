"""The 1-D toy learns N(4, 1.25^2): the preset's full training run (about 10 s here)."""

from zoo import training


def test_gan_1d_learns_the_target_mean_and_std(tmp_path):
    gan, summary = training.train(preset="gan_1d_gaussian_1d", seed=0, verbose=0,
                                  output_dir=str(tmp_path / "run"))
    stats = summary["metrics"]  # measured on 10,000 generated samples
    assert abs(stats["mean"] - 4.0) < 0.1, stats
    assert abs(stats["std"] - 1.25) < 0.1, stats
    assert stats["ks"] < 0.06, stats
