//! The pseudo-random generator behind the `random` and `pct` strategies.
//!
//! xoshiro256** seeded through splitmix64: fast, well-distributed, and its
//! output depends only on the seed, never on the platform's <random>
//! distributions (whose algorithms differ between standard libraries).
#pragma once

#include <cstdint>

namespace wbsim::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : state_) word = splitmix64(x);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, n) by Lemire's multiply-shift; n > 0. The bias is below
  // 2^-32 for the small n a scheduler asks for, and it is deterministic.
  std::uint32_t below(std::uint32_t n) {
    const std::uint64_t r = next() >> 32;
    return static_cast<std::uint32_t>((r * n) >> 32);
  }

  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t state_[4];
};

}  // namespace wbsim::sim
