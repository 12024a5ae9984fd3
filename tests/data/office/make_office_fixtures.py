#!/usr/bin/python3
"""Writes the Office test drafts in this folder: a DOCX and an ODT each holding, besides their
visible text, every kind of content a reader of the final document does not see (tracked
deletions, comments, hidden text, properties, field codes, linked content, alt text), each
with a string of its own that must never reach a release; and hostile packages (an entity
bomb, a package cut short, a part that inflates far beyond its size); and packages whose parts
are found only through their relationships or manifest (a main document that is not at the usual
name beside a decoy that is, a part nothing names, an altChunk, embedded packages).

The XML is written by hand from the formats' public descriptions (ECMA-376 WordprocessingML,
OASIS OpenDocument 1.2). Run again to rebuild: /usr/bin/python3 make_office_fixtures.py
"""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_zip(name, parts, stored_first=None):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(zip_bytes(parts, stored_first))
    return path


def zip_bytes(parts, stored_first=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        if stored_first:
            z.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1], zipfile.ZIP_STORED)
        for part, data in parts:
            info = zipfile.ZipInfo(part, date_time=(2026, 1, 1, 0, 0, 0))
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def para(runs):
    return "<w:p>" + runs + "</w:p>"


def run(text, hidden=False):
    rpr = "<w:rPr><w:vanish/></w:rPr>" if hidden else ""
    return '<w:r>%s<w:t xml:space="preserve">%s</w:t></w:r>' % (rpr, text)


def docx():
    body = "".join([
        para(run("Our response to your request about network security.")),
        # A tracked deletion: the old sentence is only in the file's history.
        para('<w:del w:id="1" w:author="Dan Reviewer" w:date="2026-01-02T10:00:00Z"><w:r>'
             '<w:delText xml:space="preserve">The old firewall was replaced last year by '
             'the Larkspur appliance.</w:delText></w:r></w:del>'),
        # A tracked insertion: accepted, it is the final text.
        para('<w:ins w:id="2" w:author="Dan Reviewer" w:date="2026-01-02T10:01:00Z">'
             + run("We hold some of the information you asked for.") + "</w:ins>"),
        # A comment on a visible phrase.
        para('<w:commentRangeStart w:id="0"/>' + run("The request was received in January.")
             + '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'),
        # Hidden text inside a visible paragraph.
        para(run("This paragraph is visible. ") + run("Internal reference Operation Bluebird.",
                                                        hidden=True)),
        # A field: the code names an intranet address, the result is what a reader sees.
        para('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
             ' HYPERLINK "http://intranet.northshire.local/foi/case-5521" </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + run("our publication scheme")
             + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'),
        para(run("Regards, Information Rights Team")),
        '<w:sectPr><w:headerReference w:type="default" r:id="rId3"/></w:sectPr>',
    ])
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>%s</w:body></w:document>'
                % (W, R, body))
    comments = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments xmlns:w="%s">'
                '<w:comment w:id="0" w:author="Alice Jones" w:date="2026-01-03T09:00:00Z">'
                '<w:p><w:r><w:t>Check the wording with the Quillfeather liaison before sending'
                '</w:t></w:r></w:p></w:comment></w:comments>' % W)
    header = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr xmlns:w="%s">'
              '<w:p><w:r><w:t>Northshire Police FOI</w:t></w:r></w:p></w:hdr>' % W)
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="%s/comments" Target="comments.xml"/>'
            '<Relationship Id="rId3" Type="%s/header" Target="header1.xml"/>'
            '<Relationship Id="rId9" Type="%s/image" Target="http://tracker.example.net/pixel-77.png"'
            ' TargetMode="External"/></Relationships>' % (R, R, R))
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:title>Draft for Inspector Pemberton</dc:title><dc:creator>Bob Thistlewood'
            '</dc:creator><cp:lastModifiedBy>Carol Whitacre</cp:lastModifiedBy>'
            '</cp:coreProperties>')
    app = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-'
           'properties"><Company>Northshire Cyber Crime Unit</Company>'
           '<Template>\\\\fileserver07\\templates\\foi.dotx</Template></Properties>')
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.document.main+xml"/>'
             '<Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.comments+xml"/>'
             '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.header+xml"/>'
             '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
             'package.core-properties+xml"/>'
             '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.extended-properties+xml"/></Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'relationships"><Relationship Id="rId1" Type="%s/officeDocument" '
                 'Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.'
                 'openxmlformats.org/package/2006/relationships/metadata/core-properties" '
                 'Target="docProps/core.xml"/><Relationship Id="rId3" Type="%s/extended-'
                 'properties" Target="docProps/app.xml"/></Relationships>' % (R, R))
    parts = [("[Content_Types].xml", types), ("_rels/.rels", root_rels),
             ("word/document.xml", document), ("word/_rels/document.xml.rels", rels),
             ("word/comments.xml", comments), ("word/header1.xml", header),
             ("docProps/core.xml", core), ("docProps/app.xml", app)]
    write_zip("hidden-content.docx", parts)
    # Hostile: an entity bomb in the main part, and the same package cut short.
    bomb = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><w:document xmlns:w="%s"><w:body>'
            '<w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>' % W)
    write_zip("entity-bomb.docx", [p if p[0] != "word/document.xml" else (p[0], bomb)
                                   for p in parts])
    # A zip bomb in miniature: 4 MB of zeros that deflate to a few kB (the tests lower the
    # limit to 1 MB; the real limits are far above any draft).
    write_zip("big-part.docx", parts + [("word/media/padding.bin", b"\0" * (4 << 20))])
    # The same DTD in UTF-16, where a byte search for "<!DOCTYPE" finds nothing.
    write_zip("entity-bomb-utf16.docx", [p if p[0] != "word/document.xml"
                                         else (p[0], bomb.replace('<?xml version="1.0"?>',
                                               '<?xml version="1.0" encoding="UTF-16"?>')
                                               .encode("utf-16"))
                                         for p in parts])
    # An insertion that declares the namespace its runs use (freeing it with the insertion
    # once left the runs pointing at freed memory).
    own_ns = document.replace(
        '<w:ins w:id="2" w:author="Dan Reviewer" w:date="2026-01-02T10:01:00Z">',
        '<w:ins xmlns:q="%s" w:id="2" w:author="Dan Reviewer" w:date="2026-01-02T10:01:00Z">' % W)
    own_ns = own_ns.replace(run("We hold some of the information you asked for."),
                            '<q:r><q:t>We hold some of the information you asked for.</q:t></q:r>')
    write_zip("insertion-declares-namespace.docx",
              [p if p[0] != "word/document.xml" else (p[0], own_ns) for p in parts])
    with open(os.path.join(HERE, "hidden-content.docx"), "rb") as f:
        data = f.read()
    with open(os.path.join(HERE, "truncated.docx"), "wb") as f:
        f.write(data[: len(data) // 2])


def odt():
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
          'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content %s office:version="1.2">'
        '<office:automatic-styles><style:style style:name="Secret" style:family="text">'
        '<style:text-properties text:display="none"/></style:style></office:automatic-styles>'
        '<office:body><office:text>'
        '<text:tracked-changes><text:changed-region text:id="ct1"><text:deletion>'
        '<office:change-info><dc:creator>Dan Reviewer</dc:creator><dc:date>2026-01-02T10:00:00'
        '</dc:date></office:change-info><text:p>The old firewall was replaced last year by the '
        'Larkspur appliance.</text:p></text:deletion></text:changed-region>'
        '<text:changed-region text:id="ct2"><text:insertion><office:change-info>'
        '<dc:creator>Dan Reviewer</dc:creator><dc:date>2026-01-02T10:01:00</dc:date>'
        '</office:change-info></text:insertion></text:changed-region></text:tracked-changes>'
        '<text:p>Our response to your request about network security.</text:p>'
        '<text:p><text:change text:change-id="ct1"/></text:p>'
        '<text:p><text:change-start text:change-id="ct2"/>We hold some of the information you '
        'asked for.<text:change-end text:change-id="ct2"/></text:p>'
        '<text:p>The request was received in January.<office:annotation><dc:creator>Alice Jones'
        '</dc:creator><text:p>Check the wording with the Quillfeather liaison before sending'
        '</text:p></office:annotation></text:p>'
        '<text:p>This paragraph is visible. <text:span text:style-name="Secret">Internal '
        'reference Operation Bluebird.</text:span></text:p>'
        '<text:p>Another line.<text:hidden-text text:condition="ooow:1" text:string-value='
        '"Sergeant Ravensworth on the night shift" text:is-hidden="true"/></text:p>'
        '<text:section text:name="Notes" text:display="none"><text:p>Drafting notes for '
        'Superintendent Okonkwo-Baines only.</text:p></text:section>'
        '<text:p><draw:frame draw:name="Chart" svg:width="2cm" svg:height="1cm">'
        '<draw:image xlink:href="http://tracker.example.net/pixel-77.png" xlink:type="simple"/>'
        '<svg:title>Diagram of the Kestrel Ridge server room</svg:title></draw:frame></text:p>'
        '<text:p>Regards, Information Rights Team</text:p>'
        '</office:text></office:body></office:document-content>' % ns)
    meta = ('<?xml version="1.0" encoding="UTF-8"?><office:document-meta %s office:version="1.2">'
            '<office:meta><dc:title>Draft for Inspector Pemberton</dc:title>'
            '<meta:initial-creator>Bob Thistlewood</meta:initial-creator>'
            '<dc:creator>Carol Whitacre</dc:creator>'
            '<meta:user-defined meta:name="Unit">Northshire Cyber Crime Unit</meta:user-defined>'
            '</office:meta></office:document-meta>' % ns)
    styles = ('<?xml version="1.0" encoding="UTF-8"?><office:document-styles %s '
              'office:version="1.2"><office:master-styles><style:master-page style:name="Standard">'
              '<style:header><text:p>Northshire Police FOI</text:p></style:header>'
              '</style:master-page></office:master-styles></office:document-styles>' % ns)
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
                'oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.'
                'xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path='
                '"styles.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:'
                'full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    write_zip("hidden-content.odt",
              [("content.xml", content), ("styles.xml", styles), ("meta.xml", meta),
               ("META-INF/manifest.xml", manifest)],
              stored_first=("mimetype", "application/vnd.oasis.opendocument.text"))


def simple_docx(main_name, body, extra_parts=(), main_rels=(), decoy=None):
    """A DOCX whose main document is `main_name`; `main_rels` are (id, type, target) of its
    relationships; `decoy` the body of a word/document.xml nothing names."""
    def document(paragraphs):
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>%s</w:body></w:document>'
                % (W, R, paragraphs))
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/%s" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.document.main+xml"/></Types>' % main_name)
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'relationships"><Relationship Id="rId1" Type="%s/officeDocument" '
                 'Target="%s"/></Relationships>' % (R, main_name))
    parts = [("[Content_Types].xml", types), ("_rels/.rels", root_rels),
             (main_name, document(body))]
    if main_rels:
        folder, base = main_name.rsplit("/", 1)
        parts.append(("%s/_rels/%s.rels" % (folder, base),
                      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                      'relationships">' + "".join(
                          '<Relationship Id="%s" Type="%s/%s" Target="%s"/>' % (i, R, t, target)
                          for i, t, target in main_rels) + "</Relationships>"))
    if decoy is not None:
        parts.append(("word/document.xml", document(decoy)))
    return parts + list(extra_parts)


def relationships():
    visible = para(run("We hold some of the information you asked for."))
    deletion = para('<w:del w:id="1" w:author="Dan Reviewer" w:date="2026-01-02T10:00:00Z"><w:r>'
                    '<w:delText xml:space="preserve">The patrol plan names the Harrowgate '
                    'depot.</w:delText></w:r></w:del>')
    # The main document named by the relationships is word/real.xml (with a tracked
    # deletion); word/document.xml beside it is a harmless decoy nothing names.
    write_zip("decoy-main.docx", simple_docx(
        "word/real.xml", visible + deletion,
        decoy=para(run("Nothing to see in this decoy paragraph."))))
    # A part nothing names, holding text.
    write_zip("unused-part.docx", simple_docx(
        "word/document.xml", visible,
        extra_parts=[("word/notes.xml", '<?xml version="1.0" encoding="UTF-8"?>'
                      '<w:document xmlns:w="%s"><w:body>%s</w:body></w:document>'
                      % (W, para(run("Sergeant Blackwood keeps the spare keys."))))]))
    # An altChunk: HTML merged into the document only when it is opened.
    write_zip("altchunk.docx", simple_docx(
        "word/document.xml", visible + '<w:altChunk r:id="rIdChunk"/>',
        main_rels=[("rIdChunk", "aFChunk", "chunk.html")],
        extra_parts=[("word/chunk.html", "<html><body><p>Codename Marsh Harrier</p></body>"
                      "</html>")]))
    # Embedded packages: a DOCX holding a tracked deletion (cleaned in turn), and an OLE
    # object (refused).
    inner = zip_bytes(simple_docx("word/document.xml", visible + para(
        '<w:del w:id="1" w:author="Dan Reviewer" w:date="2026-01-02T10:00:00Z"><w:r><w:delText>'
        'The inner draft names Wrenfield Lodge.</w:delText></w:r></w:del>')))
    write_zip("embedded-docx.docx", simple_docx(
        "word/document.xml", visible, main_rels=[("rIdPkg", "package", "embeddings/inner.docx")],
        extra_parts=[("word/embeddings/inner.docx", inner)]))
    write_zip("embedded-ole.docx", simple_docx(
        "word/document.xml", visible,
        main_rels=[("rIdOle", "oleObject", "embeddings/oleObject1.bin")],
        extra_parts=[("word/embeddings/oleObject1.bin",
                      b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 504)]))


def odt_objects():
    """An ODT with an embedded text object ("Object 1/", its own content.xml holding a tracked
    deletion) and a part the manifest does not list."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content %s '
               'office:version="1.2"><office:body><office:text>'
               '<text:p>We hold some of the information you asked for.</text:p>'
               '<text:p><draw:frame draw:name="Object1" svg:width="8cm" svg:height="2cm">'
               '<draw:object xlink:href="./Object 1" xlink:type="simple"/></draw:frame></text:p>'
               '</office:text></office:body></office:document-content>' % ns)
    inner = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content %s '
             'office:version="1.2"><office:body><office:text><text:tracked-changes>'
             '<text:changed-region text:id="ct1"><text:deletion><office:change-info>'
             '<dc:creator>Dan Reviewer</dc:creator><dc:date>2026-01-02T10:00:00</dc:date>'
             '</office:change-info><text:p>The inner draft names Wrenfield Lodge.</text:p>'
             '</text:deletion></text:changed-region></text:tracked-changes>'
             '<text:p>Inner object text.<text:change text:change-id="ct1"/></text:p>'
             '</office:text></office:body></office:document-content>' % ns)
    stray = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content %s '
             'office:version="1.2"><office:body><office:text><text:p>Sergeant Blackwood keeps '
             'the spare keys.</text:p></office:text></office:body></office:document-content>' % ns)
    entry = '<manifest:file-entry manifest:full-path="%s" manifest:media-type="%s"/>'
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
                'oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                + entry % ("/", "application/vnd.oasis.opendocument.text")
                + entry % ("content.xml", "text/xml")
                + entry % ("Object 1/", "application/vnd.oasis.opendocument.text")
                + entry % ("Object 1/content.xml", "text/xml")
                + "</manifest:manifest>")
    write_zip("embedded-object.odt",
              [("content.xml", content), ("Object 1/content.xml", inner),
               ("stray.xml", stray), ("META-INF/manifest.xml", manifest)],
              stored_first=("mimetype", "application/vnd.oasis.opendocument.text"))


def disguised():
    """A DOCX whose text hides what the rules look for behind what a reader does not see: a
    zero-width space and joiner, Word's soft hyphen (the element and the character), no-break
    spaces in a phone number, full-width letters, a Cyrillic letter in a Latin acronym, a
    combining accent; and names in every shape (a particle and a suffix, Turkish capitals)."""
    def text_run(t):
        return '<w:r><w:t xml:space="preserve">%s</w:t></w:r>' % t
    body = "".join(para(r) for r in [
        text_run("Disguised text in a Word draft."),
        text_run("1. The incident report was shared with GC\u200bHQ on 3 March."),
        text_run("2. Remote access terminates on vpn-gw01.north\u200dshire.police.uk for staff."),
        text_run("3. The duty officer can be reached on 07700\u00a0900461 out of hours."),
        text_run("4. Guidance was sought from the \uff2e\uff23\uff33\uff23 before the audit."),
        text_run("5. A second referral was made to the N\u0421SC in April."),
        text_run("6. The logs were reviewed by Daniel Oka") + "<w:r><w:softHyphen/></w:r>"
        + text_run("for and by Priya Na\u00adir in person."),
        text_run("7. The review was led by Dr. Mari\u0301a J. Ortega de la Fuente II of the "
                 "records team."),
        text_run("8. The letter from \u0130smail \u015eahin arrived on Monday."),
        text_run("The annual report is published on the Council website."),
    ])
    write_zip("disguised.docx", simple_docx("word/document.xml", body))


if __name__ == "__main__":
    docx()
    odt()
    relationships()
    odt_objects()
    disguised()
