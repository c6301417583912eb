#include "sever/store/status.h"

namespace sever {
namespace {

const char* code_name(Code c) {
  switch (c) {
    case Code::ok: return "ok";
    case Code::invalid_argument: return "invalid argument";
    case Code::not_found: return "not found";
    case Code::already_exists: return "already exists";
    case Code::refused: return "refused";
    case Code::key_mismatch: return "key mismatch";
    case Code::corruption: return "corruption";
    case Code::io_error: return "I/O error";
    case Code::crypto_error: return "crypto error";
    case Code::internal: return "internal error";
  }
  return "unknown";
}

}  // namespace

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(code_name(code_)) + ": " + message_;
}

Status Status::Prefixed(const std::string& context) const {
  if (ok()) return *this;
  return {code_, context + ": " + message_};
}

int exit_code(const Status& s) {
  switch (s.code()) {
    case Code::ok: return 0;
    case Code::invalid_argument:
    case Code::not_found:
    case Code::already_exists: return 2;
    case Code::refused:
    case Code::key_mismatch: return 3;
    default: return 1;
  }
}

}  // namespace sever
