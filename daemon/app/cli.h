#pragma once

namespace newswire::app {

// The command line: `newswire run|check-config|process|tail|evaluate|train|config-reference|
// version|help` (docs/cli.md). Parses the arguments, sets up logging, loads the config and
// dispatches. Returns the process exit code. Called once, from main.
int RunCommandLine(int argc, char** argv);

}  // namespace newswire::app
