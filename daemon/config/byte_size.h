#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace newswire::config {

// Parses a size in bytes: a plain integer ("1048576", "-1" parses so that the caller reports it
// as out of bounds) or a non-negative integer with a unit, binary ("512KiB", "16MiB", "1GiB",
// "1TiB") or decimal ("10kB", "10MB", "1GB", "1TB"), with an optional space before the unit.
// The error is a phrase such as "unknown unit 'megs'" for the caller to put after the key.
tl::expected<std::int64_t, std::string> ParseByteSize(std::string_view text);

// The shortest exact form ParseByteSize reads back: "16MiB" when the value is a whole number of
// KiB, MiB, GiB or TiB, otherwise the plain integer.
std::string FormatByteSize(std::int64_t bytes);

}  // namespace newswire::config
