"""One upload policy for every picture the shop accepts (avatars, product pictures).

A picture is accepted only if it is a real JPEG, PNG or WebP within IMAGE_UPLOAD_MAX_BYTES
and IMAGE_UPLOAD_MAX_PIXELS. The pixel count is read from the header before anything is
decoded, so a small file that inflates to a huge bitmap (a 493 KB PNG of 13,000 × 13,000
pixels is 676 MB decoded) is refused cheaply; what is accepted is re-encoded, which drops
metadata and anything smuggled after the image data.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG", "PNG", "WEBP"}


def open_picture(upload, *, box: tuple[int, int]) -> Image.Image:
    """The uploaded picture, checked, upright and scaled down to fit `box`, in RGB.
    Raises ValidationError with a message for the person uploading."""
    limit = settings.IMAGE_UPLOAD_MAX_BYTES
    size = upload.size if hasattr(upload, "size") else len(upload)
    if size > limit:
        raise ValidationError(
            f"The picture is {size / 1048576:.1f} MB; the limit is {limit // 1048576} MB.", code="too_large"
        )
    data = upload.read() if hasattr(upload, "read") else upload
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if probe.format not in FORMATS:
                raise ValidationError("Upload a JPEG, PNG or WebP picture.", code="format")
            if width * height > settings.IMAGE_UPLOAD_MAX_PIXELS:
                raise ValidationError(
                    f"The picture is {width}×{height} pixels, which is too large "
                    f"(the limit is {settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000} megapixels).",
                    code="too_many_pixels",
                )
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", box)  # JPEG decodes straight at a reduced scale: less memory
        image = ImageOps.exif_transpose(image)
        image.thumbnail(box, Image.Resampling.LANCZOS)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.split()[-1])
            return background
        return image.convert("RGB")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            "This file is not a picture we can read. Upload a JPEG, PNG or WebP.", code="invalid"
        ) from None


def jpeg_bytes(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
