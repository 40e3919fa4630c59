"""The sealing app's world of seals and requests, reused for what a backup must carry."""

from zhiyin.sealing.tests.conftest import sealing

__all__ = ["sealing"]
