// Placeholder until this command group lands: registers nothing.
#include "app/cli/cli_commands.h"

namespace faceg2e::cli {

void register_generate_commands(CLI::App& /*app*/) {}

}  // namespace faceg2e::cli
