// A raw socket for probes/socket/native-transport.ts: what the `raw-socket` addon cannot do (recvmsg
// with control messages, the error queue, socket filters, batched receives), and nothing more. Linux only.
//
// Times handed to JavaScript are process.hrtime.bigint()'s (libuv's uv_hrtime, CLOCK_MONOTONIC, in
// nanoseconds). The kernel stamps packets with CLOCK_REALTIME; each stamp is moved into the monotonic
// domain right after the call that read it, from both clocks read there:
//   monotonic = mono_now - (real_now - kernel_stamp)
// Only the age of the stamp (real_now - kernel_stamp, microseconds) is taken from the realtime clock, so a
// step of the wall clock (NTP, an operator) between two packets moves no RTT: the invariant is that both
// ends of an RTT are monotonic times, each exact to the age of its stamp.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace {

// What enableTimestamps() reports, as bits.
constexpr int kRxKernel = 1;
constexpr int kTxKernel = 2;
constexpr int kHopLimit = 4;

// Error-queue entries read after one send, at most: a late stamp of an earlier send, ICMP errors.
constexpr int kErrorQueueReadsPerSend = 8;
// Late transmit stamps kept for takeLateStamps at most (pairs).
constexpr size_t kLateStampsKept = 256;

// Transmit stamps asked for, per socket: a budget of kStampsPerSecond, refilled continuously, holding at
// most kStampBurst. A stamp costs the kernel a clone of the packet and this process a read of the error
// queue, and gains only the microseconds between the time read before sendto and the packet reaching
// the device's queue (bench/results.md, "Light load: kernel timestamps"): worth it at light load, where
// RTTs are shortest and compared with iputils', not for every packet of ten thousand targets a second.
constexpr double kStampsPerSecond = 1000;
constexpr double kStampBurst = 100;

// Bytes of source address per receive slot (an IPv6 address; IPv4 uses the first 4).
constexpr size_t kAddressBytes = 16;

// Control-message space for one datagram: a timestamp, a hop limit, an extended error with its offender.
constexpr size_t kControlBytes = 256;

// An Error as Node's system errors carry it (code, errno, syscall), its message strerror(3)'s text, as
// raw-socket words its errors ("No buffer space available"): the CLI prints it after "send failed: ".
Napi::Error ErrnoError(Napi::Env env, int errnum, const char* what) {
  Napi::Error error = Napi::Error::New(env, strerror(errnum));
  error.Set("code", Napi::String::New(env, uv_err_name(-errnum)));
  error.Set("errno", Napi::Number::New(env, errnum));
  error.Set("syscall", Napi::String::New(env, what));
  return error;
}

int64_t RealtimeNs() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

int64_t ToNs(const struct timespec& ts) { return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

// Reads of the clock pair tried at most, and the spread below which one is taken at once.
constexpr int kClockPairTries = 4;
constexpr int64_t kClockPairSpreadNs = 2000;

struct KernelClock {
  int64_t real;
  int64_t mono;
  // Read right after the call that returned the stamps. The realtime read is bracketed by two monotonic
  // ones and paired with their middle: a preemption between the reads would otherwise shift every time
  // converted with the pair by its length. The tightest bracket of a few tries is kept.
  static KernelClock Now() {
    KernelClock best{0, 0};
    int64_t best_spread = INT64_MAX;
    for (int i = 0; i < kClockPairTries && best_spread > kClockPairSpreadNs; i++) {
      int64_t before = static_cast<int64_t>(uv_hrtime());
      int64_t real = RealtimeNs();
      int64_t after = static_cast<int64_t>(uv_hrtime());
      if (after - before < best_spread) {
        best_spread = after - before;
        best = {real, before + (after - before) / 2};
      }
    }
    return best;
  }
  int64_t Monotonic(int64_t stamp) const { return mono - (real - stamp); }
};

// One timestamp entry of the error queue (SO_TIMESTAMPING, OPT_ID), or another error.
struct ErrorEntry {
  bool timestamp = false;
  uint32_t key = 0;
  int64_t stamp = 0;
};

class RawSocket : public Napi::ObjectWrap<RawSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RawSocket",
                       {
                           InstanceMethod<&RawSocket::SetOption>("setOption"),
                           InstanceMethod<&RawSocket::GetOption>("getOption"),
                           InstanceMethod<&RawSocket::AttachFilter>("attachFilter"),
                           InstanceMethod<&RawSocket::EnableTimestamps>("enableTimestamps"),
                           InstanceMethod<&RawSocket::Send>("send"),
                           InstanceMethod<&RawSocket::Receive>("receive"),
                           InstanceMethod<&RawSocket::DrainErrors>("drainErrors"),
                           InstanceMethod<&RawSocket::TakeLateStamps>("takeLateStamps"),
                           InstanceMethod<&RawSocket::EndSends>("endSends"),
                           InstanceMethod<&RawSocket::StartReading>("startReading"),
                           InstanceMethod<&RawSocket::WatchWritable>("watchWritable"),
                           InstanceMethod<&RawSocket::ReportSendErrors>("reportSendErrors"),
                           InstanceMethod<&RawSocket::Close>("close"),
                       });
  }

  // new RawSocket(family: 4 | 6, protocol: number): a non-blocking raw socket.
  explicit RawSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "RawSocket(family, protocol): two numbers expected").ThrowAsJavaScriptException();
      return;
    }
    int family = info[0].As<Napi::Number>().Int32Value();
    int protocol = info[1].As<Napi::Number>().Int32Value();
    if (family != 4 && family != 6) {
      Napi::RangeError::New(env, "RawSocket: family must be 4 or 6").ThrowAsJavaScriptException();
      return;
    }
    if (protocol < 1 || protocol > 255) {
      Napi::RangeError::New(env, "RawSocket: protocol must be 1..255").ThrowAsJavaScriptException();
      return;
    }
    family_ = family == 4 ? AF_INET : AF_INET6;
    fd_ = socket(family_, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd_ < 0) {
      ErrnoError(env, errno, "socket").ThrowAsJavaScriptException();
      return;
    }
    // An error-queue entry or a pending socket error makes epoll report EPOLLERR, on which libuv stops a
    // poll handle (UV_EBADF) unless EPOLLPRI comes with it: SO_SELECT_ERR_QUEUE adds EPOLLPRI, which the
    // poll asks for (UV_PRIORITIZED), so that such entries are read (drainErrors) instead of ending the
    // reading. Where the kernel refuses it, OnPoll restarts the handle after draining.
    int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &on, sizeof on);
  }

  ~RawSocket() override {
    // Reached only once JavaScript dropped the object: reading holds a reference (StartReading).
    if (fd_ >= 0) close(fd_);
  }

 private:
  bool CheckOpen(Napi::Env env) {
    if (fd_ >= 0) return true;
    Napi::Error error = Napi::Error::New(env, "the raw socket is closed");
    error.Set("code", Napi::String::New(env, "EBADF"));
    error.ThrowAsJavaScriptException();
    return false;
  }

  // setOption(level, name, value: number | Buffer): setsockopt(2), throws with the errno's code.
  Napi::Value SetOption(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int level = info[0].As<Napi::Number>().Int32Value();
    int name = info[1].As<Napi::Number>().Int32Value();
    int result;
    if (info[2].IsBuffer()) {
      auto value = info[2].As<Napi::Buffer<uint8_t>>();
      result = setsockopt(fd_, level, name, value.Data(), value.Length());
    } else {
      int value = info[2].As<Napi::Number>().Int32Value();
      result = setsockopt(fd_, level, name, &value, sizeof value);
    }
    if (result < 0) ErrnoError(env, errno, "setsockopt").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // getOption(level, name): the int value of getsockopt(2).
  Napi::Value GetOption(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd_, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), &value,
                   &length) < 0) {
      ErrnoError(env, errno, "getsockopt").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, value);
  }

  // attachFilter(program: Buffer): SO_ATTACH_FILTER; the buffer holds struct sock_filter entries (8 bytes).
  Napi::Value AttachFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    auto program = info[0].As<Napi::Buffer<uint8_t>>();
    if (program.Length() == 0 || program.Length() % sizeof(struct sock_filter) != 0 ||
        program.Length() / sizeof(struct sock_filter) > BPF_MAXINSNS) {
      Napi::RangeError::New(env, "attachFilter: a program of 1..4096 8-byte instructions expected")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    struct sock_fprog fprog;
    fprog.len = static_cast<unsigned short>(program.Length() / sizeof(struct sock_filter));
    fprog.filter = reinterpret_cast<struct sock_filter*>(program.Data());
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0)
      ErrnoError(env, errno, "setsockopt(SO_ATTACH_FILTER)").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // enableTimestamps(): asks for kernel receive stamps (SO_TIMESTAMPNS), transmit stamps on the error
  // queue (SO_TIMESTAMPING, keyed by OPT_ID, without the packet: OPT_TSONLY) and, for IPv6, the hop limit
  // of each datagram. Returns what the kernel accepted, as kRxKernel | kTxKernel | kHopLimit bits.
  //
  // The transmit stamp is TX_SCHED's, taken as the packet enters the device's queueing discipline
  // (__dev_queue_xmit), not TX_SOFTWARE's, taken by the driver: the sending system call makes the former
  // for every device, so it is on the error queue when sendto returns, where the latter waits for the
  // queue to drain on devices with one; and a capture's transmit time (dev_queue_xmit_nit) comes after
  // the former and before the latter, whose wait includes delivering the copy to the capturing process.
  Napi::Value EnableTimestamps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int accepted = 0;
    int on = 1;
    if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0) accepted |= kRxKernel;
    // Reporting flags for the socket; which packets get a stamp is asked per sendmsg (a control message,
    // see StampThisSend), so that the kernel makes none beyond the budget.
    int flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
    if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0) {
      accepted |= kTxKernel;
      tx_stamps_ = true;
      stamp_tokens_ = kStampBurst;
      stamp_refilled_ = static_cast<int64_t>(uv_hrtime());
    }
    if (family_ == AF_INET6 && setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) == 0)
      accepted |= kHopLimit;
    return Napi::Number::New(env, accepted);
  }

  // reportSendErrors(): IPv4 only. IP_RECVERR is what makes raw_sendmsg() report ENOBUFS (a full egress
  // queue) instead of hiding it, but set for good it also queues every ICMP error quoting a packet of the
  // socket's protocol, anyone's (a forged flood included), on the error queue, and leaves its errno on the
  // socket for the next call. So it is set only while sends run: the first send of a batch sets it, and
  // endSends() clears it (clearing empties the error queue, so endSends reads it first: the late
  // transmit stamps in it are kept). One batch is what the caller sends in one turn of its event loop:
  // two setsockopt calls a batch instead of two a packet (bench/results.md, "Exporter, 2026-12-03: the
  // socket layer against raw-socket").
  Napi::Value ReportSendErrors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    int off = 0;
    if (family_ != AF_INET || setsockopt(fd_, IPPROTO_IP, IP_RECVERR, &off, sizeof off) < 0) {
      ErrnoError(env, family_ != AF_INET ? EINVAL : errno, "setsockopt(IP_RECVERR)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    recverr_during_send_ = true;
    return env.Undefined();
  }

  void SetRecvErr(int on) {
    if (!recverr_during_send_ || recverr_on_ == (on != 0)) return;
    if (setsockopt(fd_, IPPROTO_IP, IP_RECVERR, &on, sizeof on) == 0) recverr_on_ = on != 0;
  }

  // endSends(): the batch of sends is over: IP_RECVERR (reportSendErrors) is cleared once the error
  // queue is read (late transmit stamps kept for takeLateStamps, other entries counted for drainErrors).
  // Without reportSendErrors, or with no send since the last call, it does nothing.
  Napi::Value EndSends(const Napi::CallbackInfo& info) {
    if (fd_ >= 0 && recverr_on_) {
      DrainErrorQueue();
      SetRecvErr(0);
    }
    return info.Env().Undefined();
  }

  // send(packet: Buffer, length, address: string, times: BigInt64Array): sendmsg(2). Returns 0, EAGAIN (the
  // socket buffer is full), or the Error of any other errno (code, errno, syscall, strerror's message). On
  // success times[0] is when the packet left: the kernel's transmit stamp when this send asked for one
  // (within the budget, kStampsPerSecond) and the error queue holds it by the time sendmsg returns (the
  // usual case; not when the packet waits for address resolution), else uv_hrtime read just before
  // sendmsg; times[1] is 1 for a kernel stamp, 2 when one was asked for and had not come (or was not
  // this packet's), 0 when none was asked for (beyond the budget).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    auto packet = info[0].As<Napi::Buffer<uint8_t>>();
    size_t length = info[1].As<Napi::Number>().Uint32Value();
    std::string address = info[2].As<Napi::String>().Utf8Value();
    auto times = info[3].As<Napi::BigInt64Array>();
    if (length > packet.Length() || times.ElementLength() < 2) {
      Napi::RangeError::New(env, "send: length past the buffer, or times shorter than 2").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    struct sockaddr_storage to;
    socklen_t to_length;
    memset(&to, 0, sizeof to);
    if (family_ == AF_INET) {
      auto* in = reinterpret_cast<struct sockaddr_in*>(&to);
      in->sin_family = AF_INET;
      to_length = sizeof *in;
      if (inet_pton(AF_INET, address.c_str(), &in->sin_addr) != 1) return ErrnoError(env, EINVAL, "sendmsg").Value();
    } else {
      auto* in6 = reinterpret_cast<struct sockaddr_in6*>(&to);
      in6->sin6_family = AF_INET6;
      to_length = sizeof *in6;
      if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) != 1)
        return ErrnoError(env, EINVAL, "sendmsg").Value();
    }
    SetRecvErr(1);
    int64_t before = static_cast<int64_t>(uv_hrtime());
    bool stamp = tx_stamps_ && StampThisSend(before);
    struct iovec iov = {packet.Data(), length};
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = &to;
    message.msg_namelen = to_length;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))];
    if (stamp) {
      memset(control, 0, sizeof control);
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      struct cmsghdr* c = CMSG_FIRSTHDR(&message);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SO_TIMESTAMPING;
      c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
      uint32_t generate = SOF_TIMESTAMPING_TX_SCHED;
      memcpy(CMSG_DATA(c), &generate, sizeof generate);
    }
    ssize_t sent = sendmsg(fd_, &message, 0);
    if (sent < 0 && errno != EAGAIN && errno != ENOBUFS) {
      // With IP_RECVERR, an ICMP error quoting an earlier packet leaves its errno on the socket (sk_err),
      // and the next send returns it instead of sending. That errno is consumed by the failed call: a
      // second try tells a stale error (it succeeds) from this packet's own (it fails the same way).
      before = static_cast<int64_t>(uv_hrtime());
      sent = sendmsg(fd_, &message, 0);
    }
    if (sent < 0) {
      int failure = errno;
      if (failure == EAGAIN) return Napi::Number::New(env, EAGAIN);
      return ErrnoError(env, failure, "sendmsg").Value();
    }
    int64_t returned = static_cast<int64_t>(uv_hrtime());
    int64_t* out = times.Data();
    out[0] = before;
    out[1] = 0;
    if (stamp) {
      // Keys count stamped sends only: the kernel numbers a packet when it is asked to stamp it.
      uint32_t key = next_tx_key_;
      next_tx_key_ = key + 1;
      ErrorEntry entry;
      for (int i = 0; i < kErrorQueueReadsPerSend && ReadError(&entry); i++) {
        if (!entry.timestamp) continue;
        // Keys count sends. One at or past ours is ours: no later send exists yet. One before is a late
        // stamp of an earlier packet (it waited for address resolution) whose send already reported the
        // user-space time.
        if (static_cast<int32_t>(entry.key - key) < 0) {
          KeepLateStamp(entry);
          continue;
        }
        next_tx_key_ = entry.key + 1;
        int64_t stamped = KernelClock::Now().Monotonic(entry.stamp);
        // The stamp is made inside this sendto: one outside it is not this packet's (or the clocks
        // stepped), and the time read before the call stands.
        if (stamped >= before && stamped <= returned) {
          out[0] = stamped;
          out[1] = 1;
        }
        break;
      }
      // Asked for and not had: the time read before sendmsg stands for now; the stamp, when the packet
      // leaves (after address resolution, say), is kept under this key for takeLateStamps.
      if (out[1] == 0) {
        out[1] = 2;
        if (times.ElementLength() >= 3) out[2] = key;
      }
    }
    return Napi::Number::New(env, 0);
  }

  // Whether this send asks for a transmit stamp: one token of the budget (kStampsPerSecond), refilled from
  // the time passed since the last refill.
  bool StampThisSend(int64_t now) {
    stamp_tokens_ += static_cast<double>(now - stamp_refilled_) * kStampsPerSecond / 1e9;
    stamp_refilled_ = now;
    if (stamp_tokens_ > kStampBurst) stamp_tokens_ = kStampBurst;
    if (stamp_tokens_ < 1) return false;
    stamp_tokens_ -= 1;
    return true;
  }

  // One entry of the error queue into *entry; false when it is empty.
  bool ReadError(ErrorEntry* entry) {
    char control[kControlBytes];
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    if (recvmsg(fd_, &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return false;
    entry->timestamp = false;
    const struct scm_timestamping* stamps = nullptr;
    const struct sock_extended_err* error = nullptr;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING)
        stamps = reinterpret_cast<const struct scm_timestamping*>(CMSG_DATA(c));
      else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
               (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
        error = reinterpret_cast<const struct sock_extended_err*>(CMSG_DATA(c));
    }
    if (stamps != nullptr && error != nullptr && error->ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
        error->ee_info == SCM_TSTAMP_SCHED) {
      entry->timestamp = true;
      entry->key = error->ee_data;
      entry->stamp = ToNs(stamps->ts[0]);
    } else {
      errors_read_++;
    }
    return true;
  }

  // Empties the error queue and clears a pending socket error (SO_ERROR reads and resets sk_err): both
  // keep the socket in EPOLLERR, so both must go for the poll to stop reporting it.
  void DrainErrorQueue() {
    ErrorEntry entry;
    while (ReadError(&entry)) {
      if (entry.timestamp) KeepLateStamp(entry);
    }
    int pending = 0;
    socklen_t length = sizeof pending;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &length);
  }

  // drainErrors(): empties the error queue (late transmit stamps, ICMP errors the ICMP socket also sees).
  // Returns how many entries other than transmit stamps were read since the last call, this one's included.
  Napi::Value DrainErrors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return Napi::Number::New(env, 0);
    DrainErrorQueue();
    double read = static_cast<double>(errors_read_);
    errors_read_ = 0;
    return Napi::Number::New(env, read);
  }

  // A transmit stamp read after its send returned, kept (monotonic) for takeLateStamps; the oldest goes
  // first past kLateStampsKept, so stamps nobody waits for cost a bounded buffer.
  void KeepLateStamp(const ErrorEntry& entry) {
    if (late_stamps_.size() >= 2 * kLateStampsKept) late_stamps_.erase(late_stamps_.begin(), late_stamps_.begin() + 2);
    late_stamps_.push_back(static_cast<int64_t>(entry.key));
    late_stamps_.push_back(KernelClock::Now().Monotonic(entry.stamp));
  }

  // takeLateStamps(out: BigInt64Array): moves the transmit stamps that came after their send returned
  // into out as (key, time) pairs, as many as fit; returns how many pairs. Keys are those send() wrote to
  // times[2]; times are in process.hrtime's domain.
  Napi::Value TakeLateStamps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = info[0].As<Napi::BigInt64Array>();
    size_t pairs = std::min(out.ElementLength() / 2, late_stamps_.size() / 2);
    std::copy(late_stamps_.begin(), late_stamps_.begin() + 2 * pairs, out.Data());
    late_stamps_.erase(late_stamps_.begin(), late_stamps_.begin() + 2 * pairs);
    return Napi::Number::New(env, static_cast<double>(pairs));
  }

  // receive(buffer, slotBytes, lengths: Int32Array, times: BigInt64Array, details: Int32Array,
  //         addresses: Buffer): up to lengths.length datagrams in one recvmmsg(2), datagram i at
  // buffer[i * slotBytes], its source address at addresses[i * 16]. Returns how many (0: nothing queued),
  // or the Error of the errno. times[i] is the kernel's receive stamp made monotonic, or uv_hrtime after the call when the
  // kernel gave none; details[2i] is the IPv6 hop limit (-1 when not given), details[2i + 1] is 1 for a
  // kernel stamp.
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
    size_t slot_bytes = info[1].As<Napi::Number>().Uint32Value();
    auto lengths = info[2].As<Napi::Int32Array>();
    auto times = info[3].As<Napi::BigInt64Array>();
    auto details = info[4].As<Napi::Int32Array>();
    auto addresses = info[5].As<Napi::Buffer<uint8_t>>();
    size_t slots = lengths.ElementLength();
    if (slot_bytes == 0 || slots == 0 || buffer.Length() < slots * slot_bytes || times.ElementLength() < slots ||
        details.ElementLength() < 2 * slots || addresses.Length() < slots * kAddressBytes) {
      Napi::RangeError::New(env, "receive: arrays shorter than the slots").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (messages_.size() < slots) Resize(slots);
    for (size_t i = 0; i < slots; i++) {
      iovecs_[i].iov_base = buffer.Data() + i * slot_bytes;
      iovecs_[i].iov_len = slot_bytes;
      struct msghdr& m = messages_[i].msg_hdr;
      m.msg_name = &names_[i];
      m.msg_namelen = sizeof names_[i];
      m.msg_iov = &iovecs_[i];
      m.msg_iovlen = 1;
      m.msg_control = &control_[i * kControlBytes];
      m.msg_controllen = kControlBytes;
      m.msg_flags = 0;
    }
    int count = -1;
    // A stale ICMP errno (IP_RECVERR, see Send) is returned once, before any datagram: read on past it.
    for (int attempt = 0; attempt < 4 && count < 0; attempt++) {
      count = recvmmsg(fd_, messages_.data(), static_cast<unsigned>(slots), MSG_DONTWAIT, nullptr);
      if (count < 0 && (errno == EAGAIN || errno == EINTR)) return Napi::Number::New(env, 0);
    }
    if (count < 0) return ErrnoError(env, errno, "recvmmsg").Value();
    KernelClock clock = KernelClock::Now();
    int64_t* out_times = times.Data();
    int32_t* out_lengths = lengths.Data();
    int32_t* out_details = details.Data();
    uint8_t* out_addresses = addresses.Data();
    for (int i = 0; i < count; i++) {
      struct msghdr& m = messages_[i].msg_hdr;
      out_lengths[i] = static_cast<int32_t>(messages_[i].msg_len);
      int hop = -1;
      bool kernel = false;
      out_times[i] = clock.mono;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec stamp;
          memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
          int64_t received = clock.Monotonic(ToNs(stamp));
          // A stamp from after the read is no receive time (the wall clock stepped back): keep the read's.
          if (received <= clock.mono) {
            out_times[i] = received;
            kernel = true;
          }
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
          memcpy(&hop, CMSG_DATA(c), sizeof hop);
        }
      }
      out_details[2 * i] = hop;
      out_details[2 * i + 1] = kernel ? 1 : 0;
      uint8_t* address = out_addresses + i * kAddressBytes;
      if (names_[i].ss_family == AF_INET)
        memcpy(address, &reinterpret_cast<struct sockaddr_in*>(&names_[i])->sin_addr, 4);
      else
        memcpy(address, &reinterpret_cast<struct sockaddr_in6*>(&names_[i])->sin6_addr, 16);
    }
    return Napi::Number::New(env, count);
  }

  void Resize(size_t slots) {
    messages_.assign(slots, {});
    iovecs_.assign(slots, {});
    names_.assign(slots, {});
    control_.assign(slots * kControlBytes, 0);
  }

  // startReading(onReady: (error, events) => void): calls onReady from the event loop whenever the socket
  // has datagrams (events & 1), error-queue entries or a pending error (events & 8: drainErrors), or,
  // while watchWritable(true), room to send (events & 2). Level-triggered: what is not read calls again.
  // error is null, or libuv's.
  Napi::Value StartReading(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    on_ready_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      napi_get_uv_event_loop(env, &loop);
      poll_ = new uv_poll_t;
      int result = uv_poll_init(loop, poll_, fd_);
      if (result < 0) {
        delete poll_;
        poll_ = nullptr;
        ErrnoError(env, -result, "uv_poll_init").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      poll_->data = this;
      Ref();  // the poll handle points at this object: keep it alive until close()
    }
    StartPoll();
    return env.Undefined();
  }

  void StartPoll() { uv_poll_start(poll_, UV_READABLE | UV_PRIORITIZED | (writable_ ? UV_WRITABLE : 0), OnPoll); }

  // watchWritable(on: boolean): whether onReady is also called when the socket has room to send.
  Napi::Value WatchWritable(const Napi::CallbackInfo& info) {
    writable_ = info[0].ToBoolean().Value();
    if (poll_ != nullptr && fd_ >= 0) StartPoll();
    return info.Env().Undefined();
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<RawSocket*>(handle->data);
    if (self->fd_ < 0 || self->on_ready_.IsEmpty()) return;
    if (status == UV_EBADF && self->poll_ != nullptr) {
      // EPOLLERR without EPOLLPRI (a kernel without SO_SELECT_ERR_QUEUE): libuv stopped the handle.
      // The descriptor is fine; what made it report an error is read, and the poll goes on.
      self->DrainErrorQueue();
      self->StartPoll();
      status = 0;
      events = UV_READABLE | UV_PRIORITIZED;
    }
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    Napi::Value error = status < 0 ? ErrnoError(env, -status, "uv_poll").Value() : env.Null();
    self->on_ready_.MakeCallback(env.Global(), {error, Napi::Number::New(env, events)});
    if (env.IsExceptionPending()) {
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
    }
  }

  // close(): stops reading and closes the descriptor. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      poll_ = nullptr;
      Unref();
    }
    on_ready_.Reset();
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int family_ = AF_INET;
  bool tx_stamps_ = false;
  double stamp_tokens_ = 0;
  int64_t stamp_refilled_ = 0;
  bool recverr_during_send_ = false;
  // IP_RECVERR is set now: between the first send of a batch and endSends().
  bool recverr_on_ = false;
  uint32_t next_tx_key_ = 0;
  uint64_t errors_read_ = 0;
  // (key, monotonic ns) pairs of transmit stamps that came after their send returned.
  std::vector<int64_t> late_stamps_;
  uv_poll_t* poll_ = nullptr;
  bool writable_ = false;
  Napi::FunctionReference on_ready_;
  std::vector<struct mmsghdr> messages_;
  std::vector<struct iovec> iovecs_;
  std::vector<struct sockaddr_storage> names_;
  std::vector<char> control_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("RawSocket", RawSocket::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(netdiag_raw_socket, Init)
