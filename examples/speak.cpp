// speak: the shortest complete program on libpockettts. Copy it to start your own.
//
//   c++ -std=c++17 speak.cpp $(pkg-config --cflags --libs pockettts) -o speak
//   ./speak "Hello there." hello.wav                  # real model b6369a24, voice alba
//   ./speak "Hello there." hello.wav my-config.yaml my-voice.wav
#include <iostream>
#include <vector>

#include <pockettts/audio_decoder.h>
#include <pockettts/tts_model.h>
#include <pockettts/wav_writer.h>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::cerr << "usage: speak TEXT OUT.wav [CONFIG [VOICE]]\n";
    return 2;
  }
  try {
    pockettts::LoadOptions options;
    if (argc > 3) options.config = argv[3];
    auto model = pockettts::TTSModel::load_model(options);
    auto voice = model->get_state_for_audio_prompt(argc > 4 ? argv[4] : "alba");

    pockettts::WavWriter wav(argv[2], model->sample_rate(), 1, pockettts::WavFormat::kS16);
    auto stream = model->generate_audio_stream(voice, argv[1]);
    // Each chunk arrives as soon as it is decoded: write it (or play it) right away.
    for (std::vector<float> chunk; stream->next(chunk);) wav.write(chunk.data(), chunk.size());
    wav.finish();
  } catch (const pockettts::Error& error) {
    std::cerr << "speak: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
