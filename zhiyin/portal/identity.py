"""Login through an identity provider (the provincial citizen app, OAuth2/OIDC style).

`IdentityProvider` is the interface; `OidcProvider` implements the authorization-code
flow with an RS256-signed ID token checked against the provider's published keys
(JWKS). It is off unless `settings.PORTAL_OIDC` is set:

    PORTAL_OIDC = {"name": "海易办", "issuer": …, "client_id": …, "client_secret": …,
                   "authorization_endpoint": …, "token_endpoint": …, "jwks_uri": …,
                   "scope": "openid", "id_claim": "id_number"}

The claim named by `id_claim` (the citizen's ID number) finds the person; nobody is
created from a token.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

TIMEOUT = 10
LEEWAY = 60


class IdentityError(Exception):
    """The provider's answer cannot be trusted or used; the message is for the log."""


@dataclass(frozen=True)
class Identity:
    subject: str
    id_number: str
    name: str


class IdentityProvider(Protocol):
    name: str

    def authorization_url(self, *, redirect_uri: str, state: str, nonce: str) -> str: ...

    def identity_from_code(self, *, code: str, redirect_uri: str, nonce: str) -> Identity: ...


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int(text: str) -> int:
    return int.from_bytes(_b64(text), "big")


def _get_json(url: str, data: bytes | None = None) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise IdentityError("provider URLs must be http(s)")
    request = urllib.request.Request(  # noqa: S310  # scheme checked above
        url, data=data, headers={"Accept": "application/json"}
    )
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  # scheme checked above
        body: dict[str, Any] = json.loads(response.read())
    return body


class OidcProvider:
    def __init__(self, config: dict[str, str]) -> None:
        self.config = config
        self.name = config.get("name", "统一身份认证")

    def authorization_url(self, *, redirect_uri: str, state: str, nonce: str) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.config["client_id"],
                "redirect_uri": redirect_uri,
                "scope": self.config.get("scope", "openid"),
                "state": state,
                "nonce": nonce,
            }
        )
        return f"{self.config['authorization_endpoint']}?{query}"

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            head_b64, body_b64, sig_b64 = token.split(".")
            header = json.loads(_b64(head_b64))
            claims: dict[str, Any] = json.loads(_b64(body_b64))
        except ValueError as exc:
            raise IdentityError("malformed id_token") from exc
        if header.get("alg") != "RS256":
            raise IdentityError("id_token must be RS256")
        keys = _get_json(self.config["jwks_uri"]).get("keys", [])
        key = next((k for k in keys if k.get("kid") == header.get("kid")), None)
        if key is None or key.get("kty") != "RSA":
            raise IdentityError("signing key not published by the provider")
        public = rsa.RSAPublicNumbers(_int(key["e"]), _int(key["n"])).public_key()
        try:
            public.verify(
                _b64(sig_b64),
                f"{head_b64}.{body_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as exc:
            raise IdentityError("bad id_token signature") from exc
        return claims

    def identity_from_code(self, *, code: str, redirect_uri: str, nonce: str) -> Identity:
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.config["client_id"],
                "client_secret": self.config["client_secret"],
            }
        ).encode()
        try:
            answer = _get_json(self.config["token_endpoint"], data=form)
        except OSError as exc:
            raise IdentityError(f"token endpoint: {exc}") from exc
        token = answer.get("id_token")
        if not isinstance(token, str):
            raise IdentityError("no id_token in the token response")
        claims = self._verify(token)
        now = time.time()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != self.config["issuer"]:
            raise IdentityError("wrong issuer")
        if self.config["client_id"] not in audiences:
            raise IdentityError("wrong audience")
        if float(claims.get("exp", 0)) < now - LEEWAY:
            raise IdentityError("id_token expired")
        if claims.get("nonce") != nonce:
            raise IdentityError("nonce mismatch")
        id_number = str(claims.get(self.config.get("id_claim", "id_number"), "")).upper()
        if not id_number:
            raise IdentityError("no ID number claim")
        return Identity(
            subject=str(claims.get("sub", "")),
            id_number=id_number,
            name=str(claims.get("name", "")),
        )


def identity_provider() -> IdentityProvider | None:
    config = getattr(settings, "PORTAL_OIDC", None)
    return OidcProvider(dict(config)) if config else None
