#include "daemon/metrics/text_format.h"

#include <array>
#include <charconv>
#include <cmath>

namespace newswire::metrics {
namespace {

// Enough for any double in shortest round-trip form (at most 24 characters) and any uint64.
constexpr std::size_t kNumberBufferBytes = 32;

// The range in which a non-integral double is written in fixed notation; see AppendDouble.
constexpr double kMinFixed = 1e-4;
constexpr double kMaxFixed = 1e21;

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

void AppendInteger(std::string& out, std::uint64_t value) {
  std::array<char, kNumberBufferBytes> buffer;
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void AppendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  // std::to_chars without a format picks whichever of fixed and scientific is shorter, which
  // writes 100000 as "1e+05" and 0.0005 as "5e-04": valid, but not what operators (or
  // le="0.0005" selectors written by hand) expect. So the notation is chosen here.
  const double magnitude = std::fabs(value);
  const bool fixed = magnitude == 0.0 || (magnitude >= kMinFixed && magnitude < kMaxFixed);
  std::array<char, kNumberBufferBytes> buffer;
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                    fixed ? std::chars_format::fixed : std::chars_format::scientific);
  out.append(buffer.data(), result.ptr);
}

namespace {

// Backslash and newline are escaped in HELP text and label values; double quotes only in label
// values, which are quoted.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quotes) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  AppendEscaped(out, value, /*escape_quotes=*/true);
}

void AppendEscapedHelp(std::string& out, std::string_view help) {
  AppendEscaped(out, help, /*escape_quotes=*/false);
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiLetter(c) || c == '_' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

}  // namespace newswire::metrics
