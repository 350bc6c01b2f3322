#include "daemon/state/article_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

namespace newswire::state {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kHourMs = 3600 * 1000;

Article MakeArticle(std::string id, std::string content_hash, std::uint64_t simhash,
                    std::string country = "VE") {
  Article article;
  article.id = std::move(id);
  article.fingerprints.content_hash = std::move(content_hash);
  article.fingerprints.simhash = simhash;
  article.entities = {{"country", country, country, 0.9, {}}};
  TopicTag diplomacy;
  diplomacy.code = "medtop:20000639";
  article.topics = {diplomacy};
  return article;
}

class ArticleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("newswire-store-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<ArticleStore> OpenOrFail(std::size_t max_articles = 100) {
    ArticleStoreOptions options;
    options.directory = directory_.string();
    options.memory.max_articles = max_articles;
    options.map_size_bytes = std::size_t{64} << 20;
    auto store = ArticleStore::Open(options);
    EXPECT_TRUE(store.has_value()) << store.error().Describe();
    return store ? std::move(*store) : nullptr;
  }

  pipeline::MemoryVerdict RememberOrFail(ArticleStore& store, const Article& article,
                                         std::int64_t now_ms = 0) {
    auto verdict = store.Remember(article, now_ms);
    EXPECT_TRUE(verdict.has_value()) << verdict.error().Describe();
    return verdict ? std::move(*verdict) : pipeline::MemoryVerdict{};
  }

  fs::path directory_;
};

TEST_F(ArticleStoreTest, FindsDuplicatesAndStories) {
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  const auto first = RememberOrFail(*store, MakeArticle("a", "body-1", 0xABCDEF0123456789));
  EXPECT_FALSE(first.duplicate.has_value());
  EXPECT_EQ(first.story_id, "a");
  const auto copy = RememberOrFail(*store, MakeArticle("b", "body-1", 0xABCDEF0123456789));
  ASSERT_TRUE(copy.duplicate.has_value());
  EXPECT_EQ(copy.duplicate->id, "a");
  EXPECT_EQ(copy.duplicate->distance, 0);
  EXPECT_EQ(copy.story_id, "a");
  const auto near = RememberOrFail(*store, MakeArticle("c", "body-2", 0xABCDEF0123456789 ^ 0b101));
  ASSERT_TRUE(near.duplicate.has_value());
  EXPECT_EQ(near.duplicate->id, "a");
  EXPECT_EQ(near.duplicate->distance, 2);
  EXPECT_EQ(store->size(), 3U);
}

TEST_F(ArticleStoreTest, ARestartRemembersDuplicatesAndStories) {
  {
    auto store = OpenOrFail();
    ASSERT_NE(store, nullptr);
    RememberOrFail(*store, MakeArticle("a", "body-1", 0x1111222233334444));
    RememberOrFail(*store, MakeArticle("other", "body-9", 0x9999888877776666, "JP"));
  }
  auto reopened = OpenOrFail();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->replayed(), 2U);
  const auto verdict =
      RememberOrFail(*reopened, MakeArticle("b", "body-1", 0x1111222233334444), kHourMs);
  ASSERT_TRUE(verdict.duplicate.has_value());
  EXPECT_EQ(verdict.duplicate->id, "a");
  EXPECT_EQ(verdict.story_id, "a");
}

TEST_F(ArticleStoreTest, TheFileKeepsOnlyTheWindow) {
  {
    auto store = OpenOrFail(3);
    ASSERT_NE(store, nullptr);
    for (int index = 0; index < 10; ++index) {
      RememberOrFail(*store,
                     MakeArticle("id-" + std::to_string(index), "body-" + std::to_string(index),
                                 0x0101010101010101ULL * static_cast<unsigned>(index + 1)));
    }
    EXPECT_EQ(store->size(), 3U);
  }
  auto reopened = OpenOrFail(3);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->replayed(), 3U);
  // The oldest are forgotten, the newest remembered.
  EXPECT_FALSE(RememberOrFail(*reopened, MakeArticle("x", "body-0", 0x42)).duplicate.has_value());
  EXPECT_TRUE(RememberOrFail(*reopened, MakeArticle("y", "body-9", 0x43)).duplicate.has_value());
}

// Resident kilobytes of this process's mappings of `file` (its lines in /proc/self/smaps).
std::size_t ResidentKilobytesOf(const fs::path& file) {
  std::ifstream smaps("/proc/self/smaps");
  const std::string name = fs::canonical(file).string();
  std::size_t resident_kilobytes = 0;
  bool in_file = false;
  std::string line;
  while (std::getline(smaps, line)) {
    if (line.find('-') < line.find(' ') && std::isxdigit(static_cast<unsigned char>(line[0]))) {
      in_file = line.size() >= name.size() && line.ends_with(name);
    } else if (in_file && line.starts_with("Rss:")) {
      resident_kilobytes += std::stoul(line.substr(4));
    }
  }
  return resident_kilobytes;
}

TEST_F(ArticleStoreTest, PagesReadFromTheFileDoNotStayInMemory) {
  constexpr int kArticles = 8000;
  const fs::path data_file = directory_ / "data.mdb";
  auto remember_many = [&](ArticleStore& store, int first) {
    for (int index = first; index < first + kArticles; ++index) {
      RememberOrFail(store, MakeArticle(std::string(32, 'a') + std::to_string(index),
                                        std::string(32, 'b') + std::to_string(index),
                                        0x0123456789ABCDEFULL * static_cast<unsigned>(index + 1)));
    }
  };
  {
    auto store = OpenOrFail(100000);
    ASSERT_NE(store, nullptr);
    remember_many(*store, 0);
    const std::size_t file_kilobytes = fs::file_size(data_file) / 1024;
    ASSERT_GT(file_kilobytes, 1024U);
    // Without the release every page LMDB read once stays mapped: nearly the whole file.
    EXPECT_LT(ResidentKilobytesOf(data_file), file_kilobytes / 2)
        << "file " << file_kilobytes << " KiB";
  }
  auto reopened = OpenOrFail(100000);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->replayed(), static_cast<std::size_t>(kArticles));
  // The replay read every page.
  EXPECT_LT(ResidentKilobytesOf(data_file), fs::file_size(data_file) / 1024 / 2);
}

TEST_F(ArticleStoreTest, ASecondNewswireCannotOpenTheSameStore) {
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  ArticleStoreOptions options;
  options.directory = directory_.string();
  options.map_size_bytes = std::size_t{64} << 20;
  auto second = ArticleStore::Open(options);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().stage, Stage::kConfig);
  EXPECT_NE(second.error().message.find("in use by another newswire"), std::string::npos);
}

TEST_F(ArticleStoreTest, AnUncreatableDirectoryIsAConfigError) {
  ArticleStoreOptions options;
  options.directory = "/proc/newswire-cannot-be-here";
  auto store = ArticleStore::Open(options);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().stage, Stage::kConfig);
  EXPECT_NE(store.error().message.find("/proc/newswire-cannot-be-here"), std::string::npos);
}

}  // namespace
}  // namespace newswire::state
