// The extension module build/python/simrun*.so: `PYTHONPATH=build/python
// python3 -c 'import simrun'`. Everything is defined in bindings.cpp, shared
// with the interpreter the simrun command embeds.
#include "tools/python/bindings.h"

PYBIND11_MODULE(simrun, simrun_module) { simrun::python::define_module(simrun_module); }
