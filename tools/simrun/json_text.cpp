#include "tools/simrun/json_text.h"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/assert.h"
#include "tools/simrun/input_error.h"

namespace simrun::cli {

using nlohmann::json;

namespace {

// "file:line:column" of byte offset `end` (exclusive) of `text`.
std::string position_of(std::string_view text, std::size_t end, const std::string& file) {
  std::size_t line = 1;
  std::size_t column = 1;
  end = std::min(end, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// A SAX handler that builds nothing and only tracks where it is, so that a
// parse failure can name the JSON path of the value that failed.
class PathTracker {
 public:
  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const std::string&) { return value(); }
  bool string(std::string&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool start_object(std::size_t) {
    frames_.push_back(Frame{false, 0, {}});
    return true;
  }
  bool key(std::string& name) {
    SIMRUN_ASSERT(!frames_.empty() && !frames_.back().is_array, "a key outside an object");
    frames_.back().key = name;
    return true;
  }
  bool end_object() { return end_container(); }
  bool start_array(std::size_t) {
    frames_.push_back(Frame{true, 0, {}});
    return true;
  }
  bool end_array() { return end_container(); }
  bool parse_error(std::size_t position, const std::string&, const json::exception&) {
    error_position_ = position;
    error_pointer_ = pointer();
    return false;
  }

  std::size_t error_position() const { return error_position_; }
  const std::string& error_pointer() const { return error_pointer_; }

 private:
  struct Frame {
    bool is_array;
    std::size_t index;
    std::string key;
  };

  bool value() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().index;
    return true;
  }
  bool end_container() {
    SIMRUN_ASSERT(!frames_.empty(), "a container closed twice");
    frames_.pop_back();
    return value();
  }
  // The JSON pointer of the value being read now.
  std::string pointer() const {
    std::string result;
    for (const Frame& frame : frames_) {
      result += "/";
      if (frame.is_array) {
        result += std::to_string(frame.index);
        continue;
      }
      for (const char c : frame.key) {  // RFC 6901 escapes
        if (c == '~') {
          result += "~0";
        } else if (c == '/') {
          result += "~1";
        } else {
          result += c;
        }
      }
    }
    return result.empty() ? "/" : result;
  }

  std::vector<Frame> frames_;
  std::size_t error_position_ = 0;
  std::string error_pointer_;
};

}  // namespace

json parse_json_text(std::string_view text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    // error.byte is 1-based: the position where parsing failed.
    std::string what = error.what();
    const std::size_t colon = what.find("syntax error");
    if (colon != std::string::npos) what = what.substr(colon);
    throw InputError(position_of(text, error.byte == 0 ? 0 : error.byte - 1, file) +
                     ": invalid JSON: " + what);
  } catch (const json::exception& error) {
    // Valid JSON text the parser cannot hold: a number beyond a double.
    PathTracker tracker;
    (void)json::sax_parse(text, &tracker, json::input_format_t::json, /*strict=*/true);
    throw InputError(
        position_of(text, tracker.error_position(), file) + ": " + tracker.error_pointer() +
        ": number out of range (a double holds at most about 1.8e308): " + error.what());
  }
}

}  // namespace simrun::cli
