#pragma once
// CLIP byte-level BPE tokenizer, reproducing transformers' CLIPTokenizer (ftfy code path with
// fix_text = identity): whitespace collapse + strip, Python lower-casing, the CLIP regex, byte
// to unicode mapping, BPE by merge rank. Added tokens (<|startoftext|>, <|endoftext|> and, for
// SD2 tokenizers whose pad token is "!", the "!") are split out of the raw text first, exactly
// as transformers does, so SD2 ids differ from OpenAI's for text containing "!".
// The tables come from a transformers tokenizer folder (vocab.json + merges.txt) or from OpenAI's
// gzip'd merges list (bpe_simple_vocab_16e6.txt.gz); both give the same tokenizer.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace faceg2e::diffusion {

struct TokenizerConfig {
  int max_length = 77;  // model_max_length (CLIP context length)
  std::string pad_token = "<|endoftext|>";
  std::string bos_token = "<|startoftext|>";
  std::string eos_token = "<|endoftext|>";

  // SD2.x tokenizers (diffusers' stable-diffusion-2* folders) pad with "!" (id 0) instead of
  // <|endoftext|>; everything else is the SD1.x default.
  static TokenizerConfig sd2() {
    TokenizerConfig c;
    c.pad_token = "!";
    return c;
  }
};

class ClipTokenizer {
 public:
  // A tokenizer folder: vocab.json + merges.txt (+ tokenizer_config.json /
  // special_tokens_map.json for the pad token and max length). Throws FormatError/NotFoundError.
  static std::shared_ptr<ClipTokenizer> from_folder(const std::filesystem::path& dir);
  // vocab.json + merges.txt with an explicit config.
  static std::shared_ptr<ClipTokenizer> from_files(const std::filesystem::path& vocab_json,
                                                   const std::filesystem::path& merges_txt,
                                                   TokenizerConfig config = {});
  // OpenAI's gzip'd BPE merges list (CLIP's bpe_simple_vocab_16e6.txt.gz), with the vocabulary
  // built as OpenAI's SimpleTokenizer builds it: the 256 byte stand-ins, the same with "</w>",
  // one entry per merge (lines [1, 48895) of the file), <|startoftext|>, <|endoftext|> = 49408
  // ids. Nothing in the file says which Stable Diffusion version it is for: pass
  // TokenizerConfig::sd2() (pad "!") for SD2.x models, the default config for SD1.x.
  // Encoding follows transformers' CLIPTokenizer like the folder path (no html.unescape).
  // Throws NotFoundError when missing, FormatError naming the file when it is not gzip, corrupt,
  // truncated, decompresses to more than kMaxBpeGzBytes, or holds too few / malformed merges.
  static std::shared_ptr<ClipTokenizer> from_bpe_gz(const std::filesystem::path& gz, TokenizerConfig config = {});
  static constexpr std::size_t kMaxBpeGzBytes = std::size_t{16} << 20;  // the real file inflates to 3.2 MB

  // BOS + ids + EOS, not truncated, not padded (transformers' input_ids without padding).
  std::vector<std::int64_t> encode_unpadded(const std::string& text) const;
  // BOS + first (max_length-2) ids + EOS, padded with pad_id() to max_length.
  std::vector<std::int64_t> encode_padded(const std::string& text) const;
  // The token strings of encode_unpadded (byte-level unicode form, "</w>" suffixes).
  std::vector<std::string> tokens(const std::string& text) const;
  // Token strings back to text, as transformers' decode does: byte stand-ins to bytes, "</w>"
  // to a space. The text is the tokenizer's normalised form (lower case, collapsed spaces).
  std::string decode_tokens(const std::vector<std::string>& tokens) const;
  // What encode_padded(text) cuts off: the text of the tokens past max_length - 2, empty when
  // the prompt fits. For the "prompt too long" warning (as A1111 shows it) before a run.
  std::string dropped_text(const std::string& text) const;
  // The number of text tokens (without BOS/EOS); more than max_length() - 2 are truncated.
  std::size_t count_tokens(const std::string& text) const;

  // Positions in encode_padded(prompt) of the tokens of `word` (every occurrence of the whole
  // token sequence of `word`; e.g. "lips" in "make her lips red" -> {3}). Empty if absent or
  // truncated away. Used by editing to find the attention maps of a word.
  std::vector<int> token_indices_for_word(const std::string& prompt, const std::string& word) const;

  std::int64_t bos_id() const { return bos_id_; }
  std::int64_t eos_id() const { return eos_id_; }
  std::int64_t pad_id() const { return pad_id_; }
  int max_length() const { return config_.max_length; }
  std::size_t vocab_size() const { return encoder_.size(); }
  // token string -> id, and "a b" merge -> rank (0 = first merge applied).
  const std::unordered_map<std::string, std::int64_t>& vocabulary() const { return encoder_; }
  const std::unordered_map<std::string, int>& merge_ranks() const { return merge_ranks_; }

 private:
  ClipTokenizer() = default;
  // Shared by every loader: takes the tables, builds the byte map, special ids and added tokens.
  // `source` names the file that errors (e.g. a special token missing from the vocabulary) blame.
  void init(std::unordered_map<std::string, std::int64_t> encoder, const std::vector<std::string>& merges,
            TokenizerConfig config, const std::string& source);
  // ids of the text without BOS/EOS.
  std::vector<std::int64_t> encode_body(const std::string& text, std::vector<std::string>* tokens) const;
  void tokenize_chunk(const std::string& chunk, std::vector<std::string>& out) const;
  std::string bpe(const std::string& token) const;

  TokenizerConfig config_;
  std::unordered_map<std::string, std::int64_t> encoder_;
  std::unordered_map<std::string, int> merge_ranks_;  // "a b" -> rank
  std::string byte_encoder_[256];                       // byte -> its unicode stand-in (UTF-8)
  std::vector<std::string> added_tokens_;               // split out of raw text, longest first
  std::int64_t bos_id_ = 0, eos_id_ = 0, pad_id_ = 0;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::string> cache_;
};

}  // namespace faceg2e::diffusion
