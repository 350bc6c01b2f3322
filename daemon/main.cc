// newswire: flags -> config -> daemon. Everything else lives in daemon/app.
#include <exception>
#include <iostream>

#include "daemon/app/app.h"
#include "daemon/app/cli.h"
#include "daemon/core/allocator.h"

int main(int argc, char** argv) {
  newswire::KeepFreedMemoryForReuse();
  try {
    return newswire::app::RunCommandLine(argc, argv);
  } catch (const std::exception& error) {
    // Exceptions are for start-up boundaries only; one escaping here is a bug, said plainly.
    std::cerr << "newswire: internal error: " << error.what() << "\n";
    return newswire::app::kExitSoftware;
  }
}
