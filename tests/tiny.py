"""Tiny configurations of every registered model, so tests build and step them in seconds."""

TINY_CONFIGS = {
    "gan": dict(image_shape=(8, 8, 1), latent_dim=4, g_hidden=(16,), d_hidden=(8,), maxout_pieces=2),
    "gan_1d": dict(latent_dim=1, hidden=(8,)),
    "dcgan": dict(image_shape=(16, 16, 1), latent_dim=4, base_filters=4),
}
