// libFuzzer entry point for redact::fuzz::PngCodec (see fuzz_targets.h).
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return redact::fuzz::PngCodec(data, size);
}
