#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/image_io.h"
#include "tests/common/scratch_dir.h"

namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) { return faceg2e::testing::scratch_dir("util_" + name); }
}  // namespace

TEST(AtomicFile, WritesAndReplaces) {
  const fs::path d = fresh_dir("write");
  const fs::path f = d / "a.txt";
  faceg2e::write_file_atomic(f, std::string("first"));
  EXPECT_EQ(faceg2e::read_file(f), "first");
  faceg2e::write_file_atomic(f, std::string("second"));
  EXPECT_EQ(faceg2e::read_file(f), "second");
  // No temporary files are left behind.
  int count = 0;
  for (auto& e : fs::directory_iterator(d)) { (void)e; ++count; }
  EXPECT_EQ(count, 1);
}

TEST(AtomicFile, FailedWriterLeavesOldContent) {
  const fs::path d = fresh_dir("fail");
  const fs::path f = d / "a.txt";
  faceg2e::write_file_atomic(f, std::string("keep me"));
  EXPECT_THROW(faceg2e::write_file_atomic(f, [](std::ostream& out) {
                 out << "partial";
                 throw std::runtime_error("boom");
               }),
               std::runtime_error);
  EXPECT_EQ(faceg2e::read_file(f), "keep me");
  int count = 0;
  for (auto& e : fs::directory_iterator(d)) { (void)e; ++count; }
  EXPECT_EQ(count, 1);
}

TEST(AtomicFile, MissingFolderIsAnError) {
  const fs::path d = fresh_dir("missing");
  EXPECT_THROW(faceg2e::write_file_atomic(d / "no" / "such" / "dir.txt", std::string("x")),
               faceg2e::Error);
  EXPECT_THROW(faceg2e::read_file(d / "nope.txt"), faceg2e::NotFoundError);
}

TEST(ImageIo, PngRoundTrip) {
  const fs::path d = fresh_dir("png");
  faceg2e::Image8 img;
  img.width = 5;
  img.height = 3;
  img.channels = 3;
  for (int i = 0; i < 45; ++i) img.pixels.push_back(static_cast<std::uint8_t>(i * 5));
  faceg2e::write_png(d / "x.png", img);
  const faceg2e::Image8 back = faceg2e::read_image(d / "x.png");
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, img.pixels);
}

TEST(ImageIo, GarbageIsAFormatError) {
  const fs::path d = fresh_dir("garbage");
  faceg2e::write_file_atomic(d / "bad.png", std::string("\x89PNG not really", 15));
  EXPECT_THROW(faceg2e::read_image(d / "bad.png"), faceg2e::FormatError);
}
