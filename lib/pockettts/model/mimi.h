// Mimi, the audio codec: the encoder turns a voice prompt into latents; the decoder turns one
// latent frame at a time back into 1920 samples, streaming.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "formats/config.h"
#include "formats/weights.h"
#include "kernels/panel_product.h"
#include "model/modules/conv.h"
#include "model/modules/seanet.h"
#include "model/modules/seanet_decoder.h"
#include "model/modules/transformer.h"

namespace pockettts {

// One stream's decoder: upsampling history, transformer caches, SEANet windows.
struct MimiDecoderState {
  std::vector<float> projected;  // [dimension]: this frame's latent through the projection
  std::vector<float> previous;   // [dimension]: the previous frame's
  std::vector<float> upsampled;  // [stride, dimension]: the transformer's rows, in place
  std::vector<MimiKvCache> transformer;
  MimiStreamBuffers transformer_buffers;
  std::vector<float> samples;  // [frame_size, channels]: channels-last output (channels > 1)
  SeanetDecoderState decoder;
};

class Mimi {
 public:
  Mimi(const WeightPath& vb, const MimiConfig& config);

  // audio [B, channels, T] at the model rate -> latents [B, dimension, frames] (12.5 Hz).
  // The SEANet encoder runs on pieces of `piece_frames` frames (bounded memory).
  at::Tensor encode_to_latent(const at::Tensor& audio, int64_t piece_frames = 25) const;

  MimiDecoderState init_decoder_state() const;
  // One frame: a denormalized latent [1, ldim] -> audio [1, channels, frame_size].
  at::Tensor decode_frame(const at::Tensor& latent, MimiDecoderState& state) const;
  // The same on plain floats, allocating nothing once the state has decoded its first frame:
  // latent [ldim] -> out [channels, frame_size].
  void decode_frame(const float* latent, MimiDecoderState& state, float* out) const;
  int64_t latent_dim() const;
  int channels() const;

  int64_t frame_size() const { return frame_size_; }
  int64_t dimension() const { return dimension_; }
  int sample_rate() const { return sample_rate_; }

 private:
  int sample_rate_;
  int64_t frame_size_, dimension_, stride_, context_;
  SeanetEncoder encoder_;
  SeanetDecoder decoder_;
  MimiTransformer encoder_transformer_, decoder_transformer_;
  StreamingConv1d downsample_;
  // Upsampling to the transformer's rate: a depthwise transposed convolution, kernel 2 * stride,
  // no bias. [dimension, 2 * stride].
  at::Tensor upsample_weight_;
  kernels::PanelWeights quantizer_proj_;  // latent [dimension of the quantizer] -> [dimension]
};

}  // namespace pockettts
