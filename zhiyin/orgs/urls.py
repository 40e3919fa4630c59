from django.urls import path

from zhiyin.orgs import views

urlpatterns = [
    path("villages/<int:pk>/", views.village_detail, name="village_detail"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/password/", views.password_change, name="password_change"),
]
