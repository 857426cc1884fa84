// Writes a random target face for the end-to-end recovery tests: identity.json (N(0,1) modes
// with a few large ones, |a| up to 3, as FaceG2E faces reach) and albedo.png, a smooth random
// albedo in the export atlas layout (a coarse grid of random colours, bicubically upsampled).
// Usage: make_random_target OUT_DIR SEED [SIZE]
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/util/image_io.h"

namespace {

double cubic(double a, double b, double c, double d, double t) {  // Catmull-Rom
  return b + 0.5 * t * (c - a + t * (2 * a - 5 * b + 4 * c - d + t * (3 * (b - c) + d - a)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR SEED [SIZE]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const unsigned long seed = std::stoul(argv[2]);
  const int size = argc > 3 ? std::stoi(argv[3]) : 1024;
  std::filesystem::create_directories(out);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uni(0.0, 1.0);

  // 100 identity modes: N(0, 1), three of them pushed to |a| in [2.5, 3] with random signs.
  std::vector<double> a(100);
  for (auto& x : a) x = normal(rng);
  for (int k = 0; k < 3; ++k) {
    const int i = static_cast<int>(uni(rng) * 20);  // among the strongest modes
    a[i] = (uni(rng) < 0.5 ? -1 : 1) * (2.5 + 0.5 * uni(rng));
  }
  std::ofstream id(out / "identity.json");
  id << "[";
  for (std::size_t i = 0; i < a.size(); ++i) id << (i ? ", " : "") << a[i];
  id << "]\n";

  // Smooth albedo: a G x G grid of colours in [0.15, 0.85], Catmull-Rom upsampled.
  const int G = 7;
  std::vector<double> grid(G * G * 3);
  for (auto& x : grid) x = 0.15 + 0.7 * uni(rng);
  auto at = [&](int gx, int gy, int c) {
    gx = std::min(std::max(gx, 0), G - 1);
    gy = std::min(std::max(gy, 0), G - 1);
    return grid[(gy * G + gx) * 3 + c];
  };
  faceg2e::Image8 img;
  img.width = img.height = size;
  img.channels = 3;
  img.pixels.resize(static_cast<std::size_t>(size) * size * 3);
  for (int y = 0; y < size; ++y) {
    const double fy = (y + 0.5) / size * (G - 1);
    const int iy = static_cast<int>(std::floor(fy));
    const double ty = fy - iy;
    for (int x = 0; x < size; ++x) {
      const double fx = (x + 0.5) / size * (G - 1);
      const int ix = static_cast<int>(std::floor(fx));
      const double tx = fx - ix;
      for (int c = 0; c < 3; ++c) {
        double row[4];
        for (int j = 0; j < 4; ++j)
          row[j] = cubic(at(ix - 1, iy - 1 + j, c), at(ix, iy - 1 + j, c), at(ix + 1, iy - 1 + j, c),
                         at(ix + 2, iy - 1 + j, c), tx);
        const double v = cubic(row[0], row[1], row[2], row[3], ty);
        img.pixels[(static_cast<std::size_t>(y) * size + x) * 3 + c] =
            static_cast<std::uint8_t>(std::lround(std::min(std::max(v, 0.0), 1.0) * 255));
      }
    }
  }
  faceg2e::write_png(out / "albedo.png", img);
  std::printf("%s\n", out.string().c_str());
  return 0;
}
