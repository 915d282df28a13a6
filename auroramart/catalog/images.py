"""Product pictures: re-encoding uploads, making thumbnails, and drawing the demo shop's
images with Pillow: each subcategory's illustration (Tabler Icons, MIT, rendered at build time
into demo/icons/) on each product's own colourway, in two views."""

import functools
import hashlib
import io
import json
import random
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont, ImageOps

from auroramart.core.uploads import open_picture

IMAGE_SIZE = (600, 600)
THUMBNAIL_SIZE = (300, 300)
JPEG_QUALITY = 82


def _jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def make_thumbnail(image: Image.Image) -> bytes:
    return _jpeg_bytes(ImageOps.fit(image, THUMBNAIL_SIZE, Image.Resampling.LANCZOS))


def prepare_upload(upload) -> tuple[bytes, bytes]:
    """An uploaded picture (a file or bytes) under the shop's upload policy (core/uploads.py),
    re-encoded as a bounded JPEG plus its thumbnail. Raises ValidationError with a message."""
    source = open_picture(upload, box=(1600, 1600))
    return _jpeg_bytes(source), make_thumbnail(source)


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(seed.encode()).digest()
    first = tuple(60 + b % 170 for b in digest[:3])
    second = tuple(60 + b % 170 for b in digest[3:6])
    return first, second  # type: ignore[return-value]


# Colourways: deep, saturated backgrounds the white illustration stands out on (contrast ≥ 4.5).
COLOURWAYS = [
    (30, 64, 175),
    (13, 148, 136),
    (190, 24, 93),
    (109, 40, 217),
    (180, 83, 9),
    (21, 128, 61),
    (185, 28, 28),
    (3, 105, 161),
    (71, 85, 105),
    (134, 25, 143),
    (15, 118, 110),
    (154, 52, 18),
]
ICONS_DIR = Path(__file__).resolve().parent.parent / "demo" / "icons"


@functools.cache
def _icon_for(category: str, subcategory: str) -> Image.Image | None:
    """The subcategory's illustration (demo/icons, rendered from Tabler Icons at build time)."""
    names = json.loads((ICONS_DIR / "icons.json").read_text())
    name = names.get(f"{category}/{subcategory}")
    path = ICONS_DIR / f"{name}.png"
    return Image.open(path).convert("RGBA") if name and path.exists() else None


def hex_colour(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _is_light(colour) -> bool:
    red, green, blue = colour
    return 0.299 * red + 0.587 * green + 0.114 * blue > 150


def draw_product_picture(
    *, category: str, subcategory: str, seed: str, view: int = 0, colour: tuple[int, int, int] | None = None
) -> Image.Image:
    """A product's picture: its subcategory's illustration on the product's own colourway (or
    on `colour`, a variant's: the navy one is navy). View 0 is the packshot (the illustration
    on a plate); view 1 a close-up on a lighter tint."""
    colour = colour or COLOURWAYS[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(COLOURWAYS)]
    width, height = IMAGE_SIZE
    light = tuple(int(c + (255 - c) * 0.82) for c in colour)
    image = Image.new("RGB", IMAGE_SIZE, light if view else colour)
    draw = ImageDraw.Draw(image)
    icon = _icon_for(category, subcategory)
    if view == 0:
        # A soft plate behind the illustration, a little lighter than the colourway; on a pale
        # colourway (white, ivory, silver) the illustration is drawn dark to stay visible.
        plate = tuple(min(255, int(c * 1.18) + 12) for c in colour)
        draw.ellipse([90, 90, width - 90, height - 90], fill=plate)
        size, tint = 300, (40, 44, 52) if _is_light(colour) else (255, 255, 255)
    else:
        size, tint = 420, (40, 44, 52) if _is_light(colour) else colour
    if icon is not None:
        glyph = icon.resize((size, size), Image.Resampling.LANCZOS)
        solid = Image.new("RGBA", glyph.size, (*tint, 255))
        image.paste(solid, ((width - size) // 2, (height - size) // 2), glyph)
    return image


def draw_demo_image(*, title: str, subtitle: str, seed: str, variant: int = 0) -> Image.Image:
    """A deterministic, distinct picture for one product: its own colours, shapes and label
    (for products whose subcategory has no illustration)."""
    rng = random.Random(f"{seed}:{variant}")
    top, bottom = _palette(f"{seed}:{variant}")
    image = Image.new("RGB", IMAGE_SIZE, top)
    draw = ImageDraw.Draw(image)
    width, height = IMAGE_SIZE
    for y in range(0, height, 6):  # vertical gradient in bands: fast and smooth enough
        t = y / height
        colour = tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3))
        draw.rectangle([0, y, width, y + 6], fill=colour)
    for _ in range(rng.randint(3, 7)):
        x, y = rng.randint(-80, width), rng.randint(-80, height)
        size = rng.randint(60, 240)
        shade = tuple(min(255, c + rng.randint(20, 70)) for c in top)
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + size, y + size], outline=shade, width=rng.randint(4, 14))
        else:
            draw.rounded_rectangle([x, y, x + size, y + size], radius=24, fill=shade)
    font = ImageFont.load_default(size=44)
    small = ImageFont.load_default(size=26)
    draw.rounded_rectangle([30, height - 190, width - 30, height - 30], radius=20, fill=(255, 255, 255))
    draw.text((55, height - 170), _fit(draw, title, font, width - 110), fill=(17, 24, 39), font=font)
    draw.text((55, height - 95), _fit(draw, subtitle, small, width - 110), fill=(75, 85, 99), font=small)
    return image


def _fit(draw: ImageDraw.ImageDraw, text: str, font, max_width: int) -> str:
    while text and draw.textlength(text, font=font) > max_width:
        text = text[:-2].rstrip() + "…" if len(text) > 2 else ""
    return text


def demo_image_files(
    *, title: str, subtitle: str, seed: str, variant: int = 0, category: str = "", colour=None
):
    """The demo's picture files (main, thumbnail): the subcategory's illustration on the
    product's colourway (or `colour`) when there is one (`subtitle` is the subcategory), else a
    drawn card."""
    if _icon_for(category, subtitle) is not None:
        image = draw_product_picture(
            category=category, subcategory=subtitle, seed=seed, view=variant, colour=colour
        )
    else:
        image = draw_demo_image(title=title, subtitle=subtitle, seed=seed, variant=variant)
    return ContentFile(_jpeg_bytes(image)), ContentFile(make_thumbnail(image))
