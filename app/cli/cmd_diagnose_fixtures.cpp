// Placeholder until this command group lands: registers nothing.
#include "app/cli/cli_commands.h"

namespace faceg2e::cli {

void register_diagnose_fixtures(CLI::App& /*diagnose*/) {}

}  // namespace faceg2e::cli
