#include "model/mimi.h"

#include <ATen/ATen.h>

#include <cmath>

#include <pockettts/error.h>

namespace pockettts {

namespace {

int64_t hop_length(const SeanetConfig& c) {
  int64_t hop = 1;
  for (int r : c.ratios) hop *= r;
  return hop;
}

// Encoder frames per model frame: (sample_rate / hop) / frame_rate, which must be an integer.
int64_t downsample_stride(const MimiConfig& c) {
  const double encoder_rate = static_cast<double>(c.sample_rate) / hop_length(c.seanet);
  const double stride = encoder_rate / c.frame_rate;
  if (stride < 1 || stride != std::floor(stride)) {
    throw Error(ErrorCode::kInvalidData,
                "mimi: encoder frame rate / frame_rate must be a whole number >= 1, got " +
                    std::to_string(stride));
  }
  return static_cast<int64_t>(stride);
}

int64_t checked_transformer_dim(const MimiConfig& c) {
  const auto& t = c.transformer;
  if (t.input_dimension != t.d_model || t.output_dimensions.size() != 1 ||
      t.output_dimensions[0] != t.d_model || t.d_model != c.seanet.dimension) {
    throw Error(ErrorCode::kUnsupported,
                "mimi.transformer: only input_dimension == output_dimensions == [d_model] == "
                "seanet.dimension is supported (as in every published config)");
  }
  return t.d_model;
}

// The upsampling's input width: a whole number of inputs per output channel.
int64_t checked_outer_dim(const MimiConfig& c) {
  const int64_t outer = c.upsample_input_width();
  if (outer % c.seanet.dimension != 0) {
    throw Error(ErrorCode::kInvalidData, "mimi.outer_dim (" + std::to_string(outer) +
                                             ") must be a multiple of mimi.seanet.dimension (" +
                                             std::to_string(c.seanet.dimension) +
                                             "): the upsampling has one group per "
                                             "output channel");
  }
  if (c.quantizer.output_dimension != outer) {
    throw Error(ErrorCode::kInvalidData,
                "mimi.quantizer.output_dimension (" + std::to_string(c.quantizer.output_dimension) +
                    ") must equal " + (c.outer_dim ? "mimi.outer_dim" : "mimi.seanet.dimension") +
                    " (" + std::to_string(outer) + ")");
  }
  return outer;
}

}  // namespace

Mimi::Mimi(const WeightPath& vb, const MimiConfig& c, MimiDecoderContext decoder_context)
    : sample_rate_(c.sample_rate),
      frame_size_(static_cast<int64_t>(c.sample_rate / c.frame_rate)),
      dimension_(c.seanet.dimension),
      outer_dim_(checked_outer_dim(c)),
      stride_(downsample_stride(c)),
      context_(c.transformer.context),
      decoder_context_(decoder_context),
      encoder_(vb.pp("encoder"), c.seanet),
      decoder_(vb.pp("decoder"), c.seanet),
      encoder_transformer_(vb.pp("encoder_transformer"), checked_transformer_dim(c),
                           c.transformer.num_heads, c.transformer.num_layers,
                           c.transformer.dim_feedforward, c.transformer.context,
                           c.transformer.max_period),
      decoder_transformer_(vb.pp("decoder_transformer"), c.transformer.d_model,
                           c.transformer.num_heads, c.transformer.num_layers,
                           c.transformer.dim_feedforward, c.transformer.context,
                           c.transformer.max_period),
      downsample_(vb.pp("downsample").pp("conv"), dimension_, c.latent_width(), 2 * stride_,
                  stride_, 1, 1, false, StreamingConv1d::PadMode::kReplicate),
      upsample_weight_(vb.pp("upsample")
                           .pp("convtr")
                           .take("convtr.weight", {outer_dim_, 1, 2 * stride_})
                           .to(at::kFloat)
                           .reshape({outer_dim_, 2 * stride_})
                           .contiguous()) {
  const int64_t latent_dim = c.quantizer.dimension;
  at::Tensor proj = vb.take("quantizer.output_proj.weight", {outer_dim_, latent_dim, 1})
                        .to(at::kFloat)
                        .contiguous();
  const float* p = proj.data_ptr<float>();
  quantizer_proj_ = kernels::PanelWeights::pack(
      latent_dim, outer_dim_, nullptr, [&](int64_t j, int64_t o) { return p[o * latent_dim + j]; });
  release_pages(proj);
}

at::Tensor Mimi::encode_to_latent(const at::Tensor& audio, int64_t piece_frames) const {
  // Pad at the end to whole frames, as the reference's pad_for_conv1d(x, frame, frame).
  const int64_t length = audio.size(-1);
  const int64_t frames = (length + frame_size_ - 1) / frame_size_;
  const int64_t extra = std::max<int64_t>(frames, 1) * frame_size_ - length;
  at::Tensor x = extra > 0 ? at::constant_pad_nd(audio, {0, extra}, 0) : audio;
  // The SEANet encoder runs on pieces of the signal with its streaming state: the output is the
  // whole-signal output (each position sees the same inputs), but the 24 kHz activations and
  // im2col buffers of a long prompt are never all held at once (peak memory).
  SeanetState state = encoder_.init_state(x.size(0));
  std::vector<at::Tensor> pieces;
  const int64_t piece = std::max<int64_t>(piece_frames, 1) * frame_size_;
  for (int64_t start = 0; start < x.size(-1); start += piece) {
    pieces.push_back(
        encoder_.forward(x.narrow(-1, start, std::min(piece, x.size(-1) - start)), &state));
  }
  at::Tensor emb = pieces.size() == 1 ? pieces.front() : at::cat(pieces, -1);
  emb = encoder_transformer_.forward(emb);
  at::Tensor latent = downsample_.forward(emb, nullptr);
  // Voice prompts are rare: the encoder's 48 MB of mapped weights need not stay resident.
  encoder_.release_pages();
  downsample_.release_pages();
  return latent;
}

MimiDecoderState Mimi::init_decoder_state() const {
  MimiDecoderState s;
  s.projected.assign(static_cast<size_t>(outer_dim_), 0.0f);
  s.previous.assign(static_cast<size_t>(outer_dim_), 0.0f);
  s.upsampled.assign(static_cast<size_t>(stride_ * dimension_), 0.0f);
  // A frame writes its `stride` keys before its first query attends: the ring must hold
  // context + stride - 1 keys for that query to see its whole window.
  s.transformer = decoder_transformer_.init_caches(
      decoder_context_ == MimiDecoderContext::kRingBuffer ? context_ : context_ + stride_ - 1);
  s.decoder = decoder_.init_state(stride_);
  if (decoder_.channels() > 1)  // mono is written straight into the caller's buffer
    s.samples.assign(static_cast<size_t>(frame_size_ * decoder_.channels()), 0.0f);
  return s;
}

int64_t Mimi::latent_dim() const { return quantizer_proj_.inputs(); }

int Mimi::channels() const { return static_cast<int>(decoder_.channels()); }

at::Tensor Mimi::decode_frame(const at::Tensor& latent, MimiDecoderState& state) const {
  const at::Tensor z = latent.to(at::kFloat).contiguous();
  if (z.numel() != latent_dim()) {
    throw Error(ErrorCode::kInvalidArgument, "mimi: a latent of " + std::to_string(latent_dim()) +
                                                 " values is needed, got " +
                                                 std::to_string(z.numel()));
  }
  at::Tensor out = at::empty({1, channels(), frame_size_}, at::kFloat);
  decode_frame(z.data_ptr<float>(), state, out.data_ptr<float>());
  return out;
}

void Mimi::decode_frame(const float* latent, MimiDecoderState& state, float* out) const {
  const Frame one{latent, &state, out};
  decode_frames(&one, 1);
}

void Mimi::decode_frames(const Frame* frames, size_t count) const {
  if (count > kMaxFrames) {
    throw Error(ErrorCode::kInvalidArgument, "mimi: at most " + std::to_string(kMaxFrames) +
                                                 " frames are decoded at once, got " +
                                                 std::to_string(count));
  }
  PerFrame<kernels::PanelWeights::Rows> projections{};
  for (size_t s = 0; s < count; ++s) {
    projections[s] = {frames[s].latent, 0, 1, frames[s].state->projected.data(), outer_dim_};
  }
  quantizer_proj_.multiply(projections.data(), count);
  // Output step p of this frame: its tap p plus the previous frame's tap p + stride (the
  // reference's convtr output plus its carried partial, in that order), each summed over the
  // group's inputs.
  const float* w = upsample_weight_.data_ptr<float>();
  const int64_t group = outer_dim_ / dimension_, taps = 2 * stride_;
  PerFrame<MimiTransformer::StreamRows> rows{};
  for (size_t s = 0; s < count; ++s) {
    MimiDecoderState& state = *frames[s].state;
    float* up = state.upsampled.data();
    for (int64_t p = 0; p < stride_; ++p) {
      for (int64_t c = 0; c < dimension_; ++c) {
        const int64_t first = c * group;
        float now = state.projected[first] * w[first * taps + p];
        float carried = state.previous[first] * w[first * taps + p + stride_];
        for (int64_t i = first + 1; i < first + group; ++i) {
          now += state.projected[i] * w[i * taps + p];
          carried += state.previous[i] * w[i * taps + p + stride_];
        }
        up[p * dimension_ + c] = now + carried;
      }
    }
    std::swap(state.projected, state.previous);
    rows[s] = {up, &state.transformer, &state.transformer_buffers};
  }
  decoder_transformer_.stream(rows.data(), count, stride_);
  const int64_t channels = decoder_.channels();
  PerFrame<SeanetDecoder::Frame> seanet{};
  for (size_t s = 0; s < count; ++s) {
    MimiDecoderState& state = *frames[s].state;
    decoder_transformer_.advance(state.transformer, stride_);
    // Mono is written straight into the caller's buffer (channels-last is channel-major).
    seanet[s] = {state.upsampled.data(), &state.decoder,
                 channels == 1 ? frames[s].out : state.samples.data()};
  }
  decoder_.forward(seanet.data(), count, stride_);
  if (channels == 1) return;
  for (size_t s = 0; s < count; ++s) {
    const std::vector<float>& samples = frames[s].state->samples;
    float* out = frames[s].out;
    for (int64_t i = 0; i < frame_size_; ++i)
      for (int64_t c = 0; c < channels; ++c) out[c * frame_size_ + i] = samples[i * channels + c];
  }
}

}  // namespace pockettts
