#include "pipeline/extract/plain_text.h"

#include "pipeline/core/files.h"
#include "pipeline/core/normalize.h"
#include "pipeline/core/text.h"

namespace redact {

Result<PageText> ReadPlainText(const std::string& path, size_t max_bytes,
                               std::vector<EncodedPart>* parts) {
  auto data = ReadFile(path, max_bytes);
  if (!data.ok()) return data.status();
  std::string text = std::move(*data);
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  if (!IsValidUtf8(text) || text.find('\0') != std::string::npos) {
    return Status::InvalidInput(
        "the text file is not valid UTF-8",
        "Save it again as UTF-8 (in most editors: Save As, Encoding UTF-8).");
  }
  PageText pt;
  pt.page = 1;
  auto decoded = DecodeEncodedText(text);
  if (!decoded.ok()) return decoded.status();
  if (parts) *parts = std::move(decoded->parts);
  // Read as the rules read it (core/normalize.h); the release keeps the file's characters.
  NormalizedText read = NormalizeText(decoded->text);
  if (read.text == decoded->text) {
    pt.text = std::move(decoded->text);
  } else {
    pt.text = std::move(read.text);
    pt.source_text = std::move(decoded->text);
    pt.source_map = std::move(read.source);
  }
  return pt;
}

}  // namespace redact
