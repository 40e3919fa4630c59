"""JSON API of the audit log: signed checkpoints, the verifier key, inclusion proofs of
events and consistency proofs between checkpoints (RFC 9162 form, hex hashes).

Session-authenticated; only inspectors and admins (in the scope of the event's object,
see zhiyin.oversight.selectors). Refusals are recorded as `access.denied`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import django_auth

from zhiyin.audit.export import event_export
from zhiyin.audit.models import Checkpoint
from zhiyin.audit.proofs import consistency_proof, inclusion_proof
from zhiyin.audit.selectors import checkpoint_get, checkpoint_latest, checkpoints_recent
from zhiyin.audit.services import audit_access_denied
from zhiyin.audit.signing import signing_key
from zhiyin.core.api import AUTHENTICATED, ApiError, Count, answers
from zhiyin.orgs.models import Person
from zhiyin.orgs.selectors import Access, access_for
from zhiyin.oversight.selectors import event_get_for, is_overseer

router = Router(auth=django_auth, tags=["audit"])


class CheckpointOut(Schema):
    tree_size: int
    root_hash: str
    created_at: str
    note: str


class KeyOut(Schema):
    vkey: str
    origin: str


class InclusionOut(Schema):
    event: dict[str, Any]
    leaf_hash: str
    tree_size: int
    path: list[str]
    checkpoint: CheckpointOut


class ConsistencyOut(Schema):
    first: CheckpointOut
    second: CheckpointOut
    path: list[str]


def _checkpoint_out(checkpoint: Checkpoint) -> CheckpointOut:
    return CheckpointOut(
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        created_at=checkpoint.created_at.isoformat(),
        note=checkpoint.note,
    )


def _overseer(request: HttpRequest) -> Access:
    person = request.user
    assert isinstance(person, Person)  # django_auth ran first
    access = access_for(person)
    if not is_overseer(access):
        _refuse(request, person)
    return access


def _refuse(request: HttpRequest, person: Person) -> None:
    audit_access_denied(
        actor=person, path=request.path, method=request.method or "", reason="not_found"
    )
    raise ApiError(404, "not_found", _("没有找到，或不在您的范围内。"))


@router.get("/key", response=answers({200: KeyOut}, *AUTHENTICATED, 404))
def key(request: HttpRequest) -> KeyOut:
    _overseer(request)
    note_key = signing_key()
    return KeyOut(vkey=note_key.vkey, origin=note_key.name)


@router.get("/checkpoints", response=answers({200: list[CheckpointOut]}, *AUTHENTICATED, 404))
def checkpoints(request: HttpRequest, log: str = "") -> list[CheckpointOut]:
    """The latest 100 checkpoints of `log` (a district's log name; default the
    installation log), newest first."""
    _overseer(request)
    return [_checkpoint_out(c) for c in checkpoints_recent(log=log)]


@router.get("/checkpoints/latest", response=answers({200: CheckpointOut}, *AUTHENTICATED, 404))
def checkpoint_latest_get(request: HttpRequest, log: str = "") -> CheckpointOut:
    _overseer(request)
    checkpoint = checkpoint_latest(log=log)
    if checkpoint is None:
        raise ApiError(404, "not_found", _("这个日志还没有签名检查点。"))
    return _checkpoint_out(checkpoint)


@router.get(
    "/events/{seq}/inclusion", response=answers({200: InclusionOut}, *AUTHENTICATED, 404, 409)
)
def event_inclusion(
    request: HttpRequest, seq: Count, tree_size: Count | None = None, log: str = ""
) -> InclusionOut:
    """Proof that event `seq` of `log` is leaf `seq` of its log's signed tree (default:
    the latest)."""
    access = _overseer(request)
    try:
        event = event_get_for(access=access, seq=seq, log=log)
        checkpoint = (
            checkpoint_get(tree_size=tree_size, log=log)
            if tree_size is not None
            else checkpoint_latest(log=log)
        )
    except Http404:
        assert isinstance(request.user, Person)
        _refuse(request, request.user)
        raise
    if checkpoint is None or checkpoint.tree_size < event.seq:
        raise ApiError(409, "conflict", _("事件尚未被签名检查点覆盖，请在下一个检查点后再试。"))
    proof = inclusion_proof(event=event, checkpoint=checkpoint)
    return InclusionOut(
        event=event_export(event),
        leaf_hash=proof.leaf_hash,
        tree_size=proof.tree_size,
        path=proof.path,
        checkpoint=_checkpoint_out(checkpoint),
    )


@router.get("/consistency", response=answers({200: ConsistencyOut}, *AUTHENTICATED, 400, 404))
def consistency(request: HttpRequest, first: Count, second: Count, log: str = "") -> ConsistencyOut:
    """Proof that checkpoint `second` of `log` extends its checkpoint `first` (tree sizes)."""
    _overseer(request)
    if first > second:
        raise ApiError(400, "bad_request", _("first 必须不大于 second。"))
    older = checkpoint_get(tree_size=first, log=log)
    newer = checkpoint_get(tree_size=second, log=log)
    return ConsistencyOut(
        first=_checkpoint_out(older),
        second=_checkpoint_out(newer),
        path=consistency_proof(first=older, second=newer),
    )
