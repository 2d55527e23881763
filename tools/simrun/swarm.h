#pragma once
// Swarm testing (Groce et al., ISSTA 2012; TigerBeetle's VOPR): with
// `nemesis.swarm` true (`simrun sweep --swarm` sets it), each seed draws
// which of the nemesis kinds that declare a `swarm` range are on, and the
// mean interval of each one on, so that a bug a fixed fault mix masks (a
// crash storm that hides a slow partition) still shows on some seeds.
// Kinds without a range run as written. The draw comes from the seed's own
// "swarm" stream, before anything else: same seed, same mix, and the
// fault schedule (the "faults" stream) is drawn from the mix as usual.

#include <cstdint>
#include <optional>
#include <string>

#include "tools/simrun/scenario.h"

namespace simrun::cli {

// Applies the draw to `nemesis` in place: kinds off are removed, kinds on
// get their drawn mean interval. At least one ranged kind stays on.
// Returns one line describing the draw, for the summary ("crash every
// 3.2s, partition off, ...").
std::string draw_swarm(NemesisSpec& nemesis, std::uint64_t seed);

}  // namespace simrun::cli
