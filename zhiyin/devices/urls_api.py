from django.urls import path

from zhiyin.devices import device_api

urlpatterns = [
    path("enrol", device_api.enrol, name="device_api_enrol"),
    path("hello", device_api.hello, name="device_api_hello"),
    path("events", device_api.events, name="device_api_events"),
    path("commands", device_api.commands, name="device_api_commands"),
    path("photos/<str:sha256>", device_api.photo, name="device_api_photo"),
    path("time", device_api.server_time, name="device_api_time"),
]
