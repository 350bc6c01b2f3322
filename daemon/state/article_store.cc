#include "daemon/state/article_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <lmdb.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace newswire::state {
namespace {

// Record keys are sequence numbers, big-endian so that LMDB's byte order is arrival order.
std::array<unsigned char, 8> KeyOf(std::uint64_t sequence) {
  std::array<unsigned char, 8> key{};
  for (std::size_t index = 0; index < key.size(); ++index) {
    key[index] = static_cast<unsigned char>(sequence >> (8 * (key.size() - 1 - index)));
  }
  return key;
}

std::uint64_t SequenceOf(const MDB_val& key) {
  std::uint64_t sequence = 0;
  const auto* bytes = static_cast<const unsigned char*>(key.mv_data);
  for (std::size_t index = 0; index < key.mv_size && index < 8; ++index) {
    sequence = (sequence << 8) | bytes[index];
  }
  return sequence;
}

// One record: compact JSON, so that `mdb_dump` shows something a person can read.
std::string EncodeRecord(const pipeline::RememberedArticle& article, const std::string& story_id,
                         const std::vector<std::string>& features) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("id");
  writer.String(article.id.c_str(), static_cast<rapidjson::SizeType>(article.id.size()));
  writer.Key("content_hash");
  writer.String(article.content_hash.c_str(),
                static_cast<rapidjson::SizeType>(article.content_hash.size()));
  writer.Key("simhash");
  writer.Uint64(article.simhash);
  writer.Key("time_ms");
  writer.Int64(article.time_ms);
  writer.Key("story_id");
  writer.String(story_id.c_str(), static_cast<rapidjson::SizeType>(story_id.size()));
  writer.Key("story_features");
  writer.StartArray();
  for (const std::string& feature : features) {
    writer.String(feature.c_str(), static_cast<rapidjson::SizeType>(feature.size()));
  }
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

struct DecodedRecord {
  pipeline::RememberedArticle article;
  std::string story_id;
  std::vector<std::string> features;
};

std::optional<DecodedRecord> DecodeRecord(const MDB_val& value) {
  rapidjson::Document document;
  document.Parse(static_cast<const char*>(value.mv_data), value.mv_size);
  if (document.HasParseError() || !document.IsObject()) return std::nullopt;
  auto string = [&](const char* name) -> const rapidjson::Value* {
    const auto member = document.FindMember(name);
    return member != document.MemberEnd() && member->value.IsString() ? &member->value : nullptr;
  };
  const auto* id = string("id");
  const auto* content_hash = string("content_hash");
  const auto* story_id = string("story_id");
  const auto simhash = document.FindMember("simhash");
  const auto time_ms = document.FindMember("time_ms");
  const auto features = document.FindMember("story_features");
  if (id == nullptr || content_hash == nullptr || story_id == nullptr ||
      simhash == document.MemberEnd() || !simhash->value.IsUint64() ||
      time_ms == document.MemberEnd() || !time_ms->value.IsInt64() ||
      features == document.MemberEnd() || !features->value.IsArray()) {
    return std::nullopt;
  }
  DecodedRecord record;
  record.article = {id->GetString(), content_hash->GetString(), simhash->value.GetUint64(),
                    time_ms->value.GetInt64()};
  record.story_id = story_id->GetString();
  for (const auto& feature : features->value.GetArray()) {
    if (feature.IsString()) record.features.emplace_back(feature.GetString());
  }
  return record;
}

// How many write transactions between two releases of the map's pages (see ReleaseMappedPages):
// about a thousand records, a few hundred KiB of file.
constexpr std::uint64_t kCommitsPerMapRelease = 1024;

// The mapping of `file` in this process, from /proc/self/maps, matched by inode.
std::pair<void*, std::size_t> FindMapping(const std::string& file) {
  struct stat file_stat {};
  if (stat(file.c_str(), &file_stat) != 0) return {nullptr, 0};
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // start-end perms offset dev inode path
    std::istringstream fields(line);
    std::string range, permissions, offset, device;
    unsigned long long inode = 0;
    if (!(fields >> range >> permissions >> offset >> device >> inode) ||
        inode != file_stat.st_ino) {
      continue;
    }
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    const char* first = range.data();
    const char* last = range.data() + range.size();
    const auto start_parsed = std::from_chars(first, last, start, 16);
    if (start_parsed.ec != std::errc{} || start_parsed.ptr == last || *start_parsed.ptr != '-' ||
        std::from_chars(start_parsed.ptr + 1, last, end, 16).ec != std::errc{} || end <= start) {
      continue;
    }
    return {reinterpret_cast<void*>(start), end - start};
  }
  return {nullptr, 0};
}

Error LmdbError(Stage stage, std::string_view action, const std::string& directory, int code) {
  return Error{
      stage, ErrorCode::kIo,
      fmt::format("article store {}: {} failed: {}", directory, action, mdb_strerror(code))};
}

}  // namespace

struct ArticleStore::Environment {
  // LMDB lets several processes share an environment; this daemon's sequence numbers need one
  // writer, so an flock on a file beside it keeps a second newswire out.
  int lock_fd = -1;
  MDB_env* env = nullptr;
  MDB_dbi records = 0;
  // Where LMDB mapped data.mdb (LMDB tells only a fixed map's address), or null when it was not
  // found in /proc/self/maps.
  void* map_address = nullptr;
  std::size_t map_bytes = 0;
  ~Environment() {
    if (env != nullptr) mdb_env_close(env);
    if (lock_fd >= 0) close(lock_fd);
  }
};

Result<std::unique_ptr<ArticleStore>> ArticleStore::Open(const ArticleStoreOptions& options) {
  std::error_code created;
  std::filesystem::create_directories(options.directory, created);
  if (created) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot create the article store directory {}: {}",
                                 options.directory, created.message()));
  }
  auto environment = std::make_unique<Environment>();
  const std::string lock_path =
      (std::filesystem::path(options.directory) / "newswire.lock").string();
  environment->lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (environment->lock_fd < 0) {
    return MakeError(Stage::kConfig, ErrorCode::kIo,
                     fmt::format("cannot open the article store's lock file {}: {}", lock_path,
                                 std::strerror(errno)));
  }
  if (flock(environment->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    return MakeError(Stage::kConfig, error == EWOULDBLOCK ? ErrorCode::kInUse : ErrorCode::kIo,
                     error == EWOULDBLOCK
                         ? fmt::format("the article store {} is in use by another newswire (it "
                                       "holds {})",
                                       options.directory, lock_path)
                         : fmt::format("cannot lock {}: {}", lock_path, std::strerror(error)));
  }
  if (const int code = mdb_env_create(&environment->env); code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kConfig, "mdb_env_create", options.directory, code));
  }
  if (const int code = mdb_env_set_mapsize(environment->env, options.map_size_bytes);
      code != MDB_SUCCESS) {
    return tl::unexpected(
        LmdbError(Stage::kConfig, "mdb_env_set_mapsize", options.directory, code));
  }
  // MDB_NOTLS: transactions are not tied to the thread that began them (any worker writes).
  if (const int code =
          mdb_env_open(environment->env, options.directory.c_str(), MDB_NOSYNC | MDB_NOTLS, 0640);
      code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kConfig, "opening", options.directory, code));
  }
  std::tie(environment->map_address, environment->map_bytes) =
      FindMapping((std::filesystem::path(options.directory) / "data.mdb").string());
  MDB_txn* transaction = nullptr;
  if (const int code = mdb_txn_begin(environment->env, nullptr, 0, &transaction);
      code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kConfig, "mdb_txn_begin", options.directory, code));
  }
  if (const int code = mdb_dbi_open(transaction, nullptr, 0, &environment->records);
      code != MDB_SUCCESS) {
    mdb_txn_abort(transaction);
    return tl::unexpected(LmdbError(Stage::kConfig, "mdb_dbi_open", options.directory, code));
  }
  if (const int code = mdb_txn_commit(transaction); code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kConfig, "mdb_txn_commit", options.directory, code));
  }
  std::unique_ptr<ArticleStore> store(new ArticleStore(std::move(environment), options));
  if (auto replayed = store->Replay(); !replayed) {
    return tl::unexpected(std::move(replayed.error()));
  }
  return store;
}

ArticleStore::ArticleStore(std::unique_ptr<Environment> environment,
                           const ArticleStoreOptions& options)
    : environment_(std::move(environment)), options_(options), memory_(options.memory) {}

ArticleStore::~ArticleStore() {
  if (environment_ != nullptr && environment_->env != nullptr) mdb_env_sync(environment_->env, 1);
}

Result<void> ArticleStore::Replay() {
  MDB_txn* transaction = nullptr;
  if (const int code = mdb_txn_begin(environment_->env, nullptr, MDB_RDONLY, &transaction);
      code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kConfig, "mdb_txn_begin", options_.directory, code));
  }
  MDB_cursor* cursor = nullptr;
  if (const int code = mdb_cursor_open(transaction, environment_->records, &cursor);
      code != MDB_SUCCESS) {
    mdb_txn_abort(transaction);
    return tl::unexpected(LmdbError(Stage::kConfig, "mdb_cursor_open", options_.directory, code));
  }
  MDB_val key;
  MDB_val value;
  Result<void> result;
  for (int code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); code == MDB_SUCCESS;
       code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    auto record = DecodeRecord(value);
    if (!record) {
      result = MakeError(Stage::kSource, ErrorCode::kIo,
                         fmt::format("article store {}: record {} is damaged; move the directory "
                                     "away to start with an empty memory",
                                     options_.directory, SequenceOf(key)));
      break;
    }
    memory_.Restore(record->article, record->story_id, record->features);
    next_sequence_ = SequenceOf(key) + 1;
    ++replayed_;
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(transaction);
  ReleaseMappedPages();
  return result;
}

void ArticleStore::ReleaseMappedPages() {
  if (environment_->map_address == nullptr) return;
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(environment_->env, &info) != MDB_SUCCESS ||
      mdb_env_stat(environment_->env, &stat) != MDB_SUCCESS) {
    return;
  }
  const std::size_t used_bytes = (info.me_last_pgno + 1) * std::size_t{stat.ms_psize};
  // The map is a shared, read-only file mapping: the pages stay in the page cache, and the next
  // access maps them again from there. Failure only leaves them mapped.
  madvise(environment_->map_address, std::min(used_bytes, environment_->map_bytes), MADV_DONTNEED);
}

Result<pipeline::MemoryVerdict> ArticleStore::Remember(const Article& article,
                                                       std::int64_t now_ms) {
  const pipeline::RememberedArticle remembered{article.id, article.fingerprints.content_hash,
                                               article.fingerprints.simhash, now_ms};
  const std::vector<std::string> features = pipeline::StoryFeatures(article);
  std::lock_guard lock(write_mutex_);
  pipeline::MemoryVerdict verdict = memory_.Remember(remembered, features);
  const std::string record = EncodeRecord(remembered, verdict.story_id, features);
  MDB_txn* transaction = nullptr;
  if (const int code = mdb_txn_begin(environment_->env, nullptr, 0, &transaction);
      code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kClassify, "mdb_txn_begin", options_.directory, code));
  }
  auto key_bytes = KeyOf(next_sequence_++);
  MDB_val key{key_bytes.size(), key_bytes.data()};
  MDB_val value{record.size(), const_cast<char*>(record.data())};
  if (const int code = mdb_put(transaction, environment_->records, &key, &value, MDB_APPEND);
      code != MDB_SUCCESS) {
    mdb_txn_abort(transaction);
    return tl::unexpected(
        LmdbError(Stage::kClassify, "writing a record", options_.directory, code));
  }
  // Forget what fell out of the window: the oldest records, by count and by age.
  MDB_stat stat;
  mdb_stat(transaction, environment_->records, &stat);
  std::size_t records = stat.ms_entries;
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(transaction, environment_->records, &cursor) == MDB_SUCCESS) {
    MDB_val old_key;
    MDB_val old_value;
    while (mdb_cursor_get(cursor, &old_key, &old_value, MDB_FIRST) == MDB_SUCCESS) {
      bool expired = records > options_.memory.max_articles;
      if (!expired) {
        const auto decoded = DecodeRecord(old_value);
        expired = !decoded || decoded->article.time_ms < now_ms - options_.memory.max_age_ms;
      }
      if (!expired || mdb_cursor_del(cursor, 0) != MDB_SUCCESS) break;
      --records;
    }
    mdb_cursor_close(cursor);
  }
  if (const int code = mdb_txn_commit(transaction); code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kClassify, "committing", options_.directory, code));
  }
  if (++commits_since_release_ >= kCommitsPerMapRelease) {
    commits_since_release_ = 0;
    ReleaseMappedPages();
  }
  return verdict;
}

Result<void> ArticleStore::Sync() {
  if (const int code = mdb_env_sync(environment_->env, 1); code != MDB_SUCCESS) {
    return tl::unexpected(LmdbError(Stage::kClassify, "mdb_env_sync", options_.directory, code));
  }
  return {};
}

std::size_t ArticleStore::size() const { return memory_.size(); }

}  // namespace newswire::state
