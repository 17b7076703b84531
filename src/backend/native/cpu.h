// Run-time CPU feature detection. The addon is compiled for baseline x86-64 so that one binary
// runs anywhere; the AVX2/AVX-512 kernels carry target attributes and are only called when
// these checks pass.
#pragma once

#include <cstdlib>
#include <cstring>

namespace vlm {

enum class Isa { Portable, Avx2, Avx512 };

inline Isa detect_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // F16C (half <-> float) shipped with every AVX2 CPU; checked anyway since the kernels use it.
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f");
  // VLM_ISA pins a slower path on a fast machine, so that tests can cover every path.
  if (const char* forced = std::getenv("VLM_ISA")) {
    if (std::strcmp(forced, "portable") == 0) return Isa::Portable;
    if (std::strcmp(forced, "avx2") == 0 && avx2) return Isa::Avx2;
  }
  if (avx512) return Isa::Avx512;
  if (avx2) return Isa::Avx2;
#endif
  return Isa::Portable;
}

// Detected once; every kernel dispatches on it.
inline Isa isa() {
  static const Isa detected = detect_isa();
  return detected;
}

inline const char* isa_name(Isa i) {
  switch (i) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

}  // namespace vlm

#define VLM_AVX2 __attribute__((target("avx2,fma,f16c")))
#define VLM_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
