#pragma once
// The simulator kernel's trace-record kinds: one set of names, used by the
// emitters (sim/network.cpp, sim/disk.cpp, sim/world.cpp, the fault
// injector) and by every reader. The broker's kinds are in broker/events.h.
// Record kinds are hashed into the trace hash: renaming one changes every
// golden hash.
//
//  process.add   {process, name}        process.start {process, incarnation}
//  fault         {type, process, ...}   a kernel fault took effect (World::record_fault);
//                {action, targets, duration_ms, origin} a scenario fault fired (simrun)
//  fault.skipped {action, targets, duration_ms, origin}: its targets resolved to no node
//  net.send / net.deliver / net.drop / net.hold / net.release / net.duplicate /
//  net.reorder / net.reset {from, to, id, ...}: process ids are 0-based
//  net.segment, net.connect, net.accept, net.established, net.close,
//  net.retransmit, net.user_timeout, net.conn_reset: the TCP-like
//  connections (sim/connection.h)
//  disk.fsync {process, wait_ns, queue_ns}   disk.crash_loss {process, ...}
//  disk.fsync_started {process}: an fsync began (before its wait)
//
// kAll lists every kind here; tools/simrun/trace_kinds_test.cpp checks it and
// broker::events::kAll are one set (no name twice), that every reader's kind
// is in it, and that no source outside the tests records a literal kind.

#include <array>
#include <string_view>

namespace simrun::sim::trace_kinds {
inline constexpr std::string_view kProcessAdd = "process.add";
inline constexpr std::string_view kProcessStart = "process.start";
inline constexpr std::string_view kFault = "fault";
inline constexpr std::string_view kFaultSkipped = "fault.skipped";
inline constexpr std::string_view kNetSend = "net.send";
inline constexpr std::string_view kNetDeliver = "net.deliver";
inline constexpr std::string_view kNetDrop = "net.drop";
inline constexpr std::string_view kNetHold = "net.hold";
inline constexpr std::string_view kNetRelease = "net.release";
inline constexpr std::string_view kNetDuplicate = "net.duplicate";
inline constexpr std::string_view kNetReorder = "net.reorder";
inline constexpr std::string_view kNetReset = "net.reset";
inline constexpr std::string_view kNetSegment = "net.segment";
inline constexpr std::string_view kNetConnect = "net.connect";
inline constexpr std::string_view kNetAccept = "net.accept";
inline constexpr std::string_view kNetEstablished = "net.established";
inline constexpr std::string_view kNetClose = "net.close";
inline constexpr std::string_view kNetRetransmit = "net.retransmit";
inline constexpr std::string_view kNetUserTimeout = "net.user_timeout";
inline constexpr std::string_view kNetConnReset = "net.conn_reset";
inline constexpr std::string_view kDiskFsync = "disk.fsync";
inline constexpr std::string_view kDiskCrashLoss = "disk.crash_loss";
inline constexpr std::string_view kDiskFsyncStarted = "disk.fsync_started";

inline constexpr std::array kAll = {
    kProcessAdd,     kProcessStart, kFault,      kFaultSkipped,   kNetSend,         kNetDeliver,
    kNetDrop,        kNetHold,      kNetRelease, kNetDuplicate,   kNetReorder,      kNetReset,
    kNetSegment,     kNetConnect,   kNetAccept,  kNetEstablished, kNetClose,        kNetRetransmit,
    kNetUserTimeout, kNetConnReset, kDiskFsync,  kDiskCrashLoss,  kDiskFsyncStarted};
}  // namespace simrun::sim::trace_kinds
