"""Readable names for what the log records: the trace page and the workbench show
"书记审批同意" instead of `seal_request.approve`, and role names instead of codes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiyin.orgs.models import Role

ACTION_NAMES: dict[str, str] = {
    "access.denied": gettext_noop("越权访问被拒绝"),
    "api_token.create": gettext_noop("创建接口令牌"),
    "api_token.revoke": gettext_noop("撤销接口令牌"),
    "application.accept": gettext_noop("受理村民申请"),
    "application.resubmit": gettext_noop("村民重新提交申请"),
    "application.submit": gettext_noop("村民提交申请"),
    "application.sync": gettext_noop("同步办理进度"),
    "application.withdraw": gettext_noop("村民撤回申请"),
    "approval_chain.create": gettext_noop("创建审批流程"),
    "approval_chain.revise": gettext_noop("修订审批流程"),
    "approval_step.overdue": gettext_noop("审批环节超时提醒"),
    "audit.trace_export": gettext_noop("导出留痕记录"),
    "bureau_endpoint.disable": gettext_noop("停用部门接收地址"),
    "bureau_endpoint.register": gettext_noop("登记部门接收地址"),
    "bureau_endpoint.update": gettext_noop("修改部门接收地址"),
    "delivery.create": gettext_noop("推送文件"),
    "delivery.download": gettext_noop("部门下载文件"),
    "delivery.failed": gettext_noop("推送失败"),
    "delivery.receipt": gettext_noop("部门签收"),
    "delivery.replay": gettext_noop("重新推送"),
    "device.alarm": gettext_noop("智能印章告警"),
    "device.emergency_approved": gettext_noop("紧急用章补批"),
    "device.emergency_open": gettext_noop("紧急开锁用章"),
    "electronic_seal.issue": gettext_noop("签发电子印章"),
    "electronic_seal.revoke": gettext_noop("注销电子印章"),
    "ledger.export": gettext_noop("导出用印台账"),
    "matter.create": gettext_noop("新增用章事项"),
    "matter.update": gettext_noop("修改用章事项"),
    "negative_list.refuse": gettext_noop("负面清单拦截"),
    "notification_preference.set": gettext_noop("修改通知方式"),
    "person.create": gettext_noop("新增人员"),
    "person.login": gettext_noop("登录"),
    "person.login_failed": gettext_noop("登录失败"),
    "person.password_change": gettext_noop("修改密码"),
    "person.update": gettext_noop("修改人员信息"),
    "role_grant.create": gettext_noop("授予角色"),
    "role_grant.revoke": gettext_noop("撤销角色"),
    "seal.register": gettext_noop("登记印章"),
    "seal.reinstate": gettext_noop("恢复使用印章"),
    "seal.retire": gettext_noop("印章停用销毁"),
    "seal.suspend": gettext_noop("暂停使用印章"),
    "seal_request.approve": gettext_noop("审批同意"),
    "seal_request.complete": gettext_noop("用印办结"),
    "seal_request.create": gettext_noop("发起用印申请"),
    "seal_request.duties_refused": gettext_noop("审用分离：审批人试图用印被拒绝"),
    "seal_request.reject": gettext_noop("审批驳回"),
    "seal_request.remind": gettext_noop("催办"),
    "seal_request.return": gettext_noop("审批退回"),
    "seal_request.submit": gettext_noop("提交用印申请"),
    "seal_request.update": gettext_noop("修改用印申请"),
    "seal_request.withdraw": gettext_noop("撤回用印申请"),
    "sealed_document.create": gettext_noop("加盖电子印章"),
    "sealed_document.download": gettext_noop("下载已盖章文件"),
    "sealed_document.export": gettext_noop("导出已盖章文件"),
    "sealing.confirm": gettext_noop("印章管理员确认"),
    "sealing.document_mismatch": gettext_noop("文件与审批不一致，盖章被拒绝"),
    "stamp_authorization.confirm": gettext_noop("确认用印授权"),
    "stamp_authorization.create": gettext_noop("下发用印授权"),
    "stamp_authorization.expire": gettext_noop("用印授权过期"),
    "stamp_authorization.revoke": gettext_noop("撤销用印授权"),
    "stamp_event.record": gettext_noop("智能印章盖章记录"),
    "warning.close": gettext_noop("预警办结"),
    "warning.dismiss_confirm": gettext_noop("预警撤销（复核同意）"),
    "warning.dismiss_refuse": gettext_noop("预警撤销申请未获同意"),
    "warning.dismiss_request": gettext_noop("申请撤销预警"),
    "warning.raise": gettext_noop("系统预警"),
    "warning.rectify": gettext_noop("提交整改说明"),
    "warning_rule.update": gettext_noop("修改预警规则"),
}

_PLACE_ACTIONS = {
    "create": gettext_noop("新增%(place)s"),
    "rename": gettext_noop("%(place)s更名"),
    "retire": gettext_noop("撤销%(place)s"),
}
_PLACES = {
    "district": gettext_noop("区"),
    "village": gettext_noop("村（社区）"),
    "villagegroup": gettext_noop("村民小组"),
    "collective": gettext_noop("集体经济组织"),
    "bureau": gettext_noop("职能部门"),
}


def action_name(action: str) -> str:
    """The Chinese (or active language) name of a logged action; the code if unknown."""
    if action in ACTION_NAMES:
        return _(ACTION_NAMES[action])
    thing, _dot, verb = action.partition(".")
    if thing in _PLACES and verb in _PLACE_ACTIONS:
        return _(_PLACE_ACTIONS[verb]) % {"place": _(_PLACES[thing])}
    return action


def role_name(role: str) -> str:
    """ "书记" for "secretary"; empty stays empty, an unknown code stays as it is."""
    if not role:
        return ""
    try:
        return str(Role(role).label)
    except ValueError:
        return role
