from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from zhiyin.lib import stamp
from zhiyin.lib.tests.conftest import COMMITTEE


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _alpha(image: Image.Image, xy: tuple[int, int]) -> int:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel[3]


def _is_red(image: Image.Image, xy: tuple[int, int]) -> bool:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel[3] > 200 and pixel[0] > 180 and pixel[1] < 60 and pixel[2] < 60


def test_it_draws_a_42_mm_red_seal_on_a_transparent_background() -> None:
    image = _open(stamp.stamp_render(name=COMMITTEE, dpi=600))
    assert image.mode == "RGBA"
    assert image.width == image.height == math.ceil(42 / 25.4 * 600)
    centre = image.width // 2
    assert _alpha(image, (0, 0)) == 0
    assert _is_red(image, (centre, centre))  # the star
    rim = round(0.6 / 25.4 * 600)  # half way through the 1.2 mm rim
    assert _is_red(image, (centre, rim))
    assert _is_red(image, (rim, centre))
    between_star_and_rim = round(9.5 / 25.4 * 600)
    assert _alpha(image, (centre, image.height - between_star_and_rim)) == 0


def test_it_makes_special_purpose_seals_40_mm_with_the_purpose_at_the_bottom() -> None:
    plain = _open(stamp.stamp_render(name=COMMITTEE, dpi=300))
    special = _open(stamp.stamp_render(name=COMMITTEE, purpose="证明专用章", dpi=300))
    assert special.width == math.ceil(40 / 25.4 * 300)

    def ink_in_lower_band(image: Image.Image) -> int:
        band = image.crop(
            (0, int(image.height * 0.68), image.width, int(image.height * 0.86))
        ).getchannel("A")
        inner = band.crop((int(band.width * 0.3), 0, int(band.width * 0.7), band.height))
        return sum(inner.histogram()[129:])

    assert ink_in_lower_band(plain) == 0
    assert ink_in_lower_band(special) > 500


def test_it_renders_each_seal_once() -> None:
    first = stamp.stamp_render(name="北岭村村民委员会")
    assert stamp.stamp_render(name="北岭村村民委员会") is first


def test_it_refuses_a_character_the_font_lacks_and_names_it_in_chinese() -> None:
    with pytest.raises(stamp.StampError) as caught:
        stamp.stamp_render(name="𠮷水村村民委员会", purpose="证明专用章")
    message = str(caught.value)
    assert "印章字体中没有这些字" in message
    assert "“𠮷”（U+20BB7）" in message
    assert "水" not in message.split("：", 1)[1].split("，", 1)[0]


def test_it_checks_the_purpose_line_too() -> None:
    with pytest.raises(stamp.StampError, match=r"U\+20BB7"):
        stamp.stamp_render(name=COMMITTEE, purpose="𠮷专用章")


def test_it_refuses_an_empty_name() -> None:
    with pytest.raises(stamp.StampError, match="不能为空"):
        stamp.stamp_render(name="  ")


def test_it_falls_back_to_the_system_font_when_the_configured_one_is_missing() -> None:
    path, _ = stamp.font_locate("/nonexistent/font.ttc")
    assert path.endswith(".ttc")
    assert stamp.font_missing("水南村", font_path="/nonexistent/font.ttc") == []
