#include "store_clones.h"

#include <memory>
#include <string>

#include <rocksdb/utilities/checkpoint.h>

#include "sever/store/store.h"

namespace sever::load {

namespace fs = std::filesystem;

Result<std::vector<fs::path>> clone_store(const fs::path& data, const fs::path& dir, int n) {
  StoreOptions o;
  o.data_dir = data.string();
  o.key_source = default_key_source(o.data_dir);
  SEVER_ASSIGN_OR_RETURN(auto store, Store::Open(o));
  rocksdb::Checkpoint* raw = nullptr;
  if (!rocksdb::Checkpoint::Create(store->db(), &raw).ok()) {
    return Status::Internal("cannot make a checkpoint of " + data.string());
  }
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  std::vector<fs::path> out;
  for (int i = 0; i < n; ++i) {
    fs::path c = dir / ("clone-" + std::to_string(i));
    fs::remove_all(c);
    if (!cp->CreateCheckpoint(c.string()).ok()) {
      return Status::Internal("cannot make checkpoint " + c.string());
    }
    const fs::path key = c.string() + ".key";
    fs::copy_file(data.string() + ".key", key, fs::copy_options::overwrite_existing);
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
    out.push_back(c);
  }
  return out;
}

void remove_clones(const std::vector<fs::path>& clones) {
  for (const fs::path& c : clones) {
    fs::remove_all(c);
    fs::remove(c.string() + ".key");
  }
}

}  // namespace sever::load
