#include "external_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "support/temp_dir.h"

namespace sever::detail {
namespace {

struct Out {
  std::string key, value;
  uint64_t line;
  uint8_t op;
};

std::vector<Out> drain(ExternalSorter& s) {
  auto r = s.Read();
  EXPECT_TRUE(r.ok());
  std::vector<Out> out;
  SortRow row;
  while ((*r)->Next(&row)) out.push_back({std::string(row.key), std::string(row.value), row.line, row.op});
  EXPECT_TRUE((*r)->status().ok());
  return out;
}

TEST(ExternalSorter, SortsInMemory) {
  testing::TempDir dir;
  ExternalSorter s(dir.path(), "t", 1 << 20);
  ASSERT_TRUE(s.Add("b", "2", 1, 0).ok());
  ASSERT_TRUE(s.Add("a", "1", 2, 1).ok());
  ASSERT_TRUE(s.Add("c", "", 3, 0).ok());
  auto out = drain(s);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].key, "a");
  EXPECT_EQ(out[0].value, "1");
  EXPECT_EQ(out[0].line, 2u);
  EXPECT_EQ(out[0].op, 1);
  EXPECT_EQ(out[2].key, "c");
}

TEST(ExternalSorter, SpillsRunsAndMergesThemInOrder) {
  testing::TempDir dir;
  // A 4 KiB budget spills every few dozen rows: the merge spans many runs and the buffer.
  ExternalSorter s(dir.path(), "t", 4096);
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) {
    // Keys share long prefixes and differ past 16 bytes, like tenant\0id keys.
    std::string k = "tenant-with-a-long-name";
    k.push_back('\0');
    k += std::to_string(rng() % 1000000);
    keys.push_back(k);
    ASSERT_TRUE(s.Add(k, "v" + std::to_string(i), i + 1, 0).ok());
  }
  size_t runs = std::distance(std::filesystem::directory_iterator(dir.path()),
                              std::filesystem::directory_iterator());
  EXPECT_GT(runs, 10u);
  auto out = drain(s);
  ASSERT_EQ(out.size(), keys.size());
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(out[i].key, keys[i]) << i;
  for (const auto& o : out) EXPECT_EQ(o.value, "v" + std::to_string(o.line - 1));
}

TEST(ExternalSorter, EqualKeysComeOutInInsertionOrderAcrossRuns) {
  testing::TempDir dir;
  ExternalSorter s(dir.path(), "t", 64);
  for (uint64_t line = 1; line <= 40; ++line) ASSERT_TRUE(s.Add("same-key", "x", line, 0).ok());
  auto out = drain(s);
  ASSERT_EQ(out.size(), 40u);
  for (uint64_t i = 0; i < 40; ++i) EXPECT_EQ(out[i].line, i + 1);
}

TEST(ExternalSorter, BinaryKeysSortBytewise) {
  testing::TempDir dir;
  ExternalSorter s(dir.path(), "t", 1 << 20);
  ASSERT_TRUE(s.Add(std::string("\xff", 1), "", 1, 0).ok());
  ASSERT_TRUE(s.Add(std::string("\x01", 1), "", 2, 0).ok());
  ASSERT_TRUE(s.Add(std::string("a\0b", 3), "", 3, 0).ok());
  ASSERT_TRUE(s.Add("a", "", 4, 0).ok());
  auto out = drain(s);
  EXPECT_EQ(out[0].line, 2u);
  EXPECT_EQ(out[1].line, 4u);
  EXPECT_EQ(out[2].line, 3u);
  EXPECT_EQ(out[3].line, 1u);
}

TEST(ExternalSorter, RemovesItsRunFiles) {
  testing::TempDir dir;
  {
    ExternalSorter s(dir.path(), "t", 16);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.Add("k" + std::to_string(i), "value", i, 0).ok());
    drain(s);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace sever::detail
