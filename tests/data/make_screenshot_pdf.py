#!/usr/bin/python3
"""Writes a text PDF with a screenshot pasted in: a picture whose pixels (not its text layer)
read "Proxy: 198.51.100.23". Used by the OCR tests; needs python3-fitz.

usage: make_screenshot_pdf.py OUT.pdf
"""
import sys

import fitz

# The "screenshot": a page with the text, rasterised, so only pixels remain.
shot = fitz.open()
p = shot.new_page(width=300, height=60)
p.insert_text((12, 38), "Proxy: 198.51.100.23", fontsize=20, fontname="cour")
png = p.get_pixmap(dpi=200).tobytes("png")

doc = fitz.open()
page = doc.new_page(width=595, height=842)
page.insert_text((60, 80), "Remote access configuration for the new laptops", fontsize=12)
page.insert_text((60, 100), "The settings below were copied from the admin console.", fontsize=11)
page.insert_image(fitz.Rect(60, 120, 360, 180), stream=png)
page.insert_text((60, 210), "Section 31(3) Law Enforcement applies to this annex.", fontsize=11)
doc.save(sys.argv[1])
