// Why: V8 takes ArrayBuffer memory from calloc, and glibc serves every block above its mmap
// threshold (128 KB at first, adapting up to 32 MB) with a fresh mmap and unmaps it on free,
// and trims the heap top back to the kernel. A training step allocates and frees hundreds of MB
// of activations and gradients, so each new output is first written through page faults that
// the kernel zero-fills: forward GEMMs measured 31-53 GFLOP/s inside a CLIP step against 61-73
// with the memory kept mapped. PyTorch's CPU allocator keeps its memory for the same reason.
// The cost is that the process holds on to its peak heap instead of returning it.
#include "malloc_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#endif

namespace vlm {

bool tune_malloc() {
#if defined(__linux__) && defined(__GLIBC__)
  const char* setting = std::getenv("VLM_MALLOC_TUNING");
  if (setting && std::strcmp(setting, "0") == 0) return false;
  // 32 MB is the largest threshold glibc accepts on 64-bit; it covers every activation of the
  // shipped models' training steps. Blocks above it still come from mmap.
  const bool threshold = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  // Give the heap top back only beyond 1 GB free: the next step reuses it.
  const bool trim = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return threshold && trim;
#else
  return false;
#endif
}

}  // namespace vlm
