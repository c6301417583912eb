// Openable copies of a store for benchmarks that run one scenario per copy.
#pragma once

#include <filesystem>
#include <vector>

#include "sever/store/status.h"

namespace sever::load {

/// Makes `n` copies of the closed store at `data` as RocksDB checkpoints (hard-linked files)
/// named dir/clone-0 … clone-(n-1), each with a copy of the store's key file (mode 0600).
/// Returns their paths, or why a copy could not be made.
Result<std::vector<std::filesystem::path>> clone_store(const std::filesystem::path& data,
                                                       const std::filesystem::path& dir, int n);

/// Removes the copies clone_store made (and their key files).
void remove_clones(const std::vector<std::filesystem::path>& clones);

}  // namespace sever::load
