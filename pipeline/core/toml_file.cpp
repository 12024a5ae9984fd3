#include "pipeline/core/toml_file.h"

#include "pipeline/core/files.h"

namespace redact {

Result<toml::table> ReadTomlFile(const std::string& path, size_t max_bytes) {
  auto bytes = ReadFile(path, max_bytes);
  if (!bytes.ok()) return bytes.status();
  try {
    return toml::parse(*bytes, path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidInput(path + ": TOML error at line " +
                                std::to_string(e.source().begin.line) + ": " +
                                std::string(e.description()));
  }
}

}  // namespace redact
