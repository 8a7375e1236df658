// Mimi, the audio codec: the encoder turns a voice prompt into latents; the decoder turns one
// latent frame at a time back into 1920 samples, streaming.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <vector>

#include "formats/config.h"
#include "formats/weights.h"
#include "kernels/panel_product.h"
#include "model/modules/conv.h"
#include "model/modules/frame_batch.h"
#include "model/modules/seanet.h"
#include "model/modules/seanet_decoder.h"
#include "model/modules/transformer.h"

namespace pockettts {

// Which keys the decoder transformer's queries see once a frame's steps pass the context (250
// steps, frame 15 on). The two reference versions differ there, and each pack keeps its own.
enum class MimiDecoderContext {
  // 4ae9fb2: a ring buffer of `context` slots. A frame's 16 new keys overwrite the oldest ones
  // before its first queries attend, so those queries see up to 15 keys fewer than the window.
  kRingBuffer,
  // 9514983: every query sees every key of its window (the reference keeps a linear cache and
  // masks). Here a ring of context + 15 slots holds the whole window of a frame's first query.
  kFullWindow,
};

// One stream's decoder: upsampling history, transformer caches, SEANet windows.
struct MimiDecoderState {
  std::vector<float> projected;  // [outer width]: this frame's latent through the projection
  std::vector<float> previous;   // [outer width]: the previous frame's
  std::vector<float> upsampled;  // [stride, dimension]: the transformer's rows, in place
  std::vector<MimiKvCache> transformer;
  MimiStreamBuffers transformer_buffers;
  std::vector<float> samples;  // [frame_size, channels]: channels-last output (channels > 1)
  SeanetDecoderState decoder;
};

class Mimi {
 public:
  Mimi(const WeightPath& vb, const MimiConfig& config,
       MimiDecoderContext decoder_context = MimiDecoderContext::kRingBuffer);

  // audio [B, channels, T] at the model rate -> latents [B, latent width, frames] (12.5 Hz;
  // the width is mimi.inner_dim, or seanet.dimension when the config does not set it).
  // The SEANet encoder runs on pieces of `piece_frames` frames (bounded memory).
  at::Tensor encode_to_latent(const at::Tensor& audio, int64_t piece_frames = 25) const;

  MimiDecoderState init_decoder_state() const;
  // One frame: a denormalized latent [1, ldim] -> audio [1, channels, frame_size].
  at::Tensor decode_frame(const at::Tensor& latent, MimiDecoderState& state) const;
  // The same on plain floats, allocating nothing once the state has decoded its first frame:
  // latent [ldim] -> out [channels, frame_size].
  void decode_frame(const float* latent, MimiDecoderState& state, float* out) const;
  // One frame of each of `count` streams (at most kMaxFrames, Error(kInvalidArgument) past it)
  // in one pass over the decoder's weights: every product serves all the frames, and each
  // stream gets the bits decode_frame gives it alone. Allocates nothing once every state has
  // decoded a frame. The states must be distinct.
  struct Frame {
    const float* latent;
    MimiDecoderState* state;
    float* out;
  };
  void decode_frames(const Frame* frames, size_t count) const;
  int64_t latent_dim() const;
  int channels() const;

  int64_t frame_size() const { return frame_size_; }
  int64_t dimension() const { return dimension_; }
  MimiDecoderContext decoder_context() const { return decoder_context_; }
  int sample_rate() const { return sample_rate_; }

 private:
  int sample_rate_;
  int64_t frame_size_, dimension_, outer_dim_, stride_, context_;
  MimiDecoderContext decoder_context_;
  SeanetEncoder encoder_;
  SeanetDecoder decoder_;
  MimiTransformer encoder_transformer_, decoder_transformer_;
  StreamingConv1d downsample_;
  // Upsampling to the transformer's rate: a transposed convolution from the outer width to
  // `dimension` in `dimension` groups (output channel c sums inputs c * g ... c * g + g - 1, g =
  // outer width / dimension; depthwise when they are equal), kernel 2 * stride, no bias.
  // [outer width, 2 * stride].
  at::Tensor upsample_weight_;
  kernels::PanelWeights quantizer_proj_;  // latent [quantizer dimension] -> [outer width]
};

}  // namespace pockettts
