// `darkscope --version`: what this binary is, for a bug report or to match
// a sensor's pins with a build: the project version, the git revision it
// was built from ("unknown" outside git, "-dirty" with uncommitted
// changes), and the layout version of the BPF object's maps, which names
// the pins (loader/pins.h, docs/maps.md).
#ifndef DARKSCOPE_CLI_VERSION_H_
#define DARKSCOPE_CLI_VERSION_H_

#include <string>

namespace darkscope::cli {

// "1_3fa2b4c1": DS_ABI_VERSION and the first 8 hex digits of abi.h's
// SHA-256, as in the pin names.
std::string AbiLayout();

// Three lines: version, git revision, BPF object layout.
std::string VersionText();

}  // namespace darkscope::cli

#endif  // DARKSCOPE_CLI_VERSION_H_
