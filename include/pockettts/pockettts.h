// libpockettts: Kyutai Pocket TTS in C++. Everything a program needs, without libtorch headers.
#pragma once

#include <pockettts/audio.h>
#include <pockettts/audio_decoder.h>
#include <pockettts/download.h>
#include <pockettts/error.h>
#include <pockettts/model_packs.h>
#include <pockettts/options.h>
#include <pockettts/ssml.h>
#include <pockettts/text.h>
#include <pockettts/tts_model.h>
#include <pockettts/voices.h>
#include <pockettts/wav_writer.h>
