"""The JSON API (django-ninja). Each app adds its own Router here; the OpenAPI schema is
served at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Zhiyin API", urls_namespace="api")

from zhiyin.audit.api import router as audit_router  # noqa: E402  # routers join after the api exists

api.add_router("/audit/", audit_router)

from zhiyin.approvals.api import router as approvals_router  # noqa: E402  # routers join the one api

api.add_router("/requests/", approvals_router)

from zhiyin.catalog.api import router as catalog_router  # noqa: E402  # routers join the one api

api.add_router("/catalog/", catalog_router)

from zhiyin.sealing.api import router as verification_router  # noqa: E402  # routers join the one api

api.add_router("/verify/", verification_router)

from zhiyin.delivery.api import router as delivery_router  # noqa: E402  # routers join the one api

api.add_router("/delivery/", delivery_router)
