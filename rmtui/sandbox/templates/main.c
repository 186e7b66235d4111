#include "Python.h"

int
Py_SandboxMain(void)
{
    return PY_MAJOR_VERSION == 3 ? 0 : 1;
}
