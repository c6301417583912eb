#include "sever/store/inventory.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sever/store/import.h"
#include "support/store_fixture.h"

namespace sever {
namespace {

constexpr int64_t kNow = 1'800'000'000;

class InventoryTest : public testing::StoreTest {
 protected:
  // Imports `tenants` x `per_tenant` credentials with 200-byte secrets: megabytes on disk.
  void Fill(int tenants, int per_tenant) {
    std::string text;
    const std::string secret(200, 'x');
    for (int t = 0; t < tenants; ++t) {
      for (int i = 0; i < per_tenant; ++i) {
        text += R"({"tenant":"tenant-)" + std::to_string(t) + R"(","id":"c)" + std::to_string(i) +
                R"(","tool":"github","kind":"oauth_access","secret":")" + secret +
                R"(","scopes":["repo"],"user":"u@x.example","created_at":"2026-01-02T03:04:05Z"})" +
                "\n";
      }
    }
    std::FILE* f = fmemopen(text.data(), text.size(), "r");
    ImportOptions o;
    o.actor = "test";
    o.source = "in.jsonl";
    auto r = import_jsonl(*store_, f, o);
    std::fclose(f);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Every credential the parallel scan visits, per part, in the order each part saw them.
  std::vector<std::vector<std::string>> ScanParts(const InventoryFilter& filter, size_t parts) {
    std::vector<std::vector<std::string>> seen(parts);
    std::mutex mu;
    auto s = scan_inventory_parts(*store_, filter, kNow, parts,
                                  [&](size_t part, const Credential& c, State) {
      std::lock_guard<std::mutex> lock(mu);
      EXPECT_LT(part, parts);
      seen[part].push_back(c.tenant + "/" + c.id);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return seen;
  }

  std::vector<std::string> ScanAll(const InventoryFilter& filter) {
    std::vector<std::string> all;
    EXPECT_TRUE(scan_inventory(*store_, filter, kNow, [&](const Credential& c, State) {
                  all.push_back(c.tenant + "/" + c.id);
                  return true;
                }).ok());
    return all;
  }
};

TEST_F(InventoryTest, PartsVisitEveryRecordOnceInKeyOrderRanges) {
  Fill(40, 200);  // 8,000 records, ~2.5 MB
  const auto all = ScanAll({});
  ASSERT_EQ(all.size(), 8000u);
  const auto parts = ScanParts({}, 2);
  ASSERT_FALSE(parts[0].empty());
  ASSERT_FALSE(parts[1].empty());
  // Each part is a contiguous range of the full scan, and together they are the full scan.
  std::vector<std::string> joined = parts[0];
  joined.insert(joined.end(), parts[1].begin(), parts[1].end());
  EXPECT_EQ(joined, all);
  // About the same size each: the split follows bytes on disk.
  EXPECT_GT(parts[0].size(), 8000u / 4);
  EXPECT_GT(parts[1].size(), 8000u / 4);
}

TEST_F(InventoryTest, PartsOfOneTenantStayInsideIt) {
  Fill(3, 5000);  // ~1.5 MB in the tenant: enough to split
  InventoryFilter f;
  f.tenant = "tenant-1";
  const auto parts = ScanParts(f, 2);
  std::vector<std::string> joined = parts[0];
  joined.insert(joined.end(), parts[1].begin(), parts[1].end());
  EXPECT_EQ(joined, ScanAll(f));
  EXPECT_EQ(joined.size(), 5000u);
  EXPECT_FALSE(parts[1].empty());
}

TEST_F(InventoryTest, PartsStopWhenACallSaysSo) {
  Fill(40, 200);
  std::mutex mu;
  size_t calls = 0;
  auto s = scan_inventory_parts(*store_, {}, kNow, 2, [&](size_t, const Credential&, State) {
    std::lock_guard<std::mutex> lock(mu);
    return ++calls < 10;
  });
  EXPECT_TRUE(s.ok());
  EXPECT_LT(calls, 100u);
}

TEST_F(InventoryTest, ASmallStoreOrAnIndexScanIsOnePart) {
  Fill(2, 5);
  auto parts = ScanParts({}, 4);
  EXPECT_EQ(parts[0].size(), 10u);
  InventoryFilter by_tool;
  by_tool.tool = "github";
  parts = ScanParts(by_tool, 4);
  EXPECT_EQ(parts[0].size(), 10u);
  for (size_t p = 1; p < 4; ++p) EXPECT_TRUE(parts[p].empty());
}

}  // namespace
}  // namespace sever
