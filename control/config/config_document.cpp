// Reading a config file into one YAML document, before the Loader walks it
// (config.cpp): the file must hold exactly one document, and nothing in the
// tree that the loader could misread (tags, NUL bytes, aliases that fan out).
// Every refusal names the file, line and column.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "config_loader.hpp"

namespace vsw {

namespace config_internal {
// Before any value is read: nothing in the tree that the loader could
// misread. Explicit tags other than YAML's core ones (!!binary, !custom) and
// NUL bytes inside strings (a path "a\0b" is cut short by every system call)
// are refused with their place; the walk is bounded, so aliases that fan out
// (a "billion laughs" file) cannot make it run for long, and so is its depth:
// an alias inside the node it names ("a: &x {n: *x}") makes a tree without
// end, whose ever longer key paths took gigabytes within the node budget
// (found by tests/fuzz/fuzz_config). A vsw config is about 6 levels deep.
void check_document(const YAML::Node& root, const std::string& file) {
    constexpr size_t kMaxNodes = 200000;
    constexpr size_t kMaxDepth = 32;
    static const std::set<std::string> kCoreTags = {
        "", "?", "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"};
    auto fail = [&](const YAML::Mark& m, const std::string& key, std::string msg) {
        ConfigError e{file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, key, std::move(msg)};
        throw LoadFailure{std::move(e)};
    };
    struct Item {
        YAML::Node node;
        std::string path;
        size_t depth;
    };
    size_t visited = 0;
    std::vector<Item> todo{{root, "", 0}};
    while (!todo.empty()) {
        auto [node, path, depth] = std::move(todo.back());
        todo.pop_back();
        if (++visited > kMaxNodes)
            fail(node.Mark(), path, "the document has more than " + std::to_string(kMaxNodes) +
                                        " nodes (aliases expanding?): not a vsw config");
        if (depth > kMaxDepth)
            fail(node.Mark(), path, "the document nests deeper than " + std::to_string(kMaxDepth) +
                                        " levels (an alias inside the node it names?): not a vsw config");
        if (!kCoreTags.count(node.Tag()))
            fail(node.Mark(), path, "tag '" + node.Tag() + "' is not allowed: write plain values");
        if (node.IsScalar()) {
            if (node.Scalar().find('\0') != std::string::npos)
                fail(node.Mark(), path, "a NUL byte inside a value is not allowed");
        } else if (node.IsSequence()) {
            for (size_t i = 0; i < node.size(); ++i)
                todo.push_back({node[i], path + "[" + std::to_string(i) + "]", depth + 1});
        } else if (node.IsMap()) {
            for (auto it = node.begin(); it != node.end(); ++it) {
                const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
                todo.push_back({it->first, path, depth + 1});
                todo.push_back({it->second, join(path, key), depth + 1});
            }
        }
    }
}


}  // namespace config_internal

namespace {

// Where each document's root node starts. yaml-cpp 0.7's YAML::LoadAll never
// returns on a ',' outside any [list] or {map} (a file "," or "a\n,"): its
// document parser leaves that token where it is and makes one empty document
// after another in front of it until memory runs out (found by
// tests/fuzz/fuzz_config). So the tree comes from YAML::Load (the first
// document only), and this handler reads at most two documents' events to
// tell whether there is a second one.
class DocumentRoots : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> roots;

    void OnDocumentStart(const YAML::Mark&) override { want_root_ = true; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(m);
    }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& m) {
        if (want_root_) roots.push_back(m);
        want_root_ = false;
    }
    bool want_root_ = false;
};

}  // namespace

tl::expected<Config, ConfigError> load_config_string(const std::string& yaml_text, const std::string& file_name,
                                                     const LoadContext& ctx) {
    try {
        // A config file is one document: a second one ('---') is what an
        // editor or a tool caught halfway, or two files glued together.
        // (Not YAML::LoadAll: see DocumentRoots.)
        YAML::Node root = YAML::Load(yaml_text);
        std::istringstream in(yaml_text);
        YAML::Parser parser(in);
        DocumentRoots docs;
        if (parser.HandleNextDocument(docs) && parser.HandleNextDocument(docs) && docs.roots.size() > 1) {
            const YAML::Mark& m = docs.roots[1];
            const bool comma = m.pos >= 0 && static_cast<size_t>(m.pos) < yaml_text.size() && yaml_text[m.pos] == ',';
            return tl::unexpected(ConfigError{file_name, m.line + 1, m.column + 1, "",
                                              comma ? "a ',' outside a [list] or {map}"
                                                    : "a second YAML document ('---'): a config file holds exactly one"});
        }
        config_internal::check_document(root, file_name);
        return config_internal::Loader(file_name, ctx).load(root);
    } catch (const config_internal::LoadFailure& f) {
        return tl::unexpected(f.error);
    } catch (const YAML::Exception& e) {
        ConfigError err{file_name, 0, 0, "", e.msg};
        if (!e.mark.is_null()) {
            err.line = e.mark.line + 1;
            err.column = e.mark.column + 1;
        }
        return tl::unexpected(err);
    } catch (const std::exception& e) {
        return tl::unexpected(ConfigError{file_name, 0, 0, "", e.what()});
    }
}

tl::expected<std::string, ConfigError> read_config_text(const std::string& path) {
    auto cannot_read = [&](int err) {
        return tl::unexpected(ConfigError{path, 0, 0, "", std::string("cannot read: ") + std::strerror(err)});
    };
    std::FILE* fp = std::fopen(path.c_str(), "rb");
    if (!fp) return cannot_read(errno);
    std::string text;
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) text.append(buf, n);
    int err = std::ferror(fp) ? errno : 0;
    std::fclose(fp);
    if (err) return cannot_read(err);
    return text;
}

tl::expected<Config, ConfigError> load_config_file(const std::string& path, const LoadContext& ctx) {
    return read_config_text(path).and_then(
        [&](const std::string& text) { return load_config_string(text, path, ctx); });
}

}  // namespace vsw
