#include "web_page.h"

#include <algorithm>

namespace pockettts_serve {

namespace {

// How the page streams: it POSTs the form to /tts as the reference's page does, reads the
// chunked WAV as it arrives, plays each piece through Web Audio at once (so speech starts
// before generation ends), and when the stream ends hands the whole file (its header sizes
// fixed) to the <audio> element for replay and download.
const char* const kPageTemplate = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pocket TTS</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
         color: #1f2328; background: #f6f8fa; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; }
  .card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 1.2rem; }
  label { display: block; font-weight: 600; margin: .9rem 0 .3rem; }
  textarea, input[type=text], input[type=password], select { width: 100%; box-sizing: border-box;
         padding: .5rem; border: 1px solid #d0d7de; border-radius: 6px; font: inherit; }
  textarea { min-height: 7rem; resize: vertical; }
  .hint { color: #57606a; font-size: .85rem; margin-top: .2rem; }
  button { margin-top: 1.2rem; padding: .6rem 1.4rem; font: inherit; font-weight: 600; color: #fff;
           background: #1f6feb; border: 0; border-radius: 6px; cursor: pointer; }
  button:disabled { background: #8c959f; cursor: default; }
  #status { margin-top: 1rem; min-height: 1.4rem; }
  #status.error { color: #cf222e; }
  audio { width: 100%; margin-top: .8rem; }
</style>
</head>
<body>
<h1>Pocket TTS</h1>
<p class="hint">Speech is generated on this server and starts playing while it is still being made.</p>
<div class="card">
  <label for="text">Text</label>
  <textarea id="text">@DEFAULT_TEXT@</textarea>
  <label for="voice">Voice</label>
  <select id="voice">@VOICE_OPTIONS@</select>
  <label for="voice-url">Or a voice URL</label>
  <input type="text" id="voice-url" placeholder="hf://kyutai/tts-voices/alba-mackenna/casual.wav">
  <div class="hint">http://, https:// or hf:// audio to clone; it takes precedence over the list.</div>
  <label for="voice-file">Or upload an audio file to clone</label>
  <input type="file" id="voice-file" accept="audio/*">
  <div class="hint">WAV, MP3, FLAC, Ogg... (the first 30 s are used); it takes precedence over both.</div>
  <div id="key-row" @KEY_STYLE@>
    <label for="api-key">API key</label>
    <input type="password" id="api-key" autocomplete="off">
  </div>
  <button id="generate">Generate</button>
  <div id="status" role="status"></div>
  <audio id="audio" controls></audio>
</div>
<script>
"use strict";
const SAMPLE_RATE = 24000, HEADER_BYTES = 44;
const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

// A WAV file of the received bytes with the sizes of what was received (the stream's header
// declares an unknown length).
function wavBlob(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength >= HEADER_BYTES) {
    view.setUint32(4, bytes.byteLength - 8, true);
    view.setUint32(40, bytes.byteLength - HEADER_BYTES, true);
  }
  return new Blob([bytes], { type: "audio/wav" });
}

async function generate() {
  const button = $("generate");
  button.disabled = true;
  document.body.dataset.state = "generating";
  setStatus("Generating...");
  const form = new FormData();
  form.append("text", $("text").value);
  const file = $("voice-file").files[0];
  const url = $("voice-url").value.trim();
  if (file) form.append("voice_wav", file);
  else if (url) form.append("voice_url", url);
  else if ($("voice").value) form.append("voice_url", $("voice").value);
  const headers = {};
  if ($("api-key").value) headers["Authorization"] = "Bearer " + $("api-key").value;

  const context = new AudioContext({ sampleRate: SAMPLE_RATE });
  const start = performance.now();
  let playAt = 0, firstAudio = null, leftover = null;
  const parts = [];
  let received = 0;
  try {
    const response = await fetch("/tts", { method: "POST", body: form, headers });
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { const body = await response.json(); message = body.detail || body.error?.message || message; } catch (e) {}
      throw new Error(message);
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      // Play what follows the header, a whole number of 16-bit samples at a time.
      let bytes = value;
      const before = received;
      received += value.byteLength;
      if (before < HEADER_BYTES) bytes = value.subarray(Math.min(value.byteLength, HEADER_BYTES - before));
      if (leftover) { const joined = new Uint8Array(leftover.length + bytes.length); joined.set(leftover); joined.set(bytes, leftover.length); bytes = joined; leftover = null; }
      if (bytes.length % 2) { leftover = bytes.slice(bytes.length - 1); bytes = bytes.subarray(0, bytes.length - 1); }
      if (!bytes.length) continue;
      const samples = new Int16Array(bytes.slice().buffer);
      const buffer = context.createBuffer(1, samples.length, SAMPLE_RATE);
      const channel = buffer.getChannelData(0);
      for (let i = 0; i < samples.length; ++i) channel[i] = samples[i] / 32768;
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      playAt = Math.max(playAt, context.currentTime + 0.05);
      source.start(playAt);
      playAt += buffer.duration;
      if (firstAudio === null) {
        firstAudio = (performance.now() - start) / 1000;
        document.body.dataset.firstAudio = firstAudio.toFixed(3);
      }
      setStatus("Playing; first audio after " + firstAudio.toFixed(2) + " s, " +
                ((received - HEADER_BYTES) / 2 / SAMPLE_RATE).toFixed(1) + " s received...");
    }
    const all = new Uint8Array(received);
    let offset = 0;
    for (const part of parts) { all.set(part, offset); offset += part.byteLength; }
    $("audio").src = URL.createObjectURL(wavBlob(all));
    const seconds = Math.max(0, (received - HEADER_BYTES) / 2 / SAMPLE_RATE);
    setStatus("Done: " + seconds.toFixed(2) + " s of audio in " +
              ((performance.now() - start) / 1000).toFixed(2) + " s; first audio after " +
              (firstAudio === null ? "-" : firstAudio.toFixed(2) + " s") + ".");
    document.body.dataset.state = "done";
  } catch (error) {
    setStatus("Error: " + error.message, true);
    document.body.dataset.state = "error";
  } finally {
    button.disabled = false;
  }
}
$("generate").addEventListener("click", generate);
</script>
</body>
</html>
)PAGE";

void replace(std::string& text, const std::string& placeholder, const std::string& value) {
  const size_t at = text.find(placeholder);
  if (at != std::string::npos) text.replace(at, placeholder.size(), value);
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string web_page(const std::string& default_text, const std::vector<std::string>& voices,
                     const std::string& default_voice, bool needs_api_key) {
  // The first choice sends no voice: the server's own (--voice), whatever it is.
  const bool named = std::find(voices.begin(), voices.end(), default_voice) != voices.end();
  std::string options = "<option value=\"\" selected>the server's voice" +
                        (named ? " (" + html_escape(default_voice) + ")" : std::string()) +
                        "</option>";
  for (const auto& voice : voices) {
    if (voice == default_voice) continue;
    options += "<option value=\"" + html_escape(voice) + "\">" + html_escape(voice) + "</option>";
  }
  std::string page = kPageTemplate;
  replace(page, "@DEFAULT_TEXT@", html_escape(default_text));
  replace(page, "@VOICE_OPTIONS@", options);
  replace(page, "@KEY_STYLE@", needs_api_key ? "" : "style=\"display:none\"");
  return page;
}

}  // namespace pockettts_serve
