// The config loader on any YAML: an invalid config must be refused with its errors listed (each
// located as file:line:col), never crash. What it accepts is a config the daemon could start with.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto config = newswire::config::ParseConfig(yaml, "fuzz.yaml");
  if (config) {
    // What is accepted renders, as `newswire check-config` prints it.
    if (newswire::config::RenderConfig(*config).empty()) __builtin_trap();
    return 0;
  }
  if (config.error().empty()) __builtin_trap();
  for (const auto& error : config.error()) {
    if (error.Describe().rfind("fuzz.yaml", 0) != 0) __builtin_trap();
  }
  return 0;
}
