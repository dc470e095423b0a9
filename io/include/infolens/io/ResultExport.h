#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "infolens/live/LiveResult.h"

// Exports of one live result for analysis outside the app. Values are in bits; maps are as in
// WordResult::map (bits per image pixel, mapWidth x mapHeight cells). Every export is written
// atomically: it replaces an existing file wholly or, on failure, leaves no file and throws
// infolens::Error naming the path. A result whose `error` is set is refused.
namespace infolens {

// float32 .npy of shape [K+1, mapHeight, mapWidth], C order: index 0 is the whole prompt's MI map,
// index k the k-th word's map (the order of LiveResult::words). Throws when the result has no maps
// or a map's size differs from mapWidth x mapHeight.
void writeMapsNpy(const std::string& path, const LiveResult& result);

// CSV, one header line then K+1 rows, LF line ends, RFC 4180 quoting (fields with a comma, quote
// or line break are quoted, inner quotes doubled):
//   index,word,kind,begin,end,mode,unknown,i_o_bits,i_o_se_bits,i_s_bits,i_s_se_bits
// i_o is the orthogonal form (how far the text moves the model's prediction, never negative; the
// maps), i_s the standard form (log-likelihood ratio: how much better the text explains the
// image; can be negative), each with its standard error.
// Row index 0 is the whole prompt (kind "mi", word = the prompt, begin 0, end = its length, mode
// empty); rows 1..K are the words (kind "word", or "symbol" for punctuation), matching the NPY
// index. begin/end are UTF-8 byte offsets into the prompt; unknown is true/false; numbers are the
// shortest text that reads back to the same double.
void writeValuesCsv(const std::string& path, const LiveResult& result);

// JSON with "format": "infolens-values", "version": 1, "forms" (what bits and standardBits mean:
// i_o and i_s), the prompt, draws, sample cap, evaluations,
// finished/converged, the map size, "mi" and "words" (index, text, begin, end, kind, unknown, mode,
// bits, seBits, standardBits, standardSeBits), and `provenance` copied as given: the caller's
// record of model name and hash, image hash, seed, sampler, app version. `provenance` must be an
// object (or null, stored as {}).
void writeValuesJson(const std::string& path, const LiveResult& result,
                     const nlohmann::json& provenance);

}  // namespace infolens
