#pragma once
// The toy application the raft test harnesses (interaction transcripts, the
// property test) run on Raft: the list of applied non-empty entries, data as
// text. Its snapshot image is one "index:data\n" line per entry, readable in
// a transcript and cheap to compare.
//
// Pure: no clock, no I/O, no randomness.

#include <string>
#include <utility>
#include <vector>

#include "raft/types.h"

namespace simrun::raft {

using AppliedList = std::vector<std::pair<Index, std::string>>;

// The image of the entries of `applied` up to and including index `upto`
// (applied is in index order). Data must not contain '\n'.
Bytes encode_applied_image(const AppliedList& applied, Index upto);

// The inverse of encode_applied_image. Throws std::runtime_error on a corrupt
// image, so a harness can report it with its seed or transcript line.
AppliedList decode_applied_image(const Bytes& image);

}  // namespace simrun::raft
