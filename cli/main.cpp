// The `thinkplan` executable: everything happens in cli::Main so that tests can drive it in-process.
#include <iostream>

#include "cli/command.h"

int main(int argc, char** argv) { return thinkplan::cli::Main(argc, argv, std::cout, std::cerr); }
