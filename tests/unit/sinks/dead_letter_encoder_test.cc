#include "daemon/sinks/dead_letter/dead_letter_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace newswire::sinks {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// 2024-05-01T12:34:56.789Z
constexpr std::chrono::system_clock::time_point kTime{std::chrono::milliseconds(1714566896789)};

DeadLetter FileDeadLetter(std::string_view payload) {
  DeadLetter record;
  record.error = Error{Stage::kDecode, ErrorCode::kInvalidUtf8, "invalid UTF-8 at byte 17"};
  record.origin.kind = Origin::Kind::kFile;
  record.origin.source_name = "inbox";
  record.origin.path = "/var/inbox/a.txt";
  record.payload = payload;
  record.original_size = payload.size();
  record.payload_read = true;
  record.time = kTime;
  record.origin.location = "file:///var/inbox/failed/a.txt";
  record.source_uri = "newswire://ingest-1";
  return record;
}

std::vector<std::string> HeaderNames(const OutboundEvent& event) {
  std::vector<std::string> names;
  for (const auto& [name, value] : event.headers) names.push_back(name);
  return names;
}

TEST(DeadLetterEncoderTest, FileRecordCarriesPayloadAndEveryHeader) {
  const OutboundEvent event = EncodeDeadLetter(FileDeadLetter("caf\xC3 au lait"), 1024);

  EXPECT_EQ(event.channel, Channel::kDeadLetter);
  EXPECT_EQ(event.key, "/var/inbox/a.txt");
  EXPECT_EQ(event.value, "caf\xC3 au lait");
  EXPECT_THAT(
      HeaderNames(event),
      ElementsAre("newswire-stage", "newswire-error-code", "newswire-error", "newswire-origin",
                  "newswire-origin-kind", "newswire-source", "newswire-path", "newswire-time",
                  "newswire-source-uri", "newswire-input-location", "newswire-payload-bytes",
                  "newswire-payload-read", "newswire-payload-truncated"));
  EXPECT_EQ(event.Header("newswire-stage"), "decode");
  EXPECT_EQ(event.Header("newswire-error-code"), "invalid_utf8");
  EXPECT_EQ(event.Header("newswire-error"), "invalid UTF-8 at byte 17");
  EXPECT_EQ(event.Header("newswire-origin"), "file inbox:/var/inbox/a.txt");
  EXPECT_EQ(event.Header("newswire-origin-kind"), "file");
  EXPECT_EQ(event.Header("newswire-source"), "inbox");
  EXPECT_EQ(event.Header("newswire-path"), "/var/inbox/a.txt");
  EXPECT_EQ(event.Header("newswire-time"), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(event.Header("newswire-source-uri"), "newswire://ingest-1");
  EXPECT_EQ(event.Header("newswire-input-location"), "file:///var/inbox/failed/a.txt");
  EXPECT_EQ(event.Header("newswire-payload-bytes"), "12");
  EXPECT_EQ(event.Header("newswire-payload-read"), "true");
  EXPECT_EQ(event.Header("newswire-payload-truncated"), "false");
}

TEST(DeadLetterEncoderTest, PayloadLongerThanTheLimitIsTruncated) {
  const OutboundEvent event = EncodeDeadLetter(FileDeadLetter("0123456789"), 4);

  EXPECT_EQ(event.value, "0123");
  EXPECT_EQ(event.Header("newswire-payload-bytes"), "10");
  EXPECT_EQ(event.Header("newswire-payload-truncated"), "true");
}

TEST(DeadLetterEncoderTest, PayloadExactlyAtTheLimitIsNotTruncated) {
  const OutboundEvent event = EncodeDeadLetter(FileDeadLetter("0123"), 4);

  EXPECT_EQ(event.value, "0123");
  EXPECT_EQ(event.Header("newswire-payload-truncated"), "false");
}

TEST(DeadLetterEncoderTest, PartlyReadPayloadCountsAsTruncated) {
  DeadLetter record = FileDeadLetter("0123");
  record.original_size = 4096;

  const OutboundEvent event = EncodeDeadLetter(record, 1024);

  EXPECT_EQ(event.value, "0123");
  EXPECT_EQ(event.Header("newswire-payload-bytes"), "4096");
  EXPECT_EQ(event.Header("newswire-payload-truncated"), "true");
}

TEST(DeadLetterEncoderTest, UnreadPayloadLeavesTheValueEmpty) {
  DeadLetter record = FileDeadLetter("");
  record.error = Error{Stage::kSource, ErrorCode::kTooLarge, "file is 20 MiB, limit is 10 MiB"};
  record.original_size = std::size_t{20} * 1024 * 1024;
  record.payload_read = false;

  const OutboundEvent event = EncodeDeadLetter(record, 1024);

  EXPECT_THAT(event.value, IsEmpty());
  EXPECT_EQ(event.Header("newswire-stage"), "source");
  EXPECT_EQ(event.Header("newswire-error-code"), "too_large");
  EXPECT_EQ(event.Header("newswire-payload-bytes"), "20971520");
  EXPECT_EQ(event.Header("newswire-payload-read"), "false");
  EXPECT_EQ(event.Header("newswire-payload-truncated"), "false");
}

TEST(DeadLetterEncoderTest, UnreadPayloadIgnoresAnyBytesPassed) {
  DeadLetter record = FileDeadLetter("target of a symlink");
  record.error = Error{Stage::kSource, ErrorCode::kSymlink, "symlinks are not followed"};
  record.payload_read = false;

  EXPECT_THAT(EncodeDeadLetter(record, 1024).value, IsEmpty());
}

TEST(DeadLetterEncoderTest, KafkaOriginKeysByTopicPartitionOffset) {
  DeadLetter record;
  record.error = Error{Stage::kNormalize, ErrorCode::kEmptyInput, "no text after normalising"};
  record.origin.kind = Origin::Kind::kKafka;
  record.origin.source_name = "wire";
  record.origin.topic = "news.raw";
  record.origin.partition = 2;
  record.origin.offset = 1234;
  record.origin.location = KafkaRecordUri("news.raw", 2, 1234);
  record.payload = "   ";
  record.original_size = 3;
  record.payload_read = true;
  record.time = kTime;

  const OutboundEvent event = EncodeDeadLetter(record, 1024);

  EXPECT_EQ(event.key, "news.raw/2/1234");
  EXPECT_EQ(event.Header("newswire-origin"), "kafka news.raw[2]@1234");
  EXPECT_EQ(event.Header("newswire-origin-kind"), "kafka");
  EXPECT_EQ(event.Header("newswire-source"), "wire");
  EXPECT_EQ(event.Header("newswire-source-uri"), "");
  EXPECT_EQ(event.Header("newswire-input-location"), "kafka://news.raw/2/1234");
  EXPECT_EQ(event.Header("newswire-topic"), "news.raw");
  EXPECT_EQ(event.Header("newswire-partition"), "2");
  EXPECT_EQ(event.Header("newswire-offset"), "1234");
  for (const auto& [name, value] : event.headers) EXPECT_NE(name, "newswire-path");
}

TEST(DeadLetterEncoderTest, StdinOriginKeysBySourceName) {
  DeadLetter record;
  record.origin.kind = Origin::Kind::kStdin;
  record.origin.source_name = "stdin";

  const OutboundEvent event = EncodeDeadLetter(record, 1024);

  EXPECT_EQ(event.key, "stdin");
  EXPECT_EQ(event.Header("newswire-origin"), "stdin");
  EXPECT_EQ(event.Header("newswire-origin-kind"), "stdin");
  EXPECT_EQ(event.Header("newswire-input-location"), "");
}

// The input location of a file: a file:// URI that tools decode back to the path exactly.
TEST(DeadLetterEncoderTest, FileUrisPercentEncodeAllButPlainCharacters) {
  EXPECT_EQ(FileUri("/var/inbox/failed/a-b_c.1~.txt"), "file:///var/inbox/failed/a-b_c.1~.txt");
  EXPECT_EQ(FileUri("/in box/world%2Fa?#.txt"), "file:///in%20box/world%252Fa%3F%23.txt");
  EXPECT_EQ(FileUri("/caf\xC3\xA9\n"), "file:///caf%C3%A9%0A");
}

TEST(DeadLetterEncoderTest, TimeIsRfc3339UtcWithMilliseconds) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  EXPECT_EQ(FormatRfc3339Milliseconds(system_clock::time_point(milliseconds(0))),
            "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Milliseconds(system_clock::time_point(milliseconds(946684799999))),
            "1999-12-31T23:59:59.999Z");
  // Sub-millisecond digits are dropped, not rounded.
  EXPECT_EQ(FormatRfc3339Milliseconds(
                system_clock::time_point(std::chrono::microseconds(1714566896789999))),
            "2024-05-01T12:34:56.789Z");
  // Before the epoch the fraction still counts forward from the whole second.
  EXPECT_EQ(FormatRfc3339Milliseconds(system_clock::time_point(milliseconds(-1))),
            "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace newswire::sinks
