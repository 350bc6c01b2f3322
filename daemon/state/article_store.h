#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/core/error.h"
#include "daemon/pipeline/classify/article_memory.h"

namespace newswire::state {

struct ArticleStoreOptions {
  std::string directory;  // the LMDB environment's directory; created if missing
  pipeline::MemoryOptions memory;
  // LMDB's map: the most the file may grow to (sparse; disk is used as records are written).
  std::size_t map_size_bytes = std::size_t{1} << 30;
};

// The persistent memory of recent articles. Every Remember is one LMDB write transaction that
// appends the article's record (id, content hash, SimHash, time, story id and story features)
// and deletes the records that fell out of the window, so the file stays bounded. At Open the
// records are replayed, in order, into an InMemoryArticleMemory, which answers the lookups.
//
// Durability: the environment is opened with MDB_NOSYNC, so a transaction is safe from a crash
// of the process (the pages are in the kernel's cache) but the last ones may be lost if the
// machine itself fails; losing them only means a duplicate or a story link missed, never an
// article. Sync() (called at shutdown) flushes. Thread-safe: Remember runs on every worker.
class ArticleStore final : public pipeline::ArticleMemory {
 public:
  // Fails (stage config) naming the directory when it cannot be created or opened, e.g. when
  // another newswire already holds it (LMDB's lock), and (stage source, kIo) on a damaged record.
  static Result<std::unique_ptr<ArticleStore>> Open(const ArticleStoreOptions& options);
  ~ArticleStore() override;
  ArticleStore(const ArticleStore&) = delete;
  ArticleStore& operator=(const ArticleStore&) = delete;

  Result<pipeline::MemoryVerdict> Remember(const Article& article, std::int64_t now_ms) override;

  // Flushes written transactions to disk.
  Result<void> Sync();

  // Articles remembered (in the window).
  std::size_t size() const;
  // Records replayed at Open.
  std::size_t replayed() const { return replayed_; }

 private:
  struct Environment;
  ArticleStore(std::unique_ptr<Environment> environment, const ArticleStoreOptions& options);
  Result<void> Replay();
  // LMDB reads its file through a map, and every page it reads stays mapped: a window of 100,000
  // records would keep its whole file (about 40 MB) counted in newswire's RSS, although only the
  // last pages are ever read again. Unmapping them every kCommitsPerMapRelease commits (and after
  // the replay) keeps RSS to what newswire itself holds. Called under write_mutex_ or at Open.
  void ReleaseMappedPages();

  std::unique_ptr<Environment> environment_;
  ArticleStoreOptions options_;
  pipeline::InMemoryArticleMemory memory_;
  std::mutex write_mutex_;  // one write transaction at a time, in the order of the memory
  std::uint64_t next_sequence_ = 0;
  std::uint64_t commits_since_release_ = 0;  // guarded by write_mutex_
  std::size_t replayed_ = 0;
};

}  // namespace newswire::state
