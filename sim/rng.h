//! The pseudo-random generator behind the `random` and `pct` strategies.
//!
//! wyrand seeded through splitmix64: fast, well-distributed, and its output
//! depends only on the seed, never on the platform's <random> distributions
//! (whose algorithms differ between standard libraries).
#pragma once

#include <cstdint>

namespace wbsim::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {
    // Decorrelate neighbouring seeds (1, 2, 3, ... in a sweep).
    std::uint64_t x = seed;
    state_ = splitmix64(x);
  }

  // wyrand: one 128-bit multiply per draw; it sits on the scheduler's hot
  // path, and it passes BigCrush and PractRand as published.
  std::uint64_t next() {
    state_ += 0xa0761d6478bd642fULL;
    const unsigned __int128 t = static_cast<unsigned __int128>(state_) * (state_ ^ 0xe7037ed1a0b428dbULL);
    return static_cast<std::uint64_t>(t >> 64) ^ static_cast<std::uint64_t>(t);
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
  std::uint64_t state_;
};

}  // namespace wbsim::sim
