#pragma once
// Reference-fixture check of the CLIP tokenizer built from OpenAI's bpe_simple_vocab_16e6.txt.gz
// (faceg2e-cli diagnose fixtures --clip-vocab GZ). Kept apart from fixture_checks.h because the
// gz file is not part of a fixture set: the caller names it.
#include <filesystem>
#include <vector>

#include "core/diffusion/fixture_checks.h"

namespace faceg2e::diffusion {

// One result per tokenizer flavour: SD1 (default config) against ids_unpadded,
// input_ids_77_pad49407 and tokens, SD2 (TokenizerConfig::sd2()) against hf_sd2_ids_unpadded and
// input_ids_77_pad0, over every case of DIR/tokenizer_cases.json. Never throws.
std::vector<CheckResult> tokenizer_gz_checks(const std::filesystem::path& dir, const std::filesystem::path& gz);

}  // namespace faceg2e::diffusion
