#include "wyoming_protocol.h"

namespace pockettts_serve {

using nlohmann::json;

WyomingEventReader::WyomingEventReader(size_t max_header_bytes, size_t max_data_bytes,
                                       size_t max_payload_bytes)
    : max_header_(max_header_bytes), max_data_(max_data_bytes), max_payload_(max_payload_bytes) {}

void WyomingEventReader::feed(const char* bytes, size_t size) { buffer_.append(bytes, size); }

namespace {
size_t length_field(const json& header, const char* name, size_t limit) {
  auto it = header.find(name);
  if (it == header.end() || it->is_null()) return 0;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<long long>() >= 0)) {
    throw WyomingProtocolError(std::string("'") + name + "' must be a non-negative integer");
  }
  const auto value = it->get<unsigned long long>();
  if (value > limit) {
    throw WyomingProtocolError(std::string("'") + name + "' of " + std::to_string(value) +
                               " bytes is over the limit of " + std::to_string(limit));
  }
  return static_cast<size_t>(value);
}
}  // namespace

std::optional<WyomingEvent> WyomingEventReader::next() {
  if (broken_) throw WyomingProtocolError("the stream is no longer readable");
  const size_t newline = buffer_.find('\n');
  if (newline == std::string::npos) {
    if (buffer_.size() > max_header_) {
      broken_ = true;
      throw WyomingProtocolError("an event header is longer than " + std::to_string(max_header_) +
                                 " bytes");
    }
    return std::nullopt;
  }
  try {
    if (newline > max_header_) {
      throw WyomingProtocolError("an event header is longer than " + std::to_string(max_header_) +
                                 " bytes");
    }
    json header = json::parse(buffer_.begin(), buffer_.begin() + static_cast<long>(newline),
                              nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded() || !header.is_object())
      throw WyomingProtocolError("an event header is not a JSON object");
    auto type = header.find("type");
    if (type == header.end() || !type->is_string() || type->get<std::string>().empty())
      throw WyomingProtocolError("an event header has no 'type'");
    const size_t data_length = length_field(header, "data_length", max_data_);
    const size_t payload_length = length_field(header, "payload_length", max_payload_);
    if (buffer_.size() - newline - 1 < data_length + payload_length) return std::nullopt;

    WyomingEvent event;
    event.type = type->get<std::string>();
    auto inline_data = header.find("data");
    if (inline_data != header.end() && !inline_data->is_null()) {
      if (!inline_data->is_object())
        throw WyomingProtocolError("an event's 'data' is not an object");
      event.data = *inline_data;
    }
    const size_t data_start = newline + 1;
    if (data_length > 0) {
      json data = json::parse(buffer_.begin() + static_cast<long>(data_start),
                              buffer_.begin() + static_cast<long>(data_start + data_length),
                              nullptr, false);
      if (data.is_discarded() || !data.is_object())
        throw WyomingProtocolError("an event's data block is not a JSON object");
      event.data.update(data);
    }
    event.payload = buffer_.substr(data_start + data_length, payload_length);
    buffer_.erase(0, data_start + data_length + payload_length);
    return event;
  } catch (const WyomingProtocolError&) {
    broken_ = true;
    throw;
  }
}

std::string encode_wyoming_event(const WyomingEvent& event) {
  json header = {{"type", event.type}, {"version", kWyomingVersion}};
  std::string data;
  if (!event.data.empty()) {
    data = event.data.dump(-1, ' ', false, json::error_handler_t::replace);
    header["data_length"] = data.size();
  }
  if (!event.payload.empty()) header["payload_length"] = event.payload.size();
  return header.dump(-1, ' ', false, json::error_handler_t::replace) + "\n" + data + event.payload;
}

}  // namespace pockettts_serve
