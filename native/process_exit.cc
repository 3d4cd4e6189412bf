// _exit(2) for the exporter's last step. process.exit() runs exit(3), whose handlers include libuv's
// thread pool teardown: it joins every pool thread, and one blocked in getaddrinfo (a DNS server gone
// silent) holds the process until the resolver gives up. _exit ends it at once; the exporter calls it
// only after its own teardown closed everything and its logs were written (synchronous on Linux).
#include <unistd.h>

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow"));
  return exports;
}

}  // namespace

NODE_API_MODULE(netdiag_process_exit, Init)
