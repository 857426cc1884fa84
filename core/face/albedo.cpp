#include "core/face/albedo.h"

#include <algorithm>
#include <cmath>

#include "core/face/atlas_seams.h"
#include "core/util/error.h"

namespace faceg2e::face {
namespace {

using Rgb = AlbedoParams::Rgb;

Rgb mix(const Rgb& a, const Rgb& b, float t) {
  return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}

float smoothstep(float e0, float e1, float x) {
  const float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3 - 2 * t);
}

struct FloatImage {
  int size = 0;
  std::vector<float> rgb;
  float* at(int x, int y) { return &rgb[3 * (std::size_t(y) * size + x)]; }
  void set(int x, int y, const Rgb& c) {
    float* p = at(x, y);
    p[0] = c[0], p[1] = c[1], p[2] = c[2];
  }
};

// Colour of a region label on the face tile.
Rgb face_label_color(const RegionLabels* regions, int label, const AlbedoParams& p) {
  if (!regions || label < 0 || label >= int(regions->names.size())) return p.skin;
  const std::string& n = regions->names[label];
  if (n == "lips") return p.lips;
  if (n == "brow_l" || n == "brow_r") return mix(p.skin, p.brows, p.brow_mix);
  if (n == "eye_region_l" || n == "eye_region_r") return p.eye_region;
  if (n == "head_neck_scalp") return p.scalp;
  return p.skin;
}

Rgb vertex_label_color(const RegionLabels* regions, int part, int label, const AlbedoParams& p) {
  if (regions && label >= 0 && label < int(regions->names.size())) {
    const std::string& n = regions->names[label];
    if (n == "mouth_socket") return p.mouth_socket;
    if (n == "eye_socket") return p.eye_socket;
    if (n == "lips") return p.lips;
    if (n == "head_neck_scalp") return p.scalp;
    if (n == "skin" || n == "nose") return p.skin;
  }
  // Upstream part ids (face_model.h): 2 mouth socket, 3-4 eye sockets.
  if (part == 2) return p.mouth_socket;
  if (part == 3 || part == 4) return p.eye_socket;
  return p.scalp;
}

// Separable box blur restricted to a pixel rectangle (edges clamp inside it), `passes` times:
// three passes approximate a Gaussian.
void blur_rect(FloatImage& img, const PixelRect& r, int radius, int passes) {
  if (radius <= 0) return;
  const int w = r.x1 - r.x0, h = r.y1 - r.y0;
  if (w <= 0 || h <= 0) return;
  std::vector<float> line(3 * std::max(w, h)), out(3 * std::max(w, h));
  auto run = [&](int n, auto get) {
    // get(i) returns a pointer to the i-th pixel of the line.
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < 3; ++k) line[3 * i + k] = get(i)[k];
    const float norm = 1.0f / (2 * radius + 1);
    // Running window sum (edges clamp): O(1) per texel whatever the radius.
    double s[3] = {0, 0, 0};
    for (int d = -radius; d <= radius; ++d) {
      const int j = std::clamp(d, 0, n - 1);
      for (int k = 0; k < 3; ++k) s[k] += line[3 * j + k];
    }
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < 3; ++k) out[3 * i + k] = float(s[k]) * norm;
      const int add = std::min(i + radius + 1, n - 1), sub = std::max(i - radius, 0);
      for (int k = 0; k < 3; ++k) s[k] += line[3 * add + k] - line[3 * sub + k];
    }
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < 3; ++k) get(i)[k] = out[3 * i + k];
  };
  for (int pass = 0; pass < passes; ++pass) {
    for (int y = r.y0; y < r.y1; ++y) run(w, [&](int i) { return img.at(r.x0 + i, y); });
    for (int x = r.x0; x < r.x1; ++x) run(h, [&](int i) { return img.at(x, r.y0 + i); });
  }
}

}  // namespace

Image8 default_albedo(const FaceModel& model, const UvAtlas& atlas, int size,
                      const RegionLabels* regions, const AlbedoParams& p, int channels) {
  if (size < 16 || size > 16384)
    throw Error("default_albedo: size " + std::to_string(size) + " out of range 16..16384");
  if (channels != 3 && channels != 4) throw Error("default_albedo: channels must be 3 or 4");
  if (regions && regions->vertex_labels.size() != std::size_t(model.num_vertices))
    throw Error("default_albedo: region labels do not match the model's vertex count");
  FloatImage img;
  img.size = size;
  img.rgb.resize(std::size_t(size) * size * 3);
  // Texels outside every cell (the spare cell) get skin, so mipmaps never pull in black.
  for (std::size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = p.skin[i % 3];

  auto local_uv = [&](const AtlasCell& cell, int x, int y, float& lu, float& lv) {
    const float u = (x + 0.5f) / size, v = 1.0f - (y + 0.5f) / size;
    lu = (u - cell.content.u0) / (cell.content.u1 - cell.content.u0);
    lv = (v - cell.content.v0) / (cell.content.v1 - cell.content.v0);
  };

  for (int c = 0; c < kNumAtlasCells; ++c) {
    const AtlasCell& cell = atlas.cells[c];
    const PixelRect r = to_pixels(cell.rect, size);
    for (int y = r.y0; y < r.y1; ++y)
      for (int x = r.x0; x < r.x1; ++x) {
        float lu, lv;
        local_uv(cell, x, y, lu, lv);
        Rgb col = p.skin;
        switch (c) {
          case kCellFace: {
            int label = -1;
            if (regions && !regions->uv_labels.empty()) {
              const Image8& L = regions->uv_labels;
              const int lx = std::clamp(int(lu * L.width), 0, L.width - 1);
              const int ly = std::clamp(int((1.0f - lv) * L.height), 0, L.height - 1);
              label = L.pixels[std::size_t(ly) * L.width + lx];
            }
            col = face_label_color(regions, label, p);
            break;
          }
          case kCellHead:
            col = p.scalp;
            break;
          case kCellSclera: {
            const float rr = std::hypot(lu - 0.5f, lv - 0.5f);
            const Rgb iris =
                mix(p.pupil, p.iris,
                    smoothstep(p.sclera_pupil_radius * 0.8f, p.sclera_pupil_radius * 1.2f, rr));
            col = mix(iris, p.sclera,
                      smoothstep(p.sclera_iris_radius * 0.9f, p.sclera_iris_radius * 1.1f, rr));
            break;
          }
          case kCellIris: {
            const float rr = std::hypot(lu - 0.5f, lv - 0.5f);
            const Rgb iris =
                mix(p.pupil, p.iris,
                    smoothstep(p.iris_pupil_radius * 0.8f, p.iris_pupil_radius * 1.2f, rr));
            col = mix(iris, p.sclera, smoothstep(p.iris_radius * 0.95f, p.iris_radius * 1.05f, rr));
            break;
          }
          case kCellGumsTongue:
            col = p.gums_tongue;
            break;
          case kCellTeeth:
            col = p.teeth;
            break;
          default:
            col = p.untextured;
            break;
        }
        img.set(x, y, col);
      }
  }

  // Head cell: per-vertex colours (mouth socket, eye sockets darker) interpolated over the
  // triangles, which makes the transitions smooth by construction.
  for (int f = 0; f < model.num_faces; ++f) {
    if (atlas.face_cell[f] != kCellHead) continue;
    float u[3], v[3];
    Rgb col[3];
    for (int k = 0; k < 3; ++k) {
      const int t = model.faces_uv[3 * f + k], vi = model.faces[3 * f + k];
      u[k] = atlas.uvs[2 * t];
      v[k] = atlas.uvs[2 * t + 1];
      col[k] = vertex_label_color(regions, model.vertex_part[vi],
                                  regions ? regions->vertex_labels[vi] : -1, p);
    }
    for_each_texel_in_triangle(u, v, size, [&](int x, int y, float b0, float b1, float b2) {
      img.set(x, y,
              {b0 * col[0][0] + b1 * col[1][0] + b2 * col[2][0],
               b0 * col[0][1] + b1 * col[1][1] + b2 * col[2][1],
               b0 * col[0][2] + b1 * col[1][2] + b2 * col[2][2]});
    });
  }

  // Seams are levelled before the blur (the large steps: skin / scalp, lips / mouth socket) and
  // again after it (what the blur brought back from the gutters at the island borders).
  if (p.level_seams) level_atlas_seams(model, atlas, size, img.rgb);
  const int radius = std::max(1, int(std::lround(p.blur_radius_per_1024 * size / 1024.0f)));
  for (int c : {kCellFace, kCellHead})
    blur_rect(img, to_pixels(atlas.cells[c].rect, size), radius, 3);
  if (p.level_seams) level_atlas_seams(model, atlas, size, img.rgb);

  Image8 out;
  out.width = out.height = size;
  out.channels = channels;
  out.pixels.resize(std::size_t(size) * size * channels);
  for (std::size_t i = 0; i < std::size_t(size) * size; ++i) {
    for (int k = 0; k < 3; ++k)
      out.pixels[i * channels + k] =
          static_cast<std::uint8_t>(std::clamp(std::lround(img.rgb[3 * i + k]), 0L, 255L));
    if (channels == 4) out.pixels[i * channels + 3] = 255;
  }
  return out;
}

}  // namespace faceg2e::face
