#pragma once
// Whether this build runs under AddressSanitizer, which reserves terabytes of address space
// for its shadow memory: an address-space limit (RLIMIT_AS) would stop every child started
// under it, so limits of that kind are not set there (time limits still apply).

#if defined(__SANITIZE_ADDRESS__)
#define REDACT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REDACT_ASAN 1
#endif
#endif
#ifndef REDACT_ASAN
#define REDACT_ASAN 0
#endif
