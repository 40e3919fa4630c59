"""The JSON API (django-ninja): one NinjaAPI, each app's Router mounted under its own
prefix. The OpenAPI schema and its browsable docs are served at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from zhiyin.approvals.api import router as approvals_router
from zhiyin.catalog.api import router as catalog_router
from zhiyin.delivery.api import router as delivery_router
from zhiyin.oversight.api import router as audit_router
from zhiyin.sealing.api import router as verification_router

api = NinjaAPI(title="Zhiyin API", version="1", urls_namespace="api")
api.add_router("/audit/", audit_router)
api.add_router("/requests/", approvals_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/verify/", verification_router)
api.add_router("/delivery/", delivery_router)
