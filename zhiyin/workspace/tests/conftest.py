"""The workspace is tried on the portal's day in the village (its services and media)."""

from zhiyin.portal.tests.conftest import _media_in_tmp, services

__all__ = ["_media_in_tmp", "services"]
