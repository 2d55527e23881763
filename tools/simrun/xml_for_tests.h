#pragma once
// A minimal XML reader for tests of the files simrun writes (junit.xml):
// elements, attributes, text and the five predefined entities; a prolog
// (<?xml ...?>) is skipped. Malformed input (an unclosed or mismatched tag,
// a bad entity, text outside the root) fails the calling test with a throw.

#include <cctype>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace simrun::cli::testing {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<XmlElement> children;
  std::string text;  // the concatenated text content directly inside

  std::vector<const XmlElement*> all(std::string_view child_name) const {
    std::vector<const XmlElement*> found;
    for (const auto& child : children) {
      if (child.name == child_name) found.push_back(&child);
    }
    return found;
  }
  const XmlElement* first(std::string_view child_name) const {
    for (const auto& child : children) {
      if (child.name == child_name) return &child;
    }
    return nullptr;
  }
};

class XmlReader {
 public:
  static XmlElement parse(std::string_view text) {
    XmlReader reader(text);
    reader.skip_space();
    if (reader.text_.substr(reader.at_, 5) == "<?xml") {
      reader.at_ = reader.text_.find("?>", reader.at_);
      if (reader.at_ == std::string_view::npos) throw std::runtime_error("unclosed prolog");
      reader.at_ += 2;
    }
    reader.skip_space();
    XmlElement root = reader.element();
    reader.skip_space();
    if (reader.at_ != reader.text_.size()) throw std::runtime_error("content after the root");
    return root;
  }

 private:
  explicit XmlReader(std::string_view text) : text_(text) {}

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\t' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  void expect(char c) {
    if (at_ >= text_.size() || text_[at_] != c) {
      throw std::runtime_error(std::string("expected '") + c + "' at " + std::to_string(at_));
    }
    ++at_;
  }
  std::string name() {
    const std::size_t start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) != 0 ||
                                  text_[at_] == '_' || text_[at_] == '-' || text_[at_] == ':')) {
      ++at_;
    }
    if (at_ == start) throw std::runtime_error("expected a name at " + std::to_string(at_));
    return std::string(text_.substr(start, at_ - start));
  }
  std::string decode(std::string_view raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '<') throw std::runtime_error("raw '<' in text");
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const std::size_t end = raw.find(';', i);
      if (end == std::string_view::npos) throw std::runtime_error("unterminated entity");
      const std::string_view entity = raw.substr(i + 1, end - i - 1);
      if (entity == "amp")
        out += '&';
      else if (entity == "lt")
        out += '<';
      else if (entity == "gt")
        out += '>';
      else if (entity == "quot")
        out += '"';
      else if (entity == "apos")
        out += '\'';
      else
        throw std::runtime_error("unknown entity &" + std::string(entity) + ";");
      i = end;
    }
    return out;
  }
  XmlElement element() {
    expect('<');
    XmlElement element;
    element.name = name();
    for (;;) {
      skip_space();
      if (at_ >= text_.size()) throw std::runtime_error("unclosed tag " + element.name);
      if (text_[at_] == '/') {
        ++at_;
        expect('>');
        return element;
      }
      if (text_[at_] == '>') {
        ++at_;
        break;
      }
      const std::string key = name();
      expect('=');
      expect('"');
      const std::size_t end = text_.find('"', at_);
      if (end == std::string_view::npos) throw std::runtime_error("unclosed attribute");
      if (!element.attributes.emplace(key, decode(text_.substr(at_, end - at_))).second) {
        throw std::runtime_error("duplicate attribute " + key);
      }
      at_ = end + 1;
    }
    for (;;) {
      const std::size_t next = text_.find('<', at_);
      if (next == std::string_view::npos) throw std::runtime_error("unclosed " + element.name);
      element.text += decode(text_.substr(at_, next - at_));
      at_ = next;
      if (text_.substr(at_, 2) == "</") {
        at_ += 2;
        if (name() != element.name) throw std::runtime_error("mismatched </" + element.name + ">");
        skip_space();
        expect('>');
        return element;
      }
      element.children.push_back(this->element());
    }
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace simrun::cli::testing
