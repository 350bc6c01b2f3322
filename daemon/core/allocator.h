#pragma once

// The one process-wide setting of the C allocator (glibc malloc). Called first thing by main()
// and by the benchmark programs, so they measure what the daemon runs.
namespace newswire {

// Keeps freed memory in the process for reuse instead of handing it back to the kernel at every
// free. Language detection (CLD2) allocates and frees about 170 KB of scratch per article; with
// glibc's defaults each of those frees shrank the heap and the next call faulted the pages in
// again, which cost CLD2 more than detecting the language did (41 µs of 50 per call,
// docs/performance.md). Blocks of `kMmapThresholdBytes` or more (a huge file) still get their
// own mapping and go back to the kernel when freed; an arena returns its free top only above
// `kTrimThresholdBytes`. Not thread-safe: call before any other thread starts.
void KeepFreedMemoryForReuse();

}  // namespace newswire
