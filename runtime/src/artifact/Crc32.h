// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) of the artifact's header and
// metadata, so that a flipped byte there is an error rather than a plan that
// verifies but means something else.
#ifndef LFM_ARTIFACT_CRC32_H
#define LFM_ARTIFACT_CRC32_H

#include <cstdint>
#include <span>

namespace lfm {

uint32_t crc32(std::span<const uint8_t> bytes);

}  // namespace lfm

#endif  // LFM_ARTIFACT_CRC32_H
