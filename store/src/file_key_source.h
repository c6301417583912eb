// Internal: the `file:` master-key source. See key_source.h for the contract.
#pragma once

#include <memory>
#include <string>

#include "sever/store/key_source.h"

namespace sever::detail {

/// Opens a 32-byte key file (create=false) or creates one with mode 0600 from the CSPRNG
/// (create=true, exclusive). Refuses a file whose mode lets group or others read or write it,
/// or whose size is not 32 bytes. Wrap/Unwrap use AES-256-GCM; blob = 0x01 || nonce || ct || tag.
Result<std::unique_ptr<KeySource>> open_file_key_source(const std::string& path, bool create);

}  // namespace sever::detail
