#include "sever/store/key_source.h"

#include "file_key_source.h"
#include "pkcs11_key_source.h"

namespace sever {
namespace {

Result<std::unique_ptr<KeySource>> open_or_create(const std::string& spec, bool create) {
  std::string_view s = spec;
  if (s.starts_with("file:")) return detail::open_file_key_source(spec.substr(5), create);
  if (s.starts_with("pkcs11:")) {
    SEVER_ASSIGN_OR_RETURN(detail::Pkcs11Spec p, detail::parse_pkcs11_spec(s));
    return detail::open_pkcs11_key_source(p, create);
  }
  return Status::InvalidArgument("key source '" + spec +
                                 "': unknown scheme (expected file:PATH or pkcs11:...)");
}

}  // namespace

Result<std::unique_ptr<KeySource>> open_key_source(const std::string& spec) {
  return open_or_create(spec, false);
}

Result<std::unique_ptr<KeySource>> create_key_source(const std::string& spec) {
  return open_or_create(spec, true);
}

}  // namespace sever
