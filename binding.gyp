{
  "targets": [
    {
      "target_name": "vlmkit_native",
      "sources": [
        "src/backend/native/addon.cc",
        "src/backend/native/gemm.cc",
        "src/backend/native/attention.cc",
        "src/backend/native/norms.cc",
        "src/backend/native/activations.cc",
        "src/backend/native/thread_pool.cc",
        "src/backend/native/malloc_tuning.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      # Baseline x86-64 code only: AVX2/AVX-512 kernels are chosen at run time through
      # target attributes, so one binary runs on any x86-64 CPU (no -march=native).
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags": ["-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"]
      },
      "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}}
    }
  ]
}
