#!/usr/bin/python3
"""Writes a PDF whose page shows one sentence but whose text layer holds two more that no
reader sees: invisible text (render mode 3) and white text on white. Needs python3-fitz.

usage: make_hidden_text_pdf.py OUT.pdf
"""
import sys

import fitz

doc = fitz.open()
page = doc.new_page(width=595, height=842)
page.insert_text((60, 80), "The visible answer is 42 laptops.", fontsize=12)
page.insert_text((60, 120), "hidden note: shortlist Bramblewood Ltd", fontsize=12, render_mode=3)
page.insert_text((60, 160), "white note: budget code QX-7781", fontsize=12, color=(1, 1, 1))
doc.save(sys.argv[1])
