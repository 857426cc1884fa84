#include "core/diffusion/tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/diffusion/tokenizer_unicode.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::diffusion {
namespace {

namespace uc = unicode;

// transformers' CLIPTokenizer keeps merges[1 : 49152 - 256 - 2 + 1] of merges.txt.
constexpr std::size_t kMaxMerges = 49152 - 256 - 2;
constexpr std::size_t kCacheLimit = 1 << 16;

// A special-token entry is either a string or {"content": ...}.
std::string token_content(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return {};
}

// Python's re.sub(r"\s+", " ", text).strip() followed by str.lower().
std::u32string clean_and_lower(const std::u32string& text) {
  std::u32string collapsed;
  collapsed.reserve(text.size());
  bool in_space = false;
  for (char32_t c : text) {
    if (uc::is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space && !collapsed.empty()) collapsed.push_back(U' ');
    in_space = false;
    collapsed.push_back(c);
  }
  std::u32string lowered;
  lowered.reserve(collapsed.size());
  for (char32_t c : collapsed) uc::append_lower(c, lowered);
  return lowered;
}

bool starts_with_at(const std::u32string& s, std::size_t i, const std::u32string& lit) {
  return s.size() - i >= lit.size() && s.compare(i, lit.size(), lit) == 0;
}

// re.findall of the CLIP pattern
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (alternatives tried in order at each position; positions where none matches are skipped).
std::vector<std::u32string> clip_pretokenize(const std::u32string& s) {
  static const std::u32string kSpecials[] = {U"<|startoftext|>", U"<|endoftext|>"};
  static const std::u32string kContractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  std::vector<std::u32string> out;
  std::size_t i = 0;
  const auto other = [](char32_t c) { return !uc::is_space(c) && !uc::is_letter(c) && !uc::is_number(c); };
  while (i < s.size()) {
    bool matched = false;
    for (const auto& lit : kSpecials) {
      if (starts_with_at(s, i, lit)) {
        out.push_back(lit);
        i += lit.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    for (const auto& lit : kContractions) {
      if (starts_with_at(s, i, lit)) {
        out.push_back(lit);
        i += lit.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    const char32_t c = s[i];
    if (uc::is_letter(c)) {
      std::size_t j = i + 1;
      while (j < s.size() && uc::is_letter(s[j])) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    } else if (uc::is_number(c)) {
      out.push_back(s.substr(i, 1));
      ++i;
    } else if (other(c)) {
      std::size_t j = i + 1;
      while (j < s.size() && other(s[j])) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    } else {
      ++i;  // whitespace
    }
  }
  return out;
}

// Python's bytes_to_unicode(), in its order: the printable bytes map to themselves, the other 68
// to U+0100.., as UTF-8 strings. The order matters: it is the first 256 ids of OpenAI's vocab.
std::vector<std::pair<int, std::string>> byte_symbols() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<char32_t> cs(bs.begin(), bs.end());
  int n = 0;
  for (int b = 0; b < 256; ++b)
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(static_cast<char32_t>(256 + n++));
    }
  std::vector<std::pair<int, std::string>> out(bs.size());
  for (std::size_t k = 0; k < bs.size(); ++k) {
    out[k].first = bs[k];
    uc::append_utf8(cs[k], out[k].second);
  }
  return out;
}

// Strict UTF-8 (what Python's .decode("utf-8") accepts): returns the offset of the first bad
// byte, or npos.
std::size_t first_invalid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string::npos;
}

enum class MergesLayout {
  Transformers,  // merges.txt: text.strip().split("\n")[1 : 48895], at least one merge
  OpenAI,        // bpe_simple_vocab_16e6.txt: text.split("\n")[1 : 48895], all of them present
};

// The merge lines of the range the reference keeps, each as "a b" (Python's line.split() must
// give exactly two parts).
std::vector<std::string> parse_merges(const std::string& text, const std::string& source, MergesLayout layout) {
  if (const auto bad = first_invalid_utf8(text); bad != std::string::npos)
    throw FormatError(source, "not UTF-8 (bad byte at offset " + std::to_string(bad) + ")");
  std::size_t begin = 0, end = text.size();
  if (layout == MergesLayout::Transformers) {
    const auto ascii_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (begin < end && ascii_space(text[begin])) ++begin;
    while (end > begin && ascii_space(text[end - 1])) --end;
  }
  std::vector<std::string> merges;
  merges.reserve(kMaxMerges);
  std::size_t line_no = 0, pos = begin;
  while (pos <= end && merges.size() < kMaxMerges) {
    const auto nl = text.find('\n', pos);
    const std::size_t stop = (nl == std::string::npos || nl > end) ? end : nl;
    if (line_no > 0) {  // line 0 is the "#version" header, skipped by the reference too
      std::vector<std::string> parts;
      std::u32string cur;
      for (char32_t c : uc::decode_utf8(text.substr(pos, stop - pos))) {
        if (uc::is_space(c)) {
          if (!cur.empty()) parts.push_back(uc::encode_utf8(cur));
          cur.clear();
        } else {
          cur.push_back(c);
        }
      }
      if (!cur.empty()) parts.push_back(uc::encode_utf8(cur));
      if (parts.size() != 2)
        throw FormatError(source, "line " + std::to_string(line_no + 1) + " is not two space-separated tokens");
      merges.push_back(parts[0] + " " + parts[1]);
    }
    ++line_no;
    if (stop == end) break;
    pos = stop + 1;
  }
  if (layout == MergesLayout::OpenAI && merges.size() < kMaxMerges)
    throw FormatError(source, "has " + std::to_string(merges.size()) + " merge lines after the header, CLIP needs " +
                                  std::to_string(kMaxMerges));
  if (merges.empty()) throw FormatError(source, "no merges");
  return merges;
}

// The whole decompressed content of a gzip file (several members allowed, as Python's gzip
// reads them), at most `max_bytes`.
std::string gunzip_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw NotFoundError("no such file: " + path.string());
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes)
    throw FormatError(path.string(), "compressed size " + std::to_string(size) + " bytes is over the limit");
  const std::string in = read_file(path);
  const auto is_member_start = [](const unsigned char* p, std::size_t n) {
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
  };
  if (!is_member_start(reinterpret_cast<const unsigned char*>(in.data()), in.size()))
    throw FormatError(path.string(), "not a gzip file (no 1f 8b signature)");

  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error("zlib: inflateInit2 failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end_guard{&zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());  // <= max_bytes, fits

  std::string out;
  std::vector<char> buf(1 << 16);
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
    if (out.size() > max_bytes)
      throw FormatError(path.string(), "decompresses to more than " + std::to_string(max_bytes) + " bytes");
    if (rc == Z_STREAM_END) {
      // Python's gzip skips zero padding after a member, then expects another member or the end.
      while (zs.avail_in > 0 && *zs.next_in == 0) {
        ++zs.next_in;
        --zs.avail_in;
      }
      if (zs.avail_in == 0) break;
      if (!is_member_start(zs.next_in, zs.avail_in))
        throw FormatError(path.string(), "trailing data after the gzip stream");
      if (inflateReset(&zs) != Z_OK) throw Error("zlib: inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0)
      throw FormatError(path.string(), "truncated gzip data (ends before the end of the stream)");
    if (rc == Z_MEM_ERROR) throw Error("zlib: out of memory inflating " + path.string());
    throw FormatError(path.string(),
                      std::string("corrupt gzip data") + (zs.msg ? std::string(": ") + zs.msg : std::string()));
  }
  return out;
}

std::unordered_map<std::string, std::int64_t> read_vocab_json(const std::filesystem::path& vocab_json) {
  const auto vocab = read_json_file(vocab_json);
  if (!vocab.is_object()) throw FormatError(vocab_json.string(), "vocab is not a JSON object");
  std::unordered_map<std::string, std::int64_t> encoder;
  encoder.reserve(vocab.size() * 2);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer())
      throw FormatError(vocab_json.string(), "id of token '" + it.key() + "' is not an integer");
    encoder[it.key()] = it.value().get<std::int64_t>();
  }
  return encoder;
}

}  // namespace

std::shared_ptr<ClipTokenizer> ClipTokenizer::from_folder(const std::filesystem::path& dir) {
  const auto vocab = dir / "vocab.json";
  const auto merges = dir / "merges.txt";
  if (!std::filesystem::exists(vocab) || !std::filesystem::exists(merges))
    throw NotFoundError("tokenizer folder " + dir.string() + " needs vocab.json and merges.txt");
  TokenizerConfig cfg;
  std::vector<std::string> added;
  for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
    const auto p = dir / name;
    if (!std::filesystem::exists(p)) continue;
    const auto j = read_json_file(p);
    if (!j.is_object()) throw FormatError(p.string(), "not a JSON object");
    for (const auto& [key, field] : {std::pair<const char*, std::string*>{"pad_token", &cfg.pad_token},
                                     {"bos_token", &cfg.bos_token},
                                     {"eos_token", &cfg.eos_token}}) {
      if (j.contains(key)) {
        const auto c = token_content(j[key]);
        if (!c.empty()) *field = c;
      }
    }
    if (j.contains("model_max_length") && j["model_max_length"].is_number_integer()) {
      const auto m = j["model_max_length"].get<std::int64_t>();
      // transformers writes a huge sentinel when no length is known; CLIP's context is 77.
      if (m >= 3 && m <= 4096) cfg.max_length = static_cast<int>(m);
    }
    if (j.contains("added_tokens_decoder") && j["added_tokens_decoder"].is_object())
      for (const auto& v : j["added_tokens_decoder"]) {
        const auto c = token_content(v);
        if (!c.empty()) added.push_back(c);
      }
  }
  std::shared_ptr<ClipTokenizer> t = from_files(vocab, merges, cfg);
  for (const auto& a : added)
    if (std::find(t->added_tokens_.begin(), t->added_tokens_.end(), a) == t->added_tokens_.end())
      t->added_tokens_.push_back(a);
  std::sort(t->added_tokens_.begin(), t->added_tokens_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return t;
}

std::shared_ptr<ClipTokenizer> ClipTokenizer::from_files(const std::filesystem::path& vocab_json,
                                                         const std::filesystem::path& merges_txt,
                                                         TokenizerConfig config) {
  auto encoder = read_vocab_json(vocab_json);
  if (!std::filesystem::exists(merges_txt)) throw NotFoundError("no such file: " + merges_txt.string());
  const auto merges = parse_merges(read_file(merges_txt), merges_txt.string(), MergesLayout::Transformers);
  std::shared_ptr<ClipTokenizer> t(new ClipTokenizer());
  t->init(std::move(encoder), merges, std::move(config), vocab_json.string());
  return t;
}

std::shared_ptr<ClipTokenizer> ClipTokenizer::from_bpe_gz(const std::filesystem::path& gz, TokenizerConfig config) {
  const auto merges = parse_merges(gunzip_file(gz, kMaxBpeGzBytes), gz.string(), MergesLayout::OpenAI);
  // SimpleTokenizer: vocab = bytes, bytes + "</w>", merges joined, the two specials; the id is
  // the list position (dict(zip(vocab, range(len(vocab))))).
  std::vector<std::string> vocab;
  vocab.reserve(2 * 256 + merges.size() + 2);
  const auto symbols = byte_symbols();
  for (const auto& s : symbols) vocab.push_back(s.second);
  for (const auto& s : symbols) vocab.push_back(s.second + "</w>");
  for (const auto& m : merges) {
    const auto sp = m.find(' ');
    vocab.push_back(m.substr(0, sp) + m.substr(sp + 1));
  }
  vocab.emplace_back("<|startoftext|>");
  vocab.emplace_back("<|endoftext|>");
  std::unordered_map<std::string, std::int64_t> encoder;
  encoder.reserve(vocab.size() * 2);
  for (std::size_t i = 0; i < vocab.size(); ++i) encoder[vocab[i]] = static_cast<std::int64_t>(i);
  std::shared_ptr<ClipTokenizer> t(new ClipTokenizer());
  t->init(std::move(encoder), merges, std::move(config), gz.string());
  return t;
}

void ClipTokenizer::init(std::unordered_map<std::string, std::int64_t> encoder,
                         const std::vector<std::string>& merges, TokenizerConfig config, const std::string& source) {
  config_ = std::move(config);
  encoder_ = std::move(encoder);
  // Later duplicates win, as in the reference's dict(zip(merges, range(len(merges)))).
  merge_ranks_.clear();
  merge_ranks_.reserve(merges.size() * 2);
  for (std::size_t r = 0; r < merges.size(); ++r) merge_ranks_[merges[r]] = static_cast<int>(r);

  for (const auto& [byte, symbol] : byte_symbols()) byte_encoder_[byte] = symbol;

  const auto id_of = [&](const std::string& tok, const char* what) {
    const auto it = encoder_.find(tok);
    if (it == encoder_.end()) throw FormatError(source, std::string(what) + " '" + tok + "' is not in the vocabulary");
    return it->second;
  };
  bos_id_ = id_of(config_.bos_token, "bos token");
  eos_id_ = id_of(config_.eos_token, "eos token");
  pad_id_ = id_of(config_.pad_token, "pad token");
  added_tokens_ = {config_.bos_token, config_.eos_token};
  if (config_.pad_token != config_.eos_token && config_.pad_token != config_.bos_token)
    added_tokens_.push_back(config_.pad_token);
  std::sort(added_tokens_.begin(), added_tokens_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  cache_.clear();
  cache_[config_.bos_token] = config_.bos_token;
  cache_[config_.eos_token] = config_.eos_token;
}

std::string ClipTokenizer::bpe(const std::string& token) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(token);
    if (it != cache_.end()) return it->second;
  }
  // Split into code points (each one byte stand-in), the last carrying "</w>".
  std::vector<std::string> word;
  {
    const auto cps = uc::decode_utf8(token);
    for (char32_t c : cps) {
      std::string s;
      uc::append_utf8(c, s);
      word.push_back(std::move(s));
    }
  }
  if (word.empty()) return token;
  word.back() += "</w>";
  if (word.size() > 1) {
    std::string key;
    while (true) {
      int best_rank = std::numeric_limits<int>::max();
      std::size_t best = 0;
      for (std::size_t i = 0; i + 1 < word.size(); ++i) {
        key.assign(word[i]).append(" ").append(word[i + 1]);
        const auto it = merge_ranks_.find(key);
        if (it != merge_ranks_.end() && it->second < best_rank) {
          best_rank = it->second;
          best = i;
        }
      }
      if (best_rank == std::numeric_limits<int>::max()) break;
      const std::string first = word[best], second = word[best + 1];
      std::vector<std::string> merged;
      merged.reserve(word.size());
      for (std::size_t i = 0; i < word.size();) {
        if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
          merged.push_back(first + second);
          i += 2;
        } else {
          merged.push_back(word[i]);
          ++i;
        }
      }
      word.swap(merged);
      if (word.size() == 1) break;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (i) out.push_back(' ');
    out += word[i];
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() > kCacheLimit) {
    cache_.clear();
    cache_[config_.bos_token] = config_.bos_token;
    cache_[config_.eos_token] = config_.eos_token;
  }
  cache_[token] = out;
  return out;
}

void ClipTokenizer::tokenize_chunk(const std::string& chunk, std::vector<std::string>& out) const {
  const auto text = clean_and_lower(uc::decode_utf8(chunk));
  for (const auto& piece : clip_pretokenize(text)) {
    std::string mapped;
    for (unsigned char b : uc::encode_utf8(piece)) mapped += byte_encoder_[b];
    const std::string merged = bpe(mapped);
    std::size_t start = 0;
    while (start <= merged.size()) {
      const auto sp = merged.find(' ', start);
      const auto end = sp == std::string::npos ? merged.size() : sp;
      if (end > start) out.push_back(merged.substr(start, end - start));
      if (sp == std::string::npos) break;
      start = sp + 1;
    }
  }
}

std::vector<std::int64_t> ClipTokenizer::encode_body(const std::string& text,
                                                     std::vector<std::string>* tokens_out) const {
  // Split the raw text on added tokens (leftmost, longest first), as transformers' trie does.
  std::vector<std::string> toks;
  std::size_t start = 0, i = 0;
  while (i < text.size()) {
    const std::string* hit = nullptr;
    for (const auto& a : added_tokens_)
      if (!a.empty() && text.compare(i, a.size(), a) == 0) {
        hit = &a;
        break;
      }
    if (!hit) {
      ++i;
      continue;
    }
    if (i > start) tokenize_chunk(text.substr(start, i - start), toks);
    toks.push_back(*hit);
    i += hit->size();
    start = i;
  }
  if (start < text.size()) tokenize_chunk(text.substr(start), toks);

  std::vector<std::int64_t> ids;
  ids.reserve(toks.size());
  for (const auto& t : toks) {
    const auto it = encoder_.find(t);
    // The reference maps unknown tokens to unk (= <|endoftext|>); byte-level BPE never produces one.
    ids.push_back(it == encoder_.end() ? eos_id_ : it->second);
  }
  if (tokens_out) *tokens_out = std::move(toks);
  return ids;
}

std::vector<std::int64_t> ClipTokenizer::encode_unpadded(const std::string& text) const {
  auto body = encode_body(text, nullptr);
  std::vector<std::int64_t> ids;
  ids.reserve(body.size() + 2);
  ids.push_back(bos_id_);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(eos_id_);
  return ids;
}

std::vector<std::int64_t> ClipTokenizer::encode_padded(const std::string& text) const {
  auto body = encode_body(text, nullptr);
  const std::size_t keep = static_cast<std::size_t>(std::max(0, config_.max_length - 2));
  if (body.size() > keep) body.resize(keep);
  std::vector<std::int64_t> ids;
  ids.reserve(config_.max_length);
  ids.push_back(bos_id_);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(eos_id_);
  while (ids.size() < static_cast<std::size_t>(config_.max_length)) ids.push_back(pad_id_);
  return ids;
}

std::vector<std::string> ClipTokenizer::tokens(const std::string& text) const {
  std::vector<std::string> toks;
  encode_body(text, &toks);
  toks.insert(toks.begin(), config_.bos_token);
  toks.push_back(config_.eos_token);
  return toks;
}

std::string ClipTokenizer::decode_tokens(const std::vector<std::string>& toks) const {
  std::unordered_map<std::string, unsigned char> decoder;
  for (int b = 0; b < 256; ++b) decoder[byte_encoder_[b]] = static_cast<unsigned char>(b);
  std::string out;
  for (std::string t : toks) {
    bool word_end = false;
    if (t.size() >= 4 && t.compare(t.size() - 4, 4, "</w>") == 0) {
      t.resize(t.size() - 4);
      word_end = true;
    }
    // Each stand-in is one UTF-8 character; added tokens are ASCII and map to themselves.
    for (std::size_t i = 0; i < t.size();) {
      const auto lead = static_cast<unsigned char>(t[i]);
      const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      const std::string ch = t.substr(i, len);
      const auto it = decoder.find(ch);
      if (it != decoder.end())
        out += static_cast<char>(it->second);
      else
        out += ch;
      i += len;
    }
    if (word_end) out += ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::size_t ClipTokenizer::count_tokens(const std::string& text) const {
  return encode_body(text, nullptr).size();
}

std::string ClipTokenizer::dropped_text(const std::string& text) const {
  std::vector<std::string> toks;
  encode_body(text, &toks);
  const std::size_t keep = static_cast<std::size_t>(std::max(0, config_.max_length - 2));
  if (toks.size() <= keep) return {};
  return decode_tokens(
      std::vector<std::string>(toks.begin() + static_cast<std::ptrdiff_t>(keep), toks.end()));
}

std::vector<int> ClipTokenizer::token_indices_for_word(const std::string& prompt,
                                                       const std::string& word) const {
  const auto ids = encode_padded(prompt);
  const auto w = encode_body(word, nullptr);
  std::vector<int> out;
  if (w.empty()) return out;
  // Only the real tokens (between BOS and the first EOS) can match.
  std::size_t end = 1;
  while (end < ids.size() && ids[end] != eos_id_) ++end;
  for (std::size_t i = 1; i + w.size() <= end; ++i) {
    if (std::equal(w.begin(), w.end(), ids.begin() + static_cast<std::ptrdiff_t>(i)))
      for (std::size_t k = 0; k < w.size(); ++k) out.push_back(static_cast<int>(i + k));
  }
  return out;
}

}  // namespace faceg2e::diffusion
