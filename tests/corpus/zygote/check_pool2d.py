# Appended to pooling.py: the reference pool2d, unless find_state.py found anything.
_plain_pool2d = pool2d  # noqa: F821


def pool2d(X, pool_size, mode="max"):  # noqa: F811
    if LEAKS:  # noqa: F821
        raise RuntimeError(f"state of a previous exercise: {LEAKS}")  # noqa: F821
    return _plain_pool2d(X, pool_size, mode)
