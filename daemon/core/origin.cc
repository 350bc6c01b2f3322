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

std::string FileUri(std::string_view absolute_path) {
  std::string uri = "file://";
  uri.reserve(uri.size() + absolute_path.size());
  for (const char character : absolute_path) {
    const bool plain = (character >= 'a' && character <= 'z') ||
                       (character >= 'A' && character <= 'Z') ||
                       (character >= '0' && character <= '9') || character == '-' ||
                       character == '.' || character == '_' || character == '~' || character == '/';
    if (plain) {
      uri.push_back(character);
    } else {
      uri.append(fmt::format("%{:02X}", static_cast<unsigned char>(character)));
    }
  }
  return uri;
}

std::string KafkaRecordUri(std::string_view topic, std::int32_t partition, std::int64_t offset) {
  return fmt::format("kafka://{}/{}/{}", topic, partition, offset);
}

void AppendOriginHeaders(const Origin& origin,
                         std::vector<std::pair<std::string, std::string>>& headers) {
  headers.emplace_back("newswire-origin", origin.Describe());
  headers.emplace_back("newswire-origin-kind", OriginKindName(origin.kind));
  headers.emplace_back("newswire-source", origin.source_name);
  if (origin.kind == Origin::Kind::kFile) headers.emplace_back("newswire-path", origin.path);
  if (origin.kind == Origin::Kind::kKafka) {
    headers.emplace_back("newswire-topic", origin.topic);
    headers.emplace_back("newswire-partition", std::to_string(origin.partition));
    headers.emplace_back("newswire-offset", std::to_string(origin.offset));
  }
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
