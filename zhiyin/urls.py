from django.contrib.auth import views as auth_views
from django.urls import include, path

from zhiyin.api import api
from zhiyin.orgs.admin import site as admin_site

urlpatterns = [
    path("", include("zhiyin.workspace.urls")),
    path("", include("zhiyin.orgs.urls")),
    path("", include("zhiyin.accounts.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("seals/", include("zhiyin.seals.urls")),
    path("catalog/", include("zhiyin.catalog.urls")),
    path("pki/", include("zhiyin.seals.urls_pki")),
    path("sealing/", include("zhiyin.sealing.urls")),
    path("verify/", include("zhiyin.sealing.urls_verify")),
    path("requests/", include("zhiyin.approvals.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin_site.urls),
    path("api/devices/v1/", include("zhiyin.devices.urls_api")),
    path("devices/", include("zhiyin.devices.urls")),
    path("api/", api.urls),
    path("", include("zhiyin.oversight.urls")),
    path("", include("zhiyin.delivery.urls")),
    path("portal/", include("zhiyin.portal.urls")),
    path("", include("zhiyin.worker.urls")),
]

handler403 = "zhiyin.orgs.errorpages.permission_denied"
handler400 = "zhiyin.orgs.errorpages.bad_request"
handler404 = "zhiyin.orgs.errorpages.page_not_found"
handler500 = "zhiyin.orgs.errorpages.server_error"
