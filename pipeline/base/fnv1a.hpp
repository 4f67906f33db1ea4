#pragma once
/// FNV-1a, the one 64-bit hash pipeline/ uses to fingerprint tables, structures and campaigns
/// (not for security: it only tells contents apart).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ionscreen::pipeline {

inline constexpr std::uint64_t kFnv1aOffset = 1469598103934665603ULL;

/// Continue hash `h` over `size` bytes at `data`.
inline std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t h = kFnv1aOffset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) h = (h ^ bytes[i]) * 1099511628211ULL;
  return h;
}
inline std::uint64_t fnv1a(std::string_view text, std::uint64_t h = kFnv1aOffset) {
  return fnv1a(text.data(), text.size(), h);
}

}  // namespace ionscreen::pipeline
