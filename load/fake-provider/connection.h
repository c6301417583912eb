// One client connection's state: unparsed input, unsent output, and answers not yet due.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "engine.h"

namespace sever::fake {

/// An answer waiting for its delay or for earlier answers (responses leave in request order).
struct PendingAnswer {
  uint64_t seq = 0;
  bool ready = false;  // its delay has passed
  Decision::Action action = Decision::Action::respond;
  bool close = false;  // the connection closes after it
  int tracked_provider = -1;
  std::string bytes;   // the serialised response (respond only)
};

/// A connection owned by one event loop.
struct Connection {
  int fd = -1;
  uint64_t generation = 0;  // distinguishes reuses of the same fd number
  std::string in;           // input not yet parsed (empty in the common case)
  std::string out;          // output not yet sent, from out_sent on
  size_t out_sent = 0;
  std::deque<PendingAnswer> pending;
  uint64_t next_seq = 0;
  uint32_t providers = 0;   // providers this connection has talked to (for stats)
  int64_t last_active_us = 0;
  bool hung = false;          // a request will never be answered; later requests are ignored
  bool stop_reading = false;  // no more requests will be handled (Connection: close, error)
  bool closing = false;       // close once `out` is sent
  bool read_eof = false;      // the client closed its side
  bool continue_sent = false; // 100 Continue sent for the request being received
  bool read_paused = false;   // backpressure: too much output or too many answers queued
  bool write_shut = false;    // lingering close: our side is shut, draining the client's input
  int64_t linger_since_us = 0;

  /// Returns true iff every byte of `out` has been sent.
  bool flushed() const { return out_sent == out.size(); }
};

}  // namespace sever::fake
