// Process-level calls the exporter needs at its first and last steps, which Node.js 20 does not offer.
//
// exitNow: _exit(2) for the exporter's last step. process.exit() runs exit(3), whose handlers include
// libuv's thread pool teardown: it joins every pool thread, and one blocked in getaddrinfo (a DNS server
// gone silent) holds the process until the resolver gives up. _exit ends it at once; the exporter calls
// it only after its own teardown closed everything and its logs were written (synchronous on Linux).
//
// execNow: execve(2) for its first step, to start again with an environment glibc reads only at start
// (exporter/cli/malloc-arenas.ts). The process keeps its PID, its CPU affinity and its standard input,
// output and error. Node.js marks those three close-on-exec too (everything it opens is), so execNow
// clears the flag on them first, and sets it back if execve fails.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <napi.h>

namespace {

Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "exitNow(code): code must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Exit statuses are 8 bits; anything else is the caller's bug, reported as a failure.
  const int32_t code = info[0].As<Napi::Number>().Int32Value();
  _exit(code >= 0 && code <= 255 ? code : 1);
}

/** The strings of a JavaScript array of strings; false (with a JavaScript exception) if it is not one. */
bool StringsOf(Napi::Env env, const Napi::Value& value, std::vector<std::string>& out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) return false;
    std::string text = item.As<Napi::String>().Utf8Value();
    // A NUL would end the C string early: the program would get another argument than asked.
    if (text.find('\0') != std::string::npos) return false;
    out.push_back(std::move(text));
  }
  return !env.IsExceptionPending();
}

std::vector<char*> PointersTo(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// execNow(file, argv, env): returns only when execve failed, by throwing an Error with its errno.
Napi::Value ExecNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> argv;
  std::vector<std::string> environment;
  if (info.Length() != 3 || !info[0].IsString() || !StringsOf(env, info[1], argv) ||
      !StringsOf(env, info[2], environment) || argv.empty()) {
    if (!env.IsExceptionPending())
      Napi::TypeError::New(env, "execNow(file, argv, env): a path, a non-empty array of strings, an array of strings")
          .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<char*> argvPointers = PointersTo(argv);
  std::vector<char*> envPointers = PointersTo(environment);
  int stdioFlags[3];
  for (int fd = 0; fd < 3; fd++) {
    stdioFlags[fd] = fcntl(fd, F_GETFD);
    if (stdioFlags[fd] >= 0) fcntl(fd, F_SETFD, stdioFlags[fd] & ~FD_CLOEXEC);
  }
  execve(file.c_str(), argvPointers.data(), envPointers.data());
  const int error = errno;
  for (int fd = 0; fd < 3; fd++)
    if (stdioFlags[fd] >= 0) fcntl(fd, F_SETFD, stdioFlags[fd]);
  Napi::Error failure = Napi::Error::New(env, std::string("execve failed: ") + strerror(error));
  failure.Set("errno", Napi::Number::New(env, error));
  failure.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow"));
  exports.Set("execNow", Napi::Function::New(env, ExecNow, "execNow"));
  return exports;
}

}  // namespace

NODE_API_MODULE(netdiag_process, Init)
