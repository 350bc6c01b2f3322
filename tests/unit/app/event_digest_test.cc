// What the demo's per-event log line (log.events) says of an event.
#include "daemon/app/event_digest.h"

#include <gtest/gtest.h>

#include <string>

namespace newswire::app {
namespace {

constexpr char kEvent[] =
    R"({"id":"aaaa","title":"Maduro meets Lavrov","published_time":null,)"
    R"("topics":[{"code":"medtop:20000639","label":"diplomacy","score":0.936},)"
    R"({"code":"medtop:16000000","label":"conflict, war and peace","score":0.5},)"
    R"({"code":"medtop:11000000","label":"politics and government","score":0.25}],)"
    R"("entities":[{"type":"place","name":"Caracas","identifier":null},)"
    R"({"type":"country","name":"Venezuela","identifier":"VE"},)"
    R"({"type":"person","name":"Nicolás Maduro","identifier":"gazetteer:nicolas-maduro"},)"
    R"({"type":"country","name":"Russia","identifier":"RU"},)"
    R"({"type":"country","name":"Cuba","identifier":"CU"},)"
    R"({"type":"organization","name":"OPEC","identifier":null}],)"
    R"("fingerprints":{"story_id":"aaaa","duplicate_of":"cccc","duplicate_distance":2}})";

TEST(EventDigestTest, LogLineNamesTopicsEntitiesByTypeStoryAndDuplicate) {
  const auto digest = DigestEvent(kEvent, 2);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(DigestLine(*digest),
            "title=\"Maduro meets Lavrov\" topics=diplomacy (0.94), conflict, war and peace "
            "(0.50), +1 more countries=Venezuela (VE), Russia (RU), +1 more people=Nicolás Maduro "
            "organizations=OPEC places=Caracas story=aaaa (new) duplicate_of=cccc (distance 2)");
}

TEST(EventDigestTest, AnEventWithoutTagsSaysSoAndTypesNobodyKnowsComeLast) {
  const auto digest = DigestEvent(
      R"({"id":"bbbb","title":"Quiet day","topics":[],"entities":[)"
      R"({"type":"vessel","name":"Ever Given"},{"type":"person","name":"Jane Roe"}],)"
      R"("fingerprints":{"story_id":"aaaa","duplicate_of":null,"duplicate_distance":null}})",
      5);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(DigestLine(*digest),
            "title=\"Quiet day\" topics=none people=Jane Roe vessels=Ever Given story=aaaa");
}

TEST(EventDigestTest, ValuesThatAreNotEventsHaveNoDigest) {
  EXPECT_FALSE(DigestEvent("not json", 5).has_value());
  EXPECT_FALSE(DigestEvent("[1,2]", 5).has_value());
}

}  // namespace
}  // namespace newswire::app
