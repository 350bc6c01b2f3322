#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace newswire {

// Where a source item came from. Set by the source, carried unchanged through the pipeline into
// the event (as `source`) and into every dead-letter record, so an operator can find the input.
struct Origin {
  enum class Kind { kFile, kKafka, kStdin };

  Kind kind = Kind::kFile;
  // The configured name of the source ("inbox"), or "stdin" / the file name for `newswire process`.
  std::string source_name;
  // kFile: the path the file had in the feed directory when it was claimed.
  std::string path;
  // kKafka: where the record was read.
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  // Where the input can be fetched again to replay it, as a URI; empty when the source cannot
  // say (stdin, `newswire process`). kFile: the file:// address of the path the file gets in
  // failed/ when it is rejected, decided and reserved when the file is handed out. kKafka:
  // "kafka://topic/partition/offset" (KafkaRecordUri) in the source's cluster.
  std::string location;

  // One line for logs: "file inbox:/var/inbox/a.txt", "kafka news.raw[2]@1234", "stdin".
  std::string Describe() const;
};

std::string_view OriginKindName(Origin::Kind kind);

// "file:///var/inbox/failed/a%20b.txt": `absolute_path` with every byte other than a letter, a
// digit, '-', '.', '_', '~' and '/' percent-encoded (RFC 8089).
std::string FileUri(std::string_view absolute_path);

// "kafka://news.raw/2/1234": a record's address within its cluster.
std::string KafkaRecordUri(std::string_view topic, std::int32_t partition, std::int64_t offset);

// Appends the Kafka headers that name where a record's input came from: newswire-origin (the
// Describe() line), newswire-origin-kind, newswire-source, and newswire-path for a file or
// newswire-topic/-partition/-offset for a Kafka record. Dead letters and forwarded raw items
// (pipeline: forward) carry them, so tools read both the same way.
void AppendOriginHeaders(const Origin& origin,
                         std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace newswire
