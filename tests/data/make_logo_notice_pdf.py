#!/usr/bin/python3
"""Writes a born-digital notice with pictures that hold no text: a crest (logo) at the head of
every page, a photograph-like picture on page 2 and a handwritten-like signature at the end.
Its words are all in the text layer, so no page needs OCR. Used by the OCR tests and by
scripts/bench.sh; needs python3-fitz.

usage: make_logo_notice_pdf.py OUT.pdf [PAGES]
"""
import math
import random
import sys

import fitz


def picture(width, height, draw, dpi=150):
    """A PNG of what `draw` puts on a blank page of the given size (points), rasterised."""
    doc = fitz.open()
    page = doc.new_page(width=width, height=height)
    draw(page)
    return page.get_pixmap(dpi=dpi).tobytes("png")


def crest(page):
    # A shield with a chevron and three rings, a laurel of leaves around it: strokes and fills,
    # no letters.
    shield = [(20, 10), (80, 10), (80, 50), (50, 80), (20, 50), (20, 10)]
    page.draw_polyline(shield, color=(0.1, 0.1, 0.4), fill=(0.75, 0.8, 0.95), width=2)
    page.draw_polyline([(24, 52), (50, 30), (76, 52)], color=(0.6, 0.1, 0.1), width=5)
    for cx in (35, 50, 65):
        page.draw_circle((cx, 20), 4, color=(0.1, 0.1, 0.4), width=1.5)
    for i in range(9):
        a = math.pi * (0.15 + 0.7 * i / 8)
        for side in (-1, 1):
            x, y = 50 + side * 42 * math.cos(a), 45 + 38 * math.sin(a) - 10
            page.draw_oval(fitz.Rect(x - 3, y - 6, x + 3, y + 6), color=(0.1, 0.4, 0.1),
                           fill=(0.3, 0.6, 0.3), width=0.5)


def photograph(page):
    # Overlapping soft shapes in many greys: a landscape's tones, no strokes in rows.
    rng = random.Random(7)
    page.draw_rect(page.rect, color=None, fill=(0.55, 0.7, 0.85))
    page.draw_rect(fitz.Rect(0, 70, 200, 130), color=None, fill=(0.3, 0.5, 0.25))
    for _ in range(60):
        x, y, r = rng.uniform(0, 200), rng.uniform(40, 130), rng.uniform(3, 18)
        g = rng.uniform(0.15, 0.6)
        page.draw_circle((x, y), r, color=None, fill=(g * 0.8, g, g * 0.7))
    page.draw_circle((160, 30), 14, color=None, fill=(0.95, 0.9, 0.6))


def signature(page):
    # Two looping strokes and an underline, as a pen draws a name.
    pts = []
    for i in range(120):
        t = i / 119
        pts.append((10 + 150 * t, 30 + 12 * math.sin(t * 14) + 6 * math.sin(t * 37)))
    page.draw_polyline(pts, color=(0, 0, 0.3), width=1.6)
    loop = [(60 + 14 * math.cos(a / 10), 28 + 18 * math.sin(a / 10)) for a in range(63)]
    page.draw_polyline(loop, color=(0, 0, 0.3), width=1.4)
    page.draw_line((15, 52), (165, 48), color=(0, 0, 0.3), width=1.0)


def main():
    out = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    logo = picture(100, 90, crest)
    photo = picture(200, 130, photograph)
    sign = picture(180, 60, signature)
    doc = fitz.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_image(fitz.Rect(60, 40, 160, 130), stream=logo)
        page.insert_text((180, 80), "Northshire County Council", fontsize=16)
        page.insert_text((180, 100), "Freedom of Information notice, page %d" % n, fontsize=11)
        y = 170
        lines = [
            "Thank you for your request for information received on 3 March.",
            "The indicators were shared with GCHQ on 3 March, as the minutes record.",
            "We hold some of the information you asked for, and it is enclosed below.",
            "Where information is withheld the exemption that applies is named.",
            "If you are unhappy with this response you may ask for a review.",
        ]
        for i in range(24):
            page.insert_text((60, y), lines[i % len(lines)], fontsize=11)
            y += 16
            if n == 2 and i == 8:
                page.insert_image(fitz.Rect(60, y, 260, y + 130), stream=photo)
                y += 145
            if y > 760:
                break
        if n == pages:
            page.insert_image(fitz.Rect(60, 770, 240, 830), stream=sign)
    doc.save(out)


main()
