#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// The pieces of the Prometheus text exposition format (version 0.0.4) that the registry writes:
// numbers, escaped label values and HELP text, and the name rules. Pure functions, any thread.
namespace newswire::metrics {

// The Content-Type of a rendering, for the GET /metrics response.
inline constexpr std::string_view kTextFormatContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Integers in decimal, never with an exponent.
void AppendInteger(std::string& out, std::uint64_t value);

// "+Inf", "-Inf", "NaN" as Prometheus spells them; integral values without exponent or fraction
// ("3", "100000"); other values in the shortest form that reads back as the same double, fixed
// between 1e-4 and 1e21 ("0.0005", "2.5") and scientific outside ("1e-05", "1e+21"), which is how
// client_golang and the Python client write them.
void AppendDouble(std::string& out, double value);

// Label values: backslash, double quote and newline become \\, \" and \n.
void AppendEscapedLabelValue(std::string& out, std::string_view value);

// HELP text: backslash and newline become \\ and \n (a double quote stays as it is).
void AppendEscapedHelp(std::string& out, std::string_view help);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);

// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
bool IsValidLabelName(std::string_view name);

}  // namespace newswire::metrics
