// Account security page: once a security key is registered (the event comes from
// django-otp-webauthn's registration script), reload so the list shows the new key.
document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
