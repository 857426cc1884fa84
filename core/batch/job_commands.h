#pragma once
// The faceg2e-cli command lines that make one job: generate, then each edit, then export.
// Batch drives the CLI, not the engine, so the engine and the project format can change under
// it; a command that no longer accepts a job's option fails that job with the CLI's message.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/batch/manifest.h"

namespace faceg2e::batch {

// The long flags ("--seed") a subcommand of this build accepts. Batch passes a batch-wide flag
// (a model path, --device, --seed to edit) only to the commands that take it.
using FlagSet = std::set<std::string>;

struct JobCommandContext {
  FlagSet generate_flags, edit_flags, export_flags;
  std::string device = "cpu";
  std::filesystem::path project, export_dir;
};

// Arguments after the program name: {"generate", "--out", ...}.
std::vector<std::string> generate_command(const Job& job, const Manifest& m,
                                          const JobCommandContext& c);
std::vector<std::string> edit_command(const Job& job, std::size_t edit_index, const Manifest& m,
                                      const JobCommandContext& c);
std::vector<std::string> export_command(const Job& job, const Manifest& m,
                                        const JobCommandContext& c);

// "steps_geometry" -> "--steps-geometry".
std::string field_flag(const std::string& field);

// A value as a command-line word: integers in decimal, floats with enough digits to read back
// the same double, strings as they are.
std::string value_word(const nlohmann::json& v);

}  // namespace faceg2e::batch
