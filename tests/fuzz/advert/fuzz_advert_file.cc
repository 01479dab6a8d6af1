// Fuzzes the advertisement file parser: any bytes another program leaves in the directory.
// A file that parses must re-encode to something that parses to the same record, and the
// matcher and sanitizer must accept whatever the parser produced.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sim/advert/advert_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecusim::advert;
  const std::string content(reinterpret_cast<const char*>(data), size);
  auto record = ParseAdvertFile(content);
  if (!record.ok()) return 0;
  const std::string encoded = EncodeAdvertFile(*record);
  auto again = ParseAdvertFile(encoded);
  if (!again.ok() || again->service_name != record->service_name ||
      again->service_type != record->service_type || again->address != record->address ||
      again->pid != record->pid || !(again->uuid == record->uuid) ||
      again->properties != record->properties) {
    std::abort();
  }
  (void)SanitizeServiceType(record->service_type);
  (void)MatchesProperties(record->properties, record->properties);
  (void)ValidateRecord(*record);
  return 0;
}
