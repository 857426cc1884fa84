// History in memory: cursor moves, the order of kinds, and append after undo dropping the tail.
#include <gtest/gtest.h>

#include <set>

#include "core/session/history.h"
#include "core/util/error.h"
#include "tests/session/session_fixture.h"

namespace faceg2e::session {
namespace {

using testing::make_entry;

TEST(History, UndoRedoGotoMoveOnlyTheCursor) {
  History h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.cursor(), -1);
  EXPECT_THROW(h.undo(), Error);
  EXPECT_THROW(h.current(), Error);
  h.append(make_entry(0, -1));
  h.append(make_entry(1, 0));
  h.append(make_entry(2, 1));
  EXPECT_EQ(h.size(), 3);
  EXPECT_EQ(h.cursor(), 2);
  EXPECT_FALSE(h.can_redo());
  EXPECT_THROW(h.redo(), Error);
  h.undo();
  EXPECT_EQ(h.current().state.coeffs.identity[0], 1.0f);
  h.undo();
  EXPECT_EQ(h.cursor(), 0);
  EXPECT_FALSE(h.can_undo());
  try {
    h.undo();
    FAIL() << "undo at the first entry";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to undo"), std::string::npos);
  }
  h.redo();
  EXPECT_EQ(h.cursor(), 1);
  h.go_to(2);
  EXPECT_EQ(h.current().state.coeffs.identity[0], 2.0f);
  EXPECT_THROW(h.go_to(3), Error);
  EXPECT_THROW(h.go_to(-1), Error);
  EXPECT_EQ(h.size(), 3);  // none of this removed anything
}

TEST(History, FirstEntryMakesTheFaceLaterOnesAreEdits) {
  History h;
  EXPECT_THROW(h.append(make_entry(1, 0)), Error);  // an edit cannot come first
  HistoryEntry gen = make_entry(0, -1);
  gen.kind = EntryKind::Generate;
  h.append(gen);
  EXPECT_THROW(h.append(make_entry(0, -1)), Error);  // a second `new`
  h.append(make_entry(1, 0));
  EXPECT_EQ(h.at(0).kind, EntryKind::Generate);
  EXPECT_FALSE(h.at(1).created.empty());
  EXPECT_NE(h.at(0).id, h.at(1).id);
}

TEST(History, AppendAfterUndoDropsTheRedoTailAndNeverReusesIds) {
  History h;
  std::set<std::string> ids;
  h.append(make_entry(0, -1));
  for (int i = 1; i < 5; ++i) ids.insert(h.append(make_entry(float(i), float(i - 1))).id);
  ids.insert(h.at(0).id);
  h.undo();
  h.undo();
  const std::string dropped3 = h.at(3).id, dropped4 = h.at(4).id;
  const HistoryEntry& added = h.append(make_entry(9, 2));
  EXPECT_EQ(h.size(), 4);
  EXPECT_EQ(h.cursor(), 3);
  EXPECT_FALSE(h.can_redo());
  EXPECT_EQ(added.state.coeffs.identity[0], 9.0f);
  EXPECT_EQ(h.at(2).state.coeffs.identity[0], 2.0f);
  // The new id is fresh: it names no folder a dropped entry may have left on disk.
  EXPECT_EQ(ids.count(added.id), 0u);
  EXPECT_NE(added.id, dropped3);
  EXPECT_NE(added.id, dropped4);
}

TEST(History, FromEntriesChecksOrderIdsAndCursor) {
  History h;
  h.append(make_entry(0, -1));
  h.append(make_entry(1, 0));
  auto entries = h.entries();
  EXPECT_EQ(History::from_entries(entries, 1).cursor(), 1);
  EXPECT_THROW(History::from_entries(entries, 2), Error);
  EXPECT_THROW(History::from_entries(entries, -1), Error);
  auto swapped = entries;
  std::swap(swapped[0], swapped[1]);
  EXPECT_THROW(History::from_entries(swapped, 0), Error);  // an edit first
  auto dup = entries;
  auto copy = std::make_shared<HistoryEntry>(*entries[1]);
  copy->id = entries[0]->id;
  dup[1] = copy;
  EXPECT_THROW(History::from_entries(dup, 0), Error);
  EXPECT_TRUE(History::from_entries({}, -1).empty());
}

TEST(History, RecordJsonCarriesTextsSeedsAndModelHashes) {
  History h;
  h.append(make_entry(0, -1));
  h.append(make_entry(1, 0));
  const auto j = history_json(h);
  EXPECT_EQ(j["cursor"], 1);
  ASSERT_EQ(j["entries"].size(), 2u);
  EXPECT_EQ(j["entries"][1]["kind"], "edit");
  EXPECT_EQ(j["entries"][1]["text"], "edit 1");
  EXPECT_EQ(j["entries"][1]["seed"], 8);
  EXPECT_EQ(j["entries"][1]["models"][0]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(j["entries"][0]["seed"], nullptr);
  EXPECT_EQ(j["entries"][1]["index"], 1);
}

}  // namespace
}  // namespace faceg2e::session
