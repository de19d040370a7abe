//! Where a command will write, checked before it starts work: a sweep that
//! runs for an hour must not learn at the end that its --junit cannot be
//! written. Each check throws UsageError (exit 2) naming the flag and path.
//!
//! Not covered: a disk that fills up or a directory removed during the
//! run; the writes themselves still report those.
#pragma once

#include <string>

namespace wbsim::cli {

// A directory the command creates files in (--out): an existing writable
// directory, or one that can be created under its nearest existing
// ancestor, which must be a writable directory.
void check_output_dir(const std::string& flag, const std::string& dir);
// A file the command writes (--junit, --json, --trace, ...): not a
// directory, writable if it exists, in an existing writable directory.
void check_output_file(const std::string& flag, const std::string& path);

}  // namespace wbsim::cli
