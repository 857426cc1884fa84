// faceg2e-cli: the headless front end of FaceG2E.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "app/cli/cli_commands.h"
#include "core/pipeline/models_config.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

int main(int argc, char** argv) {
  // Warnings and notes go to stderr, beside the errors; stdout carries only the results.
  spdlog::set_default_logger(spdlog::stderr_color_mt("faceg2e"));
  CLI::App app{"faceg2e-cli " + faceg2e::app_version() +
               ": text-guided 3D face generation and editing, headless"};
  app.set_version_flag("--version", faceg2e::app_version());
  app.require_subcommand(1);
  CLI::App* diagnose =
      app.add_subcommand("diagnose", "Check models and reference fixtures")->require_subcommand(1);
  CLI::App* bench = app.add_subcommand("bench", "Measure speed and memory")->require_subcommand(1);

  faceg2e::cli::register_face_commands(app);
  faceg2e::cli::register_diagnose_model(*diagnose);
  faceg2e::cli::register_diagnose_fixtures(*diagnose);
  faceg2e::cli::register_bench_diffusion(*bench);
  faceg2e::cli::register_generate_commands(app);
  faceg2e::cli::register_compare_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const faceg2e::pipeline::MissingModelError& e) {
    std::fprintf(stderr, "error: %s\n  (%s)\n", e.what(), faceg2e::cli::role_flag_hint(e.role()));
    return 1;
  } catch (const faceg2e::Cancelled&) {
    std::fprintf(stderr, "cancelled\n");
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
