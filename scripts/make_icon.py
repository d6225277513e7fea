"""Draw custom_components/nitrolite/brand/icon.png: a lightning bolt across a channel."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4  # draw large, then downsample for smooth edges
OUTPUT = Path(__file__).parent.parent / "custom_components/nitrolite/brand/icon.png"

BACKGROUND_TOP = (38, 52, 148)
BACKGROUND_BOTTOM = (92, 44, 170)
CHANNEL = (120, 220, 255)
BOLT = (255, 214, 10)
BOLT_EDGE = (255, 255, 255)


def _background(size: int) -> Image.Image:
    """Draw a vertical gradient clipped to a rounded square."""
    gradient = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(gradient)
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(
            round(top + (bottom - top) * t)
            for top, bottom in zip(BACKGROUND_TOP, BACKGROUND_BOTTOM, strict=True)
        )
        draw.line([(0, y), (size, y)], fill=colour)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [0, 0, size - 1, size - 1], radius=size * 22 // 100, fill=255
    )
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.paste(gradient, (0, 0), mask)
    return image


def _channel(draw: ImageDraw.ImageDraw, unit: float) -> None:
    """Draw two nodes joined by a state channel."""
    width = round(7 * unit)
    for y in (88, 168):
        draw.line(
            [(40 * unit, y * unit), (216 * unit, y * unit)], fill=CHANNEL, width=width
        )
    for x in (40, 216):
        radius = 22 * unit
        centre = (x * unit, 128 * unit)
        draw.ellipse(
            [
                centre[0] - radius,
                centre[1] - radius,
                centre[0] + radius,
                centre[1] + radius,
            ],
            fill=CHANNEL,
        )


def _bolt(draw: ImageDraw.ImageDraw, unit: float) -> None:
    """Draw a lightning bolt through the channel."""
    points = [
        (146, 28),
        (86, 138),
        (124, 138),
        (104, 228),
        (172, 110),
        (132, 110),
        (158, 28),
    ]
    scaled = [(x * unit, y * unit) for x, y in points]
    draw.polygon(scaled, fill=BOLT, outline=BOLT_EDGE, width=round(5 * unit))


def main() -> None:
    """Render and save the icon."""
    size = SIZE * SCALE
    image = _background(size)
    draw = ImageDraw.Draw(image)
    _channel(draw, SCALE)
    _bolt(draw, SCALE)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    image.resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(OUTPUT, optimize=True)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
