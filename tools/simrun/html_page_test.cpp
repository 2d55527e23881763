#include "tools/simrun/html_page.h"

#include <doctest/doctest.h>

using namespace simrun::cli;

TEST_CASE("fill_page puts the data in place and escapes what could end the script") {
  const std::string page = fill_page("<script>/*SIMRUN_DATA*/</script>",
                                     {{"detail", "</script><b>x</b>"}, {"name", "caf\xc3\xa9"}});
  CHECK(page == "<script>{\"detail\":\"<\\/script><b>x<\\/b>\",\"name\":\"caf\\u00e9\"}</script>");
  CHECK(nlohmann::json::parse(page.substr(8, page.size() - 17))["detail"] == "</script><b>x</b>");
}

TEST_CASE("the run report page is self-contained: nothing fetched from anywhere") {
  const std::string_view page = run_report_page();
  CHECK(page.find("/*SIMRUN_DATA*/") != std::string_view::npos);
  for (const char* external :
       {"<link", " src=", "@import", "url(", "https://", "fetch(", "XMLHttpRequest"}) {
    INFO(external);
    CHECK(page.find(external) == std::string_view::npos);
  }
  // The one URL is the SVG namespace name, which is never fetched.
  std::size_t urls = 0;
  for (std::size_t at = page.find("http://"); at != std::string_view::npos;
       at = page.find("http://", at + 1)) {
    CHECK(page.substr(at, 26) == "http://www.w3.org/2000/svg");
    ++urls;
  }
  CHECK(urls == 1);
}
