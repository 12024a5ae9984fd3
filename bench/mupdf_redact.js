// MuPDF's own regular-expression redaction, for scripts/bench.sh to measure redact against:
// each page's text searched with a JavaScript RegExp, every hit marked with a redaction
// annotation and the annotations applied (the text under them removed, vector output: no
// raster, no self-check). usage: mutool run mupdf_redact.js IN.pdf OUT.pdf
var pattern = new RegExp(
  "\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}" +
  "|\\b(?:GCHQ|MI5|MI6|NCSC)\\b|\\b0\\d{3,4} ?\\d{3} ?\\d{3,4}\\b" +
  "|\\b[A-Z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b", "g");
var doc = new PDFDocument(scriptArgs[0]);
var hits = 0;
for (var i = 0; i < doc.countPages(); i++) {
  var page = doc.loadPage(i);
  // The page's text as MuPDF reads it (this MuPDF's StructuredText has no asText: walked).
  var text = "";
  page.toStructuredText("preserve-whitespace").walk({
    onChar: function (c) { text += c; },
    endLine: function () { text += "\n"; },
  });
  var seen = {};
  var m;
  pattern.lastIndex = 0;
  while ((m = pattern.exec(text)) !== null) {
    if (seen[m[0]]) continue;
    seen[m[0]] = true;
    var found = page.search(m[0]);
    for (var k = 0; k < found.length; k++) {
      var annot = page.createAnnotation("Redact");
      annot.setQuadPoints(found[k]);
      hits++;
    }
  }
  page.applyRedactions();
}
doc.save(scriptArgs[1]);
print(hits + " redactions");
