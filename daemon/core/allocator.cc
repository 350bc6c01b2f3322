#include "daemon/core/allocator.h"

#include <malloc.h>

namespace newswire {
namespace {

constexpr int kMmapThresholdBytes = 4 << 20;
constexpr int kTrimThresholdBytes = 32 << 20;

}  // namespace

void KeepFreedMemoryForReuse() {
  // Setting either value turns off glibc's dynamic adjustment of both, which is what is wanted:
  // fixed, known bounds.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

}  // namespace newswire
