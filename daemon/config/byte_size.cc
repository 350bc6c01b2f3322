#include "daemon/config/byte_size.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace newswire::config {
namespace {

struct ByteUnit {
  std::string_view suffix;
  std::int64_t multiplier;
};

constexpr std::int64_t kKibibyte = 1024;
constexpr std::int64_t kMebibyte = 1024 * kKibibyte;
constexpr std::int64_t kGibibyte = 1024 * kMebibyte;
constexpr std::int64_t kTebibyte = 1024 * kGibibyte;

// Case matters: "Mb" would be megabits, so only the spellings people mean as bytes are accepted.
constexpr std::array<ByteUnit, 10> kUnits = {{
    {"B", 1},
    {"KiB", kKibibyte},
    {"MiB", kMebibyte},
    {"GiB", kGibibyte},
    {"TiB", kTebibyte},
    {"kB", 1000},
    {"KB", 1000},
    {"MB", std::int64_t{1000} * 1000},
    {"GB", std::int64_t{1000} * 1000 * 1000},
    {"TB", std::int64_t{1000} * 1000 * 1000 * 1000},
}};

// Largest first, so that FormatByteSize picks the shortest spelling.
constexpr std::array<ByteUnit, 4> kBinaryUnits = {{
    {"TiB", kTebibyte},
    {"GiB", kGibibyte},
    {"MiB", kMebibyte},
    {"KiB", kKibibyte},
}};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

tl::expected<std::int64_t, std::string> ParseByteSize(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  if (trimmed.empty()) return tl::unexpected<std::string>("the size is empty");

  std::int64_t number = 0;
  const char* begin = trimmed.data();
  const char* end = trimmed.data() + trimmed.size();
  auto [number_end, error] = std::from_chars(begin, end, number);
  if (error == std::errc::result_out_of_range) {
    return tl::unexpected<std::string>(fmt::format("'{}' is too large", trimmed));
  }
  // A plain integer may be negative, so that "-1" is reported as out of bounds by the caller
  // rather than as a malformed size; with a unit a sign makes no sense.
  if (error == std::errc() && number_end == end) return number;
  if (error != std::errc() || *begin == '-') {
    return tl::unexpected<std::string>(fmt::format(
        "'{}' is not a size; write bytes as an integer or with a unit such as 512KiB, 16MiB, "
        "1GiB or 10MB",
        trimmed));
  }

  const std::string_view suffix = Trim(std::string_view(number_end, end - number_end));
  for (const ByteUnit& unit : kUnits) {
    if (unit.suffix != suffix) continue;
    std::int64_t bytes = 0;
    if (__builtin_mul_overflow(number, unit.multiplier, &bytes)) {
      return tl::unexpected<std::string>(fmt::format("'{}' is too large", trimmed));
    }
    return bytes;
  }
  return tl::unexpected<std::string>(
      fmt::format("'{}' has an unknown unit '{}'; use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB",
                  trimmed, suffix));
}

std::string FormatByteSize(std::int64_t bytes) {
  if (bytes > 0) {
    for (const ByteUnit& unit : kBinaryUnits) {
      if (bytes % unit.multiplier == 0) {
        return fmt::format("{}{}", bytes / unit.multiplier, unit.suffix);
      }
    }
  }
  return std::to_string(bytes);
}

}  // namespace newswire::config
