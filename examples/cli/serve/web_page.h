// GET /: a page to type text, pick a predefined voice, give a voice URL or upload an audio
// file, and hear the speech while it is generated. Self-contained (no external script, font or
// style sheet), so it works offline.
#pragma once

#include <string>
#include <vector>

namespace pockettts_serve {

// The page for a server whose predefined voices are `voices` (`default_voice` selected) and
// whose text box starts with `default_text`.
std::string web_page(const std::string& default_text, const std::vector<std::string>& voices,
                     const std::string& default_voice, bool needs_api_key);

// HTML-escapes text for an element's content or a quoted attribute.
std::string html_escape(const std::string& text);

}  // namespace pockettts_serve
