#include "core/session/history.h"

#include <cstdio>
#include <random>
#include <set>

#include "core/util/error.h"
#include "core/util/time_stamp.h"

namespace faceg2e::session {
namespace {

// The serial an id starts with ("0007-3fa9c2d1" -> 7); 0 when it has none.
std::uint64_t serial_of(const std::string& id) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < id.size() && id[i] >= '0' && id[i] <= '9' && i < 18; ++i) v = v * 10 + (id[i] - '0');
  return i == 0 ? 0 : v;
}

}  // namespace

const char* to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::New:
      return "new";
    case EntryKind::Generate:
      return "generate";
    case EntryKind::Edit:
      return "edit";
  }
  return "?";
}

std::optional<EntryKind> parse_entry_kind(const std::string& word) {
  for (EntryKind k : {EntryKind::New, EntryKind::Generate, EntryKind::Edit})
    if (word == to_string(k)) return k;
  return std::nullopt;
}

nlohmann::json entry_record_json(const HistoryEntry& e) {
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : e.models)
    models.push_back({{"role", m.role}, {"path", m.path}, {"sha256", m.sha256}});
  nlohmann::json j;
  j["id"] = e.id;
  j["kind"] = to_string(e.kind);
  j["created"] = e.created;
  j["text"] = e.text;
  j["scope"] = e.scope;
  j["words"] = e.words;
  j["regions"] = e.regions;
  j["params"] = e.params.is_null() ? nlohmann::json::object() : e.params;
  j["seed"] = e.seed ? nlohmann::json(*e.seed) : nlohmann::json(nullptr);
  j["models"] = models;
  j["timings"] = e.timings.is_null() ? nlohmann::json::object() : e.timings;
  j["final_loss"] = e.final_loss ? nlohmann::json(*e.final_loss) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json history_json(const History& h) {
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < h.size(); ++i) {
    nlohmann::json r = entry_record_json(h.at(i));
    r["index"] = i;
    list.push_back(std::move(r));
  }
  return {{"cursor", h.cursor()}, {"entries", list}};
}

const HistoryEntry& History::at(int index) const {
  if (index < 0 || index >= size())
    throw Error("no history entry " + std::to_string(index) + " (the history has " +
                std::to_string(size()) + " entries, numbered from 0)");
  return *entries_[std::size_t(index)];
}

const HistoryEntry& History::current() const {
  if (empty()) throw Error("the history is empty");
  return at(cursor_);
}

void History::undo() {
  if (!can_undo())
    throw Error(empty() ? "nothing to undo: the history is empty"
                        : "nothing to undo: the cursor is at the first entry");
  --cursor_;
}

void History::redo() {
  if (!can_redo()) throw Error("nothing to redo: the cursor is at the last entry");
  ++cursor_;
}

void History::go_to(int index) {
  (void)at(index);
  cursor_ = index;
}

std::string History::new_id() const {
  // The random part keeps an id from ever naming a folder left behind by a crashed save or a
  // dropped redo tail whose removal did not finish (those folders are unreferenced garbage).
  static thread_local std::mt19937 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04llu-%08x", static_cast<unsigned long long>(serial_ + 1),
                static_cast<unsigned>(rng()));
  return buf;
}

const HistoryEntry& History::append(HistoryEntry entry) {
  const bool first = cursor_ < 0;
  if (first && entry.kind == EntryKind::Edit)
    throw Error("the first history entry must be a 'new' or a 'generate', not an edit");
  if (!first && entry.kind != EntryKind::Edit)
    throw Error(std::string("only edits can follow the first history entry, not a '") +
                to_string(entry.kind) + "'");
  entries_.resize(std::size_t(cursor_ + 1));
  if (entry.id.empty()) entry.id = new_id();
  for (const auto& e : entries_)
    if (e->id == entry.id) throw Error("history entry id '" + entry.id + "' is already used");
  if (entry.created.empty()) entry.created = utc_now_iso8601();
  serial_ = std::max(serial_, serial_of(entry.id));
  entries_.push_back(std::make_shared<const HistoryEntry>(std::move(entry)));
  cursor_ = size() - 1;
  return *entries_.back();
}

History History::from_entries(std::vector<EntryPtr> entries, int cursor) {
  History h;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const HistoryEntry& e = *entries[i];
    if (i == 0 && e.kind == EntryKind::Edit)
      throw Error("history entry 0 (" + e.id + ") is an edit; the first must be new or generate");
    if (i > 0 && e.kind != EntryKind::Edit)
      throw Error("history entry " + std::to_string(i) + " (" + e.id + ") is a '" +
                  to_string(e.kind) + "'; only edits can follow the first entry");
    if (!ids.insert(e.id).second) throw Error("history entry id '" + e.id + "' appears twice");
    h.serial_ = std::max(h.serial_, serial_of(e.id));
  }
  const int n = static_cast<int>(entries.size());
  if (n == 0 ? cursor != -1 : (cursor < 0 || cursor >= n))
    throw Error("history cursor " + std::to_string(cursor) + " is out of range for " +
                std::to_string(n) + " entries");
  h.entries_ = std::move(entries);
  h.cursor_ = cursor;
  return h;
}

}  // namespace faceg2e::session
