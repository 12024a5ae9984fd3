#pragma once
// A tar archive (POSIX ustar) of a few small files, made and read in memory: the report's page
// views of one release kept as one file (a file each would be dozens of files to create per
// document), which `tar -tf` lists and `tar -xf` unpacks.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redact {

// `files` (name, bytes) as an archive: regular files, mode 0644, no owner, time 0 (the audit
// records say when). Names must be under 100 bytes.
std::string TarArchive(const std::vector<std::pair<std::string, std::string>>& files);

// The bytes of member `name` of `archive`, or nothing when it is not there or the archive is
// not one this reads (a header's checksum wrong, a size past the end).
std::optional<std::string_view> TarMember(std::string_view archive, std::string_view name);

}  // namespace redact
