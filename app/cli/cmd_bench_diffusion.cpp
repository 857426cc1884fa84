// Placeholder until this command group lands: registers nothing.
#include "app/cli/cli_commands.h"

namespace faceg2e::cli {

void register_bench_diffusion(CLI::App& /*bench*/) {}

}  // namespace faceg2e::cli
