// The PKCS#11 module registry: dlopen, C_Initialize and C_Finalize, counted per loaded module.
// See pkcs11_key_source.h for the module-lifetime policy.
#include <dlfcn.h>

#include <map>
#include <mutex>

#include "pkcs11_token.h"

namespace sever::detail::pkcs11 {
namespace {

/// One loaded module's count of open references, and whether sever initialized it.
struct ModuleEntry {
  size_t refs = 0;
  bool finalize = false;
};

/// The process-wide registry, keyed by the module's function list (unique per loaded library,
/// whatever path or symlink loaded it).
struct ModuleRegistry {
  std::mutex mu;
  std::map<CK_FUNCTION_LIST_PTR, ModuleEntry> modules;
};

/// Returns the registry. Never destroyed, so sources closed during exit still find it.
ModuleRegistry& registry() {
  static auto* r = new ModuleRegistry;
  return *r;
}

/// Returns the module's function list; `dl` stays open either way.
Result<CK_FUNCTION_LIST_PTR> function_list(void* dl, const std::string& path) {
  void* sym = dlsym(dl, "C_GetFunctionList");
  if (sym == nullptr) {
    return Status::CryptoError("pkcs11 module '" + path + "': no C_GetFunctionList symbol");
  }
  CK_FUNCTION_LIST_PTR fns = nullptr;
  CK_RV rv = reinterpret_cast<CK_C_GetFunctionList>(sym)(&fns);
  if (rv != CKR_OK || fns == nullptr)
    return ckr_error("pkcs11 module '" + path + "'", "C_GetFunctionList", rv);
  return fns;
}

}  // namespace

Result<std::unique_ptr<Module>> Module::acquire(const std::string& path) {
  ModuleRegistry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) {
    const char* err = dlerror();
    return Status::CryptoError("pkcs11 module '" + path + "': cannot load: " +
                               (err != nullptr ? err : "unknown dlopen error"));
  }
  Result<CK_FUNCTION_LIST_PTR> fns = function_list(dl, path);
  if (!fns.ok()) {
    dlclose(dl);
    return fns.status();
  }
  auto [it, inserted] = reg.modules.try_emplace(*fns);
  if (inserted) {
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = (*fns)->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      reg.modules.erase(it);
      dlclose(dl);
      return ckr_error("pkcs11 module '" + path + "'", "C_Initialize", rv);
    }
    it->second.finalize = rv == CKR_OK;
  }
  ++it->second.refs;
  return std::unique_ptr<Module>(new Module(dl, *fns));
}

Module::~Module() {
  ModuleRegistry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  auto it = reg.modules.find(fns_);
  if (it != reg.modules.end() && --it->second.refs == 0) {
    if (it->second.finalize) fns_->C_Finalize(nullptr);
    reg.modules.erase(it);
  }
  dlclose(dl_);
}

}  // namespace sever::detail::pkcs11
