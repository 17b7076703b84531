// Process-wide allocator settings made once when the addon loads (see malloc_tuning.cc).
#pragma once

namespace vlm {

// Keeps freed tensor memory mapped for reuse on glibc; a no-op elsewhere or with
// VLM_MALLOC_TUNING=0. Returns whether the settings were applied.
bool tune_malloc();

}  // namespace vlm
