#pragma once
// The document's history: a list of immutable entries and a cursor. The first entry makes the
// face (`new` or `generate`); every further entry is an edit of the entry before it. Undo, redo
// and goto only move the cursor; the face shown, edited and exported is the entry at the cursor.
//
// Appending at the cursor after an undo DROPS the redo tail (linear history, like every text
// editor's undo): the entries after the cursor are gone from the history, and the project store
// removes their folders once the manifest without them is committed. We chose drop-tail over
// branching because a branch needs a way to show and pick branches in the CLI and GUI that
// nobody has designed yet; the on-disk entry format (one folder per entry, the manifest listing
// the ids in order) would carry a tree later by giving entries a parent id.
//
// Torch-free. Entries are shared, never mutated: copying a History is cheap.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/session/face_state.h"
#include "core/util/image_io.h"

namespace faceg2e::session {

enum class EntryKind { New, Generate, Edit };
const char* to_string(EntryKind kind);  // "new", "generate", "edit"
// std::nullopt for an unknown word.
std::optional<EntryKind> parse_entry_kind(const std::string& word);

// A model file an entry was made with, by role (e.g. "face_model", "geometry", "edit").
struct ModelFile {
  std::string role;
  std::string path;
  std::string sha256;  // 64 hex digits; empty when the file was not hashed
};

struct HistoryEntry {
  std::string id;  // folder name under entries/; assigned by History::append when empty
  EntryKind kind = EntryKind::New;
  std::string created;                               // ISO 8601 UTC; append fills it when empty
  std::string text;                                  // prompt (generate) or instruction (edit)
  std::string scope;                                 // edit scope: texture | geometry | expression
  std::vector<std::string> words;                    // the edited words W was built from
  std::vector<std::string> regions;                  // user region lock (region label names)
  nlohmann::json params = nlohmann::json::object();  // the run's parameters, free form
  std::optional<std::uint64_t> seed;
  std::vector<ModelFile> models;
  nlohmann::json timings = nlohmann::json::object();  // seconds by phase, free form
  std::optional<double> final_loss;

  FaceState state;       // the face after this entry (float albedo, optional latent)
  FloatImage weights;    // W: 1 channel, atlas layout, 0 = free, 1 = locked; empty unless edit
  FloatImage attention;  // the last attention map in the atlas (1 channel); optional
  Image8 thumbnail;      // a small render; optional
};

// The entry's record: everything but the face state, W, attention and thumbnail. This is what
// entry.json holds (plus its file list) and what export sidecars show.
nlohmann::json entry_record_json(const HistoryEntry& entry);

class History {
 public:
  using EntryPtr = std::shared_ptr<const HistoryEntry>;

  bool empty() const { return entries_.empty(); }
  int size() const { return static_cast<int>(entries_.size()); }
  // Index of the entry in effect; -1 only when empty.
  int cursor() const { return cursor_; }
  const std::vector<EntryPtr>& entries() const { return entries_; }
  const HistoryEntry& at(int index) const;  // Error when out of range
  const HistoryEntry& current() const;      // Error when empty

  bool can_undo() const { return cursor_ > 0; }
  bool can_redo() const { return cursor_ + 1 < size(); }
  // Move the cursor. Error ("nothing to undo", "no entry N") when not possible.
  void undo();
  void redo();
  void go_to(int index);

  // Drops the entries after the cursor, then adds `entry` there and moves the cursor to it.
  // The first entry must be `new` or `generate`, later ones `edit` (Error otherwise). Fills an
  // empty id (unique within this history and across the ids it ever held) and created time.
  const HistoryEntry& append(HistoryEntry entry);

  // Rebuilds a history as read from disk: entries in order, the cursor, ids as stored. Error
  // when the kinds are out of order, ids repeat or the cursor is out of range.
  static History from_entries(std::vector<EntryPtr> entries, int cursor);

 private:
  std::string new_id() const;
  std::vector<EntryPtr> entries_;
  int cursor_ = -1;
  std::uint64_t serial_ = 0;  // highest serial seen in ids; new ids count up from it
};

// The whole history for export sidecars: {"cursor": i, "entries": [record + "index", ...]}.
nlohmann::json history_json(const History& history);

}  // namespace faceg2e::session
