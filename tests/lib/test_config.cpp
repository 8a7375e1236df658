// The model config: schema (4ae9fb2's and 9514983's keys), strictness, variant lookup and path
// resolution; the shipped model packs, the language choice and each pack's voices.
// Standard headers first: check.h defines a `fail` macro that breaks <ios> included after it.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <check.h>

#include <pockettts/error.h>
#include <pockettts/model_packs.h>
#include <pockettts/voices.h>
#include "formats/config.h"
#include "test_util.h"

using pockettts::Config;
using pockettts::Error;
using pockettts::ErrorCode;
using pockettts_test::data_path;
using pockettts_test::make_temp_dir;
using pockettts_test::read_text_file;
using pockettts_test::write_bytes;

namespace {

void assert_contains(const std::string& text, const std::string& part) {
  ck_assert_msg(text.find(part) != std::string::npos, "'%s' not found in '%s'", part.c_str(),
                text.c_str());
}

// The tiny config's text with `from` replaced by `to` (which must occur).
std::string tiny_config_with(const std::string& from, const std::string& to) {
  std::string text = read_text_file(data_path("tiny/config.yaml"));
  const size_t at = text.find(from);
  ck_assert_msg(at != std::string::npos, "'%s' not in the tiny config", from.c_str());
  return text.replace(at, from.size(), to);
}

// Parses `text` and returns the error; fails unless it is Error(code).
std::string parse_error(const std::string& text, ErrorCode code = ErrorCode::kInvalidData) {
  try {
    pockettts::parse_config(text, "/x", "/x/config.yaml");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(code));
    return e.what();
  }
  ck_abort_msg("the config was accepted");
  return "";
}

std::string load_error(const std::string& variant_or_path) {
  try {
    pockettts::load_config(variant_or_path);
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kNotFound));
    return e.what();
  }
  ck_abort_msg("'%s' loaded", variant_or_path.c_str());
  return "";
}

}  // namespace

START_TEST(test_tiny_config_loads_with_absolute_paths) {
  const Config c = pockettts::load_config(data_path("tiny/config.yaml"));
  const std::string dir = data_path("tiny");
  ASSERT_STR_EQ(c.source, (dir + "/config.yaml"));
  ck_assert(c.weights_path.has_value());
  ASSERT_STR_EQ(*c.weights_path, (dir + "/weights.safetensors"));
  ck_assert(!c.weights_path_without_voice_cloning.has_value());
  ASSERT_STR_EQ(c.flow_lm.lookup_table.tokenizer_path, (dir + "/tokenizer.model"));
  ASSERT_STR_EQ(c.flow_lm.lookup_table.tokenizer, "sentencepiece");
  ck_assert(!c.flow_lm.weights_path.has_value());
  ck_assert(!c.mimi.weights_path.has_value());

  ASSERT_STR_EQ(c.flow_lm.dtype, "float32");
  ck_assert_int_eq(c.flow_lm.flow.depth, 2);
  ck_assert_int_eq(c.flow_lm.flow.dim, 32);
  ck_assert_int_eq(c.flow_lm.transformer.d_model, 64);
  ck_assert_int_eq(c.flow_lm.transformer.hidden_scale, 4);
  ck_assert_int_eq(c.flow_lm.transformer.max_period, 10000);
  ck_assert_int_eq(c.flow_lm.transformer.num_heads, 4);
  ck_assert_int_eq(c.flow_lm.transformer.num_layers, 2);
  ck_assert_int_eq(c.flow_lm.lookup_table.dim, 64);
  ck_assert_int_eq(c.flow_lm.lookup_table.n_bins, 400);

  ck_assert_int_eq(c.mimi.sample_rate, 24000);
  ck_assert_int_eq(c.mimi.channels, 1);
  ck_assert_double_eq(c.mimi.frame_rate, 12.5);
  ck_assert_int_eq(c.mimi.seanet.dimension, 32);
  ck_assert_int_eq(c.mimi.seanet.n_filters, 4);
  ck_assert(c.mimi.seanet.ratios == (std::vector<int>{6, 5, 4}));
  ck_assert_int_eq(c.mimi.seanet.kernel_size, 7);
  ck_assert_int_eq(c.mimi.seanet.residual_kernel_size, 3);
  ck_assert_int_eq(c.mimi.seanet.last_kernel_size, 3);
  ck_assert_int_eq(c.mimi.seanet.dilation_base, 2);
  ASSERT_STR_EQ(c.mimi.seanet.pad_mode, "constant");
  ck_assert_int_eq(c.mimi.seanet.compress, 2);
  ck_assert_int_eq(c.mimi.transformer.d_model, 32);
  ck_assert_int_eq(c.mimi.transformer.num_heads, 2);
  ck_assert_int_eq(c.mimi.transformer.num_layers, 1);
  ck_assert_double_eq(c.mimi.transformer.layer_scale, 0.01);
  ck_assert_int_eq(c.mimi.transformer.context, 250);
  ck_assert_int_eq(c.mimi.transformer.dim_feedforward, 64);
  ck_assert_int_eq(c.mimi.transformer.input_dimension, 32);
  ck_assert(c.mimi.transformer.output_dimensions == (std::vector<int>{32}));
  ck_assert_int_eq(c.mimi.quantizer.dimension, 8);
  ck_assert_int_eq(c.mimi.quantizer.output_dimension, 32);
}
END_TEST

START_TEST(test_mimi_max_period_defaults_to_10000) {
  const Config c = pockettts::load_config(data_path("tiny/config.yaml"));
  ck_assert_double_eq(c.mimi.transformer.max_period, 10000.0);
  const Config set = pockettts::parse_config(
      tiny_config_with("    context: 250\n", "    context: 250\n    max_period: 500.5\n"), "/x",
      "/x/config.yaml");
  ck_assert_double_eq(set.mimi.transformer.max_period, 500.5);
}
END_TEST

START_TEST(test_bf16_config_points_at_bf16_weights) {
  const Config c = pockettts::load_config(data_path("tiny/config_bf16.yaml"));
  ASSERT_STR_EQ(*c.weights_path, data_path("tiny/weights_bf16.safetensors"));
}
END_TEST

START_TEST(test_relative_config_path_gives_absolute_paths) {
  ck_assert_int_eq(chdir(data_path("").c_str()), 0);
  const Config c = pockettts::load_config("tiny/config.yaml");
  ASSERT_STR_EQ(*c.weights_path, data_path("tiny/weights.safetensors"));
  ASSERT_STR_EQ(c.source, data_path("tiny/config.yaml"));
}
END_TEST

START_TEST(test_uris_and_absolute_paths_are_kept) {
  std::string t =
      "weights_path: hf://org/repo/w.safetensors@abc\n"
      "weights_path_without_voice_cloning: https://example.com/w.safetensors\n" +
      tiny_config_with("weights_path: weights.safetensors\n", "");
  t = t.replace(t.find("tokenizer_path: tokenizer.model"),
                std::string("tokenizer_path: tokenizer.model").size(),
                "tokenizer_path: /abs/tok.model");
  t = t.replace(t.find("  dtype: float32\n  flow:"), std::string("  dtype: float32\n").size(),
                "  dtype: float32\n  weights_path: file:///a/flow.safetensors\n");
  t = t.replace(t.find("  dtype: float32\n  sample_rate"), std::string("  dtype: float32\n").size(),
                "  dtype: float32\n  weights_path: sub/../mimi.safetensors\n");
  const Config c = pockettts::parse_config(t, "/base/dir", "/base/dir/c.yaml");
  ASSERT_STR_EQ(*c.weights_path, "hf://org/repo/w.safetensors@abc");
  ASSERT_STR_EQ(*c.weights_path_without_voice_cloning, "https://example.com/w.safetensors");
  ASSERT_STR_EQ(c.flow_lm.lookup_table.tokenizer_path, "/abs/tok.model");
  ASSERT_STR_EQ(*c.flow_lm.weights_path, "file:///a/flow.safetensors");
  ASSERT_STR_EQ(*c.mimi.weights_path, "/base/dir/mimi.safetensors");
}
END_TEST

START_TEST(test_variant_id_found_in_config_dirs) {
  const Config c = pockettts::load_config("b6369a24");
  assert_contains(c.source, "/b6369a24.yaml");
  ck_assert_int_eq(c.flow_lm.transformer.d_model, 1024);
  ck_assert_int_eq(c.mimi.transformer.num_layers, 2);
  ASSERT_STR_EQ(*c.weights_path,
                "hf://kyutai/pocket-tts/tts_b6369a24.safetensors@"
                "427e3d61b276ed69fdd03de0d185fa8a8d97fc5b");
  ASSERT_STR_EQ(c.flow_lm.lookup_table.tokenizer_path,
                "hf://kyutai/pocket-tts-without-voice-cloning/tokenizer.model@"
                "d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3");
}
END_TEST

START_TEST(test_config_dir_variable_comes_first) {
  const std::string dir = make_temp_dir();
  write_bytes(dir + "/custom.yaml", read_text_file(data_path("tiny/config.yaml")));
  ck_assert_int_eq(setenv("POCKETTTS_CONFIG_DIR", dir.c_str(), 1), 0);
  const std::vector<std::string> dirs = pockettts::config_search_dirs();
  ck_assert_uint_ge(dirs.size(), 2);
  ASSERT_STR_EQ(dirs[0], dir);

  const Config c = pockettts::load_config("custom");
  ASSERT_STR_EQ(c.source, (dir + "/custom.yaml"));
  ASSERT_STR_EQ(*c.weights_path, (dir + "/weights.safetensors"));
  // The shipped variant is still found in the source tree behind it.
  ck_assert_int_eq(pockettts::load_config("b6369a24").flow_lm.transformer.d_model, 1024);
}
END_TEST

START_TEST(test_unknown_variant_lists_known_ones) {
  const std::string dir = make_temp_dir();
  write_bytes(dir + "/custom.yaml", "{}");
  ck_assert_int_eq(setenv("POCKETTTS_CONFIG_DIR", dir.c_str(), 1), 0);
  const std::string message = load_error("nosuchvariant");
  assert_contains(message, "unknown model variant 'nosuchvariant'");
  assert_contains(message, "b6369a24");
  assert_contains(message, "custom");
  assert_contains(message, dir);
}
END_TEST

START_TEST(test_missing_config_file_is_not_found) {
  const std::string path = make_temp_dir() + "/absent.yaml";
  assert_contains(load_error(path), "config file not found: " + path);
}
END_TEST

START_TEST(test_unknown_key_is_named_with_its_path) {
  assert_contains(
      parse_error(tiny_config_with("    compress: 2\n", "    compress: 2\n    foo: 1\n")),
      "unknown key 'mimi.seanet.foo' in /x/config.yaml");
  assert_contains(parse_error("extra: 1\n" + read_text_file(data_path("tiny/config.yaml"))),
                  "unknown key 'extra' in /x/config.yaml");
  assert_contains(parse_error(tiny_config_with("    depth: 2\n", "    depth: 2\n    width: 3\n")),
                  "unknown key 'flow_lm.flow.width'");
}
END_TEST

START_TEST(test_missing_key_is_named_with_its_path) {
  assert_contains(parse_error(tiny_config_with("    compress: 2\n", "")),
                  "missing key 'mimi.seanet.compress' in /x/config.yaml");
  assert_contains(parse_error(tiny_config_with("    tokenizer_path: tokenizer.model\n", "")),
                  "missing key 'flow_lm.lookup_table.tokenizer_path'");
  assert_contains(parse_error("mimi: {}\n"), "missing key 'flow_lm'");
}
END_TEST

START_TEST(test_wrong_type_is_named_with_its_path) {
  assert_contains(parse_error(tiny_config_with("sample_rate: 24000", "sample_rate: fast")),
                  "key 'mimi.sample_rate' in /x/config.yaml must be an integer, not 'fast'");
  assert_contains(parse_error(tiny_config_with("sample_rate: 24000", "sample_rate: 24000.5")),
                  "key 'mimi.sample_rate' in /x/config.yaml must be an integer");
  assert_contains(parse_error(tiny_config_with("frame_rate: 12.5", "frame_rate: [12.5]")),
                  "key 'mimi.frame_rate' in /x/config.yaml must be a number, not a list");
  assert_contains(
      parse_error(tiny_config_with("    ratios:\n    - 6\n", "    ratios: 6\n    x:\n")),
      "key 'mimi.seanet.ratios' in /x/config.yaml must be a list of integers");
  assert_contains(parse_error(tiny_config_with("    - 5\n", "    - five\n")),
                  "key 'mimi.seanet.ratios[1]' in /x/config.yaml must be an integer");
  assert_contains(
      parse_error(tiny_config_with("  flow:\n    depth: 2\n    dim: 32\n", "  flow: 3\n")),
      "key 'flow_lm.flow' in /x/config.yaml must be a mapping");
  assert_contains(parse_error(tiny_config_with("pad_mode: constant", "pad_mode: [a]")),
                  "key 'mimi.seanet.pad_mode' in /x/config.yaml must be a string");
}
END_TEST

START_TEST(test_integral_float_is_an_integer) {
  const Config c = pockettts::parse_config(
      tiny_config_with("sample_rate: 24000", "sample_rate: 24000.0"), "/x", "/x/config.yaml");
  ck_assert_int_eq(c.mimi.sample_rate, 24000);
}
END_TEST

START_TEST(test_invalid_yaml_is_invalid_data) {
  assert_contains(parse_error("flow_lm: [unclosed\n"), "cannot parse /x/config.yaml as YAML");
  assert_contains(parse_error(""), "/x/config.yaml does not contain a YAML mapping");
  assert_contains(parse_error("- a\n- b\n"), "does not contain a YAML mapping");
}
END_TEST

// --- 9514983's schema ------------------------------------------------------------------------

START_TEST(test_tiny_v2_config_reads_the_9514983_keys) {
  const Config c = pockettts::load_config(data_path("tiny-v2/config.yaml"));
  ck_assert(c.schema == pockettts::ConfigSchema::k9514983);
  ck_assert(c.remove_semicolons);
  ck_assert(c.pad_with_spaces_for_short_inputs);
  ck_assert(c.model_recommended_frames_after_eos.has_value());
  ck_assert_int_eq(*c.model_recommended_frames_after_eos, 4);
  ck_assert(c.flow_lm.insert_bos_before_voice);
  ck_assert_int_eq(*c.mimi.inner_dim, 8);
  ck_assert_int_eq(*c.mimi.outer_dim, 64);
  ck_assert_int_eq(c.mimi.latent_width(), 8);
  ck_assert_int_eq(c.mimi.upsample_input_width(), 64);
  ck_assert(c.variant.empty());  // loaded from a path

  const Config norec = pockettts::load_config(data_path("tiny-v2/config_norec.yaml"));
  ck_assert(!norec.model_recommended_frames_after_eos.has_value());
  ck_assert(norec.schema == pockettts::ConfigSchema::k9514983);
  ck_assert(!pockettts::load_config(data_path("tiny-v2/config_keepsemi.yaml")).remove_semicolons);
}
END_TEST

START_TEST(test_4ae9fb2_config_has_the_defaults) {
  const Config c = pockettts::load_config(data_path("tiny/config.yaml"));
  ck_assert(c.schema == pockettts::ConfigSchema::k4ae9fb2);
  ck_assert(!c.remove_semicolons);
  ck_assert(!c.pad_with_spaces_for_short_inputs);
  ck_assert(!c.model_recommended_frames_after_eos.has_value());
  ck_assert(!c.flow_lm.insert_bos_before_voice);
  ck_assert(!c.mimi.inner_dim.has_value() && !c.mimi.outer_dim.has_value());
  ck_assert_int_eq(c.mimi.latent_width(), c.mimi.seanet.dimension);
  ck_assert(pockettts::load_config("b6369a24").schema == pockettts::ConfigSchema::k4ae9fb2);
}
END_TEST

// Any one of 9514983's keys, even at its default value, makes the config a 9514983 one.
START_TEST(test_each_9514983_key_makes_a_9514983_config) {
  const std::string lines[] = {
      "remove_semicolons: false\nflow_lm:",
      "pad_with_spaces_for_short_inputs: false\nflow_lm:",
      "model_recommended_frames_after_eos: null\nflow_lm:",
      "flow_lm:\n  insert_bos_before_voice: false",
      "mimi:\n  inner_dim: 32",
      "mimi:\n  outer_dim: 32",
  };
  for (const std::string& line : lines) {
    const std::string from = line.rfind("mimi", 0) == 0 ? "mimi:" : "flow_lm:";
    const Config c = pockettts::parse_config(tiny_config_with(from, line), "/x", "/x/c.yaml");
    ck_assert_msg(c.schema == pockettts::ConfigSchema::k9514983, "%s", line.c_str());
  }
}
END_TEST

START_TEST(test_bad_9514983_values_are_named) {
  assert_contains(
      parse_error(tiny_config_with("flow_lm:", "flow_lm:\n  insert_bos_before_voice: maybe")),
      "'flow_lm.insert_bos_before_voice' in /x/config.yaml must be true or false");
  assert_contains(parse_error(tiny_config_with("mimi:", "mimi:\n  inner_dim: 0")),
                  "'mimi.inner_dim' in /x/config.yaml must be at least 1");
  assert_contains(
      parse_error(tiny_config_with("flow_lm:", "model_recommended_frames_after_eos: -1\nflow_lm:")),
      "'model_recommended_frames_after_eos' in /x/config.yaml must be at least 0");
  assert_contains(parse_error(tiny_config_with("flow_lm:", "remove_semicolons: [1]\nflow_lm:")),
                  "must be true or false");
}
END_TEST

// --- the shipped packs ------------------------------------------------------------------------

// The facts of the reference's pocket_tts/config/<pack>.yaml at 9514983.
START_TEST(test_every_pack_loads_with_the_reference_facts) {
  const std::string cloning = "hf://kyutai/pocket-tts/languages/";
  const std::string public_repo = "hf://kyutai/pocket-tts-without-voice-cloning/languages/";
  for (const pockettts::ModelPack& pack : pockettts::model_packs()) {
    const Config c = pockettts::load_config(pack.id);
    ASSERT_STR_EQ(c.variant, pack.id);
    ck_assert_int_eq(c.flow_lm.transformer.num_layers, pack.layers);
    ck_assert_int_eq(c.flow_lm.transformer.d_model, 1024);
    if (pack.id == "b6369a24") {
      ck_assert(c.schema == pockettts::ConfigSchema::k4ae9fb2);
      ASSERT_STR_EQ(pack.reference, "4ae9fb2");
      continue;
    }
    ASSERT_STR_EQ(pack.reference, "9514983");
    ck_assert_msg(c.schema == pockettts::ConfigSchema::k9514983, "%s", pack.id.c_str());
    const std::string revision = pack.id == "english_2026-04"
                                     ? "19f95fe2df36e79fbd9f10008595cc4c977a0fcc"
                                     : "39592ff23c9ef80098bb74895d104c26275fe2c9";
    ASSERT_STR_EQ(*c.weights_path, cloning + pack.id + "/model.safetensors@" + revision);
    ASSERT_STR_EQ(
        *c.weights_path_without_voice_cloning,
        public_repo + pack.id + "/model.safetensors@d29db7978e464fb90cb3359ee0c69a273b9142cc");
    const std::string tokenizer =
        pack.id == "english_2026-01"
            ? "hf://kyutai/pocket-tts-without-voice-cloning/tokenizer.model@"
              "d29db7978e464fb90cb3359ee0c69a273b9142cc"
            : public_repo + pack.id + "/tokenizer.model@d29db7978e464fb90cb3359ee0c69a273b9142cc";
    ASSERT_STR_EQ(c.flow_lm.lookup_table.tokenizer_path, tokenizer);
    const bool old_model = pack.id == "english_2026-01";
    ck_assert_int_eq(*c.mimi.inner_dim, old_model ? 512 : 32);
    ck_assert_int_eq(*c.mimi.outer_dim, 512);
    ck_assert(c.flow_lm.insert_bos_before_voice == !old_model);
    ck_assert(c.pad_with_spaces_for_short_inputs == old_model);
    ck_assert(c.remove_semicolons ==
              (pack.id == "french_24l" || pack.id == "german" || pack.id == "german_24l"));
    if (pack.id == "french_24l") {
      ck_assert_int_eq(*c.model_recommended_frames_after_eos, 8);
    } else {
      ck_assert(!c.model_recommended_frames_after_eos.has_value());
    }
  }
  ck_assert_uint_eq(pockettts::model_packs().size(), 13);
}
END_TEST

// Every shipped YAML is a pack, and every pack has its YAML (no stray or missing file).
START_TEST(test_variant_folder_holds_exactly_the_packs) {
  const std::string message = load_error("no-such-pack");
  const std::string head = "known variants are ";
  const size_t begin = message.find(head) + head.size(), end = message.find(" (looked");
  std::string expected;
  std::vector<std::string> ids;
  for (const pockettts::ModelPack& pack : pockettts::model_packs()) ids.push_back(pack.id);
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) expected += (expected.empty() ? "" : " ") + id;
  ASSERT_STR_EQ(message.substr(begin, end - begin), expected);
}
END_TEST

START_TEST(test_language_names_a_pack) {
  for (const pockettts::ModelPack& pack : pockettts::model_packs()) {
    if (pack.reference != "9514983") continue;
    ASSERT_STR_EQ(pockettts::variant_for_language(pack.id), pack.id);
  }
  try {
    pockettts::variant_for_language("french");
    ck_abort_msg("french accepted");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kNotFound));
    assert_contains(e.what(), "only a larger 24-layer model is available for French");
    assert_contains(e.what(), "'french_24l'");
  }
  for (const char* wrong : {"klingon", "b6369a24", "", "German"}) {
    try {
      pockettts::variant_for_language(wrong);
      ck_abort_msg("%s accepted", wrong);
    } catch (const Error& e) {
      ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kNotFound));
      assert_contains(e.what(), "english, english_2026-01, english_2026-04, french_24l, german");
    }
  }
  ASSERT_STR_EQ(pockettts::find_model_pack("english")->same_model_as, "english_2026-04");
  ck_assert_ptr_null(pockettts::find_model_pack("french"));
}
END_TEST

START_TEST(test_each_pack_has_its_voices) {
  // b6369a24's voices stay what they were, with and without the pack.
  ASSERT_STR_EQ(pockettts::predefined_voice_list(),
                "alba, marius, javert, jean, fantine, cosette, eponine, azelma");
  ASSERT_STR_EQ(pockettts::predefined_voice_list("b6369a24"), pockettts::predefined_voice_list());
  ASSERT_STR_EQ(pockettts::predefined_voice_reference("b6369a24", "marius"),
                pockettts::predefined_voice_reference("marius"));
  ck_assert(!pockettts::is_predefined_voice("b6369a24", "juergen"));
  // The 9514983 packs: the reference's 26 voices, each pack's own files.
  for (const pockettts::ModelPack& pack : pockettts::model_packs()) {
    if (pack.reference != "9514983") continue;
    ck_assert_uint_eq(pockettts::predefined_voices(pack.id).size(), 26);
    ck_assert(pockettts::is_predefined_voice(pack.id, pack.default_voice));
    ASSERT_STR_EQ(pockettts::default_voice(pack.id), pack.default_voice);
  }
  ASSERT_STR_EQ(pockettts::predefined_voice_reference("german_24l", "juergen"),
                "hf://kyutai/pocket-tts-without-voice-cloning/languages/german_24l/embeddings/"
                "juergen.safetensors@e041936c75475d350b405bc870bcf7c22da4e9e6");
  ASSERT_STR_EQ(pockettts::default_voice("italian_24l"), "giovanni");
  ASSERT_STR_EQ(pockettts::default_voice("spanish"), "lola");
  ASSERT_STR_EQ(pockettts::default_voice("french_24l"), "estelle");
  ASSERT_STR_EQ(pockettts::default_voice("portuguese"), "rafael");
  ASSERT_STR_EQ(pockettts::default_voice("german"), "juergen");
  ASSERT_STR_EQ(pockettts::default_voice("english"), "alba");
  ASSERT_STR_EQ(pockettts::default_voice("b6369a24"), "alba");
  ASSERT_STR_EQ(pockettts::predefined_voice_language("estelle"), "fr");
  try {
    pockettts::predefined_voice_reference("german", "nobody");
    ck_abort_msg("nobody accepted");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kNotFound));
    assert_contains(e.what(), "not a predefined voice of german");
    assert_contains(e.what(), "juergen");
  }
  try {
    pockettts::predefined_voices("french");
    ck_abort_msg("pack french accepted");
  } catch (const Error& e) {
    assert_contains(e.what(), "'french' is not a model pack");
  }
}
END_TEST

// The bad-input matrix for configs (docs/reliability.md): each number the model derives a size
// from, wrong in one way, gives exactly this error before anything is built.
struct BadValue {
  const char* from;
  const char* to;
  ErrorCode code;
  const char* message;
};

const BadValue kBadValues[] = {
    {"    num_heads: 4\n", "    num_heads: 5\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.num_heads' in /x/config.yaml is 5: it must divide "
     "flow_lm.transformer.d_model (64): each attention head takes an equal part of the width"},
    {"    num_heads: 4\n", "    num_heads: 64\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.num_heads' in /x/config.yaml is 64: the head width "
     "flow_lm.transformer.d_model / num_heads = 1 must be even (rotary embeddings turn the "
     "dimensions in pairs)"},
    {"    num_heads: 4\n", "    num_heads: 0\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.num_heads' in /x/config.yaml is 0: it must be at least 1"},
    {"    num_heads: 2\n", "    num_heads: 3\n", ErrorCode::kInvalidData,
     "key 'mimi.transformer.num_heads' in /x/config.yaml is 3: it must divide "
     "mimi.transformer.d_model (32): each attention head takes an equal part of the width"},
    {"    d_model: 64\n", "    d_model: -64\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.d_model' in /x/config.yaml is -64: it must be at least 1"},
    {"    d_model: 64\n", "    d_model: 2000000\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.d_model' in /x/config.yaml is 2000000: it must be at most 1048576 "
     "(larger is no model this library runs)"},
    {"    hidden_scale: 4\n", "    hidden_scale: 100000\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.hidden_scale' in /x/config.yaml is 100000: it must be at most "
     "16384 (larger is no model this library runs)"},
    {"    num_layers: 2\n", "    num_layers: 0\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.num_layers' in /x/config.yaml is 0: it must be at least 1"},
    {"    max_period: 10000\n", "    max_period: 0\n", ErrorCode::kInvalidData,
     "key 'flow_lm.transformer.max_period' in /x/config.yaml is 0: it must be at least 1"},
    {"    depth: 2\n", "    depth: 0\n", ErrorCode::kInvalidData,
     "key 'flow_lm.flow.depth' in /x/config.yaml is 0: it must be at least 1"},
    {"    dim: 32\n", "    dim: -1\n", ErrorCode::kInvalidData,
     "key 'flow_lm.flow.dim' in /x/config.yaml is -1: it must be at least 1"},
    {"    n_bins: 400\n", "    n_bins: 0\n", ErrorCode::kInvalidData,
     "key 'flow_lm.lookup_table.n_bins' in /x/config.yaml is 0: it must be at least 1"},
    {"    dim: 64\n", "    dim: 48\n", ErrorCode::kInvalidData,
     "key 'flow_lm.lookup_table.dim' in /x/config.yaml is 48: it must equal "
     "flow_lm.transformer.d_model (64): the text embeddings are the transformer's input"},
    {"  sample_rate: 24000\n", "  sample_rate: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.sample_rate' in /x/config.yaml is 0: it must be at least 1"},
    {"  channels: 1\n", "  channels: 2\n", ErrorCode::kUnsupported,
     "key 'mimi.channels' in /x/config.yaml is 2: only mono models (1 channel) are supported"},
    {"  frame_rate: 12.5\n", "  frame_rate: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.frame_rate' in /x/config.yaml is 0: it must be a finite number of at least "
     "0.001"},
    {"  frame_rate: 12.5\n", "  frame_rate: .nan\n", ErrorCode::kInvalidData,
     "key 'mimi.frame_rate' in /x/config.yaml is nan: it must be a finite number of at least "
     "0.001"},
    {"  frame_rate: 12.5\n", "  frame_rate: 7\n", ErrorCode::kInvalidData,
     "key 'mimi.frame_rate' in /x/config.yaml is 7: mimi.sample_rate / frame_rate = 3428.571429 "
     "must be a whole number of samples per frame"},
    {"  frame_rate: 12.5\n", "  frame_rate: 16\n", ErrorCode::kInvalidData,
     "key 'mimi.frame_rate' in /x/config.yaml is 16: a frame of 1500 samples must be a whole "
     "number of encoder steps of 120 samples (the product of mimi.seanet.ratios)"},
    {"    ratios:\n    - 6\n    - 5\n    - 4\n", "    ratios: []\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.ratios' in /x/config.yaml is 0: the number of ratios must be between 1 "
     "and 16"},
    {"    - 5\n", "    - 0\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.ratios[1]' in /x/config.yaml is 0: it must be at least 1"},
    {"    kernel_size: 7\n", "    kernel_size: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.kernel_size' in /x/config.yaml is 0: it must be at least 1"},
    {"    compress: 2\n", "    compress: 5\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.compress' in /x/config.yaml is 5: it must be at most 4 (larger is no "
     "model this library runs)"},
    {"    dilation_base: 2\n", "    dilation_base: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.dilation_base' in /x/config.yaml is 0: it must be at least 1"},
    {"    n_residual_layers: 1\n", "    n_residual_layers: -1\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.n_residual_layers' in /x/config.yaml is -1: it must be at least 0"},
    {"    pad_mode: constant\n", "    pad_mode: reflect\n", ErrorCode::kInvalidData,
     "key 'mimi.seanet.pad_mode' in /x/config.yaml is 'reflect': it must be 'constant' or "
     "'replicate'"},
    {"    context: 250\n", "    context: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.transformer.context' in /x/config.yaml is 0: it must be at least 1"},
    {"    layer_scale: 0.01\n", "    layer_scale: .inf\n", ErrorCode::kInvalidData,
     "key 'mimi.transformer.layer_scale' in /x/config.yaml is inf: it must be a finite number"},
    {"    dim_feedforward: 64\n", "    dim_feedforward: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.transformer.dim_feedforward' in /x/config.yaml is 0: it must be at least 1"},
    {"    dimension: 8\n", "    dimension: 0\n", ErrorCode::kInvalidData,
     "key 'mimi.quantizer.dimension' in /x/config.yaml is 0: it must be at least 1"},
};

START_TEST(test_bad_derived_size_is_refused_exactly) {
  const BadValue& bad = kBadValues[_i];
  const std::string message = parse_error(tiny_config_with(bad.from, bad.to), bad.code);
  ASSERT_STR_EQ(message, bad.message);
}
END_TEST

// The crash of issue 15: 5 heads on a width of 96 loaded, then corrupted the heap.
START_TEST(test_heads_not_dividing_the_width_is_refused_at_load) {
  const std::string dir = make_temp_dir();
  std::string text = tiny_config_with("    d_model: 64\n", "    d_model: 96\n");
  text.replace(text.find("    num_heads: 4\n"), 17, "    num_heads: 5\n");
  text.replace(text.find("    dim: 64\n"), 12, "    dim: 96\n");
  write_bytes(dir + "/config.yaml", text);
  try {
    pockettts::load_config(dir + "/config.yaml");
    ck_abort_msg("the config was accepted");
  } catch (const Error& e) {
    ck_assert_int_eq(static_cast<int>(e.code()), static_cast<int>(ErrorCode::kInvalidData));
    ASSERT_STR_EQ(e.what(), "key 'flow_lm.transformer.num_heads' in " + dir +
                                "/config.yaml is 5: it must divide flow_lm.transformer.d_model "
                                "(96): each attention head takes an equal part of the width");
  }
}
END_TEST

// Every shipped config passes the checks (they are loaded by test_every_pack_... too).
START_TEST(test_shipped_and_test_configs_pass_the_checks) {
  for (const char* path : {"tiny/config.yaml", "tiny/config_bf16.yaml", "tiny-v2/config.yaml",
                           "tiny-v2/config_bf16.yaml", "tiny-v2/config_keepsemi.yaml",
                           "tiny-v2/config_norec.yaml"}) {
    pockettts::load_config(data_path(path));
  }
  for (const auto& pack : pockettts::model_packs()) pockettts::load_config(pack.id);
}
END_TEST

int main() {
  Suite* suite = suite_create("config");
  TCase* load = tcase_create("load");
  tcase_add_test(load, test_tiny_config_loads_with_absolute_paths);
  tcase_add_test(load, test_mimi_max_period_defaults_to_10000);
  tcase_add_test(load, test_bf16_config_points_at_bf16_weights);
  tcase_add_test(load, test_relative_config_path_gives_absolute_paths);
  tcase_add_test(load, test_uris_and_absolute_paths_are_kept);
  tcase_add_test(load, test_integral_float_is_an_integer);
  suite_add_tcase(suite, load);
  TCase* variants = tcase_create("variants");
  tcase_add_test(variants, test_variant_id_found_in_config_dirs);
  tcase_add_test(variants, test_config_dir_variable_comes_first);
  tcase_add_test(variants, test_unknown_variant_lists_known_ones);
  tcase_add_test(variants, test_missing_config_file_is_not_found);
  suite_add_tcase(suite, variants);
  TCase* errors = tcase_create("errors");
  tcase_add_test(errors, test_unknown_key_is_named_with_its_path);
  tcase_add_test(errors, test_missing_key_is_named_with_its_path);
  tcase_add_test(errors, test_wrong_type_is_named_with_its_path);
  tcase_add_test(errors, test_invalid_yaml_is_invalid_data);
  tcase_add_loop_test(errors, test_bad_derived_size_is_refused_exactly, 0,
                      static_cast<int>(sizeof(kBadValues) / sizeof(kBadValues[0])));
  tcase_add_test(errors, test_heads_not_dividing_the_width_is_refused_at_load);
  tcase_add_test(errors, test_shipped_and_test_configs_pass_the_checks);
  suite_add_tcase(suite, errors);
  TCase* v2 = tcase_create("schema_9514983");
  tcase_add_test(v2, test_tiny_v2_config_reads_the_9514983_keys);
  tcase_add_test(v2, test_4ae9fb2_config_has_the_defaults);
  tcase_add_test(v2, test_each_9514983_key_makes_a_9514983_config);
  tcase_add_test(v2, test_bad_9514983_values_are_named);
  suite_add_tcase(suite, v2);
  TCase* packs = tcase_create("packs");
  tcase_add_test(packs, test_every_pack_loads_with_the_reference_facts);
  tcase_add_test(packs, test_variant_folder_holds_exactly_the_packs);
  tcase_add_test(packs, test_language_names_a_pack);
  tcase_add_test(packs, test_each_pack_has_its_voices);
  suite_add_tcase(suite, packs);
  return pockettts_test::run_suite(suite);
}
