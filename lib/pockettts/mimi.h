// Mimi, the audio codec: the encoder turns a voice prompt into latents; the decoder turns one
// latent frame at a time back into 1920 samples, streaming.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "config.h"
#include "modules/conv.h"
#include "modules/seanet.h"
#include "modules/transformer.h"
#include "weights.h"

namespace pockettts {

struct MimiDecoderState {
  ConvTransposeState upsample;
  std::vector<MimiKvCache> transformer;
  SeanetState decoder;
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
  StreamingConvTranspose1d upsample_;
  at::Tensor quantizer_proj_;  // [output_dimension, dimension, 1]
};

}  // namespace pockettts
