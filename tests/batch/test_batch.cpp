// core/batch without the CLI: job lists, manifest, job states and claims, command lines, Slurm
// scripts, SHA-256.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/batch/csv.h"
#include "core/batch/job_commands.h"
#include "core/batch/job_list.h"
#include "core/batch/job_state.h"
#include "core/batch/manifest.h"
#include "core/util/sha256.h"
#include "core/batch/slurm_script.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/common/scratch_dir.h"

namespace fs = std::filesystem;
using namespace faceg2e;
using namespace faceg2e::batch;

namespace {

fs::path dir_for(const std::string& name) {
  const fs::path d = faceg2e::testing::scratch_dir("batch") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// A spec like the one the CLI builds from generate's and export's options.
JobListSpec test_spec() {
  JobListSpec s;
  s.fields = {
      {"guidance", "--guidance", FieldKind::kText, FieldTarget::kGenerate},
      {"target", "--target", FieldKind::kPath, FieldTarget::kGenerate},
      {"steps_geometry", "--steps-geometry", FieldKind::kInt, FieldTarget::kGenerate},
      {"steps_texture", "--steps-texture", FieldKind::kInt, FieldTarget::kGenerate},
      {"cfg_geometry", "--cfg-geometry", FieldKind::kFloat, FieldTarget::kGenerate},
      {"texture_prior_yuv", "--texture-prior-yuv", FieldKind::kFlag, FieldTarget::kGenerate},
      {"texture_size", "--texture-size", FieldKind::kInt, FieldTarget::kExport}};
  s.batch_wide = {"face_model", "sd21"};
  return s;
}

// The error message of parse_job_list on `text` (written as `file`), or "" when it parses.
std::string parse_error(const fs::path& file, const std::string& text,
                        const fs::path& defaults = {}) {
  write(file, text);
  try {
    parse_job_list(file, test_spec(), defaults);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST(Csv, QuotingLineBreaksAndCrlf) {
  const auto rows = parse_csv(
      "name,prompt\r\na,\"a face, smiling\"\r\n\r\nb,\"two\nlines\"\nc,\"say \"\"hi\"\"\"\n,\n",
      "x.csv");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].cells, (std::vector<std::string>{"name", "prompt"}));
  EXPECT_EQ(rows[1].cells, (std::vector<std::string>{"a", "a face, smiling"}));
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[2].cells, (std::vector<std::string>{"b", "two\nlines"}));
  EXPECT_EQ(rows[2].line, 4);
  EXPECT_EQ(rows[3].cells, (std::vector<std::string>{"c", "say \"hi\""}));
  EXPECT_EQ(rows[3].line, 6);
  EXPECT_EQ(rows[4].cells, (std::vector<std::string>{"", ""}));
}

TEST(Csv, ErrorsNameTheLine) {
  auto err = [](const std::string& text) {
    try {
      parse_csv(text, "x.csv");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_TRUE(contains(err("a,b\nc,\"open\nd\n"), "x.csv: line 2")) << err("a,b\nc,\"open\nd\n");
  EXPECT_TRUE(contains(err("a,b\nc,d\"e\n"), "line 2"));
  EXPECT_TRUE(contains(err("a,b\n\"c\"x,d\n"), "line 2"));
}

TEST(JobList, CsvWithDefaultsEditsAndExport) {
  const fs::path d = dir_for("csv");
  fs::create_directories(d / "targets" / "t1");
  write(d / "defaults.json",
        R"({"seed": 7, "steps_geometry": 3, "guidance": "target", "target": "targets/t1",
            "texture_size": 2048})");
  write(d / "jobs.csv",
        "name,prompt,seed,steps_geometry,cfg_geometry,texture_prior_yuv,edits,export_texture_size\n"
        "alice,\"a face, old\",1,,2.5,true,,\n"
        "bob,,,5,,0,\"[{\"\"instruction\"\": \"\"make him smile\"\", \"\"words\"\": "
        "[\"\"smile\"\"], \"\"regions\"\": \"\"mouth, cheeks\"\", \"\"steps\"\": 4}]\",1024\n");
  const auto jobs = parse_job_list(d / "jobs.csv", test_spec(), d / "defaults.json");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].index, 0);
  EXPECT_EQ(jobs[0].name, "alice");
  EXPECT_EQ(jobs[0].prompt, "a face, old");
  EXPECT_EQ(jobs[0].seed, 1u);
  EXPECT_EQ(jobs[0].generate["steps_geometry"], 3);  // from the defaults
  EXPECT_EQ(jobs[0].generate["cfg_geometry"], 2.5);
  EXPECT_EQ(jobs[0].generate["texture_prior_yuv"], true);
  EXPECT_EQ(jobs[0].generate["target"], (d / "targets" / "t1").lexically_normal().string());
  EXPECT_EQ(jobs[0].export_options["texture_size"], 2048);
  EXPECT_TRUE(jobs[0].edits.empty());
  EXPECT_EQ(jobs[1].index, 1);
  EXPECT_EQ(jobs[1].line, 3);
  EXPECT_EQ(jobs[1].prompt, "");  // optional with guidance target
  EXPECT_EQ(jobs[1].seed, 7u);
  EXPECT_EQ(jobs[1].generate["steps_geometry"], 5);
  EXPECT_EQ(jobs[1].generate["texture_prior_yuv"], false);
  EXPECT_EQ(jobs[1].export_options["texture_size"], 1024);
  ASSERT_EQ(jobs[1].edits.size(), 1u);
  EXPECT_EQ(jobs[1].edits[0].instruction, "make him smile");
  EXPECT_EQ(jobs[1].edits[0].words, (std::vector<std::string>{"smile"}));
  EXPECT_EQ(jobs[1].edits[0].regions, (std::vector<std::string>{"mouth", "cheeks"}));
  EXPECT_EQ(jobs[1].edits[0].steps, 4);
}

TEST(JobList, JsonLinesGivesTheSameJobsAsCsv) {
  const fs::path d = dir_for("jsonl");
  write(d / "jobs.csv", "name,prompt,seed,steps_texture\na,a face,3,9\nb,another,4,\n");
  write(d / "jobs.jsonl",
        "{\"name\": \"a\", \"prompt\": \"a face\", \"seed\": 3, \"steps_texture\": 9}\n\n"
        "{\"name\": \"b\", \"prompt\": \"another\", \"seed\": 4, \"export\": {}}\n");
  const auto a = parse_job_list(d / "jobs.csv", test_spec());
  const auto b = parse_job_list(d / "jobs.jsonl", test_spec());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto ja = job_to_json(a[i]), jb = job_to_json(b[i]);
    ja.erase("line");
    jb.erase("line");
    EXPECT_EQ(ja, jb);
  }
  EXPECT_EQ(b[1].line, 3);
}

TEST(JobList, MalformedLinesNameLineAndField) {
  const fs::path d = dir_for("errors");
  const fs::path csv = d / "jobs.csv", jl = d / "jobs.jsonl";
  std::string e = parse_error(csv, "name,prompt,seed\na,x,1\nb,y,-3\n");
  EXPECT_TRUE(contains(e, "jobs.csv: line 3, field 'seed'")) << e;
  e = parse_error(csv, "name,prompt,seed,steps_geometry\na,x,1,ten\n");
  EXPECT_TRUE(contains(e, "line 2, field 'steps_geometry'")) << e;
  e = parse_error(csv, "name,prompt,seed,colour\na,x,1,red\n");
  EXPECT_TRUE(contains(e, "line 1, field 'colour'") && contains(e, "unknown")) << e;
  e = parse_error(csv, "name,prompt,seed\na,x,1\nb,y\n");
  EXPECT_TRUE(contains(e, "line 3")) << e;
  e = parse_error(csv, "name,prompt,seed\na,x,1\nb,y,2\na,z,3\n");
  EXPECT_TRUE(contains(e, "line 4, field 'name'") && contains(e, "duplicate") &&
              contains(e, "line 2"))
      << e;
  e = parse_error(csv, "name,prompt,seed\n../up,x,1\n");
  EXPECT_TRUE(contains(e, "line 2, field 'name'")) << e;
  e = parse_error(csv, "name,prompt,seed,sd21\na,x,1,/m\n");
  EXPECT_TRUE(contains(e, "field 'sd21'") && contains(e, "--sd21")) << e;
  e = parse_error(csv, "name,prompt\na,x\n");
  EXPECT_TRUE(contains(e, "line 2, field 'seed'") && contains(e, "missing")) << e;
  e = parse_error(csv, "name,seed\na,1\n");
  EXPECT_TRUE(contains(e, "line 2, field 'prompt'")) << e;
  e = parse_error(csv, "name,seed,guidance,target\na,1,target,nowhere\n");
  EXPECT_TRUE(contains(e, "line 2, field 'target'")) << e;
  e = parse_error(csv, "name,prompt,seed,edits\na,x,1,\"[{\"\"scope\"\": \"\"face\"\"}]\"\n");
  EXPECT_TRUE(contains(e, "line 2, field 'edits[0].instruction'")) << e;
  e = parse_error(jl, "{\"name\": \"a\", \"prompt\": \"x\", \"seed\": 1}\n{\"name\": \"b\", \n");
  EXPECT_TRUE(contains(e, "jobs.jsonl: line 2") && contains(e, "invalid JSON")) << e;
  e = parse_error(jl, "{\"name\": \"a\", \"prompt\": \"x\", \"seed\": \"1\"}\n");
  EXPECT_TRUE(contains(e, "line 1, field 'seed'")) << e;
  e = parse_error(jl,
                  "{\"name\": \"a\", \"prompt\": \"x\", \"seed\": 1, \"cfg_geometry\": \"hi\"}\n");
  EXPECT_TRUE(contains(e, "line 1, field 'cfg_geometry'")) << e;
  e = parse_error(jl,
                  "{\"name\": \"a\", \"prompt\": \"x\", \"seed\": 1, \"edits\": [{\"instruction\": "
                  "\"x\", \"steps\": 0}]}\n");
  EXPECT_TRUE(contains(e, "field 'edits[0].steps'")) << e;
  write(d / "defaults.json", "{\"seed\": \"many\"}");
  e = parse_error(csv, "name,prompt\na,x\n", d / "defaults.json");
  EXPECT_TRUE(contains(e, "defaults.json: field 'seed'")) << e;
  e = parse_error(csv, "name,prompt,seed\n");
  EXPECT_TRUE(contains(e, "no jobs")) << e;
}

TEST(JobList, NameRules) {
  EXPECT_EQ(name_problem("face_01.v2-b"), "");
  EXPECT_NE(name_problem(""), "");
  EXPECT_NE(name_problem(".hidden"), "");
  EXPECT_NE(name_problem("a/b"), "");
  EXPECT_NE(name_problem("a b"), "");
  EXPECT_NE(name_problem("x.json"), "");
  EXPECT_NE(name_problem(std::string(101, 'a')), "");
}

TEST(Manifest, RoundTripAndModelHashes) {
  const fs::path d = dir_for("manifest");
  fs::create_directories(d / "models" / "unet");
  write(d / "face.f3dm", "face model bytes");
  write(d / "models" / "unet" / "b.safetensors", "bbbb");
  write(d / "models" / "a.json", "{}");
  Manifest m;
  m.created = "2026-12-01T00:00:00Z";
  m.threads = 3;
  m.models = {{"face_model", d / "face.f3dm"}, {"models", d / "models"}};
  m.model_files = hash_model_files(m.models);
  ASSERT_EQ(m.model_files.size(), 3u);
  EXPECT_EQ(m.model_files[0].sha256, sha256_hex("face model bytes"));
  EXPECT_EQ(m.model_files[1].path, d / "models" / "a.json");  // folders walked in sorted order
  EXPECT_EQ(m.model_files[2].size, 4u);
  Job j;
  j.name = "a";
  j.prompt = "p";
  j.seed = 18446744073709551615ull;
  j.generate["steps_geometry"] = 3;
  j.generate["cfg_geometry"] = 0.1;
  j.edits.push_back({"smile", "face", {"smile"}, {"mouth"}, 5});
  m.jobs = {j};
  fs::create_directories(d / "batch");
  save_manifest(d / "batch", m);
  const Manifest back = load_manifest(d / "batch");
  EXPECT_EQ(back.threads, 3);
  ASSERT_EQ(back.models.size(), 2u);
  EXPECT_EQ(back.models[1].first, "models");
  ASSERT_EQ(back.model_files.size(), 3u);
  EXPECT_EQ(back.model_files[2].sha256, m.model_files[2].sha256);
  ASSERT_EQ(back.jobs.size(), 1u);
  EXPECT_EQ(job_to_json(back.jobs[0]), job_to_json(j));
  EXPECT_NO_THROW(verify_model_files(back.model_files));

  // Same size, one byte different: the hash catches it, and the message names the file.
  write(d / "models" / "unet" / "b.safetensors", "bbbc");
  try {
    verify_model_files(back.model_files);
    ADD_FAILURE() << "a changed model file passed";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "b.safetensors") && contains(e.what(), "SHA-256")) << e.what();
  }
  fs::remove(d / "face.f3dm");
  EXPECT_THROW(verify_model_files(back.model_files), Error);
  EXPECT_THROW(hash_model_files({{"sd21", d / "nothing"}}), NotFoundError);
  EXPECT_THROW(load_manifest(d / "elsewhere"), NotFoundError);
  write(d / "batch" / "batch.json", "{\"format\": \"faceg2e-batch\", \"version\": 9}");
  try {
    load_manifest(d / "batch");
    ADD_FAILURE() << "version 9 loaded";
  } catch (const FormatError& e) {
    EXPECT_TRUE(contains(e.what(), "batch.json") && contains(e.what(), "version")) << e.what();
  }
}

namespace {
Manifest three_jobs() {
  Manifest m;
  for (int i = 0; i < 3; ++i) {
    Job j;
    j.index = i;
    j.name = std::string(1, char('a' + i));
    j.seed = i;
    m.jobs.push_back(j);
  }
  return m;
}
}  // namespace

TEST(JobState, StatesFromTheFolder) {
  const fs::path d = dir_for("states");
  const Manifest m = three_jobs();
  for (const auto& s : read_statuses(d, m)) EXPECT_EQ(s.state, JobState::kPending);
  fs::create_directories(job_paths(d, "a").done_dir);
  write_file_atomic(job_paths(d, "a").done_dir / "job.json",
                    "{\"seconds\": 2.5, \"host\": \"n1\"}");
  write_file_atomic(job_paths(d, "b").failed_file,
                    "{\"step\": \"generate\", \"message\": \"target not found\"}");
  // A marker nobody holds (its runner was killed) is not "running".
  write_file_atomic(job_paths(d, "c").running_file, "{\"pid\": 1}");
  auto st = read_statuses(d, m);
  EXPECT_EQ(st[0].state, JobState::kDone);
  EXPECT_TRUE(contains(st[0].message, "2.5 s on n1")) << st[0].message;
  EXPECT_EQ(st[1].state, JobState::kFailed);
  EXPECT_EQ(st[1].message, "generate: target not found");
  EXPECT_EQ(st[2].state, JobState::kPending);

  // Claimed: running, and a second claim is refused while the first holds it.
  nlohmann::json holder;
  auto claim =
      JobClaim::try_claim(job_paths(d, "c").running_file, {{"pid", 42}, {"host", "h"}}, &holder);
  ASSERT_TRUE(claim.has_value());
  EXPECT_TRUE(marker_held(job_paths(d, "c").running_file));
  st = read_statuses(d, m);
  EXPECT_EQ(st[2].state, JobState::kRunning);
  EXPECT_TRUE(contains(st[2].message, "pid 42")) << st[2].message;
  auto second = JobClaim::try_claim(job_paths(d, "c").running_file, {{"pid", 43}}, &holder);
  EXPECT_FALSE(second.has_value());
  EXPECT_EQ(holder.value("pid", 0), 42);
  // A failed job that runs again is "running", not "failed".
  auto rerun = JobClaim::try_claim(job_paths(d, "b").running_file, {{"pid", 44}}, nullptr);
  ASSERT_TRUE(rerun.has_value());
  EXPECT_EQ(read_statuses(d, m)[1].state, JobState::kRunning);
  rerun->release();
  EXPECT_EQ(read_statuses(d, m)[1].state, JobState::kFailed);

  claim->release();
  EXPECT_FALSE(fs::exists(job_paths(d, "c").running_file));
  EXPECT_EQ(read_statuses(d, m)[2].state, JobState::kPending);
  EXPECT_TRUE(JobClaim::try_claim(job_paths(d, "c").running_file, {{"pid", 45}}, nullptr));
}

TEST(JobCommands, GenerateEditExport) {
  Manifest m;
  m.models = {{"face_model", "/m/face.f3dm"}, {"sd21", "/m/sd21"}, {"ip2p", "/m/ip2p"}};
  Job j;
  j.name = "a";
  j.prompt = "a face";
  j.seed = 12;
  j.generate["guidance"] = "target";
  j.generate["target"] = "/t";
  j.generate["steps_geometry"] = 3;
  j.generate["cfg_geometry"] = 0.1;
  j.generate["texture_prior_yuv"] = true;
  j.generate["antialias"] = false;
  j.edits.push_back({"make it smile", "region", {"smile", "mouth"}, {"mouth", "cheeks"}, 4});
  j.export_options["texture_size"] = 2048;
  JobCommandContext c;
  c.generate_flags = {"--out", "--seed", "--prompt", "--device", "--face-model", "--sd21"};
  c.edit_flags = {"--project", "--instruction", "--guidance", "--target", "--face-model", "--ip2p"};
  c.export_flags = {"--project", "--out", "--face-model", "--texture-size"};
  c.device = "cuda:1";
  c.project = "/s/project";
  c.export_dir = "/s/export";
  using V = std::vector<std::string>;
  EXPECT_EQ(generate_command(j, m, c), (V{"generate",
                                          "--out",
                                          "/s/project",
                                          "--seed",
                                          "12",
                                          "--prompt",
                                          "a face",
                                          "--device",
                                          "cuda:1",
                                          "--guidance",
                                          "target",
                                          "--target",
                                          "/t",
                                          "--steps-geometry",
                                          "3",
                                          "--cfg-geometry",
                                          "0.10000000000000001",
                                          "--texture-prior-yuv",
                                          "--face-model",
                                          "/m/face.f3dm",
                                          "--sd21",
                                          "/m/sd21"}));
  EXPECT_EQ(edit_command(j, 0, m, c),
            (V{"edit",          "--project", "/s/project", "--instruction",
               "make it smile", "--scope",   "region",     "--word",
               "smile",         "--word",    "mouth",      "--regions",
               "mouth,cheeks",  "--steps",   "4",          "--guidance",
               "target",        "--target",  "/t",         "--face-model",
               "/m/face.f3dm",  "--ip2p",    "/m/ip2p"}));
  EXPECT_EQ(export_command(j, m, c), (V{"export", "--project", "/s/project", "--out", "/s/export",
                                        "--texture-size", "2048", "--face-model", "/m/face.f3dm"}));
  EXPECT_EQ(std::stod(value_word(0.1)), 0.1);
}

TEST(Slurm, ArraySpecAndScript) {
  EXPECT_EQ(array_spec({0, 1, 2}, 0), "0-2");
  EXPECT_EQ(array_spec({5, 0, 2}, 2), "0,2,5%2");
  EXPECT_EQ(array_spec({0, 1, 3, 4, 5, 9}, 0), "0,1,3-5,9");
  EXPECT_THROW(array_spec({}, 0), Error);
  SbatchParams p;
  p.batch_dir = "/data/batch1";
  p.executable = "/opt/faceg2e/faceg2e-cli";
  p.indices = {1, 4};
  p.max_parallel = 3;
  p.partition = "gpu";
  p.gpus_per_task = 1;
  p.cpus_per_task = 4;
  p.time = "0:30:00";
  p.device = "cuda";
  const std::string s = sbatch_script(p);
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  for (const char* line :
       {"#SBATCH --array=1,4%3\n", "#SBATCH --output=/data/batch1/slurm/logs/%A_%a.out\n",
        "#SBATCH --partition=gpu\n", "#SBATCH --gpus-per-task=1\n", "#SBATCH --cpus-per-task=4\n",
        "#SBATCH --time=0:30:00\n",
        "exec '/opt/faceg2e/faceg2e-cli' batch run --batch '/data/batch1' --index "
        "\"${SLURM_ARRAY_TASK_ID}\" --device 'cuda'\n"})
    EXPECT_TRUE(contains(s, line)) << line << "\nnot in\n" << s;
  p.batch_dir = "/data/my batch";
  EXPECT_THROW(sbatch_script(p), Error);
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}
