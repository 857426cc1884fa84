#include "core/runtime/runtime.h"

#include <ATen/Parallel.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/pipeline/generate.h"
#include "core/pipeline/stage_params.h"
#include "core/session/coefficients.h"
#include "core/session/export_obj.h"
#include "core/session/history.h"
#include "core/session/project.h"
#include "core/session/project_store.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/image_io.h"
#include "core/util/time_stamp.h"

// The edit stage (branch edit) is built in when its header is there.
#if __has_include("core/pipeline/edit_stage.h") && __has_include("core/guidance/ip2p_sds.h")
#include "core/guidance/analytic_target.h"
#include "core/guidance/ip2p_sds.h"
#include "core/pipeline/edit_stage.h"
#include "core/pipeline/face_scene.h"
#define FACEG2E_RUNTIME_HAS_EDIT 1
#else
#define FACEG2E_RUNTIME_HAS_EDIT 0
#endif

namespace faceg2e::runtime {

namespace fs = std::filesystem;
using pipeline::JobState;

namespace {

constexpr std::size_t k_loss_ring = 512;     // points kept for the loss plot
constexpr std::size_t k_finished_kept = 16;  // finished jobs listed in snapshots

int default_torch_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::max(1, static_cast<int>(cores) - 1);
}

struct Command {
  std::uint64_t id = 0;
  std::string kind;
  std::function<void()> run;
  bool cancelled = false;
};

}  // namespace

struct Runtime::Impl {
  RuntimeParams params;
  pipeline::ModelSelection models;

  // Queue (UI thread and worker).
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Command> queue;
  bool stop = false;
  std::uint64_t next_id = 1;
  std::atomic<int> pending{0};  // sent, not yet finished and published
  std::atomic<bool> cancel_flag{false};
  std::shared_ptr<const Snapshot> published;  // atomic_load / atomic_store only

  // Worker-only state. The document: its history, and the project store holding the writer lock
  // of the project folder while it is open (null until saved or opened).
  session::History history;
  std::unique_ptr<session::ProjectStore> store;
  bool dirty = false;
  fs::path project_dir;
  std::uint64_t face_serial = 1, serial = 0, live_serial = 0;
  std::optional<JobInfo> running;
  std::deque<JobInfo> finished;
  pipeline::Progress progress;
  int stage_index = 0, stage_count = 0;
  std::deque<float> losses;
  std::shared_ptr<const pipeline::FaceSnapshot> live;
  std::shared_ptr<const session::FloatImage> live_weights, live_attention;
  std::vector<std::string> model_lines;
  std::string generate_missing, edit_missing;
  std::chrono::steady_clock::time_point last_live_{};
#if FACEG2E_RUNTIME_HAS_EDIT
  std::shared_ptr<const pipeline::FaceScene> scene_;  // the edit's differentiable face, kept warm
  std::string scene_device_;
#endif

  std::thread worker;

  std::uint64_t send(const std::string& kind, std::function<void()> run) {
    std::lock_guard<std::mutex> lock(mutex);
    Command c;
    c.id = next_id++;
    c.kind = kind;
    c.run = std::move(run);
    pending.fetch_add(1);
    const std::uint64_t id = c.id;
    queue.push_back(std::move(c));
    cv.notify_one();
    return id;
  }

  void publish() {
    auto s = std::make_shared<Snapshot>();
    s->serial = ++serial;
    for (const auto& e : history.entries()) {
      HistoryRow row{session::to_string(e->kind), e->text, e->created, nullptr};
      if (!e->thumbnail.empty()) row.thumbnail = std::shared_ptr<const Image8>(e, &e->thumbnail);
      s->history.push_back(std::move(row));
    }
    s->cursor = history.cursor();
    s->dirty = dirty;
    s->project_dir = project_dir;
    if (!history.empty()) {
      const session::History::EntryPtr& e =
          history.entries()[static_cast<std::size_t>(history.cursor())];
      s->face = std::shared_ptr<const session::FaceState>(e, &e->state);
      if (!e->weights.empty())
        s->weights = std::shared_ptr<const session::FloatImage>(e, &e->weights);
      if (!e->attention.empty())
        s->attention = std::shared_ptr<const session::FloatImage>(e, &e->attention);
    }
    if (live_weights) s->weights = live_weights;
    if (live_attention) s->attention = live_attention;
    s->face_serial = face_serial;
    s->live = live;
    s->live_serial = live_serial;
    s->busy = pending.load() > 0;
    s->running = running;
    s->finished.assign(finished.begin(), finished.end());
    s->progress = progress;
    s->stage_index = stage_index;
    s->stage_count = stage_count;
    s->loss_curve.assign(losses.begin(), losses.end());
    s->model_lines = model_lines;
    s->generate_missing = generate_missing;
    s->edit_missing = edit_missing;
    std::atomic_store(&published, std::shared_ptr<const Snapshot>(std::move(s)));
  }

  void on_progress(const pipeline::Progress& p) {
    if (p.stage != progress.stage || p.step < progress.step) ++stage_index;
    progress = p;
    if (p.step == 1 || p.step == p.total || p.loss != 0) {
      losses.push_back(static_cast<float>(p.loss));
      if (losses.size() > k_loss_ring) losses.pop_front();
    }
    publish();
  }

  pipeline::RunControl control() {
    pipeline::RunControl c;
    c.cancel = &cancel_flag;
    c.loss_every = 1;  // the plot wants every point; CPU steps dwarf the read-back
    c.on_progress = [this](const pipeline::Progress& p) { on_progress(p); };
    return c;
  }

  // Appends at the cursor (dropping the redo tail, history.h). A generate on a document that
  // already has entries begins a new history: a history starts with the face it makes.
  void append(session::HistoryEntry e) {
    if (e.kind != session::EntryKind::Edit && !history.empty()) history = session::History();
    history.append(std::move(e));
    dirty = true;
    ++face_serial;
  }

  session::FaceState current_state() const {
    if (!history.empty()) return history.current().state;
    session::FaceState s;
    s.coeffs.identity.assign(static_cast<std::size_t>(params.assets->model.num_identity), 0.0f);
    s.coeffs.expression.assign(static_cast<std::size_t>(params.assets->model.num_expression), 0.0f);
    return s;
  }

  // --- jobs -------------------------------------------------------------------------------

  void do_generate(const GenerateRequest& r) {
    pipeline::GenerateParams p;
    const bool target = r.guidance == GuidanceChoice::AnalyticTarget;
    if (target) {
      if (r.target_project.empty())
        throw Error(
            "Analytic target needs a Target project: a project folder made by `faceg2e-cli new` "
            "(or saved from this editor)");
      p.guidance = pipeline::GuidanceMode::kTarget;
      p.geometry = pipeline::target_geometry_defaults();
      p.texture = pipeline::target_texture_defaults();
      session::ProjectState tp = session::load_project(r.target_project);
      session::check_coefficients(tp.face.coeffs, params.assets->model,
                                  "target project " + r.target_project);
      p.target = std::move(tp.face);
    } else {
      if (!generate_missing.empty()) throw Error(generate_missing);
      if (r.prompt.empty()) throw Error("type a Prompt first");
      p.prompt = r.prompt;
    }
    p.run_geometry = r.geometry_steps > 0;
    p.run_texture = r.texture_steps > 0;
    if (!p.run_geometry && !p.run_texture)
      throw Error("Geometry steps and Texture steps are both 0: nothing to run");
    if (p.run_geometry) p.geometry.steps = r.geometry_steps;
    if (p.run_texture) p.texture.steps = r.texture_steps;
    if (r.render_size > 0) {
      p.geometry.render_size = r.render_size;
      p.texture.render_size = p.texture.control_size = r.render_size;
    }
    if (r.vae_size > 0) p.vae_image_size = r.vae_size;
    p.seed = r.seed;
    p.device = params.device;
    p.models = models;
    stage_count = (p.run_geometry ? 1 : 0) + (p.run_texture ? 1 : 0);
    const bool restarted = !history.empty();
    session::HistoryEntry e;
    e.kind = session::EntryKind::Generate;
    e.text =
        target ? "analytic target " + fs::path(r.target_project).filename().string() : r.prompt;
    e.seed = r.seed;
    double seconds = 0;
    if (r.atlas_size > 0) p.texture.atlas_size = r.atlas_size;
    // Stage by stage on this thread: each stage's models load when it starts, and every step
    // publishes the face as it is (positions, normals, albedo preview) for the viewport.
    const auto t0 = std::chrono::steady_clock::now();
    pipeline::GenerateRun run(p, params.assets);
    for (;;) {
      progress = {};
      progress.stage = "loading models";
      publish();
      std::unique_ptr<pipeline::Stage> stage = run.next_stage();
      if (!stage) break;
      pipeline::RunControl c = control();
      c.on_step = [this](pipeline::Stage& st) { publish_live(st); };
      c.preview_every = stage->total_steps();  // the last step: the entry's thumbnail
      c.preview_size = params.thumbnail_size;
      c.on_preview = [&e](const pipeline::Preview& pv) { e.thumbnail = pv.image; };
      pipeline::run_stage(*stage, c);
      run.finish_stage(*stage);
    }
    e.state = run.state();
    e.params = run.record();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (e.params.contains("timings")) e.timings = e.params["timings"];
    append(std::move(e));
    char buf[96];
    std::snprintf(buf, sizeof buf, "generated in %.1f s", seconds);
    running->message = buf;
    if (restarted) running->message += "; it begins a new history";
  }

  // A running stage's state for the viewport: at most once per step, and no closer than
  // snapshot_min_interval_s.
  void publish_live(pipeline::Stage& stage) {
    const auto now = std::chrono::steady_clock::now();
    if (live &&
        std::chrono::duration<double>(now - last_live_).count() < params.snapshot_min_interval_s)
      return;
    last_live_ = now;
    auto snap =
        std::make_shared<pipeline::FaceSnapshot>(stage.snapshot(params.preview_albedo_size));
    if (!snap->weights.empty()) live_weights = std::make_shared<session::FloatImage>(snap->weights);
    if (!snap->attention.empty())
      live_attention = std::make_shared<session::FloatImage>(snap->attention);
    live = std::move(snap);
    ++live_serial;
    publish();
  }

  void do_edit(const EditRequest& r) {
    if (r.instruction.empty()) throw Error("type an Instruction first");
    if (r.scope != "texture" && r.scope != "geometry" && r.scope != "expression")
      throw Error("Scope must be texture, geometry or expression, got '" + r.scope + "'");
    const bool target = r.guidance == GuidanceChoice::AnalyticTarget;
    if (!target && !edit_missing.empty()) throw Error(edit_missing);
    if (target && r.target_project.empty())
      throw Error("Analytic target needs a Target project: the face to move toward");
    if (!r.regions.empty()) {
      const face::RegionLabels* labels = params.assets->region_labels();
      if (!labels) throw Error("Regions: no region labels were found for this face model");
      for (const auto& name : r.regions)
        if (std::find(labels->names.begin(), labels->names.end(), name) == labels->names.end())
          throw Error("Regions: there is no region named '" + name + "'");
    }
#if FACEG2E_RUNTIME_HAS_EDIT
    using namespace pipeline;
    const EditScope scope = parse_edit_scope(r.scope);
    const torch::Device device(params.device);
    if (!scene_ || scene_device_ != params.device) {
      scene_ = std::make_shared<const FaceScene>(params.assets, device);
      scene_device_ = params.device;
    }
    EditParams ep = target ? target_edit_defaults(scope) : edit_defaults(scope);
    if (r.steps > 0) ep.steps = r.steps;
    if (r.lambda > 0) ep.lambda = r.lambda;
    if (r.render_size > 0) ep.render_size = r.render_size;
    if (r.atlas_size > 0) ep.atlas_size = r.atlas_size;
    ep.lock_regions = r.regions;
    std::shared_ptr<guidance::Guidance> g;
    std::shared_ptr<guidance::LatentCodec> codec;
    std::optional<session::FaceState> target_state;
    if (target) {
      session::ProjectState tp = session::load_project(r.target_project);
      session::check_coefficients(tp.face.coeffs, params.assets->model,
                                  "target project " + r.target_project);
      target_state = std::move(tp.face);
      g = std::make_shared<guidance::AnalyticTargetGuidance>(guidance::AnalyticTargetParams{},
                                                             nullptr);
    } else {
      const ResolvedModels resolved = resolve_models(models);
      guidance::Ip2pLoadOptions o;
      o.checkpoint = require_role(resolved.edit, ModelRole::kEdit);
      o.instruction = r.instruction;
      o.words = r.words;
      const fs::path vocab = find_clip_vocab(models.clip_vocab);
      if (!vocab.empty()) o.clip_vocab = vocab;
      o.device = device;
      if (r.text_scale > 0) o.params.text_scale = r.text_scale;
      if (r.image_scale > 0) o.params.image_scale = r.image_scale;
      if (r.vae_size > 0) o.params.vae_image_size = r.vae_size;
      progress.stage = "loading InstructPix2Pix";
      publish();
      guidance::LoadedIp2p loaded = guidance::load_ip2p_sds(o);
      g = loaded.guidance;
      if (scope == EditScope::kTexture) codec = loaded.codec;
    }
    EditModels m;
    m.guidance = g;
    m.codec = codec;
    EditStage stage(ep, scene_, m, current_state(), target_state, r.seed);
    stage_count = 1;
    RunControl c = control();
    c.on_step = [this](Stage& s) { publish_live(s); };
    c.preview_every = ep.steps;
    c.preview_size = params.thumbnail_size;
    std::shared_ptr<const Image8> thumbnail;
    c.on_preview = [&thumbnail](const Preview& pv) {
      thumbnail = std::make_shared<Image8>(pv.image);
    };
    run_stage(stage, c);
    session::HistoryEntry e;
    e.kind = session::EntryKind::Edit;
    e.text = r.instruction;
    e.scope = r.scope;
    e.words = r.words;
    e.regions = r.regions;
    e.seed = r.seed;
    e.state = stage.finish();
    e.weights = stage.weights();
    e.attention = stage.attention();
    if (thumbnail) e.thumbnail = *thumbnail;
    e.final_loss = stage.final_loss();
    e.params = {{"steps", ep.steps},
                {"lambda", ep.lambda},
                {"render_size", ep.render_size},
                {"atlas_size", ep.atlas_size},
                {"guidance", target ? "analytic target" : "InstructPix2Pix"}};
    e.timings = {{"edit_s", stage.seconds()}};
    g->release();  // after finish(): a latent texture is decoded by the VAE
    if (history.empty()) {
      // The first entry of a history makes the face: an edit of the default face starts there
      // (appended only now, so a failed edit leaves the history as it was).
      session::HistoryEntry first;
      first.kind = session::EntryKind::New;
      first.text = "default face";
      first.state = current_state();
      append(std::move(first));
    }
    append(std::move(e));
    char buf[96];
    std::snprintf(buf, sizeof buf, "edited in %.1f s", stage.seconds());
    running->message = buf;
#else
    throw Error(
        "editing is not available in this build yet: it needs the edit stage "
        "(core/pipeline/edit_stage.h)");
#endif
  }

  void do_load_models(const pipeline::ModelSelection& selection) {
    progress = {};
    progress.stage = "models";
    publish();
    const pipeline::ResolvedModels m = pipeline::resolve_models(selection);
    models = selection;
    std::vector<std::string> lines;
    auto line = [&](pipeline::ModelRole role, const std::optional<fs::path>& path) {
      lines.push_back(std::string(pipeline::role_name(role)) + ": " +
                      (path ? path->filename().string() : std::string("missing")));
    };
    line(pipeline::ModelRole::kGeometry, m.geometry);
    line(pipeline::ModelRole::kTexture, m.texture);
    line(pipeline::ModelRole::kTextureControl, m.texture_control);
    line(pipeline::ModelRole::kTexturePrior, m.texture_prior);
    line(pipeline::ModelRole::kEdit, m.edit);
    model_lines = lines;
    const std::string how =
        " Point at it in Settings (a models folder, or the path of that one file), or use the "
        "Analytic target.";
    std::vector<std::string> missing;
    if (!m.geometry) missing.push_back(pipeline::role_name(pipeline::ModelRole::kGeometry));
    if (!m.texture) missing.push_back(pipeline::role_name(pipeline::ModelRole::kTexture));
    if (!m.texture_control)
      missing.push_back(pipeline::role_name(pipeline::ModelRole::kTextureControl));
    generate_missing.clear();
    if (!missing.empty()) {
      generate_missing = "Generate with Diffusion models needs ";
      for (std::size_t i = 0; i < missing.size(); ++i)
        generate_missing += (i ? ", " : "") + missing[i];
      generate_missing += "." + how;
    }
    edit_missing.clear();
    if (!m.edit)
      edit_missing = std::string("Edit with Diffusion models needs ") +
                     pipeline::role_name(pipeline::ModelRole::kEdit) + "." + how;
    running->message = missing.empty() && m.edit ? "all model roles found" : "some models missing";
  }

  void do_export(const ExportRequest& r) {
    if (r.out_dir.empty()) throw Error("Export needs a folder");
    if (r.texture_size != 1024 && r.texture_size != 2048 && r.texture_size != 4096)
      throw Error("texture size must be 1024, 2048 or 4096");
    const session::FaceState state = current_state();
    session::ExportOptions opt;
    opt.texture_size = r.texture_size;
    opt.basename = r.basename;
    if (!history.empty()) {
      opt.generation = history.current().params;
      if (r.include_weights && !history.current().weights.empty())
        opt.weights = &history.current().weights;
      if (r.include_history) opt.history = session::history_json(history);
    }
    // A folder gets OBJ + GLB; a .obj or .glb file name picks that one format (and its name).
    fs::path out_dir = r.out_dir;
    std::string ext = out_dir.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".obj" || ext == ".glb") {
      opt.basename = out_dir.stem().string();
      session::set_export_format(opt, ext == ".glb" ? "glb" : "obj");
      out_dir = out_dir.parent_path().empty() ? fs::path(".") : out_dir.parent_path();
    }
    const auto result = session::export_obj(*params.assets, state, out_dir, opt);
    running->message = "exported " + (result.obj.empty() ? result.glb : result.obj).string() +
                       (opt.weights ? " + W map" : "") +
                       (opt.history.is_null() ? "" : " + history");
  }

  void do_open(const fs::path& dir) {
    // Takes the writer lock: a second editor on the same project gets a readable error.
    std::unique_ptr<session::ProjectStore> opened = session::ProjectStore::open(dir);
    for (const auto& e : opened->history().entries())
      session::check_coefficients(e->state.coeffs, params.assets->model, "project " + dir.string());
    history = opened->history();
    store = std::move(opened);
    project_dir = dir;
    dirty = false;
    ++face_serial;
    running->message =
        "opened " + dir.string() + " (" + std::to_string(history.size()) + " history entries)";
  }

  // Save: the whole history and cursor through the project store (project.json is the one
  // commit point). Save As to another folder makes a new project there and holds its lock.
  void do_save(const std::optional<fs::path>& dir) {
    const fs::path target = dir ? *dir : project_dir;
    if (target.empty()) throw Error("this project has no folder yet: use Save As");
    if (history.empty()) throw Error("nothing to save yet: Generate or Open first");
    const std::string model_name = session::face_model_name(params.assets->model);
    std::unique_ptr<session::ProjectStore> s;
    std::error_code same_ec;  // a Save As target that does not exist yet is not the open project
    if (store && fs::equivalent(store->dir(), target, same_ec)) {
      s = std::move(store);
    } else if (fs::exists(target / "project.json")) {
      s = session::ProjectStore::open(target);
    } else {
      session::create_project(target, model_name, *history.entries().front());
      s = session::ProjectStore::open(target);
    }
    s->set_face_model_name(model_name);
    s->history() = history;
    s->save();
    store = std::move(s);
    project_dir = target;
    dirty = false;
    running->message = "saved " + target.string();
  }

  void move_cursor(const std::function<void()>& move) {
    const int before = history.cursor();
    move();  // throws faceg2e::Error with the reason when it cannot
    if (history.cursor() != before) {
      dirty = true;
      ++face_serial;
    }
  }

  // --- the worker ---------------------------------------------------------------------------

  void loop() {
    at::set_num_threads(params.torch_threads > 0 ? params.torch_threads : default_torch_threads());
    for (;;) {
      Command cmd;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [this] { return stop || !queue.empty(); });
        if (stop) return;
        cmd = std::move(queue.front());
        queue.pop_front();
        if (!cmd.cancelled) cancel_flag.store(false);
      }
      JobInfo info{cmd.id, cmd.kind, JobState::Running, {}};
      if (cmd.cancelled) {
        info.state = JobState::Cancelled;
        info.message = "cancelled before it started";
      } else {
        running = info;
        progress = {};
        stage_index = stage_count = 0;
        losses.clear();
        publish();
        try {
          cmd.run();
          info.state = JobState::Done;
        } catch (const Cancelled&) {
          info.state = JobState::Cancelled;
          info.message = "cancelled; the history is as it was";
        } catch (const std::exception& e) {
          info.state = JobState::Failed;
          info.message = e.what();
        } catch (...) {
          info.state = JobState::Failed;
          info.message = "unknown error";
        }
        if (info.message.empty()) info.message = running->message;
      }
      running.reset();
      live.reset();
      live_weights.reset();
      live_attention.reset();
      finished.push_back(info);
      if (finished.size() > k_finished_kept) finished.pop_front();
      pending.fetch_sub(1);
      publish();
    }
  }
};

Runtime::Runtime(RuntimeParams params) : impl_(std::make_unique<Impl>()) {
  if (!params.assets) throw Error("runtime: no face assets");
  impl_->params = std::move(params);
  impl_->models = impl_->params.models;
  impl_->publish();
  impl_->worker = std::thread([impl = impl_.get()] { impl->loop(); });
  load_models(impl_->models);
}

Runtime::~Runtime() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
    impl_->cancel_flag.store(true);
    impl_->cv.notify_one();
  }
  if (impl_->worker.joinable()) impl_->worker.join();
}

std::uint64_t Runtime::generate(GenerateRequest request) {
  Impl* impl = impl_.get();
  return impl->send("generate", [impl, request] { impl->do_generate(request); });
}

std::uint64_t Runtime::edit(EditRequest request) {
  Impl* impl = impl_.get();
  return impl->send("edit", [impl, request] { impl->do_edit(request); });
}

std::uint64_t Runtime::undo() {
  Impl* impl = impl_.get();
  return impl->send("undo", [impl] { impl->move_cursor([impl] { impl->history.undo(); }); });
}

std::uint64_t Runtime::redo() {
  Impl* impl = impl_.get();
  return impl->send("redo", [impl] { impl->move_cursor([impl] { impl->history.redo(); }); });
}

std::uint64_t Runtime::go_to(int index) {
  Impl* impl = impl_.get();
  return impl->send(
      "goto", [impl, index] { impl->move_cursor([impl, index] { impl->history.go_to(index); }); });
}

std::uint64_t Runtime::load_models(pipeline::ModelSelection models) {
  Impl* impl = impl_.get();
  return impl->send("load models", [impl, models] { impl->do_load_models(models); });
}

std::uint64_t Runtime::export_face(ExportRequest request) {
  Impl* impl = impl_.get();
  return impl->send("export", [impl, request] { impl->do_export(request); });
}

std::uint64_t Runtime::new_document() {
  Impl* impl = impl_.get();
  return impl->send("new", [impl] {
    impl->history = session::History();
    impl->store.reset();
    impl->project_dir.clear();
    impl->dirty = false;
    ++impl->face_serial;
  });
}

std::uint64_t Runtime::open(fs::path project_dir) {
  Impl* impl = impl_.get();
  return impl->send("open", [impl, project_dir] { impl->do_open(project_dir); });
}

std::uint64_t Runtime::save(std::optional<fs::path> project_dir) {
  Impl* impl = impl_.get();
  return impl->send("save", [impl, project_dir] { impl->do_save(project_dir); });
}

void Runtime::cancel() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->cancel_flag.store(true);
  for (auto& c : impl_->queue) c.cancelled = true;
}

std::shared_ptr<const Snapshot> Runtime::snapshot() const {
  return std::atomic_load(&impl_->published);
}

bool Runtime::busy() const { return impl_->pending.load() > 0; }

}  // namespace faceg2e::runtime
