// libpockettts: Kyutai Pocket TTS in C++. Everything a program needs, without libtorch headers.
#pragma once

#include <pockettts/audio_io.h>
#include <pockettts/error.h>
#include <pockettts/text.h>
#include <pockettts/tts_model.h>
