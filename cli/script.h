//! Scenario scripts loaded at run time (`wbsim run --script FILE NAME`,
//! `sweep --script`, `list --script`, and `replay`/`shrink` of their
//! failure files).
//!
//! A script is a C++ file of WBSIM_SCENARIO registrations. wbsim compiles it
//! with the compiler and flags it was built with (cli/script_config.h, made
//! at configure time) against its own headers into a shared object, cached
//! under $XDG_CACHE_HOME/wbsim (or ~/.cache/wbsim) by the hash of the
//! script's contents and of this build, and dlopens it: its registrations
//! join the registry, which stays sorted by name. The executable exports its
//! symbols (ENABLE_EXPORTS), so the object binds to wbsim's own registries,
//! model and checkers instead of carrying copies.
//!
//! A script calls what the executable links: a function of an object file
//! that nothing in wbsim uses is an undefined symbol at load (exit 2).
//!
//! Bad input (no such file, a compile error, a script that registers
//! nothing or a name taken already) throws UsageError: exit 2.
#pragma once

#include <string>
#include <vector>

namespace wbsim::sim {
struct FailureRecord;
}

namespace wbsim::cli {

// Loads each script once; returns the names of the scenarios they registered,
// sorted.
std::vector<std::string> load_scripts(const std::vector<std::string>& paths);

// The script a failure file names (`file`, for messages): the script at its
// recorded path if its contents still hash as recorded, else the copy of
// those contents the cache kept when they were compiled.
void load_script_of(const sim::FailureRecord& rec, const std::string& file);

// FNV-1a of `text` as 16 hex digits (the script hash failure files record).
std::string script_hash(const std::string& text);

}  // namespace wbsim::cli
