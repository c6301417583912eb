// The adapters by registry name ("github", "rfc7009", "manual", …). Built-in adapters are added
// by an explicit call (a forced link, no static initializers); tests may add their own.
// Every function here is thread-safe.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "sever/providers/adapter.h"

namespace sever::providers {

/// Registers every built-in adapter under its name. Idempotent; a name already registered (by
/// register_adapter before this call) keeps its adapter.
void register_builtin_providers();

/// Registers an adapter under adapter->name(), replacing any adapter of that name. A replaced
/// adapter is kept alive, so pointers from find_adapter() stay valid for the process's life.
/// A null adapter is ignored.
void register_adapter(std::unique_ptr<Adapter> adapter);

/// Returns the adapter registered under `name`, or nullptr. The pointer stays valid for the
/// process's life.
const Adapter* find_adapter(std::string_view name);

/// Returns the registered names, sorted.
std::vector<std::string_view> adapter_names();

}  // namespace sever::providers
