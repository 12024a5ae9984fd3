#pragma once
// The review application's page, script and style, served by the binary itself (nothing is
// fetched from anywhere else).

#include <string>

namespace redact {

// The page, with `token` in a meta tag (for the script's requests) and in the URLs of its
// script and style.
std::string ReviewPageHtml(const std::string& token);

extern const char* const kReviewAppJs;
extern const char* const kReviewAppCss;

}  // namespace redact
