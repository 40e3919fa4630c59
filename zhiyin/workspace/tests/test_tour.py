"""A browser tour: each role, on a 360-px phone and a 1280-px screen, opens every page of
its menu, and on the phone once more in the large-type mode (长辈版). No page scrolls
sideways, body text is at least 16 px (20 px in 长辈版), every control and every link that
stands on its own is at least 44 px high, radio buttons and checkboxes at least 24 px, and
a Chinese page shows no English. Screenshots go to test-artifacts/
(tour-ROLE-WIDTH[-large]-PAGE.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from conftest import World, client_for, screenshot
from zhiyin.orgs.selectors import access_for
from zhiyin.portal.tests.conftest import Services
from zhiyin.portal.tests.scenario import day_in_the_village, personas
from zhiyin.workspace.display import COOKIE
from zhiyin.workspace.menu import menu_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Django's own admin is not ours to restyle; its pages are Django's.
NOT_TOURED = {"admin"}
# Latin words a Chinese page may show: names of formats and standards, the language switch.
ALLOWED = {
    "English",
    "PDF",
    "SHA",
    "PAdES",
    "OFD",
    "JPEG",
    "PNG",
    "ID",
    "pdf",
    "png",
    "jpg",
    "xlsx",
    "csv",
}

MEASURE = """() => {
  const visible = (el) => { const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const inSentence = (a) => { const p = a.parentElement;
    return p && p.innerText.trim().length > a.innerText.trim().length + 1; };
  const small = [];
  for (const el of document.querySelectorAll(
      'a, button, select, summary, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), .choices label')) {
    if (!visible(el) || el.closest('.more-list') && !el.closest('details[open]')) continue;
    if (el.tagName === 'A' && inSentence(el)) continue;
    const h = el.getBoundingClientRect().height;
    if (h < 44) small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}" ${Math.round(h)}px`);
  }
  for (const el of document.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 24 || r.width < 24) small.push(`${el.type} "${el.name}" ${Math.round(r.width)}x${Math.round(r.height)}px`);
    const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
    if (label && visible(label) && label.getBoundingClientRect().height < 44) small.push(`label of ${el.type} "${el.name}" ${Math.round(label.getBoundingClientRect().height)}px`);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    bodyPx: parseFloat(getComputedStyle(document.body).fontSize),
    text: document.body.innerText,
    small: small,
  };
}"""


def _english(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z]{3,}", text)
    return sorted({w for w in words if w not in ALLOWED})


def _visit(page: Page, url: str) -> dict[str, Any]:
    answer = page.goto(url)
    assert answer is not None and answer.ok, url
    return dict(page.evaluate(MEASURE))


@pytest.mark.parametrize(("width", "large"), [(360, False), (1280, False), (360, True)])
def test_every_role_tours_its_menu(
    world: World, services: Services, live_server: Any, browser: Browser, width: int, large: bool
) -> None:
    least_text = 20 if large else 16
    day_in_the_village(world, services)
    problems: list[str] = []
    for role, person in personas(world).items():
        context = browser.new_context(
            viewport={"width": width, "height": 800},
            is_mobile=width < 600,
            has_touch=width < 600,
            locale="zh-CN",
        )
        session = client_for(person).cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": session, "url": str(live_server)}])
        if large:
            context.add_cookies([{"name": COOKIE, "value": "1", "url": str(live_server)}])
        page = context.new_page()
        for entry in menu_for(access_for(person)):
            if entry.key in NOT_TOURED:
                continue
            found = _visit(page, f"{live_server}{entry.url}")
            where = f"{role}@{width}{' 长辈版' if large else ''} {entry.url}"
            if found["scrollWidth"] > found["width"]:
                problems.append(f"{where}: scrolls sideways ({found['scrollWidth']}px)")
            if found["bodyPx"] < least_text:
                problems.append(f"{where}: body text {found['bodyPx']}px")
            if found["small"]:
                problems.append(f"{where}: small tap targets {found['small'][:5]}")
            english = _english(found["text"])
            if english:
                problems.append(f"{where}: English {english[:8]}")
            screenshot(page, f"tour-{role}-{width}{'-large' if large else ''}-{entry.key}")
        context.close()
    assert not problems, "\n".join(problems)
