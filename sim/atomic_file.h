//! Atomic file replacement: write a temporary file beside the target, fsync
//! it, rename it over the target, fsync the directory. A reader sees the old
//! file or the new one, never half of either.
#pragma once

#include <string>
#include <string_view>

namespace wbsim::sim {

// False with *error ("PATH: reason") on failure; the temporary is removed.
// The temporary is PATH.tmpPID; files of that form in the same directory
// whose process no longer exists (killed mid-write) are removed first.
bool write_file_atomically(const std::string& path, std::string_view text, std::string* error);

}  // namespace wbsim::sim
