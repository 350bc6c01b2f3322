#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "daemon/pipeline/decode/json_decoder.h"

namespace newswire {
namespace {

TEST(ConfigDefaultsTest, JsonFieldNamesMatchThePipelinesDefaultMapping) {
  const config::JsonFieldNames names;
  const pipeline::JsonFieldMapping mapping;
  EXPECT_EQ(names.title, mapping.title);
  EXPECT_EQ(names.body, mapping.body);
  EXPECT_EQ(names.url, mapping.url);
  EXPECT_EQ(names.author, mapping.author);
  EXPECT_EQ(names.published, mapping.published);
  EXPECT_EQ(names.language, mapping.language);
}

}  // namespace
}  // namespace newswire
