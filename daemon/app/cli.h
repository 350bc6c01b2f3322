#pragma once

namespace newswire::app {

// The command line: `newswire run|check-config|process|config-reference|version|help`. Parses the
// arguments, sets up logging, loads the config and dispatches. Returns the process exit code.
// Called once, from main.
int RunCommandLine(int argc, char** argv);

}  // namespace newswire::app
