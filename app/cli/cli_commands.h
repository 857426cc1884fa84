#pragma once
// Command groups of faceg2e-cli. Each registers its subcommands (options + callback) on the
// given CLI11 app. A callback reports failure by throwing: faceg2e::Error (message shown,
// exit 1) or CLI::RuntimeError(code) (exit code only, after the command printed its own report).
#include <CLI/CLI.hpp>

#include "core/pipeline/models_config.h"

namespace faceg2e::cli {

void register_face_commands(CLI::App& app);            // import-ict, info, new, export
void register_diagnose_model(CLI::App& diagnose);      // diagnose model
void register_diagnose_fixtures(CLI::App& diagnose);   // diagnose fixtures
void register_bench_diffusion(CLI::App& bench);        // bench diffusion
void register_generate_commands(CLI::App& app);        // generate
void register_compare_command(CLI::App& app);          // compare

// The command-line words for a model role: "pass --sd21 PATH, or --models DIR".
const char* role_flag_hint(pipeline::ModelRole role);

}  // namespace faceg2e::cli
