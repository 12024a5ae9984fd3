#!/usr/bin/python3
"""Writes the hidden-content set: one PDF per way a string can live in a file without being
seen on its page (the famous redaction failures). Needs python3-fitz (PyMuPDF).

usage: make_hidden_set.py OUT_DIR CASES_JSON

Every page shows the same visible sentence. Each file hides one secret, a made-up phrase no
rule matches, so only the handling of hidden content can keep it out of a release. Writes
CASES_JSON: [{"file", "secret", "kinds"}], where kinds are the hidden_content kinds
the audit must report for that file (empty where nothing in the file can be found any more,
e.g. a Form XObject no page draws).
"""
import json
import os
import sys

import fitz

VISIBLE = "Visible answer: 42 laptops were issued in 2024."


def secret(n):
    return f"Bramblewood{n} Quillmarsh"


def new_doc():
    doc = fitz.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((60, 80), VISIBLE, fontsize=12)
    return doc, page


def save(doc, out, name):
    doc.save(os.path.join(out, name), garbage=0, deflate=False)
    doc.close()


def scan_image(text_lines):
    """A page image (PNG bytes) showing `text_lines`, like a scanner would give."""
    doc = fitz.open()
    page = doc.new_page(width=595, height=842)
    y = 80
    for line in text_lines:
        page.insert_text((60, y), line, fontsize=14)
        y += 30
    pix = page.get_pixmap(dpi=200, colorspace=fitz.csGRAY)
    return pix.tobytes("png")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = []

    def case(name, n, kinds):
        cases.append({"file": name, "secret": secret(n), "kinds": kinds})

    # 1. Invisible text (render mode 3).
    doc, page = new_doc()
    page.insert_text((60, 120), "note " + secret(1), fontsize=12, render_mode=3)
    save(doc, out, "invisible-text.pdf"); case("invisible-text.pdf", 1, ["hidden text"])

    # 2. White text on a white page.
    doc, page = new_doc()
    page.insert_text((60, 120), "note " + secret(2), fontsize=12, color=(1, 1, 1))
    save(doc, out, "white-on-white.pdf"); case("white-on-white.pdf", 2, ["hidden text"])

    # 3. Text under an image drawn over it.
    doc, page = new_doc()
    page.insert_text((60, 120), "note " + secret(3), fontsize=12)
    pix = fitz.Pixmap(fitz.csGRAY, fitz.IRect(0, 0, 40, 10), False)
    pix.set_rect(pix.irect, (200,))
    page.insert_image(fitz.Rect(50, 100, 400, 130), pixmap=pix, keep_proportion=False)
    save(doc, out, "under-image.pdf"); case("under-image.pdf", 3, ["hidden text"])

    # 4. Text under a black box: the classic failed redaction.
    doc, page = new_doc()
    page.insert_text((60, 120), "note " + secret(4), fontsize=12)
    page.draw_rect(fitz.Rect(50, 100, 400, 130), color=(0, 0, 0), fill=(0, 0, 0))
    save(doc, out, "under-black-box.pdf"); case("under-black-box.pdf", 4, ["hidden text"])

    # 5. Text outside the crop box.
    doc, page = new_doc()
    page.insert_text((60, 800), "note " + secret(5), fontsize=12)
    page.set_cropbox(fitz.Rect(0, 0, 595, 600))
    save(doc, out, "outside-crop.pdf"); case("outside-crop.pdf", 5, ["text outside the crop box"])

    # 6. A comment (sticky note).
    doc, page = new_doc()
    page.add_text_annot((400, 60), "reviewer: " + secret(6))
    save(doc, out, "note-annotation.pdf"); case("note-annotation.pdf", 6, ["comment (note)"])

    # 7. A free-text comment, drawn on the page by readers that show comments.
    doc, page = new_doc()
    page.add_freetext_annot(fitz.Rect(60, 140, 400, 170), "draft: " + secret(7), fontsize=12)
    save(doc, out, "freetext-annotation.pdf")
    case("freetext-annotation.pdf", 7, ["comment (free text)"])

    # 8. A form field's value.
    doc, page = new_doc()
    w = fitz.Widget()
    w.field_name = "contact"
    w.field_type = fitz.PDF_WIDGET_TYPE_TEXT
    w.field_value = secret(8)
    w.rect = fitz.Rect(60, 140, 400, 165)
    page.add_widget(w)
    save(doc, out, "form-field.pdf"); case("form-field.pdf", 8, ["form field"])

    # 9. Document metadata (Info) and XMP.
    doc, page = new_doc()
    doc.set_metadata({"title": "Draft for " + secret(9), "author": "J. Smith", "subject": "FOI"})
    doc.set_xml_metadata(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>'
        + secret(9) + "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>")
    save(doc, out, "metadata.pdf"); case("metadata.pdf", 9, ["metadata", "xmp metadata"])

    # 10. A bookmark.
    doc, page = new_doc()
    doc.set_toc([[1, "Answer", 1], [2, "Background: " + secret(10), 1]])
    save(doc, out, "bookmark.pdf"); case("bookmark.pdf", 10, ["bookmark"])

    # 11. An embedded attachment.
    doc, page = new_doc()
    doc.embfile_add("notes.txt", ("internal notes: " + secret(11)).encode(), filename="notes.txt",
                    desc="notes about " + secret(11))
    save(doc, out, "attachment.pdf"); case("attachment.pdf", 11, ["attachment"])

    # 12. An older revision: the secret was on the page, then an incremental update removed it.
    path = os.path.join(out, "incremental.pdf")
    doc, page = new_doc()
    page.insert_text((60, 120), "note " + secret(12), fontsize=12)
    doc.save(path, garbage=0, deflate=False)
    doc.close()
    doc = fitz.open(path)
    page = doc[0]
    page.add_redact_annot(fitz.Rect(50, 105, 400, 125))
    page.apply_redactions()
    doc.save(path, incremental=True, encryption=fitz.PDF_ENCRYPT_KEEP)
    doc.close()
    case("incremental.pdf", 12, ["earlier revisions"])

    # 13. A 1 pt font.
    doc, page = new_doc()
    page.insert_text((60, 120), "note " + secret(13), fontsize=1)
    save(doc, out, "one-point-font.pdf"); case("one-point-font.pdf", 13, ["hidden text"])

    # 14. Text that lives only in a Form XObject, drawn invisibly (render mode 3), and a second
    #     Form XObject in the page's resources that nothing draws.
    doc, page = new_doc()
    font = "/Resources << /Font << /F9 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    drawn = doc.get_new_xref()
    doc.update_object(drawn, f"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] {font} >>")
    doc.update_stream(drawn, f"BT 3 Tr /F9 12 Tf 60 700 Td (note {secret(14)}) Tj ET".encode(),
                      new=True)
    unused = doc.get_new_xref()
    doc.update_object(unused, f"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] {font} >>")
    doc.update_stream(unused, f"BT /F9 12 Tf 60 600 Td (note {secret(14)}) Tj ET".encode(),
                      new=True)
    page_resources = doc.xref_get_key(page.xref, "Resources")
    xobjects = f"<< /Fx8 {drawn} 0 R /Fx9 {unused} 0 R >>"
    if page_resources[0] == "xref":
        doc.xref_set_key(int(page_resources[1].split()[0]), "XObject", xobjects)
    else:
        doc.xref_set_key(page.xref, "Resources/XObject", xobjects)
    contents = page.get_contents()
    doc.update_stream(contents[-1], doc.xref_stream(contents[-1]) + b"\nq /Fx8 Do Q\n")
    save(doc, out, "form-xobject.pdf"); case("form-xobject.pdf", 14, ["hidden text"])

    # 15. An optional-content layer that is switched off.
    doc, page = new_doc()
    ocg = doc.add_ocg("Reviewer notes", on=False)
    page.insert_text((60, 120), "note " + secret(15), fontsize=12, oc=ocg)
    save(doc, out, "layer-off.pdf"); case("layer-off.pdf", 15, ["layer switched off"])

    # 16. A scan with a stale invisible OCR layer that says more than its pixels.
    doc = fitz.open()
    page = doc.new_page(width=595, height=842)
    page.insert_image(page.rect, stream=scan_image([VISIBLE, "The matter is closed."]))
    page.insert_text((60, 80), VISIBLE, fontsize=12, render_mode=3)
    page.insert_text((60, 110), "The matter is closed. Contact " + secret(16), fontsize=12,
                     render_mode=3)
    save(doc, out, "stale-ocr-layer.pdf"); case("stale-ocr-layer.pdf", 16, ["hidden text"])

    with open(sys.argv[2], "w") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main()
