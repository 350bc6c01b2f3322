// JudgeDelivery: what a librdkafka delivery report means for the item it came from. Only a
// report with an offset confirms a record; an inferred success without one is sent again.
#include <gtest/gtest.h>

#include "daemon/sinks/kafka/kafka_sink.h"

namespace newswire::sinks {
namespace {

TEST(JudgeDeliveryTest, ASuccessWithAnOffsetIsDelivered) {
  const auto outcome = JudgeDelivery("news.articles.tagged", 2, 41, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(outcome) << outcome.error().Describe();
  EXPECT_EQ(outcome->topic, "news.articles.tagged");
  EXPECT_EQ(outcome->partition, 2);
  EXPECT_EQ(outcome->offset, 41);
}

TEST(JudgeDeliveryTest, OffsetZeroIsAnOffset) {
  EXPECT_TRUE(JudgeDelivery("news.articles.tagged", 0, 0, RD_KAFKA_RESP_ERR_NO_ERROR));
}

// librdkafka's implicit acknowledgement: success, offset RD_KAFKA_OFFSET_INVALID (-1001).
TEST(JudgeDeliveryTest, ASuccessWithoutAnOffsetIsNotConfirmedAndIsSentAgain) {
  const auto outcome =
      JudgeDelivery("news.articles.tagged", 1, RD_KAFKA_OFFSET_INVALID, RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().stage, Stage::kSink);
  EXPECT_EQ(outcome.error().code, ErrorCode::kDeliveryFailed);
  EXPECT_NE(outcome.error().message.find("not confirmed"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("news.articles.tagged"), std::string::npos);
}

TEST(JudgeDeliveryTest, ARetriableErrorIsADeliveryFailure) {
  const auto outcome = JudgeDelivery("news.articles.tagged", 0, RD_KAFKA_OFFSET_INVALID,
                                     RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kDeliveryFailed);
  EXPECT_NE(outcome.error().message.find(rd_kafka_err2str(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)),
            std::string::npos);
}

TEST(JudgeDeliveryTest, TooLargeIsPermanent) {
  for (const auto error :
       {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE}) {
    const auto outcome = JudgeDelivery("news.articles.tagged", 0, RD_KAFKA_OFFSET_INVALID, error);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().code, ErrorCode::kTooLarge) << rd_kafka_err2name(error);
  }
}

}  // namespace
}  // namespace newswire::sinks
