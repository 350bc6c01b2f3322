#include "daemon/app/logging.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/pipeline/unicode_text.h"

namespace newswire::app {
namespace {

// Control characters in a message (a file name with a newline, say) are written escaped, so
// that one log call is always one line and input can never forge a line of its own; bytes that
// are not UTF-8 (file names are arbitrary bytes) become U+FFFD, so JSON logs stay JSON. JSON
// additionally escapes quotes and backslashes.
enum class Escaping { kText, kJson };

void AppendEscaped(std::string_view text, Escaping escaping, spdlog::memory_buf_t& out) {
  std::string repaired;
  if (pipeline::FindInvalidUtf8(text)) {
    repaired = pipeline::ReplaceInvalidUtf8(text);
    text = repaired;
  }
  for (char c : text) {
    switch (c) {
      case '"':
      case '\\':
        if (escaping == Escaping::kJson) out.push_back('\\');
        out.push_back(c);
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        if (escaping == Escaping::kJson) {
          out.append(std::string_view("\\t"));
        } else {
          out.push_back(c);
        }
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
}

void AppendJsonString(std::string_view text, spdlog::memory_buf_t& out) {
  out.push_back('"');
  AppendEscaped(text, Escaping::kJson, out);
  out.push_back('"');
}

// The text format's message, as %* in its pattern.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm& /*time*/,
              spdlog::memory_buf_t& out) override {
    AppendEscaped(std::string_view(message.payload.data(), message.payload.size()), Escaping::kText,
                  out);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

// One JSON object per line: {"time":"…","level":"info","message":"…"}. A formatter of its own
// because spdlog's pattern language cannot escape the message.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override {
    auto since_epoch = message.time.time_since_epoch();
    auto seconds = std::chrono::floor<std::chrono::seconds>(message.time);
    auto milliseconds =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    fmt::format_to(std::back_inserter(out), R"({{"time":"{:%Y-%m-%dT%H:%M:%S}.{:03}Z")", seconds,
                   milliseconds);
    fmt::format_to(std::back_inserter(out), R"(,"level":"{}","message":)",
                   spdlog::level::to_string_view(message.level));
    AppendJsonString(std::string_view(message.payload.data(), message.payload.size()), out);
    out.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

bool LogIsTerminal() { return isatty(STDERR_FILENO) == 1; }

Result<void> SetupLogging(const LoggingOptions& options) {
  auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    return MakeError(
        Stage::kConfig, ErrorCode::kInvalidArgument,
        fmt::format("unknown log level '{}' (trace, debug, info, warn, error)", options.level));
  }
  if (options.format != "text" && options.format != "json") {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     fmt::format("unknown log format '{}' (text, json)", options.format));
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      LogIsTerminal() && options.format == "text" ? spdlog::color_mode::automatic
                                                  : spdlog::color_mode::never);
  auto logger = std::make_shared<spdlog::logger>("newswire", sink);
  if (options.format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<EscapedMessage>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %*");
    logger->set_formatter(std::move(formatter));
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace newswire::app
