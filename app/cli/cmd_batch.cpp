// faceg2e-cli batch: plan, run, status, slurm. Many faces from a job list, resumable, and on a
// Slurm cluster as a job array.
//
// Batch is a layer over the CLI itself, not over the engine: a job is `generate`, then each
// `edit`, then `export`, run as child processes of this very executable (/proc/self/exe) into
// a staging folder that moves into DIR/jobs/<name>/ when all of them succeeded. The engine and
// the project format can change under it; the job fields follow the commands' own option
// tables (a new generate flag is a new job field).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/cli/cli_commands.h"
#include "core/batch/job_commands.h"
#include "core/batch/job_list.h"
#include "core/batch/job_state.h"
#include "core/batch/manifest.h"
#include "core/batch/slurm_script.h"
#include "core/util/atomic_file.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

extern char** environ;

namespace faceg2e::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Model paths are batch-wide: planned once, hashed, and passed to every command that takes
// them. A job that names one gets an error saying so.
const std::vector<std::string> kModelFields = {"face_model", "models",           "sd21",
                                               "sd15",       "controlnet_depth", "texture_prior",
                                               "ip2p",       "clip_vocab"};
// Options the batch sets itself rather than taking them from the job list.
const std::set<std::string> kGenerateOwn = {"out", "prompt", "seed", "device", "help"};
const std::set<std::string> kExportOwn = {"project", "out", "face_model", "help"};

// Exit codes of `batch run` beyond 0 (all done) and 1 (an error before any job ran).
constexpr int kExitJobFailed = 3;  // at least one job failed; see DIR/jobs/<name>.failed.json
constexpr int kExitJobBusy = 4;    // a job is being run by another runner (its lock is held)

std::atomic<int> g_stop_signal{0};
extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

CLI::App* find_subcommand(const CLI::App& root, const std::string& name) {
  try {
    return root.get_subcommand(name);
  } catch (const CLI::OptionNotFound&) {
    return nullptr;
  }
}

batch::FlagSet long_flags(const CLI::App* app) {
  batch::FlagSet flags;
  if (!app) return flags;
  for (const CLI::Option* o : app->get_options())
    for (const auto& l : o->get_lnames()) flags.insert("--" + l);
  return flags;
}

batch::FieldKind kind_of(const CLI::Option* o) {
  if (o->get_type_size_max() == 0) return batch::FieldKind::kFlag;
  std::string t = o->get_type_name();
  t = t.substr(0, t.find(':'));
  if (t == "INT") return batch::FieldKind::kInt;
  if (t == "UINT") return batch::FieldKind::kUInt;
  if (t == "FLOAT") return batch::FieldKind::kFloat;
  return batch::FieldKind::kText;
}

void add_fields(batch::JobListSpec& spec, const CLI::App* cmd, const std::set<std::string>& own,
                batch::FieldTarget target) {
  if (!cmd) return;
  for (const CLI::Option* o : cmd->get_options()) {
    if (o->get_lnames().empty()) continue;
    std::string name = o->get_lnames().front();
    std::replace(name.begin(), name.end(), '-', '_');
    if (own.count(name) ||
        std::find(kModelFields.begin(), kModelFields.end(), name) != kModelFields.end())
      continue;
    batch::FieldKind kind = kind_of(o);
    if (name == "target" && kind == batch::FieldKind::kText) kind = batch::FieldKind::kPath;
    spec.fields.push_back({name, "--" + o->get_lnames().front(), kind, target});
  }
}

// The fields a job may give: generate's and export's options, as this build defines them.
batch::JobListSpec job_list_spec(const CLI::App& root) {
  batch::JobListSpec spec;
  spec.batch_wide = kModelFields;
  add_fields(spec, find_subcommand(root, "generate"), kGenerateOwn, batch::FieldTarget::kGenerate);
  add_fields(spec, find_subcommand(root, "export"), kExportOwn, batch::FieldTarget::kExport);
  return spec;
}

batch::JobCommandContext command_context(const CLI::App& root, const std::string& device) {
  batch::JobCommandContext c;
  c.generate_flags = long_flags(find_subcommand(root, "generate"));
  c.edit_flags = long_flags(find_subcommand(root, "edit"));
  c.export_flags = long_flags(find_subcommand(root, "export"));
  c.device = device;
  return c;
}

// ---------------------------------------------------------------------------------------------
// plan

struct PlanArgs {
  std::string jobs, out, defaults;
  int threads = 0;
  std::map<std::string, std::string> models;  // field -> flag value
};

int default_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw == 0 ? 1u : hw, 1u, 8u));
}

void run_plan(const CLI::App& root, const PlanArgs& a) {
  const fs::path out = fs::absolute(a.out).lexically_normal();
  std::error_code ec;
  if (fs::exists(out / "batch.json", ec))
    throw Error(batch::manifest_path_string(out) +
                " exists: a batch is planned there already; plan into a new folder");
  if (fs::exists(out, ec) && (!fs::is_directory(out, ec) || !fs::is_empty(out, ec)))
    throw Error("--out " + out.string() + " exists and is not an empty folder");

  // Everything is checked before anything is written.
  const batch::JobListSpec spec = job_list_spec(root);
  std::vector<batch::Job> jobs = batch::parse_job_list(a.jobs, spec, a.defaults);
  if (!find_subcommand(root, "edit")) {
    for (const auto& j : jobs)
      if (!j.edits.empty())
        throw FormatError(a.jobs, "line " + std::to_string(j.line) +
                                      ", field 'edits': this build of faceg2e-cli has no edit "
                                      "command");
  }
  batch::Manifest m;
  m.jobs = std::move(jobs);
  m.threads = a.threads > 0 ? a.threads : default_threads();
  m.created = utc_now();
  m.app_version = app_version();
  m.jobs_file = fs::absolute(a.jobs).lexically_normal();
  if (!a.defaults.empty()) m.defaults_file = fs::absolute(a.defaults).lexically_normal();
  const auto face_flag = a.models.find("face_model");
  const fs::path face = require_face_model(face_flag == a.models.end() || face_flag->second.empty()
                                               ? std::nullopt
                                               : std::optional<fs::path>(face_flag->second));
  m.models.emplace_back("face_model", fs::absolute(face).lexically_normal());
  for (const auto& field : kModelFields) {
    const auto it = a.models.find(field);
    if (field == "face_model" || it == a.models.end() || it->second.empty()) continue;
    m.models.emplace_back(field, fs::absolute(it->second).lexically_normal());
  }
  std::uint64_t bytes = 0;
  m.model_files = batch::hash_model_files(m.models, [&](const fs::path& f) {
    std::fprintf(stderr, "hashing %s\n", f.string().c_str());
  });
  for (const auto& f : m.model_files) bytes += f.size;

  fs::create_directories(out);
  batch::save_manifest(out, m);
  std::printf(
      "planned %zu job%s in %s (%zu model file%s, %.1f MB, pinned by SHA-256; %d thread%s "
      "per job)\n",
      m.jobs.size(), m.jobs.size() == 1 ? "" : "s", out.string().c_str(), m.model_files.size(),
      m.model_files.size() == 1 ? "" : "s", bytes / 1e6, m.threads, m.threads == 1 ? "" : "s");
}

// ---------------------------------------------------------------------------------------------
// run

struct ChildOutcome {
  int exit_code = -1;   // when it exited
  int term_signal = 0;  // when a signal ended it
  std::string tail;     // the last few KB of its output
};

// The environment of a job's commands: this one, with the thread count pinned. Float
// reductions split over a different number of threads add in a different order, so the same
// seed gives the same face bit for bit only with the same count (and the same device).
std::vector<std::string> child_environment(int threads) {
  const std::set<std::string> pinned = {"OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                        "OPENBLAS_NUM_THREADS", "CUBLAS_WORKSPACE_CONFIG"};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string s = *e;
    if (!pinned.count(s.substr(0, s.find('=')))) env.push_back(s);
  }
  const std::string n = std::to_string(threads);
  env.push_back("OMP_NUM_THREADS=" + n);
  env.push_back("MKL_NUM_THREADS=" + n);
  env.push_back("OPENBLAS_NUM_THREADS=" + n);
  env.push_back("CUBLAS_WORKSPACE_CONFIG=:4096:8");  // deterministic cuBLAS reductions
  return env;
}

// Runs `program args...` (program "/proc/self/exe" = this executable), its stdout and stderr
// into `log` and, line by line with `prefix`, to our stderr. On a stop signal the child gets
// SIGTERM, then SIGKILL after 10 s.
ChildOutcome run_child(const std::string& program, const std::vector<std::string>& args,
                       const std::vector<std::string>& env, std::FILE* log,
                       const std::string& prefix) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> argv_s = {program == "/proc/self/exe" ? "faceg2e-cli" : program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  for (auto& s : env_copy) envp.push_back(s.data());
  envp.push_back(nullptr);
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  const pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    if (devnull >= 0) ::dup2(devnull, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &dfl, nullptr);
    if (program.find('/') != std::string::npos)
      ::execve(program.c_str(), argv.data(), envp.data());
    else
      ::execvpe(program.c_str(), argv.data(), envp.data());
    const std::string msg = "error: cannot run " + program + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (devnull >= 0) ::close(devnull);

  ChildOutcome out;
  std::string line;
  bool term_sent = false, kill_sent = false;
  auto term_time = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    if (g_stop_signal.load() != 0 && !term_sent) {
      ::kill(pid, SIGTERM);
      term_sent = true;
      term_time = std::chrono::steady_clock::now();
    }
    if (term_sent && !kill_sent && seconds_since(term_time) > 10) {
      ::kill(pid, SIGKILL);
      kill_sent = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, 200);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (log) std::fwrite(buf, 1, static_cast<std::size_t>(n), log);
    out.tail.append(buf, static_cast<std::size_t>(n));
    if (out.tail.size() > 16384) out.tail.erase(0, out.tail.size() - 8192);
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
        line.clear();
      } else if (buf[i] != '\r') {
        line += buf[i];
      }
    }
  }
  if (!line.empty()) std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.term_signal = WTERMSIG(status);
  return out;
}

std::vector<std::string> last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::size_t end = text.size();
  while (end > 0 && lines.size() < n) {
    const std::size_t nl = text.rfind('\n', end - 1);
    const std::size_t b = nl == std::string::npos ? 0 : nl + 1;
    std::string l = text.substr(b, end - b);
    l.erase(std::remove(l.begin(), l.end(), '\r'), l.end());
    if (!l.empty()) lines.insert(lines.begin(), l);
    if (nl == std::string::npos) break;
    end = nl;
  }
  return lines;
}

// The command's own error line ("error: ..."), else its last line, else how it ended.
std::string failure_message(const ChildOutcome& o) {
  const auto lines = last_lines(o.tail, 40);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (it->rfind("error: ", 0) == 0) return it->substr(7);
  std::string how = o.term_signal ? "killed by signal " + std::to_string(o.term_signal)
                                  : "exit code " + std::to_string(o.exit_code);
  if (!lines.empty()) how = lines.back() + " (" + how + ")";
  return how;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string s = "faceg2e-cli";
  for (const auto& a : args)
    s += " " + (a.find_first_of(" \t'\"$\\") == std::string::npos && !a.empty()
                    ? a
                    : batch::shell_quote(a));
  return s;
}

// Moves the finished staging folder to its place in one rename. TODO(lead): switch to
// core/util/staged_folder.h (StagedFolder, issue 11) once it is in main; until then this is
// the minimal same-filesystem rename + folder fsync it would do for an absent target.
void commit_folder(const fs::path& staging, const fs::path& target) {
  if (::rename(staging.c_str(), target.c_str()) != 0)
    throw Error("cannot move " + staging.string() + " to " + target.string() + ": " +
                std::strerror(errno));
  const int fd = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void fsync_file(std::FILE* f) {
  std::fflush(f);
  ::fsync(::fileno(f));
}

// Ended the way a stop signal ends it: killed by one, or exited 128 + it (generate's Ctrl-C).
bool looks_stopped(const ChildOutcome& o) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGKILL})
    if (o.term_signal == sig || o.exit_code == 128 + sig) return true;
  return false;
}

enum class JobOutcome { kDone, kSkipped, kFailed, kBusy, kStopped };

struct RunContext {
  fs::path dir;
  const batch::Manifest* manifest = nullptr;
  batch::JobCommandContext commands;
  std::vector<std::string> env;
};

std::string slurm_job_id() {
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array && task) return std::string(array) + "_" + task;
  const char* job = std::getenv("SLURM_JOB_ID");
  return job ? job : "";
}

JobOutcome run_job(const RunContext& rc, const batch::Job& job) {
  const batch::JobPaths paths = batch::job_paths(rc.dir, job.name);
  const std::string tag = "job " + std::to_string(job.index) + " (" + job.name + ")";
  std::error_code ec;
  if (fs::is_directory(paths.done_dir, ec)) {
    std::printf("%s: done already, skipped\n", tag.c_str());
    return JobOutcome::kSkipped;
  }
  const std::string started = utc_now();
  json details = {{"index", job.index}, {"name", job.name},   {"host", batch::host_name()},
                  {"pid", ::getpid()},  {"started", started}, {"device", rc.commands.device}};
  if (const std::string s = slurm_job_id(); !s.empty()) details["slurm_job"] = s;
  json holder;
  auto claim = batch::JobClaim::try_claim(paths.running_file, details, &holder);
  if (!claim) {
    std::string who = holder.is_object() ? "host " + holder.value("host", std::string("?")) +
                                               ", pid " + std::to_string(holder.value("pid", 0))
                                         : "another runner";
    std::printf("%s: being run by %s; not started\n", tag.c_str(), who.c_str());
    return JobOutcome::kBusy;
  }
  if (fs::is_directory(paths.done_dir, ec)) {  // finished while we waited for the lock
    std::printf("%s: done already, skipped\n", tag.c_str());
    return JobOutcome::kSkipped;
  }
  // A staging folder left by a runner that was killed outright (SIGKILL) is stale: we hold the
  // job's lock, so nobody else is writing it.
  fs::remove_all(paths.staging_dir);
  fs::create_directories(paths.staging_dir);
  batch::JobCommandContext cmds = rc.commands;
  cmds.project = paths.staging_dir / "project";
  cmds.export_dir = paths.staging_dir / "export";

  std::vector<std::pair<std::string, std::vector<std::string>>> steps;
  steps.emplace_back("generate", batch::generate_command(job, *rc.manifest, cmds));
  for (std::size_t i = 0; i < job.edits.size(); ++i)
    steps.emplace_back("edit " + std::to_string(i + 1),
                       batch::edit_command(job, i, *rc.manifest, cmds));
  steps.emplace_back("export", batch::export_command(job, *rc.manifest, cmds));

  const auto t0 = std::chrono::steady_clock::now();
  std::printf("%s: running (%zu step%s)\n", tag.c_str(), steps.size(),
              steps.size() == 1 ? "" : "s");
  std::fflush(stdout);
  std::FILE* log = std::fopen((paths.staging_dir / "log.txt").c_str(), "w");
  if (!log) throw Error("cannot create " + (paths.staging_dir / "log.txt").string());
  ordered_json step_log = ordered_json::array();
  auto discard = [&] {
    if (log) std::fclose(log);
    log = nullptr;
    fs::remove_all(paths.staging_dir, ec);
  };
  try {
    for (const auto& [label, args] : steps) {
      const std::string cmd = command_line(args);
      std::fprintf(log, "$ %s\n", cmd.c_str());
      std::fflush(log);
      const auto ts = std::chrono::steady_clock::now();
      const ChildOutcome o = run_child("/proc/self/exe", args, rc.env, log, "[" + job.name + "] ");
      if (looks_stopped(o)) {
        // Slurm (scancel, time limit) and Ctrl-C signal the whole process tree; the command
        // may die before our own handler runs. Give the signal a moment to arrive, so a stop
        // is not recorded as the job's failure.
        for (int i = 0; i < 40 && g_stop_signal.load() == 0; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (g_stop_signal.load() != 0) {
        discard();
        std::printf("%s: stopped by signal %d during %s; nothing kept\n", tag.c_str(),
                    g_stop_signal.load(), label.c_str());
        return JobOutcome::kStopped;
      }
      if (o.exit_code != 0 || o.term_signal != 0) {
        ordered_json f;
        f["index"] = job.index;
        f["name"] = job.name;
        f["step"] = label;
        f["command"] = cmd;
        f["exit_code"] = o.exit_code;
        if (o.term_signal) f["signal"] = o.term_signal;
        f["message"] = failure_message(o);
        f["log_tail"] = last_lines(o.tail, 20);
        f["host"] = batch::host_name();
        f["device"] = rc.commands.device;
        f["started"] = started;
        f["finished"] = utc_now();
        write_file_atomic(paths.failed_file, f.dump(2) + "\n");
        discard();
        std::printf("%s: FAILED in %s: %s (recorded in %s)\n", tag.c_str(), label.c_str(),
                    f["message"].get<std::string>().c_str(), paths.failed_file.string().c_str());
        return JobOutcome::kFailed;
      }
      step_log.push_back(
          ordered_json{{"step", label}, {"command", cmd}, {"seconds", seconds_since(ts)}});
    }
    ordered_json j;
    j["index"] = job.index;
    j["name"] = job.name;
    j["job"] = batch::job_to_json(job);
    j["device"] = rc.commands.device;
    j["threads"] = rc.manifest->threads;
    j["host"] = batch::host_name();
    if (details.contains("slurm_job")) j["slurm_job"] = details["slurm_job"];
    j["started"] = started;
    j["finished"] = utc_now();
    j["seconds"] = seconds_since(t0);
    j["steps"] = step_log;
    write_file_atomic(paths.staging_dir / "job.json", j.dump(2) + "\n");
    fsync_file(log);
    std::fclose(log);
    log = nullptr;
    commit_folder(paths.staging_dir, paths.done_dir);
    fs::remove(paths.failed_file, ec);
    std::printf("%s: done in %.1f s -> %s\n", tag.c_str(), seconds_since(t0),
                paths.done_dir.string().c_str());
    return JobOutcome::kDone;
  } catch (const std::exception& e) {
    // The batch's own I/O failed (disk full, permissions): a failure of this job.
    ordered_json f = {{"index", job.index},   {"name", job.name},           {"step", "batch"},
                      {"message", e.what()},  {"host", batch::host_name()}, {"started", started},
                      {"finished", utc_now()}};
    discard();
    try {
      write_file_atomic(paths.failed_file, f.dump(2) + "\n");
    } catch (const std::exception&) {
    }
    std::printf("%s: FAILED: %s\n", tag.c_str(), e.what());
    return JobOutcome::kFailed;
  }
}

struct RunArgs {
  std::string batch, device = "cpu";
  int index = -1;
  bool all = false;
};

void run_run(const CLI::App& root, const RunArgs& a) {
  if ((a.index >= 0) == a.all) throw Error("batch run: give exactly one of --index I and --all");
  const fs::path dir = fs::absolute(a.batch).lexically_normal();
  const batch::Manifest m = batch::load_manifest(dir);
  if (a.index >= static_cast<int>(m.jobs.size()))
    throw Error("--index " + std::to_string(a.index) + ": the batch has " +
                std::to_string(m.jobs.size()) + " jobs (0-" + std::to_string(m.jobs.size() - 1) +
                ")");
  std::vector<const batch::Job*> todo;
  for (const auto& j : m.jobs)
    if (a.all || j.index == a.index) todo.push_back(&j);
  std::error_code ec;
  const bool any_missing = std::any_of(todo.begin(), todo.end(), [&](const batch::Job* j) {
    return !fs::is_directory(batch::job_paths(dir, j->name).done_dir, ec);
  });
  if (!any_missing) {
    for (const auto* j : todo)
      std::printf("job %d (%s): done already, skipped\n", j->index, j->name.c_str());
    return;
  }

  // Line by line: our lines and the commands' (on stderr) interleave in order in a Slurm log.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: poll() returns and the job stops
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{}, old_hup{};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  ::sigaction(SIGHUP, &sa, &old_hup);
  struct Restore {
    struct sigaction *i, *t, *h;
    ~Restore() {
      ::sigaction(SIGINT, i, nullptr);
      ::sigaction(SIGTERM, t, nullptr);
      ::sigaction(SIGHUP, h, nullptr);
    }
  } restore{&old_int, &old_term, &old_hup};

  // The same models on every machine, checked before the first step.
  std::fprintf(stderr, "checking %zu model file%s against the manifest\n", m.model_files.size(),
               m.model_files.size() == 1 ? "" : "s");
  batch::verify_model_files(m.model_files);

  RunContext rc;
  rc.dir = dir;
  rc.manifest = &m;
  rc.commands = command_context(root, a.device);
  rc.env = child_environment(m.threads);
  int failed = 0, busy = 0;
  for (const auto* j : todo) {
    if (g_stop_signal.load() != 0) throw CLI::RuntimeError(128 + g_stop_signal.load());
    const JobOutcome o = run_job(rc, *j);
    if (o == JobOutcome::kStopped) {
      std::fflush(stdout);
      throw CLI::RuntimeError(128 + g_stop_signal.load());
    }
    failed += o == JobOutcome::kFailed;
    busy += o == JobOutcome::kBusy;
  }
  std::fflush(stdout);
  if (failed) throw CLI::RuntimeError(kExitJobFailed);
  if (busy) throw CLI::RuntimeError(kExitJobBusy);
}

// ---------------------------------------------------------------------------------------------
// status

void run_status(const std::string& batch_dir, bool as_json) {
  const fs::path dir = fs::absolute(batch_dir).lexically_normal();
  const batch::Manifest m = batch::load_manifest(dir);
  const auto st = batch::read_statuses(dir, m);
  std::map<std::string, int> counts = {{"done", 0}, {"failed", 0}, {"running", 0}, {"pending", 0}};
  for (const auto& s : st) ++counts[batch::state_name(s.state)];
  if (as_json) {
    ordered_json j;
    j["batch"] = dir.string();
    j["total"] = st.size();
    j["counts"] = ordered_json{{"done", counts["done"]},
                               {"failed", counts["failed"]},
                               {"running", counts["running"]},
                               {"pending", counts["pending"]}};
    ordered_json jobs = ordered_json::array();
    for (const auto& s : st) {
      ordered_json o{{"index", s.index}, {"name", s.name}, {"state", batch::state_name(s.state)}};
      if (s.state == batch::JobState::kFailed) {
        o["step"] = s.detail.value("step", std::string());
        o["message"] = s.detail.value("message", s.message);
        if (s.detail.contains("exit_code")) o["exit_code"] = s.detail["exit_code"];
      } else if (s.state == batch::JobState::kRunning) {
        for (const char* k : {"host", "pid", "started", "slurm_job"})
          if (s.detail.contains(k)) o[k] = s.detail[k];
      } else if (s.state == batch::JobState::kDone) {
        for (const char* k : {"host", "seconds", "finished", "slurm_job"})
          if (s.detail.contains(k)) o[k] = s.detail[k];
      }
      jobs.push_back(o);
    }
    j["jobs"] = jobs;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::size_t w = 4;
  for (const auto& s : st) w = std::max(w, s.name.size());
  std::printf("%5s  %-*s  %-7s  %s\n", "index", static_cast<int>(w), "name", "state", "detail");
  for (const auto& s : st) {
    std::string msg = s.message;
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::printf("%5d  %-*s  %-7s  %s\n", s.index, static_cast<int>(w), s.name.c_str(),
                batch::state_name(s.state), msg.c_str());
  }
  std::printf("%zu jobs: %d done, %d failed, %d running, %d pending\n", st.size(), counts["done"],
              counts["failed"], counts["running"], counts["pending"]);
}

// ---------------------------------------------------------------------------------------------
// slurm

struct SlurmArgs {
  std::string batch, partition, time, device, job_name = "faceg2e-batch";
  int gpus_per_task = 0, max_parallel = 0;
  bool submit = false;
  std::vector<std::string> sbatch_options;
};

// Runs a program (searched in PATH), returning its exit code and stdout; stderr is kept in
// `err`.
int capture(const std::vector<std::string>& argv_s, std::string& out, std::string& err) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0)
    throw Error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> copy = argv_s;
  std::vector<char*> argv;
  for (auto& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(o[1], 1);
    ::dup2(e[1], 2);
    ::execvp(argv[0], argv.data());
    const std::string msg = "cannot run " + argv_s[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(o[1]);
  ::close(e[1]);
  pollfd p[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(p[i].fd);
        p[i].fd = -1;
        --open;
      } else {
        (i == 0 ? out : err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void run_slurm(const SlurmArgs& a) {
  const fs::path dir = fs::absolute(a.batch).lexically_normal();
  const batch::Manifest m = batch::load_manifest(dir);
  const auto st = batch::read_statuses(dir, m);
  batch::SbatchParams p;
  std::vector<std::string> names;
  int done = 0, running = 0;
  for (const auto& s : st) {
    if (s.state == batch::JobState::kPending || s.state == batch::JobState::kFailed) {
      p.indices.push_back(s.index);
      names.push_back(s.name);
    }
    done += s.state == batch::JobState::kDone;
    running += s.state == batch::JobState::kRunning;
  }
  if (p.indices.empty()) {
    std::printf("nothing to submit: of %zu jobs, %d are done and %d running\n", st.size(), done,
                running);
    return;
  }
  p.batch_dir = dir;
  p.executable = fs::canonical("/proc/self/exe");
  p.job_name = a.job_name;
  p.max_parallel = a.max_parallel;
  p.partition = a.partition;
  p.gpus_per_task = a.gpus_per_task;
  p.cpus_per_task = m.threads;
  p.time = a.time;
  p.device = !a.device.empty() ? a.device : (a.gpus_per_task > 0 ? "cuda" : "cpu");
  p.extra = a.sbatch_options;
  std::string listed;
  for (std::size_t i = 0; i < names.size() && i < 8; ++i) listed += (i ? ", " : "") + names[i];
  if (names.size() > 8) listed += ", ...";
  p.comments = {"Written by faceg2e-cli batch slurm at " + utc_now() + ".",
                std::to_string(p.indices.size()) + " of " + std::to_string(st.size()) +
                    " jobs pending: " + listed,
                "Each task runs one job; a rerun of `batch slurm` submits only what is missing."};
  const std::string text = batch::sbatch_script(p);
  fs::create_directories(dir / "slurm" / "logs");  // Slurm does not create the log folder
  const fs::path script = dir / "slurm" / "array.sbatch";
  write_file_atomic(script, text);
  std::printf("wrote %s: %zu job%s (--array=%s)\n", script.string().c_str(), p.indices.size(),
              p.indices.size() == 1 ? "" : "s",
              batch::array_spec(p.indices, p.max_parallel).c_str());
  if (!a.submit) return;
  std::string out, err;
  const int rc = capture({"sbatch", "--parsable", script.string()}, out, err);
  if (rc != 0)
    throw Error("sbatch failed (exit " + std::to_string(rc) + "): " + (err.empty() ? out : err));
  std::string id = out.substr(0, out.find_first_of(";\n"));
  std::printf("submitted job array %s\n", id.c_str());
}

}  // namespace

void register_batch_commands(CLI::App& app) {
  CLI::App* root = &app;
  auto* batch_cmd = app.add_subcommand(
      "batch", "Many faces from a job list: plan, run (resumable), status, Slurm job arrays");
  batch_cmd->require_subcommand(1);
  {
    auto a = std::make_shared<PlanArgs>();
    auto* cmd = batch_cmd->add_subcommand("plan", "Check a job list and write DIR/batch.json");
    cmd->add_option("--jobs", a->jobs,
                    "Job list: CSV with a header row, or JSON Lines (name, prompt, seed, generate "
                    "options with _ for -, edits, export options)")
        ->required();
    cmd->add_option("--out", a->out, "Batch folder to create (new or empty)")->required();
    cmd->add_option("--defaults", a->defaults,
                    "JSON object of fields for jobs that do not give them");
    cmd->add_option("--threads", a->threads,
                    "CPU threads of every job (pinned so that every machine gives the same "
                    "result; default: this machine's cores, at most 8)")
        ->check(CLI::Range(1, 256));
    for (const auto& field : kModelFields) {
      std::string flag = "--" + field;
      std::replace(flag.begin(), flag.end(), '_', '-');
      cmd->add_option(flag, a->models[field],
                      field == "face_model"
                          ? "F3DM face model (default: the documented search order)"
                          : "as for generate; hashed into the manifest");
    }
    cmd->callback([root, a] { run_plan(*root, *a); });
  }
  {
    auto a = std::make_shared<RunArgs>();
    auto* cmd = batch_cmd->add_subcommand(
        "run",
        "Run job I, or all missing jobs, into DIR/jobs/<name>/ (exit 3: a job failed, "
        "4: a job is running elsewhere)");
    cmd->add_option("--batch", a->batch, "Batch folder (made by batch plan)")->required();
    cmd->add_option("--index", a->index, "Job number (from 0)")->check(CLI::NonNegativeNumber);
    cmd->add_flag("--all", a->all, "Run every job that is not done, in order");
    cmd->add_option("--device", a->device, "cpu | cuda | cuda:N");
    cmd->callback([root, a] { run_run(*root, *a); });
  }
  {
    auto dir = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    auto* cmd = batch_cmd->add_subcommand("status", "Done, failed, running and pending jobs");
    cmd->add_option("--batch", *dir, "Batch folder")->required();
    cmd->add_flag("--json", *as_json, "The same as JSON");
    cmd->callback([dir, as_json] { run_status(*dir, *as_json); });
  }
  {
    auto a = std::make_shared<SlurmArgs>();
    auto* cmd = batch_cmd->add_subcommand(
        "slurm", "Write DIR/slurm/array.sbatch, a job array over the pending and failed jobs");
    cmd->add_option("--batch", a->batch, "Batch folder")->required();
    cmd->add_option("--partition", a->partition, "Slurm partition (default: the cluster's)");
    cmd->add_option("--gpus-per-task", a->gpus_per_task, "GPUs per job (sets --device cuda)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--max-parallel", a->max_parallel, "At most K jobs at once (%K)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--time", a->time, "Time limit per job (Slurm format, e.g. 0:30:00)");
    cmd->add_option("--device", a->device,
                    "batch run --device (default: cuda with GPUs, else cpu)");
    cmd->add_option("--job-name", a->job_name, "Slurm job name");
    cmd->add_option("--sbatch-option", a->sbatch_options,
                    "Another #SBATCH line, e.g. --sbatch-option=--account=lab (repeatable)");
    cmd->add_flag("--submit", a->submit, "Submit with sbatch and print the job id");
    cmd->callback([a] { run_slurm(*a); });
  }
}

}  // namespace faceg2e::cli
