#include "daemon/core/error.h"

#include <fmt/format.h>

namespace newswire {

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kConfig:
      return "config";
    case Stage::kSource:
      return "source";
    case Stage::kDecode:
      return "decode";
    case Stage::kNormalize:
      return "normalize";
    case Stage::kClassify:
      return "classify";
    case Stage::kEncode:
      return "encode";
    case Stage::kSink:
      return "sink";
  }
  return "unknown";
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kEmptyInput:
      return "empty_input";
    case ErrorCode::kInvalidUtf8:
      return "invalid_utf8";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kNotRegularFile:
      return "not_regular_file";
    case ErrorCode::kSymlink:
      return "symlink";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kUnsupportedFormat:
      return "unsupported_format";
    case ErrorCode::kQueueFull:
      return "queue_full";
    case ErrorCode::kDeliveryFailed:
      return "delivery_failed";
    case ErrorCode::kFatal:
      return "fatal";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kInUse:
      return "in_use";
  }
  return "unknown";
}

std::string Error::Describe() const {
  return fmt::format("{}/{}: {}", StageName(stage), ErrorCodeName(code), message);
}

tl::unexpected<Error> MakeProblemListError(std::string_view what,
                                           const std::vector<std::string>& problems) {
  std::string message =
      fmt::format("{} problem{} in {}:", problems.size(), problems.size() == 1 ? "" : "s", what);
  for (const std::string& problem : problems) message += "\n" + problem;
  return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace newswire
