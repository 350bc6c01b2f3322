#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

namespace newswire {

// Where in the daemon a failure happened. Every error names its stage so that a log line or a
// dead-letter record says which part of newswire rejected an item.
enum class Stage {
  kConfig,
  kSource,
  kDecode,
  kNormalize,
  kClassify,
  kEncode,
  kSink,
};

// What kind of failure it is; stable strings (ErrorCodeName) go into dead-letter headers and
// metrics, so never rename one.
enum class ErrorCode {
  kInvalidArgument,
  kEmptyInput,
  kInvalidUtf8,
  kTooLarge,
  kNotRegularFile,
  kSymlink,
  kPermissionDenied,
  kIo,
  kUnsupportedFormat,
  kQueueFull,
  kDeliveryFailed,
  kFatal,
  kInternal,
  kInUse,  // start-up only: another process holds what newswire needs (the state directory)
};

std::string_view StageName(Stage stage);
std::string_view ErrorCodeName(ErrorCode code);

// A failure with its stage, its kind and one human sentence that says what went wrong and, where
// it helps, what to do about it.
struct Error {
  Stage stage = Stage::kSource;
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "decode/invalid_utf8: invalid UTF-8 at byte 17"
  std::string Describe() const;
};

// The data path returns Result<T>, never throws per record. Only the parts of tl::expected that
// std::expected also has are used, so the switch is one line.
template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> MakeError(Stage stage, ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{stage, code, std::move(message)});
}

// One start-up error (stage config) listing every problem found in a data file set, a line
// each: "2 problems in the topic rules:\nrules.yaml:3:5: ...\nrules.yaml:9:1: ...".
tl::unexpected<Error> MakeProblemListError(std::string_view what,
                                           const std::vector<std::string>& problems);

}  // namespace newswire
