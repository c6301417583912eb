#include "file_key_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "sever/store/crypto.h"

namespace sever::detail {
namespace {

constexpr uint8_t kBlobVersion = 1;

std::string errno_text() { return std::strerror(errno); }

class FileKeySource final : public KeySource {
 public:
  FileKeySource(std::string path, crypto::Aead aead)
      : path_(std::move(path)), aead_(std::move(aead)) {}

  std::string spec() const override { return "file:" + path_; }

  Result<std::string> Wrap(const SecretBytes& key, std::string_view context) override {
    std::string blob(1, static_cast<char>(kBlobVersion));
    std::lock_guard lock(mu_);
    SEVER_RETURN_IF_ERROR(aead_.Seal(key.view(), context, &blob));
    return blob;
  }

  Result<SecretBytes> Unwrap(std::string_view wrapped, std::string_view context) override {
    if (wrapped.empty() || static_cast<uint8_t>(wrapped[0]) != kBlobVersion) {
      return Status::Corruption("wrapped key has an unknown format version");
    }
    SecretBytes out;
    std::lock_guard lock(mu_);
    Status s = aead_.Open(wrapped.substr(1), context, &out);
    if (s.code() == Code::corruption && wrapped.size() > 1 + crypto::kSealOverhead) {
      return Status::KeyMismatch("master key does not match this store (key file " + path_ + ")");
    }
    SEVER_RETURN_IF_ERROR(s);
    return out;
  }

 private:
  const std::string path_;
  std::mutex mu_;
  crypto::Aead aead_;
};

Status write_new_key(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists("key file " + path + " already exists");
    return Status::IoError("cannot create key file " + path + ": " + errno_text());
  }
  SEVER_ASSIGN_OR_RETURN(SecretBytes key, crypto::random_key());
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
            ::fsync(fd) == 0;
  std::string err = errno_text();
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::IoError("cannot write key file " + path + ": " + err);
  }
  return Status::Ok();
}

Result<SecretBytes> read_key(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("key file " + path + " does not exist");
    return Status::IoError("cannot open key file " + path + ": " + errno_text());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError("cannot stat key file " + path + ": " + errno_text());
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Refused("key file " + path + " has mode " + mode +
                           ": group or others may access it; run chmod 600 " + path);
  }
  if (st.st_size != static_cast<off_t>(crypto::kKeyBytes)) {
    ::close(fd);
    return Status::InvalidArgument("key file " + path + " holds " + std::to_string(st.st_size) +
                                   " bytes, expected 32");
  }
  SecretBytes key(crypto::kKeyBytes);
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size())) {
    return Status::IoError("cannot read key file " + path);
  }
  return key;
}

}  // namespace

Result<std::unique_ptr<KeySource>> open_file_key_source(const std::string& path, bool create) {
  if (path.empty()) return Status::InvalidArgument("file: key source needs a path");
  if (create) SEVER_RETURN_IF_ERROR(write_new_key(path));
  SEVER_ASSIGN_OR_RETURN(SecretBytes key, read_key(path));
  SEVER_ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::Create(key));
  return std::unique_ptr<KeySource>(new FileKeySource(path, std::move(aead)));
}

}  // namespace sever::detail
