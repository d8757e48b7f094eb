"""Public tests of the cnn-kit exercises: ``pytest exercises`` / 公开测试：运行 ``pytest exercises``."""
