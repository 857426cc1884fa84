#pragma once
// Runs the real faceg2e executable (under Xvfb) and faceg2e-cli for the GUI tests.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace faceg2e::testing {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline RunResult run(const std::string& command) {
  RunResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe))
    r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// xvfb-run -a picks the first free display from -n upward; tests started at the same moment
// (ctest -j) would race for the same number, so each process starts its search elsewhere.
inline std::string xvfb(const std::string& screen = "") {
  std::string cmd = "xvfb-run -a -n " + std::to_string(100 + getpid() % 800);
  if (!screen.empty()) cmd += " -s '-screen 0 " + screen + "'";
  return cmd + " ";
}

// Runs under Xvfb, retrying when the X server itself failed to start (a display-number race).
inline RunResult run_gui(const std::string& args, const std::string& env = "",
                         const std::string& screen = "1280x1024x24") {
  RunResult r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = run(env + " " + xvfb(screen) + args);
    if (r.output.find("Server is already active") == std::string::npos &&
        r.output.find("xvfb-run: error") == std::string::npos)
      break;
    usleep(200000 * (attempt + 1));
  }
  return r;
}

inline std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace faceg2e::testing
