#pragma once
// Entry points of the fuzz targets. Each is built into a libFuzzer binary (REDACT_FUZZ=ON,
// clang) and also called by tests/fuzz_regression_test.cpp on every input kept in
// tests/data/fuzz/<target>/, so a crash once found stays fixed in the ordinary test run.

#include <cstddef>
#include <cstdint>

namespace redact::fuzz {

// The rule loader: the bytes as a rules TOML file (toml++, the checks, RE2 compilation).
int RuleLoader(const uint8_t* data, size_t size);
// The page-text mapper: words with boxes built from the bytes, joined into page text with a
// byte map, then every default rule run over it and the findings mapped back to boxes.
int PageText(const uint8_t* data, size_t size);
// Ingest and extract: the bytes as an input file (sniffed, opened with Poppler or Leptonica,
// text layer read, pages rendered at a low resolution; no OCR).
int IngestExtract(const uint8_t* data, size_t size);
// The Office package cleaner: the bytes as a DOCX or OpenDocument package (libzip, libxml2),
// listed and cleaned into a scratch copy. LibreOffice is not run.
int OfficePackage(const uint8_t* data, size_t size);
// The e-mail reader: the bytes as an RFC 5322 message (GMime), attachments written out.
int Email(const uint8_t* data, size_t size);
// The palette PNG encoder against libpng: an image of palette indices drawn from the bytes
// (its size, palette and pixels; sometimes encoded twice, the second time reusing the first's
// bands), encoded by image/png.h and decoded by libpng (through Leptonica). Traps unless
// libpng reads back every index and colour.
int PngCodec(const uint8_t* data, size_t size);
// The CCITT G4 encoder against libtiff's: a bilevel page drawn from the bytes (runs, rows
// repeated with shifts), encoded by image/ccitt_g4.h and by libtiff (through Leptonica).
// Traps unless the bytes are the same.
int G4Codec(const uint8_t* data, size_t size);

}  // namespace redact::fuzz
