// Offscreen Vulkan renders (lavapipe on CI and here) of the ICT head when the face library and
// the shared model exist, else of a procedural head-sized ellipsoid.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "render/context.h"
#include "render/mesh_renderer.h"
#include "render/offscreen_target.h"
#include "render/orbit_camera.h"
#ifdef FACEG2E_TEST_HAVE_FACE
#include "core/face/face_model.h"
#endif

namespace fr = faceg2e::render;

namespace {

struct TestMesh {
  std::vector<float> positions, normals, uvs;
  std::vector<std::int32_t> faces, faces_uv;
  std::string what;
};

// An ellipsoid of head size (cm) with a UV seam at the back, so the remap path is exercised.
TestMesh ellipsoid_head() {
  TestMesh m;
  m.what = "procedural ellipsoid";
  const int rings = 32, segments = 48;
  const glm::vec3 radii(8.0f, 11.0f, 10.0f);
  for (int r = 0; r <= rings; ++r)
    for (int s = 0; s <= segments; ++s) {
      const float theta = float(M_PI) * r / rings, phi = 2.0f * float(M_PI) * s / segments;
      const glm::vec3 dir(std::sin(theta) * std::sin(phi), std::cos(theta),
                          std::sin(theta) * std::cos(phi));
      if (s < segments) {
        m.positions.insert(m.positions.end(), {radii.x * dir.x, radii.y * dir.y, radii.z * dir.z});
        const glm::vec3 n = glm::normalize(dir / (radii * radii));
        m.normals.insert(m.normals.end(), {n.x, n.y, n.z});
      }
      m.uvs.insert(m.uvs.end(), {float(s) / segments, 1.0f - float(r) / rings});
    }
  auto vid = [&](int r, int s) { return r * segments + (s % segments); };
  auto tid = [&](int r, int s) { return r * (segments + 1) + s; };
  for (int r = 0; r < rings; ++r)
    for (int s = 0; s < segments; ++s) {
      // Counter-clockwise seen from outside.
      m.faces.insert(m.faces.end(), {vid(r, s), vid(r + 1, s), vid(r + 1, s + 1), vid(r, s),
                                     vid(r + 1, s + 1), vid(r, s + 1)});
      m.faces_uv.insert(m.faces_uv.end(), {tid(r, s), tid(r + 1, s), tid(r + 1, s + 1), tid(r, s),
                                           tid(r + 1, s + 1), tid(r, s + 1)});
    }
  return m;
}

TestMesh load_test_mesh() {
#ifdef FACEG2E_TEST_HAVE_FACE
  const std::filesystem::path path =
      std::filesystem::path(FACEG2E_SHARED_DIR) / "data/ict-facekit/ict_facekit_full.f3dm";
  if (std::filesystem::exists(path)) {
    const auto model = faceg2e::face::load_f3dm(path);
    TestMesh m;
    m.what = "ICT-FaceKit head";
    m.positions = model.neutral_vertices;
    m.normals = faceg2e::face::vertex_normals(m.positions, model.faces);
    m.uvs = model.uvs;
    m.faces = model.faces;
    m.faces_uv = model.faces_uv;
    return m;
  }
#endif
  return ellipsoid_head();
}

struct Stats {
  double coverage = 0;         // share of pixels that are not background
  double cx = 0, cy = 0;       // centroid of those, in [0,1]
  double mean[3] = {0, 0, 0};  // mean colour of those
};

Stats analyse(const faceg2e::Image8& img, const float background[4]) {
  Stats s;
  std::size_t n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const std::uint8_t* p = &img.pixels[(std::size_t(y) * img.width + x) * 4];
      bool bg = true;
      for (int c = 0; c < 3; ++c)
        if (std::abs(int(p[c]) - int(std::lround(background[c] * 255.0f))) > 3) bg = false;
      if (bg) continue;
      ++n;
      s.cx += (x + 0.5) / img.width;
      s.cy += (y + 0.5) / img.height;
      for (int c = 0; c < 3; ++c) s.mean[c] += p[c];
    }
  if (n == 0) return s;
  s.coverage = double(n) / (double(img.width) * img.height);
  s.cx /= n;
  s.cy /= n;
  for (double& m : s.mean) m /= n;
  return s;
}

double mean_abs_difference(const faceg2e::Image8& a, const faceg2e::Image8& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double sum = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i)
    sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / double(a.pixels.size());
}

class OffscreenRender : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      fr::ContextOptions options;
      options.validation = 1;  // when the layer is installed: any misuse fails the suite
      context_ = std::make_unique<fr::Context>(options);
    } catch (const fr::NoVulkanDeviceError& e) {
      skip_reason_ = e.what();
      return;
    }
    target_ = std::make_unique<fr::OffscreenTarget>(*context_, 256, 256);
    renderer_ =
        std::make_unique<fr::MeshRenderer>(*context_, target_->render_pass(), target_->samples());
    mesh_ = load_test_mesh();
    renderer_->set_mesh(mesh_.positions, mesh_.normals, mesh_.uvs, mesh_.faces, mesh_.faces_uv);
  }
  static void TearDownTestSuite() {
    if (context_) {
      EXPECT_EQ(context_->validation_error_count(), 0) << "Vulkan validation reported errors";
    }
    renderer_.reset();
    target_.reset();
    context_.reset();
  }
  void SetUp() override {
    if (!context_) GTEST_SKIP() << "no Vulkan device: " << skip_reason_;
    camera_.frame(renderer_->bounds_min(), renderer_->bounds_max());
  }

  faceg2e::Image8 render(const fr::ViewSettings& settings) {
    const VkExtent2D extent = target_->extent();
    const fr::DrawView view = fr::make_draw_view(camera_, VkRect2D{{0, 0}, extent}, settings);
    const auto& bg = settings.background;
    auto img = target_->render([&](VkCommandBuffer cmd) { renderer_->record_uploads(cmd); },
                               [&](VkCommandBuffer cmd) { renderer_->draw(cmd, view, settings); },
                               {bg[0], bg[1], bg[2], bg[3]});
    // FACEG2E_TEST_DUMP_DIR=<folder> keeps every render for a human to look at.
    if (const char* dir = std::getenv("FACEG2E_TEST_DUMP_DIR")) {
      static int counter = 0;
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      faceg2e::write_png(std::filesystem::path(dir) /
                             (std::string(info->name()) + "_" + std::to_string(counter++) + ".png"),
                         img);
    }
    return img;
  }

  static std::unique_ptr<fr::Context> context_;
  static std::unique_ptr<fr::OffscreenTarget> target_;
  static std::unique_ptr<fr::MeshRenderer> renderer_;
  static TestMesh mesh_;
  static std::string skip_reason_;
  fr::OrbitCamera camera_;
};

std::unique_ptr<fr::Context> OffscreenRender::context_;
std::unique_ptr<fr::OffscreenTarget> OffscreenRender::target_;
std::unique_ptr<fr::MeshRenderer> OffscreenRender::renderer_;
TestMesh OffscreenRender::mesh_;
std::string OffscreenRender::skip_reason_;

void fill_texture(fr::MeshRenderer& r, std::uint8_t red, std::uint8_t green, std::uint8_t blue) {
  std::vector<std::uint8_t> tex(16 * 16 * 4);
  for (std::size_t i = 0; i < tex.size(); i += 4) {
    tex[i] = red;
    tex[i + 1] = green;
    tex[i + 2] = blue;
    tex[i + 3] = 255;
  }
  r.set_texture(tex.data(), 16, 16);
}

}  // namespace

TEST_F(OffscreenRender, HeadCoversACentredPartOfTheImage) {
  fr::ViewSettings grey;
  grey.shading = fr::ShadingMode::grey;
  const auto img = render(grey);
  ASSERT_EQ(img.width, 256);
  ASSERT_EQ(img.height, 256);
  const Stats s = analyse(img, grey.background);
  RecordProperty("device", context_->device_name());
  RecordProperty("mesh", mesh_.what);
  RecordProperty("validation", context_->validation_enabled() ? "on" : "off");
  std::cout << "device: " << context_->device_name() << ", mesh: " << mesh_.what
            << ", validation: " << (context_->validation_enabled() ? "on" : "off") << "\n";
  EXPECT_GT(s.coverage, 0.10) << mesh_.what;
  EXPECT_LT(s.coverage, 0.80) << mesh_.what;
  EXPECT_NEAR(s.cx, 0.5, 0.1);
  EXPECT_NEAR(s.cy, 0.5, 0.15);
  // Grey shading: the channels agree.
  EXPECT_NEAR(s.mean[0], s.mean[1], 2.0);
  EXPECT_NEAR(s.mean[1], s.mean[2], 2.0);
}

TEST_F(OffscreenRender, TexturedDiffersFromGreyAndShowsTheTexture) {
  fill_texture(*renderer_, 230, 40, 30);
  fr::ViewSettings textured;
  fr::ViewSettings grey;
  grey.shading = fr::ShadingMode::grey;
  const auto a = render(textured);
  const auto b = render(grey);
  EXPECT_GT(mean_abs_difference(a, b), 5.0);
  const Stats s = analyse(a, textured.background);
  EXPECT_GT(s.mean[0], 2.0 * s.mean[1]);  // red texture -> red head
  EXPECT_GT(s.mean[0], 2.0 * s.mean[2]);

  // Replacing the texture between frames takes effect on the next frame.
  fill_texture(*renderer_, 30, 40, 230);
  const Stats blue = analyse(render(textured), textured.background);
  EXPECT_GT(blue.mean[2], 2.0 * blue.mean[0]);
  EXPECT_EQ(context_->retired_count(), 0u) << "retired resources outlived their frames";
}

TEST_F(OffscreenRender, NormalsModeFacesTheCamera) {
  fr::ViewSettings normals;
  normals.shading = fr::ShadingMode::normals;
  fr::ViewSettings grey;
  grey.shading = fr::ShadingMode::grey;
  fill_texture(*renderer_, 200, 160, 140);
  const auto n = render(normals);
  EXPECT_GT(mean_abs_difference(n, render(grey)), 5.0);
  EXPECT_GT(mean_abs_difference(n, render(fr::ViewSettings{})), 5.0);
  // Seen from the front (+Z), visible surfaces have n.z > 0: blue = (n.z * 0.5 + 0.5) * 255.
  const Stats s = analyse(n, normals.background);
  EXPECT_GT(s.mean[2], 170.0);
  EXPECT_GT(s.mean[2], s.mean[0] + 30.0);
  EXPECT_GT(s.mean[2], s.mean[1] + 30.0);
}

TEST_F(OffscreenRender, OverlaysBlendLabelsAndHeatMap) {
  fr::ViewSettings overlay;
  overlay.shading = fr::ShadingMode::grey;
  overlay.overlay = fr::OverlayMode::region_labels;
  overlay.overlay_opacity = 1.0f;
  std::vector<std::uint8_t> labels(renderer_->num_vertices() * 4, 0);
  for (std::size_t v = 0; v < renderer_->num_vertices(); ++v) {
    labels[4 * v + 1] = 255;
    labels[4 * v + 3] = 255;
  }
  renderer_->set_vertex_labels(labels);
  const Stats green = analyse(render(overlay), overlay.background);
  EXPECT_GT(green.mean[1], 2.0 * green.mean[0]);
  EXPECT_GT(green.mean[1], 2.0 * green.mean[2]);

  // Heat map: weight 1 is red-dominant, weight 0 blue-dominant (turbo colormap ends).
  overlay.overlay = fr::OverlayMode::scalar_map;
  std::vector<float> ones(8 * 8, 1.0f), zeros(8 * 8, 0.0f);
  renderer_->set_scalar_map(ones.data(), 8, 8);
  const Stats hot = analyse(render(overlay), overlay.background);
  EXPECT_GT(hot.mean[0], 2.0 * hot.mean[2]);
  renderer_->set_scalar_map(zeros.data(), 8, 8);
  const Stats cold = analyse(render(overlay), overlay.background);
  EXPECT_GT(cold.mean[2], cold.mean[0]);
}

TEST_F(OffscreenRender, UpdatedPositionsMoveTheHead) {
  fr::ViewSettings grey;
  grey.shading = fr::ShadingMode::grey;
  const Stats before = analyse(render(grey), grey.background);
  const float shift = 0.25f * (renderer_->bounds_max().x - renderer_->bounds_min().x);
  std::vector<float> moved = mesh_.positions;
  for (std::size_t i = 0; i < moved.size(); i += 3) moved[i] += shift;
  renderer_->update_positions_normals(moved, mesh_.normals);
  const Stats after = analyse(render(grey), grey.background);
  renderer_->update_positions_normals(mesh_.positions, mesh_.normals);
  EXPECT_GT(after.cx, before.cx + 0.03);  // +x is image right from the front
  EXPECT_NEAR(after.cy, before.cy, 0.02);
  EXPECT_THROW(renderer_->update_positions_normals(std::vector<float>(3), std::vector<float>(3)),
               faceg2e::Error);
}

TEST_F(OffscreenRender, ResizeKeepsRendering) {
  fr::ViewSettings grey;
  grey.shading = fr::ShadingMode::grey;
  target_->resize(160, 96);
  const auto img = render(grey);
  EXPECT_EQ(img.width, 160);
  EXPECT_EQ(img.height, 96);
  const Stats s = analyse(img, grey.background);
  EXPECT_GT(s.coverage, 0.05);
  EXPECT_NEAR(s.cx, 0.5, 0.1);
  target_->resize(256, 256);
  EXPECT_EQ(render(grey).width, 256);
}
