#include "daemon/pipeline/normalize/identity.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon/pipeline/normalize/normalizer.h"

namespace newswire::pipeline {
namespace {

Article Identified(std::string title, std::string body, std::string url = "",
                   std::string canonical_url = "") {
  Article article;
  article.title = std::move(title);
  article.body = std::move(body);
  article.url = std::move(url);
  article.canonical_url = std::move(canonical_url);
  AssignIdentity(article);
  return article;
}

TEST(UrlIdentityKeyTest, KeepsWhatNamesThePage) {
  EXPECT_EQ(UrlIdentityKey("https://example.com/world/2024/story-1"),
            "example.com/world/2024/story-1");
  EXPECT_EQ(UrlIdentityKey("https://example.com/a?id=7"), "example.com/a?id=7");
  EXPECT_EQ(UrlIdentityKey("http://example.com:8080/a"), "example.com:8080/a");
  // Paths are case-sensitive on the web.
  EXPECT_NE(UrlIdentityKey("https://example.com/A"), UrlIdentityKey("https://example.com/a"));
  EXPECT_NE(UrlIdentityKey("https://example.com/a?id=7"),
            UrlIdentityKey("https://example.com/a?id=8"));
}

TEST(UrlIdentityKeyTest, DropsWhatDoesNotNameThePage) {
  const std::string key = UrlIdentityKey("https://example.com/world/story");
  for (const char* same : {
           "http://example.com/world/story",
           "HTTPS://WWW.Example.COM/world/story",
           "https://example.com./world/story",
           "https://example.com:443/world/story",
           "http://example.com:80/world/story",
           "https://user:secret@example.com/world/story",
           "https://example.com/world/story/",
           "https://example.com/world/story#comments",
           "https://example.com/world/story?utm_source=twitter&utm_medium=social",
           "https://example.com/world/story?fbclid=abc&GCLID=def",
           "  https://example.com/world/story\n",
       }) {
    EXPECT_EQ(UrlIdentityKey(same), key) << same;
  }
  EXPECT_EQ(UrlIdentityKey("https://example.com/?b=2&utm_campaign=x&a=1"), "example.com?a=1&b=2");
  EXPECT_EQ(UrlIdentityKey("https://example.com/a%2fb"),
            UrlIdentityKey("https://example.com/a%2Fb"));
}

TEST(UrlIdentityKeyTest, OnlyAbsoluteWebUrlsHaveAKey) {
  for (const char* not_a_page :
       {"", "/world/story", "example.com/world", "ftp://example.com/a", "mailto:desk@example.com",
        "https://", "https:///path", "urn:uuid:0b0e3f6c-4c5f-4a4e-9d6b-1f2e3d4c5b6a"}) {
    EXPECT_EQ(UrlIdentityKey(not_a_page), "") << not_a_page;
  }
  EXPECT_EQ(UrlIdentityKey("https://[2001:db8::1]:8443/a"), "[2001:db8::1]:8443/a");
}

TEST(AssignIdentityTest, TheCanonicalUrlComesFirstThenTheUrlThenTheText) {
  const Article canonical =
      Identified("T", "B", "https://example.com/amp/1?utm_source=x", "https://example.com/news/1");
  EXPECT_EQ(canonical.provenance.at("id"), "canonical_url");
  EXPECT_EQ(canonical.id, Hash128Hex("url:example.com/news/1"));

  const Article linked = Identified("T", "B", "https://example.com/amp/1?utm_source=x", "/rel");
  EXPECT_EQ(linked.provenance.at("id"), "url");
  EXPECT_EQ(linked.id, Hash128Hex("url:example.com/amp/1"));

  const Article text_only = Identified("T", "B", "not a url");
  EXPECT_EQ(text_only.provenance.at("id"), "text");
  EXPECT_EQ(text_only.id, TextHash("T", "B"));
}

TEST(AssignIdentityTest, AnEditedArticleKeepsItsIdButNotItsRevision) {
  const Article first = Identified("Quake hits", "Ten hurt.", "https://example.com/quake");
  const Article corrected =
      Identified("Quake hits city", "Twelve hurt.", "https://www.example.com/quake?utm_medium=rss");
  EXPECT_EQ(first.id, corrected.id);
  EXPECT_NE(first.fingerprints.revision, corrected.fingerprints.revision);
  EXPECT_NE(first.fingerprints.content_hash, corrected.fingerprints.content_hash);
  // Processing the same input again gives the same revision: repeats are recognisable.
  EXPECT_EQ(
      Identified("Quake hits", "Ten hurt.", "https://example.com/quake").fingerprints.revision,
      first.fingerprints.revision);
}

TEST(AssignIdentityTest, TheSameTextUnderTwoLinksIsTwoArticlesWithOneContentHash) {
  const Article here = Identified("Wire story", "Same words.", "https://a.example/story");
  const Article there = Identified("Wire story, reprinted", "Same words.", "https://b.example/s");
  EXPECT_NE(here.id, there.id);
  EXPECT_NE(here.fingerprints.revision, there.fingerprints.revision);
  EXPECT_EQ(here.fingerprints.content_hash, there.fingerprints.content_hash);
}

TEST(AssignIdentityTest, NormalizeAssignsItOnTheCleanedText) {
  Article article;
  article.title = "  Quake\thits ";
  article.body = "Ten   hurt.\r\n\r\n\r\nMore soon.";
  article.url = "https://example.com/quake";
  auto normalized = Normalize(std::move(article));
  ASSERT_TRUE(normalized.has_value());
  EXPECT_EQ(normalized->fingerprints.content_hash, Hash128Hex("Ten hurt.\n\nMore soon."));
  EXPECT_EQ(normalized->fingerprints.revision,
            Identified("Quake hits", "Ten hurt.\n\nMore soon.", "https://example.com/quake")
                .fingerprints.revision);
}

}  // namespace
}  // namespace newswire::pipeline
