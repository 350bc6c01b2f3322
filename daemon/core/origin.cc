#include "daemon/core/origin.h"

#include <fmt/format.h>

namespace newswire {

std::string_view OriginKindName(Origin::Kind kind) {
  switch (kind) {
    case Origin::Kind::kFile:
      return "file";
    case Origin::Kind::kKafka:
      return "kafka";
    case Origin::Kind::kStdin:
      return "stdin";
  }
  return "unknown";
}

std::string Origin::Describe() const {
  switch (kind) {
    case Kind::kFile:
      return fmt::format("file {}:{}", source_name, path);
    case Kind::kKafka:
      return fmt::format("kafka {}[{}]@{}", topic, partition, offset);
    case Kind::kStdin:
      return "stdin";
  }
  return "unknown";
}

}  // namespace newswire
