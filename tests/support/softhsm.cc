#include "support/softhsm.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace sever::testing {
namespace {

/// Returns the value of environment variable `name`, or nullopt when unset.
std::optional<std::string> get_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

/// Sets `name` to `value`, or unsets it for nullopt.
void restore_env(const std::string& name, const std::optional<std::string>& value) {
  if (value) {
    ::setenv(name.c_str(), value->c_str(), 1);
  } else {
    ::unsetenv(name.c_str());
  }
}

/// Returns the whole content of a file, or "" when it cannot be read.
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Creates a fresh private directory $TMPDIR/sever-softhsm-XXXXXX; returns "" on failure.
std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sever-softhsm-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  return ::mkdtemp(buf.data()) == nullptr ? std::string() : std::string(buf.data());
}

/// Runs `argv` (looked up on PATH) with stdin from /dev/null and stdout+stderr appended to
/// `log`. Returns "" when it exits 0, else what went wrong.
std::string run_quietly(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err == ENOENT) {
    return argv[0] +
           " not found on PATH: install the softhsm2 package (a declared test "
           "dependency of sever)";
  }
  if (err != 0) return "cannot run " + argv[0] + ": " + std::strerror(err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return argv[0] + " failed (wait status " + std::to_string(status) + "): " + read_file(log);
}

/// Percent-encodes every byte of `s` except [A-Za-z0-9-._~], for a pkcs11: spec value.
std::string percent_encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

SoftHsmToken::SoftHsmToken(std::string label, std::string pin, std::string so_pin,
                           std::string pin_env)
    : label_(std::move(label)),
      pin_(std::move(pin)),
      pin_env_(std::move(pin_env)),
      old_conf_(get_env("SOFTHSM2_CONF")),
      old_pin_(get_env(pin_env_)) {
  error_ = set_up(so_pin);
  if (!error_.empty()) ADD_FAILURE() << "SoftHsmToken: " << error_;
}

SoftHsmToken::~SoftHsmToken() {
  restore_env("SOFTHSM2_CONF", old_conf_);
  restore_env(pin_env_, old_pin_);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string SoftHsmToken::set_up(const std::string& so_pin) {
  dir_ = make_temp_dir();
  if (dir_.empty())
    return std::string("cannot create a temporary directory: ") + std::strerror(errno);
  std::error_code ec;
  std::filesystem::create_directory(dir_ + "/tokens", ec);
  if (ec) return "cannot create " + dir_ + "/tokens: " + ec.message();
  {
    std::ofstream conf(conf_path());
    conf << "directories.tokendir = " << dir_ << "/tokens\n"
         << "objectstore.backend = file\n"
         << "log.level = ERROR\n";
    if (!conf.good()) return "cannot write " + conf_path();
  }
  ::setenv("SOFTHSM2_CONF", conf_path().c_str(), 1);
  std::string err = init_token(so_pin);
  if (!err.empty()) return err;
  ::setenv(pin_env_.c_str(), pin_.c_str(), 1);
  return "";
}

std::string SoftHsmToken::init_token(const std::string& so_pin) const {
  return run_quietly({"softhsm2-util", "--init-token", "--free", "--label", label_, "--pin", pin_,
                      "--so-pin", so_pin},
                     dir_ + "/softhsm2-util.log");
}

std::string SoftHsmToken::spec(const std::string& key_label) const {
  return "pkcs11:token=" + percent_encode(label_) + ";object=" + percent_encode(key_label) +
         "?module-path=" + kModulePath + "&pin-env=" + pin_env_;
}

}  // namespace sever::testing
